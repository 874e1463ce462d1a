#include "air/trie_walk.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <map>
#include <stdexcept>
#include <tuple>
#include <unordered_map>

#include "eth/keccak.hpp"
#include "eth/nibbles.hpp"
#include "stark/folders.hpp"

namespace witprove::air {

using stark::Fp;

std::array<uint32_t, 16> packed_limbs(std::span<const uint8_t> nibbles) {
  std::array<uint32_t, 16> limbs{};
  static constexpr uint32_t weight[4] = {16, 1, 4096, 256};
  for (size_t l = 0; l < nibbles.size() && l < 64; ++l) limbs[l / 4] += nibbles[l] * weight[l % 4];
  return limbs;
}

std::array<uint32_t, 16> digest_limbs(const eth::H256& d) {
  std::array<uint32_t, 16> limbs{};
  for (size_t j = 0; j < 16; ++j) limbs[j] = d[2 * j] | uint32_t{d[2 * j + 1]} << 8;
  return limbs;
}

const std::array<uint32_t, 16>& packed_limbs_of_empty_trie() {
  static const auto limbs = digest_limbs(eth::keccak256(eth::Bytes{0x80}));
  return limbs;
}

namespace {

struct Visit {
  size_t message, node_offset, length;
  std::vector<uint8_t> prefix;
};

class Walker {
 public:
  Walker(std::span<const eth::Bytes> messages, std::span<const ParsedMessage> parsed, NodeBytesTraces& nodes)
      : messages_(messages), nodes_(nodes), digest_lookups_(messages.size(), 0) {
    for (const auto& p : parsed) parsed_by_digest_.emplace(eth::keccak256(p.bytes), p.id);
  }

  void walk(const WalkSpec& w) {
    walk_ = w;
    Row root = base_row();
    root.rr = root.vfirst = root.vlast = true;
    root.dig = digest_limbs(w.root);
    auto it = parsed_by_digest_.find(w.root);
    if (w.root == eth::keccak256(eth::Bytes{0x80})) {
      root.root_kind = RootKind::empty;
    } else if (w.hashed_root || it == parsed_by_digest_.end()) {
      if ((w.kind == TrieKind::transactions || w.kind == TrieKind::receipts) && it == parsed_by_digest_.end())
        throw std::invalid_argument(fmt::format("the {} root {} is not among the parsed nodes",
                                                w.kind == TrieKind::transactions ? "transactions" : "receipts",
                                                eth::to_hex(w.root)));
      root.root_kind = RootKind::hashed;
      items_.push_back({w.kind, w.account_key, true, 0, {}, w.root, w.post});
    }
    rows_.push_back(root);
    if (root.root_kind != RootKind::node) return;
    rows_.back().message = it->second;
    rows_.back().root_length = messages_[it->second].size();
    ++digest_lookups_[it->second];
    std::vector<Visit> pending{{it->second, 0, 0, {}}};
    while (!pending.empty()) {
      Visit v = std::move(pending.back());
      pending.pop_back();
      visit(v, pending);
    }
  }

  // Storage walks of the account leaves reached so far; the pre walks of `wiped` stay hashed at the root.
  std::vector<WalkSpec> storage_walks(std::span<const eth::H256> wiped) const {
    std::vector<WalkSpec> out;
    for (const WalkLeaf& leaf : leaves_) {
      if (leaf.walk.kind != TrieKind::state) continue;
      const NodeShape shape = node_shape(messages_[leaf.message], leaf.node_offset);
      if (shape.value_size < 70)
        throw std::invalid_argument(fmt::format("account leaf in message {} is too short", leaf.message));
      WalkSpec s;
      s.kind = TrieKind::storage;
      s.post = leaf.walk.post;
      const eth::Bytes key = eth::nibbles_to_bytes(leaf.key);
      std::copy(key.begin(), key.end(), s.account_key.begin());
      const auto& bytes = messages_[leaf.message];
      const size_t root_at = shape.value_offset + shape.value_size - 65;
      std::copy(bytes.begin() + static_cast<ptrdiff_t>(root_at), bytes.begin() + static_cast<ptrdiff_t>(root_at + 32),
                s.root.begin());
      s.hashed_root = !s.post && std::find(wiped.begin(), wiped.end(), s.account_key) != wiped.end();
      out.push_back(s);
    }
    return out;
  }

  TrieWalkTraces finish() {
    TrieWalkTraces t;
    t.walk = fill();
    t.links = std::move(links_);
    t.digest_lookups = std::move(digest_lookups_);
    t.items = std::move(items_);
    t.leaves = std::move(leaves_);
    return t;
  }

