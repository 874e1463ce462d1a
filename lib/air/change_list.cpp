#include "air/change_list.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <map>
#include <stdexcept>

#include "air/trie_walk.hpp"
#include "eth/keccak.hpp"
#include "stark/folders.hpp"

namespace witprove::air {

using stark::Fp;

stark::Trace ByteRangeAir::fixed_trace() const {
  stark::Trace t(1, 256);
  for (size_t b = 0; b < 256; ++b) t.at(b, 0) = Fp(b);
  return t;
}

namespace {

eth::H256 hash_of(eth::ByteView bytes) { return eth::keccak256(bytes); }

// (kind, account key limbs, slot key limbs): the order of the list.
std::array<uint32_t, 33> sort_key(const ChangeEntry& e) {
  std::array<uint32_t, 33> k{};
  k[0] = static_cast<uint32_t>(e.kind);
  const auto a = digest_limbs(hash_of(e.address));
  std::copy(a.begin(), a.end(), k.begin() + 1);
  if (is_slot_entry(e)) {
    const auto s = digest_limbs(hash_of(e.slot));
    std::copy(s.begin(), s.end(), k.begin() + 17);
  }
  return k;
}

std::array<uint32_t, 16> limbs_of(eth::ByteView bytes) {
  std::array<uint32_t, 16> l{};
  for (size_t j = 0; 2 * j < bytes.size(); ++j) l[j] = bytes[2 * j] | uint32_t{bytes[2 * j + 1]} << 8;
  return l;
}

}  // namespace

std::vector<eth::H256> wiped_storage_keys(std::span<const ChangeEntry> entries) {
  std::vector<eth::H256> out;
  for (const auto& e : entries)
    if (e.kind == ChangeKind::storage_wiped) out.push_back(hash_of(e.address));
  return out;
}

void sort_change_list(std::vector<ChangeEntry>& entries) {
  std::vector<std::pair<std::array<uint32_t, 33>, ChangeEntry>> keyed;
  for (auto& e : entries) keyed.emplace_back(sort_key(e), e);
  std::sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 0; i < entries.size(); ++i) entries[i] = keyed[i].second;
}

eth::Bytes encode_change_list(std::span<const ChangeEntry> entries) {
  eth::Bytes out;
  out.reserve(entries.size() * change_list::entry_bytes);
  for (const auto& e : entries) {
    uint8_t entry[change_list::entry_bytes] = {};
    entry[0] = static_cast<uint8_t>(e.kind);
    entry[1] = e.old_value.has_value();
    entry[2] = e.new_value.has_value();
    std::copy(e.address.begin(), e.address.end(), entry + 8);
    if (is_slot_entry(e)) std::copy(e.slot.begin(), e.slot.end(), entry + 28);
    if (e.old_value) std::copy(e.old_value->begin(), e.old_value->end(), entry + 60);
    if (e.new_value) std::copy(e.new_value->begin(), e.new_value->end(), entry + 92);
    out.insert(out.end(), entry, entry + change_list::entry_bytes);
  }
  return out;
}

