// The change list with the walks and leaf values: a state transition's net changes balance the items of
// its pre and post tries, and every way of misstating a change fails.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <random>

#include "eth/account.hpp"
#include "keccak_test_util.hpp"
#include "statement_fixture.hpp"
#include "world_test_util.hpp"
#include "stark/symbolic.hpp"

using namespace witprove;
using namespace witprove::air::test;
using stark::Fp;

namespace {

struct Transition {
  World pre, post;
  Forest forest;
  ChangeSetup changes;
  std::vector<air::WalkSpec> specs;

  // With `wipes`, two storages are wiped as well: an account with storage self-destructs, and another is
  // self-destructed and created again with new storage (one slot it had, with its old value, and a new one).
  explicit Transition(bool wipes = false) {
    std::mt19937_64 rng(101);
    auto address = [&] { return random_address(rng); };
    auto slot = [&] { return random_slot(rng); };
    std::vector<eth::Address> addresses;
    for (int i = 0; i < 24; ++i) {
      const auto a = address();
      addresses.push_back(a);
      pre.accounts[a] = eth::Account{static_cast<uint64_t>(i), eth::U256(1000 + i), eth::empty_trie_root, eth::empty_keccak};
      if (i % 3 == 0)
        for (int k = 0; k < 6; ++k) pre.storage[a][slot()] = 1 + rng() % 100000;
    }
    post = pre;
    auto& slots0 = post.storage[addresses[0]];
    slots0.begin()->second += 1;                      // a changed slot
    slots0[slot()] = 77;                              // a new slot
    post.storage[addresses[3]].erase(post.storage[addresses[3]].begin());  // a deleted slot
    post.accounts[addresses[1]].balance = eth::U256(5);                   // a changed balance
    const auto created = address();                                         // a new account with storage
    post.accounts[created] = eth::Account{1, eth::U256(9), eth::empty_trie_root, eth::empty_keccak};
    post.storage[created][slot()] = 3;
    post.accounts.erase(addresses[2]);                                      // a deleted account, no storage
    std::set<eth::Address> recreated;
    if (wipes) {
      post.accounts.erase(addresses[6]);
      const auto kept = *pre.storage[addresses[9]].begin();
      post.storage[addresses[9]] = {kept, {slot(), 5}};
      post.accounts[addresses[9]].nonce = 1;
      recreated.insert(addresses[9]);
    }

    pre.add_to(forest);
    post.add_to(forest);
    changes.entries = net_changes(pre, post, recreated);
    changes.message = forest.add_message(air::encode_change_list(changes.entries));
    changes.published = eth::keccak256(forest.messages[changes.message]);
    std::set<eth::Address> seen_addresses;
    std::set<eth::H256> seen_slots;
    for (const auto& e : changes.entries) {
      if (seen_addresses.insert(e.address).second)
        changes.keys.push_back({forest.add_message(eth::Bytes(e.address.begin(), e.address.end())), false});
      if (air::is_slot_entry(e) && seen_slots.insert(e.slot).second)
        changes.keys.push_back({forest.add_message(eth::Bytes(e.slot.begin(), e.slot.end())), true});
    }
    specs = {{air::TrieKind::state, false, {}, pre.state().root_hash()},
             {air::TrieKind::state, true, {}, post.state().root_hash()}};
  }

  std::unique_ptr<Statement> statement(const ChangeSetup& c) const { return build(forest, specs, true, &c); }
  std::unique_ptr<Statement> statement() const { return statement(changes); }
};

// A change setup with other entries, re-encoded and re-published (the message keeps its id).
ChangeSetup with_entries(const Transition& t, Forest& forest, std::vector<air::ChangeEntry> entries) {
  ChangeSetup c = t.changes;
  c.entries = std::move(entries);
  std::set<std::string> have;  // preimages by hex
  for (const auto& k : c.keys) have.insert(eth::to_hex(forest.messages[k.id]));
  for (const auto& e : c.entries) {
    const eth::Bytes a(e.address.begin(), e.address.end()), s(e.slot.begin(), e.slot.end());
    if (have.insert(eth::to_hex(a)).second) c.keys.push_back({forest.add_message(a), false});
    if (air::is_slot_entry(e) && have.insert(eth::to_hex(s)).second) c.keys.push_back({forest.add_message(s), true});
  }
  forest.messages[c.message] = air::encode_change_list(c.entries);
  c.published = eth::keccak256(forest.messages[c.message]);
  return c;
}

std::optional<std::string> problem_with(const Transition& t, std::vector<air::ChangeEntry> entries) {
  Transition copy = t;
  const ChangeSetup c = with_entries(t, copy.forest, std::move(entries));
  auto s = build(copy.forest, copy.specs, true, &c);
  return check_all(*s);
}

}  // namespace

