// Merkle-Patricia trie with unexpanded (hashed) subtrees, as a block witness gives them.
// Insert, update and delete keep the trie canonical (branch collapse, extension merge); node encodings
// shorter than 32 bytes are embedded in their parent, as Ethereum does. Reaching an unexpanded subtree is
// a MissingTrieNode error: the witness did not include what the operation needs. That includes a delete
// that leaves a branch with one child known only by its hash: whether the branch becomes an extension above
// that child (child is a branch) or merges into it (leaf or extension) depends on the child's kind, which a
// hash does not tell, so it is never guessed (Yellow Paper, Appendix D: a branch has at least two children).
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>

#include "eth/bytes.hpp"
#include "eth/keccak.hpp"
#include "eth/nibbles.hpp"

namespace witprove::eth {

struct TrieNode;
using TrieNodePtr = std::unique_ptr<TrieNode>;

struct TrieNode {
  enum class Kind : uint8_t { leaf, extension, branch, hashed };
  Kind kind = Kind::leaf;
  Nibbles path;                       // leaf and extension
  Bytes value;                        // leaf, and branch (empty: none)
  std::vector<TrieNodePtr> children;  // branch: 16 slots; extension: 1
  H256 hash{};                        // hashed: digest of the subtree's root node

  // Cached reference as the parent embeds it (the encoding if shorter than 32 bytes, else rlp(hash)),
  // kept inline: it is at most 33 bytes. ref_size == 0 means not computed (or invalidated by a change).
  std::array<uint8_t, 33> ref{};
  uint8_t ref_size = 0;
  ByteView ref_view() const { return ByteView(ref.data(), ref_size); }
};

TrieNodePtr make_leaf(Nibbles path, Bytes value);
TrieNodePtr make_extension(Nibbles path, TrieNodePtr child);
TrieNodePtr make_branch();  // 16 empty children, no value
TrieNodePtr make_hashed(const H256& hash);
TrieNodePtr clone_node(const TrieNode& node);

// The node's RLP encoding (children by reference); every child encoding hashed on the way is logged.
// Not defined for hashed nodes.
Bytes node_encoding(TrieNode& node, PreimageLog* log = nullptr);

struct MissingTrieNode : std::runtime_error {
  MissingTrieNode(Bytes key, Nibbles path);
  Bytes key;     // the key being read or written
  Nibbles path;  // where the unexpanded subtree sits
};

class Trie {
 public:
  Trie() = default;
  explicit Trie(TrieNodePtr root) : root_(std::move(root)) {}
  // A trie known only by its root hash (empty when it is the empty root).
  static Trie from_root_hash(const H256& root);

  // The value under key, or nullptr when absent.
  const Bytes* get(ByteView key) const;
  // Sets the value under key; an empty value deletes it.
  void put(ByteView key, Bytes value);
  // Removes key if present; returns whether anything changed.
  bool erase(ByteView key);
  H256 root_hash(PreimageLog* log = nullptr);
  // Encoding of the root node (what root_hash hashes); empty for an empty or unexpanded trie.
  Bytes root_encoding(PreimageLog* log = nullptr);

  bool empty() const { return !root_; }
  const TrieNode* root() const { return root_.get(); }

 private:
  TrieNodePtr root_;
};

Trie clone(const Trie& trie);

// Visits every node in pre-order, children in nibble order, with the node's path from the root.
void for_each_node(const Trie& trie, const std::function<void(const Nibbles& path, const TrieNode& node)>& visit);
// Visits every (key nibbles, value) pair present in the expanded part, in key order (branch values included).
void for_each_leaf(const Trie& trie, const std::function<void(const Nibbles& key, const Bytes& value)>& visit);

}  // namespace witprove::eth
