#include <catch2/catch.hpp>
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include "pipeline/cli.hpp"
#include "pipeline/metrics.hpp"
#include "pipeline/range.hpp"
#include "pipeline/report.hpp"

using namespace witprove::pipeline;

TEST_CASE("report: JSON has the documented names and counts") {
  std::vector<BlockReport> blocks = {
      {10, BlockStatus::proved, 1, 2.5, 7, "", false, Outcome::proved, 1234},
      {11, BlockStatus::failed, 1, 0.1, 3, "not provable: \"bad\"\nnode", false, Outcome::unprovable, 0},
      {12, BlockStatus::missing, 0, 0, 0, "no witness", false, std::nullopt, 0},
      {13, BlockStatus::skipped, 0, 0, 5, "", true, std::nullopt, 0},
      {14, BlockStatus::interrupted, 1, 0.5, 2, "the run was stopped", false, Outcome::interrupted, 0},
  };
  auto summary = summarize(blocks, 3600);
  CHECK(summary.proved == 1);
  CHECK(summary.failed == 1);
  CHECK(summary.missing == 1);
  CHECK(summary.skipped == 1);
  CHECK(summary.interrupted == 1);
  CHECK(summary.failures_by_class == std::map<std::string, size_t>{{"interrupted", 1}, {"unprovable", 1}});
  CHECK(summary.txs_per_hour == Approx(7));
  auto json = report_json(blocks, summary, "chained");
  simdjson::dom::parser parser;
  auto doc = parser.parse(json);
  REQUIRE(!doc.error());
  auto list = doc["blocks"].get_array();
  REQUIRE(list.size() == 5);
  CHECK(int64_t(list.at(0)["witness_bytes"]) == 1234);
  CHECK(int64_t(list.at(1)["block"]) == 11);
  CHECK(std::string_view(list.at(1)["status"]) == "failed");
  CHECK(std::string_view(list.at(1)["outcome"]) == "unprovable");
  CHECK(list.at(2)["outcome"].error());  // not attempted
  CHECK(std::string_view(list.at(4)["status"]) == "interrupted");
  CHECK(std::string_view(list.at(1)["error"]) == "not provable: \"bad\"\nnode");
  CHECK(int64_t(list.at(0)["attempts"]) == 1);
  CHECK(double(list.at(0)["seconds"]) == Approx(2.5));
  CHECK(int64_t(list.at(0)["txs"]) == 7);
  CHECK(std::string_view(list.at(2)["status"]) == "missing");
  CHECK(std::string_view(list.at(3)["status"]) == "skipped");
  auto s = doc["summary"];
  for (auto key : {"proved", "failed", "missing", "skipped", "interrupted"}) CHECK(int64_t(s[key]) == 1);
  CHECK(int64_t(s["failures_by_class"]["unprovable"]) == 1);
  CHECK(double(s["txs_per_hour"]) == Approx(7));
  CHECK(double(s["wall_seconds"]) == Approx(3600));
  CHECK(int64_t(s["chain_breaks"].at(0)) == 13);
  auto text = report_text(blocks, summary);
  CHECK(text.find("chain breaks here") != std::string::npos);
  CHECK(text.find("proved 1, failed 1, missing 1, skipped 1, interrupted 1 of 5 blocks") != std::string::npos);
  CHECK(text.find("failures by class: interrupted 1, unprovable 1") != std::string::npos);
}

TEST_CASE("report: a long range's summary lists only the blocks needing attention") {
  std::vector<BlockReport> blocks;
  for (uint64_t n = 0; n < 30; ++n) blocks.push_back({n, BlockStatus::proved, 1, 1.0, 2, "", false, Outcome::proved, 0});
  blocks[17] = {17, BlockStatus::failed, 2, 1.0, 2, "out of memory", false, Outcome::out_of_memory, 0};
  auto text = report_text(blocks, summarize(blocks, 60));
  CHECK(text.find("out of memory") != std::string::npos);
  CHECK(text.find("proved 29, failed 1") != std::string::npos);
  CHECK(std::count(text.begin(), text.end(), '\n') == 5);  // header, block 17, note, totals, classes
}

