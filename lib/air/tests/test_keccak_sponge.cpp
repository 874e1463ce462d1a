#include <catch2/catch.hpp>

#include <cstring>
#include <random>

#include "air/keccak_sponge.hpp"
#include "eth/keccak.hpp"
#include "keccak_test_util.hpp"
#include "stark/symbolic.hpp"

using namespace witprove;
using stark::Fp;
namespace sp = air::keccak_sponge;

namespace {

std::vector<eth::Bytes> random_messages(std::span<const size_t> sizes, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<eth::Bytes> messages;
  for (size_t size : sizes) {
    eth::Bytes m(size);
    for (auto& b : m) b = static_cast<uint8_t>(rng());
    messages.push_back(std::move(m));
  }
  return messages;
}

std::optional<std::string> check_all(const air::KeccakTables& t) {
  auto instances = t.instances();
  for (const auto& in : instances)
    if (auto f = stark::check_constraints(*in.air, *in.trace, in.public_values)) return f->to_string();
  return stark::check_lookups(instances);
}

// A digest from its 16 little-endian 16-bit limbs.
eth::H256 digest_of(std::span<const Fp> limbs) {
  eth::H256 d;
  for (size_t l = 0; l < 16; ++l) {
    REQUIRE(limbs[l].value() < 0x10000);
    d[2 * l] = static_cast<uint8_t>(limbs[l].value());
    d[2 * l + 1] = static_cast<uint8_t>(limbs[l].value() >> 8);
  }
  return d;
}

}  // namespace

TEST_CASE("keccak_sponge: digests on the bus equal eth::keccak256 for messages of many sizes") {
  const std::vector<size_t> sizes = {0, 1, 31, 32, 135, 136, 137, 271, 272, 273, 600, 1000};
  auto messages = random_messages(sizes, 5);
  std::vector<eth::H256> public_digests = {eth::keccak256(messages[3]), eth::keccak256(messages[0]),
                                           eth::keccak256(messages[10])};
  auto tables = air::build_keccak_tables(messages, public_digests);
  REQUIRE(tables.airs.size() == 3);
  auto problem = check_all(tables);
  INFO(problem.value_or("ok"));
  CHECK_FALSE(problem);

  // Read every (message id, length, digest) the sponge sends, whatever its multiplicity.
  const auto& sponge = tables.traces[1];
  size_t seen = 0;
  for (size_t r = 0; r < sponge.height; ++r) {
    auto row = sponge.row(r);
    if (row[sp::is_last] != Fp::one() || row[sp::is_real] != Fp::one() || row[sp::is_absorb] == Fp::one()) continue;
    const auto digest = stark::lookups_at(*tables.airs[1], sponge, r, {})[3];
    REQUIRE(digest.bus == air::bus::digest.id);
    const size_t id = digest.tuple[0].value();
    REQUIRE(id < messages.size());
    CHECK(digest.tuple[1] == Fp(messages[id].size()));
    std::vector<Fp> limbs(digest.tuple.begin() + 2, digest.tuple.end());
    CHECK(digest_of(limbs) == eth::keccak256(messages[id]));
    ++seen;
  }
  CHECK(seen == messages.size());

  // The block bus carries the message bytes themselves (padding removed).
  for (size_t r = 0; r < sponge.height; ++r) {
    auto row = sponge.row(r);
    if (row[sp::is_real] != Fp::one() || row[sp::is_absorb] == Fp::one()) continue;
    const auto block_lookup = stark::lookups_at(*tables.airs[1], sponge, r, {})[2];
    REQUIRE(block_lookup.bus == air::bus::message_block.id);
    const auto& msg = messages[block_lookup.tuple[0].value()];
    const size_t block = block_lookup.tuple[1].value();
    uint8_t expected[sp::rate_bytes] = {};
    const size_t begin = sp::rate_bytes * block;
    if (begin < msg.size()) std::memcpy(expected, msg.data() + begin, std::min(sp::rate_bytes, msg.size() - begin));
    for (size_t l = 0; l < 68; ++l) CHECK(block_lookup.tuple[2 + l] == Fp(expected[2 * l] | uint32_t{expected[2 * l + 1]} << 8));
  }
}

TEST_CASE("keccak_sponge: the verifier's tables match the prover's") {
  auto messages = random_messages(std::vector<size_t>{10, 200}, 9);
  std::vector<eth::H256> pub = {eth::keccak256(messages[1])};
  auto prover = air::build_keccak_tables(messages, pub);
  auto verifier = air::keccak_verifier_tables(pub);
  REQUIRE(verifier.airs.size() == prover.airs.size());
  for (size_t i = 0; i < prover.airs.size(); ++i) {
    CHECK(verifier.airs[i]->name() == prover.airs[i]->name());
    CHECK(verifier.airs[i]->width() == prover.airs[i]->width());
    CHECK(verifier.public_values[i] == prover.public_values[i]);
  }
  CHECK(air::keccak_verifier_tables({}).airs.size() == 2);
}

