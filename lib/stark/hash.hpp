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
// Merkle node: SHA-256 of 0x01 and the two 32-byte children.
Digest compress(const Digest& left, const Digest& right);
// Merkle leaf: SHA-256 of 0x00 and the elements as little-endian 64-bit words.
Digest hash_elements(std::span<const Fp> values);

}  // namespace witprove::stark
