// Tries of the shapes the statement meets, for the node and walk table tests.
#pragma once

#include <random>
#include <vector>

#include "eth/keccak.hpp"
#include "eth/mpt.hpp"
#include "eth/rlp.hpp"

namespace witprove::air::test {

inline eth::Bytes random_bytes(std::mt19937_64& rng, size_t n) {
  eth::Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

// Every hashed node of a trie, root included.
inline std::vector<eth::Bytes> trie_nodes(eth::Trie& trie) {
  eth::PreimageLog log;
  trie.root_hash(&log);
  return log.preimages;
}

// An account-like state trie: hashed keys, values of 70..80 bytes (long strings).
inline eth::Trie state_like_trie(size_t accounts, uint64_t seed) {
  std::mt19937_64 rng(seed);
  eth::Trie trie;
  for (size_t i = 0; i < accounts; ++i) {
    auto key = eth::keccak256(random_bytes(rng, 20));
    trie.put(eth::ByteView(key.data(), key.size()), random_bytes(rng, 70 + rng() % 11));
  }
  return trie;
}

// A storage-like trie whose keys share a 40-nibble prefix (an extension above a branch) and whose values
// are small, so its leaves are embedded in their branch.
inline eth::Trie storage_like_trie(uint64_t seed) {
  std::mt19937_64 rng(seed);
  eth::Trie trie;
  for (size_t i = 0; i < 40; ++i) {
    eth::Bytes key(32, 0x5a);
    for (size_t k = 20; k < 32; ++k) key[k] = static_cast<uint8_t>(rng());
    trie.put(key, eth::rlp_string(eth::rlp_uint(1 + rng() % 300)));
  }
  return trie;
}

// A transactions-like trie: rlp(i) keys, values of 1..400 bytes (length-of-length 2 above 255).
inline eth::Trie transactions_like_trie(size_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  eth::Trie trie;
  for (uint64_t i = 0; i < count; ++i) trie.put(eth::rlp_uint(i), random_bytes(rng, 1 + rng() % 400));
  return trie;
}

}  // namespace witprove::air::test
