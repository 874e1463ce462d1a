#include "stark/protocol.hpp"

#include <algorithm>
#include <array>

namespace witprove::stark::protocol {

void absorb_header(Transcript& t, ByteView statement, const StarkParams& params, std::span<const Air* const> airs,
                   std::span<const uint32_t> log_heights, std::span<const std::vector<Fp>> public_values) {
  t.absorb_bytes(statement);
  for (uint32_t p : {params.log_blowup, params.num_queries, params.grinding_bits, params.log_fri_arity,
                     params.log_final_poly_len})
    t.absorb_u64(p);
  t.absorb_u64(airs.size());
  for (size_t i = 0; i < airs.size(); ++i) {
    std::string name = airs[i]->name();
    t.absorb_bytes({reinterpret_cast<const uint8_t*>(name.data()), name.size()});
    t.absorb_u64(airs[i]->width());
    t.absorb_u64(log_heights[i]);
    t.absorb(std::span<const Fp>(public_values[i]));
  }
}

std::pair<Fp4, Fp4> lookup_challenges(Transcript& t, const SharedChallenges* shared) {
  if (!shared) {
    Fp4 gamma = t.challenge_ext();
    return {gamma, t.challenge_ext()};
  }
  const Fp4 both[] = {shared->gamma, shared->beta};
  t.absorb(std::span<const Fp4>(both));
  return {shared->gamma, shared->beta};
}

void absorb_openings(Transcript& t, const TableProof& tp) {
  for (const auto* v : {&tp.fixed_local, &tp.fixed_next, &tp.main_local, &tp.main_next, &tp.aux_local, &tp.aux_next,
                        &tp.quotient_chunks})
    t.absorb(std::span<const Fp4>(*v));
}

TableShape table_shape(const Air& air) {
  TableShape t{&air.summary(), logup::layout(air.summary()), 0, 0, 0, 0, {}, {}, {}};
  t.degree = logup::table_degree(*t.summary, t.layout);
  while ((1u << t.log_chunks) < t.degree - 1) ++t.log_chunks;
  t.aux_width = t.layout.aux_width();
  t.num_constraints = t.summary->num_constraints + t.layout.num_constraints();
  t.fixed_next = t.summary->fixed_next_columns;
  t.main_next = t.summary->next_columns;
  if (t.aux_width)  // the running sum's coordinates, after the groups' (logup::Layout)
    for (size_t k = 0; k < Fp4::D; ++k) t.aux_next.push_back(static_cast<uint32_t>(Fp4::D * t.layout.num_groups() + k));
  return t;
}

FriSchedule fri_schedule(std::span<const unsigned> log_lde_sizes, const StarkParams& params) {
  FriSchedule s;
  s.log_top = *std::max_element(log_lde_sizes.begin(), log_lde_sizes.end());
  unsigned smallest = *std::min_element(log_lde_sizes.begin(), log_lde_sizes.end());
  s.log_final_size = std::min(smallest, params.log_final_poly_len + params.log_blowup);
  unsigned size = s.log_top;
  while (size > s.log_final_size) {
    unsigned stop = s.log_final_size;
    for (unsigned l : log_lde_sizes)
      if (l < size) stop = std::max(stop, l);
    unsigned arity = std::min(params.log_fri_arity, size - stop);
    s.rounds.push_back({size, arity});
    size -= arity;
  }
  return s;
}

Fp4 fold_group(std::span<const Fp4> values, Fp s, Fp4 beta) {
  const size_t n = values.size();
  std::array<std::array<Fp, size_t{1} << kMaxLogArity>, Fp4::D> coords;
  const unsigned k = static_cast<unsigned>(__builtin_ctzll(n));
  for (size_t m = 0; m < n; ++m) {
    const Fp4& v = values[reverse_bits(m, k)];
    for (size_t i = 0; i < Fp4::D; ++i) coords[i][m] = v.c[i];
  }
  // iDFT gives s^j f_j(s^n); fold with (beta / s)^j by Horner from the top.
  for (auto& c : coords) intt(std::span(c.data(), n));
  Fp4 r = beta * inverse(s), acc;
  for (size_t j = n; j-- > 0;) acc = acc * r + Fp4(coords[0][j], coords[1][j], coords[2][j], coords[3][j]);
  return acc;
}

}  // namespace witprove::stark::protocol
