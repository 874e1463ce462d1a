#include "air/block_statement.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>
#include <unordered_map>

#include "air/keccak_sponge.hpp"
#include "eth/keccak.hpp"

namespace witprove::air {

std::vector<SegmentPlan> plan_segments(std::span<const eth::Bytes> messages, std::span<const eth::H256> required,
                                       uint64_t max_permutations) {
  if (max_permutations == 0) throw std::invalid_argument("segment size must be at least one permutation");
  std::vector<SegmentPlan> plan;
  std::unordered_map<eth::H256, size_t, eth::H256Hash> segment_of;  // digest -> first segment hashing it
  for (const auto& d : required) segment_of.emplace(d, SIZE_MAX);
  for (size_t i = 0; i < messages.size(); ++i) {
    uint64_t perms = keccak_permutations(messages[i].size());
    if (plan.empty() || plan.back().permutations + perms > max_permutations)
      plan.push_back({i, 0, 0, {}});
    auto& seg = plan.back();
    ++seg.message_count;
    seg.permutations += perms;
    auto it = segment_of.find(eth::keccak256(messages[i]));
    if (it != segment_of.end() && it->second == SIZE_MAX) it->second = plan.size() - 1;
  }
  for (const auto& d : required) {
    size_t s = segment_of.at(d);
    if (s == SIZE_MAX) throw std::invalid_argument(fmt::format("digest {} is not among the hashed messages", eth::to_hex(d)));
    auto& digests = plan[s].public_digests;
    if (std::find(digests.begin(), digests.end(), d) == digests.end()) digests.push_back(d);
  }
  return plan;
}

stark::Proof prove_segment(std::span<const eth::Bytes> messages, std::span<const eth::H256> public_digests,
                           const stark::StarkParams& params, stark::ByteView statement) {
  auto tables = build_keccak_tables(messages, public_digests);
  return stark::prove(tables.instances(), params, statement);
}

std::optional<std::string> verify_segment(std::span<const eth::H256> public_digests, const stark::Proof& proof,
                                          const stark::StarkParams& params, stark::ByteView statement) {
  auto tables = keccak_verifier_tables(public_digests);
  return stark::verify(tables.air_pointers(), tables.public_values, proof, params, statement);
}

}  // namespace witprove::air
