// The block state-transition statement's tables, assembled (docs/state-transition.md): the Keccak tables,
// node_bytes, node_link, trie_walk, leaf_value, change/key, tx_index, the fixed tables, and `block_roots`,
// which sends the public roots of the state (pre and post), transactions and receipts walks.
//
// Public values, by table: block_roots: R0, R1, transactions root, receipts root (16 limbs each);
// change: D (16 limbs); tx_index: transaction count, gas used. Not yet used by the tools.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "air/change_list.hpp"
#include "eth/bytes.hpp"
#include "stark/stark.hpp"

namespace witprove::air {

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

struct BlockTransitionTables {
  std::vector<std::unique_ptr<stark::Air>> airs;
  std::vector<stark::Trace> traces;  // empty on the verifier's side
  std::vector<std::vector<stark::Fp>> public_values;
  std::vector<stark::TableInstance> instances() const;
  std::vector<const stark::Air*> air_pointers() const;
};

// The largest public transaction count and gas used the tables prove (tx_index); larger values would be
// reduced modulo p, so both functions below refuse them with std::invalid_argument.
inline constexpr uint64_t kMaxTransactions = 0xffff;
inline constexpr uint64_t kMaxGasUsed = (uint64_t{1} << 28) - 1;

// The prover's tables. Throws std::invalid_argument when the witness does not fit the public values as the
// tables need (a transactions or receipts node missing, a receipt the table cannot read, ...).
BlockTransitionTables build_block_transition(const BlockTransitionWitness& witness, const BlockTransitionPublic& pub);
// The verifier's: the same AIRs and public values, no traces.
BlockTransitionTables block_transition_verifier(const BlockTransitionPublic& pub);

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
