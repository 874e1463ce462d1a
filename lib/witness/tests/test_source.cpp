#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <new>
#include <thread>

#include "test_support.hpp"
#include "witness/analysis.hpp"
#include "witness/source.hpp"
#include "witness/tests/archive_writer.hpp"

using namespace witprove;
using namespace witprove::witness;
namespace fs = std::filesystem;
using test::Compression;
using test::read_text;

// The largest single allocation since the last reset: shows that reading a file stays within the size cap.
// Not in sanitized builds, whose allocator must see every allocation (the checks then always hold).
static std::atomic<size_t> largest_allocation{0};

#ifndef WITPROVE_SANITIZED
void* operator new(size_t n) {
  for (size_t seen = largest_allocation.load(std::memory_order_relaxed);
       n > seen && !largest_allocation.compare_exchange_weak(seen, n, std::memory_order_relaxed);) {
  }
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
// Not inlined, so that the compiler pairs each delete with new rather than with the malloc inside it.
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, size_t) noexcept { std::free(p); }
#endif

namespace {

fs::path testdata_witnesses() { return test::testdata_dir() / "witnesses"; }

const std::vector<std::string> witness_files = {"100.witness.json", "200.separate.witness.json",
                                                "300-302.witness.json"};

struct Seen {
  uint64_t block;
  std::string source;
  size_t index;
  std::string error;
};

std::vector<Seen> read_all(const std::string& source, BlockRange range = {}, const SourceOptions& options = {}) {
  std::vector<Seen> seen;
  for_each_block<Seen>(
      source, range,
      [](BlockParse&& b) { return Seen{b.number.value_or(UINT64_MAX), b.origin.source, b.origin.index, b.error}; },
      [&](Seen&& s) { seen.push_back(std::move(s)); }, options);
  return seen;
}

std::vector<std::string> errors(const std::vector<Seen>& seen) {
  std::vector<std::string> out;
  for (const auto& s : seen)
    if (!s.error.empty()) out.push_back(s.error);
  return out;
}

// Options that record what the reader skips, as "name: why".
SourceOptions recording_skips(std::vector<std::string>& skipped) {
  SourceOptions options;
  options.on_skipped = [&skipped](std::string_view name, std::string_view why) {
    skipped.push_back(fmt::format("{}: {}", name, why));
  };
  return options;
}

// What macOS puts beside files: an AppleDouble header and a .DS_Store, both binary.
const std::string apple_double("\0\x05\x16\x07\0\x02\0\0Mac OS X        \0\x02", 26);
const std::string ds_store("\0\0\0\x01" "Bud1\0\0\x10\0", 12);

std::vector<uint64_t> numbers(const std::vector<Seen>& seen) {
  std::vector<uint64_t> out;
  for (const auto& s : seen) out.push_back(s.block);
  return out;
}

const std::vector<uint64_t> all_blocks = {100, 200, 300, 301, 302};

std::string header_json() { return R"([{"hash":"0x01","parentHash":"0x02","stateRoot":"0x03","number":"0x64"}])"; }

}  // namespace

TEST_CASE("directory source: witnesses in name order, headers and other files skipped", "[witness][source]") {
  fs::path dir = test::scratch_dir("dir");
  for (const auto& name : witness_files) fs::copy_file(testdata_witnesses() / name, dir / name);
  std::ofstream(dir / "100_header.json") << header_json();
  std::ofstream(dir / "100.block.json") << header_json();
  std::ofstream(dir / "renamed-header.json") << header_json();  // a header recognized by content
  std::ofstream(dir / "MANIFEST.tsv") << "file\tblock\n";
  fs::create_directory(dir / "sub.json");

  auto seen = read_all(dir.string());
  CHECK(numbers(seen) == all_blocks);
  CHECK(seen[0].source == "100.witness.json");
  CHECK(seen[4].source == "300-302.witness.json");
  CHECK(seen[4].index == 2);
  for (const auto& s : seen) CHECK(s.error.empty());
  fs::remove_all(dir);
}

