// End-to-end tests of analyze-witnesses: the real executable on testdata and on ../shared/witnesses.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <simdjson.h>

#include <fstream>
#include <map>
#include <sstream>

#include "test_support.hpp"
#include "witness/tests/archive_writer.hpp"

using namespace witprove;
namespace fs = std::filesystem;
using test::CommandResult;

namespace {

// Runs analyze-witnesses with `args` (shell words), stdin from `input` (default /dev/null).
CommandResult analyze(const std::string& args, const fs::path& input = "/dev/null") {
  return test::run_command(fmt::format("'{}' {}", (test::binary_dir() / "apps" / "analyze-witnesses").string(), args),
                           input);
}

std::string quoted(const fs::path& p) { return fmt::format("'{}'", p.string()); }

struct BlockRow {
  uint64_t block;
  std::string source;
  uint64_t index, txs, gas_used;
  std::string status, error;
};

struct Report {
  std::vector<BlockRow> blocks;
  std::vector<uint64_t> missing;
  uint64_t total_blocks, total_txs, total_gas_used, total_errors;
};

Report parse_report(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(json);
  Report r;
  for (simdjson::dom::element b : doc["blocks"].get_array()) {
    BlockRow row;
    row.block = b["block"].is_null() ? UINT64_MAX : uint64_t(b["block"]);
    row.source = std::string(std::string_view(b["source"]));
    row.index = uint64_t(b["index"]);
    row.status = std::string(std::string_view(b["status"]));
    row.txs = b["txs"].error() ? 0 : uint64_t(b["txs"]);
    row.gas_used = b["gas_used"].error() ? 0 : uint64_t(b["gas_used"]);
    row.error = b["error"].error() ? "" : std::string(std::string_view(b["error"]));
    r.blocks.push_back(row);
  }
  for (simdjson::dom::element m : doc["missing"].get_array()) r.missing.push_back(uint64_t(m));
  r.total_blocks = uint64_t(doc["total"]["blocks"]);
  r.total_txs = uint64_t(doc["total"]["txs"]);
  r.total_gas_used = uint64_t(doc["total"]["gas_used"]);
  r.total_errors = uint64_t(doc["total"]["errors"]);
  return r;
}

// Every MANIFEST block is reported once, ok, with its transactions and gas; totals add up.
void check_against_manifest(const CommandResult& run) {
  INFO(run.err);
  REQUIRE(run.status == 0);
  Report report = parse_report(run.out);
  auto manifest = test::read_manifest();
  REQUIRE(report.blocks.size() == manifest.size());
  std::map<std::pair<std::string, uint64_t>, const BlockRow*> by_file;
  for (const auto& b : report.blocks) by_file[{fs::path(b.source).filename().string(), b.index}] = &b;
  uint64_t txs = 0, gas = 0;
  for (const auto& m : manifest) {
    INFO(m.file << " block " << m.index);
    auto it = by_file.find({m.file, m.index});
    REQUIRE(it != by_file.end());
    const BlockRow& b = *it->second;
    CHECK(b.status == "ok");
    CHECK(b.block == m.block);
    CHECK(b.txs == m.txs);
    CHECK(b.gas_used == m.gas_used);
    txs += m.txs;
    gas += m.gas_used;
  }
  CHECK(report.total_blocks == manifest.size());
  CHECK(report.total_txs == txs);
  CHECK(report.total_gas_used == gas);
  CHECK(report.total_errors == 0);
  CHECK(report.missing.empty());
}

// The shared witnesses (not their headers or the manifest) as archive members under "witnesses/".
std::vector<std::pair<std::string, std::string>> shared_members() {
  std::vector<std::pair<std::string, std::string>> members;
  for (const auto& e : fs::directory_iterator(test::shared_witnesses_dir()))
    members.emplace_back("witnesses/" + e.path().filename().string(), test::read_text(e.path()));
  return members;
}

fs::path testdata_witnesses() { return test::testdata_dir() / "witnesses"; }

}  // namespace

