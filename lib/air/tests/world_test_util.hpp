// Accounts, storage and their tries by address and slot, and the net changes between two of them, for the
// change-list and block-transition tests.
#pragma once

#include <map>
#include <optional>
#include <random>
#include <set>
#include <vector>

#include "air/change_list.hpp"
#include "eth/account.hpp"
#include "eth/mpt.hpp"
#include "statement_fixture.hpp"

namespace witprove::air::test {

// Accounts and their storage by address and slot, and the tries they make.
struct World {
  std::map<eth::Address, eth::Account> accounts;
  std::map<eth::Address, std::map<eth::H256, uint64_t>> storage;

  eth::Trie storage_trie(const eth::Address& a) const {
    eth::Trie t;
    auto it = storage.find(a);
    if (it == storage.end()) return t;
    for (const auto& [slot, v] : it->second) {
      const auto key = eth::keccak256(slot);
      t.put(eth::ByteView(key.data(), key.size()), eth::encode_storage_value(eth::U256(v)));
    }
    return t;
  }
  eth::Account account(const eth::Address& a) const {
    eth::Account acc = accounts.at(a);
    acc.storage_root = storage_trie(a).root_hash();
    return acc;
  }
  eth::Trie state() const {
    eth::Trie t;
    for (const auto& [a, _] : accounts) {
      const auto key = eth::keccak256(a);
      t.put(eth::ByteView(key.data(), key.size()), eth::encode_account(account(a)));
    }
    return t;
  }
  void add_to(Forest& forest) const {
    forest.add(state(), nullptr, true);
    for (const auto& [a, _] : accounts) forest.add(storage_trie(a));
  }
};

inline eth::Address random_address(std::mt19937_64& rng) {
  eth::Address a;
  for (auto& b : a) b = static_cast<uint8_t>(rng());
  return a;
}
inline eth::H256 random_slot(std::mt19937_64& rng) {
  eth::H256 s;
  for (auto& b : s) b = static_cast<uint8_t>(rng());
  return s;
}

inline eth::H256 word(uint64_t v) { return eth::to_be_bytes32(eth::U256(v)); }

// The net changes from `pre` to `post`: accounts whose leaf value differs, slots whose value differs. The
// storage of an account deleted with storage, or listed in `wiped` (emptied during the block, then created
// again), is wiped: one storage-wiped entry, and its slots listed against an empty storage.
inline std::vector<air::ChangeEntry> net_changes(const World& pre, const World& post,
                                                 const std::set<eth::Address>& wiped = {}) {
  std::vector<air::ChangeEntry> out;
  std::set<eth::Address> addresses;
  for (const auto& [a, _] : pre.accounts) addresses.insert(a);
  for (const auto& [a, _] : post.accounts) addresses.insert(a);
  auto value_of = [](const World& w, const eth::Address& a) -> std::optional<eth::H256> {
    if (!w.accounts.count(a)) return std::nullopt;
    return eth::keccak256(eth::encode_account(w.account(a)));
  };
  const World empty;
  for (const auto& a : addresses) {
    const auto before = value_of(pre, a), after = value_of(post, a);
    if (before != after) out.push_back({air::ChangeKind::account, a, {}, before, after});
    const bool had_storage = pre.accounts.count(a) && pre.account(a).storage_root != eth::empty_trie_root;
    const bool wipe = had_storage && (!after || wiped.count(a));
    if (wipe) out.push_back({air::ChangeKind::storage_wiped, a, {}, pre.account(a).storage_root, std::nullopt});
    const World& old_world = wipe ? empty : pre;
    std::set<eth::H256> slots;
    auto slots_of = [&](const World& w) {
      auto it = w.storage.find(a);
      if (it != w.storage.end())
        for (const auto& [s, _] : it->second) slots.insert(s);
    };
    slots_of(old_world);
    if (after) slots_of(post);
    auto slot_value = [&](const World& w, const eth::H256& s) -> std::optional<eth::H256> {
      auto it = w.storage.find(a);
      if (it == w.storage.end() || !it->second.count(s)) return std::nullopt;
      return word(it->second.at(s));
    };
    for (const auto& s : slots) {
      const auto b = slot_value(old_world, s), c = after ? slot_value(post, s) : std::nullopt;
      if (b != c) out.push_back({air::ChangeKind::slot, a, s, b, c});
    }
  }
  air::sort_change_list(out);
  return out;
}

}  // namespace witprove::air::test
