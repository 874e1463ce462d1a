// Trie node bytes and their RLP structure: the `node_bytes` table and the fixed `rlp_byte` table
// (docs/state-transition.md, "node_bytes").
//
// node_bytes has one row per byte of every parsed message (a hashed trie node: branch, extension or leaf),
// the rows of one message consecutive from offset 0. Each pair of rows receives its 16-bit limb from the
// sponge (bus message_limb, multiplicity one), so the rows hold exactly the hashed bytes, each read once:
// a message cannot be parsed twice, in part, or past its end. Every row looks its byte up in rlp_byte,
// which gives the byte's RLP class and length, its nibbles and a few flags, so no byte is out of range and
// no class is chosen by the prover.
//
// A state machine over the rows parses the node (Yellow Paper, Appendix B and D):
//   outer list header (start), its length bytes (ll), then items at depth 1: a header (ih), length bytes of
//   a long string (il), content bytes (ic); an embedded node (a short list inside a branch slot) has items
//   at depth 2: headers (eh) and content bytes (ec).
// Counters count down the bytes left in the outer list (rem0), the embedded list (rem1), the current string
// (rems) and the length bytes (lol); each must be zero exactly where its part ends, so every length is the
// declared one. Only canonical RLP parses: a single byte below 0x80 is never wrapped as 0x81 b, long forms
// only for lengths of at least 56 with no leading zero length byte, length-of-length at most 3.
// Trie rules: a branch has 17 items, slots 0..15 each empty (0x80), a 32-byte reference (0xa0 ...) or an
// embedded node, item 16 empty; a 2-item node's kind is its hex-prefix flag (bit 1: leaf), the flag's
// second nibble zero for an even path; an extension's child is a reference; an embedded node is a leaf of
// strings only (an embedded branch or extension would need a list at depth 3, which a node under 32 bytes
// with 32-byte keys cannot hold).
//
// What the table sends, each with a multiplicity column the prover fills with how often the tuple is
// requested, constrained to zero on rows whose tuple is not the stated fact (air/buses.hpp):
//   node_byte   (message id, offset, byte)                                     every byte
//   child_ref   (message id, slot, class: 0 empty / 1 reference / 2 embedded, header offset)   branch slots,
//               an extension's child (slot 0); a reference's 32 bytes start at header offset + 1, an
//               embedded node's id is (message id, header offset)
//   path_nibble (message id, node offset, index, nibble)                       each nibble of a node's path
//   value_byte  (message id, node offset, offset in the value, byte)           each byte of a leaf's value
//   node_end    (message id, node offset, kind: 0 branch / 1 extension / 2 leaf, path length in nibbles,
//               value length in bytes)                                         last row of each node
//   value_message (message id, 0, value message id, value length)            last row of a copied leaf;
//               its receiver also receives the value message's digest tuple with that length (which
//               settles an empty value, whose copy reads no limb)
// A hashed leaf may be marked `copy` with a value message: its value bytes then also receive that message's
// limbs (exactly once, like the node's own), so the value message is exactly the value and its digest on
// the sponge is the value's Keccak-256 (account leaves: the item value of docs/state-transition.md).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "air/buses.hpp"
#include "eth/bytes.hpp"
#include "stark/air.hpp"

