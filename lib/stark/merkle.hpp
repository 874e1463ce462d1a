// Binary Merkle trees over leaf digests, with batched openings: one proof for a set of leaves
// carries each needed sibling once (nodes shared by several paths are not repeated).
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "stark/hash.hpp"

namespace witprove::stark {

struct MerkleTree {
  size_t num_leaves = 0;      // a power of two
  std::vector<Digest> nodes;  // heap order: nodes[1] is the root, leaves at [num_leaves, 2 * num_leaves)
  const Digest& root() const { return nodes[1]; }
};

// Builds the tree (oneTBB-parallel per layer). leaves.size() must be a power of two.
MerkleTree build_merkle_tree(std::vector<Digest> leaves);

// Siblings needed to recompute the root from the leaves at `indices` (sorted, distinct),
// in the order verify_merkle_batch consumes them.
std::vector<Digest> open_merkle_batch(const MerkleTree& tree, std::span<const size_t> indices);

// Recomputes the root from the leaf digests at `indices` (sorted, distinct, < 2^log_leaves) and the
// batch proof; true when it equals `root` and the proof has exactly the needed nodes.
bool verify_merkle_batch(const Digest& root, unsigned log_leaves, std::span<const size_t> indices,
                         std::span<const Digest> leaf_digests, std::span<const Digest> proof);

// Number of sibling nodes a batch opening of `indices` needs (to bound proof lengths).
size_t merkle_batch_size(unsigned log_leaves, std::span<const size_t> indices);

}  // namespace witprove::stark
