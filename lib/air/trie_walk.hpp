// Trie walks: the `trie_walk` table (docs/state-transition.md, "walk").
//
// A walk visits the nodes of one trie (a walk id: trie kind, pre/post, account key) from its root. Rows come
// in visits, one visit per node per walk, its rows consecutive:
//   root row (rr)    one per walk, receiving (walk, root digest) on `root`, of one of three kinds:
//                    a node: receives the digest tuple of a message with that digest and sends its position
//                    (offset 0, length 0, empty prefix) on `edge`; hashed out (state and storage tries): the
//                    whole trie is one item (hashed-out node, length 0, root); empty: the root is
//                    keccak(0x80) and the trie has no items;
//   branch rows (rb) 16 per branch, slot i = 0..15, each placing nibble i after the node's prefix;
//   path rows (rp)   one per path nibble of a leaf or extension (received from node_bytes' path_nibble),
//                    placing it after the prefix so far;
//   bare row (r0)    a leaf with an empty path: one row, placing nothing.
// The first row of a node's visit receives its position on `edge` and its node_end (kind, path length,
// value length); the visit's shape follows from them: 16 branch rows, or as many path rows as the path has
// nibbles. Every non-root position is sent once, by its parent's slot row (or an extension's last path
// row): an embedded child (from child_ref), or a reference certified by node_link (slot_ref): expanded, the
// child message's position; hashed out, an item (hashed-out node, prefix, digest) on `item`, sent by a
// pre-state walk and received by a post-state walk. A leaf's last row sends (walk, node, key length, key) on
// `leaf`; in state and storage walks a leaf's key is 64 nibbles. Transactions and receipts walks have no
// hashed-out references. Edges are sent and received with multiplicity one, and each walk has one root row,
// so a walk's visits are exactly the nodes reachable from its root, each at one position.
//
// Prefixes are 16 limbs packed like digest limbs: nibble at position l goes to limb l / 4 with weight 16,
// 1, 4096 or 256 for l mod 4 = 0, 1, 2, 3 (byte 2j in the low half of limb j, a byte's first nibble in its
// high half), selected by one-hot columns, so a 64-nibble key compares limb by limb with a Keccak digest.
#pragma once

#include <array>
#include <span>
#include <string>
#include <vector>

#include "air/buses.hpp"
#include "air/node_bytes.hpp"
#include "air/node_link.hpp"
#include "eth/bytes.hpp"
#include "stark/air.hpp"

