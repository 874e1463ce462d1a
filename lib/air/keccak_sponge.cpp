#include "air/keccak_sponge.hpp"

#include <fmt/format.h>
#include <oneapi/tbb/parallel_for.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <stdexcept>
#include <unordered_map>

#include "eth/keccak.hpp"
#include "stark/folders.hpp"

namespace witprove::air {

using stark::Fp;
using namespace keccak_sponge;
using keccak_perm::detail::write_bits;
using keccak_perm::detail::write_limbs;

std::vector<Fp> digest_public_values(std::span<const eth::H256> digests) {
  std::vector<Fp> values;
  values.reserve(digest_limbs * digests.size());
  for (const auto& d : digests)
    for (size_t l = 0; l < digest_limbs; ++l) values.push_back(Fp(d[2 * l] | uint32_t{d[2 * l + 1]} << 8));
  return values;
}

namespace {

size_t block_count(size_t message_size) { return message_size / rate_bytes + 1; }

struct SpongeBlock {
  size_t message_id, block_index, tag;
  bool last, real, read;
  uint32_t digest_mult;
  size_t data_bytes;  // message bytes in this block
  uint8_t block[rate_bytes];
  eth::KeccakState state;  // before absorbing
};

// Fills the absorb row and the block row of one block; returns the permutation input.
eth::KeccakState fill_sponge_block(std::span<Fp> absorb_row, std::span<Fp> block_row, const SpongeBlock& s) {
  for (auto row : {absorb_row, block_row}) {
    row[message_id] = Fp(s.message_id);
    row[block_index] = Fp(s.block_index);
    row[tag] = Fp(s.tag);
    row[is_first] = Fp(s.block_index == 0);
    row[is_last] = Fp(s.last);
    row[is_real] = Fp(s.real);
    row[read] = Fp(s.read);
  }
  absorb_row[is_absorb] = Fp::one();
  absorb_row[permutation_input_mult] = Fp(s.real);
  block_row[permutation_output_mult] = Fp(s.real);
  block_row[digest_mult] = Fp(s.digest_mult);
  for (size_t k = 0; k < rate_bytes; ++k) block_row[is_data + k] = Fp(k < s.data_bytes);
  eth::KeccakState input = s.state;
  for (size_t lane = 0; lane < rate_lanes; ++lane) {
    uint64_t m;
    std::memcpy(&m, s.block + 8 * lane, 8);
    write_bits(absorb_row, bits + 64 * lane, s.state[lane]);
    write_bits(block_row, bits + 64 * lane, m);
    input[lane] ^= m;
  }
  for (size_t lane = 0; lane < 25; ++lane) write_limbs(absorb_row, limbs + limbs_per_lane * lane, input[lane]);
  return input;
}

void write_output(std::span<Fp> block_row, const eth::KeccakState& output) {
  for (size_t lane = 0; lane < 25; ++lane) write_limbs(block_row, limbs + limbs_per_lane * lane, output[lane]);
}

void pad_block(SpongeBlock& s, eth::ByteView data) {
  std::memset(s.block, 0, rate_bytes);
  if (!data.empty()) std::memcpy(s.block, data.data(), data.size());
  s.data_bytes = data.size();
  if (s.last) {
    s.block[data.size()] ^= 0x01;
    s.block[rate_bytes - 1] ^= 0x80;
  }
}

std::vector<std::unique_ptr<stark::Air>> keccak_airs(size_t public_digests, bool message_limbs,
                                                     size_t permutation_tables) {
  std::vector<std::unique_ptr<stark::Air>> airs;
  for (size_t k = 0; k < permutation_tables; ++k)
    airs.push_back(std::make_unique<stark::AirAdapter<KeccakPermutationAir>>(KeccakPermutationAir{}));
  airs.push_back(std::make_unique<stark::AirAdapter<KeccakSpongeAir>>(KeccakSpongeAir{message_limbs}));
  if (public_digests)
    airs.push_back(std::make_unique<stark::AirAdapter<KeccakPublicDigestsAir>>(KeccakPublicDigestsAir{public_digests}));
  return airs;
}

std::vector<std::vector<Fp>> keccak_public_values(std::span<const eth::H256> public_digests,
                                                  size_t permutation_tables) {
  std::vector<std::vector<Fp>> pv;
  for (size_t k = 0; k < permutation_tables; ++k) pv.push_back({Fp(k * kPermutationTagStride)});
  pv.emplace_back();  // sponge
  if (!public_digests.empty()) pv.push_back(digest_public_values(public_digests));
  return pv;
}

}  // namespace

std::vector<stark::TableInstance> KeccakTables::instances() const {
  std::vector<stark::TableInstance> out;
  for (size_t i = 0; i < traces.size(); ++i) out.push_back({airs[i].get(), &traces[i], public_values[i]});
  return out;
}

stark::Trace split_permutation_trace(std::span<const eth::KeccakState> inputs, size_t per_table, size_t k) {
  const size_t first = std::min(inputs.size(), k * per_table);
  const size_t count = std::min(inputs.size() - first, per_table);
  return generate_keccak_permutation_trace(inputs.subspan(first, count), k * kPermutationTagStride);
}

std::vector<const stark::Air*> KeccakTables::air_pointers() const {
  std::vector<const stark::Air*> out;
  for (const auto& a : airs) out.push_back(a.get());
  return out;
}

KeccakTables keccak_verifier_tables(std::span<const eth::H256> public_digests, bool message_limbs,
                                    size_t permutation_tables) {
  KeccakTables t;
  t.airs = keccak_airs(public_digests.size(), message_limbs, permutation_tables);
  t.public_values = keccak_public_values(public_digests, permutation_tables);
  t.permutation_tables = permutation_tables;
  return t;
}

KeccakTables build_keccak_tables(std::span<const eth::Bytes> messages, std::span<const eth::H256> public_digests,
                                 const KeccakRequests& requests) {
  const size_t n = messages.size();
  const auto read = requests.read;
  if (!read.empty() && read.size() != n)
    throw std::invalid_argument(fmt::format("{} read flags for {} messages", read.size(), n));
  if (!requests.digest_lookups.empty() && requests.digest_lookups.size() != n)
    throw std::invalid_argument(fmt::format("{} digest lookup counts for {} messages", requests.digest_lookups.size(), n));
  std::vector<size_t> first_block(n + 1, 0);
  for (size_t i = 0; i < n; ++i) first_block[i + 1] = first_block[i] + block_count(messages[i].size());
  const size_t blocks = first_block[n];

  std::vector<eth::H256> digests(n);
  tbb::parallel_for(size_t{0}, n, [&](size_t i) { digests[i] = eth::keccak256(messages[i]); });
  std::unordered_map<eth::H256, size_t, eth::H256Hash> message_of;  // first message with each digest
  for (size_t i = n; i-- > 0;) message_of[digests[i]] = i;
  std::vector<uint32_t> digest_mult(n, 0);
  if (!requests.digest_lookups.empty()) digest_mult.assign(requests.digest_lookups.begin(), requests.digest_lookups.end());
  std::vector<size_t> public_message(public_digests.size());
  for (size_t j = 0; j < public_digests.size(); ++j) {
    auto it = message_of.find(public_digests[j]);
    if (it == message_of.end())
      throw std::invalid_argument(fmt::format("public digest {} is not the Keccak-256 of any message given",
                                              eth::to_hex(public_digests[j])));
    public_message[j] = it->second;
    ++digest_mult[it->second];
  }

  const size_t per_table = requests.permutations_per_table;
  const size_t permutation_tables = per_table ? std::max<size_t>(1, (blocks + per_table - 1) / per_table) : 1;
  if (per_table && (per_table * keccak_perm::rounds > (size_t{1} << 23) ||
                    permutation_tables * kPermutationTagStride >= stark::Fp::P))
    throw std::invalid_argument(fmt::format("{} permutations in tables of {}: too many tables, or tables too high",
                                            blocks, per_table));
  auto tag_of = [&](size_t block) { return per_table ? (block / per_table) * kPermutationTagStride + block % per_table : block; };
  KeccakTables t = keccak_verifier_tables(public_digests, !read.empty(), permutation_tables);

  // Sponge rows, message by message in parallel; each block's permutation input is kept for the
  // permutation table (tag = block number).
  stark::Trace sponge(width, 2 * std::bit_ceil(std::max<size_t>(blocks, 1)));
  std::vector<eth::KeccakState> perm_inputs(blocks);
  tbb::parallel_for(size_t{0}, n, [&](size_t i) {
    const eth::Bytes& msg = messages[i];
    SpongeBlock s{};
    s.message_id = i;
    s.real = true;
    s.read = !read.empty() && read[i];
    for (size_t b = 0; b < block_count(msg.size()); ++b) {
      const size_t index = first_block[i] + b;
      s.block_index = b;
      s.tag = tag_of(index);
      s.last = b + 1 == block_count(msg.size());
      s.digest_mult = s.last ? digest_mult[i] : 0;
      pad_block(s, eth::ByteView(msg).subspan(rate_bytes * b, std::min(rate_bytes, msg.size() - rate_bytes * b)));
      eth::KeccakState state = fill_sponge_block(sponge.row(2 * index), sponge.row(2 * index + 1), s);
      perm_inputs[index] = state;
      eth::keccak_f1600(state);
      write_output(sponge.row(2 * index + 1), state);
      s.state = state;
    }
  });
  // Unused rows: one-block empty messages that look nothing up.
  for (size_t index = blocks; 2 * index < sponge.height; ++index) {
    SpongeBlock s{};
    s.message_id = n + (index - blocks);
    s.last = true;
    pad_block(s, {});
    fill_sponge_block(sponge.row(2 * index), sponge.row(2 * index + 1), s);
  }

  if (per_table) t.permutation_inputs = std::move(perm_inputs);
  else t.traces.push_back(generate_keccak_permutation_trace(perm_inputs));
  t.traces.push_back(std::move(sponge));

  if (!public_digests.empty()) {
    const size_t count = public_digests.size();
    const KeccakPublicDigestsAir air{count};
    stark::Trace pub(air.width(), std::bit_ceil(std::max<size_t>(count, 2)));
    const auto& values = t.public_values.back();
    for (size_t r = 0; r < count; ++r) {
      auto row = pub.row(r);
      const size_t m = public_message[r];
      row[air.message_id] = Fp(m);
      row[air.length] = Fp(messages[m].size());
      for (size_t j = 0; r + j < count; ++j) {
        for (size_t l = 0; l < air.limbs; ++l) row[air.registers + air.limbs * j + l] = values[air.limbs * (r + j) + l];
        row[air.registers + air.limbs * count + j] = Fp::one();
      }
    }
    t.traces.push_back(std::move(pub));
  }
  return t;
}

}  // namespace witprove::air

template class witprove::stark::AirAdapter<witprove::air::KeccakSpongeAir>;
template class witprove::stark::AirAdapter<witprove::air::KeccakPublicDigestsAir>;
