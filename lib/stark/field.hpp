// The Goldilocks field p = 2^64 - 2^32 + 1 and its quadratic extension F[x]/(x^2 - 7).
// Elements are kept canonical (< p) so that equality and serialization are plain integer operations.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace witprove::stark {

struct Fp {
  static constexpr uint64_t P = 0xFFFFFFFF00000001ULL;
  static constexpr uint64_t EPSILON = 0xFFFFFFFFULL;  // 2^64 mod p

  uint64_t v = 0;

  constexpr Fp() = default;
  constexpr explicit Fp(uint64_t x) : v(x >= P ? x - P : x) {}
  static constexpr Fp zero() { return Fp(); }
  static constexpr Fp one() { return Fp(1); }
  // -x for a small x, e.g. Fp::neg(1) == p - 1.
  static constexpr Fp from_i64(int64_t x) { return x >= 0 ? Fp(static_cast<uint64_t>(x)) : -Fp(static_cast<uint64_t>(-x)); }

  constexpr uint64_t value() const { return v; }
  constexpr bool is_zero() const { return v == 0; }

  friend constexpr bool operator==(Fp a, Fp b) { return a.v == b.v; }

  // Branch-free (carries are data-dependent and would mispredict half the time).
  friend constexpr Fp operator+(Fp a, Fp b) {
    uint64_t s;
    bool carry = __builtin_add_overflow(a.v, b.v, &s);
    s += EPSILON & -static_cast<uint64_t>(carry);  // cannot overflow again: a + b - 2^64 < 2^64 - 2^33
    Fp r; r.v = canonical(s); return r;
  }
  friend constexpr Fp operator-(Fp a, Fp b) {
    uint64_t d;
    bool borrow = __builtin_sub_overflow(a.v, b.v, &d);
    d -= EPSILON & -static_cast<uint64_t>(borrow);  // adds p modulo 2^64
    Fp r; r.v = d; return r;
  }
  friend constexpr Fp operator-(Fp a) { return Fp() - a; }
  friend constexpr Fp operator*(Fp a, Fp b) { return reduce128(static_cast<unsigned __int128>(a.v) * b.v); }
  constexpr Fp& operator+=(Fp b) { return *this = *this + b; }
  constexpr Fp& operator-=(Fp b) { return *this = *this - b; }
  constexpr Fp& operator*=(Fp b) { return *this = *this * b; }

  // Reduces a 128-bit product using 2^64 = 2^32 - 1 and 2^96 = -1 (mod p).
  static constexpr Fp reduce128(unsigned __int128 x) {
    uint64_t lo = static_cast<uint64_t>(x), hi = static_cast<uint64_t>(x >> 64);
    uint64_t hi_hi = hi >> 32, hi_lo = hi & EPSILON;
    uint64_t t0;
    bool borrow = __builtin_sub_overflow(lo, hi_hi, &t0);
    t0 -= EPSILON & -static_cast<uint64_t>(borrow);
    uint64_t t1 = hi_lo * EPSILON;
    uint64_t s;
    bool carry = __builtin_add_overflow(t0, t1, &s);
    s += EPSILON & -static_cast<uint64_t>(carry);
    Fp r; r.v = canonical(s); return r;
  }
  static constexpr uint64_t canonical(uint64_t x) { return x >= P ? x - P : x; }
};

constexpr Fp pow(Fp base, uint64_t e) {
  Fp r = Fp::one();
  while (e) {
    if (e & 1) r *= base;
    base *= base;
    e >>= 1;
  }
  return r;
}
// Multiplicative inverse; inverse(0) is 0.
constexpr Fp inverse(Fp a) { return pow(a, Fp::P - 2); }

// Quadratic extension: c0 + c1 * x with x^2 = 7.
struct Fp2 {
  static constexpr uint64_t W = 7;
  Fp c0, c1;