TEST_CASE("report: metric lines are JSON with every field") {
  auto line = to_json_line({42, "prove-segment", 3, 682, 1.25, 1 << 20, 2});
  simdjson::dom::parser parser;
  auto doc = parser.parse(line);
  REQUIRE(!doc.error());
  CHECK(int64_t(doc["block"]) == 42);
  CHECK(std::string_view(doc["job"]) == "prove-segment");
  CHECK(int64_t(doc["segment"]) == 3);
  CHECK(int64_t(doc["rows"]) == 682);
  CHECK(int64_t(doc["peak_memory_bytes"]) == 1 << 20);
  CHECK(int64_t(doc["attempt"]) == 2);
  CHECK(doc["outcome"].error());
  const auto now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(std::abs(double(doc["time"]) - now) < 60);  // the job's end, Unix seconds
  CHECK(peak_memory_bytes() > 0);
  auto attempt = parser.parse(to_json_line({42, "prove-attempt", -1, 0, 3.5, 1 << 20, 1}, "timeout"));
  REQUIRE(!attempt.error());
  CHECK(std::string_view(attempt["outcome"]) == "timeout");
}

TEST_CASE("range: only resource failures are retried") {
  for (Outcome o : {Outcome::out_of_memory, Outcome::killed, Outcome::timeout}) CHECK(is_transient(o));
  for (Outcome o : {Outcome::proved, Outcome::unprovable, Outcome::interrupted, Outcome::usage}) CHECK_FALSE(is_transient(o));
  CHECK(proof_path("out", 17) == std::filesystem::path("out/17.proof"));
}

TEST_CASE("range: the prover's result line round-trips, and every outcome has one name") {
  for (Outcome o : {Outcome::proved, Outcome::unprovable, Outcome::out_of_memory, Outcome::killed, Outcome::timeout,
                    Outcome::interrupted, Outcome::usage})
    CHECK(parse_outcome(to_string(o)) == o);
  CHECK_FALSE(parse_outcome("exploded"));
  ProverResult r{17, Outcome::unprovable, 1.5, 0, "not provable: \"x\""};
  auto parsed = parse_prover_result("some earlier text\n" + prover_result_json(r));
  REQUIRE(parsed);
  CHECK(parsed->block == 17);
  CHECK(parsed->outcome == Outcome::unprovable);
  CHECK(parsed->error == r.error);
  r.block.reset();
  CHECK_FALSE(parse_prover_result(prover_result_json(r))->block);
  CHECK_FALSE(parse_prover_result("not json"));
  CHECK_FALSE(parse_prover_result(""));
}

TEST_CASE("cli: durations take s, m, h and d") {
  CHECK(parse_duration_seconds("90") == 90u);
  CHECK(parse_duration_seconds("90s") == 90u);
  CHECK(parse_duration_seconds("15m") == 900u);
  CHECK(parse_duration_seconds("2h") == 7200u);
  CHECK(parse_duration_seconds("1d") == 86400u);
  CHECK_FALSE(parse_duration_seconds("1.5h"));
  CHECK_FALSE(parse_duration_seconds("h"));
  CHECK_FALSE(parse_duration_seconds("10x"));
}

TEST_CASE("cli: byte sizes and numbers") {
  CHECK(parse_byte_size("512") == 512u);
  CHECK(parse_byte_size("8G") == 8ull << 30);
  CHECK(parse_byte_size("3m") == 3ull << 20);
  CHECK_FALSE(parse_byte_size("G"));
  CHECK_FALSE(parse_byte_size("12X"));
  CHECK_FALSE(parse_byte_size("99999999999999T"));
  CHECK(parse_uint("20362226") == 20362226u);
  CHECK_FALSE(parse_uint("-1"));
  CHECK_FALSE(parse_uint("1e3"));
}
