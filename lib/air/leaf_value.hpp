// Leaf values: the `leaf_value` table (docs/state-transition.md, "leaf_value").
//
// One row per leaf that a state or storage walk reaches (received on `leaf`); the row sends the leaf's
// item (trie kind, account key, leaf, 64, key, value) on `item`, from pre-state walks and into post-state
// walks, so the items of a trie are its hashed-out subtrees and its leaves.
//   account leaf (state walks): the value is rlp([nonce, balance, storage root, code hash]); the leaf's
//     value bytes are copied into a value message (node_bytes' value_message), whose digest is the item
//     value. The row reads the value's list header (0xf8, length V - 2) and the two 32-byte strings that
//     end it (0xa0 headers at V - 66 and V - 33): the storage root is bytes V - 65 .. V - 34, sent as the
//     root of the account's storage walk on `root` (storage, pre/post, account key = the leaf's key), so
//     every explicit account has its storage walk in each state it is walked in.
//   storage leaf (storage walks): the value is rlp(v) for a slot value v of at most 32 bytes, canonical
//     (a byte below 0x80 as itself, else 0x80 + n then n bytes, no leading zero) and never zero (a zero slot
//     is absent); the item value is v as a 32-byte big-endian word, packed in limbs like a digest.
// Item values are 16 limbs, bytes 2j and 2j + 1 in limb j.
#pragma once

#include <array>
#include <span>
#include <string>
#include <vector>

#include "air/buses.hpp"
#include "air/node_bytes.hpp"
#include "air/trie_walk.hpp"
#include "stark/air.hpp"