TEST_CASE("directory source: files in natural order, so per-block files come in block order", "[witness][source]") {
  CHECK(witness::natural_less("9.witness.json", "10.witness.json"));
  CHECK_FALSE(witness::natural_less("10.witness.json", "9.witness.json"));
  CHECK(witness::natural_less("b9_dev.json", "b10_dev.json"));
  CHECK(witness::natural_less("a.json", "b.json"));
  CHECK(witness::natural_less("19807080.json", "20241214.json"));
  CHECK(witness::natural_less("100-102.json", "100-1020.json"));
  CHECK(witness::natural_less("x1", "x1y"));
  CHECK(witness::natural_less("007.json", "7.json") != witness::natural_less("7.json", "007.json"));  // strict
  CHECK_FALSE(witness::natural_less("7.json", "7.json"));
  fs::path dir = test::scratch_dir("natural-order");
  const auto one = test::read_text(testdata_witnesses() / "100.witness.json");
  for (const char* name : {"10.witness.json", "9.witness.json", "100.witness.json"}) std::ofstream(dir / name) << one;
  auto seen = read_all(dir.string());
  REQUIRE(seen.size() == 3);
  CHECK(seen[0].source == "9.witness.json");
  CHECK(seen[1].source == "10.witness.json");
  CHECK(seen[2].source == "100.witness.json");
}

TEST_CASE("single file source with several blocks", "[witness][source]") {
  auto seen = read_all((testdata_witnesses() / "300-302.witness.json").string());
  CHECK(numbers(seen) == std::vector<uint64_t>{300, 301, 302});
}

TEST_CASE("compressed single files: .json.gz, .xz, .bz2, .zst", "[witness][source]") {
  fs::path dir = test::scratch_dir("compressed");
  std::string text = read_text(testdata_witnesses() / "300-302.witness.json");
  const std::vector<std::pair<std::string, Compression>> kinds = {
      {"gz", Compression::gzip}, {"xz", Compression::xz}, {"bz2", Compression::bzip2}, {"zst", Compression::zstd}};
  for (const auto& [ext, compression] : kinds) {
    INFO(ext);
    fs::path file = dir / ("range.json." + ext);
    test::write_compressed(file, text, compression);
    auto seen = read_all(file.string());
    CHECK(numbers(seen) == std::vector<uint64_t>{300, 301, 302});
    CHECK(seen.at(0).source == "range.json");
    CHECK(seen.at(0).error.empty());
  }
  // Compressed files in a directory are read too.
  auto seen = read_all(dir.string());
  CHECK(seen.size() == 12);
  fs::remove_all(dir);
}

TEST_CASE("tar archives of every compression, streamed", "[witness][source]") {
  fs::path dir = test::scratch_dir("tar");
  std::vector<std::pair<std::string, std::string>> members;
  for (const auto& name : witness_files) members.emplace_back("w/" + name, read_text(testdata_witnesses() / name));
  members.emplace_back("w/100_header.json", header_json());
  members.emplace_back("w/README.txt", "not a witness");
  const std::vector<std::pair<std::string, Compression>> kinds = {{"tar", Compression::none},
                                                                  {"tar.gz", Compression::gzip},
                                                                  {"tar.xz", Compression::xz},
                                                                  {"tar.bz2", Compression::bzip2},
                                                                  {"tar.zst", Compression::zstd}};
  for (const auto& [ext, compression] : kinds) {
    INFO(ext);
    fs::path file = dir / ("witnesses." + ext);
    test::write_tar(file, members, compression);
    auto seen = read_all(file.string());
    CHECK(numbers(seen) == all_blocks);
    CHECK(seen.at(1).source == "w/200.separate.witness.json");
    for (const auto& s : seen) CHECK(s.error.empty());
  }
  fs::remove_all(dir);
}

