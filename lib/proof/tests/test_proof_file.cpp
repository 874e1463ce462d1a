#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <random>

#include "proof/proof_file.hpp"
#include "test_support.hpp"

using namespace witprove::proof;

namespace {

Hash32 filled(uint8_t seed) {
  Hash32 h;
  for (size_t i = 0; i < h.size(); ++i) h[i] = static_cast<uint8_t>(seed + i * 7);
  return h;
}

ProofFile sample() {
  ProofFile f;
  f.statement_id = "witprove.block-transition";
  f.statement_version = 1;
  f.parameters.stark = {.log_blowup = 1, .num_queries = 100, .grinding_bits = 16, .log_fri_arity = 2,
                        .log_final_poly_len = 2, .check_trace = false};
  f.parameters.permutations_per_table = 4096;
  auto& v = f.public_values;
  v.chain_id = 3151908;
  v.block_number = 0xFFFFFFFFFFFFFFF1ULL;  // above 2^53: would be rounded as a JSON number
  v.block_hash = filled(1);
  v.parent_hash = filled(2);
  v.pre_state_root = filled(3);
  v.post_state_root = filled(4);
  v.transactions_root = filled(5);
  v.receipts_root = filled(6);
  v.gas_used = 9324335365483090500ULL;
  v.tx_count = 257;
  v.changes_digest = filled(8);
  v.previous_proof_digest = filled(9);
  f.permutation_tables = 2;
  for (int s = 0; s < 3; ++s) {
    Segment seg;
    for (int t = 0; t <= s; ++t) seg.tables.push_back(static_cast<uint32_t>(10 * s + t));
    seg.stark_proof.resize(300 + 17 * s);
    for (size_t i = 0; i < seg.stark_proof.size(); ++i) seg.stark_proof[i] = static_cast<uint8_t>(i * 31 + s);
    f.segments.push_back(std::move(seg));
  }
  return f;
}

std::string message_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const FormatError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("proof file: binary round trip is exact and deterministic") {
  auto f = sample();
  auto bytes = encode(f);
  CHECK(decode(bytes) == f);
  CHECK(encode(decode(bytes)) == bytes);
  CHECK(encode(sample()) == bytes);
  auto other = f;
  other.segments[0].stark_proof[0] ^= 1;
  CHECK(digest(f) == digest(sample()));
  CHECK(digest(other) != digest(f));
}

TEST_CASE("proof file: every flipped bit is detected") {
  auto bytes = encode(sample());
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int bit : {0, 5}) {
      auto damaged = bytes;
      damaged[i] ^= static_cast<uint8_t>(1 << bit);
      auto msg = message_of([&] { decode(damaged); });
      INFO("byte " << i << " bit " << bit);
      REQUIRE(!msg.empty());
    }
  }
  auto damaged = bytes;
  damaged[200] ^= 0x10;
  CHECK_THAT(message_of([&] { decode(damaged); }), Catch::Contains("checksum mismatch"));
}

TEST_CASE("proof file: truncation, trailing bytes, magic and version are named") {
  auto bytes = encode(sample());
  for (size_t len = 0; len < bytes.size(); len += 13) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + len);
    INFO("length " << len);
    CHECK(!message_of([&] { decode(cut); }).empty());
  }
  std::vector<uint8_t> cut(bytes.begin(), bytes.end() - 100);
  CHECK_THAT(message_of([&] { decode(cut); }), Catch::Contains("truncated"));

  auto longer = bytes;
  longer.push_back(0);
  CHECK(!message_of([&] { decode(longer); }).empty());

  auto bad_magic = bytes;
  bad_magic[0] = 'X';
  CHECK_THAT(message_of([&] { decode(bad_magic); }), Catch::Contains("magic"));

  auto bad_version = bytes;
  bad_version[8] = 99;  // a later format
  CHECK_THAT(message_of([&] { decode(bad_version); }),
             Catch::Contains(fmt::format("unsupported proof format version 99 (this build reads version {})", kFormatVersion)));
}

TEST_CASE("proof file: a proof of the retired interim statement is refused as such") {
  // Format version 4 began like this: magic, version, statement id "witprove.block-keccak", ...
  std::vector<uint8_t> old = {'W', 'I', 'T', 'P', 'R', 'O', 'O', 'F', 4, 0, 0, 0};
  const std::string id = "witprove.block-keccak";
  old.push_back(static_cast<uint8_t>(id.size()));
  old.insert(old.end(), id.begin(), id.end());
  old.resize(old.size() + 200, 0);
  CHECK_THAT(message_of([&] { decode(old); }),
             Catch::Contains("a proof of statement witprove.block-keccak in proof format version 4, which this build "
                             "no longer verifies"));
}

TEST_CASE("proof file: JSON round trip keeps 64-bit values exact") {
  auto f = sample();
  auto json = to_json(f);
  CHECK(json.find("\"9324335365483090500\"") != std::string::npos);
  CHECK(from_json(json) == f);
  auto bytes = std::vector<uint8_t>(json.begin(), json.end());
  CHECK(parse(bytes) == f);
}

TEST_CASE("proof file: JSON numbers, number arrays and edits are refused") {
  auto json = to_json(sample());
  // What jq does to an unquoted large number.
  auto rounded = json;
  auto at = rounded.find("\"9324335365483090500\"");
  rounded.replace(at, 21, "9324335365483090000");
  CHECK_THAT(message_of([&] { from_json(rounded); }), Catch::Contains("gas_used is a number"));

  CHECK_THAT(message_of([&] { from_json("[1,2,3,9324335365483090000]"); }), Catch::Contains("plain array of numbers"));

  auto edited = json;
  at = edited.find("\"257\"");
  edited.replace(at, 5, "\"258\"");
  CHECK_THAT(message_of([&] { from_json(edited); }), Catch::Contains("checksum mismatch"));

  CHECK_THAT(message_of([&] { from_json("{\"format\":\"witprove-proof\"}"); }), Catch::Contains("format_version"));
  CHECK_THAT(message_of([&] { from_json("{not json"); }), Catch::Contains("not valid JSON"));
}

TEST_CASE("proof file: statement bytes change with every public value and segment's tables, not the proofs") {
  auto f = sample();
  auto base = statement_bytes(f);
  auto g = f;
  g.public_values.gas_used += 1;
  CHECK(statement_bytes(g) != base);
  g = f;
  g.public_values.previous_proof_digest[31] ^= 1;
  CHECK(statement_bytes(g) != base);
  g = f;
  g.public_values.changes_digest[0] ^= 1;
  CHECK(statement_bytes(g) != base);
  g = f;
  g.parameters.stark.num_queries += 1;
  CHECK(statement_bytes(g) != base);
  g = f;
  g.permutation_tables += 1;
  CHECK(statement_bytes(g) != base);
  g = f;
  g.segments[1].tables[0] ^= 1;
  CHECK(statement_bytes(g) != base);
  g = f;
  g.segments[1].stark_proof[0] ^= 1;
  CHECK(statement_bytes(g) == base);
}

TEST_CASE("proof file: atomic write leaves only the final file") {
  auto dir = std::filesystem::temp_directory_path() / "witprove_test_proof_file";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto bytes = encode(sample());
  write_file_atomic(dir / "7.proof", bytes);
  CHECK(read_file(dir / "7.proof") == sample());
  size_t files = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir)) ++files;
  CHECK(files == 1);
  CHECK_THAT(message_of([&] { read_file(dir / "missing.proof"); }), Catch::Contains("missing.proof"));
  std::filesystem::remove_all(dir);
}
