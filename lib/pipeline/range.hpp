// Proving a range of blocks from any witness source into DIR/<N>.proof and DIR/report.json.
//
// Each block is proved in its own prove-witness process, fed the block's witness on stdin, so that a
// block killed for memory or past its time limit is a retryable failure of that block and never takes the
// range down; the prover's outcome comes back as its exit status and result line (report.hpp, Outcome). A
// bad block is recorded with its reason and the run goes on. One run holds an output folder at a time (an
// flock on DIR/.prove-range.lock). Proof files and the report are written to temporary names and renamed,
// so a run killed at any moment can be resumed without losing work; a run asked to stop (options.stop)
// kills its provers, marks the unfinished blocks interrupted and writes the report.
#pragma once

#include <atomic>
#include <cstdint>
#include <stdexcept>
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
  std::string spill_dir;               // passed to prove-witness --spill-dir when set
  bool resume = false;            // skip blocks whose proof in output_dir already verifies
  double block_timeout_seconds = 0;  // per attempt at a block; 0: none
  const std::atomic<int>* stop = nullptr;  // set to a signal number to stop the run
  std::filesystem::path metrics_file;      // the run's metric lines; empty: output_dir/metrics.jsonl
  std::filesystem::path prometheus_file;   // a gauge file for node_exporter (prometheus.hpp); empty: none
};

struct RangeResult {
  std::vector<BlockReport> blocks;  // one per block number of the range, in order
  RangeSummary summary;
  int stopped_by = 0;        // the signal that stopped the run, if any
  std::string report_error;  // why report.json could not be written, if it could not
};

// Thrown when another run holds the output folder.
struct FolderBusy : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline std::filesystem::path proof_path(const std::filesystem::path& dir, uint64_t block) {
  return dir / (std::to_string(block) + ".proof");
}

// Throws witness::SourceError when the source cannot be read at all, FolderBusy when another run holds
// the output folder.
RangeResult prove_range(const RangeOptions& options);

// Proves nothing: reports on the proofs in the output folder that provers run elsewhere wrote (Slurm array
// tasks, Kubernetes indexes), with their result lines in output_dir/results/<N>.jsonl (prove-witness
// --format json, one line per attempt). A block is proved when its proof verifies (and, chained, sits on its
// parent's proof when that one holds); otherwise failed with its last result's outcome and error, or missing
// from the source. Writes report.json as prove_range does. Throws as prove_range does.
RangeResult collect_range(const RangeOptions& options);

}  // namespace witprove::pipeline
