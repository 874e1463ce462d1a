// The operator's view of a run: metric lines read back, reports read back, the run summary, the Prometheus
// gauge file.
#include <catch2/catch.hpp>

#include <fstream>

#include "pipeline/prometheus.hpp"
#include "pipeline/run_summary.hpp"
#include "test_support.hpp"

using namespace witprove::pipeline;

namespace {

MetricLine line(uint64_t block, std::string job, double seconds, double time, uint64_t rows = 0, uint64_t peak = 0,
                unsigned attempt = 1, std::string outcome = {}) {
  MetricLine l;
  l.metric.block = block;
  l.metric.job = std::move(job);
  l.metric.seconds = seconds;
  l.metric.rows = rows;
  l.metric.peak_memory_bytes = peak;
  l.metric.attempt = attempt;
  l.time = time;
  l.outcome = std::move(outcome);
  return l;
}

BlockReport block(uint64_t n, BlockStatus status, unsigned attempts, double seconds, uint64_t txs,
                  std::optional<Outcome> outcome, uint64_t witness_bytes = 0) {
  BlockReport b;
  b.block = n;
  b.status = status;
  b.attempts = attempts;
  b.seconds = seconds;
  b.txs = txs;
  b.outcome = outcome;
  b.witness_bytes = witness_bytes;
  return b;
}

}  // namespace

TEST_CASE("metric lines read back as written, and lines of other shapes are refused") {
  const auto written = to_json_line({7, "prove-attempt", -1, 12, 2.5, 1 << 20, 3}, "timeout");
  auto back = parse_metric_line(written);
  REQUIRE(back);
  CHECK(back->metric.block == 7);
  CHECK(back->metric.job == "prove-attempt");
  CHECK(back->metric.segment == -1);
  CHECK(back->metric.rows == 12);
  CHECK(back->metric.seconds == Approx(2.5));
  CHECK(back->metric.peak_memory_bytes == 1u << 20);
  CHECK(back->metric.attempt == 3);
  CHECK(back->outcome == "timeout");
  CHECK(back->time > 1.7e9);
  CHECK_FALSE(parse_metric_line("{\"block\":7,\"job\":\"x\""));  // cut short by a killed run
  CHECK_FALSE(parse_metric_line("{\"job\":\"x\",\"seconds\":1}"));  // no block
  CHECK_FALSE(parse_metric_line("[]"));
}

TEST_CASE("a report reads back as written") {
  std::vector<BlockReport> blocks = {block(10, BlockStatus::proved, 2, 2.5, 7, Outcome::proved, 4096),
                                     block(11, BlockStatus::failed, 1, 0.1, 3, Outcome::unprovable),
                                     block(12, BlockStatus::missing, 0, 0, 0, std::nullopt)};
  blocks[1].error = "not provable: \"bad\"";
  blocks[0].chain_break = true;
  std::string error;
  auto back = parse_report_json(report_json(blocks, summarize(blocks, 30), "chained"), error);
  REQUIRE(back);
  CHECK(back->mode == "chained");
  CHECK(back->wall_seconds == Approx(30));
  REQUIRE(back->blocks.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(back->blocks[i].block == blocks[i].block);
    CHECK(back->blocks[i].status == blocks[i].status);
    CHECK(back->blocks[i].attempts == blocks[i].attempts);
    CHECK(back->blocks[i].seconds == Approx(blocks[i].seconds));
    CHECK(back->blocks[i].txs == blocks[i].txs);
    CHECK(back->blocks[i].witness_bytes == blocks[i].witness_bytes);
    CHECK(back->blocks[i].error == blocks[i].error);
    CHECK(back->blocks[i].outcome == blocks[i].outcome);
    CHECK(back->blocks[i].chain_break == blocks[i].chain_break);
  }
  CHECK_FALSE(parse_report_json("{\"blocks\":[]}", error));
  CHECK(error.find("summary") != std::string::npos);
  CHECK_FALSE(parse_report_json("{\"blocks\":[{\"block\":1,\"status\":\"exploded\"}],\"summary\":{}}", error));
  CHECK(error.find("exploded") != std::string::npos);
}

