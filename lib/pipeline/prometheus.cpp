#include "pipeline/prometheus.hpp"

#include <fmt/format.h>

#include <chrono>
#include <fstream>

#include "pipeline/cli.hpp"
#include "pipeline/metrics.hpp"
#include "proof/proof_file.hpp"

namespace witprove::pipeline {
namespace {

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A label value: backslash, quote and newline escaped.
std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

}  // namespace

void MetricsTail::fold(std::map<std::string, JobTotals>& totals) {
  std::ifstream in(path_, std::ios::binary);
  if (!in) return;
  in.seekg(static_cast<std::streamoff>(offset_));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto end = text.rfind('\n');
  if (end == std::string::npos) return;
  offset_ += end + 1;
  for (const auto& line : parse_metric_lines(std::string_view(text).substr(0, end + 1))) {
    auto& t = totals[line.metric.job];
    t.seconds += line.metric.seconds;
    ++t.count;
  }
}

std::string prometheus_text(const RunState& s) {
  std::string out;
  family(out, "witprove_range_blocks", "gauge", "Blocks of the range by status; pending: not settled yet.");
  uint64_t settled = 0;
  for (const auto& [status, n] : s.by_status) settled += n;
  out += fmt::format("witprove_range_blocks{{status=\"pending\"}} {}\n", s.blocks - settled);
  for (std::string_view status : {"proved", "failed", "missing", "skipped", "interrupted"}) {
    auto it = s.by_status.find(std::string(status));
    out += fmt::format("witprove_range_blocks{{status=\"{}\"}} {}\n", status, it == s.by_status.end() ? 0 : it->second);
  }
  family(out, "witprove_range_in_flight", "gauge", "Attempts at blocks running now.");
  out += fmt::format("witprove_range_in_flight {}\n", s.in_flight);
  family(out, "witprove_range_attempts_total", "counter", "Attempts at blocks that ended, by outcome.");
  for (const auto& [outcome, n] : s.attempts)
    out += fmt::format("witprove_range_attempts_total{{outcome=\"{}\"}} {}\n", label(outcome), n);
  family(out, "witprove_range_txs_proved_total", "counter", "Transactions of the blocks proved.");
  out += fmt::format("witprove_range_txs_proved_total {}\n", s.txs_proved);
  family(out, "witprove_job_seconds", "summary", "Seconds spent per job type, from the run's metric lines.");
  for (const auto& [job, t] : s.jobs) {
    out += fmt::format("witprove_job_seconds_sum{{job=\"{}\"}} {:.3f}\n", label(job), t.seconds);
    out += fmt::format("witprove_job_seconds_count{{job=\"{}\"}} {}\n", label(job), t.count);
  }
  family(out, "witprove_range_start_time_seconds", "gauge", "Unix time the run started.");
  out += fmt::format("witprove_range_start_time_seconds {:.3f}\n", s.start_time);
  family(out, "witprove_range_last_progress_time_seconds", "gauge",
         "Unix time an attempt at a block last started or ended; alert when it is old and the run is running.");
  out += fmt::format("witprove_range_last_progress_time_seconds {:.3f}\n", s.last_progress_time);
  family(out, "witprove_range_running", "gauge", "1 while the run goes on, 0 once it has ended.");
  out += fmt::format("witprove_range_running {}\n", s.running ? 1 : 0);
  return out;
}

RunGauges::RunGauges(std::filesystem::path path, std::filesystem::path metrics_path, size_t blocks)
    : path_(std::move(path)), tail_(std::move(metrics_path)) {
  state_.blocks = blocks;
  state_.start_time = state_.last_progress_time = unix_now();
  // The metric lines of earlier runs into the same folder are not this run's.
  if (enabled()) {
    std::map<std::string, MetricsTail::JobTotals> earlier;
    tail_.fold(earlier);
  }
}

void RunGauges::started() {
  ++state_.in_flight;
  state_.last_progress_time = unix_now();
}

void RunGauges::attempt_ended(Outcome outcome) {
  if (state_.in_flight) --state_.in_flight;
  ++state_.attempts[std::string(to_string(outcome))];
  state_.last_progress_time = unix_now();
}

void RunGauges::finished(const BlockReport& block) {
  ++state_.by_status[std::string(to_string(block.status))];
  if (block.status == BlockStatus::proved) state_.txs_proved += block.txs;
}

void RunGauges::write(bool running) {
  if (!enabled()) return;
  tail_.fold(state_.jobs);
  state_.running = running;
  try {
    proof::write_file_atomic(path_, prometheus_text(state_));
  } catch (const std::exception& e) {
    if (last_error_ != e.what()) log(LogLevel::error, "range", fmt::format("cannot write the Prometheus file: {}", e.what()));
    last_error_ = e.what();
  }
}

}  // namespace witprove::pipeline
