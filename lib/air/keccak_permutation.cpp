#include "air/keccak_permutation.hpp"

#include <oneapi/tbb/parallel_for.h>

#include <bit>

#include "stark/folders.hpp"

namespace witprove::air {

using stark::Fp;
using namespace keccak_perm;
using detail::write_bits;
using detail::write_limbs;

size_t keccak_permutation_height(size_t num_permutations) {
  return std::bit_ceil(std::max<size_t>(32, rounds * num_permutations));
}

namespace {

// Fills the rows of one permutation (fewer than 24 when the trace ends first).
void fill_permutation(stark::Trace& trace, size_t first_row, size_t permutation_tag, const eth::KeccakState& input) {
  uint64_t a[25];
  std::copy(input.begin(), input.end(), a);
  const size_t end = std::min(trace.height, first_row + rounds);
  for (size_t r = 0; first_row + r < end; ++r) {
    auto row = trace.row(first_row + r);
    row[round_flags + r] = Fp::one();
    row[tag] = Fp(permutation_tag);
    for (size_t i = 0; i < 25; ++i) write_limbs(row, state_limbs + limbs_per_lane * i, a[i]);

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
    for (size_t i = 0; i < 25; ++i) write_limbs(row, chi_limbs + limbs_per_lane * i, a[i]);
    for (size_t j = 0; j < round_constant_bits.size(); ++j) row[chi_rc_bits + j] = (a[0] >> round_constant_bits[j]) & 1 ? Fp::one() : Fp();
    a[0] ^= eth::keccak_round_constants[r];
  }
}

}  // namespace

stark::Trace generate_keccak_permutation_trace(std::span<const eth::KeccakState> inputs, uint64_t first_tag) {
  stark::Trace trace(width, keccak_permutation_height(inputs.size()));
  const size_t slots = (trace.height + rounds - 1) / rounds;
  const eth::KeccakState zero{};
  tbb::parallel_for(tbb::blocked_range<size_t>(0, slots, 16), [&](const tbb::blocked_range<size_t>& range) {
    for (size_t p = range.begin(); p < range.end(); ++p) {
      fill_permutation(trace, rounds * p, first_tag + p, p < inputs.size() ? inputs[p] : zero);
      if (p < inputs.size()) {
        trace.at(rounds * p, input_mult) = Fp::one();
        trace.at(rounds * p + rounds - 1, output_mult) = Fp::one();
      }
    }
  });
  return trace;
}

}  // namespace witprove::air

template class witprove::stark::AirAdapter<witprove::air::KeccakPermutationAir>;
