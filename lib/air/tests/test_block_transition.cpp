// The assembled block-transition tables: a block with state changes, transactions and receipts proves and
// verifies for its public values only; the audit's forgery (an arbitrary pre-state root) fails.
#include <catch2/catch.hpp>

#include <random>

#include "air/block_transition.hpp"
#include "stark/logup.hpp"
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

std::optional<std::string> check(const air::BlockTransitionTables& t) { return air::check_block_transition(t); }

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
  std::vector<stark::Trace> made;
  const auto proof = stark::prove(tables.instances(made), params, statement);
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

namespace {

// Proves the tables as the planned segments: every segment's main traces committed first, then each proved
// with the challenges drawn from all the commitments.
std::vector<air::SegmentProof> prove_segments(const air::BlockTransitionTables& tables,
                                              const std::vector<air::SegmentTables>& plan,
                                              const stark::StarkParams& params, stark::ByteView statement) {
  std::vector<stark::Trace> made;
  if (plan.size() == 1)
    return {{plan[0], stark::prove(tables.instances(plan[0], made), params, air::segment_statement(statement, 0))}};
  std::vector<stark::Digest> commitments;
  for (uint32_t k = 0; k < plan.size(); ++k)
    commitments.push_back(
        stark::commit_segment(tables.instances(plan[k], made), params, air::segment_statement(statement, k)));
  const auto shared = stark::shared_challenges(commitments, statement);
  std::vector<air::SegmentProof> out;
  for (uint32_t k = 0; k < plan.size(); ++k)
    out.push_back({plan[k], stark::prove(tables.instances(plan[k], made), params, air::segment_statement(statement, k),
                                         nullptr, &shared)});
  return out;
}

}  // namespace

TEST_CASE("block transition: permutations split over tables and the tables over segments prove and verify") {
  Block b;
  const auto tables = air::build_block_transition(b.witness, b.pub, 3);
  REQUIRE(tables.permutation_tables > 2);
  REQUIRE_FALSE(check(tables));
  stark::StarkParams params;
  params.num_queries = 12;
  params.grinding_bits = 4;
  params.check_trace = false;
  const auto plan = air::plan_segments(tables, params, 20'000'000);
  REQUIRE(plan.size() > 2);
  const auto whole = air::plan_segments(tables, params, UINT64_MAX);
  CHECK(whole.size() == 1);
  const eth::Bytes statement{'b', 'l', 'o', 'c', 'k'};
  auto segments = prove_segments(tables, plan, params, statement);
  const size_t k = tables.permutation_tables;
  CHECK(air::verify_block_transition(b.pub, k, segments, params, statement) == std::nullopt);
  auto other = b.pub;
  other.post_root[0] ^= 1;
  CHECK(air::verify_block_transition(other, k, segments, params, statement) != std::nullopt);
  CHECK(air::verify_block_transition(b.pub, k + 1, segments, params, statement) != std::nullopt);

  auto dropped = segments;
  dropped.pop_back();
  CHECK_THAT(air::verify_block_transition(b.pub, k, dropped, params, statement).value_or(""),
             Catch::Contains("is in no segment"));
  auto twice = segments;
  twice.push_back(segments.back());
  CHECK_THAT(air::verify_block_transition(b.pub, k, twice, params, statement).value_or(""),
             Catch::Contains("is in two segments"));
  auto swapped = segments;
  std::swap(swapped[0], swapped[1]);
  CHECK(air::verify_block_transition(b.pub, k, swapped, params, statement) != std::nullopt);

  // One segment: an ordinary proof, verified with its own challenges.
  const auto one = prove_segments(tables, whole, params, statement);
  CHECK(air::verify_block_transition(b.pub, k, one, params, statement) == std::nullopt);
  CHECK(air::verify_block_transition(other, k, one, params, statement) != std::nullopt);
}

TEST_CASE("block transition: two permutation tables with one tag range cannot forge a permutation") {
  // The second permutation table claims the first table's tags: its first tag is a public value the
  // verifier fixes at k * stride, so the proof is rejected.
  Block b;
  const auto tables = air::build_block_transition(b.witness, b.pub, 3);
  REQUIRE(tables.permutation_tables > 1);
  std::vector<stark::Trace> made;
  auto instances = tables.instances(made);
  stark::Trace retagged = air::generate_keccak_permutation_trace(
      std::span(tables.permutation_inputs).subspan(3, std::min<size_t>(3, tables.permutation_inputs.size() - 3)), 0);
  auto publics = instances[1].public_values;
  CHECK(stark::check_constraints(*instances[1].air, retagged, publics).has_value());
}

