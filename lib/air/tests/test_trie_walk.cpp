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
#include "trie_test_util.hpp"

using namespace witprove;
using stark::Fp;
namespace tw = air::trie_walk;

namespace {

// Test stand-ins for the tables that will send roots and receive leaves: rows of tuples, sent with a 0/1
// flag, or received with counted multiplicities.
template <size_t N>
struct TupleRowsAir {
  stark::Bus<N> bus;
  bool counted_receive = false;
  std::string name() const { return counted_receive ? "test_sink" : "test_source"; }
  size_t width() const { return N + 1; }
  size_t num_public_values() const { return 0; }
  template <class F>
  void eval(F& f) const {
    using Var = typename F::Var;
    std::array<Var, N> t;
    for (size_t c = 0; c < N; ++c) t[c] = f.local(c);
    if (counted_receive) {
      f.receive_counted(bus, t, N);
    } else {
      f.assert_bool(f.local(N));
      f.send(bus, t, f.local(N));
    }
  }
};

template <size_t N>
stark::Trace tuple_rows(const std::vector<std::array<uint32_t, N>>& rows, bool flag) {
  stark::Trace t(N + 1, std::bit_ceil(std::max<size_t>(rows.size() + 1, 2)));
  for (size_t r = 0; r < rows.size(); ++r) {
    for (size_t c = 0; c < N; ++c) t.at(r, c) = Fp(rows[r][c]);
    if (flag) t.at(r, N) = Fp::one();
  }
  return t;
}

std::array<uint32_t, 18> walk_id(const air::WalkSpec& w) {
  std::array<uint32_t, 18> id{};
  id[0] = static_cast<uint32_t>(w.kind);
  id[1] = w.post;
  if (w.kind == air::TrieKind::storage) {
    for (size_t j = 0; j < 16; ++j) id[2 + j] = w.account_key[2 * j] | uint32_t{w.account_key[2 * j + 1]} << 8;
  }
  return id;
}

struct Statement {
  std::vector<eth::Bytes> messages;
  std::vector<air::ParsedMessage> parsed;
  air::KeccakTables keccak;
  air::NodeBytesTraces nodes;
  air::TrieWalkTraces walks;
  stark::Trace link;
  stark::Trace roots, leaves;
  stark::AirAdapter<air::NodeBytesAir> node_air{air::NodeBytesAir{}};
  stark::AirAdapter<air::RlpByteTableAir> byte_air{air::RlpByteTableAir{}};
  stark::AirAdapter<air::NodeLinkAir> link_air{air::NodeLinkAir{}};
  stark::AirAdapter<air::TrieWalkAir> walk_air{air::TrieWalkAir{}};
  stark::AirAdapter<TupleRowsAir<34>> root_air{TupleRowsAir<34>{air::bus::root, false}};
  stark::AirAdapter<TupleRowsAir<38>> leaf_air{TupleRowsAir<38>{air::bus::leaf, true}};

  std::vector<stark::TableInstance> instances() const {
    auto out = keccak.instances();
    out.push_back({&node_air, &nodes.node_bytes, {}});
    out.push_back({&byte_air, &nodes.rlp_byte, {}});
    out.push_back({&link_air, &link, {}});
    out.push_back({&walk_air, &walks.walk, {}});
    out.push_back({&root_air, &roots, {}});
    out.push_back({&leaf_air, &leaves, {}});
    return out;
  }
};

// Hashes `messages` (node_bytes parses those with parse[i]) and walks `specs` over them.
std::unique_ptr<Statement> build(std::vector<eth::Bytes> messages, const std::vector<bool>& parse,
                                 const std::vector<air::WalkSpec>& specs) {
  auto s = std::make_unique<Statement>();
  s->messages = std::move(messages);
  std::vector<uint8_t> read(s->messages.size(), 0);
  for (size_t i = 0; i < s->messages.size(); ++i)
    if (parse[i]) {
      s->parsed.push_back({i, s->messages[i]});
      read[i] = 1;
    }
  s->nodes = air::generate_node_bytes_traces(s->parsed);
  s->walks = air::generate_trie_walks(specs, s->messages, s->parsed, s->nodes);
  s->keccak = air::build_keccak_tables(s->messages, {}, {read, s->walks.digest_lookups});
  s->link = air::generate_node_link_trace(s->walks.links);
  std::vector<std::array<uint32_t, 34>> roots;
  for (const auto& w : specs) {
    std::array<uint32_t, 34> t{};
    const auto id = walk_id(w);
    std::copy(id.begin(), id.end(), t.begin());
    for (size_t j = 0; j < 16; ++j) t[18 + j] = w.root[2 * j] | uint32_t{w.root[2 * j + 1]} << 8;
    roots.push_back(t);
  }
  s->roots = tuple_rows(roots, true);
  std::vector<std::array<uint32_t, 38>> leaves;
  for (const auto& l : s->walks.leaves) {
    std::array<uint32_t, 38> t{};
    const auto id = walk_id(l.walk);
    std::copy(id.begin(), id.end(), t.begin());
    t[18] = static_cast<uint32_t>(l.message);
    t[19] = static_cast<uint32_t>(l.node_offset);
    t[20] = static_cast<uint32_t>(l.key.size());
    const auto key = air::packed_limbs(l.key);
    std::copy(key.begin(), key.end(), t.begin() + 21);
    t[37] = static_cast<uint32_t>(l.value_length);
    leaves.push_back(t);
  }
  s->leaves = tuple_rows(leaves, false);
  std::vector<const stark::Air*> airs;
  std::vector<stark::Trace> traces;
  std::vector<std::vector<Fp>> publics;
  airs.push_back(&s->leaf_air);
  airs.push_back(&s->walk_air);
  traces.push_back(std::move(s->leaves));
  traces.push_back(std::move(s->walks.walk));
  publics.resize(2);
  stark::count_multiplicities(airs, traces, publics);
  s->leaves = std::move(traces[0]);
  s->walks.walk = std::move(traces[1]);
  return s;
}

std::optional<std::string> check_all(const Statement& s) {
  auto instances = s.instances();
  for (const auto& in : instances)
    if (auto f = stark::check_constraints(*in.air, *in.trace, in.public_values)) return f->to_string();
  return stark::check_lookups(instances);
}

bool valid(const Statement& s) {
  auto problem = check_all(s);
  UNSCOPED_INFO(problem.value_or("valid"));
  return !problem;
}

// Messages of several tries, each node once; `parse` drops the nodes below `depth` of the first trie so its
// walks meet hashed-out subtrees.
struct Forest {
  std::vector<eth::Bytes> messages;
  std::vector<bool> parse;
  void add(eth::Trie& trie, bool all = true, std::set<eth::H256>* keep = nullptr) {
    for (auto& n : air::test::trie_nodes(trie)) {
      const bool p = all || (keep && keep->count(eth::keccak256(n)));
      messages.push_back(std::move(n));
      parse.push_back(p);
    }
  }
};

// The digests of the nodes of `trie` at depth below `depth` (nibbles).
std::set<eth::H256> nodes_above(const eth::Trie& trie, size_t depth) {
  std::set<eth::H256> out;
  eth::Trie copy = eth::clone(trie);
  eth::for_each_node(copy, [&](const eth::Nibbles& path, const eth::TrieNode& node) {
    if (path.size() < depth && node.kind != eth::TrieNode::Kind::hashed) {
      eth::TrieNode& n = const_cast<eth::TrieNode&>(node);
      const eth::Bytes enc = eth::node_encoding(n);
      if (enc.size() >= 32 || path.empty()) out.insert(eth::keccak256(enc));
    }
  });
  return out;
}

}  // namespace

