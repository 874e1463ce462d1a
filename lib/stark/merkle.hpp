// Binary Merkle trees over leaf digests, with batched openings: one proof for a set of leaves
// carries each needed sibling once (nodes shared by several paths are not repeated).
#pragma once

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <cstddef>
#include <span>
#include <vector>

#include "stark/buffer.hpp"
#include "stark/hash.hpp"

namespace witprove::stark {

struct MerkleTree {
  size_t num_leaves = 0;  // a power of two
  // Heap order: nodes[1] is the root, leaves at [num_leaves, 2 * num_leaves). On large blocks: a tree of
  // millions of leaves is hashed straight into memory that the previous tree of its size left mapped.
  std::vector<Digest, LargeBlockAllocator<Digest>> nodes;
  const Digest& root() const { return nodes[1]; }
};

// Hashes the inner nodes of a tree whose leaves are in place (oneTBB-parallel per layer).
void hash_inner_nodes(MerkleTree& tree);

// Builds a tree of `num_leaves` leaves (a power of two): hash_leaves(first, last, out) writes the digests
// of leaves [first, last) to out[0, last - first), called in parallel over runs of about `grain` leaves.
template <class HashLeaves>
MerkleTree build_merkle_tree(size_t num_leaves, size_t grain, HashLeaves&& hash_leaves) {
  MerkleTree t;
  t.num_leaves = num_leaves;
  t.nodes.resize(2 * num_leaves);  // left uninitialised: every node is written below
  t.nodes[0] = Digest{};            // unused (heap order starts at 1)
  tbb::parallel_for(tbb::blocked_range<size_t>(0, num_leaves, grain), [&](const auto& r) {
    hash_leaves(r.begin(), r.end(), t.nodes.data() + num_leaves + r.begin());
  });
  hash_inner_nodes(t);
  return t;
}

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
