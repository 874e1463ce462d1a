// tx_index with the transactions and receipts walks: n leaves under rlp(0 .. n-1) in both tries, the
// cumulative gas read from the receipts, and the public count and gas used.
#include <catch2/catch.hpp>

#include <random>

#include "eth/rlp.hpp"
#include "keccak_test_util.hpp"
#include "statement_fixture.hpp"
#include "stark/symbolic.hpp"

using namespace witprove;
using namespace witprove::air::test;
using stark::Fp;

namespace {

// A block's transactions and receipts tries: typed and legacy receipts, some with a pre-Byzantium state
// root, cumulative gas from 21,000 up.
struct Block {
  eth::Trie txs, receipts;
  uint64_t count = 0, gas_used = 0;
  Forest forest;
  std::vector<air::WalkSpec> specs;

  explicit Block(size_t n, uint64_t seed = 111) : count(n) {
    std::mt19937_64 rng(seed);
    const eth::Bytes bloom(256, 0);
    for (size_t i = 0; i < n; ++i) {
      gas_used += 21000 + rng() % 200000;
      eth::Bytes status = i % 7 == 3 ? eth::rlp_string(random_bytes(rng, 32)) : eth::rlp_uint(i % 5 == 0 ? 0 : 1);
      eth::Bytes receipt = eth::rlp_list({status, eth::rlp_uint(gas_used), eth::rlp_string(bloom), eth::rlp_list({})});
      if (i % 2) receipt.insert(receipt.begin(), static_cast<uint8_t>(1 + i % 4));
      txs.put(eth::rlp_uint(i), random_bytes(rng, 90 + rng() % 200));
      receipts.put(eth::rlp_uint(i), receipt);
    }
    forest.add(txs);
    forest.add(receipts);
    specs = {{air::TrieKind::transactions, false, {}, txs.root_hash()},
             {air::TrieKind::receipts, false, {}, receipts.root_hash()}};
  }
  std::unique_ptr<Statement> statement(uint64_t published_count, uint64_t published_gas) const {
    const TxPublics p{published_count, published_gas};
    return build(forest, specs, false, nullptr, &p);
  }
  std::unique_ptr<Statement> statement() const { return statement(count, gas_used); }
};

}  // namespace

TEST_CASE("tx_index: every index of a 300-transaction block, its receipts' gas and the gas used") {
  Block b(300);
  auto s = b.statement();
  CHECK(valid(*s));
  const auto& t = s->tx->trace;
  CHECK(t.at(299, air::tx_index::gas).value() == b.gas_used);
  size_t classes[4] = {};
  for (size_t r = 0; r < 300; ++r)
    for (size_t k = 0; k < 4; ++k) classes[k] += t.at(r, air::tx_index::c0 + k) == Fp::one();
  CHECK(classes[0] == 1);
  CHECK(classes[1] == 127);
  CHECK(classes[2] == 128);
  CHECK(classes[3] == 44);
  CHECK(s->tx_air.summary().constraint_degree == 3);
  CHECK_FALSE(stark::check_uniform(s->tx_air, t, s->tx_publics));
}

TEST_CASE("tx_index: a block without transactions has empty tries and no gas") {
  Block b(0);
  CHECK(valid(*b.statement()));
  CHECK_FALSE(valid(*b.statement(0, 21000)));
  CHECK_FALSE(valid(*b.statement(1, 0)));
}

TEST_CASE("tx_index: a published gas used or transaction count other than the block's fails") {
  Block b(40);
  REQUIRE(valid(*b.statement()));
  SECTION("gas used changed") {
    auto s = b.statement(40, b.gas_used + 1);
    CHECK(stark::check_constraints(s->tx_air, s->tx->trace, s->tx_publics));
  }
  SECTION("one transaction fewer") { CHECK_FALSE(valid(*b.statement(39, b.gas_used))); }
  SECTION("one transaction more") { CHECK_FALSE(valid(*b.statement(41, b.gas_used))); }
}

TEST_CASE("tx_index: one wrong cell anywhere fails the constraints or the buses") {
  Block b(20);
  REQUIRE(valid(*b.statement()));
  std::mt19937_64 rng(112);
  for (size_t trial = 0; trial < 150; ++trial) {
    auto s = b.statement();
    auto& trace = s->tx->trace;
    const size_t row = rng() % trace.height, column = rng() % trace.width;
    trace.at(row, column) = tampered(trace.at(row, column), rng);
    INFO("row " << row << " column " << column);
    const bool caught = failure_around(s->tx_air, trace, s->tx_publics, row).has_value() ||
                        stark::check_lookups(s->instances()).has_value();
    CHECK(caught);
  }
}

TEST_CASE("tx_index: transactions and receipts prove and verify, and not for another gas used") {
  Block b(12);
  auto s = b.statement();
  REQUIRE(valid(*s));
  CHECK(prove_and_verify(*s) == std::nullopt);
  std::vector<std::vector<Fp>> publics;
  for (const auto& in : s->instances()) publics.push_back(in.public_values);
  publics[publics.size() - 2][1] = publics[publics.size() - 2][1] + Fp::one();
  CHECK(prove_and_verify(*s, publics) != std::nullopt);
}
