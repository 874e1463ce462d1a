// The assembled block-transition tables: a block with state changes, transactions and receipts proves and
// verifies for its public values only; the audit's forgery (an arbitrary pre-state root) fails.
#include <catch2/catch.hpp>

#include <random>

#include "air/block_transition.hpp"
#include "eth/rlp.hpp"
#include "world_test_util.hpp"

using namespace witprove;
using namespace witprove::air::test;
using stark::Fp;

namespace {

struct Block {
  World pre, post;
  eth::Trie txs, receipts;
  air::BlockTransitionWitness witness;
  air::BlockTransitionPublic pub;

  Block() {
    std::mt19937_64 rng(121);
    auto address = [&] { return random_address(rng); };
    auto slot = [&] { return random_slot(rng); };
    std::vector<eth::Address> addresses;
    for (int i = 0; i < 16; ++i) {
      addresses.push_back(address());
      pre.accounts[addresses.back()] = eth::Account{1, eth::U256(100 + i), eth::empty_trie_root, eth::empty_keccak};
      if (i % 4 == 0)
        for (int k = 0; k < 5; ++k) pre.storage[addresses.back()][slot()] = 1 + rng() % 1000;
    }
    post = pre;
    post.storage[addresses[0]].begin()->second += 5;
    post.accounts[addresses[1]].balance = eth::U256(1);
    post.accounts[addresses[2]].nonce = 2;
    const eth::Bytes bloom(256, 0);
    uint64_t gas = 0;
    for (uint64_t i = 0; i < 3; ++i) {
      gas += 21000 + 1000 * i;
      txs.put(eth::rlp_uint(i), random_bytes(rng, 110));
      receipts.put(eth::rlp_uint(i), eth::rlp_list({eth::rlp_uint(1), eth::rlp_uint(gas), eth::rlp_string(bloom), eth::rlp_list({})}));
    }
    auto add = [&](const eth::Trie& t) {
      for (auto& n : trie_nodes(t)) witness.nodes.push_back(std::move(n));
    };
    for (const World* w : {&pre, &post}) {
      add(w->state());
      for (const auto& [a, _] : w->accounts) add(w->storage_trie(a));
    }
    add(txs);
    add(receipts);
    witness.changes = net_changes(pre, post);
    pub = {pre.state().root_hash(), post.state().root_hash(), txs.root_hash(), receipts.root_hash(), 3, gas,
           eth::keccak256(air::encode_change_list(witness.changes))};
  }
};

std::optional<std::string> check(const air::BlockTransitionTables& t) {
  for (const auto& in : t.instances())
    if (auto f = stark::check_constraints(*in.air, *in.trace, in.public_values)) return f->to_string();
  return stark::check_lookups(t.instances());
}

}  // namespace

TEST_CASE("block transition: a block's changes, transactions and receipts prove and verify for its public values only") {
  Block b;
  REQUIRE(b.witness.changes.size() == 4);  // one slot, its account's storage root, a balance, a nonce
  const auto tables = air::build_block_transition(b.witness, b.pub);
  auto problem = check(tables);
  INFO(problem.value_or("valid"));
  REQUIRE_FALSE(problem);
  stark::StarkParams params;
  params.num_queries = 12;
  params.grinding_bits = 4;
  const eth::Bytes statement{'b', 'l', 'o', 'c', 'k'};
  const auto proof = stark::prove(tables.instances(), params, statement);
  auto verify = [&](const air::BlockTransitionPublic& pub) {
    const auto v = air::block_transition_verifier(pub);
    return stark::verify(v.air_pointers(), v.public_values, proof, params, statement);
  };
  CHECK(verify(b.pub) == std::nullopt);
  auto other = b.pub;
  other.post_root[0] ^= 1;
  CHECK(verify(other) != std::nullopt);
  other = b.pub;
  other.changes_digest[5] ^= 1;
  CHECK(verify(other) != std::nullopt);
  other = b.pub;
  other.gas_used += 1;
  CHECK(verify(other) != std::nullopt);
  other = b.pub;
  other.receipts_root = b.pub.transactions_root;
  CHECK(verify(other) != std::nullopt);
}

TEST_CASE("block transition: the audit's forgery, an arbitrary pre-state root, fails the item bus") {
  Block b;
  auto forged = b.pub;
  forged.pre_root = eth::keccak256(eth::Bytes{'a', 'n', 'y'});
  const auto tables = air::build_block_transition(b.witness, forged);
  auto problem = check(tables);
  REQUIRE(problem);
  CHECK_THAT(*problem, Catch::Contains("trie.item"));
}

TEST_CASE("block transition: public counts the field would reduce are refused") {
  Block b;
  auto pub = b.pub;
  pub.transaction_count = 3 + stark::Fp::P;
  CHECK_THROWS_WITH(air::block_transition_verifier(pub), Catch::Contains("transactions: the statement proves at most"));
  pub = b.pub;
  pub.gas_used = uint64_t{1} << 28;
  CHECK_THROWS_WITH(air::block_transition_verifier(pub), Catch::Contains("gas used"));
  CHECK_THROWS_AS(air::build_block_transition(b.witness, pub), std::invalid_argument);
}
