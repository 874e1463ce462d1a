// Stateless block processing: decode a block's pre-state from its witness, replay the declared effects of
// its transactions (the witness's traces, not EVM execution), and compute the roots the chain's header holds.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "eth/forks.hpp"
#include "witness/compact.hpp"
#include "witness/model.hpp"

namespace witprove::witness {

struct TxnResult {
  H256 state_root{};         // after the transaction
  H256 transactions_root{};  // of the transactions so far
  H256 receipts_root{};
  uint64_t gas_used = 0;     // this transaction's
  uint64_t cumulative_gas = 0;
  bool succeeded = true;     // the receipt's status
};

// One key the block changes, net of the whole block: an account (its leaf value, rlp([nonce, balance, storage
// root, code hash])) or a storage slot (its leaf value, rlp(value)), before and after; absent is nullopt.
// One net change: an account's leaf value (no slot) or a slot's RLP value (before and after, absent where
// absent); or, with storage_wiped, an account's storage emptied during the block (a self-destruct before
// Cancun, or an emptied account): `before` is its storage root before the block, `after` absent, and its
// slots' changes are listed against an empty storage.
struct StateChange {
  Address address{};
  std::optional<H256> slot;
  std::optional<Bytes> before, after;
  bool storage_wiped = false;
};

struct BlockResult {
  BlockOrigin origin;
  uint64_t block = 0;
  uint64_t chain_id = 0;
  H256 parent_hash{};  // the last of b_hashes.prev_hashes (zero when absent)
  bool ok = false;
  std::string error;  // the first failure: which transaction, account, slot or key, and what went wrong

  std::string rules;      // the fork rules applied and why, e.g. "prague (mainnet schedule)"; empty if undecided
  H256 pre_state_root{};  // root of the decoded pre-image
  bool pre_state_matches_checkpoint = false;
  H256 state_root{};  // after the withdrawals
  H256 transactions_root{};
  H256 receipts_root{};
  uint64_t gas_used = 0;
  std::vector<TxnResult> txns;  // those processed, in order (all of them when ok)
  std::optional<PreImageStats> pre_image;  // set when the pre-image decoded (else `error` says why)

  // When asked: the input of every Keccak-256 computed to process the block (trie nodes whose hash is taken,
  // the pre-state root node included, and contract code), each once, in the order first computed.
  std::vector<Bytes> keccak_preimages;
  // When asked and the block processed: every account and slot whose value the block changes, and every
  // storage it wipes, in key order.
  std::vector<StateChange> state_changes;
};

// EIP-4788 (Cancun): the beacon roots contract and the length of its ring buffer.
inline constexpr Address beacon_roots_address = eth::fixed_from_hex<20>("000f3df6d732807ef1319fb7b8bb8522d0beac02");
inline constexpr uint64_t beacon_roots_buffer_length = 8191;
// EIP-2935 (Prague): the block hash history contract and its serve window.
inline constexpr Address history_storage_address = eth::fixed_from_hex<20>("0000f90827f1c53a10cb7a02335b175320002935");
inline constexpr uint64_t history_serve_window = 8191;
// EIP-7002 and EIP-7251 (Prague): the request queue contracts called after the withdrawals.
inline constexpr Address withdrawal_request_address = eth::fixed_from_hex<20>("00000961ef480eb55e80d19ad83579a64c007002");
inline constexpr Address consolidation_request_address =
    eth::fixed_from_hex<20>("0000bbddc7ce488642fb579f8b00f3a590007251");

struct ProcessOptions {
  bool record_keccak_preimages = false;
  bool record_state_changes = false;
};

// Which fork's rules a block follows: from the chain's schedule (eth::known_fork_schedule) by timestamp when the
// chain is known, otherwise from the fields present (Cancun's, or Shanghai without them; Prague cannot be told
// from the fields, so an unknown chain is never processed with Prague's rules). Throws std::runtime_error when
// the fork is before Shanghai or the fields contradict the fork.
struct ForkRules {
  eth::Fork fork = eth::Fork::shanghai;
  std::string description;  // e.g. "cancun (mainnet schedule)"
};
ForkRules fork_rules(const BlockMetadata& meta);

// Processes one block on its own. Never throws for bad input: failures are reported in the result.
BlockResult process_block(const BlockWitness& block, const ProcessOptions& options = {});

// Processes the blocks of one witness file (in parallel) and checks their chain links (check_chain_links).
std::vector<BlockResult> process_blocks(const std::vector<const BlockWitness*>& blocks,
                                        const ProcessOptions& options = {});

// Checks the links between the blocks of one file or range by number, whatever their order: block N+1's
// pre-state root must equal block N's post-state root (blocks of other chains are never linked); a block whose predecessor is absent (a gap) or failed is
// not checked. A failed link marks block N+1 failed. With a number given twice, the first one is the link.
void check_chain_links(const std::vector<BlockResult*>& results);

}  // namespace witprove::witness
