#include <catch2/catch.hpp>
#include <simdjson.h>

#include <algorithm>

#include "pipeline/cli.hpp"
#include "pipeline/metrics.hpp"
#include "pipeline/range.hpp"
#include "pipeline/report.hpp"

using namespace witprove::pipeline;

TEST_CASE("report: JSON has the documented names and counts") {
  std::vector<BlockReport> blocks = {
      {10, BlockStatus::proved, 1, 2.5, 7, "", false},
      {11, BlockStatus::failed, 1, 0.1, 3, "not provable: \"bad\"\nnode", false},
      {12, BlockStatus::missing, 0, 0, 0, "no witness", false},
      {13, BlockStatus::skipped, 0, 0, 5, "", true},
  };
  auto summary = summarize(blocks, 3600);
  CHECK(summary.proved == 1);
  CHECK(summary.failed == 1);
  CHECK(summary.missing == 1);
  CHECK(summary.skipped == 1);
  CHECK(summary.txs_per_hour == Approx(7));
  auto json = report_json(blocks, summary, "chained");
  simdjson::dom::parser parser;
  auto doc = parser.parse(json);
  REQUIRE(!doc.error());
  auto list = doc["blocks"].get_array();
  REQUIRE(list.size() == 4);
  CHECK(int64_t(list.at(1)["block"]) == 11);
  CHECK(std::string_view(list.at(1)["status"]) == "failed");
  CHECK(std::string_view(list.at(1)["error"]) == "not provable: \"bad\"\nnode");
  CHECK(int64_t(list.at(0)["attempts"]) == 1);
  CHECK(double(list.at(0)["seconds"]) == Approx(2.5));
  CHECK(int64_t(list.at(0)["txs"]) == 7);
  CHECK(std::string_view(list.at(2)["status"]) == "missing");
  CHECK(std::string_view(list.at(3)["status"]) == "skipped");
  auto s = doc["summary"];
  for (auto key : {"proved", "failed", "missing", "skipped"}) CHECK(int64_t(s[key]) == 1);
  CHECK(double(s["txs_per_hour"]) == Approx(7));
  CHECK(double(s["wall_seconds"]) == Approx(3600));
  CHECK(int64_t(s["chain_breaks"].at(0)) == 13);
  auto text = report_text(blocks, summary);
  CHECK(text.find("chain breaks here") != std::string::npos);
  CHECK(text.find("proved 1, failed 1, missing 1, skipped 1 of 4 blocks") != std::string::npos);
}

TEST_CASE("report: a long range's summary lists only the blocks needing attention") {
  std::vector<BlockReport> blocks;
  for (uint64_t n = 0; n < 30; ++n) blocks.push_back({n, BlockStatus::proved, 1, 1.0, 2, "", false});
  blocks[17] = {17, BlockStatus::failed, 2, 1.0, 2, "out of memory", false};
  auto text = report_text(blocks, summarize(blocks, 60));
  CHECK(text.find("out of memory") != std::string::npos);
  CHECK(text.find("proved 29, failed 1") != std::string::npos);
  CHECK(std::count(text.begin(), text.end(), '\n') == 4);
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
  CHECK(peak_memory_bytes() > 0);
}

TEST_CASE("range: only resource failures are retried") {
  CHECK(is_transient_failure(9, "the prover was killed"));
  CHECK(is_transient_failure(0, "out of memory"));
  CHECK_FALSE(is_transient_failure(0, "not provable: witness lacks the trie node"));
  CHECK(proof_path("out", 17) == std::filesystem::path("out/17.proof"));
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
