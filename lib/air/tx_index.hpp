// Transactions and receipts: the `tx_index` table (docs/state-transition.md, "Transactions and receipts").
//
// Rows i = 0 .. n - 1, n the public transaction count. Row i receives one leaf of the transactions walk and
// one of the receipts walk (kinds 2 and 3 on `leaf`), both under the key rlp(i) (0x80 for 0, the byte i
// below 128, then 0x81 i, then 0x82 followed by two big-endian bytes; at most 65,535 transactions), so
// the two tries hold exactly n leaves each under the keys rlp(0 .. n - 1): their walks send every leaf they
// reach, and these rows receive exactly one per index.
// From each receipt's value bytes (EIP-2718: a type byte below 0x80, or none for a legacy receipt; then
// rlp([status or 32-byte state root, cumulative gas, bloom, logs]), a list of at least 256 bytes) the row
// reads the cumulative gas (a string of 2 to 4 bytes: every transaction uses at least 21,000 gas; below
// 2^28) and checks that it never decreases, and that receipt n - 1's is the public gas used (0 when n is 0).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "air/buses.hpp"
#include "air/node_bytes.hpp"
#include "air/trie_walk.hpp"
#include "stark/air.hpp"

namespace witprove::air {

namespace tx_index {
inline constexpr size_t real = 0, i = 1, hi = 2, lo = 3;
inline constexpr size_t c0 = 4, c1 = 5, c2 = 6, c3 = 7;  // rlp(i) is 0x80 / one byte / 0x81 b / 0x82 b b
inline constexpr size_t key0 = 8, key1 = 9, key_length = 10;
inline constexpr size_t tx_msg = 11, tx_noff = 12, tx_vlen = 13, rc_msg = 14, rc_noff = 15, rc_vlen = 16;
inline constexpr size_t typed = 17, b0 = 18, list_header = 19, status = 20, state_root = 21, gas_header = 22;
inline constexpr size_t g2 = 23, g3 = 24, g4 = 25;  // the gas is 2, 3 or 4 bytes
inline constexpr size_t gas_bytes = 26;              // 4, big-endian from the first
inline constexpr size_t gas = 30;
inline constexpr size_t step = 31;                   // 4 bytes: next row's gas minus this row's, little-endian
inline constexpr size_t width = 35;
inline constexpr size_t count_public = 0, gas_used_public = 1;
}  // namespace tx_index

struct TxIndexAir {
  std::string name() const { return "tx_index"; }
  size_t width() const { return tx_index::width; }
  size_t num_public_values() const { return 2; }  // transaction count, gas used
  template <class Folder>
  void eval(Folder& f) const;
};

struct TxIndexTraces {
  stark::Trace trace;
  std::vector<uint64_t> byte_lookups;  // per byte value: byte_range lookups of the rows
};

// One row per transaction index, from the transactions and receipts leaves of `walks`; adds the receipt
// bytes the rows read to `nodes`. Throws std::invalid_argument when the leaves are not keyed rlp(0 .. n-1)
// in both tries, or a receipt's cumulative gas cannot be read as the table reads it.
TxIndexTraces generate_tx_index(const TrieWalkTraces& walks, std::span<const eth::Bytes> messages,
                                NodeBytesTraces& nodes);

// ---------------------------------------------------------------------------------------------------------

template <class Folder>
void TxIndexAir::eval(Folder& f) const {
  using namespace tx_index;
  using stark::Fp;
  const Fp one = Fp::one();
  auto L = [&](size_t c) { return f.local(c); };
  auto N = [&](size_t c) { return f.next(c); };
  using Expr = decltype(L(0) + L(0));
  const Expr first = f.is_first_row();
  const Expr transition = f.is_transition();
  const Expr padding = one - L(real);
  for (size_t c : {real, c0, c1, c2, c3, typed, state_root, g2, g3, g4}) f.assert_bool(L(c));

  // Rows 0 .. n - 1 are real, then padding (at least one row); the last real row is n - 1.
  f.assert_zero(transition * N(real) * padding);
  f.assert_zero(f.is_last_row() * L(real));
  f.assert_zero(first * L(i));
  f.assert_zero(transition * N(real) * (N(i) - L(i) - one));
  f.assert_zero(transition * (L(real) - N(real)) * (L(i) + one - f.public_value(count_public)));
  f.assert_zero(first * padding * (Expr() + f.public_value(count_public)));
  for (size_t c = i; c < tx_index::width; ++c) f.assert_zero(padding * L(c));

  // rlp(i): the class is fixed by i's bytes (i = 256 hi + lo): 0 only on row 0; 1..127; 128..255; above.
  f.assert_zero(L(i) - L(hi) * Fp(256) - L(lo));
  f.assert_zero(L(c0) + L(c1) + L(c2) + L(c3) - L(real));
  f.assert_zero(L(c0) * L(i));
  f.assert_zero(first * L(real) * (one - L(c0)));
  f.assert_zero((L(c1) + L(c2)) * L(hi));
  f.assert_zero(L(key0) - L(c0) * Fp(0x80) - L(c1) * L(lo) - L(c2) * (L(lo) * Fp(256) + Fp(0x81)) -
                L(c3) * (L(hi) * Fp(256) + Fp(0x82)));
  f.assert_zero(L(key1) - L(c3) * L(lo));
  f.assert_zero(L(key_length) - (L(c0) + L(c1)) * Fp(2) - L(c2) * Fp(4) - L(c3) * Fp(6));
  auto byte = [&](Expr v) { f.send(bus::byte, std::array<Expr, 1>{v}, one); };
  byte(L(hi));
  byte(L(lo));
  // c1: lo < 128; c2: lo >= 128; c3: hi >= 1.
  byte(L(c1) * (L(lo) + Fp(128)) + L(c2) * (L(lo) - Fp(128)) + L(c3) * (L(hi) - one));

  // The leaves under rlp(i).
  auto leaf = [&](uint32_t kind, size_t message, size_t node_offset, size_t value_length) {
    std::array<Expr, 38> t;
    for (auto& x : t) x = Expr();
    t[0] = L(real) * Fp(kind);
    t[18] = L(message);
    t[19] = L(node_offset);
    t[20] = L(key_length);
    t[21] = L(key0);
    t[22] = L(key1);
    t[37] = L(value_length);
    f.receive(bus::leaf, t, L(real));
  };
  leaf(2, tx_msg, tx_noff, tx_vlen);
  leaf(3, rc_msg, rc_noff, rc_vlen);

  // The receipt: [type byte] list header (0xf9 or 0xfa: 2 or 3 length bytes), status (0x01, 0x80) or a
  // state root (0xa0 + 32 bytes), then the cumulative gas string (0x82 .. 0x84 + bytes).
  const Expr header_length = L(list_header) - Fp(0xf9 - 3);
  const Expr status_length = one + L(state_root) * Fp(32);
  const Expr gas_offset = L(typed) + header_length + status_length;
  f.assert_zero(L(real) * (L(list_header) - Fp(0xf9)) * (L(list_header) - Fp(0xfa)));
  f.assert_zero(L(state_root) * (L(status) - Fp(0xa0)));
  f.assert_zero((L(real) - L(state_root)) * (L(status) - one) * (L(status) - Fp(0x80)));
  f.assert_zero((L(real) - L(typed)) * (L(b0) - L(list_header)));
  byte(L(typed) * (L(b0) + Fp(128)));  // a type byte is below 0x80
  f.assert_zero(L(g2) + L(g3) + L(g4) - L(real));
  f.assert_zero(L(gas_header) - L(real) * Fp(0x80) - L(g2) * Fp(2) - L(g3) * Fp(3) - L(g4) * Fp(4));
  auto value_byte = [&](Expr offset, Expr b, Expr mult) {
    f.receive(bus::value_byte, std::array<Expr, 4>{L(rc_msg), L(rc_noff), offset, b}, mult);
  };
  value_byte(Expr(), L(b0), L(real));
  value_byte(L(typed), L(list_header), L(typed));
  value_byte(L(typed) + header_length, L(status), L(real));
  value_byte(gas_offset, L(gas_header), L(real));
  const std::array<Expr, 4> present = {L(real), L(real), L(g3) + L(g4), L(g4)};
  for (size_t k = 0; k < 4; ++k) {
    value_byte(gas_offset + Fp(1 + k), L(gas_bytes + k), present[k]);
    f.assert_zero((one - present[k]) * L(gas_bytes + k));
  }
  auto b = [&](size_t k) { return L(gas_bytes + k); };
  f.assert_zero(L(gas) - L(g2) * (b(0) * Fp(256) + b(1)) - L(g3) * (b(0) * Fp(65536) + b(1) * Fp(256) + b(2)) -
                L(g4) * (b(0) * Fp(1 << 24) + b(1) * Fp(65536) + b(2) * Fp(256) + b(3)));
  byte(L(g4) * (b(0) + Fp(0xf0)));  // below 2^28

  // Cumulative gas never decreases (steps below 2^28, gas below 2^28 < p / 2); the last is the gas used.
  Expr next_step = L(step) + L(step + 1) * Fp(256) + L(step + 2) * Fp(65536) + L(step + 3) * Fp(1 << 24);
  f.assert_zero(transition * N(real) * (N(gas) - L(gas) - next_step));
  f.assert_zero((one - transition * N(real)) * next_step);
  for (size_t k = 0; k < 3; ++k) byte(L(step + k));
  byte(L(step + 3) + Fp(0xf0));
  f.assert_zero(transition * (L(real) - N(real)) * (L(gas) - f.public_value(gas_used_public)));
  f.assert_zero(first * padding * (Expr() + f.public_value(gas_used_public)));
}

}  // namespace witprove::air

// Each table's constraints are compiled once, in tx_index.cpp, not in every file that includes this one.
extern template class witprove::stark::AirAdapter<witprove::air::TxIndexAir>;