TEST_CASE("change list: a state transition's net changes balance the items of its pre and post tries") {
  Transition t;
  // Slots: 1 changed + 1 new (account 0), 1 deleted (account 3), 1 of the created account; accounts: 0 and 3
  // (their storage roots), 1 (balance), the created one and the deleted one.
  REQUIRE(t.changes.entries.size() == 9);
  auto s = t.statement();
  CHECK(valid(*s));
  CHECK(s->change_air.summary().constraint_degree == 3);
  CHECK_FALSE(stark::check_uniform(s->change_air, s->changes->change, s->change_digest));
  CHECK_FALSE(stark::check_uniform(s->key_air, s->changes->keys, {}));
}

TEST_CASE("change list: an empty list of an unchanged state is keccak of the empty message") {
  Transition t;
  Forest forest;
  t.pre.add_to(forest);
  ChangeSetup c;
  c.message = forest.add_message({});
  c.published = eth::keccak256(eth::Bytes{});
  const std::vector<air::WalkSpec> specs = {{air::TrieKind::state, false, {}, t.pre.state().root_hash()},
                                            {air::TrieKind::state, true, {}, t.pre.state().root_hash()}};
  CHECK(valid(*build(forest, specs, true, &c)));
}

TEST_CASE("change list: every misstated change fails the constraints or the buses") {
  Transition t;
  REQUIRE_FALSE(check_all(*t.statement()));
  const auto& entries = t.changes.entries;
  SECTION("a dropped write") {
    auto e = entries;
    e.erase(e.begin() + 2);
    CHECK(problem_with(t, e));
  }
  SECTION("an extra write to a key the block does not change") {
    auto e = entries;
    auto extra = e.front();
    extra.address[0] ^= 1;
    extra.kind = air::ChangeKind::account;
    extra.old_value = std::nullopt;
    extra.new_value = word(1);
    e.push_back(extra);
    air::sort_change_list(e);
    CHECK(problem_with(t, e));
  }
  SECTION("a changed new value") {
    auto e = entries;
    for (auto& x : e)
      if (air::is_slot_entry(x) && x.new_value) {
        (*x.new_value)[31] ^= 1;
        break;
      }
    CHECK(problem_with(t, e));
  }
  SECTION("a changed old value (a storage value read differently)") {
    auto e = entries;
    for (auto& x : e)
      if (air::is_slot_entry(x) && x.old_value) {
        (*x.old_value)[31] ^= 1;
        break;
      }
    CHECK(problem_with(t, e));
  }
  SECTION("old and new swapped") {
    auto e = entries;
    std::swap(e[0].old_value, e[0].new_value);
    CHECK(problem_with(t, e));
  }
  SECTION("two entries on one key that undo each other") {
    auto e = entries;
    auto undo = e[0];
    std::swap(undo.old_value, undo.new_value);
    e.insert(e.begin() + 1, undo);
    CHECK(problem_with(t, e));
  }
  SECTION("an absent to absent entry") {
    auto e = entries;
    auto none = e[0];
    none.slot[0] ^= 1;
    none.kind = air::ChangeKind::slot;
    none.old_value = none.new_value = std::nullopt;
    e.push_back(none);
    air::sort_change_list(e);
    CHECK(problem_with(t, e));
  }
  SECTION("entries out of order") {
    auto e = entries;
    std::swap(e[0], e[1]);
    CHECK(problem_with(t, e));
  }
  SECTION("a published digest other than the list's") {
    ChangeSetup c = t.changes;
    c.published[0] ^= 1;
    auto s = t.statement(c);
    auto problem = check_all(*s);
    REQUIRE(problem);
    CHECK_THAT(*problem, Catch::Contains("keccak.digest"));
  }
}

TEST_CASE("change list: one wrong cell in the change or key table fails the constraints or the buses") {
  const bool wipes = GENERATE(false, true);
  Transition t(wipes);
  REQUIRE(valid(*t.statement()));
  std::mt19937_64 rng(102);
  for (size_t trial = 0; trial < 100; ++trial) {
    auto s = t.statement();
    const bool keys = trial % 3 == 0;
    auto& trace = keys ? s->changes->keys : s->changes->change;
    const auto& air = keys ? static_cast<const stark::Air&>(s->key_air) : s->change_air;
    const auto publics = keys ? std::vector<Fp>{} : s->change_digest;
    const size_t row = rng() % trace.height, column = rng() % trace.width;
    trace.at(row, column) = tampered(trace.at(row, column), rng);
    INFO((wipes ? "with wipes: " : "") << (keys ? "key" : "change") << " row " << row << " column " << column);
    const bool caught = failure_around(air, trace, publics, row).has_value() ||
                        stark::check_lookups(s->instances()).has_value();
    CHECK(caught);
  }
}