namespace witprove::air {

// The fixed table of byte facts: one row per byte value b = 0..255.
namespace rlp_byte {
enum Class : uint8_t { single = 0, short_string = 1, long_string = 2, short_list = 3, long_list = 4, bad_long = 5 };
// Fixed columns, in the order of the rlp_byte tuple.
inline constexpr size_t value = 0;
inline constexpr size_t rlp_class = 1;  // Class; bad_long: a long form with a length-of-length above 3
inline constexpr size_t length = 2;     // short forms: the length; long forms: the length-of-length; else 0
inline constexpr size_t high_nibble = 3;
inline constexpr size_t low_nibble = 4;
inline constexpr size_t child_code = 5;  // as a branch slot header: 1 empty (0x80), 2 reference (0xa0),
                                         // 3 embedded node (a list under 32 bytes), 0 not a slot header
inline constexpr size_t is_0x81 = 6;
inline constexpr size_t is_nonzero = 7;
inline constexpr size_t at_least_56 = 8;
inline constexpr size_t fixed_width = 9;

struct Facts {
  std::array<uint32_t, fixed_width> columns;
};
Facts facts(uint8_t b);
}  // namespace rlp_byte

// Receives the rlp_byte tuples with counted multiplicities (column 0).
struct RlpByteTableAir {
  std::string name() const { return "rlp_byte"; }
  size_t width() const { return 1; }
  size_t num_public_values() const { return 0; }
  size_t num_fixed() const { return rlp_byte::fixed_width; }
  stark::Trace fixed_trace() const;
  template <class Folder>
  void eval(Folder& f) const;
};

namespace node_bytes {
// Columns. Flags are 0/1. "Role" flags say which part of the node a byte is; exactly one is set on a real
// row (start counts as the outer list header's role).
inline constexpr size_t msg = 0, off = 1, byte = 2, real = 3, start = 4, odd = 5;
inline constexpr size_t hi = 6;  // the next byte of the limb (0 past the message end)
inline constexpr size_t r_ll = 7, r_ih = 8, r_il = 9, r_ic = 10, r_eh = 11, r_ec = 12;  // roles
// From the rlp_byte lookup of this row's byte: class one-hot, then the other facts.
inline constexpr size_t c_single = 13, c_sstr = 14, c_lstr = 15, c_slist = 16, c_llist = 17, c_bad = 18;
inline constexpr size_t plen = 19, nh = 20, nl = 21, cc = 22, s1 = 23, nz = 24, ge56 = 25;
inline constexpr size_t k_branch = 26, k_leaf = 27, k_ext = 28;  // the hashed node's kind, constant per message
inline constexpr size_t rem0 = 29;     // outer list bytes left after this row (the length, during its header)
inline constexpr size_t lol = 30;      // length bytes left after this row
inline constexpr size_t rems = 31;     // string content bytes left after this row (the length, during its header)
inline constexpr size_t rem1 = 32;     // embedded list bytes left after this row
inline constexpr size_t idx = 33;      // item index at depth 1
inline constexpr size_t eidx = 34;     // item index at depth 2
inline constexpr size_t inlen = 35;    // a long header or one of its length bytes
inline constexpr size_t instr = 36;    // a string header, its length bytes or content: content may follow
inline constexpr size_t lenlead = 37;  // the first length byte of a long header
inline constexpr size_t is_child = 38, ch_empty = 39, ch_ref = 40, ch_emb = 41;  // child slot headers
inline constexpr size_t noff = 42;     // offset of the node the row belongs to (0, or an embedded node's)
inline constexpr size_t path_hdr = 43;  // header of a path item
inline constexpr size_t hpc = 44;       // the hex-prefix byte as the first content byte of a path string
inline constexpr size_t hp = 45;        // the hex-prefix byte (a single-byte path or hpc)
inline constexpr size_t hp_leaf = 46, hp_odd = 47;  // the hex-prefix flag's bits
inline constexpr size_t pbyte = 48;     // a path byte after the hex-prefix byte
inline constexpr size_t pidx = 49;      // path index of this row's low nibble (hp row of an even path: -1)
inline constexpr size_t plenn = 50;     // path length so far in this message (0 at its start)
inline constexpr size_t val_hdr = 51;   // header of a leaf's value item
inline constexpr size_t inval = 52;     // a value header, its length bytes or content
inline constexpr size_t vb = 53;        // a byte of the value (a single-byte value's header, or content)
inline constexpr size_t vcount = 54;    // value bytes so far (0 outside a value)
inline constexpr size_t nend = 55;      // last row of a node (hashed or embedded)
inline constexpr size_t m_byte = 56, m_child = 57, m_path_hi = 58, m_path_lo = 59, m_value = 60, m_end = 61;
inline constexpr size_t copy = 62;   // this leaf's value is also a message of its own, constant per message
inline constexpr size_t mv = 63;     // that message's id
inline constexpr size_t vodd = 64;   // value rows: the parity of the last value byte's offset so far
inline constexpr size_t m_vmsg = 65;
inline constexpr size_t vrecv = 66;  // copy x vb x (1 - vodd): the row receives a value message limb
inline constexpr size_t width = 67;
}  // namespace node_bytes

struct NodeBytesAir {
  std::string name() const { return "node_bytes"; }
  size_t width() const { return node_bytes::width; }
  size_t num_public_values() const { return 0; }
  template <class Folder>
  void eval(Folder& f) const;
};

// A node as node_bytes parses it, for the generators of the tables that use its facts. Throws
// eth::DecodeError on a node that is not canonical RLP or not a trie node.
struct NodeShape {
  enum Kind : uint8_t { branch = 0, extension = 1, leaf = 2 } kind = branch;
  std::vector<uint8_t> path;                 // nibbles, leaf and extension
  size_t value_offset = 0, value_size = 0;   // leaf: where its value bytes are in the message
  enum ChildClass : uint8_t { empty = 0, reference = 1, embedded = 2 };
  struct Child {
    ChildClass cls = empty;
    size_t header = 0;  // offset of the slot's RLP header; a reference's 32 bytes follow it
  };
  std::array<Child, 16> children{};  // branch: slots 0..15; extension: slot 0
  size_t hp_offset = 0;  // leaf, extension: the hex-prefix byte
  size_t end = 0;        // the node's last byte
};
// The node at `node_offset` of `message` (0: the hashed node; else an embedded node's header).
NodeShape node_shape(eth::ByteView message, size_t node_offset = 0);

// A message to parse: its id on the sponge and its bytes, and for a leaf whose value is copied, the id of
// the message holding the value.
struct ParsedMessage {
  size_t id;
  eth::ByteView bytes;
  std::optional<size_t> value_message = std::nullopt;
};

// The statement has two node_bytes tables, both NodeBytesAir: a message's rows lie in one of them (each
// table's first real row starts a message, its last row is padding), and the buses balance over both.
// One table holds every message unless that table would have at least kSplitFrom rows and two tables have
// fewer rows between them: a first of half its height, taking each message in order that still fits
// (first fit), and a second for the rest. Otherwise the second is two padding rows. (432.erc721: 2,568,294
// bytes in 2^21 + 2^19 rows instead of 2^22.) Below kSplitFrom a second table's own commitments and
// openings would cost more than the rows save.
inline constexpr size_t kSplitFrom = size_t{1} << 16;
struct NodeBytesLayout {
  std::array<size_t, 2> heights;
  std::vector<uint8_t> table;  // per message: 0 or 1
};
NodeBytesLayout node_bytes_layout(std::span<const size_t> message_sizes);

// Lays the messages out as node_bytes rows in the two tables (at least one padding row after them in each;
// multiplicities zero) and the rlp_byte table's multiplicities. The layout follows the RLP structure as
// written, canonical or not, so that constraints, not the generator, judge it. Throws
// std::invalid_argument naming the message when its bytes cannot be laid out as a node at all (not a
// list, lengths past the end, nesting deeper than an embedded node, an item count other than 2 or 17).
struct NodeBytesTraces {
  std::array<stark::Trace, 2> node_bytes;
  stark::Trace rlp_byte;
  struct Place {
    size_t table, row;
  };
  std::unordered_map<size_t, Place> first_row;  // message id -> its table and first row
};
NodeBytesTraces generate_node_bytes_traces(std::span<const ParsedMessage> messages);

// Adds one lookup of a node fact to the multiplicity column of the row that sends it (the node at
// `node_offset` of message `id`, as node_shape gives it). Throws std::out_of_range for a message not parsed.
void request_node_byte(NodeBytesTraces& t, size_t id, size_t offset);
void request_child_ref(NodeBytesTraces& t, size_t id, const NodeShape::Child& child);
void request_path_nibble(NodeBytesTraces& t, size_t id, const NodeShape& node, size_t index);
void request_value_byte(NodeBytesTraces& t, size_t id, const NodeShape& node, size_t index);
void request_node_end(NodeBytesTraces& t, size_t id, const NodeShape& node);
void request_value_message(NodeBytesTraces& t, size_t id, const NodeShape& node);

// ---------------------------------------------------------------------------------------------------------

template <class Folder>
void RlpByteTableAir::eval(Folder& f) const {
  using Var = typename Folder::Var;
  std::array<Var, rlp_byte::fixed_width> tuple;
  for (size_t c = 0; c < rlp_byte::fixed_width; ++c) tuple[c] = f.fixed(c);
  f.receive_counted(bus::rlp_byte, tuple, 0);
}

template <class Folder>
void NodeBytesAir::eval(Folder& f) const {
  using namespace node_bytes;
  using stark::Fp;
  const Fp one = Fp::one();
  auto L = [&](size_t c) { return f.local(c); };
  auto N = [&](size_t c) { return f.next(c); };
  using Expr = decltype(L(0) + L(0));
  const Expr first = f.is_first_row();
  const Expr transition = f.is_transition();

  for (size_t c : {real, start, odd, r_ll, r_ih, r_il, r_ic, r_eh, r_ec, c_single, c_sstr, c_lstr, c_slist, c_llist,
                   c_bad, k_branch, k_leaf, k_ext, inlen, instr, lenlead, is_child, ch_empty, ch_ref, ch_emb, path_hdr,
                   hpc, hp, hp_leaf, hp_odd, pbyte, val_hdr, inval, vb, nend})
    f.assert_bool(L(c));

  // Rows: real rows first, then padding; the last row is padding. A message starts on row 0 (if any) and
  // wherever `start` is set; `cont` says the next row continues this row's message, `ends` that this row
  // is its last byte. Both are linear in the next row.
  f.assert_zero(transition * N(real) * (one - L(real)));
  f.assert_zero(f.is_last_row() * L(real));
  f.assert_zero(L(start) * (one - L(real)));
  f.assert_zero(first * (L(start) - L(real)));
  const Expr cont = N(real) - N(start);
  const Expr ends = L(real) - cont;
  f.assert_zero(L(start) * L(off));
  f.assert_zero(L(start) * L(odd));
  f.assert_zero(cont * (N(off) - L(off) - one));
  f.assert_zero(cont * (N(odd) + L(odd) - one));
  f.assert_zero(cont * (N(msg) - L(msg)));
  f.assert_zero(L(hi) - cont * N(byte));

  // Roles and classes are one-hot; the kind is one-hot and constant over a message.
  f.assert_zero(L(r_ll) + L(r_ih) + L(r_il) + L(r_ic) + L(r_eh) + L(r_ec) + L(start) - L(real));
  f.assert_zero(L(c_single) + L(c_sstr) + L(c_lstr) + L(c_slist) + L(c_llist) + L(c_bad) - one);
  f.assert_zero(L(k_branch) + L(k_leaf) + L(k_ext) - L(real));
  for (size_t k : {k_branch, k_leaf, k_ext}) f.assert_zero(cont * (N(k) - L(k)));
  const Expr header = L(start) + L(r_ih) + L(r_eh);
  f.assert_zero(header * L(c_bad));
  f.assert_zero(L(r_ih) * L(c_llist));  // no long list inside a node (an embedded node is under 32 bytes)

  // Outer list: a list header on the first row; its length (short form) or its length bytes (long form)
  // set rem0, which counts every payload byte down to zero at the message end.
  f.assert_zero(L(start) * (one - L(c_slist) - L(c_llist)));
  f.assert_zero(L(start) * L(c_slist) * (L(rem0) - L(plen)));
  f.assert_zero(L(start) * L(c_llist) * L(rem0));
  f.assert_zero(N(r_ll) * (N(rem0) - L(rem0) * Fp(256) - N(byte)));
  const Expr next_payload = N(real) - N(start) - N(r_ll);
  f.assert_zero(next_payload * (N(rem0) - L(rem0) + one));
  f.assert_zero(ends * L(rem0));

  // Long headers: lol counts the length bytes; they follow the header, the outer list's as ll, an item's as
  // il; the first is nonzero, and a single one is at least 56 (canonical long forms).
  const Expr long_header = L(start) * L(c_llist) + L(r_ih) * L(c_lstr);
  f.assert_zero(L(inlen) - long_header - L(r_ll) - L(r_il));
  f.assert_zero(long_header * (L(lol) - L(plen)));
  const Expr next_length = N(r_ll) + N(r_il);
  f.assert_zero(next_length * (N(lol) - L(lol) + one));
  f.assert_zero(next_length * (one - L(inlen)));
  f.assert_zero(L(inlen) * (one - next_length) * L(lol));
  f.assert_zero(N(r_ll) * (L(r_ih) + L(r_il)));
  f.assert_zero(N(r_il) * (L(start) + L(r_ll)));
  f.assert_zero(first * L(lenlead));
  f.assert_zero(transition * (N(lenlead) - long_header));
  f.assert_zero(L(lenlead) * (one - L(nz)));
  f.assert_zero(L(lenlead) * (one - L(ge56)) * (one - next_length));

  // Strings: rems is set by a short header, accumulated by length bytes, and counts content down to zero
  // where the string ends. A one-byte short string never holds a byte below 0x80 (that byte is its own
  // encoding).
  const Expr string_header = (L(r_ih) + L(r_eh)) * (L(c_sstr) + L(c_lstr));
  f.assert_zero(L(instr) - string_header - L(r_il) - L(r_ic) - L(r_ec));
  f.assert_zero((L(r_ih) + L(r_eh)) * L(c_sstr) * (L(rems) - L(plen)));
  f.assert_zero(L(r_ih) * L(c_lstr) * L(rems));
  f.assert_zero(N(r_il) * (N(rems) - L(rems) * Fp(256) - N(byte)));
  const Expr next_content = N(r_ic) + N(r_ec);
  f.assert_zero(next_content * (N(rems) - L(rems) + one));
  f.assert_zero(next_content * (one - L(instr)));
  f.assert_zero(L(instr) * (one - next_content - N(r_il)) * L(rems));
  f.assert_zero(N(r_ic) * (one - L(r_ih) - L(r_il) - L(r_ic)));
  f.assert_zero(N(r_ec) * (one - L(r_eh) - L(r_ec)));
  f.assert_zero((L(r_ih) + L(r_eh)) * L(s1) * N(c_single));

  // Embedded nodes: a short list at depth 1 opens depth 2, whose items are short strings or single bytes;
  // rem1 counts its bytes down to zero at its end.
  const Expr depth2 = L(r_eh) + L(r_ec);
  const Expr next_depth2 = N(r_eh) + N(r_ec);
  const Expr opens = L(r_ih) * L(c_slist);
  f.assert_zero(opens * (one - N(r_eh)));
  f.assert_zero(N(r_eh) * (one - opens - depth2));
  f.assert_zero(L(r_eh) * (one - L(c_single) - L(c_sstr)));
  f.assert_zero(opens * (L(rem1) - L(plen)));
  f.assert_zero(next_depth2 * (N(rem1) - L(rem1) + one));
  f.assert_zero(depth2 * (one - next_depth2) * L(rem1));
  f.assert_zero((one - depth2) * L(noff));
  f.assert_zero(next_depth2 * L(r_ih) * (N(noff) - L(off)));
  f.assert_zero(next_depth2 * depth2 * (N(noff) - L(noff)));

  // Item indices: 0 for the first item, one more for each next header, constant in between; a branch ends
  // on item 16, a leaf or extension on item 1, an embedded node on its item 1.
  f.assert_zero(N(r_ih) * (L(start) + L(r_ll)) * N(idx));
  f.assert_zero(N(r_ih) * (one - L(start) - L(r_ll)) * (N(idx) - L(idx) - one));
  f.assert_zero((cont - N(r_ih)) * (N(idx) - L(idx)));
  f.assert_zero(ends * L(k_branch) * (L(idx) - Fp(16)));
  f.assert_zero(ends * (L(k_leaf) + L(k_ext)) * (L(idx) - one));
  f.assert_zero(N(r_eh) * L(r_ih) * N(eidx));
  f.assert_zero(N(r_eh) * depth2 * (N(eidx) - L(eidx) - one));
  f.assert_zero(N(r_ec) * (N(eidx) - L(eidx)));
  f.assert_zero(depth2 * (one - next_depth2) * (L(eidx) - one));

  // Child slots: every branch item and an extension's item 1. The slot header's child code (from the byte)
  // is the class: empty, reference or embedded node; an extension's child is a reference. A branch's last
  // row is its item 16 header, 0x80: an empty value.
  f.assert_zero(L(is_child) - L(r_ih) * (L(k_branch) + L(k_ext) * L(idx)));
  f.assert_zero(L(ch_empty) + L(ch_ref) + L(ch_emb) - L(is_child));
  f.assert_zero(L(is_child) * (L(cc) - L(ch_empty) - L(ch_ref) * Fp(2) - L(ch_emb) * Fp(3)));
  f.assert_zero(L(k_ext) * (L(is_child) - L(ch_ref)));
  f.assert_zero(ends * L(k_branch) * (one - L(r_ih)));
  f.assert_zero(ends * L(k_branch) * (L(byte) - Fp(0x80)));

  // Paths: item 0 of a leaf or extension, and of an embedded node. A single byte is the hex-prefix byte
  // itself; a short string has it as its first content byte. Its high nibble is the flag (bit 1: leaf,
  // bit 0: odd length, so at most 3), its low nibble is path nibble 0 for an odd path and zero otherwise.
  // The flag is the hashed node's kind; an embedded node is a leaf.
  f.assert_zero(L(path_hdr) - (L(k_leaf) + L(k_ext)) * L(r_ih) * (one - L(idx)) - L(r_eh) * (one - L(eidx)));
  f.assert_zero(L(path_hdr) * (one - L(c_single) - L(c_sstr)));
  f.assert_zero(first * L(hpc));
  f.assert_zero(transition * (N(hpc) - L(path_hdr) * L(c_sstr)));
  f.assert_zero(L(hpc) * (one - L(r_ic) - L(r_ec)));
  f.assert_zero(L(hp) - L(path_hdr) * L(c_single) - L(hpc));
  f.assert_zero(L(hp) * (L(nh) - L(hp_leaf) * Fp(2) - L(hp_odd)));
  f.assert_zero(L(hp) * (one - L(hp_odd)) * L(nl));
  f.assert_zero((one - depth2) * L(hp) * (L(hp_leaf) - L(k_leaf)));
  f.assert_zero(depth2 * L(hp) * (one - L(hp_leaf)));
  f.assert_zero(first * L(pbyte));
  f.assert_zero(transition * (N(pbyte) - (L(hp) + L(pbyte)) * next_content));
  f.assert_zero(L(hp) * (L(pidx) - L(hp_odd) + one));
  f.assert_zero(N(pbyte) * (N(pidx) - L(pidx) - Fp(2)));
  f.assert_zero(L(start) * L(plenn));
  f.assert_zero((L(hp) + L(pbyte)) * (L(plenn) - L(pidx) - one));
  // The path length carries on to the node's end; after an embedded node's end it is 0 again.
  f.assert_zero((cont - N(hp) - N(pbyte)) * (N(plenn) - L(plenn) * (one - L(nend))));

  // Values: item 1 of a leaf (hashed or embedded), a string. vcount counts its bytes.
  f.assert_zero(L(val_hdr) - L(k_leaf) * L(r_ih) * L(idx) - L(r_eh) * L(eidx));
  f.assert_zero(L(val_hdr) * (L(c_slist) + L(c_llist)));
  f.assert_zero(first * L(inval));
  f.assert_zero(transition * (N(inval) - L(inval) * (N(r_il) + next_content) - N(val_hdr)));
  f.assert_zero(L(vb) - L(val_hdr) * L(c_single) - L(inval) * (L(r_ic) + L(r_ec)));
  f.assert_zero(L(val_hdr) * (L(vcount) - L(vb)));
  f.assert_zero(transition * (N(inval) - N(val_hdr)) * (N(vcount) - L(vcount) - N(vb)));
  f.assert_zero((one - L(inval)) * L(vcount));

  // Copied values: a hashed leaf's value bytes, paired from the value's first byte, are the limbs of the
  // value message.
  f.assert_bool(L(copy));
  f.assert_bool(L(vodd));
  f.assert_zero(cont * (N(copy) - L(copy)));
  f.assert_zero(cont * (N(mv) - L(mv)));
  f.assert_zero(L(copy) * (one - L(k_leaf)));
  f.assert_zero((one - L(copy)) * L(mv));
  f.assert_zero(L(val_hdr) * (L(vodd) + L(vb) - one));
  f.assert_zero((N(inval) - N(val_hdr)) * (N(vodd) - L(vodd) - N(vb) + L(vodd) * N(vb) * Fp(2)));
  f.assert_zero((one - L(inval)) * L(vodd));
  f.assert_zero(L(vrecv) - L(copy) * L(vb) * (one - L(vodd)));

  // The last row of a node: the message's, or an embedded node's.
  f.assert_zero(L(nend) - ends - depth2 * (one - next_depth2));

  // Cells no rule above needs are zero, so the rows are a function of the bytes.
  const Expr padding = one - L(real);
  for (size_t c : {msg, off, byte, odd, rem0, idx, plenn, copy}) f.assert_zero(padding * L(c));
  f.assert_zero((L(start) + L(r_ll)) * L(idx));
  f.assert_zero((one - L(inlen)) * L(lol));
  f.assert_zero((one - L(instr)) * L(rems));
  f.assert_zero((one - opens - depth2) * L(rem1));
  f.assert_zero((one - depth2) * L(eidx));
  f.assert_zero((one - L(hp) - L(pbyte)) * L(pidx));
  f.assert_zero((one - L(hp)) * L(hp_leaf));
  f.assert_zero((one - L(hp)) * L(hp_odd));

  // Lookups. Limbs: the even row of each pair receives bytes off, off + 1 (one byte at an odd end).
  const Fp half = stark::inverse(Fp(2));
  f.receive(bus::message_limb, std::array<Expr, 4>{L(msg), L(off) * half, L(byte) + L(hi) * Fp(256), cont},
            L(real) * (one - L(odd)));
  const Expr rlp_class = L(c_sstr) + L(c_lstr) * Fp(2) + L(c_slist) * Fp(3) + L(c_llist) * Fp(4) + L(c_bad) * Fp(5);
  f.send(bus::rlp_byte,
            std::array<Expr, 9>{L(byte), rlp_class, L(plen), L(nh), L(nl), L(cc), L(s1), L(nz), L(ge56)}, one);

  f.assert_zero(L(m_byte) * (one - L(real)));
  f.assert_zero(L(m_child) * (one - L(is_child)));
  f.assert_zero(L(m_path_hi) * (one - L(pbyte)));
  f.assert_zero(L(m_path_lo) * (one - L(pbyte) - L(hp) * L(hp_odd)));
  f.assert_zero(L(m_value) * (one - L(vb)));
  f.assert_zero(L(m_end) * (one - L(nend)));
  f.assert_zero(L(m_vmsg) * (one - L(copy) * ends));
  f.send(bus::node_byte, std::array<Expr, 3>{L(msg), L(off), L(byte)}, L(m_byte));
  f.send(bus::child_ref, std::array<Expr, 4>{L(msg), L(idx) - L(k_ext), L(ch_ref) + L(ch_emb) * Fp(2), L(off)},
         L(m_child));
  f.send(bus::path_nibble, std::array<Expr, 4>{L(msg), L(noff), L(pidx) - one, L(nh)}, L(m_path_hi));
  f.send(bus::path_nibble, std::array<Expr, 4>{L(msg), L(noff), L(pidx), L(nl)}, L(m_path_lo));
  f.send(bus::value_byte, std::array<Expr, 4>{L(msg), L(noff), L(vcount) - one, L(byte)}, L(m_value));
  f.receive(bus::message_limb,
            std::array<Expr, 4>{L(mv), (L(vcount) - one) * half, L(byte) + L(hi) * Fp(256), cont},
            L(vrecv));
  f.send(bus::value_message, std::array<Expr, 4>{L(msg), L(noff), L(mv), L(vcount)}, L(m_vmsg));
  const Expr kind = L(k_ext) + L(k_leaf) * Fp(2) + depth2 * Fp(2);
  f.send(bus::node_end, std::array<Expr, 5>{L(msg), L(noff), kind, L(plenn), L(vcount)}, L(m_end));
}

}  // namespace witprove::air

// Each table's constraints are compiled once, in node_bytes.cpp, not in every file that includes this one.
extern template class witprove::stark::AirAdapter<witprove::air::RlpByteTableAir>;
extern template class witprove::stark::AirAdapter<witprove::air::NodeBytesAir>;
