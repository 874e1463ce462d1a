// The Keccak-f[1600] permutation table: one row per round, 24 rows per permutation.
//
// Row layout (docs/keccak-air.md has the derivation):
//   round flags   24  one-hot round number, rotated by one position per row from round 0 on row 0
//   tag            1  permutation number: constant over a permutation, +1 after its last round
//   input mult     1  LogUp multiplicity of (tag, input) on round-0 rows, zero elsewhere
//   output mult    1  LogUp multiplicity of (tag, output) on round-23 rows, zero elsewhere
//   state limbs  100  the round's input state A, 16-bit limbs (lane x + 5y at 4 (x + 5y), least significant first)
//   theta bits  1600  A' = theta(A), bit z of lane i at i * 64 + z
//   column bits  320  C[x][z] = xor over y of A[x][y][z]
//   mixed bits   320  C'[x][z] = C[x][z] xor C[x-1][z] xor C[x+1][z-1] = xor over y of A'[x][y][z]
//   chi limbs    100  A'' = chi(pi(rho(A'))), 16-bit limbs
//   chi rc bits    7  bits 0, 1, 3, 7, 15, 31, 63 of A'' lane 0: the only bits iota's constants flip
// 2,474 columns, constraint degree 3. Limbs are 16 bits so that a limb is a field element (p < 2^31). The next round's input is chi's output with iota applied; the
// permutation's output is read on its round-23 row as a linear combination of chi limbs and chi rc bits.
//
// Buses: round-0 rows receive (tag, 100 input limbs) on bus::permutation_input and round-23 rows receive
// (tag, 100 output limbs) on bus::permutation_output (air/buses.hpp); tags are distinct per permutation, so a
// sender that sends both tuples with one tag proves output = keccak_f1600(input).
//
// Public value: the first row's tag. A statement with several permutation tables gives table k the first
// tag k * kPermutationTagStride: a table holds fewer permutations than the stride (its height is at most
// 2^23 rows), so the tables' tag ranges are disjoint and tags stay distinct across them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "air/buses.hpp"
#include "eth/keccak.hpp"
#include "stark/air.hpp"

