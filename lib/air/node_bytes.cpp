#include "air/node_bytes.hpp"

#include <fmt/format.h>

#include <bit>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "eth/nibbles.hpp"
#include "eth/rlp.hpp"
#include "stark/folders.hpp"

namespace witprove::air {

using stark::Fp;

rlp_byte::Facts rlp_byte::facts(uint8_t b) {
  uint32_t cls, len;
  if (b < 0x80) cls = single, len = 0;
  else if (b <= 0xb7) cls = short_string, len = b - 0x80u;
  else if (b <= 0xba) cls = long_string, len = b - 0xb7u;
  else if (b <= 0xbf) cls = bad_long, len = b - 0xb7u;
  else if (b <= 0xf7) cls = short_list, len = b - 0xc0u;
  else if (b <= 0xfa) cls = long_list, len = b - 0xf7u;
  else cls = bad_long, len = b - 0xf7u;
  // An embedded node is shorter than 32 bytes: a list of at most 30 payload bytes (an empty one is no node).
  const uint32_t child = b == 0x80 ? 1 : b == 0xa0 ? 2 : (b >= 0xc1 && b <= 0xde) ? 3 : 0;
  return {{b, cls, len, uint32_t{b} >> 4, uint32_t{b} & 15u, child, b == 0x81, b != 0, b >= 56}};
}

stark::Trace RlpByteTableAir::fixed_trace() const {
  stark::Trace t(rlp_byte::fixed_width, 256);
  for (size_t b = 0; b < 256; ++b) {
    const auto f = rlp_byte::facts(static_cast<uint8_t>(b));
    for (size_t c = 0; c < rlp_byte::fixed_width; ++c) t.at(b, c) = Fp(f.columns[c]);
  }
  return t;
}

namespace {

enum Role : uint8_t { kStart, kLL, kIH, kIL, kIC, kEH, kEC };

Fp signed_fp(int64_t x) { return x >= 0 ? Fp(static_cast<uint64_t>(x)) : Fp() - Fp(static_cast<uint64_t>(-x)); }

// The RLP layout of one message: each byte's role, item index and embedded-node index.
struct Layout {
  std::vector<Role> role;
  std::vector<uint32_t> item, eitem;
  size_t items = 0;
  enum Kind : uint8_t { branch, extension, leaf } kind = branch;
};

[[noreturn]] void refuse(size_t id, std::string_view what) {
  throw std::invalid_argument(fmt::format("message {}: {}", id, what));
}

Layout lay_out(const ParsedMessage& m) {
  const eth::ByteView b = m.bytes;
  const size_t n = b.size();
  Layout l;
  l.role.assign(n, kStart);
  l.item.assign(n, 0);
  l.eitem.assign(n, 0);
  if (n == 0) refuse(m.id, "empty, not a trie node");
  auto length_at = [&](size_t pos, size_t count) {  // big-endian length bytes
    if (pos + count > n) refuse(m.id, "a length runs past the end");
    size_t v = 0;
    for (size_t i = 0; i < count; ++i) v = v << 8 | b[pos + i];
    return v;
  };
  const auto outer = rlp_byte::facts(b[0]).columns;
  size_t pos = 1, payload;
  if (outer[rlp_byte::rlp_class] == rlp_byte::short_list) {
    payload = outer[rlp_byte::length];
  } else if (outer[rlp_byte::rlp_class] == rlp_byte::long_list ||
             (outer[rlp_byte::rlp_class] == rlp_byte::bad_long && b[0] >= 0xc0)) {
    const size_t lol = outer[rlp_byte::length];
    payload = length_at(1, lol);
    for (size_t i = 0; i < lol; ++i) l.role[pos++] = kLL;
  } else {
    refuse(m.id, "not an RLP list");
  }
  if (pos + payload != n) refuse(m.id, fmt::format("list of {} bytes in a message of {}", pos + payload, n));

  // One string at `pos` with header role `h` and content role `c`; returns the position after it.
  auto string_item = [&](size_t at, Role h, Role c, bool allow_long) {
    const auto f = rlp_byte::facts(b[at]).columns;
    l.role[at] = h;
    size_t p = at + 1, len = 0;
    switch (f[rlp_byte::rlp_class]) {
      case rlp_byte::single: return p;
      case rlp_byte::short_string: len = f[rlp_byte::length]; break;
      case rlp_byte::long_string:
      case rlp_byte::bad_long:
        if (!allow_long || b[at] >= 0xc0) refuse(m.id, fmt::format("unexpected header 0x{:02x} at offset {}", b[at], at));
        len = length_at(p, f[rlp_byte::length]);
        for (size_t i = 0; i < f[rlp_byte::length]; ++i) l.role[p++] = kIL;
        break;
      default: refuse(m.id, fmt::format("unexpected list at offset {}", at));
    }
    if (p + len > n) refuse(m.id, fmt::format("item at offset {} runs past the end", at));
    for (size_t i = 0; i < len; ++i) l.role[p++] = c;
    return p;
  };

  std::vector<size_t> item_start;
  while (pos < n) {
    const size_t at = pos;
    item_start.push_back(at);
    const uint32_t index = static_cast<uint32_t>(item_start.size() - 1);
    const auto f = rlp_byte::facts(b[at]).columns;
    if (f[rlp_byte::rlp_class] == rlp_byte::short_list) {  // an embedded node: strings at depth 2
      l.role[at] = kIH;
      const size_t end = at + 1 + f[rlp_byte::length];
      if (end > n) refuse(m.id, fmt::format("embedded node at offset {} runs past the end", at));
      pos = at + 1;
      uint32_t e = 0;
      while (pos < end) {
        const size_t s = pos;
        pos = string_item(pos, kEH, kEC, false);
        for (size_t i = s; i < pos; ++i) l.eitem[i] = e;
        ++e;
      }
      if (pos != end) refuse(m.id, fmt::format("embedded node at offset {} overruns its length", at));
    } else if (f[rlp_byte::rlp_class] == rlp_byte::long_list) {
      refuse(m.id, fmt::format("long list at offset {} inside a node", at));
    } else {
      pos = string_item(at, kIH, kIC, true);
    }
    for (size_t i = at; i < pos; ++i) l.item[i] = index;
  }
  l.items = item_start.size();
  if (l.items == 17) {
    l.kind = Layout::branch;
  } else if (l.items == 2) {
    const size_t at = item_start[0];
    const auto f = rlp_byte::facts(b[at]).columns;
    uint8_t flag_byte;
    if (f[rlp_byte::rlp_class] == rlp_byte::single) flag_byte = b[at];
    else if (f[rlp_byte::rlp_class] == rlp_byte::short_string && f[rlp_byte::length] > 0) flag_byte = b[at + 1];
    else refuse(m.id, "a two-item node without a hex-prefix path");
    l.kind = (flag_byte >> 5) & 1 ? Layout::leaf : Layout::extension;
  } else {
    refuse(m.id, fmt::format("a list of {} items is not a trie node", l.items));
  }
  return l;
}

}  // namespace

NodeShape node_shape(eth::ByteView message, size_t node_offset) {
  size_t pos = node_offset;
  const eth::RlpItem node = eth::rlp_next(message, pos, 0);
  const auto items = eth::rlp_items(node);
  NodeShape s;
  s.end = node.payload_offset + node.payload.size() - 1;
  auto child = [&](const eth::RlpItem& item) {
    NodeShape::Child c{NodeShape::empty, item.offset};
    if (item.is_list) c.cls = NodeShape::embedded;
    else if (item.payload.size() == 32) c.cls = NodeShape::reference;
    else if (!item.payload.empty()) throw eth::DecodeError(fmt::format("slot at offset {} is not a child", item.offset));
    return c;
  };
  if (items.size() == 17) {
    for (size_t i = 0; i < 16; ++i) s.children[i] = child(items[i]);
    if (items[16].is_list || !items[16].payload.empty()) throw eth::DecodeError("a branch with a value");
    return s;
  }
  if (items.size() != 2 || items[0].is_list) throw eth::DecodeError("not a trie node");
  s.hp_offset = items[0].payload_offset;
  const auto hp = eth::hex_prefix_decode(items[0].payload);
  s.path = hp.nibbles;
  s.kind = hp.leaf ? NodeShape::leaf : NodeShape::extension;
  if (hp.leaf) {
    s.value_offset = items[1].payload_offset;
    s.value_size = items[1].payload.size();
  } else {
    s.children[0] = child(items[1]);
  }
  return s;
}

NodeBytesLayout node_bytes_layout(std::span<const size_t> message_sizes) {
  const size_t rows = std::accumulate(message_sizes.begin(), message_sizes.end(), size_t{0});
  const size_t single = stark::padded_height(rows);
  NodeBytesLayout one{{single, 2}, std::vector<uint8_t>(message_sizes.size(), 0)};
  if (single < kSplitFrom) return one;
  NodeBytesLayout two{{single / 2, 0}, std::vector<uint8_t>(message_sizes.size(), 0)};
  size_t used = 0, rest = 0;
  for (size_t m = 0; m < message_sizes.size(); ++m) {
    if (used + message_sizes[m] < two.heights[0]) {
      used += message_sizes[m];
    } else {
      two.table[m] = 1;
      rest += message_sizes[m];
    }
  }
  two.heights[1] = stark::padded_height(rest);
  return two.heights[0] + two.heights[1] < single ? two : one;
}

NodeBytesTraces generate_node_bytes_traces(std::span<const ParsedMessage> messages) {
  using namespace node_bytes;
  std::vector<Layout> layouts;
  layouts.reserve(messages.size());
  std::vector<size_t> sizes;
  for (const auto& m : messages) {
    layouts.push_back(lay_out(m));
    if (m.value_message && layouts.back().kind != Layout::leaf) refuse(m.id, "a value to copy in a node that is not a leaf");
    sizes.push_back(m.bytes.size());
  }
  const NodeBytesLayout tables = node_bytes_layout(sizes);
  NodeBytesTraces out{{stark::Trace(width, tables.heights[0]), stark::Trace(width, tables.heights[1])},
                      stark::Trace(1, 256),
                      {}};
  std::vector<uint64_t> byte_count(256, 0);

  auto set_facts = [&](std::span<Fp> row, uint8_t v) {
    const auto f = rlp_byte::facts(v).columns;
    row[c_single + f[rlp_byte::rlp_class]] = Fp::one();
    row[plen] = Fp(f[rlp_byte::length]);
    row[nh] = Fp(f[rlp_byte::high_nibble]);
    row[nl] = Fp(f[rlp_byte::low_nibble]);
    row[cc] = Fp(f[rlp_byte::child_code]);
    row[s1] = Fp(f[rlp_byte::is_0x81]);
    row[nz] = Fp(f[rlp_byte::is_nonzero]);
    row[ge56] = Fp(f[rlp_byte::at_least_56]);
    ++byte_count[v];
  };

  std::array<size_t, 2> next_row{0, 0};
  for (size_t mi = 0; mi < messages.size(); ++mi) {
    stark::Trace& t = out.node_bytes[tables.table[mi]];
    size_t& r0 = next_row[tables.table[mi]];
    out.first_row.emplace(messages[mi].id, NodeBytesTraces::Place{tables.table[mi], r0});
    const eth::ByteView b = messages[mi].bytes;
    const Layout& l = layouts[mi];
    const size_t n = b.size();
    // Running state, as the constraints define it row after row.
    int64_t rem0_v = 0, lol_v = 0, rems_v = 0, rem1_v = 0, noff_v = 0, pidx_v = 0, plenn_v = 0, vcount_v = 0;
    bool prev_long_header = false, prev_path_sstr = false, prev_in_path = false, prev_inval = false;
    bool prev_embedded_end = false, vodd_v = false;
    for (size_t i = 0; i < n; ++i) {
      auto row = t.row(r0 + i);
      const uint8_t v = b[i];
      const auto f = rlp_byte::facts(v).columns;
      const Role role = l.role[i];
      const uint32_t cls = f[rlp_byte::rlp_class];
      const int64_t len = f[rlp_byte::length];
      set_facts(row, v);
      row[msg] = Fp(messages[mi].id);
      row[off] = Fp(i);
      row[byte] = Fp(v);
      row[real] = Fp::one();
      row[start] = Fp(i == 0);
      row[odd] = Fp(i & 1);
      row[hi] = Fp(i + 1 < n ? b[i + 1] : 0);
      const size_t role_col[] = {start, r_ll, r_ih, r_il, r_ic, r_eh, r_ec};
      row[role_col[role]] = Fp::one();
      row[l.kind == Layout::branch ? k_branch : l.kind == Layout::leaf ? k_leaf : k_ext] = Fp::one();
      const bool depth2 = role == kEH || role == kEC;
      const bool content = role == kIC || role == kEC;
      const bool item_header = role == kIH || role == kEH;
      const bool next_depth2 = i + 1 < n && (l.role[i + 1] == kEH || l.role[i + 1] == kEC);

      // Counters.
      if (role == kStart) rem0_v = cls == rlp_byte::short_list ? len : 0;
      else if (role == kLL) rem0_v = rem0_v * 256 + v;
      else --rem0_v;
      const bool long_header = (role == kStart && cls == rlp_byte::long_list) || (role == kIH && cls == rlp_byte::long_string);
      if (long_header) lol_v = len;
      else if (role == kLL || role == kIL) --lol_v;
      else lol_v = 0;
      const bool string_header = item_header && (cls == rlp_byte::short_string || cls == rlp_byte::long_string);
      if (string_header) rems_v = cls == rlp_byte::short_string ? len : 0;
      else if (role == kIL) rems_v = rems_v * 256 + v;
      else if (content) --rems_v;
      else rems_v = 0;
      const bool opens = role == kIH && cls == rlp_byte::short_list;
      if (opens) rem1_v = len;
      else if (depth2) --rem1_v;
      else rem1_v = 0;
      if (opens) noff_v = static_cast<int64_t>(i);
      else if (!depth2) noff_v = 0;
      row[rem0] = signed_fp(rem0_v);
      row[lol] = signed_fp(lol_v);
      row[rems] = signed_fp(rems_v);
      row[rem1] = signed_fp(rem1_v);
      row[noff] = signed_fp(depth2 ? noff_v : 0);
      const uint32_t item = (role == kStart || role == kLL) ? 0 : l.item[i];
      const uint32_t eitem = depth2 ? l.eitem[i] : 0;
      row[idx] = Fp(item);
      row[eidx] = Fp(eitem);
      row[inlen] = Fp(long_header || role == kLL || role == kIL);
      row[instr] = Fp(string_header || role == kIL || content);
      row[lenlead] = Fp(prev_long_header);
      prev_long_header = long_header;

      // Child slots.
      const bool child = role == kIH && (l.kind == Layout::branch || (l.kind == Layout::extension && item == 1));
      row[is_child] = Fp(child);
      if (child && f[rlp_byte::child_code]) row[ch_empty + f[rlp_byte::child_code] - 1] = Fp::one();

      // Paths.
      const bool path_header = (role == kIH && l.kind != Layout::branch && item == 0) || (role == kEH && eitem == 0);
      row[path_hdr] = Fp(path_header);
      const bool hpc_v = prev_path_sstr;
      const bool hp_v = (path_header && cls == rlp_byte::single) || hpc_v;
      const bool pbyte_v = prev_in_path && content;
      prev_path_sstr = path_header && cls == rlp_byte::short_string;
      prev_in_path = hp_v || pbyte_v;
      row[hpc] = Fp(hpc_v);
      row[hp] = Fp(hp_v);
      row[pbyte] = Fp(pbyte_v);
      if (hp_v) {
        row[hp_leaf] = Fp((v >> 5) & 1);
        row[hp_odd] = Fp((v >> 4) & 1);
        pidx_v = static_cast<int64_t>((v >> 4) & 1) - 1;
      } else if (pbyte_v) {
        pidx_v += 2;
      }
      row[pidx] = signed_fp(hp_v || pbyte_v ? pidx_v : 0);
      if (role == kStart || prev_embedded_end) plenn_v = 0;
      if (hp_v || pbyte_v) plenn_v = pidx_v + 1;
      row[plenn] = signed_fp(plenn_v);

      // Values.
      const bool value_header = (role == kIH && l.kind == Layout::leaf && item == 1) || (role == kEH && eitem == 1);
      const bool inval_v = value_header || (prev_inval && (role == kIL || content));
      prev_inval = inval_v;
      const bool vb_v = (value_header && cls == rlp_byte::single) || (inval_v && content);
      if (value_header) vcount_v = vb_v;
      else if (inval_v) vcount_v += vb_v;
      else vcount_v = 0;
      row[val_hdr] = Fp(value_header);
      row[inval] = Fp(inval_v);
      row[vb] = Fp(vb_v);
      row[vcount] = Fp(static_cast<uint64_t>(vcount_v));
      if (value_header) vodd_v = !vb_v;
      else if (inval_v) vodd_v = vodd_v != vb_v;
      else vodd_v = false;
      row[vodd] = Fp(vodd_v);
      if (messages[mi].value_message) {
        row[copy] = Fp::one();
        row[mv] = Fp(*messages[mi].value_message);
        row[vrecv] = Fp(vb_v && !vodd_v);
      }
      row[nend] = Fp(i + 1 == n || (depth2 && !next_depth2));
      prev_embedded_end = depth2 && !next_depth2;
    }
    r0 += n;
  }
  for (size_t k = 0; k < 2; ++k)
    for (size_t r = next_row[k]; r < out.node_bytes[k].height; ++r) set_facts(out.node_bytes[k].row(r), 0);
  for (size_t v = 0; v < 256; ++v) out.rlp_byte.at(v, 0) = Fp(byte_count[v]);
  return out;
}

}  // namespace witprove::air