TEST_CASE("keccak_sponge: a public digest that no message has is refused") {
  auto messages = random_messages(std::vector<size_t>{10}, 1);
  std::vector<eth::H256> pub = {eth::keccak256(eth::Bytes{1, 2, 3})};
  CHECK_THROWS_AS(air::build_keccak_tables(messages, pub), std::invalid_argument);
}

TEST_CASE("keccak_sponge: a wrong public value fails the public-digests table") {
  auto messages = random_messages(std::vector<size_t>{50, 140}, 3);
  std::vector<eth::H256> pub = {eth::keccak256(messages[0]), eth::keccak256(messages[1])};
  auto tables = air::build_keccak_tables(messages, pub);
  REQUIRE_FALSE(check_all(tables));
  std::mt19937_64 rng(11);
  for (size_t i = 0; i < tables.public_values[2].size(); ++i) {
    auto bad = tables.public_values[2];
    bad[i] = bad[i] + Fp(1 + rng() % 1000);
    CHECK(stark::check_constraints(*tables.airs[2], tables.traces[2], bad));
  }
}

TEST_CASE("keccak_sponge: one wrong cell in any table fails the constraints or the lookups") {
  // Messages with one, two and three blocks, a public digest, and unused sponge rows.
  auto messages = random_messages(std::vector<size_t>{0, 140, 300}, 21);
  std::vector<eth::H256> pub = {eth::keccak256(messages[2]), eth::keccak256(messages[1])};
  const auto honest = air::build_keccak_tables(messages, pub);
  REQUIRE_FALSE(check_all(honest));
  const size_t blocks = 1 + 2 + 3;
  const air::KeccakPublicDigestsAir pub_air{pub.size()};

  // Cells nothing depends on: the outputs of sponge blocks that look nothing up, and the message id and
  // length of public-digest rows that receive nothing.
  auto dont_care = [&](size_t table, size_t row, size_t column) {
    if (table == 1 && row >= 2 * blocks && row % 2 == 1) return column >= sp::limbs;
    if (table == 2 && row >= pub.size()) return column == pub_air.message_id || column == pub_air.length;
    return false;
  };

  std::mt19937_64 rng(77);
  std::vector<stark::Trace> traces = honest.traces;
  auto instances = honest.instances();
  for (size_t i = 0; i < instances.size(); ++i) instances[i].trace = &traces[i];
  auto try_cell = [&](size_t table, size_t row, size_t column, bool random_change) {
    stark::Trace& trace = traces[table];
    const Fp original = trace.at(row, column);
    // Exhaustively, 0 and 1 become each other (a wrong bit that still passes booleanity), others + 1.
    trace.at(row, column) = random_change          ? air::test::tampered(original, rng)
                            : original.value() <= 1 ? Fp(1 - original.value())
                                                    : original + Fp::one();
    const bool caught = air::test::failure_around(*instances[table].air, trace, instances[table].public_values, row) ||
                        stark::check_lookups(instances);
    trace.at(row, column) = original;
    if (!caught) FAIL("table " << table << ": tampered cell at row " << row << " column " << column << " passed every check");
  };
  // Every cell of the sponge and public-digests tables, and thousands of the permutation table's.
  size_t tried = 0;
  for (size_t table : {1, 2})
    for (size_t row = 0; row < traces[table].height; ++row)
      for (size_t column = 0; column < traces[table].width; ++column)
        if (!dont_care(table, row, column)) {
          try_cell(table, row, column, false);
          ++tried;
        }
  for (size_t t = 0; t < 3000; ++t) try_cell(0, rng() % traces[0].height, rng() % traces[0].width, true);
  CHECK(tried > 20000);
}

TEST_CASE("keccak_sponge: no messages and no public digests still give valid tables") {
  auto tables = air::build_keccak_tables({}, {});
  REQUIRE(tables.airs.size() == 2);
  CHECK(tables.traces[0].height == air::keccak_permutation_height(0));
  CHECK(tables.traces[1].height == 2);
  CHECK_FALSE(check_all(tables));
}

TEST_CASE("keccak tables: symbolic degrees and lookups, the same on every row") {
  auto messages = random_messages(std::vector<size_t>{0, 135, 300}, 11);
  auto tables = air::build_keccak_tables(messages, std::vector<eth::H256>{eth::keccak256(messages[2])});
  REQUIRE(tables.airs.size() == 3);
  const auto& perm = tables.airs[0]->summary();
  const auto& sponge = tables.airs[1]->summary();
  const auto& digests = tables.airs[2]->summary();
  CHECK(perm.constraint_degree == 3);
  CHECK(sponge.constraint_degree == 3);
  CHECK(digests.constraint_degree == 2);
  CHECK(perm.interactions.size() == 2);
  CHECK(sponge.interactions.size() == 4);
  CHECK(digests.interactions.size() == 1);
  for (const auto* s : {&perm, &sponge, &digests})
    for (const auto& in : s->interactions) CHECK(in.fingerprint_degree <= 1);  // linear tuples: two per column
  for (const auto& in : tables.instances()) {
    auto problem = stark::check_uniform(*in.air, *in.trace, in.public_values);
    INFO(problem.value_or("ok"));
    CHECK_FALSE(problem);
  }
}
