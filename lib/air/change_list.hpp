// The change list: the `change`, `key` and `byte_range` tables (docs/state-transition.md, "leaf_value,
// key and change").
//
// The change list is the block's net state diff, each changed key once: an account (its whole leaf value,
// by its Keccak-256) or a storage slot (its 32-byte value), with its value before and after the block or
// its absence. It is published as one message m_D of 128 bytes per entry, whose Keccak-256 is the public
// value D:
//   byte 0 kind (0 account, 1 storage slot, 2 storage wiped), 1 old present, 2 new present, 3..7 zero,
//   8..27 address, 28..59 slot (zero for an account or a wipe), 60..91 old value, 92..123 new value (zero when
//   absent), 124..127 zero.
// Entries are in strictly increasing order of (kind, account key, slot key), keys being keccak(address) and
// keccak(slot) compared limb by limb (16-bit limbs, bytes 2j + 256 * byte 2j+1, limb 0 first).
//
// `change` has one row per entry: it reads the entry's 64 limbs of m_D (message_limb, each once; row 0
// receives m_D's digest tuple with length 128 * entries and D from the public values, so D commits to
// exactly these rows), takes its keys from `key` (key_digest), receives the old leaf item and sends the new
// one on `item` — pre walks + new items = post walks + old items, the net change identity — and checks
// old != new (a marked differing limb or presence with an inverse) and the order (a marked first differing
// position whose difference minus one is two range-checked bytes).
// `key` has one row per hashed address or slot: the message's limbs and digest give (is slot, preimage,
// digest) on key_digest. `byte_range` is the fixed table of the bytes 0..255.
// A third kind, storage wiped (kind 2), empties an account's storage trie before the block's slot entries of
// that account apply: a self-destruct before Cancun (EIP-6780) of an account with storage, which may be
// created again in the same block. Its old value is the storage root before the block and its new value
// absent; it receives the pre storage walk's one hashed-out root item (storage a, hashed, 0, root), so the
// post storage trie of that account, if any, holds exactly the slot entries' new values (their old values
// absent). It applies before the account's slot entries, though it sorts after them. It proves the storage
// root before and the storage after, not that the account was removed (docs/statement.md).
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "air/buses.hpp"
#include "eth/bytes.hpp"
#include "stark/air.hpp"

