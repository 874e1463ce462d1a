// trie_walk and node_link over node_bytes and the Keccak tables: walks reach exactly a trie's leaves and
// hashed-out subtrees, pre and post walks of the same content balance on the item bus, and tampering fails.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <set>

#include "air/keccak_sponge.hpp"
#include "air/node_bytes.hpp"
#include "air/node_link.hpp"
#include "air/trie_walk.hpp"
#include "eth/keccak.hpp"
#include "eth/nibbles.hpp"
#include "keccak_test_util.hpp"
#include "stark/folders.hpp"
#include "stark/stark.hpp"
#include "stark/symbolic.hpp"
#include "statement_fixture.hpp"
#include "trie_test_util.hpp"

using namespace witprove;
using namespace witprove::air::test;
using stark::Fp;


TEST_CASE("trie_walk: pre and post walks of the same tries balance, leaves and hashed-out subtrees included") {
  auto state = air::test::state_like_trie(200, 11);
  auto storage = air::test::storage_like_trie(12);
  auto txs = air::test::transactions_like_trie(140, 13);
  Forest forest;
  auto keep = nodes_above(state, 2);
  forest.add(state, &keep);
  forest.add(storage);
  forest.add(txs);
  const eth::H256 account = eth::keccak256(eth::Bytes{1, 2, 3});
  std::vector<air::WalkSpec> specs = {
      {air::TrieKind::state, false, {}, state.root_hash()},
      {air::TrieKind::state, true, {}, state.root_hash()},
      {air::TrieKind::storage, false, account, storage.root_hash()},
      {air::TrieKind::storage, true, account, storage.root_hash()},
      {air::TrieKind::transactions, false, {}, txs.root_hash()},
  };
  auto s = build(forest, specs);
  CHECK(valid(*s));

  // Oracles: the storage walks reach exactly the trie's keys; the state walks stop at depth 2 with one
  // hashed-out item per subtree, pre and post alike; the transactions walk reaches every rlp(i).
  std::set<std::string> storage_keys, walked_storage;
  eth::for_each_leaf(storage, [&](const eth::Nibbles& key, const eth::Bytes&) {
    storage_keys.insert(eth::nibbles_to_string(key));
  });
  size_t tx_leaves = 0;
  for (const auto& l : s->walks.leaves) {
    if (l.walk.kind == air::TrieKind::storage && !l.walk.post) walked_storage.insert(eth::nibbles_to_string(l.key));
    tx_leaves += l.walk.kind == air::TrieKind::transactions;
  }
  CHECK(walked_storage == storage_keys);
  CHECK(tx_leaves == 140);
  size_t pre_items = 0, post_items = 0;
  for (const auto& item : s->walks.items) {
    CHECK(item.hashed);
    CHECK(item.length == 2);
    (item.post ? post_items : pre_items) += 1;
  }
  size_t at_depth_2 = 0;
  eth::for_each_node(state, [&](const eth::Nibbles& path, const eth::TrieNode&) { at_depth_2 += path.size() == 2; });
  CHECK(pre_items == at_depth_2);
  CHECK(post_items == at_depth_2);
  CHECK(at_depth_2 > 100);
}

TEST_CASE("trie_walk: a hashed-out subtree that differs between pre and post fails the item bus") {
  auto pre = air::test::state_like_trie(120, 21);
  auto post = eth::clone(pre);
  // Change one leaf: every node on its path changes, so the post trie has a different hashed-out subtree.
  std::mt19937_64 rng(22);
  const auto key = eth::keccak256(air::test::random_bytes(rng, 20));
  post.put(eth::ByteView(key.data(), key.size()), eth::Bytes(75, 0x33));
  Forest forest;
  auto keep_pre = nodes_above(pre, 1);
  auto keep_post = nodes_above(post, 1);
  forest.add(pre, &keep_pre);
  forest.add(post, &keep_post);
  std::vector<air::WalkSpec> specs = {{air::TrieKind::state, false, {}, pre.root_hash()},
                                      {air::TrieKind::state, true, {}, post.root_hash()}};
  auto s = build(forest, specs);
  for (const auto& in : s->instances()) CHECK_FALSE(stark::check_constraints(*in.air, *in.trace, in.public_values));
  auto problem = stark::check_lookups(s->instances());
  REQUIRE(problem);
  CHECK_THAT(*problem, Catch::Contains("trie.item"));
}

TEST_CASE("trie_walk: a walk from a root other than the published one fails the root bus") {
  auto trie = air::test::state_like_trie(30, 31);
  Forest forest;
  forest.add(trie);
  std::vector<air::WalkSpec> specs = {{air::TrieKind::state, false, {}, trie.root_hash()}};
  auto s = build(forest, specs);
  REQUIRE(valid(*s));
  s->roots.at(0, 18) = s->roots.at(0, 18) + Fp::one();
  auto problem = stark::check_lookups(s->instances());
  REQUIRE(problem);
  CHECK_THAT(*problem, Catch::Contains("walk.root"));
}