TEST_CASE("trie_walk: pre and post walks of the same tries balance, leaves and hashed-out subtrees included") {
  auto state = air::test::state_like_trie(200, 11);
  auto storage = air::test::storage_like_trie(12);
  auto txs = air::test::transactions_like_trie(140, 13);
  Forest forest;
  auto keep = nodes_above(state, 2);
  forest.add(state, false, &keep);
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
  auto s = build(forest.messages, forest.parse, specs);
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
  forest.add(pre, false, &keep_pre);
  forest.add(post, false, &keep_post);
  std::vector<air::WalkSpec> specs = {{air::TrieKind::state, false, {}, pre.root_hash()},
                                      {air::TrieKind::state, true, {}, post.root_hash()}};
  auto s = build(forest.messages, forest.parse, specs);
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
  auto s = build(forest.messages, forest.parse, specs);
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
  forest.add(txs, false, &keep);
  std::vector<air::WalkSpec> specs = {{air::TrieKind::transactions, false, {}, txs.root_hash()}};
  CHECK_THROWS_WITH(build(forest.messages, forest.parse, specs), Catch::Contains("transactions trie node"));
}

TEST_CASE("trie_walk: one wrong cell anywhere fails the constraints or the lookups") {
  auto storage = air::test::storage_like_trie(51);
  auto state = air::test::state_like_trie(12, 52);
  Forest forest;
  forest.add(storage);
  auto keep = nodes_above(state, 1);
  forest.add(state, false, &keep);
  const eth::H256 account = eth::keccak256(eth::Bytes{9});
  std::vector<air::WalkSpec> specs = {{air::TrieKind::storage, false, account, storage.root_hash()},
                                      {air::TrieKind::storage, true, account, storage.root_hash()},
                                      {air::TrieKind::state, false, {}, state.root_hash()},
                                      {air::TrieKind::state, true, {}, state.root_hash()}};
  const auto honest = build(forest.messages, forest.parse, specs);
  REQUIRE(valid(*honest));
  std::mt19937_64 rng(53);
  for (size_t trial = 0; trial < 300; ++trial) {
    auto s = build(forest.messages, forest.parse, specs);
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
  auto s = build(forest.messages, forest.parse, {{air::TrieKind::state, false, {}, trie.root_hash()}});
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
  auto s = build(forest.messages, forest.parse, specs);
  REQUIRE(valid(*s));
  stark::StarkParams params;
  params.num_queries = 12;
  params.grinding_bits = 4;
  const eth::Bytes statement{'w', 'a', 'l', 'k'};
  auto proof = stark::prove(s->instances(), params, statement);
  auto verifier = air::keccak_verifier_tables({}, true);
  auto airs = verifier.air_pointers();
  for (const stark::Air* a : std::initializer_list<const stark::Air*>{&s->node_air, &s->byte_air, &s->link_air,
                                                                      &s->walk_air, &s->root_air, &s->leaf_air})
    airs.push_back(a);
  std::vector<std::vector<Fp>> publics(airs.size());
  CHECK(stark::verify(airs, publics, proof, params, statement) == std::nullopt);
}