TEST_CASE("analyze-witnesses --format json on the testdata", "[analyze][e2e]") {
  CommandResult run = analyze("--format json " + quoted(testdata_witnesses()));
  INFO(run.err);
  REQUIRE(run.status == 0);
  Report r = parse_report(run.out);
  REQUIRE(r.blocks.size() == 5);
  CHECK(r.blocks[0].block == 100);
  CHECK(r.blocks[0].source == "100.witness.json");
  CHECK(r.blocks[0].txs == 2);
  CHECK(r.blocks[0].gas_used == 74000);
  CHECK(r.blocks[4].block == 302);
  CHECK(r.blocks[4].index == 2);
  CHECK(r.total_blocks == 5);
  CHECK(r.total_txs == 6);
  CHECK(r.total_gas_used == 158000);
  CHECK(r.total_errors == 0);
  // Logs go to stderr with a timestamp and the job type; no progress line when stderr is not a terminal.
  CHECK_THAT(run.err, Catch::Matches(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO analyze: reading [^\n]*\n(.|\n)*)"));
  CHECK_THAT(run.err, Catch::Contains("took"));
  CHECK(run.err.find('\r') == std::string::npos);
}

TEST_CASE("analyze-witnesses: seed argument order, range and missing blocks", "[analyze][e2e]") {
  CommandResult run = analyze("--format json " + quoted(testdata_witnesses()) + " 200 304");
  INFO(run.err);
  CHECK(run.status == 1);  // blocks are missing
  Report r = parse_report(run.out);
  REQUIRE(r.blocks.size() == 4);
  CHECK(r.blocks[0].block == 200);
  REQUIRE(r.missing.size() == 99 + 2);  // 201..299, 303, 304
  CHECK(r.missing.front() == 201);
  CHECK(r.missing[98] == 299);
  CHECK(r.missing.back() == 304);

  CommandResult exact = analyze(quoted(testdata_witnesses()) + " 300 302");
  CHECK(exact.status == 0);
  CHECK_THAT(exact.out, Catch::Contains("total: 3 blocks, 3 txs, 63000 gas"));
}

TEST_CASE("analyze-witnesses table and csv formats, threads", "[analyze][e2e]") {
  CommandResult table = analyze("--threads 1 " + quoted(testdata_witnesses()));
  REQUIRE(table.status == 0);
  CHECK(table.out.rfind("block  source", 0) == 0);
  CHECK_THAT(table.out, Catch::Contains("total: 5 blocks, 6 txs, 158000 gas"));

  CommandResult csv = analyze("--threads 2 --format csv " + quoted(testdata_witnesses()));
  REQUIRE(csv.status == 0);
  std::stringstream lines(csv.out);
  std::string header, first;
  std::getline(lines, header);
  std::getline(lines, first);
  CHECK(header.rfind("block,source,index,txs,gas_used,", 0) == 0);
  CHECK(first.rfind("100,100.witness.json,0,2,74000,", 0) == 0);
  CHECK(std::count(csv.out.begin(), csv.out.end(), '\n') == 6);
}

TEST_CASE("analyze-witnesses usage errors exit 2", "[analyze][e2e]") {
  CHECK(analyze("").status == 2);
  CHECK(analyze("--format xml " + quoted(testdata_witnesses())).status == 2);
  CHECK(analyze("--no-such-option x").status == 2);
  CHECK(analyze(quoted(testdata_witnesses()) + " 10 5").status == 2);
  CHECK(analyze(quoted(testdata_witnesses()) + " ten").status == 2);
  CommandResult wide = analyze(quoted(testdata_witnesses()) + " 0 1000000000000");
  CHECK(wide.status == 2);
  CHECK_THAT(wide.err, Catch::Contains("too many missing blocks to list"));
  CHECK(analyze("--threads x " + quoted(testdata_witnesses())).status == 2);
  CommandResult missing = analyze("/no/such/source");
  CHECK(missing.status == 2);
  CHECK_THAT(missing.err, Catch::Contains("/no/such/source: no such file or directory"));
  CommandResult help = analyze("--help");
  CHECK(help.status == 0);
  CHECK_THAT(help.out, Catch::Contains("--threads"));
  CHECK_THAT(help.out, Catch::Contains("--format"));
}

TEST_CASE("analyze-witnesses reads archives and standard input", "[analyze][e2e]") {
  fs::path dir = test::scratch_dir("archives");
  std::vector<std::pair<std::string, std::string>> members;
  for (const auto& e : fs::directory_iterator(testdata_witnesses()))
    members.emplace_back(e.path().filename().string(), test::read_text(e.path()));
  test::write_tar(dir / "w.tar.zst", members, test::Compression::zstd);
  test::write_compressed(dir / "one.json.bz2", test::read_text(testdata_witnesses() / "300-302.witness.json"),
                         test::Compression::bzip2);
  CHECK_THAT(analyze(quoted(dir / "w.tar.zst")).out, Catch::Contains("total: 5 blocks"));
  CHECK_THAT(analyze(quoted(dir / "one.json.bz2")).out, Catch::Contains("total: 3 blocks"));
  CHECK_THAT(analyze("-", dir / "w.tar.zst").out, Catch::Contains("total: 5 blocks"));
  CHECK_THAT(analyze("-", testdata_witnesses() / "100.witness.json").out, Catch::Contains("total: 1 blocks"));
  fs::remove_all(dir);
}

TEST_CASE("analyze-witnesses -: 1 GB of whitespace on standard input reads within 200 MB of address space",
          "[analyze][e2e]") {
  // Memory follows the blocks, not the padding: before, the whitespace was held (and copied) whole.
  if (!test::memory_limits_apply()) return;
  auto r = test::run_command(fmt::format("(cat {}; head -c 1000000000 /dev/zero | tr '\\0' ' ') | (ulimit -v 200000; '{}' -)",
                                         quoted(test::testdata_dir() / "generated" / "shanghai.json"),
                                         (test::binary_dir() / "apps" / "analyze-witnesses").string()));
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Catch::Contains("total: 1 blocks"));
}