TEST_CASE("block transition: a deletion that skips the branch collapse balances, and only the header's root tells") {
  // An account with two slots whose keys differ in their first nibble: its storage root is a branch with
  // two leaves. The block deletes one slot; the canonical trie collapses to one leaf, the forged one keeps
  // the branch with a single child.
  std::mt19937_64 rng(5);
  World pre;
  const eth::Address a = random_address(rng);
  eth::H256 kept = random_slot(rng), deleted = random_slot(rng);
  while (eth::keccak256(deleted)[0] >> 4 == eth::keccak256(kept)[0] >> 4) deleted = random_slot(rng);
  pre.accounts[a] = eth::Account{1, eth::U256(100), eth::empty_trie_root, eth::empty_keccak};
  pre.storage[a] = {{kept, 5}, {deleted, 9}};
  for (int i = 0; i < 6; ++i)
    pre.accounts[random_address(rng)] = eth::Account{1, eth::U256(i), eth::empty_trie_root, eth::empty_keccak};
  World post = pre;
  post.storage[a].erase(deleted);

  const eth::Bytes pre_branch = trie_nodes(pre.storage_trie(a)).front();
  const air::NodeShape shape = air::node_shape(pre_branch);
  REQUIRE(shape.kind == air::NodeShape::branch);
  const size_t slot = eth::keccak256(kept)[0] >> 4;
  REQUIRE(shape.children[slot].cls == air::NodeShape::reference);
  // The pre branch with the deleted slot's reference (0xa0 and 32 bytes) made empty (0x80).
  const size_t gone = shape.children[eth::keccak256(deleted)[0] >> 4].header;
  eth::Bytes payload(pre_branch.begin() + 2, pre_branch.end());  // a branch of two references: 0xf8 length
  REQUIRE(pre_branch[0] == 0xf8);
  payload.erase(payload.begin() + static_cast<ptrdiff_t>(gone - 2), payload.begin() + static_cast<ptrdiff_t>(gone - 2 + 33));
  payload.insert(payload.begin() + static_cast<ptrdiff_t>(gone - 2), 0x80);
  eth::Bytes single_child_branch = {0xf8, static_cast<uint8_t>(payload.size())};
  if (payload.size() < 56) single_child_branch = {static_cast<uint8_t>(0xc0 + payload.size())};
  single_child_branch.insert(single_child_branch.end(), payload.begin(), payload.end());

  eth::Account forged = post.account(a);
  forged.storage_root = eth::keccak256(single_child_branch);
  eth::Trie forged_state;
  for (const auto& [address, _] : post.accounts) {
    const auto key = eth::keccak256(address);
    forged_state.put(eth::ByteView(key.data(), key.size()),
                     eth::encode_account(address == a ? forged : post.account(address)));
  }
  air::BlockTransitionWitness witness;
  for (auto nodes : {trie_nodes(pre.state()), trie_nodes(pre.storage_trie(a)), trie_nodes(forged_state)})
    for (auto& n : nodes) witness.nodes.push_back(std::move(n));
  witness.nodes.push_back(single_child_branch);
  witness.changes = {{air::ChangeKind::slot, a, deleted, word(9), std::nullopt},
                     {air::ChangeKind::account, a, {}, eth::keccak256(eth::encode_account(pre.account(a))), eth::keccak256(eth::encode_account(forged))}};
  air::sort_change_list(witness.changes);
  const air::BlockTransitionPublic pub{pre.state().root_hash(), forged_state.root_hash(), eth::empty_trie_root,
                                       eth::empty_trie_root, 0, 0,
                                       eth::keccak256(air::encode_change_list(witness.changes))};
  // The tables hold (they prove a hash-linked trie with the right content, not its canonical form) ...
  auto problem = check(air::build_block_transition(witness, pub));
  INFO(problem.value_or("valid"));
  CHECK_FALSE(problem);
  // ... and the post-state root is not the canonical one that the real header has.
  CHECK(pub.post_root != post.state().root_hash());
}

TEST_CASE("block transition: every bus has one name and tuple length across all the statement's tables") {
  // Segments are checked one by one by the engine; the statement's tables together, here.
  Block b;
  const auto v = air::block_transition_verifier(b.pub, 3);
  std::vector<const stark::AirSummary*> summaries;
  for (const auto& a : v.airs) summaries.push_back(&a->summary());
  CHECK_FALSE(stark::logup::check_buses(summaries));
}
