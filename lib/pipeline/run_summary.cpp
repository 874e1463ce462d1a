#include "pipeline/run_summary.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <stdexcept>

#include "pipeline/cli.hpp"

namespace witprove::pipeline {
namespace {

// Nearest-rank percentile of sorted values.
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

std::string gigabytes(uint64_t bytes) { return fmt::format("{:.2f}", static_cast<double>(bytes) / 1e9); }

}  // namespace

RunSummary summarize_run(const std::vector<MetricLine>& metrics, const std::vector<BlockReport>& blocks,
                         double wall_seconds) {
  RunSummary s;
  std::map<std::string, std::vector<double>> seconds_by_job;
  std::map<uint64_t, BlockCost> costs;
  for (const auto& line : metrics) {
    const auto& m = line.metric;
    seconds_by_job[m.job].push_back(m.seconds);
    s.peak_memory_bytes = std::max(s.peak_memory_bytes, m.peak_memory_bytes);
    if (m.job == "range") continue;  // the runner's own line, not a block's
    auto& c = costs[m.block];
    c.block = m.block;
    c.peak_memory_bytes = std::max(c.peak_memory_bytes, m.peak_memory_bytes);
    if (m.job == "build-tables") c.permutations = m.rows;
  }
  s.span_seconds = busy_seconds(metrics);
  for (auto& [job, values] : seconds_by_job) {
    std::sort(values.begin(), values.end());
    JobStats j{job, values.size(), 0, percentile(values, 50), percentile(values, 95), values.back()};
    for (double v : values) j.total += v;
    s.jobs.push_back(std::move(j));
  }
  std::stable_sort(s.jobs.begin(), s.jobs.end(), [](const JobStats& a, const JobStats& b) { return a.total > b.total; });

  const double seconds = s.span_seconds > 0 ? s.span_seconds : wall_seconds;
  s.range = summarize(blocks, seconds);
  for (const auto& b : blocks) {
    auto& c = costs[b.block];
    c.block = b.block;
    c.seconds = b.seconds;
    c.txs = b.txs;
    c.witness_bytes = b.witness_bytes;
    c.attempts = b.attempts;
    c.status = to_string(b.status);
    if (b.attempts > 1) {
      ++s.retried_blocks;
      s.extra_attempts += b.attempts - 1;
    }
    if (b.status == BlockStatus::proved) s.permutations_proved += c.permutations;
  }
  if (seconds > 0) s.permutations_per_second = static_cast<double>(s.permutations_proved) / seconds;
  for (auto& [n, c] : costs) s.blocks.push_back(c);
  for (const auto& c : s.blocks)
    if (c.status == "proved" || c.status == "failed") s.slowest.push_back(c);
  std::stable_sort(s.slowest.begin(), s.slowest.end(), [](const BlockCost& a, const BlockCost& b) { return a.seconds > b.seconds; });
  if (s.slowest.size() > 5) s.slowest.resize(5);
  return s;
}

namespace {

Table job_table(const RunSummary& s) {
  Table t{{"job", "count", "total_s", "p50_s", "p95_s", "max_s"}, {}};
  for (const auto& j : s.jobs)
    t.rows.push_back({j.job, std::to_string(j.count), fmt::format("{:.3f}", j.total), fmt::format("{:.3f}", j.p50),
                      fmt::format("{:.3f}", j.p95), fmt::format("{:.3f}", j.max)});
  return t;
}

std::string classes_text(const RunSummary& s) {
  std::string out;
  for (const auto& [name, count] : s.range.failures_by_class)
    out += fmt::format("{}{} {}", out.empty() ? "" : ", ", name, count);
  return out.empty() ? "none" : out;
}

}  // namespace

std::string run_summary_text(const RunSummary& s) {
  const auto& r = s.range;
  std::string out = format_table(job_table(s));
  out += fmt::format(
      "\nblocks: proved {}, failed {}, missing {}, skipped {}, interrupted {}\n"
      "retries: {} extra attempts over {} blocks; failures by class: {}\n"
      "throughput over {:.1f}s: {:.1f} blocks/h, {:.1f} txs/h, {:.1f} Keccak-f permutations/s; peak memory {} GB\n",
      r.proved, r.failed, r.missing, r.skipped, r.interrupted, s.extra_attempts, s.retried_blocks, classes_text(s),
      r.wall_seconds, r.blocks_per_hour, r.txs_per_hour, s.permutations_per_second, gigabytes(s.peak_memory_bytes));
  if (!s.slowest.empty()) {
    Table t{{"slowest", "status", "seconds", "attempts", "txs", "witness_bytes", "permutations", "peak_gb"}, {}};
    for (const auto& c : s.slowest)
      t.rows.push_back({std::to_string(c.block), c.status, fmt::format("{:.2f}", c.seconds), std::to_string(c.attempts),
                        std::to_string(c.txs), std::to_string(c.witness_bytes), std::to_string(c.permutations),
                        gigabytes(c.peak_memory_bytes)});
    out += "\n" + format_table(t);
  }
  return out;
}

std::string run_summary_csv(const RunSummary& s) { return format_csv(job_table(s)); }

std::string run_summary_json(const RunSummary& s) {
  const auto& r = s.range;
  std::string jobs, classes, slowest;
  for (const auto& j : s.jobs)
    jobs += fmt::format("{}{{\"job\":{},\"count\":{},\"total_seconds\":{:.3f},\"p50_seconds\":{:.3f},"
                        "\"p95_seconds\":{:.3f},\"max_seconds\":{:.3f}}}",
                        jobs.empty() ? "" : ",", json_string(j.job), j.count, j.total, j.p50, j.p95, j.max);
  for (const auto& [name, count] : r.failures_by_class)
    classes += fmt::format("{}{}:{}", classes.empty() ? "" : ",", json_string(name), count);
  for (const auto& c : s.slowest)
    slowest += fmt::format("{}{{\"block\":{},\"status\":\"{}\",\"seconds\":{:.3f},\"attempts\":{},\"txs\":{},"
                           "\"witness_bytes\":{},\"permutations\":{},\"peak_memory_bytes\":{}}}",
                           slowest.empty() ? "" : ",", c.block, c.status, c.seconds, c.attempts, c.txs,
                           c.witness_bytes, c.permutations, c.peak_memory_bytes);
  return fmt::format(
      "{{\"jobs\":[{}],\"blocks\":{{\"proved\":{},\"failed\":{},\"missing\":{},\"skipped\":{},\"interrupted\":{}}},"
      "\"retried_blocks\":{},\"extra_attempts\":{},\"failures_by_class\":{{{}}},\"seconds\":{:.3f},"
      "\"blocks_per_hour\":{:.2f},\"txs_per_hour\":{:.2f},\"permutations_proved\":{},\"permutations_per_second\":{:.2f},"
      "\"peak_memory_bytes\":{},\"slowest\":[{}]}}\n",
      jobs, r.proved, r.failed, r.missing, r.skipped, r.interrupted, s.retried_blocks, s.extra_attempts, classes,
      r.wall_seconds, r.blocks_per_hour, r.txs_per_hour, s.permutations_proved, s.permutations_per_second,
      s.peak_memory_bytes, slowest);
}

void write_plot_data(const RunSummary& s, const std::vector<MetricLine>& metrics, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  auto open = [&](const char* name) {
    std::ofstream out(dir / name);
    if (!out) throw std::runtime_error(fmt::format("{}: cannot write", (dir / name).string()));
    return out;
  };
  auto blocks = open("blocks.tsv");
  blocks << "# block\ttxs\twitness_bytes\tseconds\tpeak_memory_bytes\tpermutations\tstatus\n";
  for (const auto& c : s.blocks)
    blocks << fmt::format("{}\t{}\t{}\t{:.3f}\t{}\t{}\t{}\n", c.block, c.txs, c.witness_bytes, c.seconds,
                          c.peak_memory_bytes, c.permutations, c.status);
  // The timeline: each attempt at a block (prove-range's prove-attempt line, else the prover's prove-block
  // line) on the first free lane, its inner jobs on the same lane; lines outside any attempt are left out.
  auto jobs = open("jobs.tsv");
  jobs << "# start\tend\tjob\tblock\tlane\n";
  double first = std::numeric_limits<double>::infinity();
  for (const auto& l : metrics)
    if (l.time > 0) first = std::min(first, l.time - l.metric.seconds);
  std::map<std::pair<uint64_t, unsigned>, const MetricLine*> attempts;  // (block, attempt) -> its line
  for (const auto& l : metrics) {
    if (l.time <= 0 || (l.metric.job != "prove-attempt" && l.metric.job != "prove-block")) continue;
    auto& a = attempts[{l.metric.block, l.metric.attempt}];
    if (!a || l.metric.job == "prove-attempt") a = &l;
  }
  std::vector<const MetricLine*> by_start;
  for (const auto& [key, l] : attempts) by_start.push_back(l);
  auto start_of = [](const MetricLine* l) { return l->time - l->metric.seconds; };
  std::stable_sort(by_start.begin(), by_start.end(), [&](auto* a, auto* b) { return start_of(a) < start_of(b); });
  std::vector<double> lane_free;  // when each lane's last attempt ended
  std::map<std::pair<uint64_t, unsigned>, size_t> lane_of;
  for (const auto* l : by_start) {
    size_t lane = 0;
    while (lane < lane_free.size() && lane_free[lane] > start_of(l) + 1e-3) ++lane;
    if (lane == lane_free.size()) lane_free.push_back(0);
    lane_free[lane] = l->time;
    lane_of[{l->metric.block, l->metric.attempt}] = lane;
  }
  for (const auto& l : metrics) {
    auto lane = lane_of.find({l.metric.block, l.metric.attempt});
    if (l.time <= 0 || lane == lane_of.end() || l.metric.job == "range") continue;
    jobs << fmt::format("{:.3f}\t{:.3f}\t{}\t{}\t{}\n", start_of(&l) - first, l.time - first, l.metric.job,
                        l.metric.block, lane->second + 1);
  }
  if (!blocks || !jobs) throw std::runtime_error(fmt::format("{}: cannot write the plot data", dir.string()));
}

}  // namespace witprove::pipeline