namespace witprove::air {

namespace keccak_perm {
inline constexpr size_t rounds = 24;
inline constexpr size_t limb_bits = 16;
inline constexpr size_t limbs_per_lane = 64 / limb_bits;
inline constexpr size_t state_limb_count = 25 * limbs_per_lane;
inline constexpr size_t round_flags = 0;
inline constexpr size_t tag = round_flags + rounds;
inline constexpr size_t input_mult = tag + 1;
inline constexpr size_t output_mult = input_mult + 1;
inline constexpr size_t state_limbs = output_mult + 1;
inline constexpr size_t theta_bits = state_limbs + state_limb_count;
inline constexpr size_t column_bits = theta_bits + 1600;
inline constexpr size_t mixed_bits = column_bits + 320;
inline constexpr size_t chi_limbs = mixed_bits + 320;  // lane i at chi_limbs + limbs_per_lane * i + limb
// Every round constant has its ones among bits 2^j - 1 (0, 1, 3, 7, 15, 31, 63); iota only flips those
// bits of lane 0, so chi's lane-0 output is kept as bits there.
inline constexpr std::array<uint8_t, 7> round_constant_bits = {0, 1, 3, 7, 15, 31, 63};
inline constexpr size_t chi_rc_bits = chi_limbs + state_limb_count;
inline constexpr size_t width = chi_rc_bits + round_constant_bits.size();

// rho rotates lane (x, y) left by rho_offsets[x + 5y]: offset (t+1)(t+2)/2 along the walk
// (1,0) -> (y, 2x+3y) for t = 0..23; lane (0,0) stays.
inline constexpr std::array<uint8_t, 25> rho_offsets = [] {
  std::array<uint8_t, 25> r{};
  size_t x = 1, y = 0;
  for (size_t t = 0; t < 24; ++t) {
    r[x + 5 * y] = static_cast<uint8_t>((t + 1) * (t + 2) / 2 % 64);
    size_t nx = y, ny = (2 * x + 3 * y) % 5;
    x = nx, y = ny;
  }
  return r;
}();

// chi's input B = pi(rho(A')): B[y][2x+3y] = rotl(A'[x][y], rho_offsets[x + 5y]). Indexed by B's lane.
struct RhoPiSource {
  uint8_t lane;
  uint8_t rotation;
};
inline constexpr std::array<RhoPiSource, 25> rho_pi_source = [] {
  std::array<RhoPiSource, 25> s{};
  for (size_t y = 0; y < 5; ++y)
    for (size_t x = 0; x < 5; ++x)
      s[y + 5 * ((2 * x + 3 * y) % 5)] = {static_cast<uint8_t>(x + 5 * y), rho_offsets[x + 5 * y]};
  return s;
}();
}  // namespace keccak_perm

struct KeccakPermutationAir {
  std::string name() const { return "keccak_f1600"; }
  size_t width() const { return keccak_perm::width; }
  size_t num_public_values() const { return 1; }
  template <class Folder>
  void eval(Folder& f) const;
};

inline constexpr uint64_t kPermutationTagStride = uint64_t{1} << 23;

// Rows needed for n permutations: a power of two holding 24 n rows (at least 32).
size_t keccak_permutation_height(size_t num_permutations);

// One permutation per input, in order, tagged first_tag, first_tag + 1, ...; multiplicities one for the
// inputs' permutations (each is looked up once, by the sponge block that has its tag) and zero for the rows
// past the last input, which are filled with permutations of the zero state. Generated in parallel.
stark::Trace generate_keccak_permutation_trace(std::span<const eth::KeccakState> inputs, uint64_t first_tag = 0);

// ---------------------------------------------------------------------------------------------------------

namespace keccak_perm::detail {
inline constexpr stark::Fp pow2(unsigned k) { return stark::Fp(uint64_t{1} << k); }
// Trace writers shared by the Keccak tables: a lane as 64 bit cells, or as four 16-bit limbs.
inline void write_bits(std::span<stark::Fp> row, size_t offset, uint64_t value) {
  for (size_t z = 0; z < 64; ++z) row[offset + z] = (value >> z) & 1 ? stark::Fp::one() : stark::Fp();
}
inline void write_limbs(std::span<stark::Fp> row, size_t offset, uint64_t value) {
  for (size_t l = 0; l < limbs_per_lane; ++l) row[offset + l] = stark::Fp((value >> (limb_bits * l)) & 0xFFFF);
}
}  // namespace keccak_perm::detail

template <class Folder>
void KeccakPermutationAir::eval(Folder& f) const {
  using namespace keccak_perm;
  using stark::Fp;
  using detail::pow2;
  const Fp one = Fp::one(), two = Fp(2), four = Fp(4);
  auto xor2 = [&](const auto& a, const auto& b) {
    auto ab = a * b;
    return a + b - ab - ab;  // one product: doubling by addition, not by multiplying with 2
  };
  auto col = [&](size_t c) { return f.local(c); };
  using Expr = decltype(col(0) + col(0));

  const auto first = f.is_first_row();
  const auto transition = f.is_transition();

  // Round flags: round 0 on the first row, then each flag moves to the next round on the next row.
  f.assert_zero(first * (col(round_flags) - one));
  f.assert_zero(first * (col(tag) - f.public_value(0)));
  for (size_t r = 1; r < rounds; ++r) f.assert_zero(first * col(round_flags + r));
  for (size_t r = 0; r < rounds; ++r)
    f.assert_zero(transition * (f.next(round_flags + (r + 1) % rounds) - col(round_flags + r)));
  const Expr last_round = col(round_flags + rounds - 1);
  Expr not_last_round = col(round_flags);
  for (size_t r = 1; r + 1 < rounds; ++r) not_last_round = not_last_round + col(round_flags + r);

  f.assert_zero(transition * (f.next(tag) - col(tag) - last_round));
  f.assert_zero((one - col(round_flags)) * col(input_mult));
  f.assert_zero((one - last_round) * col(output_mult));

  auto boolean = [&](size_t c) { f.assert_zero(col(c) * (col(c) - one)); };
  for (size_t i = 0; i < 1600; ++i) boolean(theta_bits + i);
  for (size_t i = 0; i < 320; ++i) boolean(column_bits + i);

  // Theta. C' = C xor C[x-1] xor rotl(C[x+1], 1); D = C xor C' is what theta xors into every lane of column x.
  std::array<Expr, 320> d;
  for (size_t x = 0; x < 5; ++x)
    for (size_t z = 0; z < 64; ++z) {
      auto c = col(column_bits + 64 * x + z);
      auto c_left = col(column_bits + 64 * ((x + 4) % 5) + z);
      auto c_right = col(column_bits + 64 * ((x + 1) % 5) + (z + 63) % 64);
      auto mixed = col(mixed_bits + 64 * x + z);
      f.assert_zero(xor2(xor2(c, c_left), c_right) - mixed);  // also makes the mixed bits boolean
      d[64 * x + z] = xor2(c, mixed);
    }
  // C' is the xor over y of A' exactly when the sum of the five A' bits minus C' is 0, 2 or 4; with
  // A = A' xor D this makes C the column parity of A.
  for (size_t x = 0; x < 5; ++x)
    for (size_t z = 0; z < 64; ++z) {
      Expr s = col(theta_bits + 64 * x + z) - col(mixed_bits + 64 * x + z);
      for (size_t y = 1; y < 5; ++y) s = s + col(theta_bits + 64 * (x + 5 * y) + z);
      f.assert_zero(s * (s - two) * (s - four));
    }
  // The state limbs are A = A' xor D.
  constexpr size_t top = limb_bits - 1;
  for (size_t lane = 0; lane < 25; ++lane)
    for (size_t l = 0; l < limbs_per_lane; ++l) {
      const size_t x = lane % 5, z0 = limb_bits * l;
      auto a_bit = [&](size_t k) { return xor2(col(theta_bits + 64 * lane + z0 + k), d[64 * x + z0 + k]); };
      Expr limb = a_bit(top);
      for (size_t k = top; k-- > 0;) limb = limb + limb + a_bit(k);  // Horner: doublings, no products
      f.assert_zero(limb - col(state_limbs + limbs_per_lane * lane + l));
    }

  // Chi over B = pi(rho(A')): A''[x][y] = B[x][y] xor (not B[x+1][y] and B[x+2][y]).
  auto b_bit = [&](size_t lane, size_t z) {
    const auto& s = rho_pi_source[lane];
    return col(theta_bits + 64 * s.lane + (z + 64 - s.rotation) % 64);
  };
  auto chi = [&](size_t lane, size_t z) {
    const size_t x = lane % 5, y5 = lane - x;
    auto b0 = b_bit(lane, z);
    auto t = (one - b_bit(y5 + (x + 1) % 5, z)) * b_bit(y5 + (x + 2) % 5, z);
    return xor2(b0, t);
  };
  for (size_t lane = 0; lane < 25; ++lane)
    for (size_t l = 0; l < limbs_per_lane; ++l) {
      Expr limb = chi(lane, limb_bits * l + top);
      for (size_t k = top; k-- > 0;) limb = limb + limb + chi(lane, limb_bits * l + k);
      f.assert_zero(limb - col(chi_limbs + limbs_per_lane * lane + l));
    }
  for (size_t j = 0; j < round_constant_bits.size(); ++j)
    f.assert_zero(chi(0, round_constant_bits[j]) - col(chi_rc_bits + j));

  // Rounds 0..22 hand their output to the next row's state limbs. Iota on lane 0 flips bit z when the
  // round's constant has it: bit xor rc = bit + rc (1 - 2 bit), with rc = sum of the flags of rounds 0..22
  // whose constant has bit z. Summing only rounds 0..22 folds the "not last round" selector into rc and
  // keeps the degree at 3.
  for (size_t i = limbs_per_lane; i < state_limb_count; ++i)
    f.assert_zero(transition * not_last_round * (f.next(state_limbs + i) - col(chi_limbs + i)));
  const auto& constants = eth::keccak_round_constants;
  for (size_t l = 0; l < limbs_per_lane; ++l) {
    Expr sum = not_last_round * (f.next(state_limbs + l) - col(chi_limbs + l));
    for (size_t j = 0; j < round_constant_bits.size(); ++j) {
      const size_t z = round_constant_bits[j];
      if (z / limb_bits != l) continue;
      size_t r0 = 0;
      while (!((constants[r0] >> z) & 1)) ++r0;
      Expr rc = col(round_flags + r0);
      for (size_t r = r0 + 1; r + 1 < rounds; ++r)
        if ((constants[r] >> z) & 1) rc = rc + col(round_flags + r);
      sum = sum - rc * (one - col(chi_rc_bits + j) * two) * pow2(z % limb_bits);
    }
    f.assert_zero(transition * sum);
  }

  // Lookups. The tuples are fully constrained by this table (a permutation's input and output), so the
  // multiplicities may be free, except that they are zero off round-0 and round-23 rows (above); the
  // engine counts them from what the sponge sends (stark::count_multiplicities).
  std::array<Expr, 1 + state_limb_count> input, output;
  input[0] = output[0] = col(tag);
  for (size_t i = 0; i < state_limb_count; ++i) input[1 + i] = col(state_limbs + i);
  for (size_t i = limbs_per_lane; i < state_limb_count; ++i) output[1 + i] = col(chi_limbs + i);
  // Output lane 0 is chi's lane 0 with the last round constant's bits flipped: bit xor 1 = bit + (1 - 2 bit).
  const uint64_t last_rc = constants[rounds - 1];
  for (size_t l = 0; l < limbs_per_lane; ++l) {
    Expr limb = col(chi_limbs + l);
    for (size_t j = 0; j < round_constant_bits.size(); ++j) {
      const size_t z = round_constant_bits[j];
      if (z / limb_bits == l && ((last_rc >> z) & 1))
        limb = limb + (one - col(chi_rc_bits + j) * two) * pow2(z % limb_bits);
    }
    output[1 + l] = limb;
  }
  f.receive_counted(bus::permutation_input, input, input_mult);
  f.receive_counted(bus::permutation_output, output, output_mult);
}

}  // namespace witprove::air

// Each table's constraints are compiled once, in keccak_permutation.cpp, not in every file that includes this one.
extern template class witprove::stark::AirAdapter<witprove::air::KeccakPermutationAir>;
