// A run's summary from its metric lines (metrics.hpp) and report (report.hpp): per job type the count and
// p50/p95/max seconds, retries, failures by class, throughput (blocks and transactions per hour, Keccak-f
// permutations per second), the slowest blocks; and the data files plot-run.sh draws.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "pipeline/metrics.hpp"
#include "pipeline/report.hpp"

namespace witprove::pipeline {

struct JobStats {
  std::string job;
  size_t count = 0;
  double total = 0, p50 = 0, p95 = 0, max = 0;  // seconds; percentiles by nearest rank
};

struct BlockCost {
  uint64_t block = 0;
  double seconds = 0;        // the report's: every attempt at the block
  uint64_t txs = 0, witness_bytes = 0;
  uint64_t peak_memory_bytes = 0;  // the largest of its metric lines
  uint64_t permutations = 0;      // its Keccak-f permutations (build-tables), 0 when not built
  unsigned attempts = 0;
  std::string status = "-";  // the report's, "-" when the report does not list the block
};

struct RunSummary {
  RangeSummary range;                // from the report's blocks
  std::vector<JobStats> jobs;        // by job type, most total seconds first
  size_t retried_blocks = 0;         // blocks attempted more than once
  size_t extra_attempts = 0;         // attempts beyond each block's first
  double span_seconds = 0;           // while some job ran, from the metric lines (busy_seconds)
  uint64_t permutations_proved = 0;  // of the blocks proved
  double permutations_per_second = 0;  // permutations proved over the span
  uint64_t peak_memory_bytes = 0;    // the largest of any job
  std::vector<BlockCost> blocks;     // every block with a report entry or metric lines, by number
  std::vector<BlockCost> slowest;    // the five slowest proved or failed blocks, slowest first
};

// `wall_seconds`: the report's, used for throughput when the metric lines have no times (span 0).
RunSummary summarize_run(const std::vector<MetricLine>& metrics, const std::vector<BlockReport>& blocks,
                         double wall_seconds);

std::string run_summary_text(const RunSummary& s);
std::string run_summary_json(const RunSummary& s);
// The per-job-type table, in CSV.
std::string run_summary_csv(const RunSummary& s);

// Writes the data plot-run.sh draws into `dir`, tab-separated with a '#' header line:
//   blocks.tsv  block txs witness_bytes seconds peak_memory_bytes permutations status
//   jobs.tsv    start end job block lane  (seconds from the first job's start; each attempt at a block on
//               the first lane free, the jobs of the attempt on its lane)
// Throws std::runtime_error when a file cannot be written.
void write_plot_data(const RunSummary& s, const std::vector<MetricLine>& metrics, const std::filesystem::path& dir);

}  // namespace witprove::pipeline