namespace witprove::air {

namespace trie_walk {
inline constexpr size_t real = 0, rr = 1, rb = 2, rp = 3, r0 = 4, vfirst = 5, vlast = 6;
inline constexpr size_t kt = 7, kt_state = 8, kt_storage = 9, kt_tx = 10, kt_rc = 11, post = 12;
inline constexpr size_t akey = 13;  // 16 account-key limbs
inline constexpr size_t msg = 29, noff = 30, nk_branch = 31, nk_ext = 32, nk_leaf = 33, plen = 34, vlen = 35;
inline constexpr size_t i = 36;     // slot (branch rows) or nibble index (path rows)
inline constexpr size_t ell = 37;   // prefix length before this row's nibble
inline constexpr size_t nib = 38;   // the nibble this row places
inline constexpr size_t slot = 39;  // the child slot this row acts on (branch: i; an extension's child: 0)
inline constexpr size_t pref = 40;  // 16 prefix limbs before this row's nibble
inline constexpr size_t npref = 56;  // 16 prefix limbs after it
inline constexpr size_t sel = 72;    // 16: one-hot limb of the nibble position
inline constexpr size_t wt = 88;     // 4: one-hot position in the limb (ell mod 4)
inline constexpr size_t act = 92;    // a child slot row: branch rows and an extension's last path row
inline constexpr size_t cl_empty = 93, cl_ref = 94, cl_emb = 95;
inline constexpr size_t off = 96;    // child_ref header offset (empty and embedded slots)
inline constexpr size_t expanded = 97, child = 98;
inline constexpr size_t dig = 99;    // 16 limbs: the root digest (root rows) or the slot's reference
inline constexpr size_t root_length = 115;
inline constexpr size_t lend = 116;  // a leaf's last row
inline constexpr size_t root_node = 117, root_hashed = 118, root_empty = 119;  // root row kinds
inline constexpr size_t width = 120;
}  // namespace trie_walk

struct TrieWalkAir {
  std::string name() const { return "trie_walk"; }
  size_t width() const { return trie_walk::width; }
  size_t num_public_values() const { return 0; }
  template <class Folder>
  void eval(Folder& f) const;
};

enum class TrieKind : uint8_t { state = 0, storage = 1, transactions = 2, receipts = 3 };

// One walk to make: its id and its root's digest.
struct WalkSpec {
  TrieKind kind = TrieKind::state;
  bool post = false;
  eth::H256 account_key{};  // storage tries: keccak(address)
  eth::H256 root{};
  bool hashed_root = false;  // walk nothing: the root is one hashed-out item even when its node is parsed
};

// What a set of walks emits, for the tables that receive it and for tests.
struct WalkItem {
  TrieKind kind;
  eth::H256 account_key;
  bool hashed;  // false: a leaf
  size_t length;
  std::vector<uint8_t> prefix;  // nibbles
  eth::H256 value;               // hashed: the digest
  bool post;
};
struct WalkLeaf {
  WalkSpec walk;
  size_t message, node_offset;
  std::vector<uint8_t> key;  // nibbles
  size_t value_length;
};

struct TrieWalkTraces {
  stark::Trace walk;
  std::vector<LinkRow> links;
  std::vector<uint32_t> digest_lookups;  // per message id: digest tuples the walks and links receive
  std::vector<WalkItem> items;
  std::vector<WalkLeaf> leaves;
};

// Walks every spec over `messages` (the sponge's message list, by id): a reference or root is expanded
// when some parsed message (`parsed`: node_bytes' input) hashes to it, else hashed out; the root
// keccak(0x80) is an empty trie. Adds the node facts the walks look up to `nodes` (their multiplicity
// columns). Throws std::invalid_argument naming the walk when a transactions or receipts walk meets a
// hashed-out reference or root.
// With StorageWalks::under_accounts, every account leaf the state walks reach also gets its storage walk
// in the same state (its storage root: the first of the two 32-byte strings ending the account value), as
// leaf_value requires, the pre storage walks of the accounts in `wiped_storage` (account keys) left as one
// hashed-out root item; with `given`, only the walks given are made.
enum class StorageWalks : uint8_t { given, under_accounts };
TrieWalkTraces generate_trie_walks(std::span<const WalkSpec> walks, std::span<const eth::Bytes> messages,
                                   std::span<const ParsedMessage> parsed, NodeBytesTraces& nodes,
                                   StorageWalks storage = StorageWalks::given,
                                   std::span<const eth::H256> wiped_storage = {});

// The 16 limbs of a packed nibble path (nibble 2i the high half of byte i; zero past the end), and of a
// digest (bytes 2j, 2j + 1 in limb j).
std::array<uint32_t, 16> packed_limbs(std::span<const uint8_t> nibbles);
std::array<uint32_t, 16> digest_limbs(const eth::H256& digest);
// The limbs of keccak(0x80), the root of an empty trie.
const std::array<uint32_t, 16>& packed_limbs_of_empty_trie();

// ---------------------------------------------------------------------------------------------------------

template <class Folder>
void TrieWalkAir::eval(Folder& f) const {
  using namespace trie_walk;
  using stark::Fp;
  const Fp one = Fp::one();
  auto L = [&](size_t c) { return f.local(c); };
  auto N = [&](size_t c) { return f.next(c); };
  using Expr = decltype(L(0) + L(0));
  const Expr first = f.is_first_row();
  const Expr transition = f.is_transition();
  for (size_t c : {real, rr, rb, rp, r0, vfirst, vlast, kt_state, kt_storage, kt_tx, kt_rc, post, nk_branch, nk_ext,
                   nk_leaf, act, cl_empty, cl_ref, cl_emb, expanded, lend, root_node, root_hashed, root_empty})
    f.assert_bool(L(c));
  for (size_t j = 0; j < 16; ++j) f.assert_bool(L(sel + j));
  for (size_t k = 0; k < 4; ++k) f.assert_bool(L(wt + k));

  // Row kinds and visits: a visit starts on row 0 and after each last row; a continuing row's next is real.
  const Expr padding = one - L(real);
  f.assert_zero(L(rr) + L(rb) + L(rp) + L(r0) - L(real));
  f.assert_zero(padding * L(vfirst));
  f.assert_zero(padding * L(vlast));
  f.assert_zero(first * (L(vfirst) - L(real)));
  f.assert_zero(transition * N(real) * (N(vfirst) - L(vlast)));
  const Expr continues = L(real) - L(vlast);
  f.assert_zero(continues * (one - N(real)));
  f.assert_zero(f.is_last_row() * L(real));
  f.assert_zero(transition * N(real) * padding);  // real rows first: no visit can start after padding
  for (size_t c : {rr, r0}) {
    f.assert_zero(L(c) * (one - L(vfirst)));
    f.assert_zero(L(c) * (one - L(vlast)));
  }

  // The walk id and the node are constant over a visit; the trie kind is one-hot; only storage walks have
  // an account key.
  f.assert_zero(L(kt) - L(kt_storage) - L(kt_tx) * Fp(2) - L(kt_rc) * Fp(3));
  f.assert_zero(L(kt_state) + L(kt_storage) + L(kt_tx) + L(kt_rc) - L(real));
  for (size_t j = 0; j < 16; ++j) f.assert_zero((one - L(kt_storage)) * L(akey + j));
  f.assert_zero(L(nk_branch) + L(nk_ext) + L(nk_leaf) - L(real) + L(rr));
  for (size_t c : {kt, post, msg, noff, nk_branch, nk_ext, nk_leaf, plen, vlen, rb, rp})
    f.assert_zero(continues * (N(c) - L(c)));
  for (size_t j = 0; j < 16; ++j) f.assert_zero(continues * (N(akey + j) - L(akey + j)));

  // Shape: branch rows are slots 0..15 of a branch; path rows are nibbles 0..P-1 of a leaf or extension; a
  // bare row is a leaf with an empty path. The prefix length grows by one per path row.
  f.assert_zero(L(vfirst) * L(i));
  f.assert_zero(continues * (N(i) - L(i) - one));
  f.assert_zero(L(rb) * L(vlast) * (L(i) - Fp(15)));
  f.assert_zero(L(rp) * L(vlast) * (L(i) - L(plen) + one));
  f.assert_zero(L(rb) * (one - L(nk_branch)));
  f.assert_zero(L(rp) * L(nk_branch));
  f.assert_zero(L(r0) * (one - L(nk_leaf)));
  f.assert_zero(L(r0) * L(plen));
  f.assert_zero(continues * (N(ell) - L(ell) - L(rp)));
  for (size_t j = 0; j < 16; ++j)
    f.assert_zero(continues * (N(pref + j) - L(pref + j) - L(rp) * (L(npref + j) - L(pref + j))));

  // Placing the row's nibble at position ell: the slot on branch rows, the path nibble on path rows.
  const Expr places = L(rb) + L(rp);
  f.assert_zero(L(rb) * (L(nib) - L(i)));
  f.assert_zero((one - places) * L(nib));
  Expr sel_sum, limb_index, wt_sum, in_limb;
  for (size_t j = 0; j < 16; ++j) {
    sel_sum = sel_sum + L(sel + j);
    limb_index = limb_index + L(sel + j) * Fp(4 * j);
  }
  for (size_t k = 0; k < 4; ++k) {
    wt_sum = wt_sum + L(wt + k);
    in_limb = in_limb + L(wt + k) * Fp(k);
  }
  f.assert_zero(sel_sum - places);
  f.assert_zero(wt_sum - places);
  f.assert_zero(places * (L(ell) - limb_index - in_limb));
  const Expr weight = L(wt) * Fp(16) + L(wt + 1) + L(wt + 2) * Fp(4096) + L(wt + 3) * Fp(256);
  for (size_t j = 0; j < 16; ++j) f.assert_zero(L(npref + j) - L(pref + j) - L(sel + j) * L(nib) * weight);

  // Root rows: offset 0, empty prefix; the node's kind columns are zero.
  f.assert_zero(L(rr) * L(noff));
  f.assert_zero(L(rr) * L(ell));
  for (size_t j = 0; j < 16; ++j) f.assert_zero(L(rr) * L(pref + j));
  f.assert_zero(L(rr) * L(plen));
  f.assert_zero(L(rr) * L(vlen));
  f.assert_zero(L(root_node) + L(root_hashed) + L(root_empty) - L(rr));
  f.assert_zero((one - L(root_node)) * L(root_length));
  f.assert_zero((L(rr) - L(root_node)) * L(msg));
  f.assert_zero((L(kt_tx) + L(kt_rc)) * L(root_hashed));
  const auto empty = packed_limbs_of_empty_trie();
  for (size_t j = 0; j < 16; ++j) f.assert_zero(L(root_empty) * (L(dig + j) - Fp(empty[j])));

  // Child slots: a branch row, or an extension's last path row (a reference, slot 0).
  f.assert_zero(L(act) - L(rb) - L(rp) * L(vlast) * L(nk_ext));
  f.assert_zero(L(cl_empty) + L(cl_ref) + L(cl_emb) - L(act));
  f.assert_zero((L(act) - L(rb)) * (one - L(cl_ref)));
  f.assert_zero(L(slot) - L(rb) * L(i));
  f.assert_zero((one - L(cl_empty) - L(cl_emb)) * L(off));
  f.assert_zero((one - L(cl_ref)) * L(expanded));
  f.assert_zero((one - L(cl_ref)) * L(child));
  for (size_t j = 0; j < 16; ++j) f.assert_zero((one - L(cl_ref) - L(rr)) * L(dig + j));
  f.assert_zero((L(kt_tx) + L(kt_rc)) * L(cl_ref) * (one - L(expanded)));

  // Leaves: a leaf's last row; in state and storage walks the key is 64 nibbles.
  f.assert_zero(L(lend) - L(vlast) * L(nk_leaf));
  f.assert_zero(L(lend) * (L(kt_state) + L(kt_storage)) * (L(ell) + L(rp) - Fp(64)));
  for (size_t c : {msg, noff, ell, i, plen, vlen, kt, post}) f.assert_zero(padding * L(c));
  for (size_t j = 0; j < 16; ++j) f.assert_zero(padding * L(pref + j));

  // Lookups.
  auto walk_tuple = [&](auto& t) {
    t[0] = L(kt);
    t[1] = L(post);
    for (size_t j = 0; j < 16; ++j) t[2 + j] = L(akey + j);
  };
  auto position = [&](Expr message, Expr node_offset, Expr length, size_t prefix_column) {
    std::array<Expr, 37> t;
    walk_tuple(t);
    t[18] = message;
    t[19] = node_offset;
    t[20] = length;
    for (size_t j = 0; j < 16; ++j) t[21 + j] = L(prefix_column + j);
    return t;
  };
  // A visit's position: sent by the root row, received by every other visit's first row.
  f.send(bus::edge, position(L(msg), L(noff), L(ell), pref), L(root_node) + L(rr) - L(vfirst));
  f.receive(bus::node_end, std::array<Expr, 5>{L(msg), L(noff), L(nk_ext) + L(nk_leaf) * Fp(2), L(plen), L(vlen)},
            L(vfirst) - L(rr));
  f.receive(bus::path_nibble, std::array<Expr, 4>{L(msg), L(noff), L(i), L(nib)}, L(rp));
  {
    std::array<Expr, 34> t;
    walk_tuple(t);
    std::array<Expr, 18> d;
    d[0] = L(msg);
    d[1] = L(root_length);
    for (size_t j = 0; j < 16; ++j) t[18 + j] = d[2 + j] = L(dig + j);
    f.receive(bus::root, t, L(rr));
    f.receive(bus::digest, d, L(root_node));
  }
  f.receive(bus::child_ref, std::array<Expr, 4>{L(msg), L(slot), L(cl_emb) * Fp(2), L(off)}, L(cl_empty) + L(cl_emb));
  {
    std::array<Expr, 20> t;
    t[0] = L(msg);
    t[1] = L(slot);
    for (size_t j = 0; j < 16; ++j) t[2 + j] = L(dig + j);
    t[18] = L(expanded);
    t[19] = L(child);
    f.receive(bus::slot_ref, t, L(cl_ref));
  }
  f.send(bus::edge, position(L(child), Expr(), L(ell) + one, npref), L(cl_ref) * L(expanded));
  f.send(bus::edge, position(L(msg), L(off), L(ell) + one, npref), L(cl_emb));
  {
    std::array<Expr, 51> t;
    t[0] = L(kt);
    for (size_t j = 0; j < 16; ++j) t[1 + j] = L(akey + j);
    t[17] = one;
    t[18] = L(ell) + L(act);  // a hashed-out slot's child is one deeper; a hashed-out root is at length 0
    for (size_t j = 0; j < 16; ++j) {
      t[19 + j] = L(npref + j);
      t[35 + j] = L(dig + j);
    }
    f.send(bus::item, t, (one - L(post) * Fp(2)) * (L(cl_ref) * (one - L(expanded)) + L(root_hashed)));
  }
  {
    std::array<Expr, 38> t;
    const auto p = position(L(msg), L(noff), L(ell) + L(rp), npref);
    std::copy(p.begin(), p.end(), t.begin());
    t[37] = L(vlen);
    f.send(bus::leaf, t, L(lend));
  }
}

}  // namespace witprove::air

// Each table's constraints are compiled once, in trie_walk.cpp, not in every file that includes this one.
extern template class witprove::stark::AirAdapter<witprove::air::TrieWalkAir>;
