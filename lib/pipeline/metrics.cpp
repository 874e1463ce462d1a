#include "pipeline/metrics.hpp"

#include <fmt/format.h>
#include <simdjson.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "pipeline/json_fields.hpp"
#include "pipeline/report.hpp"

namespace witprove::pipeline {

std::string to_json_line(const JobMetric& m, std::string_view outcome) {
  return fmt::format(
      "{{\"block\":{},\"job\":{},\"segment\":{},\"rows\":{},\"seconds\":{:.3f},\"peak_memory_bytes\":{},\"attempt\":{},"
      "\"time\":{:.3f}{}}}\n",
      m.block, json_string(m.job), m.segment, m.rows, m.seconds, m.peak_memory_bytes, m.attempt,
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count(),
      outcome.empty() ? "" : fmt::format(",\"outcome\":{}", json_string(outcome)));
}

std::optional<MetricLine> parse_metric_line(std::string_view line) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object o;
  MetricLine l;
  std::string_view job;
  if (parser.parse(line.data(), line.size()).get(o) || o["block"].get(l.metric.block) || o["job"].get(job) ||
      o["seconds"].get(l.metric.seconds))
    return std::nullopt;
  l.metric.job = job;
  // The other fields are optional: lines of older runs, or of other tools, may lack them.
  read_optional(o, "segment", l.metric.segment);
  read_optional(o, "rows", l.metric.rows);
  read_optional(o, "peak_memory_bytes", l.metric.peak_memory_bytes);
  uint64_t attempt = 1;
  read_optional(o, "attempt", attempt);
  l.metric.attempt = static_cast<unsigned>(attempt);
  read_optional(o, "time", l.time);
  std::string_view outcome;
  read_optional(o, "outcome", outcome);
  l.outcome = outcome;
  return l;
}

std::vector<MetricLine> parse_metric_lines(std::string_view text, size_t* unreadable) {
  std::vector<MetricLine> lines;
  while (!text.empty()) {
    const size_t nl = std::min(text.find('\n'), text.size());
    const auto one = text.substr(0, nl);
    text.remove_prefix(std::min(nl + 1, text.size()));
    if (one.empty()) continue;
    if (auto line = parse_metric_line(one)) lines.push_back(std::move(*line));
    else if (unreadable) ++*unreadable;
  }
  return lines;
}

std::vector<MetricLine> read_metric_lines(const std::filesystem::path& path, size_t* unreadable) {
  std::ifstream in(path, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_metric_lines(text, unreadable);
}

double busy_seconds(const std::vector<MetricLine>& lines) {
  std::vector<std::pair<double, double>> spans;
  for (const auto& l : lines)
    if (l.time > 0) spans.emplace_back(l.time - l.metric.seconds, l.time);
  std::sort(spans.begin(), spans.end());
  double busy = 0, start = 0, end = -1;
  for (const auto& [a, b] : spans) {
    if (a > end) {
      if (end > start) busy += end - start;
      start = a;
      end = b;
    } else {
      end = std::max(end, b);
    }
  }
  if (end > start) busy += end - start;
  return busy;
}

uint64_t peak_memory_bytes() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<uint64_t>(u.ru_maxrss) * 1024;
}

MetricsLog::MetricsLog(const std::filesystem::path& path) : out_(std::fopen(path.c_str(), "a")) {
  if (!out_) throw std::runtime_error(fmt::format("{}: cannot open for metrics: {}", path.string(), std::strerror(errno)));
}

MetricsLog::~MetricsLog() {
  if (out_) std::fclose(out_);
}

void MetricsLog::write(const JobMetric& m, std::string_view outcome) {
  if (!out_) return;
  auto line = to_json_line(m, outcome);
  std::lock_guard lock(mutex_);
  std::fputs(line.c_str(), out_);
  std::fflush(out_);
}

std::unique_ptr<MetricsLog> open_metrics_log(const std::filesystem::path& path) {
  return path.empty() ? std::make_unique<MetricsLog>() : std::make_unique<MetricsLog>(path);
}

}  // namespace witprove::pipeline
