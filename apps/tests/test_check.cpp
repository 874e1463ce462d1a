// End-to-end tests of analyze-witnesses --check: the real executable on ../shared/witnesses, and on copies
// of real witnesses damaged at test time.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <simdjson.h>

#include <fstream>
#include <map>

#include "test_support.hpp"

using namespace witprove;
namespace fs = std::filesystem;
using test::CommandResult;

namespace {

CommandResult analyze(const std::string& args) {
  return test::run_command(fmt::format("'{}' {}", (test::binary_dir() / "apps" / "analyze-witnesses").string(), args));
}

struct Checked {
  std::string status, state_root, receipts_root, transactions_root, error;
  bool has_header = false;
};

// (file name, index) -> the block's "check" object.
std::map<std::pair<std::string, uint64_t>, Checked> parse_checks(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(json);
  std::map<std::pair<std::string, uint64_t>, Checked> out;
  for (simdjson::dom::element b : doc["blocks"].get_array()) {
    simdjson::dom::element c = b["check"];
    Checked checked;
    checked.status = std::string(std::string_view(c["status"]));
    checked.error = std::string(std::string_view(c["error"]));
    if (!c["state_root"].error()) {
      checked.state_root = std::string(std::string_view(c["state_root"]));
      checked.receipts_root = std::string(std::string_view(c["receipts_root"]));
      checked.transactions_root = std::string(std::string_view(c["transactions_root"]));
    }
    checked.has_header = !b["header"].is_null();
    out[{fs::path(std::string(std::string_view(b["source"]))).filename().string(), uint64_t(b["index"])}] = checked;
  }
  return out;
}

std::string quoted(const fs::path& p) { return fmt::format("'{}'", p.string()); }

char flip_hex_digit(char c) {
  int v = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : std::tolower(c) - 'a' + 10;
  return "0123456789abcdef"[v ^ 1];
}

}  // namespace

TEST_CASE("analyze-witnesses --check --headers reproduces every real header's roots", "[apps][check][shared]") {
  if (!test::have_shared_witnesses()) return;
  fs::path shared = test::shared_witnesses_dir();
  CommandResult run = analyze(fmt::format("--check --headers {} --format json {}", quoted(shared), quoted(shared)));
  INFO(run.err);
  REQUIRE(run.status == 0);
  auto checks = parse_checks(run.out);
  std::vector<test::ManifestRow> manifest = test::read_manifest();
  REQUIRE(checks.size() == manifest.size());
  for (const test::ManifestRow& row : manifest) {
    INFO(row.file << " block " << row.index);
    REQUIRE(checks.count({row.file, row.index}));
    const Checked& c = checks[{row.file, row.index}];
    CHECK(c.status == "ok");
    CHECK(c.error.empty());
    CHECK(c.has_header == !row.header_file.empty());
    if (row.header_file.empty()) continue;
    CHECK(c.state_root == row.state_root);
    CHECK(c.receipts_root == row.receipts_root);
    CHECK(c.transactions_root == row.transactions_root);
  }

  CommandResult table = analyze(fmt::format("--check --headers {} {}", quoted(shared), quoted(shared)));
  REQUIRE(table.status == 0);
  CHECK(table.out.find("verdict") != std::string::npos);
  CHECK(table.out.find("check: 16 provable, 0 not provable") != std::string::npos);
}

