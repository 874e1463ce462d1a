// End-to-end: the operator's view of runs (summaries, Prometheus file, plots), a long generated range in
// bounded memory, and ranges on a real local Slurm cluster; the Kubernetes manifest's offline check.
#include <catch2/catch.hpp>
#include <simdjson.h>

#include <algorithm>
#include <cmath>

#include "test_prove_support.hpp"

using namespace witprove::test;

namespace {

std::string script(const std::string& name) {
  return fmt::format("WITPROVE_BIN={} WITPROVE_GENERATOR={} {}", q(binary_dir() / "apps"),
                     q(binary_dir() / "testdata" / "generate-witnesses"), q(source_dir() / "scripts" / name));
}

// Runs a self-checking script: exit 77 is a skip, with the script's reason.
void run_checking_script(const std::string& command) {
  auto r = run(command);
  if (r.status == 77) {
    std::printf("SKIPPED: %s\n", r.out.c_str());
    return;
  }
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(r.out.find("PASS") != std::string::npos);
}

// The value of a Prometheus sample line "NAME VALUE" in `text`; NaN when absent.
double sample(const std::string& text, const std::string& name) {
  auto at = text.find("\n" + name + " ");
  if (at == std::string::npos) return std::nan("");
  return std::stod(text.substr(at + name.size() + 2));
}

}  // namespace

