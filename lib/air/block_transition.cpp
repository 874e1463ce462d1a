#include "air/block_transition.hpp"

#include <fmt/format.h>

#include <set>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "air/keccak_permutation.hpp"
#include "air/keccak_sponge.hpp"
#include "air/leaf_value.hpp"
#include "air/node_bytes.hpp"
#include "air/node_link.hpp"
#include "air/trie_walk.hpp"
#include "air/tx_index.hpp"
#include "eth/keccak.hpp"
#include "stark/folders.hpp"

namespace witprove::air {

using stark::Fp;

namespace {

using DigestIndex = std::unordered_map<eth::H256, size_t, eth::H256Hash>;

// The hashed leaves (account leaves) a walk from `root` reaches through the nodes given.
void account_leaves(const std::vector<eth::Bytes>& nodes, const DigestIndex& index, const eth::H256& root,
                    std::set<size_t>& out) {
  auto it = index.find(root);
  if (it == index.end()) return;
  std::vector<std::pair<size_t, size_t>> pending{{it->second, 0}};
  while (!pending.empty()) {
    const auto [m, offset] = pending.back();
    pending.pop_back();
    const NodeShape shape = node_shape(nodes[m], offset);
    if (shape.kind == NodeShape::leaf) {
      if (offset == 0) out.insert(m);
      continue;
    }
    for (const auto& c : shape.children) {
      if (c.cls == NodeShape::embedded) pending.emplace_back(m, c.header);
      if (c.cls != NodeShape::reference) continue;
      eth::H256 ref;
      std::copy(nodes[m].begin() + static_cast<ptrdiff_t>(c.header) + 1, nodes[m].begin() + static_cast<ptrdiff_t>(c.header) + 33,
                ref.begin());
      auto child = index.find(ref);
      if (child != index.end()) pending.emplace_back(child->second, 0);
    }
  }
}

// The Keccak tables' public values, then the others'.
std::vector<std::vector<Fp>> public_values(const BlockTransitionPublic& pub, std::vector<std::vector<Fp>> keccak) {
  if (pub.transaction_count > kMaxTransactions)
    throw std::invalid_argument(fmt::format("{} transactions: the statement proves at most {}", pub.transaction_count,
                                            kMaxTransactions));
  if (pub.gas_used > kMaxGasUsed)
    throw std::invalid_argument(fmt::format("gas used {}: the statement proves at most {}", pub.gas_used, kMaxGasUsed));
  std::vector<std::vector<Fp>> out = std::move(keccak);
  out.push_back({});  // node_bytes
  out.push_back({});  // node_bytes, the second
  out.push_back({});  // rlp_byte
  out.push_back({});  // node_link
  out.push_back({});  // trie_walk
  out.push_back({});  // leaf_value
  out.push_back(digest_public_values(std::span(&pub.changes_digest, 1)));
  out.push_back({});  // key
  out.push_back({Fp(pub.transaction_count), Fp(pub.gas_used)});
  out.push_back({});  // byte_range
  const eth::H256 roots[4] = {pub.pre_root, pub.post_root, pub.transactions_root, pub.receipts_root};
  out.push_back(digest_public_values(roots));
  return out;
}

template <class T>
void add_air(std::vector<std::unique_ptr<stark::Air>>& airs) {
  airs.push_back(std::make_unique<stark::AirAdapter<T>>(T{}));
}

std::vector<std::unique_ptr<stark::Air>> transition_airs(std::vector<std::unique_ptr<stark::Air>> keccak) {
  auto airs = std::move(keccak);
  add_air<NodeBytesAir>(airs);
  add_air<NodeBytesAir>(airs);
  add_air<RlpByteTableAir>(airs);
  add_air<NodeLinkAir>(airs);
  add_air<TrieWalkAir>(airs);
  add_air<LeafValueAir>(airs);
  add_air<ChangeListAir>(airs);
  add_air<KeyTableAir>(airs);
  add_air<TxIndexAir>(airs);
  add_air<ByteRangeAir>(airs);
  add_air<BlockRootsAir>(airs);
  return airs;
}

std::vector<uint32_t> all_tables(size_t n) {
  std::vector<uint32_t> out(n);
  for (uint32_t i = 0; i < n; ++i) out[i] = i;
  return out;
}

}  // namespace

std::vector<stark::TableInstance> BlockTransitionTables::instances(std::span<const uint32_t> tables,
                                                                   std::vector<stark::Trace>& made) const {
  made.clear();
  made.reserve(tables.size());  // no reallocation: the instances point into it
  std::vector<stark::TableInstance> out;
  for (uint32_t i : tables) {
    const stark::Trace* trace;
    if (i < permutation_tables) {
      made.push_back(split_permutation_trace(permutation_inputs, permutations_per_table, i));
      trace = &made.back();
    } else {
      trace = &traces.at(i - permutation_tables);
    }
    out.push_back({airs.at(i).get(), trace, public_values[i]});
  }
  return out;
}

std::vector<stark::TableInstance> BlockTransitionTables::instances(std::vector<stark::Trace>& made) const {
  return instances(all_tables(size()), made);
}

std::vector<const stark::Air*> BlockTransitionTables::air_pointers(std::span<const uint32_t> tables) const {
  std::vector<const stark::Air*> out;
  for (uint32_t i : tables) out.push_back(airs.at(i).get());
  return out;
}

std::vector<const stark::Air*> BlockTransitionTables::air_pointers() const { return air_pointers(all_tables(size())); }

std::vector<std::vector<Fp>> BlockTransitionTables::public_values_of(std::span<const uint32_t> tables) const {
  std::vector<std::vector<Fp>> out;
  for (uint32_t i : tables) out.push_back(public_values.at(i));
  return out;
}

size_t BlockTransitionTables::height(size_t i) const {
  if (i >= permutation_tables) return traces.at(i - permutation_tables).height;
  const size_t first = std::min(permutation_inputs.size(), i * permutations_per_table);
  return keccak_permutation_height(std::min(permutation_inputs.size() - first, permutations_per_table));
}

std::optional<std::string> check_block_transition(const BlockTransitionTables& tables) {
  std::vector<stark::Trace> made;
  const auto instances = tables.instances(made);
  for (const auto& in : instances)
    if (auto f = stark::check_constraints(*in.air, *in.trace, in.public_values)) return f->to_string();
  return stark::check_lookups(instances);
}

uint64_t segment_cells(const BlockTransitionTables& tables, const SegmentTables& segment) {
  uint64_t cells = 0;
  for (uint32_t i : segment) cells += uint64_t{tables.airs[i]->width()} * tables.height(i);
  return cells;
}

uint64_t segment_prover_bytes(const BlockTransitionTables& tables, const SegmentTables& segment,
                              const stark::StarkParams& params) {
  uint64_t bytes = 0;
  for (uint32_t i : segment) {
    bytes += stark::estimated_prover_bytes(*tables.airs[i], tables.height(i), params);
    if (i < tables.permutation_tables) bytes += segment_cells(tables, {i}) * sizeof(Fp);
  }
  return bytes;
}

std::vector<SegmentTables> plan_segments(const BlockTransitionTables& tables, const stark::StarkParams& params,
                                         uint64_t max_bytes) {
  std::vector<uint32_t> order;
  for (uint32_t i = static_cast<uint32_t>(tables.permutation_tables); i < tables.size(); ++i) order.push_back(i);
  for (uint32_t i = 0; i < tables.permutation_tables; ++i) order.push_back(i);
  std::vector<SegmentTables> out;
  uint64_t bytes = 0;
  for (uint32_t i : order) {
    const uint64_t b = segment_prover_bytes(tables, {i}, params);
    if (out.empty() || bytes + b > max_bytes) {
      out.emplace_back();
      bytes = 0;
    }
    out.back().push_back(i);
    bytes += b;
  }
  return out;
}

std::vector<uint8_t> segment_statement(stark::ByteView statement, uint32_t segment) {
  std::vector<uint8_t> out(statement.begin(), statement.end());
  for (int b = 0; b < 4; ++b) out.push_back(static_cast<uint8_t>(segment >> (8 * b)));
  return out;
}

std::optional<std::string> verify_block_transition(const BlockTransitionPublic& pub, size_t permutation_tables,
                                                   std::span<const SegmentProof> segments,
                                                   const stark::StarkParams& params, stark::ByteView statement) {
  if (permutation_tables == 0 || permutation_tables * kPermutationTagStride >= Fp::P)
    return fmt::format("{} permutation tables: out of range", permutation_tables);
  if (segments.empty()) return std::string("no segments");
  BlockTransitionTables v;
  try {
    v = block_transition_verifier(pub, permutation_tables);
  } catch (const std::invalid_argument& e) {
    return std::string(e.what());
  }
  std::vector<uint8_t> seen(v.size(), 0);
  for (const auto& s : segments) {
    if (s.tables.empty()) return std::string("a segment has no tables");
    for (uint32_t i : s.tables) {
      if (i >= v.size()) return fmt::format("table {} does not exist ({} tables)", i, v.size());
      if (seen[i]++) return fmt::format("table {} ({}) is in two segments", i, v.airs[i]->name());
    }
  }
  for (size_t i = 0; i < v.size(); ++i)
    if (!seen[i]) return fmt::format("table {} ({}) is in no segment", i, v.airs[i]->name());

  if (segments.size() == 1)  // one segment is an ordinary proof: its own challenges, its sums add to zero
    return stark::verify(v.air_pointers(segments[0].tables), v.public_values_of(segments[0].tables),
                         segments[0].proof, params, segment_statement(statement, 0));
  std::vector<stark::Digest> commitments;
  for (uint32_t k = 0; k < segments.size(); ++k) {
    auto c = stark::segment_commitment(v.air_pointers(segments[k].tables), v.public_values_of(segments[k].tables),
                                       segments[k].proof, params, segment_statement(statement, k));
    if (auto* e = std::get_if<std::string>(&c)) return fmt::format("segment {}: {}", k, *e);
    commitments.push_back(std::get<stark::Digest>(c));
  }
  const stark::SharedChallenges shared = stark::shared_challenges(commitments, statement);
  stark::Fp4 total;
  for (uint32_t k = 0; k < segments.size(); ++k) {
    stark::Fp4 sum;
    if (auto e = stark::verify(v.air_pointers(segments[k].tables), v.public_values_of(segments[k].tables),
                               segments[k].proof, params, segment_statement(statement, k), &shared, &sum))
      return fmt::format("segment {}: {}", k, *e);
    total += sum;
  }
  if (!total.is_zero()) return std::string("the segments' lookup sums do not add to zero: a bus does not balance");
  return std::nullopt;
}

BlockTransitionTables block_transition_verifier(const BlockTransitionPublic& pub, size_t permutation_tables) {
  auto keccak = keccak_verifier_tables({}, true, permutation_tables);
  BlockTransitionTables t;
  t.public_values = public_values(pub, std::move(keccak.public_values));
  t.airs = transition_airs(std::move(keccak.airs));
  t.permutation_tables = permutation_tables;
  return t;
}

BlockTransitionTables build_block_transition(const BlockTransitionWitness& witness, const BlockTransitionPublic& pub,
                                             size_t permutations_per_table) {
  if (permutations_per_table == 0) throw std::invalid_argument("permutations per table must be positive");
  // Messages: the nodes (each once), a value copy of each account leaf, the change list, the key preimages.
  std::vector<eth::Bytes> messages;
  DigestIndex index;
  for (const auto& n : witness.nodes)
    if (index.emplace(eth::keccak256(n), messages.size()).second) messages.push_back(n);
  const size_t node_count = messages.size();
  std::set<size_t> accounts;
  account_leaves(messages, index, pub.pre_root, accounts);
  account_leaves(messages, index, pub.post_root, accounts);
  std::vector<ParsedMessage> parsed;
  std::vector<size_t> value_of(node_count, SIZE_MAX);
  for (size_t m : accounts) {
    const NodeShape shape = node_shape(messages[m]);
    value_of[m] = messages.size();
    messages.emplace_back(messages[m].begin() + static_cast<ptrdiff_t>(shape.value_offset),
                          messages[m].begin() + static_cast<ptrdiff_t>(shape.value_offset + shape.value_size));
  }
  std::vector<ChangeEntry> changes = witness.changes;
  sort_change_list(changes);
  const size_t change_message = messages.size();
  messages.push_back(encode_change_list(changes));
  std::vector<KeyMessage> keys;
  std::set<std::string> seen;  // preimages already given a key message
  for (const auto& e : changes) {
    eth::Bytes a(e.address.begin(), e.address.end()), s(e.slot.begin(), e.slot.end());
    if (seen.insert(std::string(a.begin(), a.end())).second) {
      keys.push_back({messages.size(), false});
      messages.push_back(std::move(a));
    }
    if (is_slot_entry(e) && seen.insert(std::string(s.begin(), s.end()) + "/slot").second) {
      keys.push_back({messages.size(), true});
      messages.push_back(std::move(s));
    }
  }

  std::vector<uint8_t> read(messages.size(), 0);
  for (size_t m = 0; m < node_count; ++m) {
    ParsedMessage p{m, messages[m]};
    if (value_of[m] != SIZE_MAX) {
      p.value_message = value_of[m];
      read[value_of[m]] = 1;
    }
    parsed.push_back(p);
    read[m] = 1;
  }
  NodeBytesTraces nodes = generate_node_bytes_traces(parsed);
  const std::vector<WalkSpec> specs = {{TrieKind::state, false, {}, pub.pre_root},
                                       {TrieKind::state, true, {}, pub.post_root},
                                       {TrieKind::transactions, false, {}, pub.transactions_root},
                                       {TrieKind::receipts, false, {}, pub.receipts_root}};
  TrieWalkTraces walks =
      generate_trie_walks(specs, messages, parsed, nodes, StorageWalks::under_accounts, wiped_storage_keys(changes));
  LeafValueTraces leaves = generate_leaf_values(walks, messages, parsed, nodes);
  ChangeTraces change = generate_change_list(changes, change_message, keys, messages);
  TxIndexTraces tx = generate_tx_index(walks, messages, nodes);
  std::vector<uint32_t> digest_lookups(messages.size(), 0);
  for (size_t m = 0; m < messages.size(); ++m) {
    digest_lookups[m] = walks.digest_lookups[m] + leaves.digest_lookups[m] + change.digest_lookups[m];
    read[m] |= change.read[m];
  }
  KeccakTables keccak = build_keccak_tables(messages, {}, {read, digest_lookups, permutations_per_table});

  BlockTransitionTables t;
  t.public_values = public_values(pub, std::move(keccak.public_values));
  t.traces = std::move(keccak.traces);
  t.airs = transition_airs(std::move(keccak.airs));
  t.permutation_tables = keccak.permutation_tables;
  t.permutation_inputs = std::move(keccak.permutation_inputs);
  t.permutations_per_table = permutations_per_table;
  stark::Trace byte_range = std::move(change.byte_range);
  for (size_t b = 0; b < 256; ++b) byte_range.at(b, 0) = byte_range.at(b, 0) + Fp(tx.byte_lookups[b]);
  for (auto& trace : nodes.node_bytes) t.traces.push_back(std::move(trace));
  t.traces.push_back(std::move(nodes.rlp_byte));
  t.traces.push_back(generate_node_link_trace(walks.links));
  t.traces.push_back(std::move(walks.walk));
  t.traces.push_back(std::move(leaves.trace));
  t.traces.push_back(std::move(change.change));
  t.traces.push_back(std::move(change.keys));
  t.traces.push_back(std::move(tx.trace));
  t.traces.push_back(std::move(byte_range));
  t.traces.push_back(stark::Trace(1, 2));
  return t;
}

}  // namespace witprove::air

template class witprove::stark::AirAdapter<witprove::air::BlockRootsAir>;
