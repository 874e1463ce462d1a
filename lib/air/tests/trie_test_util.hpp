// Tries of the shapes the statement meets, for the node and walk table tests.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "eth/account.hpp"
#include "eth/keccak.hpp"
#include "eth/mpt.hpp"
#include "eth/rlp.hpp"

namespace witprove::air::test {

inline eth::Bytes random_bytes(std::mt19937_64& rng, size_t n) {
  eth::Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

// Every hashed node of a trie (an encoding of 32 bytes or more, and the root), each once, in pre-order;
// `below` limits them to nodes at fewer nibbles from the root.
inline std::vector<eth::Bytes> trie_nodes(const eth::Trie& trie, size_t below = SIZE_MAX) {
  eth::PreimageLog log;
  eth::for_each_node(trie, [&](const eth::Nibbles& path, const eth::TrieNode& node) {
    if (node.kind == eth::TrieNode::Kind::hashed || path.size() >= below) return;
    auto copy = eth::clone_node(node);
    const eth::Bytes encoding = eth::node_encoding(*copy);
    if (encoding.size() >= 32 || &node == trie.root()) log.record(encoding, eth::keccak256(encoding));
  });
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
    trie.put(key, eth::encode_storage_value(eth::U256(1 + rng() % 300)));
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

// A state trie of real account encodings: nonce, balance, a storage root from `storage_roots` (cycled;
// empty tries where none is given) and a code hash.
inline eth::Trie account_trie(size_t accounts, std::span<const eth::H256> storage_roots, uint64_t seed) {
  std::mt19937_64 rng(seed);
  eth::Trie trie;
  for (size_t i = 0; i < accounts; ++i) {
    eth::Account a;
    a.nonce = rng() % 1000;
    a.balance = eth::U256(rng());
    if (!storage_roots.empty()) a.storage_root = storage_roots[i % storage_roots.size()];
    if (i % 3 == 0) a.code_hash = eth::keccak256(random_bytes(rng, 40));
    auto key = eth::keccak256(random_bytes(rng, 20));
    trie.put(eth::ByteView(key.data(), key.size()), eth::encode_account(a));
  }
  return trie;
}

}  // namespace witprove::air::test