 private:
  enum class RootKind : uint8_t { node, hashed, empty };
  struct Row {
    RootKind root_kind = RootKind::node;
    bool rr = false, rb = false, rp = false, r0 = false, vfirst = false, vlast = false;
    WalkSpec walk;
    size_t message = 0, node_offset = 0;
    NodeShape::Kind kind = NodeShape::branch;
    size_t plen = 0, vlen = 0, i = 0, ell = 0, nib = 0, slot = 0;
    std::vector<uint8_t> prefix;  // before this row's nibble
    bool places = false, act = false, lend = false;
    NodeShape::ChildClass cls = NodeShape::empty;
    size_t off = 0;
    bool expanded = false;
    size_t child = 0, root_length = 0;
    std::array<uint32_t, 16> dig{};
  };

  Row base_row() const {
    Row r;
    r.walk = walk_;
    return r;
  }

  // A child slot on `row` (prefix and nibble set): its class and what it sends.
  void child_slot(Row& row, size_t message, const NodeShape::Child& c, std::vector<Visit>& pending) {
    const eth::Bytes& bytes = messages_[message];
    row.act = true;
    row.cls = c.cls;
    std::vector<uint8_t> child_prefix = row.prefix;
    child_prefix.push_back(static_cast<uint8_t>(row.nib));
    if (c.cls != NodeShape::reference) {
      row.off = c.header;
      request_child_ref(nodes_, message, c);
      if (c.cls == NodeShape::embedded) pending.push_back({message, c.header, row.ell + 1, std::move(child_prefix)});
      return;
    }
    eth::H256 ref;
    std::copy(bytes.begin() + static_cast<ptrdiff_t>(c.header) + 1, bytes.begin() + static_cast<ptrdiff_t>(c.header) + 33,
              ref.begin());
    row.dig = digest_limbs(ref);
    auto it = parsed_by_digest_.find(ref);
    row.expanded = it != parsed_by_digest_.end();
    if ((walk_.kind == TrieKind::transactions || walk_.kind == TrieKind::receipts) && !row.expanded)
      throw std::invalid_argument(fmt::format("a {} trie node {} is not among the parsed nodes",
                                              walk_.kind == TrieKind::transactions ? "transactions" : "receipts",
                                              eth::to_hex(ref)));
    row.child = row.expanded ? it->second : 0;
    const auto key = std::make_tuple(message, row.slot, row.expanded);
    auto [link, fresh] = link_index_.emplace(key, links_.size());
    if (fresh) {
      LinkRow l;
      l.parent = message;
      l.slot = row.slot;
      l.header = c.header;
      std::copy(ref.begin(), ref.end(), l.reference.begin());
      l.expanded = row.expanded;
      l.child = row.child;
      l.child_length = row.expanded ? messages_[row.child].size() : 0;
      links_.push_back(l);
      request_child_ref(nodes_, message, c);
      for (size_t k = 0; k < 32; ++k) request_node_byte(nodes_, message, c.header + 1 + k);
      if (row.expanded) ++digest_lookups_[row.child];
    }
    ++links_[link->second].mult;
    if (row.expanded) {
      pending.push_back({row.child, 0, row.ell + 1, std::move(child_prefix)});
    } else {
      items_.push_back({walk_.kind, walk_.account_key, true, row.ell + 1, std::move(child_prefix), ref, walk_.post});
    }
  }

  void visit(const Visit& v, std::vector<Visit>& pending) {
    const NodeShape shape = node_shape(messages_[v.message], v.node_offset);
    request_node_end(nodes_, v.message, shape);
    Row head = base_row();
    head.message = v.message;
    head.node_offset = v.node_offset;
    head.kind = shape.kind;
    head.plen = shape.path.size();
    head.vlen = shape.value_size;
    const size_t first = rows_.size();
    if (shape.kind == NodeShape::branch) {
      for (size_t s = 0; s < 16; ++s) {
        Row r = head;
        r.rb = r.places = true;
        r.i = r.nib = r.slot = s;
        r.ell = v.length;
        r.prefix = v.prefix;
        child_slot(r, v.message, shape.children[s], pending);
        rows_.push_back(std::move(r));
      }
    } else if (shape.path.empty()) {
      Row r = head;
      r.r0 = r.lend = true;
      r.ell = v.length;
      r.prefix = v.prefix;
      leaves_.push_back({walk_, v.message, v.node_offset, v.prefix, shape.value_size});
      rows_.push_back(std::move(r));
    } else {
      std::vector<uint8_t> prefix = v.prefix;
      for (size_t k = 0; k < shape.path.size(); ++k) {
        Row r = head;
        r.rp = r.places = true;
        r.i = k;
        r.ell = v.length + k;
        r.nib = shape.path[k];
        r.prefix = prefix;
        request_path_nibble(nodes_, v.message, shape, k);
        prefix.push_back(shape.path[k]);
        if (k + 1 == shape.path.size()) {
          if (shape.kind == NodeShape::extension) child_slot(r, v.message, shape.children[0], pending);
          else {
            r.lend = true;
            leaves_.push_back({walk_, v.message, v.node_offset, prefix, shape.value_size});
          }
        }
        rows_.push_back(std::move(r));
      }
    }
    rows_[first].vfirst = true;
    rows_.back().vlast = true;
  }

