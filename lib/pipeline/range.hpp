// Proving a range of blocks from any witness source into DIR/<N>.proof and DIR/report.json.
//
// Each block is proved in its own prove-witness process, fed the block's witness on stdin, so that a
// block killed for memory is a retryable failure of that block and never takes the range down. A bad
// block is recorded with its reason and the run goes on. Proof files and the report are written to
// temporary names and renamed, so a run killed at any moment can be resumed without losing work.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "pipeline/report.hpp"
#include "witness/source.hpp"

namespace witprove::pipeline {

enum class ChainMode { standalone, chained };

struct RangeOptions {
  std::string source;
  witness::SourceOptions source_options;
  witness::BlockRange range;
  std::filesystem::path output_dir;
  std::filesystem::path prover;   // the prove-witness executable
  ChainMode mode = ChainMode::standalone;
  unsigned retries = 0;           // extra attempts for transient failures (killed, out of memory)
  unsigned jobs = 1;              // blocks proved at once (standalone mode)
  unsigned threads = 0;           // threads in all, shared by the jobs (0: all cores)
  uint64_t max_memory_bytes = 0;  // memory in all, shared by the jobs (0: no limit)
  uint32_t permutations_per_table = 0;  // 0: the prover's default
  std::string parameter_set = "fast";  // stark::find_parameter_set
  bool resume = false;            // skip blocks whose proof in output_dir already verifies
};

struct RangeResult {
  std::vector<BlockReport> blocks;  // one per block number of the range, in order
  RangeSummary summary;
};

inline std::filesystem::path proof_path(const std::filesystem::path& dir, uint64_t block) {
  return dir / (std::to_string(block) + ".proof");
}

// Throws witness::SourceError when the source cannot be read at all.
RangeResult prove_range(const RangeOptions& options);

// True when the prover's error says the failure may not happen again (out of memory, killed).
bool is_transient_failure(int signal, std::string_view error);

}  // namespace witprove::pipeline