ChangeTraces generate_change_list(std::span<const ChangeEntry> entries, size_t change_message,
                                  std::span<const KeyMessage> keys, std::span<const eth::Bytes> messages) {
  ChangeTraces out;
  out.digest_lookups.assign(messages.size(), 0);
  out.read.assign(messages.size(), 0);
  out.byte_range = stark::Trace(1, 256);
  out.read[change_message] = 1;
  ++out.digest_lookups[change_message];

  // Key rows, one per preimage message; key_digest lookups counted per (kind, preimage).
  std::map<std::pair<bool, eth::Bytes>, size_t> key_row;
  out.keys = stark::Trace(key_table::width, stark::padded_height(keys.size()));
  for (size_t r = 0; r < keys.size(); ++r) {
    const eth::Bytes& pre = messages[keys[r].id];
    auto row = out.keys.row(r);
    row[key_table::real] = Fp::one();
    row[key_table::is_slot] = Fp(keys[r].slot);
    row[key_table::message] = Fp(keys[r].id);
    const auto p = limbs_of(pre), d = digest_limbs(hash_of(pre));
    for (size_t j = 0; j < 16; ++j) {
      row[key_table::preimage + j] = Fp(p[j]);
      row[key_table::digest + j] = Fp(d[j]);
    }
    key_row.emplace(std::make_pair(keys[r].slot, pre), r);
    out.read[keys[r].id] = 1;
    ++out.digest_lookups[keys[r].id];
  }
  auto use_key = [&](bool slot, eth::ByteView pre, size_t entry) {
    auto it = key_row.find({slot, eth::Bytes(pre.begin(), pre.end())});
    if (it == key_row.end())
      throw std::invalid_argument(fmt::format("change entry {}: no key message for its {}", entry, slot ? "slot" : "address"));
    auto& m = out.keys.at(it->second, key_table::mult);
    m = m + Fp::one();
  };

  using namespace change_list;
  out.change = stark::Trace(width, stark::padded_height(entries.size()));
  auto count_byte = [&](uint32_t b) { out.byte_range.at(b, 0) = out.byte_range.at(b, 0) + Fp::one(); };
  std::vector<std::array<uint32_t, 33>> sort_keys;
  for (const auto& e : entries) sort_keys.push_back(sort_key(e));
  for (size_t r = 0; r < out.change.height; ++r) {
    auto row = out.change.row(r);
    row[count] = Fp(entries.size());
    row[message] = Fp(change_message);
    if (r >= entries.size()) {
      count_byte(0);
      count_byte(0);
      continue;
    }
    const ChangeEntry& e = entries[r];
    row[real] = Fp::one();
    row[entry] = Fp(r);
    const bool slot_entry = is_slot_entry(e), wiped = e.kind == ChangeKind::storage_wiped;
    row[is_slot] = Fp(slot_entry);
    row[is_wiped] = Fp(wiped);
    row[old_present] = Fp(e.old_value.has_value());
    row[new_present] = Fp(e.new_value.has_value());
    const auto a = limbs_of(e.address), s = slot_entry ? limbs_of(e.slot) : std::array<uint32_t, 16>{};
    const auto ak = digest_limbs(hash_of(e.address));
    const auto sk = slot_entry ? digest_limbs(hash_of(e.slot)) : std::array<uint32_t, 16>{};
    const auto ov = e.old_value ? limbs_of(*e.old_value) : std::array<uint32_t, 16>{};
    const auto nv = e.new_value ? limbs_of(*e.new_value) : std::array<uint32_t, 16>{};
    for (size_t j = 0; j < 16; ++j) {
      if (j < 10) row[address + j] = Fp(a[j]);
      row[slot + j] = Fp(s[j]);
      row[old_value + j] = Fp(ov[j]);
      row[new_value + j] = Fp(nv[j]);
      row[account_key + j] = Fp(ak[j]);
      row[slot_key + j] = Fp(sk[j]);
      row[key + j] = Fp(slot_entry ? sk[j] : wiped ? 0 : ak[j]);  // a wiped storage's item: the root
      row[trie_key + j] = Fp(e.kind == ChangeKind::account ? 0 : ak[j]);
    }
    use_key(false, e.address, r);
    if (slot_entry) use_key(true, e.slot, r);
    // The first differing value limb, else the presence (an entry that changes nothing has neither).
    size_t d = 16;
    for (size_t k = 0; k < 16; ++k)
      if (ov[k] != nv[k]) {
        d = k;
        break;
      }
    row[differs + d] = Fp::one();
    const Fp diff = d < 16 ? Fp(nv[d]) - Fp(ov[d]) : Fp(e.new_value.has_value()) - Fp(e.old_value.has_value());
    row[differs_inverse] = stark::inverse(diff);
    // The order against the next entry.
    uint32_t g = 0;
    if (r + 1 < entries.size()) {
      size_t k = 0;
      while (k < 33 && sort_keys[r + 1][k] == sort_keys[r][k]) ++k;
      if (k == 33) k = 32;  // a repeated key: no position differs; the constraints reject it
      row[first_difference + k] = Fp::one();
      const Fp step = Fp(sort_keys[r + 1][k]) - Fp(sort_keys[r][k]) - Fp::one();
      row[gap] = step;
      g = step.value() < 0x10000 ? step.value() : 0;
    }
    row[gap_low] = Fp(g & 0xff);
    row[gap_high] = Fp(g >> 8);
    count_byte(g & 0xff);
    count_byte(g >> 8);
  }
  return out;
}

}  // namespace witprove::air

template class witprove::stark::AirAdapter<witprove::air::ChangeListAir>;
template class witprove::stark::AirAdapter<witprove::air::KeyTableAir>;
template class witprove::stark::AirAdapter<witprove::air::ByteRangeAir>;
