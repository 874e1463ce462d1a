#include "air/keccak_permutation.hpp"

#include <oneapi/tbb/parallel_for.h>

#include <bit>
#include <stdexcept>

namespace witprove::air {

using stark::Fp;
using stark::LinearCombination;
using namespace keccak_perm;
using detail::write_bits;
using detail::write_limbs;

std::vector<stark::Interaction> KeccakPermutationAir::interactions() const {
  const Fp minus_one = -Fp::one();
  stark::Interaction input{keccak_bus::permutation_input, {}, {{{static_cast<uint32_t>(input_mult), minus_one}}, Fp()}};
  stark::Interaction output{keccak_bus::permutation_output, {}, {{{static_cast<uint32_t>(output_mult), minus_one}}, Fp()}};
  input.values.push_back(LinearCombination::column(tag));
  output.values.push_back(LinearCombination::column(tag));
  for (uint32_t i = 0; i < 50; ++i) input.values.push_back(LinearCombination::column(state_limbs + i));
  // Output lane 0 is chi's lane 0 with the last round constant's bits flipped: + 2^k (1 - 2 bit).
  const uint64_t rc = eth::keccak_round_constants[rounds - 1];
  for (uint32_t half = 0; half < 2; ++half) {
    LinearCombination lc = LinearCombination::column(static_cast<uint32_t>(chi_limbs + half));
    for (size_t j = 0; j < round_constant_bits.size(); ++j) {
      const size_t z = round_constant_bits[j];
      if (z / 32 != half || !((rc >> z) & 1)) continue;
      const Fp weight = detail::pow2(z % 32);
      lc.constant += weight;
      lc.terms.push_back({static_cast<uint32_t>(chi_rc_bits + j), -(weight + weight)});
    }
    output.values.push_back(std::move(lc));
  }
  for (uint32_t i = 2; i < 50; ++i) output.values.push_back(LinearCombination::column(chi_limbs + i));
  return {std::move(input), std::move(output)};
}

size_t keccak_permutation_height(size_t num_permutations) {
  return std::bit_ceil(std::max<size_t>(32, rounds * num_permutations));
}

namespace {

// Fills the rows of one permutation (fewer than 24 when the trace ends first).
void fill_permutation(stark::Trace& trace, size_t first_row, size_t permutation_tag, const eth::KeccakState& input,
                      uint32_t multiplicity) {
  uint64_t a[25];
  std::copy(input.begin(), input.end(), a);
  const size_t end = std::min(trace.height, first_row + rounds);
  for (size_t r = 0; first_row + r < end; ++r) {
    auto row = trace.row(first_row + r);
    row[round_flags + r] = Fp::one();
    row[tag] = Fp(permutation_tag);
    if (r == 0) row[input_mult] = Fp(multiplicity);
    if (r == rounds - 1) row[output_mult] = Fp(multiplicity);
    for (size_t i = 0; i < 25; ++i) write_limbs(row, state_limbs + 2 * i, a[i]);

    uint64_t c[5], mixed[5], theta[25];
    for (size_t x = 0; x < 5; ++x) c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
    for (size_t x = 0; x < 5; ++x) {
      const uint64_t d = c[(x + 4) % 5] ^ std::rotl(c[(x + 1) % 5], 1);
      mixed[x] = c[x] ^ d;
      for (size_t y = 0; y < 5; ++y) theta[x + 5 * y] = a[x + 5 * y] ^ d;
      write_bits(row, column_bits + 64 * x, c[x]);
      write_bits(row, mixed_bits + 64 * x, mixed[x]);
    }
    uint64_t b[25];
    for (size_t i = 0; i < 25; ++i) {
      write_bits(row, theta_bits + 64 * i, theta[i]);
      b[i] = std::rotl(theta[rho_pi_source[i].lane], rho_pi_source[i].rotation);
    }
    for (size_t y = 0; y < 5; ++y)
      for (size_t x = 0; x < 5; ++x)
        a[x + 5 * y] = b[x + 5 * y] ^ (~b[(x + 1) % 5 + 5 * y] & b[(x + 2) % 5 + 5 * y]);
    for (size_t i = 0; i < 25; ++i) write_limbs(row, chi_limbs + 2 * i, a[i]);
    for (size_t j = 0; j < round_constant_bits.size(); ++j) row[chi_rc_bits + j] = Fp((a[0] >> round_constant_bits[j]) & 1);
    a[0] ^= eth::keccak_round_constants[r];
  }
}

}  // namespace

stark::Trace generate_keccak_permutation_trace(std::span<const eth::KeccakState> inputs,
                                               std::span<const uint32_t> multiplicities) {
  if (!multiplicities.empty() && multiplicities.size() != inputs.size())
    throw std::invalid_argument("generate_keccak_permutation_trace: one multiplicity per input expected");
  stark::Trace trace(width, keccak_permutation_height(inputs.size()));
  const size_t slots = (trace.height + rounds - 1) / rounds;
  const eth::KeccakState zero{};
  tbb::parallel_for(tbb::blocked_range<size_t>(0, slots, 16), [&](const tbb::blocked_range<size_t>& range) {
    for (size_t p = range.begin(); p < range.end(); ++p) {
      const bool real = p < inputs.size();
      fill_permutation(trace, rounds * p, p, real ? inputs[p] : zero,
                       real && !multiplicities.empty() ? multiplicities[p] : 0);
    }
  });
  return trace;
}

}  // namespace witprove::air
