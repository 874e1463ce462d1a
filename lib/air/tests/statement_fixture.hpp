// A statement's tables over tries, for the walk and leaf tests: the Keccak tables, node_bytes, node_link,
// trie_walk and (optionally) leaf_value, with test stand-ins for the tables still to come: a source of
// walk roots and a sink for the leaves no table receives.
#pragma once

#include <algorithm>
#include <bit>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "air/change_list.hpp"
#include "air/keccak_sponge.hpp"
#include "air/leaf_value.hpp"
#include "air/node_bytes.hpp"
#include "air/node_link.hpp"
#include "air/trie_walk.hpp"
#include "air/tx_index.hpp"
#include "eth/keccak.hpp"
#include "stark/folders.hpp"
#include "stark/stark.hpp"
#include "trie_test_util.hpp"

namespace witprove::air::test {

using stark::Fp;

// Test stand-ins for the tables that will send roots and receive leaves: rows of tuples, sent with a 0/1
// flag, or received with counted multiplicities.
// Rows of tuples sent (or received) on a bus with a 0/1 flag: stand-ins for tables still to come.
template <size_t N>
struct TupleRowsAir {
  stark::Bus<N> bus;
  bool receive = false;
  std::string name() const { return receive ? "test_sink" : "test_source"; }
  size_t width() const { return N + 1; }
  size_t num_public_values() const { return 0; }
  template <class F>
  void eval(F& f) const {
    using Var = typename F::Var;
    std::array<Var, N> t;
    for (size_t c = 0; c < N; ++c) t[c] = f.local(c);
    f.assert_bool(f.local(N));
    if (receive) f.receive(bus, t, f.local(N));
    else f.send(bus, t, f.local(N));
  }
};

template <size_t N>
stark::Trace tuple_rows(const std::vector<std::array<uint32_t, N>>& rows, bool flag) {
  stark::Trace t(N + 1, stark::padded_height(rows.size()));
  for (size_t r = 0; r < rows.size(); ++r) {
    for (size_t c = 0; c < N; ++c) t.at(r, c) = Fp(rows[r][c]);
    if (flag) t.at(r, N) = Fp::one();
  }
  return t;
}

inline std::array<uint32_t, 18> walk_id(const air::WalkSpec& w) {
  std::array<uint32_t, 18> id{};
  id[0] = static_cast<uint32_t>(w.kind);
  id[1] = w.post;
  if (w.kind == air::TrieKind::storage) {
    for (size_t j = 0; j < 16; ++j) id[2 + j] = w.account_key[2 * j] | uint32_t{w.account_key[2 * j + 1]} << 8;
  }
  return id;
}

// Messages of several tries, each node once; nodes outside `keep` are hashed out; the leaves of an
// account trie get value messages (copies of their values).
struct Forest {
  std::vector<eth::Bytes> messages;
  std::vector<bool> parse;
  std::vector<std::optional<size_t>> value_message;
  std::set<eth::H256> added;  // nodes already in, each added once