TEST_CASE("run summary: percentiles by nearest rank, retries, failures by class, throughput over the metrics' span") {
  std::vector<MetricLine> metrics;
  // prove-segment seconds 1..20 ending at 1000 + 5 n: p50 is the 10th value, p95 the 19th.
  for (int n = 1; n <= 20; ++n) metrics.push_back(line(100 + n % 4, "prove-segment", n, 1000 + 5 * n));
  metrics.push_back(line(100, "build-tables", 0.5, 1001, 300, 2'000'000'000));
  metrics.push_back(line(101, "build-tables", 0.5, 1002, 500, 3'000'000'000));
  metrics.push_back(line(102, "build-tables", 0.5, 1003, 700));
  metrics.push_back(line(101, "prove-attempt", 40, 1050, 0, 0, 1, "out-of-memory"));
  metrics.push_back(line(101, "prove-attempt", 30, 1090, 0, 0, 2, "proved"));
  metrics.push_back(line(100, "range", 1, 1100, 4, 5'000'000'000));  // the runner's own line: not block 100's
  std::vector<BlockReport> blocks = {block(100, BlockStatus::proved, 1, 12, 10, Outcome::proved),
                                     block(101, BlockStatus::proved, 2, 70, 20, Outcome::proved),
                                     block(102, BlockStatus::failed, 3, 90, 5, Outcome::timeout),
                                     block(103, BlockStatus::missing, 0, 0, 0, std::nullopt)};
  const auto s = summarize_run(metrics, blocks, 12345);
  const auto& segment = *std::find_if(s.jobs.begin(), s.jobs.end(), [](const JobStats& j) { return j.job == "prove-segment"; });
  CHECK(segment.count == 20);
  CHECK(segment.p50 == 10);
  CHECK(segment.p95 == 19);
  CHECK(segment.max == 20);
  CHECK(segment.total == 210);
  CHECK(s.jobs.front().job == "prove-segment");  // the most seconds first
  // Jobs ran from 1000.5 to 1100 but for the gaps 1001-1001.5, 1002-1002.5, 1003-1004 and 1005-1008.
  CHECK(s.span_seconds == Approx(94.5));
  CHECK(s.range.proved == 2);
  CHECK(s.range.failed == 1);
  CHECK(s.range.missing == 1);
  CHECK(s.range.failures_by_class == std::map<std::string, size_t>{{"timeout", 1}});
  CHECK(s.retried_blocks == 2);
  CHECK(s.extra_attempts == 3);
  CHECK(s.permutations_proved == 800);  // blocks 100 and 101; 102 failed
  CHECK(s.permutations_per_second == Approx(800.0 / 94.5));
  CHECK(s.range.blocks_per_hour == Approx(2 * 3600.0 / 94.5));
  CHECK(s.range.txs_per_hour == Approx(30 * 3600.0 / 94.5));
  CHECK(s.peak_memory_bytes == 5'000'000'000);
  REQUIRE(s.blocks.front().block == 100);
  CHECK(s.blocks.front().peak_memory_bytes == 2'000'000'000);
  REQUIRE(s.slowest.size() == 3);
  CHECK(s.slowest[0].block == 102);
  CHECK(s.slowest[1].block == 101);
  CHECK(s.slowest[1].peak_memory_bytes == 3'000'000'000);
  // Without times on the lines, throughput is over the report's wall time.
  for (auto& m : metrics) m.time = 0;
  CHECK(summarize_run(metrics, blocks, 3600).range.blocks_per_hour == Approx(2));

  const auto dir = witprove::test::scratch_dir("run-summary-plot-data");
  write_plot_data(s, metrics, dir);
  const auto tsv = witprove::test::read_text(dir / "blocks.tsv");
  CHECK(tsv.find("101\t20\t0\t70.000\t3000000000\t500\tproved\n") != std::string::npos);
  CHECK(tsv.find("103\t0\t0\t0.000\t0\t0\tmissing\n") != std::string::npos);
}

TEST_CASE("busy seconds: overlapping jobs count once, the gap between a run and its resumption not at all") {
  std::vector<MetricLine> lines = {line(1, "prove-segment", 10, 110), line(2, "prove-segment", 10, 105),
                                   line(1, "prove-attempt", 12, 111),
                                   line(3, "prove-attempt", 5, 10'005)};  // resumed hours later
  CHECK(busy_seconds(lines) == Approx(21));  // 95..111 and 10,000..10,005
  lines.push_back(line(4, "check", 1, 0));   // no time: not counted
  CHECK(busy_seconds(lines) == Approx(21));
  CHECK(busy_seconds({}) == 0);
}

TEST_CASE("Prometheus file: every family typed, blocks by status, pending, job seconds, and the run's times") {
  RunState s;
  s.blocks = 10;
  s.by_status = {{"proved", 6}, {"failed", 1}};
  s.attempts = {{"proved", 6}, {"timeout", 2}};
  s.jobs = {{"prove-segment", {12.5, 4}}};
  s.in_flight = 2;
  s.txs_proved = 42;
  s.start_time = 1000;
  s.last_progress_time = 1234.5;
  const auto text = prometheus_text(s);
  for (const char* expected :
       {"witprove_range_blocks{status=\"pending\"} 3\n", "witprove_range_blocks{status=\"proved\"} 6\n",
        "witprove_range_blocks{status=\"missing\"} 0\n", "witprove_range_in_flight 2\n",
        "witprove_range_attempts_total{outcome=\"timeout\"} 2\n", "witprove_range_txs_proved_total 42\n",
        "witprove_job_seconds_sum{job=\"prove-segment\"} 12.500\n", "witprove_job_seconds_count{job=\"prove-segment\"} 4\n",
        "witprove_range_last_progress_time_seconds 1234.500\n", "witprove_range_running 1\n"})
    CHECK(text.find(expected) != std::string::npos);
  // Every sample belongs to a family with HELP and TYPE lines before it.
  std::string family;
  size_t samples = 0;
  for (size_t at = 0; at < text.size();) {
    const auto nl = text.find('\n', at);
    const std::string l = text.substr(at, nl - at);
    at = nl + 1;
    if (l.rfind("# TYPE ", 0) == 0) family = l.substr(7, l.find(' ', 7) - 7);
    if (l[0] == '#') continue;
    ++samples;
    INFO(l);
    CHECK_FALSE(family.empty());
    CHECK(l.rfind(family, 0) == 0);
  }
  CHECK(samples == 15);  // 6 block states, in flight, 2 outcomes, txs, 2 job lines, 2 times, running
}

TEST_CASE("Prometheus file: job seconds are folded from whole metric lines only, and earlier runs' lines are not counted") {
  const auto dir = witprove::test::scratch_dir("prometheus-tail");
  const auto metrics = dir / "metrics.jsonl";
  const auto prom = dir / "run.prom";
  std::ofstream(metrics) << to_json_line({1, "prove-segment", 0, 0, 100, 0, 1});  // an earlier run's
  RunGauges gauges(prom, metrics, 3);
  {
    std::ofstream out(metrics, std::ios::app);
    out << to_json_line({2, "prove-segment", 0, 0, 1.5, 0, 1}) << "{\"block\":3,\"job\":\"prove-seg";  // cut short
  }
  gauges.started();
  gauges.write();
  auto text = witprove::test::read_text(prom);
  CHECK(text.find("witprove_job_seconds_sum{job=\"prove-segment\"} 1.500\n") != std::string::npos);
  CHECK(text.find("witprove_range_in_flight 1\n") != std::string::npos);
  {
    std::ofstream out(metrics, std::ios::app);
    out << "ment\",\"segment\":0,\"seconds\":2.0}\n";  // the line completed
  }
  gauges.attempt_ended(Outcome::proved);
  BlockReport b;
  b.block = 2;
  b.status = BlockStatus::proved;
  b.txs = 5;
  gauges.finished(b);
  gauges.write(false);
  text = witprove::test::read_text(prom);
  CHECK(text.find("witprove_job_seconds_sum{job=\"prove-segment\"} 3.500\n") != std::string::npos);
  CHECK(text.find("witprove_job_seconds_count{job=\"prove-segment\"} 2\n") != std::string::npos);
  CHECK(text.find("witprove_range_blocks{status=\"pending\"} 2\n") != std::string::npos);
  CHECK(text.find("witprove_range_txs_proved_total 5\n") != std::string::npos);
  CHECK(text.find("witprove_range_running 0\n") != std::string::npos);
  CHECK(text.find("witprove_range_in_flight 0\n") != std::string::npos);
}