TEST_CASE("trie_walk: a transactions walk refuses hashed-out nodes") {
  auto txs = air::test::transactions_like_trie(60, 41);
  Forest forest;
  auto keep = nodes_above(txs, 1);
  forest.add(txs, &keep);
  std::vector<air::WalkSpec> specs = {{air::TrieKind::transactions, false, {}, txs.root_hash()}};
  CHECK_THROWS_WITH(build(forest, specs), Catch::Contains("transactions trie node"));
}

TEST_CASE("trie_walk: one wrong cell anywhere fails the constraints or the lookups") {
  auto storage = air::test::storage_like_trie(51);
  auto state = air::test::state_like_trie(12, 52);
  Forest forest;
  forest.add(storage);
  auto keep = nodes_above(state, 1);
  forest.add(state, &keep);
  const eth::H256 account = eth::keccak256(eth::Bytes{9});
  std::vector<air::WalkSpec> specs = {{air::TrieKind::storage, false, account, storage.root_hash()},
                                      {air::TrieKind::storage, true, account, storage.root_hash()},
                                      {air::TrieKind::state, false, {}, state.root_hash()},
                                      {air::TrieKind::state, true, {}, state.root_hash()}};
  const auto honest = build(forest, specs);
  REQUIRE(valid(*honest));
  std::mt19937_64 rng(53);
  for (size_t trial = 0; trial < 300; ++trial) {
    auto s = build(forest, specs);
    const bool in_link = trial % 5 == 0;
    auto& trace = in_link ? s->link : s->walks.walk;
    const auto& air = in_link ? static_cast<const stark::Air&>(s->link_air) : s->walk_air;
    const size_t row = rng() % trace.height, column = rng() % trace.width;
    trace.at(row, column) = air::test::tampered(trace.at(row, column), rng);
    INFO((in_link ? "node_link" : "trie_walk") << " row " << row << " column " << column);
    const bool caught = air::test::failure_around(air, trace, {}, row).has_value() ||
                        stark::check_lookups(s->instances()).has_value();
    CHECK(caught);
  }
}

TEST_CASE("trie_walk and node_link: symbolic degrees and lookups, the same on every row") {
  auto trie = air::test::storage_like_trie(61);
  Forest forest;
  forest.add(trie);
  auto s = build(forest, {{air::TrieKind::state, false, {}, trie.root_hash()}});
  CHECK(s->walk_air.summary().constraint_degree == 3);
  CHECK(s->link_air.summary().constraint_degree == 2);
  CHECK_FALSE(stark::check_uniform(s->walk_air, s->walks.walk, {}));
  CHECK_FALSE(stark::check_uniform(s->link_air, s->link, {}));
}

TEST_CASE("trie_walk tables: walks prove and verify with node_bytes, node_link and the Keccak tables") {
  auto trie = air::test::storage_like_trie(71);
  Forest forest;
  forest.add(trie);
  const eth::H256 account = eth::keccak256(eth::Bytes{7});
  std::vector<air::WalkSpec> specs = {{air::TrieKind::storage, false, account, trie.root_hash()},
                                      {air::TrieKind::storage, true, account, trie.root_hash()}};
  auto s = build(forest, specs);
  REQUIRE(valid(*s));
  CHECK(prove_and_verify(*s) == std::nullopt);
}

TEST_CASE("trie_walk: a visit after a padding row fails the constraints") {
  // An orphan visit (no first row, so no edge and no node_end) placed after padding could emit any item.
  auto state = air::test::state_like_trie(40, 55);
  Forest forest;
  auto keep = nodes_above(state, 1);
  forest.add(state, &keep);
  auto s = build(forest, {{air::TrieKind::state, false, {}, state.root_hash()},
                          {air::TrieKind::state, true, {}, state.root_hash()}});
  REQUIRE(valid(*s));
  auto& w = s->walks.walk;
  size_t used = 0;
  while (w.at(used, air::trie_walk::real) == Fp::one()) ++used;
  REQUIRE(used + 2 < w.height);
  size_t slot_row = 0;  // a hashed-out reference slot
  while (w.at(slot_row, air::trie_walk::cl_ref) != Fp::one()) ++slot_row;
  namespace tw = air::trie_walk;
  const size_t r = used + 1;
  for (size_t c = 0; c < w.width; ++c) w.at(r, c) = w.at(slot_row, c);
  // The branch's last slot, so that the visit may end here: slot 15 placed at the row's position.
  w.at(r, tw::vfirst) = Fp();
  w.at(r, tw::vlast) = Fp::one();
  w.at(r, tw::i) = w.at(r, tw::slot) = w.at(r, tw::nib) = Fp(15);
  const uint32_t weights[4] = {16, 1, 4096, 256};
  uint32_t weight = 0;
  for (size_t k = 0; k < 4; ++k) weight += w.at(r, tw::wt + k).value() * weights[k];
  for (size_t j = 0; j < 16; ++j) w.at(r, tw::npref + j) = w.at(r, tw::pref + j) + w.at(r, tw::sel + j) * Fp(15 * weight);
  auto failure = stark::check_constraints(s->walk_air, w, {});
  REQUIRE(failure);
  CHECK(failure->row == used);  // the padding row before it
}
