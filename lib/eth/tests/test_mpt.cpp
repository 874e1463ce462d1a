#include <catch2/catch.hpp>

#include <map>
#include <random>

#include "eth/keccak.hpp"
#include "eth/mpt.hpp"
#include "eth/rlp.hpp"

using namespace witprove::eth;

namespace {

Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }

// Byte order (a hand-written loop: GCC 12 warns falsely on the library's vector comparison here).
struct ByteOrder {
  bool operator()(const Bytes& a, const Bytes& b) const {
    size_t n = std::min(a.size(), b.size());
    for (size_t i = 0; i < n; ++i)
      if (a[i] != b[i]) return a[i] < b[i];
    return a.size() < b.size();
  }
};
using KeyValues = std::map<Bytes, Bytes, ByteOrder>;

// Straightforward reference: the root node's encoding built recursively from the full sorted key set.
using Entries = std::vector<std::pair<Nibbles, Bytes>>;

Bytes reference_ref(const Bytes& encoding) {
  return encoding.size() < 32 ? encoding : rlp_string(keccak256(encoding));
}

Bytes reference_node(const Entries& entries, size_t begin, size_t end, size_t depth) {
  Bytes payload;
  if (end - begin == 1) {
    const Nibbles& key = entries[begin].first;
    rlp_append_string(payload, hex_prefix_encode(std::span(key).subspan(depth), true));
    rlp_append_string(payload, entries[begin].second);
  } else {
    const Nibbles& first = entries[begin].first;
    const Nibbles& last = entries[end - 1].first;
    size_t common = depth;
    while (common < first.size() && common < last.size() && first[common] == last[common]) ++common;
    if (common > depth) {
      rlp_append_string(payload, hex_prefix_encode(std::span(first).subspan(depth, common - depth), false));
      rlp_append_raw(payload, reference_ref(reference_node(entries, begin, end, common)));
    } else {
      Bytes value;
      size_t i = begin;
      if (entries[i].first.size() == depth) value = entries[i++].second;
      for (uint8_t nibble = 0; nibble < 16; ++nibble) {
        size_t j = i;
        while (j < end && entries[j].first[depth] == nibble) ++j;
        if (j == i) payload.push_back(0x80);
        else rlp_append_raw(payload, reference_ref(reference_node(entries, i, j, depth + 1)));
        i = j;
      }
      rlp_append_string(payload, value);
    }
  }
  Bytes out;
  rlp_append_list_header(out, payload.size());
  rlp_append_raw(out, payload);
  return out;
}

H256 reference_root(const KeyValues& map) {
  if (map.empty()) return empty_trie_root;
  Entries entries;
  for (const auto& [k, v] : map) entries.emplace_back(to_nibbles(k), v);
  // std::map keeps byte order, which is nibble order.
  return keccak256(reference_node(entries, 0, entries.size(), 0));
}

// A copy of the trie in which every subtree whose encoding is at least 32 bytes and that does not lie on the
// path of `keep` is replaced by its hash: what a witness for operations on `keep` looks like.
TrieNodePtr prune(TrieNode& node, const Nibbles& path, const std::vector<Nibbles>& keep) {
  bool needed = false;
  for (const Nibbles& k : keep) {
    size_t n = std::min(k.size(), path.size()), i = 0;
    while (i < n && path[i] == k[i]) ++i;
    if (i == n) needed = true;
  }
  Bytes encoding = node_encoding(node);
  if (!needed && encoding.size() >= 32) return make_hashed(keccak256(encoding));
  TrieNodePtr copy = clone_node(node);
  Nibbles child_path = path;
  if (node.kind == TrieNode::Kind::extension) {
    child_path.insert(child_path.end(), node.path.begin(), node.path.end());
    copy->children[0] = prune(*node.children[0], child_path, keep);
  } else if (node.kind == TrieNode::Kind::branch) {
    for (uint8_t i = 0; i < 16; ++i) {
      if (!node.children[i]) continue;
      child_path.push_back(i);
      copy->children[i] = prune(*node.children[i], child_path, keep);
      child_path.pop_back();
    }
  }
  copy->ref_size = 0;
  return copy;
}

}  // namespace

