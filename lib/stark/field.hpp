// The KoalaBear field p = 2^31 - 2^24 + 1 and its degree-4 extension F[x]/(x^4 - 3).
//
// KoalaBear is the 31-bit prime Plonky3 uses: p - 1 = 2^24 · 127 (two-adicity 24), and a cell fits in 4
// bytes, so traces, LDEs and Merkle leaves take half the memory and hashing of a 64-bit field, and eight
// products fit one AVX2 vector. Challenges live in the extension (about 2^124 elements).
//
// Elements are kept in Montgomery form x·2^32 mod p, always in [0, p): a product is three 32x32-bit
// multiplications and a subtraction (Montgomery, "Modular multiplication without trial division", 1985).
// The form is unique, so equality, Merkle leaves and the transcript use it as is (as Plonky3's
// `to_unique_u32` does); the proof's encoding writes the canonical value.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace witprove::stark {

struct Fp {
  static constexpr uint32_t P = 0x7f000001;
  // p^-1 mod 2^32 (Newton's iteration, each step doubles the correct low bits).
  static constexpr uint32_t MU = [] {
    uint32_t inv = P;
    for (int i = 0; i < 5; ++i) inv *= 2 - P * inv;
    return inv;
  }();
  static constexpr uint32_t R2 = static_cast<uint32_t>((static_cast<unsigned __int128>(1) << 64) % P);  // 2^64 mod p

  uint32_t v = 0;  // Montgomery form

  constexpr Fp() = default;
  constexpr explicit Fp(uint64_t x) : v(to_monty(x < P ? static_cast<uint32_t>(x) : static_cast<uint32_t>(x % P))) {}
  static constexpr Fp zero() { return Fp(); }
  static constexpr Fp one() { return Fp(1); }
  // From / to the Montgomery form (the SIMD kernels and the hashes work on it directly).
  static constexpr Fp from_monty(uint32_t m) {
    Fp r;
    r.v = m;
    return r;
  }
  constexpr uint32_t monty() const { return v; }

  // The canonical value in [0, p).
  constexpr uint32_t value() const { return redc(v); }
  constexpr bool is_zero() const { return v == 0; }

  friend constexpr bool operator==(Fp a, Fp b) { return a.v == b.v; }

  // Branch-free: a + b < 2p < 2^32, and min(s, s - p) picks s - p exactly when it did not wrap.
  friend constexpr Fp operator+(Fp a, Fp b) {
    uint32_t s = a.v + b.v, t = s - P;
    return from_monty(t < s ? t : s);
  }
  friend constexpr Fp operator-(Fp a, Fp b) {
    uint32_t d = a.v - b.v, t = d + P;
    return from_monty(t < d ? t : d);
  }
  friend constexpr Fp operator-(Fp a) { return Fp() - a; }
  friend constexpr Fp operator*(Fp a, Fp b) { return from_monty(redc(static_cast<uint64_t>(a.v) * b.v)); }
  constexpr Fp& operator+=(Fp b) { return *this = *this + b; }
  constexpr Fp& operator-=(Fp b) { return *this = *this - b; }
  constexpr Fp& operator*=(Fp b) { return *this = *this * b; }

  // x · 2^-32 mod p for x < p · 2^32: q = x · p^-1 mod 2^32 makes x - q p divisible by 2^32, and
  // (x - q p) / 2^32 lies in (-p, p).
  static constexpr uint32_t redc(uint64_t x) {
    const uint32_t q = static_cast<uint32_t>(x) * MU;
    const uint64_t qp = static_cast<uint64_t>(q) * P;
    const uint32_t d = static_cast<uint32_t>(x >> 32) - static_cast<uint32_t>(qp >> 32), t = d + P;
    return t < d ? t : d;
  }
  static constexpr uint32_t to_monty(uint32_t x) { return redc(static_cast<uint64_t>(x) * R2); }
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

// Degree-4 extension: c[0] + c[1] x + c[2] x^2 + c[3] x^3 with x^4 = 3. x^4 - 3 is irreducible because 3
// generates F_p^* (a non-square, and p = 1 mod 4); the test suite checks both.
struct Fp4 {
  static constexpr size_t D = 4;
  static constexpr Fp W = Fp(3);
  std::array<Fp, D> c{};

  constexpr Fp4() = default;
  constexpr Fp4(Fp a) : c{a, Fp(), Fp(), Fp()} {}  // NOLINT: base field embeds implicitly
  constexpr Fp4(Fp a0, Fp a1, Fp a2, Fp a3) : c{a0, a1, a2, a3} {}
  static constexpr Fp4 zero() { return Fp4(); }
  static constexpr Fp4 one() { return Fp4(Fp::one()); }
  // The generator x of the extension over Fp.
  static constexpr Fp4 x() { return Fp4(Fp(), Fp::one(), Fp(), Fp()); }
  constexpr bool is_zero() const { return c[0].is_zero() && c[1].is_zero() && c[2].is_zero() && c[3].is_zero(); }