  size_t add_message(eth::Bytes bytes) {
    messages.push_back(std::move(bytes));
    parse.push_back(false);
    value_message.emplace_back();
    return messages.size() - 1;
  }
  void add(const eth::Trie& trie, const std::set<eth::H256>* keep = nullptr, bool accounts = false) {
    const size_t first = messages.size();
    for (auto& n : trie_nodes(trie)) {
      if (!added.insert(eth::keccak256(n)).second) continue;
      parse.push_back(!keep || keep->count(eth::keccak256(n)));
      messages.push_back(std::move(n));
      value_message.emplace_back();
    }
    const size_t last = messages.size();
    for (size_t i = first; accounts && i < last; ++i) {
      const auto shape = air::node_shape(messages[i]);
      if (!parse[i] || shape.kind != air::NodeShape::leaf) continue;
      value_message[i] = add_message(eth::Bytes(messages[i].begin() + static_cast<ptrdiff_t>(shape.value_offset),
                                                messages[i].begin() + static_cast<ptrdiff_t>(shape.value_offset + shape.value_size)));
    }
  }
};

struct Statement {
  std::vector<eth::Bytes> messages;
  std::vector<air::ParsedMessage> parsed;
  air::KeccakTables keccak;
  air::NodeBytesTraces nodes;
  air::TrieWalkTraces walks;
  air::LeafValueTraces leaf_values;
  bool with_leaf_values = false;
  stark::Trace link;
  stark::Trace roots, leaves;
  stark::AirAdapter<air::NodeBytesAir> node_air{air::NodeBytesAir{}};
  stark::AirAdapter<air::RlpByteTableAir> byte_air{air::RlpByteTableAir{}};
  stark::AirAdapter<air::NodeLinkAir> link_air{air::NodeLinkAir{}};
  stark::AirAdapter<air::TrieWalkAir> walk_air{air::TrieWalkAir{}};
  stark::AirAdapter<air::LeafValueAir> leaf_value_air{air::LeafValueAir{}};
  stark::AirAdapter<air::ChangeListAir> change_air{air::ChangeListAir{}};
  stark::AirAdapter<air::KeyTableAir> key_air{air::KeyTableAir{}};
  stark::AirAdapter<air::ByteRangeAir> byte_range_air{air::ByteRangeAir{}};
  std::optional<air::ChangeTraces> changes;
  std::vector<Fp> change_digest;
  stark::AirAdapter<air::TxIndexAir> tx_air{air::TxIndexAir{}};
  std::optional<air::TxIndexTraces> tx;
  std::vector<Fp> tx_publics;
  stark::Trace byte_range;  // the change and tx_index tables' byte lookups
  stark::AirAdapter<TupleRowsAir<34>> root_air{TupleRowsAir<34>{air::bus::root, false}};
  stark::AirAdapter<TupleRowsAir<38>> leaf_air{TupleRowsAir<38>{air::bus::leaf, true}};