TEST_CASE("analyze-witnesses skips the macOS metadata of a real macOS archive and lists it with --verbose",
          "[analyze][e2e][shared]") {
  if (!test::have_shared_cases()) return;
  fs::path archive = test::shared_cases_dir() / "archive-with-macos-metadata.tar.xz";
  CommandResult run = analyze("--format json " + quoted(archive));
  INFO(run.err);
  CHECK(run.status == 0);
  Report r = parse_report(run.out);
  CHECK(r.total_blocks == 2);
  CHECK(r.total_errors == 0);
  CHECK(run.err.find("DEBUG") == std::string::npos);

  CommandResult verbose = analyze("--verbose " + quoted(archive));
  CHECK(verbose.status == 0);
  CHECK_THAT(verbose.err, Catch::Contains("DEBUG read: skipped witnesses-4-to-28/._28.witness.json: macOS metadata"));
  CHECK_THAT(verbose.err, Catch::Contains("DEBUG read: skipped witnesses-4-to-28/.DS_Store: macOS metadata"));
}

TEST_CASE("analyze-witnesses: a tar member claiming 1 TiB fails alone instead of aborting the run", "[analyze][e2e]") {
  fs::path dir = test::scratch_dir("claims-e2e");
  std::string good = test::read_text(testdata_witnesses() / "100.witness.json");
  test::write_compressed(dir / "claims.tar.xz",
                         test::tar_member("good.json", good, good.size()) +
                             test::tar_member("huge.json", std::string(100, '['), uint64_t{1} << 40) + test::tar_end(),
                         test::Compression::xz);
  CommandResult run = analyze("--format json " + quoted(dir / "claims.tar.xz"));
  INFO(run.err);
  CHECK(run.status == 1);
  Report r = parse_report(run.out);
  REQUIRE_FALSE(r.blocks.empty());
  CHECK(r.blocks[0].block == 100);
  CHECK(r.blocks[0].status == "ok");
  CHECK_THAT(run.err, Catch::Contains("ERROR analyze: huge.json: larger than the 1 GiB limit (--max-witness-size)"));
}