TEST_CASE("a flipped compact byte and a changed storage write are reported not provable, the other blocks pass",
          "[apps][check][shared]") {
  if (!test::have_shared_witnesses()) return;
  fs::path shared = test::shared_witnesses_dir();
  fs::path dir = test::scratch_dir("damaged");
  for (const char* name : {"b4_dev.json", "witness_b3_b6.json"}) fs::copy_file(shared / name, dir / name);

  std::string flipped = test::read_text(shared / "b28_dev.json");
  size_t start = flipped.find("\"compact\": \"0x");
  REQUIRE(start != std::string::npos);
  start += 14;
  size_t end = flipped.find('"', start);
  size_t middle = (start + end) / 2;
  flipped[middle] = flip_hex_digit(flipped[middle]);
  std::ofstream(dir / "b28_dev.json") << flipped;

  // The block's last storage write gets another value.
  std::string changed = test::read_text(shared / "b2841_dev.json");
  size_t written = changed.rfind("\"storage_written\"");
  REQUIRE(written != std::string::npos);
  size_t value = changed.find("\": \"0x", written);
  REQUIRE(value != std::string::npos);
  size_t last_digit = changed.find('"', value + 4) - 1;
  changed[last_digit] = flip_hex_digit(changed[last_digit]);
  std::ofstream(dir / "b2841_dev.json") << changed;

  CommandResult run = analyze(fmt::format("--check --headers {} --format json {}", quoted(shared), quoted(dir)));
  INFO(run.out << run.err);
  CHECK(run.status == 1);
  auto checks = parse_checks(run.out);
  REQUIRE(checks.size() == 7);
  CHECK(checks[{"b28_dev.json", 0}].status == "failed");
  CHECK(checks[{"b28_dev.json", 0}].error.find("differs from the witness's checkpoint root") != std::string::npos);
  CHECK(checks[{"b2841_dev.json", 0}].status == "failed");
  // The block's last storage write is in a reverted transaction, whose trace keeps the slot's value: changed,
  // it is refused before any root is compared.
  CHECK(checks[{"b2841_dev.json", 0}].error.find(": a reverted transaction changes slot 0x") != std::string::npos);
  CHECK(checks[{"b4_dev.json", 0}].status == "ok");
  for (uint64_t i = 0; i < 4; ++i) CHECK(checks[{"witness_b3_b6.json", i}].status == "ok");
  CHECK(run.err.find("b2841_dev.json: block 2841: not provable: txn 30: account") != std::string::npos);

  CommandResult table = analyze(fmt::format("--check --headers {} {}", quoted(shared), quoted(dir)));
  CHECK(table.status == 1);
  CHECK(table.out.find("NOT provable") != std::string::npos);
  CHECK(table.out.find("check: 5 provable, 2 not provable") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("analyze-witnesses: an unreadable --headers path is a usage error", "[apps][check]") {
  CommandResult run = analyze("--headers /nonexistent/headers.json -");
  CHECK(run.status == 2);
  CHECK(run.err.find("/nonexistent/headers.json") != std::string::npos);
}

TEST_CASE("analyze-witnesses --check on the generated test data matches its headers (no ../shared needed)",
          "[apps][check]") {
  fs::path generated = test::testdata_dir() / "generated";
  CommandResult run =
      analyze(fmt::format("--check --headers {} --format json {}", quoted(generated), quoted(generated)));
  INFO(run.err);
  REQUIRE(run.status == 0);
  auto checks = parse_checks(run.out);
  CHECK(checks.size() == 9);  // see testdata/generated/COMMANDS
  for (const auto& [where, c] : checks) {
    INFO(where.first << " block " << where.second);
    CHECK(c.status == "ok");
    CHECK(c.has_header);
  }
}

TEST_CASE("analyze-witnesses --headers: a block no header matches says \"no header\" and is not counted as checked",
          "[apps][check]") {
  fs::path generated = test::testdata_dir() / "generated";
  fs::path only_combined = generated / "combined_header.json";  // headers of blocks 1000..1002 only
  CommandResult run =
      analyze(fmt::format("--check --headers {} --format json {}", quoted(only_combined), quoted(generated)));
  INFO(run.err);
  CHECK(run.status == 0);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(run.out);
  size_t matched = 0, without = 0;
  for (simdjson::dom::element b : doc["blocks"].get_array()) {
    std::string source{std::string_view(b["source"])};
    std::string status{std::string_view(b["header_status"])};
    bool combined = fs::path(source).filename() == "combined.json";
    CHECK(status == (combined ? "matched" : "no header"));
    CHECK(b["header"].is_null() == !combined);
    ++(combined ? matched : without);
  }
  CHECK(matched == 3);
  CHECK(uint64_t(doc["total"]["checked_against_header"]) == 3);
  CHECK(uint64_t(doc["total"]["no_header"]) == without);

  CommandResult table = analyze(fmt::format("--check --headers {} {}", quoted(only_combined), quoted(generated)));
  CHECK_THAT(table.out, Catch::Contains("no header") &&
                            Catch::Contains(fmt::format("3 checked against a header, {} without a header", without)));
}

TEST_CASE("analyze-witnesses: the same block twice in one source is a warning naming both places", "[apps][check]") {
  fs::path dir = test::scratch_dir("duplicates");
  fs::path combined = test::testdata_dir() / "generated" / "combined.json";
  fs::copy_file(combined, dir / "a.json");
  fs::copy_file(combined, dir / "b.json");
  CommandResult run = analyze(quoted(dir));
  CHECK(run.status == 0);
  for (int block : {1000, 1001, 1002})
    CHECK_THAT(run.err, Catch::Contains(fmt::format("WARN analyze: block {} appears twice: a.json block {} and b.json "
                                                    "block {}",
                                                    block, block - 1000, block - 1000)));
}

TEST_CASE("analyze-witnesses: a source with no witness is an error", "[apps][check]") {
  fs::path dir = test::scratch_dir("no-witness");
  fs::create_directories(dir / "empty");
  std::ofstream(dir / "none.json") << "[]";
  for (fs::path source : {dir / "empty", dir / "none.json"}) {
    INFO(source);
    CommandResult run = analyze(quoted(source));
    CHECK(run.status == 1);
    CHECK_THAT(run.err, Catch::Contains(source.string() + ": no witness found"));
  }
}

TEST_CASE("analyze-witnesses --headers: the parent's header, when given, must hold the block's pre-state root",
          "[apps][check]") {
  fs::path generated = test::testdata_dir() / "generated";
  fs::path dir = test::scratch_dir("parent-header");
  // Block 1000's header with another state root: block 1000 fails its own comparison, and block 1001, whose
  // pre-state is block 1000's real post-state, no longer sits on that parent.
  std::string headers = test::read_text(generated / "combined_header.json");
  simdjson::dom::parser parser;
  std::string state_root(std::string_view(parser.parse(headers).at(0)["stateRoot"]));
  size_t at = headers.find(state_root);
  REQUIRE(at != std::string::npos);
  headers.replace(at, state_root.size(), "0x" + std::string(64, '7'));
  std::ofstream(dir / "headers.json") << headers;
  CommandResult run = analyze(fmt::format("--check --headers {} --format json {}", quoted(dir / "headers.json"),
                                          quoted(generated / "combined.json")));
  CHECK(run.status == 1);
  auto checks = parse_checks(run.out);
  CHECK(checks[{"combined.json", 0}].error.rfind("state root 0x", 0) == 0);
  CHECK(checks[{"combined.json", 1}].error.rfind("pre-state root 0x", 0) == 0);
  CHECK(checks[{"combined.json", 1}].error.find("differs from the parent's state root 0x7777") != std::string::npos);
  CHECK(checks[{"combined.json", 2}].status == "ok");

  CommandResult real = analyze(fmt::format("--check --headers {} {}", quoted(generated / "combined_header.json"),
                                           quoted(generated / "combined.json")));
  CHECK(real.status == 0);
}

TEST_CASE("analyze-witnesses --headers: a folder without any header is a usage error", "[apps][check]") {
  fs::path dir = test::scratch_dir("no-headers");
  CommandResult run = analyze(fmt::format("--check --headers {} {}", quoted(dir),
                                          quoted(test::testdata_dir() / "generated" / "combined.json")));
  CHECK(run.status == 2);
  CHECK_THAT(run.err, Catch::Contains(dir.string() + ": no header found"));
}

TEST_CASE("analyze-witnesses --check: a pre-image whose root is not the checkpoint is warned about", "[apps][check]") {
  fs::path dir = test::scratch_dir("checkpoint");
  CommandResult generated = test::run_command(
      fmt::format("'{}' --seed 5 --blocks 1 --txs 3 --broken wrong-checkpoint -o {}",
                  (test::binary_dir() / "testdata" / "generate-witnesses").string(), quoted(dir / "w.json")));
  REQUIRE(generated.status == 0);
  CommandResult run = analyze(fmt::format("--check --format json {}", quoted(dir / "w.json")));
  CHECK_THAT(run.err, Catch::Contains("is not the witness's checkpoint root"));
  CHECK_THAT(run.out, Catch::Contains("\"pre_state_matches_checkpoint\":false"));
}
