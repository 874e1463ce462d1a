// Per-job metrics: one JSON line per job (block, job type, segment, rows, seconds, peak memory, attempt, and
// for an attempt at a block its outcome).
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace witprove::pipeline {

struct JobMetric {
  uint64_t block = 0;
  std::string job;       // "check", "verify-previous", "prove-segment", "write"
  int64_t segment = -1;  // -1 when the job is not a segment's
  uint64_t rows = 0;     // trace rows (Keccak-f permutations for a segment)
  double seconds = 0;
  uint64_t peak_memory_bytes = 0;  // the process's peak resident memory so far
  unsigned attempt = 1;
};

// One line, stamped with the time it is written ("time": Unix seconds, the job's end); `outcome` (how an attempt at a block ended: report.hpp, Outcome) is written when not empty.
std::string to_json_line(const JobMetric& m, std::string_view outcome = {});

// A metric line as read back: the job, the time it ended (Unix seconds) and, for an attempt, its outcome.
struct MetricLine {
  JobMetric metric;
  double time = 0;      // 0 when the line has none
  std::string outcome;  // empty when the line has none
};
// Nullopt when the line is not a metric line (block, job and seconds are required).
std::optional<MetricLine> parse_metric_line(std::string_view line);

// The metric lines of `text`, in order; lines that are not metric lines are skipped and counted in
// `*unreadable`.
std::vector<MetricLine> parse_metric_lines(std::string_view text, size_t* unreadable = nullptr);
// The metric lines of a file, in order; lines that are not metric lines (a run killed mid-line) are
// skipped and counted in `*unreadable`. A file that cannot be read gives none.
std::vector<MetricLine> read_metric_lines(const std::filesystem::path& path, size_t* unreadable = nullptr);

// Seconds during which some job of `lines` ran: the union of their intervals (end time less seconds to end
// time), so that the gaps between a run and its resumption are not counted. 0 without times.
double busy_seconds(const std::vector<MetricLine>& lines);

// Peak resident set size of this process.
uint64_t peak_memory_bytes();

// Appends metric lines to a file; safe to call from several threads.
class MetricsLog {
 public:
  MetricsLog() = default;  // discards
  explicit MetricsLog(const std::filesystem::path& path);
  ~MetricsLog();
  MetricsLog(const MetricsLog&) = delete;
  MetricsLog& operator=(const MetricsLog&) = delete;
  void write(const JobMetric& m, std::string_view outcome = {});

 private:
  std::FILE* out_ = nullptr;
  std::mutex mutex_;
};

// The tools' --metrics FILE: a log appending to `path`, or discarding when `path` is empty. Throws
// std::runtime_error when the file cannot be opened.
std::unique_ptr<MetricsLog> open_metrics_log(const std::filesystem::path& path);

}  // namespace witprove::pipeline