namespace witprove::air {

namespace {
void add_one(NodeBytesTraces& t, size_t id, size_t offset, size_t column) {
  const auto place = t.first_row.at(id);
  auto& cell = t.node_bytes[place.table].at(place.row + offset, column);
  cell = cell + Fp::one();
}
}  // namespace

void request_node_byte(NodeBytesTraces& t, size_t id, size_t offset) { add_one(t, id, offset, node_bytes::m_byte); }

void request_child_ref(NodeBytesTraces& t, size_t id, const NodeShape::Child& child) {
  add_one(t, id, child.header, node_bytes::m_child);
}

void request_path_nibble(NodeBytesTraces& t, size_t id, const NodeShape& node, size_t index) {
  // An odd path has nibble 0 in the hex-prefix byte's low half; then two nibbles per byte, high first.
  const bool odd = node.path.size() % 2 == 1;
  const size_t position = odd ? index + 1 : index + 2;  // in nibbles from the hex-prefix byte's high half
  add_one(t, id, node.hp_offset + position / 2, position % 2 ? node_bytes::m_path_lo : node_bytes::m_path_hi);
}

void request_value_byte(NodeBytesTraces& t, size_t id, const NodeShape& node, size_t index) {
  add_one(t, id, node.value_offset + index, node_bytes::m_value);
}

void request_node_end(NodeBytesTraces& t, size_t id, const NodeShape& node) {
  add_one(t, id, node.end, node_bytes::m_end);
}

void request_value_message(NodeBytesTraces& t, size_t id, const NodeShape& node) {
  add_one(t, id, node.end, node_bytes::m_vmsg);
}

}  // namespace witprove::air

template class witprove::stark::AirAdapter<witprove::air::RlpByteTableAir>;
template class witprove::stark::AirAdapter<witprove::air::NodeBytesAir>;
