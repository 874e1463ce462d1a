// Keccak-f[1600] and Keccak-256 (the original Keccak padding Ethereum uses, not SHA3-256).
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <unordered_set>

#include "eth/bytes.hpp"

namespace witprove::eth {

using KeccakState = std::array<uint64_t, 25>;  // lane (x, y) at index x + 5 * y

// The 24 round constants of Keccak-f[1600] (iota step).
extern const std::array<uint64_t, 24> keccak_round_constants;

// Applies the 24-round permutation in place.
void keccak_f1600(KeccakState& state);

// Keccak-256 digest (rate 136 bytes, padding 0x01 ... 0x80).
H256 keccak256(ByteView data);

// keccak256 of the empty string (the code hash of an account without code) and of rlp("") (the root of an
// empty trie). Tests check them against keccak256.
inline constexpr H256 empty_keccak =
    fixed_from_hex<32>("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
inline constexpr H256 empty_trie_root =
    fixed_from_hex<32>("56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421");

struct H256Hash {
  size_t operator()(const H256& h) const noexcept {
    size_t v;
    std::memcpy(&v, h.data(), sizeof v);  // already uniformly distributed
    return v;
  }
};

// The inputs of Keccak-256 computations, in the order they were first made, each once.
struct PreimageLog {
  std::vector<Bytes> preimages;
  std::unordered_set<H256, H256Hash> digests;

  void record(ByteView preimage, const H256& digest) {
    if (digests.insert(digest).second) preimages.emplace_back(preimage.begin(), preimage.end());
  }
};

}  // namespace witprove::eth