  friend constexpr bool operator==(const Fp4&, const Fp4&) = default;
  friend constexpr Fp4 operator+(Fp4 a, const Fp4& b) {
    for (size_t i = 0; i < D; ++i) a.c[i] += b.c[i];
    return a;
  }
  friend constexpr Fp4 operator-(Fp4 a, const Fp4& b) {
    for (size_t i = 0; i < D; ++i) a.c[i] -= b.c[i];
    return a;
  }
  friend constexpr Fp4 operator-(Fp4 a) { return Fp4() - a; }
  // Schoolbook; each coordinate sums its products in 64 bits, two to a reduction (2 p^2 < p · 2^32).
  friend constexpr Fp4 operator*(const Fp4& a, const Fp4& b) {
    auto m = [](Fp x, Fp y) { return static_cast<uint64_t>(x.v) * y.v; };
    auto r = [](uint64_t s) { return Fp::from_monty(Fp::redc(s)); };
    const auto& x = a.c;
    const auto& y = b.c;
    return {r(m(x[0], y[0])) + W * (r(m(x[1], y[3]) + m(x[2], y[2])) + r(m(x[3], y[1]))),
            r(m(x[0], y[1]) + m(x[1], y[0])) + W * r(m(x[2], y[3]) + m(x[3], y[2])),
            r(m(x[0], y[2]) + m(x[1], y[1])) + r(m(x[2], y[0])) + W * (x[3] * y[3]),
            r(m(x[0], y[3]) + m(x[1], y[2])) + r(m(x[2], y[1]) + m(x[3], y[0]))};
  }
  friend constexpr Fp4 operator*(Fp4 a, Fp b) {
    for (auto& v : a.c) v *= b;
    return a;
  }
  friend constexpr Fp4 operator*(Fp a, Fp4 b) { return b * a; }
  friend constexpr Fp4 operator+(Fp4 a, Fp b) { a.c[0] += b; return a; }
  friend constexpr Fp4 operator+(Fp a, Fp4 b) { b.c[0] += a; return b; }
  friend constexpr Fp4 operator-(Fp4 a, Fp b) { a.c[0] -= b; return a; }
  friend constexpr Fp4 operator-(Fp a, Fp4 b) { return Fp4(a) - b; }
  constexpr Fp4& operator+=(const Fp4& b) { return *this = *this + b; }
  constexpr Fp4& operator-=(const Fp4& b) { return *this = *this - b; }
  constexpr Fp4& operator*=(const Fp4& b) { return *this = *this * b; }
};

// An extension element from its coordinates (D consecutive base values), and the element whose coordinates
// are given as extension values: sum_i x^i v_i (the value at an extension point of a polynomial committed
// as D base columns).
constexpr Fp4 from_coordinates(const Fp* v) { return {v[0], v[1], v[2], v[3]}; }
constexpr Fp4 compose(const Fp4* v) {
  Fp4 r = v[Fp4::D - 1];
  for (size_t i = Fp4::D - 1; i-- > 0;) r = r * Fp4::x() + v[i];
  return r;
}

// An extension vector as D base vectors (coordinate i of every element), for transforms done per
// coordinate, and back.
using ExtColumns = std::array<std::vector<Fp>, Fp4::D>;
inline ExtColumns split_coordinates(std::span<const Fp4> v) {
  ExtColumns out;
  for (size_t i = 0; i < Fp4::D; ++i) {
    out[i].resize(v.size());
    for (size_t j = 0; j < v.size(); ++j) out[i][j] = v[j].c[i];
  }
  return out;
}
inline std::vector<Fp4> join_coordinates(const ExtColumns& c) {
  std::vector<Fp4> out(c[0].size());
  for (size_t j = 0; j < out.size(); ++j) out[j] = {c[0][j], c[1][j], c[2][j], c[3][j]};
  return out;
}

constexpr Fp4 pow(Fp4 base, uint64_t e) {
  Fp4 r = Fp4::one();
  while (e) {
    if (e & 1) r *= base;
    base *= base;
    e >>= 1;
  }
  return r;
}

// Inverse through the tower Fp ⊂ Fp[u]/(u^2 - 3) ⊂ Fp4 with u = x^2: for a = A0 + A1 x (A0 = a0 + a2 u,
// A1 = a1 + a3 u), a · (A0 - A1 x) = A0^2 - u A1^2 =: N lies in the quadratic subfield, so
// a^-1 = (A0 - A1 x) · N^-1, and N^-1 = conj(N) / (n0^2 - 3 n1^2). inverse(0) is 0.
constexpr Fp4 inverse(const Fp4& a) {
  struct Quad {
    Fp c0, c1;
  };
  constexpr Fp w = Fp4::W;
  auto mul = [&](Quad p, Quad q) { return Quad{p.c0 * q.c0 + w * (p.c1 * q.c1), p.c0 * q.c1 + p.c1 * q.c0}; };
  const Quad a0{a.c[0], a.c[2]}, a1{a.c[1], a.c[3]};
  const Quad s0 = mul(a0, a0), s1 = mul(a1, a1);
  const Quad n{s0.c0 - w * s1.c1, s0.c1 - s1.c0};
  const Fp inv = inverse(n.c0 * n.c0 - w * (n.c1 * n.c1));
  const Quad n_inv{n.c0 * inv, -(n.c1 * inv)};
  const Quad b0 = mul(a0, n_inv), b1 = mul(a1, n_inv);
  return {b0.c0, -b1.c0, b0.c1, -b1.c1};
}

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