  stark::Trace fill() const {
    using namespace trie_walk;
    stark::Trace t(width, stark::padded_height(rows_.size()));
    for (size_t r = 0; r < rows_.size(); ++r) {
      const Row& in = rows_[r];
      auto row = t.row(r);
      row[real] = Fp::one();
      row[rr] = Fp(in.rr);
      row[rb] = Fp(in.rb);
      row[rp] = Fp(in.rp);
      row[r0] = Fp(in.r0);
      row[vfirst] = Fp(in.vfirst);
      row[vlast] = Fp(in.vlast);
      const auto k = static_cast<size_t>(in.walk.kind);
      row[kt] = Fp(k);
      row[kt_state + k] = Fp::one();
      row[post] = Fp(in.walk.post);
      if (in.walk.kind == TrieKind::storage) {
        const auto a = digest_limbs(in.walk.account_key);
        for (size_t j = 0; j < 16; ++j) row[akey + j] = Fp(a[j]);
      }
      row[msg] = Fp(in.message);
      row[noff] = Fp(in.node_offset);
      if (!in.rr) row[nk_branch + in.kind] = Fp::one();
      row[plen] = Fp(in.plen);
      row[vlen] = Fp(in.vlen);
      row[i] = Fp(in.i);
      row[ell] = Fp(in.ell);
      row[nib] = Fp(in.nib);
      row[slot] = Fp(in.rb ? in.slot : 0);
      const auto before = packed_limbs(in.prefix);
      auto after_nibbles = in.prefix;
      if (in.places) after_nibbles.push_back(static_cast<uint8_t>(in.nib));
      const auto after = packed_limbs(after_nibbles);
      for (size_t j = 0; j < 16; ++j) {
        row[pref + j] = Fp(before[j]);
        row[npref + j] = Fp(after[j]);
      }
      if (in.places) {
        row[sel + in.ell / 4] = Fp::one();
        row[wt + in.ell % 4] = Fp::one();
      }
      row[act] = Fp(in.act);
      if (in.act) row[cl_empty + in.cls] = Fp::one();
      row[off] = Fp(in.off);
      row[expanded] = Fp(in.expanded);
      row[child] = Fp(in.child);
      for (size_t j = 0; j < 16; ++j) row[dig + j] = Fp(in.dig[j]);
      row[root_length] = Fp(in.root_length);
      row[lend] = Fp(in.lend);
      if (in.rr) row[root_node + static_cast<size_t>(in.root_kind)] = Fp::one();
    }
    return t;
  }

  std::span<const eth::Bytes> messages_;
  NodeBytesTraces& nodes_;
  std::vector<uint32_t> digest_lookups_;
  std::unordered_map<eth::H256, size_t, eth::H256Hash> parsed_by_digest_;
  WalkSpec walk_;
  std::vector<Row> rows_;
  std::vector<LinkRow> links_;
  std::map<std::tuple<size_t, size_t, bool>, size_t> link_index_;
  std::vector<WalkItem> items_;
  std::vector<WalkLeaf> leaves_;
};

}  // namespace

TrieWalkTraces generate_trie_walks(std::span<const WalkSpec> walks, std::span<const eth::Bytes> messages,
                                   std::span<const ParsedMessage> parsed, NodeBytesTraces& nodes,
                                   StorageWalks storage, std::span<const eth::H256> wiped_storage) {
  Walker w(messages, parsed, nodes);
  for (const auto& spec : walks) w.walk(spec);
  // Every account leaf a state walk reaches has its storage walk in the same state (docs/state-transition.md):
  // its storage root is the first of the two 32-byte strings that end the account's value.
  if (storage == StorageWalks::under_accounts)
    for (const WalkSpec& spec : w.storage_walks(wiped_storage)) w.walk(spec);
  return w.finish();
}

}  // namespace witprove::air

template class witprove::stark::AirAdapter<witprove::air::TrieWalkAir>;
