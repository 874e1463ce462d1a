#include "air/tx_index.hpp"

#include <fmt/format.h>

#include <bit>
#include <map>
#include <stdexcept>

#include "eth/nibbles.hpp"
#include "eth/rlp.hpp"
#include "stark/folders.hpp"

namespace witprove::air {

using stark::Fp;

TxIndexTraces generate_tx_index(const TrieWalkTraces& walks, std::span<const eth::Bytes> messages,
                                NodeBytesTraces& nodes) {
  using namespace tx_index;
  std::map<std::string, const WalkLeaf*> txs, receipts;  // by key nibbles
  for (const auto& l : walks.leaves) {
    if (l.walk.kind == TrieKind::transactions) txs.emplace(eth::nibbles_to_string(l.key), &l);
    if (l.walk.kind == TrieKind::receipts) receipts.emplace(eth::nibbles_to_string(l.key), &l);
  }
  const size_t n = txs.size();
  if (receipts.size() != n || n > 0xffff)
    throw std::invalid_argument(fmt::format("{} transactions and {} receipts", n, receipts.size()));
  TxIndexTraces out{stark::Trace(width, stark::padded_height(n)), std::vector<uint64_t>(256, 0)};
  auto byte = [&](uint64_t v) { ++out.byte_lookups.at(v); };
  for (size_t r = 0; r < out.trace.height; ++r) {
    auto row = out.trace.row(r);
    if (r >= n) {  // padding: every byte lookup reads 0 but the step bound's
      for (int k = 0; k < 8; ++k) byte(0);
      byte(0xf0);
      continue;
    }
    const eth::Nibbles key = eth::to_nibbles(eth::rlp_uint(r));
    auto tx = txs.find(eth::nibbles_to_string(key));
    auto rc = receipts.find(eth::nibbles_to_string(key));
    if (tx == txs.end() || rc == receipts.end())
      throw std::invalid_argument(fmt::format("no transaction or receipt under rlp({})", r));
    row[real] = Fp::one();
    row[i] = Fp(r);
    const size_t h = r >> 8, l = r & 0xff;
    row[hi] = Fp(h);
    row[lo] = Fp(l);
    const size_t cls = r == 0 ? 0 : r < 128 ? 1 : r < 256 ? 2 : 3;
    row[c0 + cls] = Fp::one();
    const uint32_t k0 = cls == 0 ? 0x80 : cls == 1 ? l : cls == 2 ? 0x81 + 256 * l : 0x82 + 256 * h;
    row[key0] = Fp(k0);
    row[key1] = Fp(cls == 3 ? l : 0);
    row[key_length] = Fp(key.size());
    row[tx_msg] = Fp(tx->second->message);
    row[tx_noff] = Fp(tx->second->node_offset);
    row[tx_vlen] = Fp(tx->second->value_length);
    row[rc_msg] = Fp(rc->second->message);
    row[rc_noff] = Fp(rc->second->node_offset);
    row[rc_vlen] = Fp(rc->second->value_length);
    byte(h);
    byte(l);
    byte(cls == 1 ? l + 128 : cls == 2 ? l - 128 : cls == 3 ? h - 1 : 0);

    // The receipt's cumulative gas.
    const WalkLeaf& leaf = *rc->second;
    const NodeShape shape = node_shape(messages[leaf.message], leaf.node_offset);
    const eth::ByteView v = eth::ByteView(messages[leaf.message]).subspan(shape.value_offset, shape.value_size);
    auto at = [&](size_t offset) {
      if (offset >= v.size()) throw std::invalid_argument(fmt::format("receipt {} is too short", r));
      request_value_byte(nodes, leaf.message, shape, offset);
      return v[offset];
    };
    const bool is_typed = at(0) < 0x80;
    const uint8_t header = is_typed ? at(1) : v[0];
    if (header != 0xf9 && header != 0xfa) throw std::invalid_argument(fmt::format("receipt {} is not a long list", r));
    const size_t status_at = (is_typed ? 1 : 0) + (header - 0xf9u + 3);
    const uint8_t status_byte = at(status_at);
    const bool root = status_byte == 0xa0;
    const size_t gas_at = status_at + (root ? 33 : 1);
    const uint8_t gas_header_byte = at(gas_at);
    const size_t g = gas_header_byte - 0x80u;
    if (g < 2 || g > 4) throw std::invalid_argument(fmt::format("receipt {}: cumulative gas of {} bytes", r, g));
    uint64_t gas_value = 0;
    for (size_t k = 0; k < g; ++k) {
      const uint8_t gb = at(gas_at + 1 + k);
      row[gas_bytes + k] = Fp(gb);
      gas_value = gas_value << 8 | gb;
    }
    if (gas_value >= (uint64_t{1} << 28)) throw std::invalid_argument(fmt::format("receipt {}: gas above 2^28", r));
    row[typed] = Fp(is_typed);
    row[b0] = Fp(v[0]);
    row[list_header] = Fp(header);
    row[status] = Fp(status_byte);
    row[state_root] = Fp(root);
    row[gas_header] = Fp(gas_header_byte);
    row[g2 + g - 2] = Fp::one();
    row[gas] = Fp(gas_value);
    byte(is_typed ? v[0] + 128 : 0);
    byte(g == 4 ? row[gas_bytes].value() + 0xf0 : 0);
  }
  // Steps between consecutive rows, little-endian bytes.
  for (size_t r = 0; r < out.trace.height; ++r) {
    uint64_t d = 0;
    if (r + 1 < n) {
      const uint64_t a = out.trace.at(r, gas).value(), b = out.trace.at(r + 1, gas).value();
      if (b < a) throw std::invalid_argument(fmt::format("receipt {}: cumulative gas decreases", r + 1));
      d = b - a;
    }
    if (r < n) {
      for (size_t k = 0; k < 4; ++k) out.trace.at(r, step + k) = Fp((d >> (8 * k)) & 0xff);
      for (size_t k = 0; k < 3; ++k) byte((d >> (8 * k)) & 0xff);
      byte(((d >> 24) & 0xff) + 0xf0);
    }
  }
  return out;
}

}  // namespace witprove::air

template class witprove::stark::AirAdapter<witprove::air::TxIndexAir>;
