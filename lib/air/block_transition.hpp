// The block state-transition statement's tables, assembled (docs/state-transition.md): the Keccak tables,
// node_bytes, node_link, trie_walk, leaf_value, change/key, tx_index, the fixed tables, and `block_roots`,
// which sends the public roots of the state (pre and post), transactions and receipts walks.
//
// Public values, by table: block_roots: R0, R1, transactions root, receipts root (16 limbs each);
// change: D (16 limbs); tx_index: transaction count, gas used; permutation table k: its first tag.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "air/change_list.hpp"
#include "air/keccak_sponge.hpp"
#include "eth/bytes.hpp"
#include "stark/stark.hpp"

namespace witprove::air {

// The statement's name in proof files; the version changes with any change to its tables.
inline constexpr std::string_view kBlockTransitionId = "witprove.block-transition";
// 3: two node_bytes tables.
inline constexpr uint32_t kBlockTransitionVersion = 3;

// Sends (state, pre, R0), (state, post, R1), (transactions, pre, Rtx), (receipts, pre, Rrc) on `root`, once
// each (first row), from its public values.
struct BlockRootsAir {
  std::string name() const { return "block_roots"; }
  size_t width() const { return 1; }
  size_t num_public_values() const { return 64; }
  template <class Folder>
  void eval(Folder& f) const;
};

struct BlockTransitionPublic {
  eth::H256 pre_root, post_root, transactions_root, receipts_root;
  uint64_t transaction_count = 0, gas_used = 0;
  eth::H256 changes_digest;  // Keccak-256 of the encoded change list
};

// What the prover supplies: every trie node the walks expand (state and storage tries before and after the
// block, transactions and receipts tries; others are hashed out), and the net change list.
struct BlockTransitionWitness {
  std::vector<eth::Bytes> nodes;
  std::vector<ChangeEntry> changes;  // any order; sorted here
};

// The statement's tables, in proving order: the Keccak-f permutation tables (the permutations split over
// tables of at most permutations_per_table), the sponge, node_bytes twice (node_bytes_layout), rlp_byte,
// node_link, trie_walk, leaf_value, change, key, tx_index, byte_range, block_roots.
struct BlockTransitionTables {
  std::vector<std::unique_ptr<stark::Air>> airs;
  std::vector<std::vector<stark::Fp>> public_values;
  size_t permutation_tables = 1;
  // The prover's side (empty on the verifier's): the traces of the tables after the permutation tables, and
  // the permutations' inputs, from which a permutation table's trace is made when it is proved.
  std::vector<stark::Trace> traces;
  std::vector<eth::KeccakState> permutation_inputs;
  size_t permutations_per_table = 0;

  size_t size() const { return airs.size(); }
  // The instances of `tables` (indices in proving order); permutation tables' traces are made into `made`.
  std::vector<stark::TableInstance> instances(std::span<const uint32_t> tables, std::vector<stark::Trace>& made) const;
  std::vector<stark::TableInstance> instances(std::vector<stark::Trace>& made) const;  // every table
  std::vector<const stark::Air*> air_pointers(std::span<const uint32_t> tables) const;
  std::vector<const stark::Air*> air_pointers() const;
  std::vector<std::vector<stark::Fp>> public_values_of(std::span<const uint32_t> tables) const;
  // Rows of table i (a permutation table's without making its trace).
  size_t height(size_t i) const;
};

// Permutations per permutation table when not told: 5,461 fill a 2^17-row table (24 rows each).
inline constexpr size_t kDefaultPermutationsPerTable = 5461;

// The largest public transaction count and gas used the tables prove (tx_index); larger values would be
// reduced modulo p, so both functions below refuse them with std::invalid_argument.
inline constexpr uint64_t kMaxTransactions = 0xffff;
inline constexpr uint64_t kMaxGasUsed = (uint64_t{1} << 28) - 1;

// The prover's tables. Throws std::invalid_argument when the witness does not fit the public values as the
// tables need (a transactions or receipts node missing, a receipt the table cannot read, ...).
BlockTransitionTables build_block_transition(const BlockTransitionWitness& witness, const BlockTransitionPublic& pub,
                                             size_t permutations_per_table = kDefaultPermutationsPerTable);
// The first failed constraint or unbalanced bus of the prover's tables, if any (the debug check: slow).
std::optional<std::string> check_block_transition(const BlockTransitionTables& tables);

// Segments: the tables grouped into separately proved sets, each a list of table indices in proving order.
// Every table is in exactly one segment.
using SegmentTables = std::vector<uint32_t>;
uint64_t segment_cells(const BlockTransitionTables& tables, const SegmentTables& segment);
// Estimated memory of proving a segment (stark::estimated_prover_bytes of its tables, and the traces of its
// permutation tables, which are made for it).
uint64_t segment_prover_bytes(const BlockTransitionTables& tables, const SegmentTables& segment,
                              const stark::StarkParams& params);
// The plan: the non-permutation tables first, then the permutation tables, filling each segment while its
// estimate stays within `max_bytes` (a table larger than that gets a segment of its own).
std::vector<SegmentTables> plan_segments(const BlockTransitionTables& tables, const stark::StarkParams& params,
                                         uint64_t max_bytes);

// The statement bytes of segment i: the block's statement bytes, then i (4 bytes, little-endian).
std::vector<uint8_t> segment_statement(stark::ByteView statement, uint32_t segment);

struct SegmentProof {
  SegmentTables tables;
  stark::Proof proof;
};
// Verifies a segmented proof of the statement for `pub`: every table in exactly one segment, each segment's
// proof valid with the challenges shared by all (stark::shared_challenges over every segment's commitment),
// and the segments' lookup sums adding to zero. nullopt when valid, else the reason.
std::optional<std::string> verify_block_transition(const BlockTransitionPublic& pub, size_t permutation_tables,
                                                   std::span<const SegmentProof> segments,
                                                   const stark::StarkParams& params, stark::ByteView statement);

// The verifier's: the same AIRs and public values, no traces.
BlockTransitionTables block_transition_verifier(const BlockTransitionPublic& pub, size_t permutation_tables = 1);

template <class Folder>
void BlockRootsAir::eval(Folder& f) const {
  using Expr = decltype(f.local(0) + f.local(0));
  f.assert_zero(f.local(0));  // the table's one column is unused
  for (uint32_t w = 0; w < 4; ++w) {
    std::array<Expr, 34> t;
    for (auto& x : t) x = Expr();
    t[0] = Expr() + stark::Fp(w == 0 || w == 1 ? 0 : w);  // state, state, transactions (2), receipts (3)
    t[1] = Expr() + stark::Fp(w == 1);
    for (size_t j = 0; j < 16; ++j) t[18 + j] = Expr() + f.public_value(16 * w + j);
    f.send(bus::root, t, f.is_first_row());
  }
}

}  // namespace witprove::air

// Each table's constraints are compiled once, in block_transition.cpp, not in every file that includes this one.
extern template class witprove::stark::AirAdapter<witprove::air::BlockRootsAir>;
