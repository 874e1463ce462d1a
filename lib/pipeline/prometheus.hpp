// A range run's state for node_exporter's textfile collector (prove-range --prometheus FILE): blocks by
// status, attempts in flight and by outcome, seconds per job type (folded from the run's metric lines), the
// run's start and last progress times (for stuck-run alerts). The file is rewritten whole, under a temporary
// name then renamed, as the collector requires. Exposition format:
// https://prometheus.io/docs/instrumenting/exposition_formats/ (text format 0.0.4).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "pipeline/report.hpp"

namespace witprove::pipeline {

// Seconds and count per job type, folded from metric lines (metrics.hpp) appended to a file since the last
// call; a line still being written is left for the next call.
class MetricsTail {
 public:
  explicit MetricsTail(std::filesystem::path path) : path_(std::move(path)) {}
  struct JobTotals {
    double seconds = 0;
    uint64_t count = 0;
  };
  void fold(std::map<std::string, JobTotals>& totals);

 private:
  std::filesystem::path path_;
  uint64_t offset_ = 0;
};

// What the gauge file says.
struct RunState {
  size_t blocks = 0;                           // in the range
  std::map<std::string, uint64_t> by_status;   // settled blocks by status name (report.hpp)
  std::map<std::string, uint64_t> attempts;    // ended attempts by outcome name
  std::map<std::string, MetricsTail::JobTotals> jobs;  // by job type
  unsigned in_flight = 0;                      // attempts running now
  uint64_t txs_proved = 0;
  double start_time = 0, last_progress_time = 0;  // Unix seconds
  bool running = true;
};

// The exposition text of `s`.
std::string prometheus_text(const RunState& s);

// Keeps a run's state and writes it to `path`. Not thread-safe: the caller serializes the calls. Every call is
// a no-op when `path` is empty.
class RunGauges {
 public:
  RunGauges(std::filesystem::path path, std::filesystem::path metrics_path, size_t blocks);
  bool enabled() const { return !path_.empty(); }
  void started();                           // an attempt at a block began
  void attempt_ended(Outcome outcome);      // and ended so
  void finished(const BlockReport& block);  // a block's entry is settled
  // Rewrites the file; `running` is false for the run's last write. A write that fails is logged once.
  void write(bool running = true);

 private:
  std::filesystem::path path_;
  MetricsTail tail_;
  RunState state_;
  std::string last_error_;
};

}  // namespace witprove::pipeline