TEST_CASE("standard input: tar.xz, compressed JSON and plain JSON detected by content", "[witness][source]") {
  fs::path dir = test::scratch_dir("stdin");
  std::vector<std::pair<std::string, std::string>> members;
  for (const auto& name : witness_files) members.emplace_back(name, read_text(testdata_witnesses() / name));
  test::write_tar(dir / "all.tar.xz", members, Compression::xz);
  test::write_compressed(dir / "one.json.zst", read_text(testdata_witnesses() / "100.witness.json"), Compression::zstd);

  auto read_stdin_from = [](const fs::path& file) {
    int saved = dup(STDIN_FILENO);
    int fd = open(file.c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    dup2(fd, STDIN_FILENO);
    close(fd);
    auto seen = read_all("-");
    dup2(saved, STDIN_FILENO);
    close(saved);
    return seen;
  };
  CHECK(numbers(read_stdin_from(dir / "all.tar.xz")) == all_blocks);
  auto one = read_stdin_from(dir / "one.json.zst");
  CHECK(numbers(one) == std::vector<uint64_t>{100});
  CHECK(one.at(0).source == "-");
  CHECK(numbers(read_stdin_from(testdata_witnesses() / "300-302.witness.json")) == std::vector<uint64_t>{300, 301, 302});
  fs::remove_all(dir);
}

TEST_CASE("a block range filters by the number inside the witness", "[witness][source]") {
  auto seen = read_all(testdata_witnesses().string(), {150, 301});
  CHECK(numbers(seen) == std::vector<uint64_t>{200, 300, 301});
  CHECK(missing_blocks({299, 303}, {300, 301, 302, 7}) == std::vector<uint64_t>{299, 303});
  CHECK(missing_blocks({5, 5}, {}) == std::vector<uint64_t>{5});
  CHECK(missing_blocks({300, UINT64_MAX}, {302, 300}) == std::vector<uint64_t>{301});  // open end: up to the last found
  CHECK(missing_blocks({0, UINT64_MAX}, {}).empty());
  CHECK(missing_blocks({10, 12}, {11, 11, 11}) == std::vector<uint64_t>{10, 12});
  // A mistyped range or a damaged block number must not make a list of billions.
  CHECK_THROWS_AS(missing_blocks({0, 1'000'000'000'000}, {5}), std::length_error);
  CHECK_THROWS_AS(missing_blocks({0, UINT64_MAX}, {1, uint64_t{1} << 62}), std::length_error);
}

TEST_CASE("damaged sources: unreadable archive data and broken files are reported, not fatal", "[witness][source]") {
  fs::path dir = test::scratch_dir("damaged");
  std::vector<std::pair<std::string, std::string>> members;
  for (const auto& name : witness_files) members.emplace_back(name, read_text(testdata_witnesses() / name));
  test::write_tar(dir / "all.tar.xz", members, Compression::xz);
  std::string archive = read_text(dir / "all.tar.xz");
  std::ofstream(dir / "cut.tar.xz", std::ios::binary) << archive.substr(0, archive.size() / 2);
  auto seen = read_all((dir / "cut.tar.xz").string());
  REQUIRE_FALSE(seen.empty());
  CHECK_FALSE(seen.back().error.empty());

  // A directory keeps going after a broken file.
  fs::path folder = dir / "folder";
  fs::create_directory(folder);
  fs::copy_file(testdata_witnesses() / "100.witness.json", folder / "a.json");
  std::ofstream(folder / "b.json") << "[{\"block_trace\":";
  std::ofstream(folder / "c.json.gz") << "this is not gzip";
  fs::copy_file(testdata_witnesses() / "300-302.witness.json", folder / "d.json");
  auto mixed = read_all(folder.string());
  REQUIRE(mixed.size() == 6);
  CHECK(mixed[0].block == 100);
  CHECK_THAT(mixed[1].error, Catch::StartsWith("b.json: block 0: truncated JSON"));
  CHECK(mixed[1].block == UINT64_MAX);
  CHECK_FALSE(mixed[2].error.empty());
  CHECK(mixed[3].block == 300);

  CHECK_THROWS_AS(SourceReader((dir / "no-such-file").string()), SourceError);
  fs::remove_all(dir);
}

TEST_CASE("macOS metadata in a tar archive is skipped and reported, not read as broken witnesses",
          "[witness][source]") {
  fs::path dir = test::scratch_dir("macos-tar");
  std::vector<std::pair<std::string, std::string>> members = {
      {"top/._100.witness.json", apple_double},
      {"top/100.witness.json", read_text(testdata_witnesses() / "100.witness.json")},
      {"top/.DS_Store", ds_store},
      {"__MACOSX/top/._100.witness.json", apple_double},
      {"__MACOSX/top/300-302.witness.json", read_text(testdata_witnesses() / "300-302.witness.json")},
      {"top/200.separate.witness.json", read_text(testdata_witnesses() / "200.separate.witness.json")}};
  test::write_tar(dir / "mac.tar.xz", members, Compression::xz);
  std::vector<std::string> skipped;
  auto seen = read_all((dir / "mac.tar.xz").string(), {}, recording_skips(skipped));
  CHECK(numbers(seen) == std::vector<uint64_t>{100, 200});
  CHECK(errors(seen).empty());
  CHECK(skipped == std::vector<std::string>{"top/._100.witness.json: macOS metadata", "top/.DS_Store: macOS metadata",
                                            "__MACOSX/top/._100.witness.json: macOS metadata",
                                            "__MACOSX/top/300-302.witness.json: macOS metadata"});
}

TEST_CASE("macOS metadata in a directory is skipped and reported, not read as broken witnesses",
          "[witness][source]") {
  fs::path dir = test::scratch_dir("macos-dir");
  fs::copy_file(testdata_witnesses() / "100.witness.json", dir / "100.witness.json");
  std::ofstream(dir / "._100.witness.json", std::ios::binary) << apple_double;
  std::ofstream(dir / ".DS_Store", std::ios::binary) << ds_store;
  std::ofstream(dir / "100_header.json") << header_json();
  std::vector<std::string> skipped;
  auto seen = read_all(dir.string(), {}, recording_skips(skipped));
  CHECK(numbers(seen) == std::vector<uint64_t>{100});
  CHECK(errors(seen).empty());
  CHECK(skipped == std::vector<std::string>{".DS_Store: macOS metadata", "._100.witness.json: macOS metadata",
                                            "100_header.json: block header content"});
}

TEST_CASE("a witness is never taken for a header file, wherever its block_trace is", "[witness][source]") {
  std::string witness = read_text(testdata_witnesses() / "100.witness.json");
  // A parentHash key early on and the block_trace key past the first 4 KiB.
  std::string padded = "[{\"parentHash\": \"0x00\", \"padding\": \"" + std::string(5000, 'x') + "\", " +
                       witness.substr(witness.find('{') + 1);
  CHECK_FALSE(looks_like_block_header(padded));
  // A witness key written with an escape is still a witness key.
  std::string escaped = witness;
  escaped.replace(escaped.find("\"block_trace\""), 13, "\"block\\u005ftrace\"");
  escaped.insert(escaped.find('{') + 1, "\"parentHash\": \"0x00\", ");
  CHECK_FALSE(looks_like_block_header(escaped));
  CHECK(looks_like_block_header(R"([{"parentHash":"0x01","stateRoot":"0x02"}])"));
  CHECK(looks_like_block_header(R"({"parentHash":"0x01","stateRoot":"0x02"})"));
}

TEST_CASE("a witness named like a header file is still read", "[witness][source]") {
  fs::path dir = test::scratch_dir("header-named");
  fs::copy_file(testdata_witnesses() / "100.witness.json", dir / "100_header.json");
  fs::copy_file(testdata_witnesses() / "100.witness.json", dir / "100.block.json");
  CHECK(numbers(read_all(dir.string())) == std::vector<uint64_t>{100, 100});
}

TEST_CASE("files of the same name in one source get names that tell them apart", "[witness][source]") {
  fs::path dir = test::scratch_dir("same-name");
  std::string w100 = read_text(testdata_witnesses() / "100.witness.json");
  std::string w200 = read_text(testdata_witnesses() / "200.separate.witness.json");
  test::write_tar(dir / "twice.tar", {{"w.json", w100}, {"w.json", w200}}, Compression::none);
  auto seen = read_all((dir / "twice.tar").string());
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].source == "w.json");
  CHECK(seen[1].source == "w.json (copy 2)");
  // A folder with x.json beside x.json.gz: both read, as two files.
  fs::create_directories(dir / "folder");
  std::ofstream(dir / "folder" / "w.json") << w100;
  test::write_compressed(dir / "folder" / "w.json.gz", w200, Compression::gzip);
  auto in_folder = read_all((dir / "folder").string());
  REQUIRE(in_folder.size() == 2);
  CHECK(in_folder[0].source != in_folder[1].source);
}