TEST_CASE("example run: summary, Prometheus file and the four plots (PNG and SVG) from the example range") {
  if (std::system("command -v gnuplot > /dev/null") != 0) {
    std::printf("SKIPPED: gnuplot not installed (scripts/install-deps.sh --ops)\n");
    return;
  }
  const auto dir = scratch_dir("example-run");
  auto r = run(fmt::format("{} {}", script("example-run.sh"), q(dir)));
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  simdjson::dom::parser parser;
  const auto report_text = read_text(dir / "run" / "report.json");
  auto report = parser.parse(report_text);
  REQUIRE(!report.error());
  CHECK(int64_t(report["summary"]["proved"]) == 12);
  CHECK(int64_t(report["summary"]["failed"]) == 1);
  CHECK(int64_t(report["summary"]["missing"]) == 1);

  // The summary agrees with the report and the metric lines.
  auto s = run(fmt::format("{} {} --format json", app("summarize-run"), q(dir / "run")));
  REQUIRE(s.status == 0);
  simdjson::dom::parser summary_parser;
  auto summary = summary_parser.parse(s.out);
  REQUIRE(!summary.error());
  CHECK(int64_t(summary["blocks"]["proved"]) == 12);
  CHECK(int64_t(summary["failures_by_class"]["unprovable"]) == 1);
  bool attempts_seen = false;
  for (auto job : summary["jobs"].get_array()) {
    const double p50 = job["p50_seconds"], p95 = job["p95_seconds"], max = job["max_seconds"];
    CHECK(p50 <= p95);
    CHECK(p95 <= max);
    if (std::string_view(job["job"]) == "prove-attempt") {
      attempts_seen = true;
      CHECK(int64_t(job["count"]) == 13);  // 12 proved, 1 unprovable
    }
  }
  CHECK(attempts_seen);
  CHECK(double(summary["permutations_per_second"]) > 0);
  CHECK(int64_t(summary["slowest"].at(0)["txs"]) == 32);  // the largest blocks are the slowest

  const auto prom = read_text(dir / "run" / "witprove.prom");
  CHECK(sample(prom, "witprove_range_blocks{status=\"proved\"}") == 12);
  CHECK(sample(prom, "witprove_range_blocks{status=\"pending\"}") == 0);
  CHECK(sample(prom, "witprove_range_running") == 0);
  CHECK(sample(prom, "witprove_job_seconds_count{job=\"prove-segment\"}") == 12);

  for (const char* plot : {"time-vs-txs", "time-vs-witness", "memory-per-block", "timeline"}) {
    INFO(plot);
    const auto png = read_text(dir / "plots" / (std::string(plot) + ".png"));
    REQUIRE(png.size() > 8000);  // an empty frame is about 5 KB
    CHECK(png.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
    const auto svg = read_text(dir / "plots" / (std::string(plot) + ".svg"));
    CHECK(svg.find("<svg") != std::string::npos);
  }
  // Each plot says what it shows.
  CHECK(read_text(dir / "plots" / "time-vs-txs.svg").find("against its transactions") != std::string::npos);
  CHECK(read_text(dir / "plots" / "time-vs-witness.svg").find("against its witness size") != std::string::npos);
  CHECK(read_text(dir / "plots" / "memory-per-block.svg").find("Peak memory per block") != std::string::npos);
  CHECK(read_text(dir / "plots" / "timeline.svg").find("prove-segment") != std::string::npos);
}

TEST_CASE("prove-range: 1,000 generated blocks stream in bounded memory, the Prometheus file follows the run, the summary adds up",
          "[long]") {
  const auto dir = scratch_dir("range-1000");
  auto g = run(fmt::format("{} --seed 9 --blocks 1000 --txs 1 --accounts 4 --withdrawals 0 --first-block 5000 -o {}",
                           q(binary_dir() / "testdata" / "generate-witnesses"), q(dir / "range.tar.xz")));
  REQUIRE(g.status == 0);
  const auto out = dir / "out";
  start_range(dir, "", fmt::format("{} 5000 5999 --output-dir {} --jobs 2 --threads 2 --prometheus {}",
                                   q(dir / "range.tar.xz"), q(out), q(dir / "range.prom")));
  // During the run: the gauge file is there, running, with blocks still pending.
  bool seen_running = false;
  for (int i = 0; i < 6000 && !fs::exists(dir / "rc") && !seen_running; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (!fs::exists(dir / "range.prom")) continue;
    const auto prom = read_text(dir / "range.prom");
    const double proved = sample(prom, "witprove_range_blocks{status=\"proved\"}");
    seen_running = sample(prom, "witprove_range_running") == 1 && proved >= 1 && proved < 1000 &&
                   sample(prom, "witprove_range_blocks{status=\"pending\"}") == 1000 - proved &&
                   sample(prom, "witprove_range_last_progress_time_seconds") > 0;
  }
  CHECK(seen_running);
  REQUIRE(wait_for(dir / "rc", std::chrono::seconds(1500)));
  INFO(read_text(dir / "err.txt").substr(0, 4000));
  REQUIRE(read_text(dir / "rc") == "0\n");

  simdjson::dom::parser parser;
  const auto report_text = read_text(out / "report.json");
  auto report = parser.parse(report_text);
  REQUIRE(!report.error());
  CHECK(int64_t(report["summary"]["proved"]) == 1000);
  uint64_t witness_bytes = 0;
  for (auto b : report["blocks"].get_array()) witness_bytes += uint64_t(b["witness_bytes"]);
  // prove-range's own peak memory (its "range" metric line) stays below the range's witness text, which it
  // would exceed if it held the range.
  uint64_t own_peak = 0;
  {
    std::ifstream metrics(out / "metrics.jsonl");
    simdjson::dom::parser line_parser;
    for (std::string line; std::getline(metrics, line);) {
      auto m = line_parser.parse(line);
      if (!m.error() && std::string_view(m["job"]) == "range") own_peak = uint64_t(m["peak_memory_bytes"]);
    }
  }
  INFO("prove-range peak " << own_peak << " bytes, witnesses " << witness_bytes << " bytes");
  CHECK(witness_bytes > 20'000'000);
  CHECK(own_peak > 0);
  CHECK(own_peak < witness_bytes * 3 / 4);

  const auto prom = read_text(dir / "range.prom");
  CHECK(sample(prom, "witprove_range_blocks{status=\"proved\"}") == 1000);
  CHECK(sample(prom, "witprove_range_blocks{status=\"pending\"}") == 0);
  CHECK(sample(prom, "witprove_range_attempts_total{outcome=\"proved\"}") == 1000);
  CHECK(sample(prom, "witprove_range_txs_proved_total") == 1000);
  CHECK(sample(prom, "witprove_job_seconds_count{job=\"prove-attempt\"}") == 1000);
  CHECK(sample(prom, "witprove_range_in_flight") == 0);
  CHECK(sample(prom, "witprove_range_running") == 0);

  auto s = run(fmt::format("{} {} --format json", app("summarize-run"), q(out)));
  REQUIRE(s.status == 0);
  simdjson::dom::parser summary_parser;
  auto summary = summary_parser.parse(s.out);
  REQUIRE(!summary.error());
  CHECK(int64_t(summary["blocks"]["proved"]) == 1000);
  CHECK(int64_t(summary["extra_attempts"]) == 0);
  const double wall = report["summary"]["wall_seconds"];
  // Over the metric lines' span, which is the run's wall time less its start and end.
  CHECK(double(summary["seconds"]) <= wall);
  CHECK(double(summary["seconds"]) > wall * 0.9);
  CHECK(double(summary["blocks_per_hour"]) == Approx(1000 * 3600.0 / double(summary["seconds"])).epsilon(0.01));
  for (auto job : summary["jobs"].get_array())
    if (std::string_view(job["job"]) == "prove-attempt") CHECK(int64_t(job["count"]) == 1000);
}

TEST_CASE("analyze-witnesses --estimate gives the prover's own plan, and every tool writes --metrics lines") {
  const auto dir = scratch_dir("estimate");
  const auto witnesses = testdata_dir() / "generated" / "combined.json";
  auto a = run(fmt::format("{} {} 1000 1000 --estimate --prover-threads 2 --max-memory 4G --format json --metrics {}",
                           app("analyze-witnesses"), q(witnesses), q(dir / "analyze.jsonl")));
  INFO(a.err);
  REQUIRE(a.status == 0);
  simdjson::dom::parser parser;
  auto doc = parser.parse(a.out);
  REQUIRE(!doc.error());
  auto estimate = doc["blocks"].at(0)["estimate"];
  REQUIRE(!estimate.error());
  auto p = run(fmt::format("{} --witness {} --block 1000 --threads 2 --max-memory 4G --output {} --metrics {}",
                           app("prove-witness"), q(witnesses), q(dir / "1000.proof"), q(dir / "prove.jsonl")));
  INFO(p.err);
  REQUIRE(p.status == 0);
  uint64_t permutations = 0, cells = 0, segments = 0, peak = 0;
  std::ifstream lines(dir / "prove.jsonl");
  simdjson::dom::parser line_parser;
  for (std::string line; std::getline(lines, line);) {
    auto m = line_parser.parse(line);
    REQUIRE(!m.error());
    const std::string_view job = m["job"];
    if (job == "build-tables") permutations = uint64_t(m["rows"]);
    if (job == "prove-segment") {
      cells += uint64_t(m["rows"]);
      ++segments;
    }
    peak = std::max(peak, uint64_t(m["peak_memory_bytes"]));
  }
  CHECK(uint64_t(estimate["permutations"]) == permutations);
  CHECK(uint64_t(estimate["cells"]) == cells);
  CHECK(uint64_t(estimate["segments"]) == segments);
  // The engine's memory estimate is of the order of what the prover held (not under a sanitizer, whose
  // shadow memory multiplies the resident size).
  INFO("estimated " << uint64_t(estimate["memory_bytes"]) << ", peak " << peak);
  if (!kSanitizedBuild) {
    CHECK(uint64_t(estimate["memory_bytes"]) >= peak / 2);
    CHECK(uint64_t(estimate["memory_bytes"]) <= peak * 4);
  }
  CHECK(double(estimate["seconds"]) > 0);

  auto analyze_lines = read_text(dir / "analyze.jsonl");
  CHECK(std::count(analyze_lines.begin(), analyze_lines.end(), '\n') == 1);
  CHECK(analyze_lines.find("\"job\":\"check\"") != std::string::npos);
  auto v = run(fmt::format("{} {} {} --metrics {}", app("verify-proof"), q(dir / "1000.proof"), q(dir / "1000.proof"),
                           q(dir / "verify.jsonl")));
  REQUIRE(v.status == 0);
  auto verify_lines = read_text(dir / "verify.jsonl");
  CHECK(std::count(verify_lines.begin(), verify_lines.end(), '\n') == 2);
  CHECK(verify_lines.find("\"job\":\"verify-proof\"") != std::string::npos);
  CHECK(verify_lines.find("\"outcome\":\"valid\"") != std::string::npos);
}

TEST_CASE("slurm: a range with an unprovable and missing blocks on a local cluster, standalone and chained, then resubmitted") {
  run_checking_script(fmt::format("LOCAL_SLURM_PORT=6917 {}", script("slurm/test-slurm-range.sh")));
}

TEST_CASE("slurm: the local cluster runs arrays with a throttle, dependencies and memory scheduling, and stops clean") {
  run_checking_script(fmt::format("LOCAL_SLURM_PORT=6927 {}", script("slurm/test-local-cluster.sh")));
}

TEST_CASE("k8s: the Indexed Job manifest passes its schema check, broken copies fail it") {
  run_checking_script(script("k8s/test-check-manifest.sh"));
}
