// Pieces of the protocol that prover and verifier must compute identically: the transcript header,
// domains and selectors, the LogUp fingerprint, the FRI folding schedule and the fold of one group.
// Internal to lib/stark.
#pragma once

#include <algorithm>
#include <span>
#include <string_view>
#include <vector>

#include "stark/air.hpp"
#include "stark/logup.hpp"
#include "stark/ntt.hpp"
#include "stark/stark.hpp"
#include "stark/transcript.hpp"

namespace witprove::stark::protocol {

inline constexpr std::string_view kDomain = "witprove-stark-v5";
inline constexpr std::string_view kSegmentsDomain = "witprove-stark-segments-v1";
inline constexpr unsigned kMaxLogHeight = 23;  // per table; bounds every allocation the verifier makes
inline constexpr unsigned kMaxLogArity = 4;
// The largest table height (log) with these parameters: its LDE must fit the field's 2^24-point subgroup.
inline unsigned max_log_height(const StarkParams& p) { return std::min(kMaxLogHeight, kTwoAdicity - p.log_blowup); }

// Absorbs the statement, the parameters and each table's name, width, height and public values.
void absorb_header(Transcript& t, ByteView statement, const StarkParams& params, std::span<const Air* const> airs,
                   std::span<const uint32_t> log_heights, std::span<const std::vector<Fp>> public_values);

// The LogUp challenges (gamma, beta), once the main roots are absorbed: drawn from the transcript, or the
// segments' shared ones, which are then absorbed so that every later challenge depends on them.
std::pair<Fp4, Fp4> lookup_challenges(Transcript& t, const SharedChallenges* shared);

// Absorbs a table's out-of-domain values: fixed, main and auxiliary at zeta and at zeta·w (the columns of
// TableShape's next-row mask), then the quotient chunks.
void absorb_openings(Transcript& t, const TableProof& tp);

// What prover and verifier derive alike from a table's AIR: its symbolic summary, the LogUp layout, the
// degree, the number of quotient chunks (a power of two: a degree-d constraint divided by Z_H has degree
// (d - 1) n), the auxiliary width, the number of constraints folded per point, and the columns opened at
// zeta·w: those eval reads on the next row, and the running sum's D coordinates (the last auxiliary ones).
struct TableShape {
  const AirSummary* summary;
  logup::Layout layout;
  unsigned degree;
  unsigned log_chunks;
  size_t aux_width;
  size_t num_constraints;
  std::span<const uint32_t> fixed_next, main_next;  // the summary's next-row mask
  std::vector<uint32_t> aux_next;
};
TableShape table_shape(const Air& air);

// Shift of a table's LDE coset: the FRI layer of the same size lives on generator^(2^(L0 - L)) · H.
inline Fp layer_shift(unsigned log_top, unsigned log_size) { return pow(kGenerator, uint64_t{1} << (log_top - log_size)); }
// Point at `index` of a bit-reversed FRI layer, which is also the LDE row of a table of that size.
inline Fp layer_point(unsigned log_top, unsigned log_size, size_t index) {
  return layer_shift(log_top, log_size) * pow(two_adic_root(log_size), reverse_bits(index, log_size));
}

struct FriRound {
  unsigned log_size;   // of this layer's codeword
  unsigned log_arity;  // folded into 2^log_size >> log_arity
};
struct FriSchedule {
  std::vector<FriRound> rounds;
  unsigned log_top;         // layer 0
  unsigned log_final_size;  // codeword size at the end, = final polynomial length * blowup
};
// Rounds stop at every table's LDE size (so it can be added in) and at the final size.
FriSchedule fri_schedule(std::span<const unsigned> log_lde_sizes, const StarkParams& params);

// Folds values f(s · w^rev(l)), l < 2^k (w of order 2^k), into sum_j beta^j f_j(s^(2^k)) where
// f(x) = sum_j x^j f_j(x^(2^k)).
Fp4 fold_group(std::span<const Fp4> values, Fp s, Fp4 beta);

}  // namespace witprove::stark::protocol