  std::vector<stark::TableInstance> instances() const {
    auto out = keccak.instances();
    for (const auto& trace : nodes.node_bytes) out.push_back({&node_air, &trace, {}});
    out.push_back({&byte_air, &nodes.rlp_byte, {}});
    out.push_back({&link_air, &link, {}});
    out.push_back({&walk_air, &walks.walk, {}});
    out.push_back({&root_air, &roots, {}});
    out.push_back({&leaf_air, &leaves, {}});
    if (with_leaf_values) out.push_back({&leaf_value_air, &leaf_values.trace, {}});
    if (changes) {
      out.push_back({&change_air, &changes->change, change_digest});
      out.push_back({&key_air, &changes->keys, {}});
    }
    if (tx) out.push_back({&tx_air, &tx->trace, tx_publics});
    if (changes || tx) out.push_back({&byte_range_air, &byte_range, {}});
    return out;
  }
  std::vector<const stark::Air*> airs() const {
    std::vector<const stark::Air*> out;
    for (const auto& in : instances()) out.push_back(in.air);
    return out;
  }
};

// Hashes the forest's messages, parses its parsed nodes and walks `specs` over them. With `leaf_values`,
// account leaves get their storage walks and every state and storage leaf its leaf_value row; other leaves
// go to the test sink.
// A change list for build: its entries (in list order), the message holding their encoding, the key
// preimage messages, and the digest published as D.
struct ChangeSetup {
  std::vector<air::ChangeEntry> entries;
  size_t message;
  std::vector<air::KeyMessage> keys;
  eth::H256 published;
};

// The public transaction count and gas used, for the tx_index table.
struct TxPublics {
  uint64_t count, gas_used;
};

inline std::unique_ptr<Statement> build(const Forest& forest, const std::vector<air::WalkSpec>& specs,
                                        bool leaf_values = false, const ChangeSetup* change_setup = nullptr,
                                        const TxPublics* tx_publics = nullptr) {
  auto s = std::make_unique<Statement>();
  s->with_leaf_values = leaf_values;
  s->messages = forest.messages;
  std::vector<uint8_t> read(s->messages.size(), 0);
  for (size_t i = 0; i < s->messages.size(); ++i) {
    if (!forest.parse[i]) continue;
    s->parsed.push_back({i, s->messages[i], forest.value_message[i]});
    read[i] = 1;
    if (forest.value_message[i]) read[*forest.value_message[i]] = 1;
  }
  s->nodes = air::generate_node_bytes_traces(s->parsed);
  const std::vector<eth::H256> wiped =
      change_setup ? air::wiped_storage_keys(change_setup->entries) : std::vector<eth::H256>{};
  s->walks = air::generate_trie_walks(specs, s->messages, s->parsed, s->nodes,
                                      leaf_values ? air::StorageWalks::under_accounts : air::StorageWalks::given, wiped);
  std::vector<uint32_t> digest_lookups = s->walks.digest_lookups;
  if (leaf_values) {
    s->leaf_values = air::generate_leaf_values(s->walks, s->messages, s->parsed, s->nodes);
    for (size_t i = 0; i < digest_lookups.size(); ++i) digest_lookups[i] += s->leaf_values.digest_lookups[i];
  }
  if (change_setup) {
    s->changes = air::generate_change_list(change_setup->entries, change_setup->message, change_setup->keys, s->messages);
    s->change_digest = air::digest_public_values(std::span(&change_setup->published, 1));
    for (size_t i = 0; i < digest_lookups.size(); ++i) {
      digest_lookups[i] += s->changes->digest_lookups[i];
      read[i] |= s->changes->read[i];
    }
  }
  s->byte_range = stark::Trace(1, 256);
  if (s->changes) s->byte_range = s->changes->byte_range;
  if (tx_publics) {
    s->tx = air::generate_tx_index(s->walks, s->messages, s->nodes);
    s->tx_publics = {Fp(tx_publics->count), Fp(tx_publics->gas_used)};
    for (size_t b = 0; b < 256; ++b) s->byte_range.at(b, 0) = s->byte_range.at(b, 0) + Fp(s->tx->byte_lookups[b]);
  }
  s->keccak = air::build_keccak_tables(s->messages, {}, {read, digest_lookups});
  s->link = air::generate_node_link_trace(s->walks.links);
  std::vector<std::array<uint32_t, 34>> roots;
  for (const auto& w : specs) {
    std::array<uint32_t, 34> t{};
    const auto id = walk_id(w);
    std::copy(id.begin(), id.end(), t.begin());
    const auto limbs = air::digest_limbs(w.root);
    std::copy(limbs.begin(), limbs.end(), t.begin() + 18);
    roots.push_back(t);
  }
  s->roots = tuple_rows(roots, true);
  std::vector<std::array<uint32_t, 38>> leaves;
  for (const auto& l : s->walks.leaves) {
    if (leaf_values && (l.walk.kind == air::TrieKind::state || l.walk.kind == air::TrieKind::storage)) continue;
    if (tx_publics && (l.walk.kind == air::TrieKind::transactions || l.walk.kind == air::TrieKind::receipts)) continue;
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
  s->leaves = tuple_rows(leaves, true);
  return s;
}

// Proves the statement's tables with few queries (the tests' soundness comes from the constraints) and
// verifies the proof against the given public values (by default the prover's).
inline stark::StarkParams small_params() {
  stark::StarkParams params;
  params.num_queries = 12;
  params.grinding_bits = 4;
  return params;
}
inline std::optional<std::string> prove_and_verify(const Statement& s,
                                                   std::optional<std::vector<std::vector<Fp>>> publics = std::nullopt) {
  const eth::Bytes statement{'t', 'e', 's', 't'};
  const auto instances = s.instances();
  auto proof = stark::prove(instances, small_params(), statement);
  if (!publics) {
    publics.emplace();
    for (const auto& in : instances) publics->push_back(in.public_values);
  }
  return stark::verify(s.airs(), *publics, proof, small_params(), statement);
}

inline std::optional<std::string> check_all(const Statement& s) {
  auto instances = s.instances();
  for (const auto& in : instances)
    if (auto f = stark::check_constraints(*in.air, *in.trace, in.public_values)) return f->to_string();
  return stark::check_lookups(instances);
}

inline bool valid(const Statement& s) {
  auto problem = check_all(s);
  UNSCOPED_INFO(problem.value_or("valid"));
  return !problem;
}

// The digests of the hashed nodes of `trie` at fewer than `depth` nibbles from the root.
inline std::set<eth::H256> nodes_above(const eth::Trie& trie, size_t depth) {
  std::set<eth::H256> out;
  for (const auto& n : trie_nodes(trie, depth)) out.insert(eth::keccak256(n));
  return out;
}
}  // namespace witprove::air::test
