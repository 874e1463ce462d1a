// Per-block figures of a witness, for planning proving capacity (what `analyze-witnesses` prints).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "witness/compact.hpp"
#include "witness/parse.hpp"
#include "witness/stateless.hpp"

namespace witprove::witness {

struct BlockStats {
  uint64_t chain_id = 0;
  uint64_t txs = 0;
  uint64_t gas_used = 0;       // the block's declared gas used
  uint64_t compact_bytes = 0;  // combined pre-image: compact stream size (0 for the separate encoding)
  uint64_t code_db_bytes = 0;
  uint64_t accounts_touched = 0;  // distinct addresses in the transactions' traces
  uint64_t storage_reads = 0;
  uint64_t storage_writes = 0;
  uint64_t contracts_created = 0;  // code_usage.write entries
  uint64_t code_created_bytes = 0;
  uint64_t self_destructs = 0;
  uint64_t withdrawals = 0;
  // Decoded pre-image: trie nodes, accounts, storage slots, code. Empty when it cannot be decoded.
  std::optional<PreImageStats> pre_image;
};

// One row of the analysis: the block's figures, or why it could not be read.
struct BlockAnalysis {
  BlockOrigin origin;
  std::optional<uint64_t> block;  // unknown only when a damaged block's number cannot be read
  uint64_t witness_bytes = 0;
  std::string error;  // empty when the block parsed
  std::optional<BlockStats> stats;

  bool ok() const { return error.empty(); }
};

// Every figure but the decoded pre-image's.
BlockStats block_stats(const BlockWitness& block);
// block_stats plus the decoded pre-image. A block whose pre-image cannot be decoded is an error, with the
// other figures kept.
BlockAnalysis analyze_block(BlockParse&& parsed);
// The same for a block that was also processed (`processed` is process_block of its witness): the pre-image
// figures, or the error, come from the decoding done there.
BlockAnalysis analyze_processed_block(BlockParse&& parsed, const BlockResult& processed);

struct AnalysisTotals {
  uint64_t blocks = 0;  // blocks reported, failed ones included
  uint64_t errors = 0;
  // Sums over the blocks whose figures are known.
  uint64_t txs = 0;
  uint64_t gas_used = 0;
  uint64_t witness_bytes = 0;
  uint64_t compact_bytes = 0;
  uint64_t accounts_touched = 0;
  uint64_t storage_reads = 0;
  uint64_t storage_writes = 0;
  uint64_t contracts_created = 0;
  uint64_t self_destructs = 0;
  uint64_t withdrawals = 0;
  uint64_t trie_nodes = 0;
  uint64_t accounts = 0;
  uint64_t storage_slots = 0;
  uint64_t code_bytes = 0;
};

AnalysisTotals analysis_totals(const std::vector<BlockAnalysis>& blocks);

// Orders rows by block number (unknown numbers last), then source and index.
void sort_by_block(std::vector<BlockAnalysis>& blocks);

}  // namespace witprove::witness