TEST_CASE("Trie roots match the Ethereum trie test vectors") {
  Trie dogs;
  dogs.put(text("doe"), text("reindeer"));
  dogs.put(text("dog"), text("puppy"));
  dogs.put(text("dogglesworth"), text("cat"));
  CHECK(to_hex(dogs.root_hash()) == "0x8aad789dff2f538bca5d8ea56e8abe10f4c7ba3a5dea95fea4cd6e7c3a1168d3");

  Trie empty_values;
  const char* ops[][2] = {{"do", "verb"},     {"ether", "wookiedoo"}, {"horse", "stallion"}, {"shaman", "horse"},
                          {"doge", "coin"},   {"ether", ""},          {"dog", "puppy"},      {"shaman", ""}};
  for (auto& [k, v] : ops) empty_values.put(text(k), text(v));
  CHECK(to_hex(empty_values.root_hash()) == "0x5991bb8c6514148a29db676a14ac506cd2cd5775ace63c30a4fe457715e9ac84");

  Trie foo;
  foo.put(text("foo"), text("bar"));
  foo.put(text("food"), text("bass"));
  CHECK(to_hex(foo.root_hash()) == "0x17beaa1648bafa633cda809c90c04af50fc8aed3cb40d16efbddee6fdf63c4c3");

  Trie small;
  small.put(text("be"), text("e"));
  small.put(text("dog"), text("puppy"));
  small.put(text("bed"), text("d"));
  CHECK(to_hex(small.root_hash()) == "0x3f67c7a47520f79faa29255d2d3c084a7a6df0453116ed7232ff10277a8be68b");
  CHECK(*small.get(text("bed")) == text("d"));
  CHECK(small.get(text("bee")) == nullptr);

  Trie none;
  CHECK(none.root_hash() == empty_trie_root);
}

TEST_CASE("Randomized puts and deletes match the recursive reference root") {
  std::mt19937_64 rng(12345);
  for (int round = 0; round < 40; ++round) {
    // Short keys over a small alphabet force shared prefixes, keys that are prefixes of others, and collapses.
    size_t max_len = round % 2 ? 4 : 32;
    int alphabet = round % 3 == 0 ? 2 : 256;
    KeyValues reference;
    Trie trie;
    for (int op = 0; op < 300; ++op) {
      Bytes key(1 + rng() % max_len);
      for (auto& b : key) b = static_cast<uint8_t>(alphabet == 2 ? (rng() % 2 ? 0x10 : 0x11) : rng() % 256);
      if (rng() % 3 == 0 && !reference.empty()) {
        auto it = reference.begin();
        std::advance(it, static_cast<long>(rng() % reference.size()));
        key = it->first;
        reference.erase(it);
        CHECK(trie.erase(key));
      } else {
        Bytes value(1 + rng() % 40, static_cast<uint8_t>(rng()));
        reference[key] = value;
        trie.put(key, value);
      }
      if (op % 25 == 0) REQUIRE(trie.root_hash() == reference_root(reference));
    }
    REQUIRE(trie.root_hash() == reference_root(reference));
    for (const auto& [k, v] : reference) REQUIRE(*trie.get(k) == v);
    KeyValues visited;
    for_each_leaf(trie, [&](const Nibbles& key, const Bytes& value) { visited[nibbles_to_bytes(key)] = value; });
    CHECK(visited == reference);
    // Delete everything: the trie must come back to empty.
    for (const auto& [k, v] : reference) trie.erase(k);
    CHECK(trie.empty());
    CHECK(trie.root_hash() == empty_trie_root);
  }
}

TEST_CASE("A pruned trie has the same root, serves the kept keys, and names what it lacks") {
  std::mt19937_64 rng(7);
  KeyValues reference;
  Trie full;
  for (int i = 0; i < 200; ++i) {
    Bytes key(32), value(1 + rng() % 50, 0x42);
    for (auto& b : key) b = static_cast<uint8_t>(rng());
    reference[key] = value;
    full.put(key, value);
  }
  H256 root = full.root_hash();
  Bytes kept = reference.begin()->first, other = std::prev(reference.end())->first;
  Trie full_copy = clone(full);
  Trie pruned(prune(const_cast<TrieNode&>(*full_copy.root()), {}, {to_nibbles(kept)}));
  CHECK(pruned.root_hash() == root);
  CHECK(*pruned.get(kept) == reference[kept]);

  // Updating a kept key matches the same update on the full trie.
  pruned.put(kept, Bytes{1, 2, 3});
  full.put(kept, Bytes{1, 2, 3});
  CHECK(pruned.root_hash() == full.root_hash());

  // Reading or writing under an unexpanded subtree is an error that names the key and the path.
  CHECK_THROWS_AS(pruned.get(other), MissingTrieNode);
  try {
    pruned.put(other, Bytes{9});
    FAIL("expected MissingTrieNode");
  } catch (const MissingTrieNode& e) {
    CHECK(e.key == other);
    CHECK_FALSE(e.path.empty());
    CHECK(std::string(e.what()).find("witness lacks the trie node needed for key " + to_hex(other)) == 0);
  }

  // The preimage log holds the root node: the pre-state root is among the logged digests.
  Trie logged = clone(full);
  Trie relogged(prune(const_cast<TrieNode&>(*logged.root()), {}, {to_nibbles(kept)}));
  PreimageLog log;
  relogged.root_hash(&log);
  CHECK(log.digests.count(relogged.root_hash()) == 1);
}