namespace witprove::air {

namespace leaf_value {
inline constexpr size_t real = 0, post = 1, is_acct = 2, is_slot = 3;
inline constexpr size_t akey = 4;  // 16
inline constexpr size_t msg = 20, noff = 21;
inline constexpr size_t key = 22;  // 16
inline constexpr size_t vlen = 38;
inline constexpr size_t val = 39;  // 16: the item value
inline constexpr size_t mv = 55;   // account: the value message
inline constexpr size_t bytes = 56;  // 32: account: the storage root; slot: the value word
inline constexpr size_t in = 88;     // 32: slot: word byte p is a value byte (the last n)
inline constexpr size_t b0 = 120;    // the value's first byte
inline constexpr size_t f0 = 121;    // 8 facts of b0 from rlp_byte (class, length, nibbles, child code, 0x81, nonzero, >= 56)
inline constexpr size_t f1 = 129;    // 8 facts of the word's last byte
inline constexpr size_t inv_first = 137;  // inverse of the first value byte (nonzero, no leading zero)
inline constexpr size_t inv_class = 138;  // inverse of f1's class when b0 is 0x81 (that byte is at least 0x80)
inline constexpr size_t width = 139;
}  // namespace leaf_value

struct LeafValueAir {
  std::string name() const { return "leaf_value"; }
  size_t width() const { return leaf_value::width; }
  size_t num_public_values() const { return 0; }
  template <class Folder>
  void eval(Folder& f) const;
};

struct LeafValueTraces {
  stark::Trace trace;
  std::vector<uint32_t> digest_lookups;  // per message id: value messages' digest tuples received
};

// One row per state and storage leaf of `walks`; adds the node facts the rows read to `nodes` (value bytes,
// value messages, rlp_byte lookups). `parsed` gives each account leaf's value message. Throws
// std::invalid_argument naming the leaf when an account leaf has no value message.
LeafValueTraces generate_leaf_values(const TrieWalkTraces& walks, std::span<const eth::Bytes> messages,
                                     std::span<const ParsedMessage> parsed, NodeBytesTraces& nodes);

// ---------------------------------------------------------------------------------------------------------

template <class Folder>
void LeafValueAir::eval(Folder& f) const {
  using namespace leaf_value;
  using stark::Fp;
  const Fp one = Fp::one();
  auto L = [&](size_t c) { return f.local(c); };
  using Expr = decltype(L(0) + L(0));
  for (size_t c : {real, post, is_acct, is_slot}) f.assert_zero(L(c) * (L(c) - one));
  for (size_t p = 0; p < 32; ++p) f.assert_zero(L(in + p) * (L(in + p) - one));
  f.assert_zero(L(is_acct) + L(is_slot) - L(real));
  const Expr padding = one - L(real);
  for (size_t j = 0; j < 16; ++j) {
    f.assert_zero((one - L(is_slot)) * L(akey + j));
    f.assert_zero(padding * L(key + j));
    f.assert_zero(padding * L(val + j));
  }
  for (size_t c : {post, msg, noff, vlen, b0}) f.assert_zero(padding * L(c));
  f.assert_zero((one - L(is_acct)) * L(mv));

  // Storage values: the last n word bytes are the value, n = V - 1 (0x80 + n then n bytes) or 1 (one byte
  // below 0x80, which is then also the first byte); the rest are zero; the first value byte is nonzero.
  const Expr cls0 = L(f0);
  f.assert_zero(L(in + 31) - L(is_slot));
  for (size_t p = 0; p + 1 < 32; ++p) f.assert_zero(L(in + p) * (one - L(in + p + 1)));
  for (size_t p = 0; p < 32; ++p) f.assert_zero((one - L(in + p) - L(is_acct)) * L(bytes + p));
  Expr count, first;
  for (size_t p = 0; p < 32; ++p) {
    count = count + L(in + p);
    first = first + (L(in + p) - (p ? L(in + p - 1) : Expr())) * L(bytes + p);
  }
  f.assert_zero(L(is_slot) * cls0 * (cls0 - one));
  f.assert_zero(L(is_slot) * (count - L(vlen) + cls0));
  f.assert_zero(L(is_slot) * cls0 * (L(f0 + 1) - L(vlen) + one));
  f.assert_zero(L(is_slot) * (one - cls0) * (L(b0) - L(bytes + 31)));
  f.assert_zero(L(is_slot) * (one - cls0) * (L(vlen) - one));
  f.assert_zero(first * L(inv_first) - L(is_slot));
  f.assert_zero((one - L(is_slot)) * L(inv_first));
  f.assert_zero(L(f0 + 5) * (L(f1) * L(inv_class) - one));
  f.assert_zero((one - L(f0 + 5)) * L(inv_class));
  for (size_t k = 0; k < 8; ++k) {
    f.assert_zero((one - L(is_slot)) * L(f0 + k));
    f.assert_zero((one - L(is_slot)) * L(f1 + k));
  }
  for (size_t j = 0; j < 16; ++j)
    f.assert_zero(L(is_slot) * (L(val + j) - L(bytes + 2 * j) - L(bytes + 2 * j + 1) * Fp(256)));

  // Account values: a long list of V - 2 bytes (0xf8, at least 56) ending in two 32-byte strings.
  f.assert_zero(L(is_acct) * (L(b0) - Fp(0xf8)));

  // Lookups.
  {
    std::array<Expr, 38> t;
    t[0] = L(is_slot);
    t[1] = L(post);
    for (size_t j = 0; j < 16; ++j) {
      t[2 + j] = L(akey + j);
      t[21 + j] = L(key + j);
    }
    t[18] = L(msg);
    t[19] = L(noff);
    t[20] = L(real) * Fp(64);
    t[37] = L(vlen);
    f.receive(bus::leaf, t, L(real));
  }
  auto value_byte = [&](Expr offset, Expr b, Expr mult) {
    f.receive(bus::value_byte, std::array<Expr, 4>{L(msg), L(noff), offset, b}, mult);
  };
  for (size_t p = 0; p < 32; ++p)
    value_byte(L(vlen) + Fp(p) - Fp(32) - L(is_acct) * Fp(33), L(bytes + p), L(is_acct) + L(in + p));
  value_byte(Expr(), L(b0), L(is_acct) + L(is_slot) * cls0);
  value_byte(L(is_acct), L(vlen) - Fp(2), L(is_acct));
  value_byte(L(vlen) - Fp(66), L(is_acct) * Fp(0xa0), L(is_acct));
  value_byte(L(vlen) - Fp(33), L(is_acct) * Fp(0xa0), L(is_acct));
  f.receive(bus::value_message, std::array<Expr, 4>{L(msg), L(noff), L(mv), L(vlen)}, L(is_acct));
  {
    std::array<Expr, 18> d;
    d[0] = L(mv);
    d[1] = L(vlen);
    for (size_t j = 0; j < 16; ++j) d[2 + j] = L(val + j);
    f.receive(bus::digest, d, L(is_acct));
  }
  auto facts = [&](size_t byte_column, size_t facts_column) {
    std::array<Expr, 9> t;
    t[0] = L(byte_column);
    for (size_t k = 0; k < 8; ++k) t[1 + k] = L(facts_column + k);
    f.send(bus::rlp_byte, t, L(is_slot));
  };
  facts(b0, f0);
  facts(bytes + 31, f1);
  {
    std::array<Expr, 34> t;
    t[0] = L(is_acct);  // storage
    t[1] = L(post);
    for (size_t j = 0; j < 16; ++j) {
      t[2 + j] = L(key + j);
      t[18 + j] = L(bytes + 2 * j) + L(bytes + 2 * j + 1) * Fp(256);
    }
    f.send(bus::root, t, L(is_acct));
  }
  {
    std::array<Expr, 51> t;
    t[0] = L(is_slot);
    for (size_t j = 0; j < 16; ++j) {
      t[1 + j] = L(akey + j);
      t[19 + j] = L(key + j);
      t[35 + j] = L(val + j);
    }
    t[17] = Expr();
    t[18] = L(real) * Fp(64);
    f.send(bus::item, t, (one - L(post) * Fp(2)) * L(real));
  }
}

}  // namespace witprove::air

// Each table's constraints are compiled once, in leaf_value.cpp, not in every file that includes this one.
extern template class witprove::stark::AirAdapter<witprove::air::LeafValueAir>;