TEST_CASE("analyze-witnesses --max-witness-size: a member above it fails alone, the others are read",
          "[analyze][e2e]") {
  fs::path dir = test::scratch_dir("cap-e2e");
  std::vector<std::pair<std::string, std::string>> members;
  for (const auto& e : fs::directory_iterator(testdata_witnesses()))
    members.emplace_back(e.path().filename().string(), test::read_text(e.path()));
  test::write_tar(dir / "w.tar.xz", members, test::Compression::xz);
  CommandResult run = analyze("--format json --max-witness-size 32K " + quoted(dir / "w.tar.xz"));
  INFO(run.err);
  CHECK(run.status == 1);
  Report r = parse_report(run.out);
  CHECK(r.total_blocks == 3);  // 100, 200 and the error for 300-302 (65 KB)
  CHECK(r.total_errors == 1);
  CHECK_THAT(run.err,
             Catch::Contains("ERROR analyze: 300-302.witness.json: larger than the 32 KiB limit (--max-witness-size)"));
  CHECK(analyze("--max-witness-size 1T " + quoted(dir / "w.tar.xz")).status == 0);
  CHECK(analyze("--max-witness-size lots " + quoted(dir / "w.tar.xz")).status == 2);
  CHECK(analyze("--max-witness-size 0 " + quoted(dir / "w.tar.xz")).status == 2);
  CommandResult help = analyze("--help");
  CHECK_THAT(help.out, Catch::Contains("--max-witness-size"));
  CHECK_THAT(help.out, Catch::Contains("--verbose"));
}

TEST_CASE("analyze-witnesses: a .json.xz of zero bytes is an error, not 0 blocks", "[analyze][e2e]") {
  fs::path dir = test::scratch_dir("zeros-e2e");
  test::write_compressed(dir / "zeros.json.xz", std::string(10240, '\0'), test::Compression::xz);
  CommandResult run = analyze(quoted(dir / "zeros.json.xz"));
  CHECK(run.status == 1);
  CHECK_THAT(run.err, Catch::Contains("ERROR analyze: zeros.json: not a witness: expected a JSON array of blocks"));
}

TEST_CASE("the real witnesses match MANIFEST.tsv from a folder", "[analyze][e2e][shared]") {
  if (!test::have_shared_witnesses()) return;
  check_against_manifest(analyze("--format json " + quoted(test::shared_witnesses_dir())));
}

TEST_CASE("the real witnesses match MANIFEST.tsv from a .tar.xz and from stdin", "[analyze][e2e][shared]") {
  if (!test::have_shared_witnesses()) return;
  fs::path dir = test::scratch_dir("shared-tar");
  test::write_tar(dir / "witnesses.tar.xz", shared_members(), test::Compression::xz);
  check_against_manifest(analyze("--format json " + quoted(dir / "witnesses.tar.xz")));
  check_against_manifest(analyze("--format json -", dir / "witnesses.tar.xz"));
  fs::remove_all(dir);
}

TEST_CASE("a truncated witness among good ones: that block fails, the rest is analyzed, exit 1",
          "[analyze][e2e][shared]") {
  if (!test::have_shared_witnesses()) return;
  fs::path dir = test::scratch_dir("truncated");
  for (const char* name : {"b28_dev.json", "b4_dev.json", "witness_b3_b6.json"})
    fs::copy_file(test::shared_witnesses_dir() / name, dir / name);
  std::string whole = test::read_text(test::shared_witnesses_dir() / "b2841_dev.json");
  std::ofstream(dir / "b2841_dev.json", std::ios::binary) << whole.substr(0, whole.size() / 2);

  CommandResult run = analyze("--format json " + quoted(dir));
  CHECK(run.status == 1);
  Report r = parse_report(run.out);
  REQUIRE(r.blocks.size() == 7);
  CHECK(r.total_errors == 1);
  size_t ok = 0;
  for (const auto& b : r.blocks) {
    if (b.source == "b2841_dev.json") {
      CHECK(b.status == "error");
      CHECK_THAT(b.error, Catch::StartsWith("b2841_dev.json: block 0: truncated JSON"));
    } else {
      CHECK(b.status == "ok");
      ++ok;
    }
  }
  CHECK(ok == 6);
  CHECK_THAT(run.err, Catch::Contains("ERROR analyze: b2841_dev.json: block 0: truncated JSON"));
  fs::remove_all(dir);
}