TEST_CASE("a compressed file inside an archive is an error for it, other entries are listed when skipped",
          "[witness][source]") {
  fs::path dir = test::scratch_dir("nested");
  test::write_tar(dir / "nested.tar",
                  {{"a.json.gz", "not read"}, {"100.witness.json", read_text(testdata_witnesses() / "100.witness.json")}},
                  Compression::none);
  auto seen = read_all((dir / "nested.tar").string());
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].error == "a.json.gz: a compressed file inside an archive is not read: store it uncompressed");
  CHECK(seen[1].block == 100);
  // A folder's subfolder is not read, and is listed as skipped.
  fs::create_directories(dir / "folder" / "sub");
  std::vector<std::string> skipped;
  read_all((dir / "folder").string(), {}, recording_skips(skipped));
  CHECK(skipped == std::vector<std::string>{"sub: not a regular file"});
}

TEST_CASE("a tar member claiming 1 TiB is an error for that member, nothing is allocated for it, the others are read",
          "[witness][source]") {
  fs::path dir = test::scratch_dir("claims");
  std::string good = read_text(testdata_witnesses() / "100.witness.json");
  std::string tar = test::tar_member("good.json", good, good.size()) +
                    test::tar_member("huge.json", std::string(100, '['), uint64_t{1} << 40) + test::tar_end();
  std::ofstream(dir / "claims.tar", std::ios::binary) << tar;
  test::write_compressed(dir / "claims.tar.xz", tar, Compression::xz);
  for (const char* name : {"claims.tar", "claims.tar.xz"}) {
    INFO(name);
    largest_allocation = 0;
    auto seen = read_all((dir / name).string());
    CHECK(largest_allocation < (size_t{1} << 30));
    REQUIRE(seen.size() == 2);
    CHECK(seen[0].block == 100);
    CHECK(seen[0].error.empty());
    CHECK(seen[1].error == "huge.json: larger than the 1 GiB limit (--max-witness-size)");
  }
}

