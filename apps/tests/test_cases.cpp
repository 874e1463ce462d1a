// End-to-end tests on ../shared/cases: small witnesses reproducing faults operators of witness provers have
// reported, each with its right result. Every case runs the real executables; the archive case is in
// test_analyze.cpp. The expected roots are the headers beside the cases (computed by an independent reference).
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <simdjson.h>

#include "test_support.hpp"

using namespace witprove;
namespace fs = std::filesystem;
using test::CommandResult;

namespace {

std::string q(const fs::path& p) { return fmt::format("'{}'", p.string()); }

CommandResult analyze(const std::string& args) {
  return test::run_command(fmt::format("{} {}", q(test::binary_dir() / "apps" / "analyze-witnesses"), args));
}

// analyze-witnesses --check (with the case's header when it has one) --format json on one case file.
struct CaseRun {
  CommandResult run;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
};

std::unique_ptr<CaseRun> check_case(const std::string& name) {
  fs::path file = test::shared_cases_dir() / (name + ".json");
  fs::path header = test::shared_cases_dir() / (name + "_header.json");
  std::string headers = fs::exists(header) ? "--headers " + q(header) : "";
  auto out = std::make_unique<CaseRun>();
  out->run = analyze(fmt::format("--check {} --format json {}", headers, q(file)));
  INFO(out->run.err);
  out->doc = out->parser.parse(out->run.out);
  return out;
}

std::string text(simdjson::dom::element e) { return std::string(std::string_view(e)); }

// The header's stateRoot beside a case.
std::string header_state_root(const std::string& name) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.load((test::shared_cases_dir() / (name + "_header.json")).string());
  return text(doc.at(0)["stateRoot"]);
}

// A damaged case: exit 1, its one block an error whose message contains `expected`.
void expect_parse_error(const std::string& name, const std::string& expected) {
  auto c = check_case(name);
  CHECK(c->run.status == 1);
  simdjson::dom::element block = c->doc["blocks"].at(0);
  CHECK(text(block["status"]) == "error");
  CHECK_THAT(text(block["error"]), Catch::Contains(name + ".json: block 0: ") && Catch::Contains(expected));
  CHECK(uint64_t(c->doc["total"]["provable"]) == 0);
}

// A case whose hashed-out storage node the processing must not guess.
void expect_missing_storage_node(const std::string& name) {
  auto c = check_case(name);
  CHECK(c->run.status == 1);
  simdjson::dom::element check = c->doc["blocks"].at(0)["check"];
  CHECK(text(check["status"]) == "failed");
  std::string error = text(check["error"]);
  // "txn 0: account 0x…: slot 0x…: witness lacks the trie node needed for key 0x… at path 0x…"
  CHECK_THAT(error, Catch::Matches("txn \\d+: account 0x[0-9a-f]{40}: slot 0x[0-9a-f]{64}: witness lacks the trie "
                                   "node needed for key 0x[0-9a-f]{64} at path 0x[0-9a-f]+"));
  CHECK(c->run.err.find("not provable") != std::string::npos);
}

}  // namespace

TEST_CASE("case storage-collapse-hashed-leaf: a delete collapsing onto a hashed storage leaf is not provable",
          "[apps][cases][shared]") {
  if (!test::have_shared_cases()) return;
  expect_missing_storage_node("storage-collapse-hashed-leaf");
}

TEST_CASE("case storage-collapse-hashed-branch: a delete collapsing onto a hashed storage branch is not provable",
          "[apps][cases][shared]") {
  if (!test::have_shared_cases()) return;
  expect_missing_storage_node("storage-collapse-hashed-branch");
}

TEST_CASE("case storage-collapse-hashed-leaf: prove-witness refuses it and writes no proof", "[apps][cases][shared]") {
  if (!test::have_shared_cases()) return;
  fs::path out = test::scratch_dir("cases-prove") / "proof.bin";
  CommandResult run = test::run_command(
      fmt::format("{} --witness {} --output {}", q(test::binary_dir() / "apps" / "prove-witness"),
                  q(test::shared_cases_dir() / "storage-collapse-hashed-leaf.json"), q(out)));
  CHECK(run.status == 1);
  CHECK_THAT(run.err, Catch::Contains("witness lacks the trie node"));
  CHECK_FALSE(fs::exists(out));
}

TEST_CASE("case new-fee-recipient-failed-txn: a reverted transaction's new fee recipient is created",
          "[apps][cases][shared]") {
  if (!test::have_shared_cases()) return;
  auto c = check_case("new-fee-recipient-failed-txn");
  INFO(c->run.out);
  CHECK(c->run.status == 0);
  simdjson::dom::element block = c->doc["blocks"].at(0);
  CHECK(text(block["check"]["status"]) == "ok");
  CHECK(text(block["header_status"]) == "matched");
  CHECK(text(block["check"]["state_root"]) == header_state_root("new-fee-recipient-failed-txn"));
}

TEST_CASE("case withdrawal-amount-over-64-bits: a withdrawal amount is 64-bit Gwei, never wrapped",
          "[apps][cases][shared]") {
  if (!test::have_shared_cases()) return;
  expect_parse_error("withdrawal-amount-over-64-bits", "does not fit the field's 64 bits");
  expect_parse_error("withdrawal-amount-over-64-bits", ".other_data.b_data.withdrawals[");
}

TEST_CASE("case beacon-root-empty-hex: a hash is exactly 32 bytes, \"0x\" is an error", "[apps][cases][shared]") {
  if (!test::have_shared_cases()) return;
  expect_parse_error("beacon-root-empty-hex",
                     ".other_data.b_data.b_meta.parent_beacon_block_root: expected exactly 32 bytes (64 hex digits), "
                     "found \"0x\"");
}

TEST_CASE("case block-hash-too-short: a 4-byte block hash is an error", "[apps][cases][shared]") {
  if (!test::have_shared_cases()) return;
  expect_parse_error("block-hash-too-short", ".other_data.b_data.b_hashes.cur_hash: expected exactly 32 bytes");
}

TEST_CASE("case blocks-3-and-5-only: a gap is not a failed link, both blocks provable", "[apps][cases][shared]") {
  if (!test::have_shared_cases()) return;
  auto c = check_case("blocks-3-and-5-only");
  INFO(c->run.err);
  CHECK(c->run.status == 0);
  CHECK(uint64_t(c->doc["total"]["provable"]) == 2);
  CHECK(uint64_t(c->doc["total"]["not_provable"]) == 0);
  // With the range given, the gap is reported as a missing block (and only that fails the run).
  CommandResult ranged = analyze(fmt::format("--check --format json {} 3 5",
                                             q(test::shared_cases_dir() / "blocks-3-and-5-only.json")));
  CHECK(ranged.status == 1);
  CHECK_THAT(ranged.out, Catch::Contains("\"missing\":[4]") && Catch::Contains("\"not_provable\":0"));
}

TEST_CASE("case blocks-6-to-3-reversed: links are checked by number, whatever the order, all four provable",
          "[apps][cases][shared]") {
  if (!test::have_shared_cases()) return;
  auto c = check_case("blocks-6-to-3-reversed");
  INFO(c->run.err);
  CHECK(c->run.status == 0);
  CHECK(uint64_t(c->doc["total"]["provable"]) == 4);
  // That a broken link in reversed order is caught: test_stateless "Blocks N and N+1 must chain...".
  for (simdjson::dom::element b : c->doc["blocks"].get_array()) CHECK(text(b["check"]["status"]) == "ok");
}
