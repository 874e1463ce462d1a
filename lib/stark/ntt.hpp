// Number-theoretic transforms over the two-adic subgroups of KoalaBear, and coset low-degree extension.
// All vectors are in natural order unless a name says otherwise; sizes are powers of two.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "stark/field.hpp"

namespace witprove::stark {

inline constexpr unsigned kTwoAdicity = 24;  // p - 1 = 2^24 · 127
// 3 generates the multiplicative group of KoalaBear; it is also the shift of the largest LDE coset.
inline constexpr Fp kGenerator{3};

// A primitive 2^log_n-th root of unity (log_n <= 24).
constexpr Fp two_adic_root(unsigned log_n) {
  return pow(pow(kGenerator, (Fp::P - 1) >> kTwoAdicity), uint64_t{1} << (kTwoAdicity - log_n));
}

constexpr size_t reverse_bits(size_t x, unsigned bits) {
  uint64_t v = x;
  v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
  v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
  v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
  v = __builtin_bswap64(v);
  return bits == 0 ? 0 : static_cast<size_t>(v >> (64 - bits));
}

template <class T>
void bit_reverse_permute(std::span<T> v) {
  unsigned bits = static_cast<unsigned>(__builtin_ctzll(v.size()));
  for (size_t i = 0; i < v.size(); ++i) {
    size_t j = reverse_bits(i, bits);
    if (i < j) std::swap(v[i], v[j]);
  }
}

// Values on H (size n) -> coefficients, in place.
void intt(std::span<Fp> values);
// The same from values in bit-reversed order (no permutation pass: the order decimation in time takes).
void intt_bit_reversed(std::span<Fp> values);
// Coefficients -> values on H, in place.
void ntt(std::span<Fp> coeffs);
// Extension values on shift·H in bit-reversed order -> the coefficients of each coordinate (a polynomial
// over Fp4 is D polynomials over Fp).
ExtColumns coset_intt_bit_reversed(std::span<const Fp4> values, Fp shift);
// Evaluates a polynomial on shift·H, |H| = buffer.size(), in bit-reversed order: out[s] = p(shift · w^rev(s)),
// in place: `buffer` holds the n = buffer.size() >> log_blowup coefficients in its first n entries and
// receives the extension. Done as 2^log_blowup transforms of size n (one per coset of the trace subgroup),
// with no permutation pass: the bit-reversed order is the natural output order of decimation in frequency.
void coset_lde_bit_reversed_in_place(std::span<Fp> buffer, unsigned log_blowup, Fp shift);
// The same from the polynomial's values on H_n (n = buffer.size() >> log_blowup) in bit-reversed order
// in the first n entries: interpolation and extension, the interpolation's 1/n folded into the coset scaling.
void lde_bit_reversed_in_place(std::span<Fp> buffer, unsigned log_blowup, Fp shift);

// [1, x, x^2, ..., x^(n-1)]
template <class F>
std::vector<F> powers(F x, size_t n) {
  std::vector<F> out(n);
  F acc = F(Fp::one());
  for (size_t i = 0; i < n; ++i) {
    out[i] = acc;
    acc *= x;
  }
  return out;
}

}  // namespace witprove::stark
