// leaf_value over walks of account and storage tries: items of identical states balance, every changed or
// non-canonical value fails, and the item values are the tries' values.
#include <catch2/catch.hpp>

#include <map>
#include <random>

#include "eth/account.hpp"
#include "keccak_test_util.hpp"
#include "statement_fixture.hpp"
#include "stark/symbolic.hpp"

using namespace witprove;
using namespace witprove::air::test;
using stark::Fp;
namespace lv = air::leaf_value;

namespace {

// A state of `accounts` accounts over two storage tries and the empty one, with its tries in a forest.
struct State {
  eth::Trie storage_a = storage_like_trie(81);
  eth::Trie storage_b = storage_like_trie(82);
  eth::Trie accounts;
  explicit State(size_t count) {
    const std::vector<eth::H256> roots = {storage_a.root_hash(), storage_b.root_hash(), eth::empty_trie_root};
    accounts = account_trie(count, roots, 83);
  }
  void add_to(Forest& forest) {
    forest.add(accounts, nullptr, true);
    forest.add(storage_a);
    forest.add(storage_b);
  }
};

std::vector<air::WalkSpec> state_walks(const eth::H256& pre, const eth::H256& post) {
  return {{air::TrieKind::state, false, {}, pre}, {air::TrieKind::state, true, {}, post}};
}

// One storage trie holding `value` under one key beside two ordinary slots, walked pre and post.
std::unique_ptr<Statement> storage_with(const eth::Bytes& value) {
  eth::Trie trie;
  std::mt19937_64 rng(91);
  for (int i = 0; i < 3; ++i) {
    const auto key = eth::keccak256(random_bytes(rng, 32));
    trie.put(eth::ByteView(key.data(), key.size()), i == 0 ? value : eth::encode_storage_value(eth::U256(500 + i)));
  }
  Forest forest;
  forest.add(trie);
  const eth::H256 account = eth::keccak256(eth::Bytes{4});
  return build(forest,
               {{air::TrieKind::storage, false, account, trie.root_hash()},
                {air::TrieKind::storage, true, account, trie.root_hash()}},
               true);
}

}  // namespace

TEST_CASE("leaf_value: accounts and storage of identical pre and post states balance on the item bus") {
  State state(45);
  Forest forest;
  state.add_to(forest);
  auto s = build(forest, state_walks(state.accounts.root_hash(), state.accounts.root_hash()), true);
  CHECK(valid(*s));

  // Oracles: one account row per account per state; the slot rows' values are the tries' slot values,
  // read back from the trace as 32-byte big-endian words.
  std::map<std::string, std::string> expected_a;
  eth::for_each_leaf(state.storage_a, [&](const eth::Nibbles& key, const eth::Bytes& value) {
    expected_a[eth::nibbles_to_string(key)] = eth::to_hex(eth::to_be_bytes32(eth::decode_storage_value(value)));
  });
  const auto& t = s->leaf_values.trace;
  size_t account_rows = 0, slot_rows = 0;
  for (size_t r = 0; r < t.height; ++r) {
    account_rows += t.at(r, lv::is_acct) == Fp::one();
    slot_rows += t.at(r, lv::is_slot) == Fp::one();
  }
  CHECK(account_rows == 2 * 45);
  CHECK(slot_rows == 2 * 15 * 40 + 2 * 15 * 40);
  size_t checked = 0;
  for (const auto& leaf : s->walks.leaves) {
    if (leaf.walk.kind != air::TrieKind::storage) continue;
    const auto shape = air::node_shape(s->messages[leaf.message], leaf.node_offset);
    const eth::ByteView value = eth::ByteView(s->messages[leaf.message]).subspan(shape.value_offset, shape.value_size);
    auto it = expected_a.find(eth::nibbles_to_string(leaf.key));
    if (it == expected_a.end()) continue;
    CHECK(eth::to_hex(eth::to_be_bytes32(eth::decode_storage_value(value))) == it->second);
    ++checked;
  }
  CHECK(checked == 2 * 15 * 40);
  for (size_t r = 0; r < t.height; ++r) {
    if (t.at(r, lv::is_slot) != Fp::one()) continue;
    std::array<uint8_t, 32> word;
    for (size_t p = 0; p < 32; ++p) word[p] = static_cast<uint8_t>(t.at(r, lv::bytes + p).value());
    std::vector<uint8_t> key_nibbles;
    for (size_t j = 0; j < 16; ++j) {
      const uint32_t limb = t.at(r, lv::key + j).value();
      for (uint32_t b : {limb & 0xff, limb >> 8}) {
        key_nibbles.push_back(static_cast<uint8_t>(b >> 4));
        key_nibbles.push_back(static_cast<uint8_t>(b & 15));
      }
    }
    auto it = expected_a.find(eth::nibbles_to_string(key_nibbles));
    if (it != expected_a.end()) CHECK(eth::to_hex(word) == it->second);
  }
}