namespace witprove::air {

namespace change_list {
inline constexpr size_t real = 0, entry = 1, count = 2, message = 3, is_slot = 4, old_present = 5, new_present = 6;
inline constexpr size_t address = 7;  // 10 limbs
inline constexpr size_t slot = 17;    // 16
inline constexpr size_t old_value = 33, new_value = 49;  // 16 each
inline constexpr size_t account_key = 65, slot_key = 81;  // 16 each: keccak(address), keccak(slot)
inline constexpr size_t key = 97;       // 16: the leaf key (account key, or slot key)
inline constexpr size_t trie_key = 113;  // 16: the trie's account key (slots), zero for accounts
inline constexpr size_t differs = 129;   // 17 one-hot: the value limb or (16) the presence that differs
inline constexpr size_t differs_inverse = 146;
inline constexpr size_t first_difference = 147;  // 33 one-hot: (kind, account key, slot key) position
inline constexpr size_t gap = 180, gap_low = 181, gap_high = 182;
inline constexpr size_t is_wiped = 183;  // a storage-wiped entry (kind 2)
inline constexpr size_t width = 184;
inline constexpr size_t entry_bytes = 128;
}  // namespace change_list

namespace key_table {
inline constexpr size_t real = 0, is_slot = 1, message = 2, preimage = 3, digest = 19, mult = 35, width = 36;
}

struct ChangeListAir {
  std::string name() const { return "change"; }
  size_t width() const { return change_list::width; }
  size_t num_public_values() const { return 16; }  // D's limbs
  template <class Folder>
  void eval(Folder& f) const;
};

struct KeyTableAir {
  std::string name() const { return "key"; }
  size_t width() const { return key_table::width; }
  size_t num_public_values() const { return 0; }
  template <class Folder>
  void eval(Folder& f) const;
};

struct ByteRangeAir {
  std::string name() const { return "byte_range"; }
  size_t width() const { return 1; }
  size_t num_public_values() const { return 0; }
  size_t num_fixed() const { return 1; }
  stark::Trace fixed_trace() const;
  template <class Folder>
  void eval(Folder& f) const {
    f.receive_counted(bus::byte, std::array{f.fixed(0)}, 0);
  }
};

// One entry of the change list. An account's value is the Keccak-256 of its leaf value; a slot's is its
// 32-byte big-endian value; a wiped storage's old value is the storage root before the block (new: absent).
enum class ChangeKind : uint8_t { account = 0, slot = 1, storage_wiped = 2 };
struct ChangeEntry {
  ChangeKind kind = ChangeKind::account;
  eth::Address address{};
  eth::H256 slot{};
  std::optional<eth::H256> old_value, new_value;
};

inline bool is_slot_entry(const ChangeEntry& e) { return e.kind == ChangeKind::slot; }

// The account keys (keccak(address)) whose storage the list wipes: their pre storage walks stay one
// hashed-out root item.
std::vector<eth::H256> wiped_storage_keys(std::span<const ChangeEntry> entries);

// Sorts entries into the list's order.
void sort_change_list(std::vector<ChangeEntry>& entries);
// m_D: 128 bytes per entry, in the given order.
eth::Bytes encode_change_list(std::span<const ChangeEntry> entries);

// A hashed key's preimage message: an address (20 bytes) or a slot (32 bytes).
struct KeyMessage {
  size_t id;
  bool slot;
};

struct ChangeTraces {
  stark::Trace change, keys, byte_range;
  std::vector<uint32_t> digest_lookups;  // per message id
  std::vector<uint8_t> read;             // per message id: limbs read (m_D and the key preimages)
};

// The change table for `entries` (sorted) encoded in message `change_message`, and the key table for
// `keys`. Throws std::invalid_argument naming an entry whose address or slot has no key message.
ChangeTraces generate_change_list(std::span<const ChangeEntry> entries, size_t change_message,
                                  std::span<const KeyMessage> keys, std::span<const eth::Bytes> messages);

// ---------------------------------------------------------------------------------------------------------

template <class Folder>
void ChangeListAir::eval(Folder& f) const {
  using namespace change_list;
  using stark::Fp;
  const Fp one = Fp::one();
  auto L = [&](size_t c) { return f.local(c); };
  auto N = [&](size_t c) { return f.next(c); };
  using Expr = decltype(L(0) + L(0));
  const Expr first = f.is_first_row();
  const Expr transition = f.is_transition();
  for (size_t c : {real, is_slot, old_present, new_present, is_wiped}) f.assert_bool(L(c));
  for (size_t k = 0; k < 17; ++k) f.assert_bool(L(differs + k));
  for (size_t k = 0; k < 33; ++k) f.assert_bool(L(first_difference + k));

  // Entries 0 .. count - 1 on the first rows, then padding (at least one row).
  const Expr padding = one - L(real);
  f.assert_zero(transition * N(real) * padding);
  f.assert_zero(f.is_last_row() * L(real));
  f.assert_zero(first * L(entry));
  f.assert_zero(transition * N(real) * (N(entry) - L(entry) - one));
  f.assert_zero(transition * (L(real) - N(real)) * (L(entry) - L(count) + one));
  f.assert_zero(first * padding * L(count));
  f.assert_zero(transition * (N(count) - L(count)));
  f.assert_zero(transition * (N(message) - L(message)));
  for (size_t c = is_slot; c < differs; ++c) f.assert_zero(padding * L(c));
  f.assert_zero(padding * L(entry));
  f.assert_zero(padding * L(differs_inverse));
  f.assert_zero(padding * L(is_wiped));
  // A wiped storage is one kind (not also a slot), was present and is absent.
  f.assert_zero(L(is_wiped) * L(is_slot));
  f.assert_zero(L(is_wiped) * (one - L(old_present)));
  f.assert_zero(L(is_wiped) * L(new_present));
  const Expr kind = L(is_slot) + L(is_wiped) * Fp(2);
  const Expr storage_trie = L(is_slot) + L(is_wiped);  // the item's trie: an account's storage

  // Keys and values: an account or wiped entry has no slot; a wiped entry's item is the storage trie's root
  // (prefix empty); absent values are zero.
  for (size_t j = 0; j < 16; ++j) {
    f.assert_zero((one - L(is_slot)) * L(slot + j));
    f.assert_zero((one - L(is_slot)) * L(slot_key + j));
    f.assert_zero(L(key + j) - (one - L(is_wiped)) * L(account_key + j) -
                  L(is_slot) * (L(slot_key + j) - L(account_key + j)));
    f.assert_zero(L(trie_key + j) - storage_trie * L(account_key + j));
    f.assert_zero((one - L(old_present)) * L(old_value + j));
    f.assert_zero((one - L(new_present)) * L(new_value + j));
  }

  // old != new: the marked limb (or presence) differs, shown by its inverse.
  Expr marked, difference;
  for (size_t k = 0; k < 16; ++k) {
    marked = marked + L(differs + k);
    difference = difference + L(differs + k) * (L(new_value + k) - L(old_value + k));
  }
  marked = marked + L(differs + 16);
  difference = difference + L(differs + 16) * (L(new_present) - L(old_present));
  f.assert_zero(marked - L(real));
  f.assert_zero(difference * L(differs_inverse) - L(real));

  // Strictly increasing (kind, account key, slot key): equal before the marked position, and there the
  // next row's limb minus this row's minus one is a 16-bit number (two bytes), so it is larger.
  auto sort_key = [&](auto&& col, size_t k) -> Expr {
    if (k == 0) return col(is_slot) + col(is_wiped) * Fp(2);
    return Expr() + (k <= 16 ? col(account_key + k - 1) : col(slot_key + k - 17));
  };
  Expr marks, step;
  for (size_t k = 0; k < 33; ++k) {
    marks = marks + L(first_difference + k);
    step = step + L(first_difference + k) * (sort_key(N, k) - sort_key(L, k) - one);
  }
  f.assert_zero(marks - transition * N(real));
  Expr after;  // marks after position k
  for (size_t k = 33; k-- > 0;) {
    f.assert_zero(after * (sort_key(N, k) - sort_key(L, k)));
    after = after + L(first_difference + k);
  }
  f.assert_zero(L(gap) - step);
  f.assert_zero(L(gap) - L(gap_low) - L(gap_high) * Fp(256));
  f.send(bus::byte, std::array<Expr, 1>{L(gap_low)}, one);
  f.send(bus::byte, std::array<Expr, 1>{L(gap_high)}, one);

  // The entry's 64 limbs of m_D, and m_D's digest (row 0, always).
  for (size_t j = 0; j < entry_bytes / 2; ++j) {
    Expr v;
    if (j == 0) v = kind + L(old_present) * Fp(256);
    else if (j == 1) v = L(new_present);
    else if (j >= 4 && j < 14) v = L(address + j - 4);
    else if (j >= 14 && j < 30) v = L(slot + j - 14);
    else if (j >= 30 && j < 46) v = L(old_value + j - 30);
    else if (j >= 46 && j < 62) v = L(new_value + j - 46);
    f.receive(bus::message_limb, std::array<Expr, 4>{L(message), L(entry) * Fp(entry_bytes / 2) + Fp(j), v, L(real)},
              L(real));
  }
  {
    std::array<Expr, 18> d;
    d[0] = L(message);
    d[1] = L(count) * Fp(entry_bytes);
    for (size_t j = 0; j < 16; ++j) d[2 + j] = Expr() + f.public_value(j);
    f.receive(bus::digest, d, first);
  }

  // Keys.
  {
    std::array<Expr, 33> a, s;
    a[0] = Expr();
    s[0] = L(is_slot);
    for (size_t j = 0; j < 16; ++j) {
      a[1 + j] = j < 10 ? L(address + j) : Expr();
      a[17 + j] = L(account_key + j);
      s[1 + j] = L(slot + j);
      s[17 + j] = L(slot_key + j);
    }
    f.receive(bus::key_digest, a, L(real));
    f.receive(bus::key_digest, s, L(is_slot));
  }

  // Items: the old leaf leaves the trie, the new one enters it; a wiped storage's root item leaves.
  auto item = [&](size_t value) {
    std::array<Expr, 51> t;
    t[0] = storage_trie;
    for (size_t j = 0; j < 16; ++j) {
      t[1 + j] = L(trie_key + j);
      t[19 + j] = L(key + j);
      t[35 + j] = L(value + j);
    }
    t[17] = Expr() + L(is_wiped);
    t[18] = (L(real) - L(is_wiped)) * Fp(64);
    return t;
  };
  f.receive(bus::item, item(old_value), L(old_present));
  f.send(bus::item, item(new_value), L(new_present));
}

template <class Folder>
void KeyTableAir::eval(Folder& f) const {
  using namespace key_table;
  using stark::Fp;
  const Fp one = Fp::one();
  auto L = [&](size_t c) { return f.local(c); };
  using Expr = decltype(L(0) + L(0));
  f.assert_bool(L(real));
  f.assert_bool(L(is_slot));
  f.assert_zero(L(is_slot) * (one - L(real)));
  f.assert_zero(L(mult) * (one - L(real)));
  f.assert_zero((one - L(real)) * L(message));
  for (size_t j = 0; j < 16; ++j) {
    f.assert_zero((one - L(real)) * L(preimage + j));
    f.assert_zero((one - L(real)) * L(digest + j));
    if (j >= 10) f.assert_zero((one - L(is_slot)) * L(preimage + j));
  }
  // The preimage is the message: 10 limbs (an address) or 16 (a slot), of a message of that length.
  for (size_t j = 0; j < 16; ++j)
    f.receive(bus::message_limb, std::array<Expr, 4>{L(message), Expr() + Fp(j), L(preimage + j), L(real)},
              j < 10 ? L(real) : L(is_slot));
  std::array<Expr, 18> d;
  d[0] = L(message);
  d[1] = L(real) * Fp(20) + L(is_slot) * Fp(12);
  std::array<Expr, 33> t;
  t[0] = L(is_slot);
  for (size_t j = 0; j < 16; ++j) {
    d[2 + j] = t[17 + j] = L(digest + j);
    t[1 + j] = L(preimage + j);
  }
  f.receive(bus::digest, d, L(real));
  f.send(bus::key_digest, t, L(mult));
}

}  // namespace witprove::air

// Each table's constraints are compiled once, in change_list.cpp, not in every file that includes this one.
extern template class witprove::stark::AirAdapter<witprove::air::ChangeListAir>;
extern template class witprove::stark::AirAdapter<witprove::air::KeyTableAir>;
extern template class witprove::stark::AirAdapter<witprove::air::ByteRangeAir>;
