#include "air/leaf_value.hpp"

#include <fmt/format.h>

#include <bit>
#include <stdexcept>
#include <unordered_map>

#include "eth/keccak.hpp"
#include "stark/folders.hpp"

namespace witprove::air {

using stark::Fp;

LeafValueTraces generate_leaf_values(const TrieWalkTraces& walks, std::span<const eth::Bytes> messages,
                                     std::span<const ParsedMessage> parsed, NodeBytesTraces& nodes) {
  using namespace leaf_value;
  std::unordered_map<size_t, size_t> value_message;
  for (const auto& p : parsed)
    if (p.value_message) value_message.emplace(p.id, *p.value_message);
  std::vector<const WalkLeaf*> leaves;
  for (const auto& l : walks.leaves)
    if (l.walk.kind == TrieKind::state || l.walk.kind == TrieKind::storage) leaves.push_back(&l);

  LeafValueTraces out{stark::Trace(width, stark::padded_height(leaves.size())), std::vector<uint32_t>(messages.size(), 0)};
  auto count_byte = [&](uint8_t b) { nodes.rlp_byte.at(b, 0) = nodes.rlp_byte.at(b, 0) + Fp::one(); };
  for (size_t r = 0; r < leaves.size(); ++r) {
    const WalkLeaf& leaf = *leaves[r];
    const NodeShape shape = node_shape(messages[leaf.message], leaf.node_offset);
    const eth::ByteView value =
        eth::ByteView(messages[leaf.message]).subspan(shape.value_offset, shape.value_size);
    const size_t v = value.size();
    const bool account = leaf.walk.kind == TrieKind::state;
    auto row = out.trace.row(r);
    row[real] = Fp::one();
    row[post] = Fp(leaf.walk.post);
    row[account ? is_acct : is_slot] = Fp::one();
    row[msg] = Fp(leaf.message);
    row[noff] = Fp(leaf.node_offset);
    row[vlen] = Fp(v);
    const auto key_limbs = packed_limbs(leaf.key);
    for (size_t j = 0; j < 16; ++j) row[key + j] = Fp(key_limbs[j]);
    if (v == 0) throw std::invalid_argument(fmt::format("leaf in message {} has an empty value", leaf.message));
    row[b0] = Fp(value[0]);
    std::array<uint8_t, 32> word{};
    if (account) {
      auto it = value_message.find(leaf.message);
      if (it == value_message.end())
        throw std::invalid_argument(fmt::format("account leaf in message {} has no value message", leaf.message));
      if (v < 70) throw std::invalid_argument(fmt::format("account leaf in message {} is too short", leaf.message));
      row[mv] = Fp(it->second);
      ++out.digest_lookups[it->second];
      request_value_message(nodes, leaf.message, shape);
      const auto d = digest_limbs(eth::keccak256(value));
      for (size_t j = 0; j < 16; ++j) row[val + j] = Fp(d[j]);
      std::copy(value.begin() + static_cast<ptrdiff_t>(v - 65), value.begin() + static_cast<ptrdiff_t>(v - 33), word.begin());
      for (size_t p = 0; p < 32; ++p) request_value_byte(nodes, leaf.message, shape, v - 65 + p);
      for (size_t offset : {size_t{0}, size_t{1}, v - 66, v - 33}) request_value_byte(nodes, leaf.message, shape, offset);
    } else {
      const auto a = digest_limbs(leaf.walk.account_key);
      for (size_t j = 0; j < 16; ++j) row[akey + j] = Fp(a[j]);
      const bool single = value[0] < 0x80;
      const size_t n = single ? 1 : v - 1;
      if (n > 32 || (!single && value[0] != 0x80 + n))
        throw std::invalid_argument(fmt::format("storage leaf in message {} holds no slot value", leaf.message));
      std::copy(value.end() - static_cast<ptrdiff_t>(n), value.end(), word.begin() + static_cast<ptrdiff_t>(32 - n));
      for (size_t p = 32 - n; p < 32; ++p) {
        row[in + p] = Fp::one();
        request_value_byte(nodes, leaf.message, shape, v + p - 32);
      }
      if (!single) request_value_byte(nodes, leaf.message, shape, 0);
      const auto facts0 = rlp_byte::facts(value[0]).columns, facts1 = rlp_byte::facts(word[31]).columns;
      for (size_t k = 0; k < 8; ++k) {
        row[f0 + k] = Fp(facts0[1 + k]);
        row[f1 + k] = Fp(facts1[1 + k]);
      }
      count_byte(value[0]);
      count_byte(word[31]);
      if (n > 0) row[inv_first] = stark::inverse(Fp(word[32 - n]));
      if (value[0] == 0x81) row[inv_class] = stark::inverse(Fp(facts1[rlp_byte::rlp_class]));
      for (size_t j = 0; j < 16; ++j) row[val + j] = Fp(word[2 * j] | uint32_t{word[2 * j + 1]} << 8);
    }
    for (size_t p = 0; p < 32; ++p) row[bytes + p] = Fp(word[p]);
  }
  return out;
}

}  // namespace witprove::air

template class witprove::stark::AirAdapter<witprove::air::LeafValueAir>;
