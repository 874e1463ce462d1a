// The engine's hash: SHA-256 (OpenSSL, which uses the CPU's SHA extensions where present).
// Used for Merkle leaves and nodes, the Fiat–Shamir transcript and proof-of-work grinding.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "stark/field.hpp"

namespace witprove::stark {

using ByteView = std::span<const uint8_t>;
using Digest = std::array<uint8_t, 32>;

Digest sha256(ByteView data);
// Hash of the concatenation a || b.
Digest sha256(ByteView a, ByteView b);

// Merkle hashing uses the SHA-256 compression function (FIPS 180-4 section 6.2.2) directly, from initial
// values of its own (the words of SHA-256("witprove merkle leaf v1") and of SHA-256("witprove merkle node
// v1")): no padding block and no per-call set-up, and the two initial values keep leaves and nodes apart.
// Merkle node: one compression of the 64-byte block left || right from the node initial value.
Digest compress(const Digest& left, const Digest& right);
// Merkle leaf: the elements' bytes (4-byte Montgomery form, little-endian), zero-padded to whole 64-byte
// blocks, compressed block by block from the leaf initial value. All leaves of one tree have the same
// number of elements, which the verifier knows, so the padding needs no length.
Digest hash_elements(std::span<const Fp> values);

}  // namespace witprove::stark