TEST_CASE("change list: a state transition proves and verifies") {
  Transition t;
  auto s = t.statement();
  REQUIRE(valid(*s));
  CHECK(prove_and_verify(*s) == std::nullopt);
  std::vector<std::vector<Fp>> publics;
  for (const auto& in : s->instances()) publics.push_back(in.public_values);
  publics[publics.size() - 3][0] = publics[publics.size() - 3][0] + Fp::one();  // another D
  CHECK(prove_and_verify(*s, publics) != std::nullopt);
}

TEST_CASE("change list: wiped storages (a self-destruct, and one created again) balance, prove and verify") {
  Transition t(true);
  size_t wiped = 0, recreated_slots = 0;
  for (const auto& e : t.changes.entries) {
    if (e.kind != air::ChangeKind::storage_wiped) continue;
    ++wiped;
    CHECK(e.old_value == t.pre.account(e.address).storage_root);
    CHECK_FALSE(e.new_value);
    for (const auto& x : t.changes.entries)  // the created-again account's slots, against an empty storage
      if (air::is_slot_entry(x) && x.address == e.address) {
        CHECK(t.post.accounts.count(e.address));
        CHECK_FALSE(x.old_value);
        ++recreated_slots;
      }
  }
  CHECK(wiped == 2);
  CHECK(recreated_slots == 2);
  CHECK(t.changes.entries.back().kind == air::ChangeKind::storage_wiped);  // kind 2 sorts last
  auto s = t.statement();
  REQUIRE(valid(*s));
  CHECK(prove_and_verify(*s) == std::nullopt);
}

TEST_CASE("change list: every misstated wipe fails the constraints or the buses") {
  Transition t(true);
  REQUIRE_FALSE(check_all(*t.statement()));
  const auto& entries = t.changes.entries;
  auto find = [&](auto&& pred) {
    auto it = std::find_if(entries.begin(), entries.end(), pred);
    REQUIRE(it != entries.end());
    return static_cast<size_t>(it - entries.begin());
  };
  const size_t wipe = find([](const air::ChangeEntry& e) { return e.kind == air::ChangeKind::storage_wiped; });
  SECTION("a deleted account's storage left unwiped") {
    auto e = entries;
    e.erase(e.begin() + static_cast<ptrdiff_t>(wipe));
    CHECK(problem_with(t, e));
  }
  SECTION("a wipe with another storage root") {
    auto e = entries;
    (*e[wipe].old_value)[0] ^= 1;
    CHECK(problem_with(t, e));
  }
  SECTION("a wiped storage that comes back in the same entry") {
    auto e = entries;
    e[wipe].new_value = e[wipe].old_value;
    CHECK(problem_with(t, e));
  }
  SECTION("a wipe of an account whose storage stays") {
    auto e = entries;
    eth::Address kept{};  // an account with storage the block leaves alone
    for (const auto& [a, _] : t.pre.storage)
      if (std::none_of(entries.begin(), entries.end(), [&](const air::ChangeEntry& x) { return x.address == a; })) kept = a;
    REQUIRE(t.post.accounts.count(kept));
    REQUIRE(t.post.account(kept).storage_root == t.pre.account(kept).storage_root);
    e.push_back({air::ChangeKind::storage_wiped, kept, {}, t.pre.account(kept).storage_root, std::nullopt});
    air::sort_change_list(e);
    CHECK(problem_with(t, e));
  }
  SECTION("a created-again storage's slot listed with its value before the wipe") {
    auto e = entries;
    const size_t again = find([&](const air::ChangeEntry& x) {
      if (!air::is_slot_entry(x) || x.old_value) return false;
      auto it = t.pre.storage.find(x.address);
      return it != t.pre.storage.end() && it->second.count(x.slot) && t.post.accounts.count(x.address);
    });
    e[again].old_value = word(t.pre.storage.at(e[again].address).at(e[again].slot));
    if (e[again].old_value == e[again].new_value) e.erase(e.begin() + static_cast<ptrdiff_t>(again));
    CHECK(problem_with(t, e));
  }
}
