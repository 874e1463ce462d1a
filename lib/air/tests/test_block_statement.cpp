#include <catch2/catch.hpp>

#include "air/block_statement.hpp"
#include "eth/keccak.hpp"

using namespace witprove;

namespace {
eth::Bytes message(size_t length, uint8_t seed) {
  eth::Bytes m(length);
  for (size_t i = 0; i < length; ++i) m[i] = static_cast<uint8_t>(seed + 13 * i);
  return m;
}
stark::ByteView bytes(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }
}  // namespace

TEST_CASE("block statement: permutations per message follow the Keccak padding") {
  CHECK(air::keccak_permutations(0) == 1);
  CHECK(air::keccak_permutations(135) == 1);
  CHECK(air::keccak_permutations(136) == 2);
  CHECK(air::keccak_permutations(532) == 4);
}

TEST_CASE("block statement: segments are bounded and own the digests they hash") {
  std::vector<eth::Bytes> messages = {message(100, 1), message(300, 2), message(10, 3), message(1000, 4),
                                      message(50, 5)};
  // permutations: 1, 3, 1, 8, 1
  std::vector<eth::H256> required = {eth::keccak256(messages[3]), eth::keccak256(messages[0])};
  auto plan = air::plan_segments(messages, required, 4);
  REQUIRE(plan.size() == 4);
  CHECK(plan[0].first_message == 0);
  CHECK(plan[0].message_count == 2);
  CHECK(plan[0].permutations == 4);
  CHECK(plan[1].message_count == 1);
  CHECK(plan[2].first_message == 3);
  CHECK(plan[2].permutations == 8);  // longer than the bound: a segment of its own
  CHECK(plan[3].first_message == 4);
  CHECK(plan[0].public_digests == std::vector<eth::H256>{required[1]});
  CHECK(plan[2].public_digests == std::vector<eth::H256>{required[0]});
  CHECK(plan[1].public_digests.empty());

  eth::H256 absent{};
  absent[0] = 1;
  std::vector<eth::H256> bad = {absent};
  CHECK_THROWS_WITH(air::plan_segments(messages, bad, 4), Catch::Contains("not among the hashed messages"));
  CHECK_THROWS(air::plan_segments(messages, required, 0));
}

TEST_CASE("block statement: a segment proof verifies only for its digests and statement") {
  std::vector<eth::Bytes> messages = {message(40, 7), message(200, 8), message(0, 9)};
  std::vector<eth::H256> digests = {eth::keccak256(messages[1]), eth::keccak256(messages[2])};
  stark::StarkParams params;
  auto proof = air::prove_segment(messages, digests, params, bytes("block 1"));
  CHECK_FALSE(air::verify_segment(digests, proof, params, bytes("block 1")));
  CHECK(air::verify_segment(digests, proof, params, bytes("block 2")));
  std::vector<eth::H256> other = {digests[0], eth::keccak256(messages[0])};
  CHECK(air::verify_segment(other, proof, params, bytes("block 1")));
  std::vector<eth::H256> fewer = {digests[0]};
  CHECK(air::verify_segment(fewer, proof, params, bytes("block 1")));
}
