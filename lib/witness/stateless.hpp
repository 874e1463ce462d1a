// Stateless block processing: decode a block's pre-state from its witness, replay the declared effects of
// its transactions (the witness's traces, not EVM execution), and compute the roots the chain's header holds.
#pragma once

#include <optional>
#include <string>
#include <vector>

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

struct BlockResult {
  BlockOrigin origin;
  uint64_t block = 0;
  bool ok = false;
  std::string error;  // the first failure: which transaction, account, slot or key, and what went wrong

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
};

// EIP-4788: the beacon roots contract and the length of its ring buffer.
inline constexpr Address beacon_roots_address = eth::fixed_from_hex<20>("000f3df6d732807ef1319fb7b8bb8522d0beac02");
inline constexpr uint64_t beacon_roots_buffer_length = 8191;

struct ProcessOptions {
  bool record_keccak_preimages = false;
};

// Processes one block on its own. Never throws for bad input: failures are reported in the result.
BlockResult process_block(const BlockWitness& block, const ProcessOptions& options = {});

// Processes the blocks of one witness file (in parallel) and checks that consecutive blocks chain: each
// block's pre-state root must equal the previous block's post-state root.
std::vector<BlockResult> process_blocks(const std::vector<const BlockWitness*>& blocks,
                                        const ProcessOptions& options = {});

// Marks `later` failed when it does not continue from `earlier` (consecutive blocks of one file).
void check_chain_link(const BlockResult& earlier, BlockResult& later);

}  // namespace witprove::witness
