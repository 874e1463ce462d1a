#include "stark/merkle.hpp"

#include <tbb/parallel_for.h>

namespace witprove::stark {

void hash_inner_nodes(MerkleTree& t) {
  const size_t n = t.num_leaves;
  for (size_t level = n / 2; level >= 1; level /= 2) {
    tbb::parallel_for(tbb::blocked_range<size_t>(level, 2 * level, 1024), [&](const auto& r) {
      for (size_t i = r.begin(); i < r.end(); ++i) t.nodes[i] = compress(t.nodes[2 * i], t.nodes[2 * i + 1]);
    });
  }
}

namespace {

// Walks the batch layer by layer (positions are heap indices) and calls on_sibling for every sibling
// that the opened set does not determine, in proof order.
template <class OnSibling>
void walk_batch(unsigned log_leaves, std::vector<size_t> layer, OnSibling&& on_sibling) {
  for (unsigned l = 0; l < log_leaves; ++l) {
    std::vector<size_t> next;
    next.reserve(layer.size());
    for (size_t i = 0; i < layer.size(); ++i) {
      size_t node = layer[i];
      bool pair = (node % 2 == 0) && i + 1 < layer.size() && layer[i + 1] == node + 1;
      if (pair) ++i;
      else on_sibling(node ^ 1);
      next.push_back(node / 2);
    }
    layer = std::move(next);
  }
}

std::vector<size_t> heap_positions(unsigned log_leaves, std::span<const size_t> indices) {
  std::vector<size_t> pos(indices.begin(), indices.end());
  for (auto& p : pos) p += size_t{1} << log_leaves;
  return pos;
}

}  // namespace

size_t merkle_batch_size(unsigned log_leaves, std::span<const size_t> indices) {
  size_t count = 0;
  walk_batch(log_leaves, heap_positions(log_leaves, indices), [&](size_t) { ++count; });
  return count;
}

std::vector<Digest> open_merkle_batch(const MerkleTree& tree, std::span<const size_t> indices) {
  unsigned log_leaves = static_cast<unsigned>(__builtin_ctzll(tree.num_leaves));
  std::vector<Digest> proof;
  walk_batch(log_leaves, heap_positions(log_leaves, indices), [&](size_t node) { proof.push_back(tree.nodes[node]); });
  return proof;
}

bool verify_merkle_batch(const Digest& root, unsigned log_leaves, std::span<const size_t> indices,
                         std::span<const Digest> leaf_digests, std::span<const Digest> proof) {
  if (indices.empty() || indices.size() != leaf_digests.size()) return false;
  for (size_t i = 0; i < indices.size(); ++i) {
    if (indices[i] >> log_leaves) return false;
    if (i > 0 && indices[i] <= indices[i - 1]) return false;
  }
  // (heap position, digest), ascending by position within a layer.
  std::vector<std::pair<size_t, Digest>> layer;
  layer.reserve(indices.size());
  for (size_t i = 0; i < indices.size(); ++i) layer.push_back({indices[i] + (size_t{1} << log_leaves), leaf_digests[i]});
  size_t used = 0;
  for (unsigned l = 0; l < log_leaves; ++l) {
    std::vector<std::pair<size_t, Digest>> next;
    next.reserve(layer.size());
    for (size_t i = 0; i < layer.size(); ++i) {
      auto [node, digest] = layer[i];
      Digest parent;
      if (node % 2 == 0 && i + 1 < layer.size() && layer[i + 1].first == node + 1) {
        parent = compress(digest, layer[i + 1].second);
        ++i;
      } else {
        if (used == proof.size()) return false;
        const Digest& sibling = proof[used++];
        parent = node % 2 == 0 ? compress(digest, sibling) : compress(sibling, digest);
      }
      next.push_back({node / 2, parent});
    }
    layer = std::move(next);
  }
  return used == proof.size() && layer.size() == 1 && layer[0].second == root;
}

}  // namespace witprove::stark
