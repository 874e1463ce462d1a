// End-to-end: verify-proof on a proof of a generated block, intact and damaged in every way an operator meets.
#include <catch2/catch.hpp>
#include <simdjson.h>

#include "test_prove_support.hpp"

using namespace witprove::test;

namespace {

// One proof of the generated Shanghai block, made once for all the cases below.
const fs::path& shanghai_proof() {
  static const fs::path proof = [] {
    auto dir = scratch_dir("verify");
    auto path = dir / "17000000.proof";
    auto r = run(fmt::format("{} --witness {} --output {}", app("prove-witness"),
                             q(testdata_dir() / "generated" / "shanghai.json"), q(path)));
    REQUIRE(r.status == 0);
    return path;
  }();
  return proof;
}

CommandResult verify(const std::string& args) { return run(app("verify-proof") + " " + args); }

}  // namespace

TEST_CASE("verify-proof: a valid proof, its header, JSON output exactly as named") {
  auto proof = shanghai_proof();
  auto header = testdata_dir() / "generated" / "shanghai_header.json";
  auto r = verify(fmt::format("--format json --header {} {}", q(header), q(proof)));
  REQUIRE(r.status == 0);
  simdjson::dom::parser parser;
  auto doc = parser.parse(r.out);
  REQUIRE(!doc.error());
  CHECK(std::string_view(doc["proof"]) == proof.string());
  CHECK(int64_t(doc["block"]) == 17000000);
  CHECK(std::string_view(doc["status"]) == "valid");
  CHECK(std::string_view(doc["error"]) == "");
  CHECK(std::string_view(doc["public_values"]["block_number"]) == "17000000");
  CHECK(std::string_view(doc["public_values"]["chain_id"]) == "1");
  // A folder and standard input are proofs too.
  CHECK(verify(q(proof.parent_path())).status == 0);
  CHECK(verify("- < " + q(proof)).status == 0);
  // Another block's header: refused, naming what differs.
  auto other = proof.parent_path() / "other_header.json";
  auto text = read_text(header);
  auto at = text.find("\"number\"");
  REQUIRE(at != std::string::npos);
  auto value = text.find("0x", at);
  text.replace(value, text.find('"', value) - value, "0x1036641");  // 17000001
  write_text(other, text);
  r = verify(fmt::format("--header {} {}", q(other), q(proof)));
  CHECK(r.status == 1);
  CHECK(r.out.find("block number differs from the header") != std::string::npos);
}

TEST_CASE("verify-proof: a flipped byte anywhere, truncation and trailing bytes are rejected clearly") {
  auto proof = shanghai_proof();
  auto bytes = read_text(proof);
  auto damaged = proof.parent_path() / "damaged.proof";
  for (size_t i = 0; i < 24; ++i) {
    size_t at = i == 0 ? 0 : i == 1 ? bytes.size() - 1 : (bytes.size() / 23) * (i - 1) + 7;
    auto copy = bytes;
    copy[at] = static_cast<char>(copy[at] ^ 0x20);
    write_text(damaged, copy);
    auto r = verify(q(damaged));
    INFO("byte " << at);
    CHECK(r.status == 1);
    CHECK(r.out.find("invalid") != std::string::npos);
    if (at >= 12) CHECK(r.out.find("checksum mismatch") != std::string::npos);
  }
  write_text(damaged, bytes.substr(0, bytes.size() / 2));
  auto r = verify(q(damaged));
  CHECK(r.status == 1);
  CHECK(r.out.find("truncated") != std::string::npos);
  write_text(damaged, bytes + "x");
  CHECK(verify(q(damaged)).status == 1);
  auto version = bytes;
  version[8] = 99;  // a later format
  write_text(damaged, version);
  r = verify(q(damaged));
  CHECK(r.status == 1);
  CHECK(r.out.find("unsupported proof format version 99") != std::string::npos);
}

TEST_CASE("verify-proof: the JSON form reads back, and a jq'd or edited one is refused") {
  auto proof = shanghai_proof();
  auto dir = proof.parent_path();
  auto json = dir / "proof.json";
  REQUIRE(verify(fmt::format("--export-json {} {}", q(json), q(proof))).status == 0);
  auto text = read_text(json);
  CHECK(text.find("\"gas_used\":\"") != std::string::npos);
  CHECK(verify(q(json)).status == 0);

  // What happens when a tool turns the strings into numbers.
  auto numbers = dir / "numbers.json";
  auto pos = text.find("\"gas_used\":\"");
  auto end = text.find('"', pos + 12);
  auto as_number = text;
  as_number.replace(pos + 11, end - pos - 10, text.substr(pos + 12, end - pos - 12));
  write_text(numbers, as_number);
  auto r = verify(q(numbers));
  CHECK(r.status == 1);
  CHECK(r.out.find("is a number, but every 64-bit value and hash must be a string") != std::string::npos);

  // The proof as a plain JSON array of numbers, passed through jq (which rounds above 2^53).
  if (std::system("command -v jq > /dev/null") == 0) {
    auto array = dir / "array.json";
    REQUIRE(run(fmt::format("od -An -v -t u8 -w8 {} | jq -s . > {}", q(proof), q(array))).status == 0);
    r = verify(q(array));
    CHECK(r.status == 1);
    CHECK(r.out.find("plain array of numbers") != std::string::npos);
  } else {
    std::printf("SKIPPED: jq not installed; the jq round trip did not run\n");
  }

  auto edited = dir / "edited.json";
  auto changed = text;
  changed.replace(changed.find("\"tx_count\":\"4\""), 14, "\"tx_count\":\"5\"");
  write_text(edited, changed);
  r = verify(q(edited));
  CHECK(r.status == 1);
  CHECK(r.out.find("checksum mismatch") != std::string::npos);
}

TEST_CASE("verify-proof: usage errors exit 2") {
  CHECK(verify("--help").status == 0);
  CHECK(verify("").status == 2);
  CHECK(verify("--format xml x.proof").status == 2);
  CHECK(verify("--export-json a.json x.proof y.proof").status == 2);
  CHECK(verify(q(scratch_dir("verify-empty"))).status == 2);
  CHECK(verify("missing.proof").status == 1);
}