TEST_CASE("a member or file above the size cap is an error for it alone, the rest of the source is read",
          "[witness][source]") {
  fs::path dir = test::scratch_dir("cap");
  const uint64_t cap = 32 << 10;  // 100 and 200 are below, 300-302 (65 KB) above
  std::vector<std::pair<std::string, std::string>> members;
  for (const auto& name : {"300-302.witness.json", "100.witness.json", "200.separate.witness.json"})
    members.emplace_back(name, read_text(testdata_witnesses() / name));
  test::write_tar(dir / "w.tar.gz", members, Compression::gzip);
  const std::vector<std::string> expected = {"300-302.witness.json: larger than the 32 KiB limit (--max-witness-size)"};
  auto in_tar = read_all((dir / "w.tar.gz").string(), {}, {cap, {}});
  CHECK(errors(in_tar) == expected);
  CHECK(numbers(in_tar) == std::vector<uint64_t>{UINT64_MAX, 100, 200});

  fs::path folder = dir / "folder";
  fs::create_directory(folder);
  for (const auto& [name, text] : members) std::ofstream(folder / name, std::ios::binary) << text;
  auto in_folder = read_all(folder.string(), {}, {cap, {}});
  CHECK(errors(in_folder) == expected);
  CHECK(numbers(in_folder) == std::vector<uint64_t>{100, 200, UINT64_MAX});
  CHECK(numbers(read_all(folder.string())) == all_blocks);  // the default cap admits them all
}