TEST_CASE("A delete that leaves a branch with one hashed child is an error naming that child's path") {
  // Two leaves under one branch, with long values so that each is hashed rather than embedded. The witness
  // for deleting `a` that lacks `b`'s node cannot say whether `b` is a leaf (merge) or a branch (extension).
  Trie full;
  Bytes a = {0x10}, b = {0x20};
  full.put(a, Bytes(40, 1));
  full.put(b, Bytes(40, 2));
  Trie copy = clone(full);
  Trie pruned(prune(const_cast<TrieNode&>(*copy.root()), {}, {to_nibbles(a)}));
  CHECK_THROWS_WITH(pruned.erase(a), Catch::Contains("at path 0x2"));
}

// The whole kind of fault: deletes (and puts) on tries whose untouched subtrees are hashed out, compared with
// the same operations on the full trie. A pruned trie either reaches the reference root or reports the node it
// lacks; it never gives another root.
TEST_CASE("Deletes on partly hashed-out tries give the reference root or a missing node, never another root") {
  std::mt19937_64 rng(2024);
  size_t matched = 0, missing = 0;
  for (int round = 0; round < 300; ++round) {
    KeyValues reference;
    Trie full;
    size_t count = 2 + rng() % 40;
    bool short_keys = round % 2 == 0;  // short keys: extensions, and branches deep in the trie
    for (size_t i = 0; i < count; ++i) {
      Bytes key(short_keys ? 1 + rng() % 3 : 32);
      for (auto& b : key) b = static_cast<uint8_t>(short_keys ? rng() % 4 * 0x11 : rng());
      Bytes value(1 + rng() % 40, static_cast<uint8_t>(rng()));
      reference[key] = value;
      full.put(key, value);
    }
    // Touch 1..3 existing keys (mostly deletes), keeping only their paths expanded in the witness.
    std::vector<Bytes> touched;
    for (size_t n = 1 + rng() % 3; n > 0; --n) {
      auto it = reference.begin();
      std::advance(it, static_cast<long>(rng() % reference.size()));
      touched.push_back(it->first);
    }
    std::vector<Nibbles> keep;
    for (const Bytes& k : touched) keep.push_back(to_nibbles(k));
    Trie copy = clone(full);
    Trie pruned(prune(const_cast<TrieNode&>(*copy.root()), {}, keep));
    REQUIRE(pruned.root_hash() == full.root_hash());
    try {
      for (const Bytes& k : touched) {
        if (rng() % 4 == 0) {
          pruned.put(k, Bytes{7});
          reference[k] = Bytes{7};
        } else {
          pruned.erase(k);
          reference.erase(k);
        }
      }
      REQUIRE(pruned.root_hash() == reference_root(reference));
      ++matched;
    } catch (const MissingTrieNode& e) {
      CHECK_FALSE(e.path.empty());
      ++missing;
    }
  }
  // Both outcomes occur, so the property is exercised on each side.
  CHECK(matched > 20);
  CHECK(missing > 20);
}

TEST_CASE("Transaction-style keys: rlp(index) keys that are prefixes of each other") {
  KeyValues reference;
  Trie trie;
  for (uint64_t i = 0; i < 300; ++i) {
    Bytes key = rlp_uint(i), value(1 + i % 70, static_cast<uint8_t>(i));
    reference[key] = value;
    trie.put(key, value);
  }
  CHECK(trie.root_hash() == reference_root(reference));
}
