#include "stark/fri.hpp"

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <algorithm>

#include "stark/ntt.hpp"
#include "stark/pcs.hpp"

namespace witprove::stark::fri {
namespace {

MerkleTree commit_layer(const std::vector<Fp4>& values, unsigned log_arity) {
  size_t group = size_t{1} << log_arity, groups = values.size() >> log_arity;
  return build_merkle_tree(groups, 256, [&](size_t first, size_t last, Digest* out) {
    for (size_t g = first; g < last; ++g)
      out[g - first] = hash_elements({reinterpret_cast<const Fp*>(values.data() + g * group), Fp4::D * group});
  });
}

// Adds coeff · codeword of every table whose LDE has 2^log_size points.
void add_tables(unsigned log_size, std::span<const unsigned> log_lde, std::span<const std::vector<Fp4>> codewords,
                std::vector<Fp4>& codeword, Fp4 coeff) {
  for (size_t i = 0; i < log_lde.size(); ++i) {
    if (log_lde[i] != log_size) continue;
    if (codeword.empty()) codeword.assign(size_t{1} << log_size, Fp4());
    const auto& r = codewords[i];
    tbb::parallel_for(size_t{0}, r.size(), [&](size_t j) { codeword[j] += coeff * r[j]; });
  }
}

}  // namespace

std::vector<Layer> commit(const protocol::FriSchedule& schedule, std::span<const unsigned> log_lde,
                          std::span<const std::vector<Fp4>> codewords, unsigned log_blowup, Transcript& transcript,
                          FriProof& proof) {
  std::vector<Fp4> codeword;
  add_tables(schedule.log_top, log_lde, codewords, codeword, Fp4::one());
  std::vector<Layer> layers;
  for (const auto& round : schedule.rounds) {
    Layer layer{std::move(codeword), {}, round.log_arity};
    layer.tree = commit_layer(layer.values, round.log_arity);
    proof.layer_roots.push_back(layer.tree.root());
    transcript.absorb(layer.tree.root());
    Fp4 beta = transcript.challenge_ext();
    size_t group = size_t{1} << round.log_arity, groups = layer.values.size() >> round.log_arity;
    unsigned log_groups = round.log_size - round.log_arity;
    Fp shift = protocol::layer_shift(schedule.log_top, round.log_size);
    Fp root = two_adic_root(round.log_size);
    codeword.assign(groups, Fp4());
    tbb::parallel_for(size_t{0}, groups, [&](size_t g) {
      Fp s = shift * pow(root, reverse_bits(g, log_groups));
      codeword[g] = protocol::fold_group({layer.values.data() + g * group, group}, s, beta);
    });
    add_tables(log_groups, log_lde, codewords, codeword, pow(beta, group));
    layers.push_back(std::move(layer));
  }
  // Final polynomial: interpolate the last codeword and keep the low coefficients (an honest prover's
  // higher coefficients are zero).
  const auto coeffs = join_coordinates(
      coset_intt_bit_reversed(codeword, protocol::layer_shift(schedule.log_top, schedule.log_final_size)));
  proof.final_poly.assign(coeffs.begin(), coeffs.begin() + static_cast<ptrdiff_t>(codeword.size() >> log_blowup));
  transcript.absorb(std::span<const Fp4>(proof.final_poly));
  return layers;
}

std::optional<std::vector<size_t>> draw_queries(Transcript& transcript, uint64_t nonce, const StarkParams& params,
                                                unsigned log_top) {
  if (!transcript.check_pow(nonce, params.grinding_bits)) return std::nullopt;
  transcript.absorb_u64(nonce);
  std::vector<size_t> queries(params.num_queries);
  for (auto& q : queries) q = transcript.challenge_index(log_top);
  return queries;
}

std::vector<size_t> query_positions(std::span<const size_t> queries, unsigned log_top, unsigned log_size,
                                    unsigned log_arity) {
  std::vector<size_t> out;
  out.reserve(queries.size());
  for (size_t q : queries) out.push_back(q >> (log_top - log_size) >> log_arity);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void open(std::span<const Layer> layers, std::span<const size_t> queries, unsigned log_top, FriProof& proof) {
  for (const auto& layer : layers) {
    unsigned log_size = static_cast<unsigned>(__builtin_ctzll(layer.values.size()));
    auto groups = query_positions(queries, log_top, log_size, layer.log_arity);
    TreeOpening o;
    size_t group = size_t{1} << layer.log_arity;
    for (size_t g : groups) {
      const Fp* p = reinterpret_cast<const Fp*>(layer.values.data() + g * group);
      o.rows.emplace_back(p, p + Fp4::D * group);
    }
    o.siblings = open_merkle_batch(layer.tree, groups);
    proof.layer_openings.push_back(std::move(o));
  }
}

std::vector<Fp4> replay_commit(const FriProof& proof, Transcript& transcript) {
  std::vector<Fp4> betas;
  for (const auto& root : proof.layer_roots) {
    transcript.absorb(root);
    betas.push_back(transcript.challenge_ext());
  }
  transcript.absorb(std::span<const Fp4>(proof.final_poly));
  return betas;
}

std::optional<std::string> verify_queries(const FriProof& proof, const protocol::FriSchedule& schedule,
                                          std::span<const Fp4> betas, std::span<const size_t> queries,
                                          const std::function<Fp4(unsigned, size_t)>& tables_at) {
  std::vector<std::vector<size_t>> layer_groups(schedule.rounds.size());
  for (size_t r = 0; r < schedule.rounds.size(); ++r) {
    const auto& round = schedule.rounds[r];
    layer_groups[r] = query_positions(queries, schedule.log_top, round.log_size, round.log_arity);
    if (auto e = pcs::check_opening(proof.layer_openings[r], proof.layer_roots[r], round.log_size - round.log_arity,
                                    layer_groups[r], Fp4::D << round.log_arity, fmt::format("FRI layer {}", r)))
      return e;
  }

  Fp final_shift = protocol::layer_shift(schedule.log_top, schedule.log_final_size);
  for (size_t q : queries) {
    Fp4 value = tables_at(schedule.log_top, q);
    for (size_t r = 0; r < schedule.rounds.size(); ++r) {
      const auto& round = schedule.rounds[r];
      size_t idx = q >> (schedule.log_top - round.log_size);
      size_t g = idx >> round.log_arity, pos = idx & ((size_t{1} << round.log_arity) - 1);
      const auto& groups = layer_groups[r];
      const auto& row = proof.layer_openings[r].rows[static_cast<size_t>(
          std::lower_bound(groups.begin(), groups.end(), g) - groups.begin())];
      std::vector<Fp4> group(size_t{1} << round.log_arity);
      for (size_t j = 0; j < group.size(); ++j) group[j] = from_coordinates(row.data() + Fp4::D * j);
      if (!(group[pos] == value)) return fmt::format("FRI layer {}: query {} is inconsistent with the previous layer", r, q);
      unsigned log_groups = round.log_size - round.log_arity;
      Fp s = protocol::layer_point(schedule.log_top, round.log_size, g << round.log_arity);
      value = protocol::fold_group(group, s, betas[r]) + pow(betas[r], group.size()) * tables_at(log_groups, q);
    }
    size_t idx = q >> (schedule.log_top - schedule.log_final_size);
    Fp x = final_shift * pow(two_adic_root(schedule.log_final_size), reverse_bits(idx, schedule.log_final_size));
    Fp4 expected;
    for (size_t j = proof.final_poly.size(); j-- > 0;) expected = expected * x + proof.final_poly[j];
    if (!(expected == value)) return fmt::format("FRI query {} does not match the final polynomial", q);
  }
  return std::nullopt;
}

}  // namespace witprove::stark::fri