  constexpr Fp2() = default;
  constexpr Fp2(Fp a) : c0(a) {}  // NOLINT: base field embeds implicitly
  constexpr Fp2(Fp a, Fp b) : c0(a), c1(b) {}
  static constexpr Fp2 zero() { return Fp2(); }
  static constexpr Fp2 one() { return Fp2(Fp::one()); }
  constexpr bool is_zero() const { return c0.is_zero() && c1.is_zero(); }

  friend constexpr bool operator==(const Fp2&, const Fp2&) = default;
  friend constexpr Fp2 operator+(Fp2 a, Fp2 b) { return {a.c0 + b.c0, a.c1 + b.c1}; }
  friend constexpr Fp2 operator-(Fp2 a, Fp2 b) { return {a.c0 - b.c0, a.c1 - b.c1}; }
  friend constexpr Fp2 operator-(Fp2 a) { return {-a.c0, -a.c1}; }
  friend constexpr Fp2 operator*(Fp2 a, Fp2 b) {
    return {a.c0 * b.c0 + Fp(W) * (a.c1 * b.c1), a.c0 * b.c1 + a.c1 * b.c0};
  }
  friend constexpr Fp2 operator*(Fp2 a, Fp b) { return {a.c0 * b, a.c1 * b}; }
  friend constexpr Fp2 operator*(Fp a, Fp2 b) { return {a * b.c0, a * b.c1}; }
  friend constexpr Fp2 operator+(Fp2 a, Fp b) { return {a.c0 + b, a.c1}; }
  friend constexpr Fp2 operator+(Fp a, Fp2 b) { return {a + b.c0, b.c1}; }
  friend constexpr Fp2 operator-(Fp2 a, Fp b) { return {a.c0 - b, a.c1}; }
  friend constexpr Fp2 operator-(Fp a, Fp2 b) { return {a - b.c0, -b.c1}; }
  constexpr Fp2& operator+=(Fp2 b) { return *this = *this + b; }
  constexpr Fp2& operator-=(Fp2 b) { return *this = *this - b; }
  constexpr Fp2& operator*=(Fp2 b) { return *this = *this * b; }
};

constexpr Fp2 pow(Fp2 base, uint64_t e) {
  Fp2 r = Fp2::one();
  while (e) {
    if (e & 1) r *= base;
    base *= base;
    e >>= 1;
  }
  return r;
}
// (c0 + c1 x)^-1 = (c0 - c1 x) / (c0^2 - 7 c1^2); inverse(0) is 0.
constexpr Fp2 inverse(Fp2 a) {
  Fp norm = a.c0 * a.c0 - Fp(Fp2::W) * (a.c1 * a.c1);
  Fp inv = inverse(norm);
  return {a.c0 * inv, -(a.c1 * inv)};
}

// Sum of 128-bit products, reduced once at the end: three 64-bit limbs (the top one counts carries out of
// 2^128), so each constraint costs a multiply and three additions instead of a modular reduction.
class LazySum {
 public:
  void add_product(Fp a, Fp b) {
    unsigned __int128 p = static_cast<unsigned __int128>(a.value()) * b.value();
    unsigned __int128 before = low_;
    low_ += p;
    top_ += low_ < before;
  }
  // low + top * 2^128 mod p, with 2^128 = -2^32 (mod p).
  Fp value() const { return Fp::reduce128(low_) - Fp(top_) * Fp(uint64_t{1} << 32); }

 private:
  unsigned __int128 low_ = 0;
  uint64_t top_ = 0;
};

// Replaces every element by its inverse with one field inversion (Montgomery's trick). Zeros stay zero.
template <class F>
void batch_inverse(std::span<F> values) {
  std::vector<F> prefix(values.size());
  F acc = F(Fp::one());
  for (size_t i = 0; i < values.size(); ++i) {
    prefix[i] = acc;
    if (!values[i].is_zero()) acc *= values[i];
  }
  F inv = inverse(acc);
  for (size_t i = values.size(); i-- > 0;) {
    if (values[i].is_zero()) continue;
    F next = inv * values[i];
    values[i] = inv * prefix[i];
    inv = next;
  }
}

}  // namespace witprove::stark