TEST_CASE("a compressed file decompressing past the size cap is refused without holding more than the cap",
          "[witness][source]") {
  fs::path dir = test::scratch_dir("bomb");
  const uint64_t cap = 32 << 10;
  std::string bomb(8 << 20, ' ');
  bomb[0] = '[';
  test::write_compressed(dir / "bomb.json.xz", bomb, Compression::xz);
  SourceReader reader((dir / "bomb.json.xz").string(), {cap, {}});
  largest_allocation = 0;
  auto entry = reader.next();
  size_t largest = largest_allocation;
  REQUIRE(entry);
  CHECK(entry->error == "bomb.json: larger than the 32 KiB limit (--max-witness-size)");
  CHECK(largest <= cap + json_padding);
  CHECK_FALSE(reader.next());
}

TEST_CASE("whitespace padding costs no memory: runs outside strings are read as one space, strings unchanged",
          "[witness][source]") {
  fs::path dir = test::scratch_dir("whitespace");
  const std::string pad(64 << 20, ' ');
  const std::string block = read_text(testdata_witnesses() / "200.separate.witness.json");
  std::string padded = pad;
  padded.append("\n\t").append(block).append(pad).append("\r\n");
  test::write_compressed(dir / "padded.json.xz", padded, Compression::xz);
  SourceReader reader((dir / "padded.json.xz").string());
  largest_allocation = 0;
  auto entry = reader.next();
  size_t largest = largest_allocation;
  REQUIRE(entry);
  CHECK(entry->error.empty());
  CHECK(entry->file.json().size() <= block.size() + 2);
  CHECK(largest < (size_t{1} << 20));  // the block's size, not the padding's
  CHECK(numbers(read_all((dir / "padded.json.xz").string())) == std::vector<uint64_t>{200});

  std::ofstream(dir / "strings.json") << "[ {\"a\"  :\n \"x  \\\"  y\\\\\"  ,\t\"b\":  1 } ]  \n";
  SourceReader plain((dir / "strings.json").string());
  auto strings = plain.next();
  REQUIRE(strings);
  CHECK(strings->file.json() == "[ {\"a\" : \"x  \\\"  y\\\\\" , \"b\": 1 } ] ");
}

TEST_CASE("a compressed file of zero bytes is an error for that file, not an empty source", "[witness][source]") {
  fs::path dir = test::scratch_dir("zeros");
  test::write_compressed(dir / "zeros.json.xz", std::string(10240, '\0'), Compression::xz);
  auto alone = read_all((dir / "zeros.json.xz").string());
  REQUIRE(alone.size() == 1);
  CHECK(alone[0].error == "zeros.json: not a witness: expected a JSON array of blocks");
  fs::copy_file(testdata_witnesses() / "100.witness.json", dir / "100.witness.json");
  auto in_folder = read_all(dir.string());
  REQUIRE(in_folder.size() == 2);
  CHECK(in_folder[0].block == 100);
  CHECK(in_folder[1].error == "zeros.json: not a witness: expected a JSON array of blocks");
}

TEST_CASE("blocks are worked on in parallel and delivered in source order", "[witness][source]") {
  std::atomic<int> running{0}, most{0};
  std::vector<uint64_t> order;
  for_each_block<uint64_t>(
      testdata_witnesses().string(), {},
      [&](BlockParse&& b) {
        int now = ++running;
        for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // sleeping, so a busy machine still overlaps
        --running;
        return b.number.value_or(0);
      },
      [&](uint64_t&& n) { order.push_back(n); });
  CHECK(order == all_blocks);
  if (std::thread::hardware_concurrency() > 1) CHECK(most.load() >= 2);
}

