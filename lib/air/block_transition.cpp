#include "air/block_transition.hpp"

#include <fmt/format.h>

#include <set>
#include <stdexcept>
#include <string>
#include <unordered_map>

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

std::vector<std::vector<Fp>> public_values(const BlockTransitionPublic& pub, size_t keccak_tables) {
  if (pub.transaction_count > kMaxTransactions)
    throw std::invalid_argument(fmt::format("{} transactions: the statement proves at most {}", pub.transaction_count,
                                            kMaxTransactions));
  if (pub.gas_used > kMaxGasUsed)
    throw std::invalid_argument(fmt::format("gas used {}: the statement proves at most {}", pub.gas_used, kMaxGasUsed));
  std::vector<std::vector<Fp>> out(keccak_tables);
  out.push_back({});  // node_bytes
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

}  // namespace

std::vector<stark::TableInstance> BlockTransitionTables::instances() const {
  std::vector<stark::TableInstance> out;
  for (size_t i = 0; i < traces.size(); ++i) out.push_back({airs[i].get(), &traces[i], public_values[i]});
  return out;
}

std::vector<const stark::Air*> BlockTransitionTables::air_pointers() const {
  std::vector<const stark::Air*> out;
  for (const auto& a : airs) out.push_back(a.get());
  return out;
}

BlockTransitionTables block_transition_verifier(const BlockTransitionPublic& pub) {
  auto keccak = keccak_verifier_tables({}, true);
  BlockTransitionTables t;
  t.public_values = public_values(pub, keccak.airs.size());
  t.airs = transition_airs(std::move(keccak.airs));
  return t;
}

BlockTransitionTables build_block_transition(const BlockTransitionWitness& witness, const BlockTransitionPublic& pub) {
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
    if (e.storage && seen.insert(std::string(s.begin(), s.end()) + "/slot").second) {
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
  TrieWalkTraces walks = generate_trie_walks(specs, messages, parsed, nodes, StorageWalks::under_accounts);
  LeafValueTraces leaves = generate_leaf_values(walks, messages, parsed, nodes);
  ChangeTraces change = generate_change_list(changes, change_message, keys, messages);
  TxIndexTraces tx = generate_tx_index(walks, messages, nodes);
  std::vector<uint32_t> digest_lookups(messages.size(), 0);
  for (size_t m = 0; m < messages.size(); ++m) {
    digest_lookups[m] = walks.digest_lookups[m] + leaves.digest_lookups[m] + change.digest_lookups[m];
    read[m] |= change.read[m];
  }
  KeccakTables keccak = build_keccak_tables(messages, {}, {read, digest_lookups});

  BlockTransitionTables t;
  t.public_values = public_values(pub, keccak.airs.size());
  t.traces = std::move(keccak.traces);
  t.airs = transition_airs(std::move(keccak.airs));
  stark::Trace byte_range = std::move(change.byte_range);
  for (size_t b = 0; b < 256; ++b) byte_range.at(b, 0) = byte_range.at(b, 0) + Fp(tx.byte_lookups[b]);
  t.traces.push_back(std::move(nodes.node_bytes));
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