TEST_CASE("leaf_value: a storage write or an account change with no change entry fails the item bus") {
  State state(20);
  eth::Trie post = eth::clone(state.accounts);
  eth::Trie changed_storage = eth::clone(state.storage_a);
  SECTION("a changed slot") {
    std::mt19937_64 rng(84);
    const auto key = eth::keccak256(random_bytes(rng, 32));
    changed_storage.put(eth::ByteView(key.data(), key.size()), eth::encode_storage_value(eth::U256(7)));
    // The first account using storage_a now has the changed storage root.
    eth::for_each_leaf(state.accounts, [&](const eth::Nibbles& k, const eth::Bytes& v) {
      auto a = eth::decode_account(v);
      if (a.storage_root != state.storage_a.root_hash() || post.root_hash() != state.accounts.root_hash()) return;
      a.storage_root = changed_storage.root_hash();
      post.put(eth::nibbles_to_bytes(k), eth::encode_account(a));
    });
  }
  SECTION("a changed balance") {
    eth::for_each_leaf(state.accounts, [&](const eth::Nibbles& k, const eth::Bytes& v) {
      if (post.root_hash() != state.accounts.root_hash()) return;
      auto a = eth::decode_account(v);
      a.balance = eth::U256(1);
      post.put(eth::nibbles_to_bytes(k), eth::encode_account(a));
    });
  }
  REQUIRE(post.root_hash() != state.accounts.root_hash());
  Forest forest;
  state.add_to(forest);
  forest.add(post, nullptr, true);
  forest.add(changed_storage);
  auto s = build(forest, state_walks(state.accounts.root_hash(), post.root_hash()), true);
  for (const auto& in : s->instances()) CHECK_FALSE(stark::check_constraints(*in.air, *in.trace, in.public_values));
  auto problem = stark::check_lookups(s->instances());
  REQUIRE(problem);
  CHECK_THAT(*problem, Catch::Contains("trie.item"));
}

TEST_CASE("leaf_value: storage values that are zero or not canonical fail the constraints") {
  SECTION("canonical values pass") {
    CHECK(valid(*storage_with(eth::Bytes{0x05})));
    CHECK(valid(*storage_with(eth::Bytes{0x81, 0x85})));
    eth::Bytes full(33, 0xff);
    full[0] = 0xa0;
    CHECK(valid(*storage_with(full)));
  }
  for (const auto& [what, value] : std::vector<std::pair<std::string, eth::Bytes>>{
           {"a zero byte", {0x00}},
           {"the empty string", {0x80}},
           {"a byte below 0x80 as a string", {0x81, 0x05}},
           {"a leading zero", {0x82, 0x00, 0x05}}}) {
    DYNAMIC_SECTION(what) {
      auto s = storage_with(value);
      CHECK(stark::check_constraints(s->leaf_value_air, s->leaf_values.trace, {}));
    }
  }
}

TEST_CASE("leaf_value: one wrong cell anywhere fails the constraints or the lookups") {
  State state(9);
  Forest forest;
  state.add_to(forest);
  const auto specs = state_walks(state.accounts.root_hash(), state.accounts.root_hash());
  REQUIRE(valid(*build(forest, specs, true)));
  std::mt19937_64 rng(85);
  for (size_t trial = 0; trial < 200; ++trial) {
    auto s = build(forest, specs, true);
    auto& trace = s->leaf_values.trace;
    const size_t row = rng() % trace.height, column = rng() % trace.width;
    trace.at(row, column) = tampered(trace.at(row, column), rng);
    INFO("row " << row << " column " << column);
    const bool caught = failure_around(s->leaf_value_air, trace, {}, row).has_value() ||
                        stark::check_lookups(s->instances()).has_value();
    CHECK(caught);
  }
}

TEST_CASE("leaf_value: symbolic degree, the same on every row, and a proof that verifies") {
  State state(6);
  Forest forest;
  state.add_to(forest);
  auto s = build(forest, state_walks(state.accounts.root_hash(), state.accounts.root_hash()), true);
  REQUIRE(valid(*s));
  CHECK(s->leaf_value_air.summary().constraint_degree == 3);
  CHECK_FALSE(stark::check_uniform(s->leaf_value_air, s->leaf_values.trace, {}));
  CHECK(prove_and_verify(*s) == std::nullopt);
}

TEST_CASE("leaf_value: a multi-byte slot value read as a single byte fails the constraints") {
  // 0x1234 is stored as 82 12 34; read with the last byte's class (single), the word would be 0x821234.
  auto s = storage_with(eth::Bytes{0x82, 0x12, 0x34});
  REQUIRE(valid(*s));
  auto& t = s->leaf_values.trace;
  size_t r = 0;
  while (t.at(r, lv::vlen) != Fp(3)) ++r;
  const auto facts = air::rlp_byte::facts(0x34).columns;
  for (size_t k = 0; k < 8; ++k) t.at(r, lv::f0 + k) = Fp(facts[1 + k]);
  t.at(r, lv::b0) = Fp(0x34);
  t.at(r, lv::in + 29) = Fp::one();
  t.at(r, lv::bytes + 29) = Fp(0x82);
  t.at(r, lv::inv_first) = stark::inverse(Fp(0x82));
  t.at(r, lv::val + 14) = Fp(0x82 * 256);
  CHECK(stark::check_constraints(s->leaf_value_air, t, {}));
}