TEST_CASE("analysis figures of a block", "[witness][analysis]") {
  std::vector<BlockAnalysis> rows;
  for_each_block<BlockAnalysis>(testdata_witnesses().string(), {}, analyze_block,
                                [&](BlockAnalysis&& a) { rows.push_back(std::move(a)); });
  REQUIRE(rows.size() == 5);
  sort_by_block(rows);
  const BlockAnalysis& first = rows[0];
  REQUIRE(first.ok());
  REQUIRE(first.stats);
  const BlockStats& s = *first.stats;
  CHECK(first.block == 100u);
  CHECK(s.chain_id == 1);
  CHECK(s.txs == 2);
  CHECK(s.gas_used == 74000);
  CHECK(s.compact_bytes == 34);
  CHECK(s.code_db_bytes == 5);
  CHECK(s.accounts_touched == 5);  // the sender appears in both transactions
  CHECK(s.storage_reads == 2);
  CHECK(s.storage_writes == 2);
  CHECK(s.contracts_created == 1);
  CHECK(s.code_created_bytes == 5);
  CHECK(s.self_destructs == 1);
  CHECK(s.withdrawals == 2);
  // The pre-image figures come from the decoded pre-state: block 100's is one unexpanded root.
  REQUIRE(s.pre_image);
  CHECK(s.pre_image->trie_nodes == 0);
  CHECK(s.pre_image->hashed_subtries == 1);
  CHECK(s.pre_image->contracts == 1);  // the code_db entry
  CHECK(s.pre_image->code_bytes == 5);
  const auto& separate = rows[1].stats->pre_image;
  REQUIRE(separate);
  CHECK(separate->trie_nodes == 4);  // branch, account leaf, extension; the storage leaf
  CHECK(separate->hashed_subtries == 2);
  CHECK(separate->accounts == 1);
  CHECK(separate->storage_slots == 1);

  AnalysisTotals t = analysis_totals(rows);
  CHECK(t.blocks == 5);
  CHECK(t.errors == 0);
  CHECK(t.txs == 2 + 1 + 0 + 1 + 2);
  CHECK(t.gas_used == 74000 + 21000 + 0 + 21000 + 42000);
}

TEST_CASE("analysis of a processed block takes the pre-image figures and errors of its processing",
          "[witness][analysis]") {
  std::vector<BlockParse> parsed;
  for_each_block<BlockParse>(testdata_witnesses().string(), {}, [](BlockParse&& b) { return std::move(b); },
                             [&](BlockParse&& b) { parsed.push_back(std::move(b)); });
  REQUIRE(parsed.size() == 5);
  // Damaged copies: a compact stream with an unknown header byte, and one cut short.
  for (size_t cut : {size_t{0}, size_t{1}}) {
    BlockParse damaged = parsed[0];
    REQUIRE(damaged.witness);
    Bytes& compact = std::get<CombinedPreImage>(damaged.witness->block_trace.trie_pre_images).compact;
    if (cut) compact.resize(compact.size() / 2);
    else compact[0] = 0x07;
    parsed.push_back(std::move(damaged));
  }
  for (const BlockParse& b : parsed) {
    BlockAnalysis alone = analyze_block(BlockParse(b));
    BlockAnalysis shared = analyze_processed_block(BlockParse(b), process_block(*b.witness));
    CHECK(shared.error == alone.error);
    REQUIRE(shared.stats.has_value() == alone.stats.has_value());
    CHECK(shared.stats->pre_image == alone.stats->pre_image);
    CHECK(shared.stats->txs == alone.stats->txs);
  }
  CHECK(analyze_block(BlockParse(parsed[5])).error.find("pre-image: compact pre-image: unknown header byte 0x07") !=
        std::string::npos);
}
