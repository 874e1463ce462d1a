#include "pipeline/verify.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "air/block_transition.hpp"
#include "eth/bytes.hpp"
#include "pipeline/block_prover.hpp"

namespace witprove::pipeline {

std::optional<std::string> verify_proof(const proof::ProofFile& f) {
  if (f.statement_id != air::kBlockTransitionId || f.statement_version != air::kBlockTransitionVersion)
    return fmt::format("a proof of statement {} version {}, which this build does not verify (it verifies {} version {})",
                       f.statement_id, f.statement_version, air::kBlockTransitionId, air::kBlockTransitionVersion);
  const auto& params = f.parameters.stark;
  if (!stark::parameter_set_of(params)) {
    std::vector<std::string_view> names;
    for (const stark::ParameterSet& set : stark::parameter_sets()) names.push_back(set.name);
    return fmt::format("parameters (log blowup {}, {} queries, {} grinding bits, log FRI arity {}, log final "
                       "polynomial length {}) are not a known parameter set ({})",
                       params.log_blowup, params.num_queries, params.grinding_bits, params.log_fri_arity,
                       params.log_final_poly_len, fmt::join(names, ", "));
  }
  if (f.segments.empty()) return "the proof has no segments";
  if (f.parameters.permutations_per_table == 0 ||
      uint64_t{f.parameters.permutations_per_table} * air::keccak_perm::rounds > air::kPermutationTagStride)
    return fmt::format("{} permutations per table: out of range", f.parameters.permutations_per_table);
  std::vector<air::SegmentProof> segments;
  for (uint32_t i = 0; i < f.segments.size(); ++i) {
    auto decoded = stark::deserialize(f.segments[i].stark_proof, params);
    if (auto* err = std::get_if<std::string>(&decoded)) return fmt::format("segment {}: malformed STARK proof: {}", i, *err);
    segments.push_back({f.segments[i].tables, std::move(std::get<stark::Proof>(decoded))});
  }
  return air::verify_block_transition(transition_public(f.public_values), f.permutation_tables, segments, params,
                                      proof::statement_bytes(f));
}

std::optional<std::string> check_against_header(const proof::PublicValues& v, const witness::BlockHeader& h) {
  auto differ = [&](std::string_view what, const auto& proved, const auto& real) {
    return fmt::format("{} differs from the header {}: proof has {}, header has {}", what, h.source, proved, real);
  };
  if (v.block_number != h.number) return differ("block number", v.block_number, h.number);
  if (v.block_hash != h.hash) return differ("block hash", eth::to_hex(v.block_hash), eth::to_hex(h.hash));
  if (v.parent_hash != h.parent_hash)
    return differ("parent hash", eth::to_hex(v.parent_hash), eth::to_hex(h.parent_hash));
  if (v.post_state_root != h.state_root)
    return differ("state root", eth::to_hex(v.post_state_root), eth::to_hex(h.state_root));
  if (v.transactions_root != h.transactions_root)
    return differ("transactions root", eth::to_hex(v.transactions_root), eth::to_hex(h.transactions_root));
  if (v.receipts_root != h.receipts_root)
    return differ("receipts root", eth::to_hex(v.receipts_root), eth::to_hex(h.receipts_root));
  if (v.gas_used != h.gas_used) return differ("gas used", v.gas_used, h.gas_used);
  return std::nullopt;
}

std::optional<std::string> check_against_parent_header(const proof::PublicValues& v, const witness::BlockHeader& h) {
  if (h.number + 1 != v.block_number)
    return fmt::format("the parent header {} is of block {}, not of block {}'s parent", h.source, h.number,
                       v.block_number);
  if (v.parent_hash != h.hash)
    return fmt::format("parent hash differs from the parent header {}'s hash: proof has {}, header has {}", h.source,
                       eth::to_hex(v.parent_hash), eth::to_hex(h.hash));
  if (v.pre_state_root != h.state_root)
    return fmt::format("pre-state root differs from the parent header {}'s state root: proof has {}, header has {}",
                       h.source, eth::to_hex(v.pre_state_root), eth::to_hex(h.state_root));
  return std::nullopt;
}

std::optional<std::string> check_link(const proof::ProofFile& parent, const proof::PublicValues& child) {
  const auto& p = parent.public_values;
  if (p.block_number + 1 != child.block_number)
    return fmt::format("block {} does not follow block {}", child.block_number, p.block_number);
  if (p.post_state_root != child.pre_state_root)
    return fmt::format("block {} starts from state root {}, but block {} ends at {}", child.block_number,
                       eth::to_hex(child.pre_state_root), p.block_number, eth::to_hex(p.post_state_root));
  if (p.block_hash != child.parent_hash)
    return fmt::format("block {}'s parent hash {} is not block {}'s hash {}", child.block_number,
                       eth::to_hex(child.parent_hash), p.block_number, eth::to_hex(p.block_hash));
  auto parent_digest = proof::digest(parent);
  if (parent_digest != child.previous_proof_digest)
    return fmt::format("block {} was proved on top of proof {}, not on block {}'s proof {}", child.block_number,
                       eth::to_hex(child.previous_proof_digest), p.block_number, eth::to_hex(parent_digest));
  return std::nullopt;
}

}  // namespace witprove::pipeline
