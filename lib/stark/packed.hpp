// Eight field elements processed together: the arithmetic of Fp lane by lane on Montgomery forms (as
// Plonky3's PackedMontyField31AVX2). The prover evaluates constraints on eight points at once with it, and
// the NTT runs its butterflies on it. With AVX2 (the default x86-64-v3 build) a value is one vector: sums
// and differences are corrected with an unsigned minimum, products are Montgomery reductions done on the
// even and the odd lanes with 32x32 -> 64-bit multiplies. The portable build loops over the lanes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "stark/field.hpp"

namespace witprove::stark {

inline void stream_fence() {
#if defined(__AVX2__)
  _mm_sfence();
#endif
}

struct PackedFp {
  static constexpr size_t kLanes = 8;

#if defined(__AVX2__)
  __m256i v;

  PackedFp() : v(_mm256_setzero_si256()) {}
  explicit PackedFp(__m256i x) : v(x) {}
  PackedFp(Fp x) : v(_mm256_set1_epi32(static_cast<int32_t>(x.monty()))) {}  // NOLINT: broadcast
  static PackedFp load(const Fp* p) { return PackedFp(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }
  void store(Fp* p) const { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }
  // A non-temporal store to a 32-byte aligned p: memory is written without first reading it into the cache
  // (for output that is not read again soon); stream_fence() orders such stores before later ones.
  void stream(Fp* p) const { _mm256_stream_si256(reinterpret_cast<__m256i*>(p), v); }

  friend PackedFp operator+(PackedFp a, PackedFp b) {
    const __m256i s = _mm256_add_epi32(a.v, b.v);
    return PackedFp(_mm256_min_epu32(s, _mm256_sub_epi32(s, p())));
  }
  friend PackedFp operator-(PackedFp a, PackedFp b) {
    const __m256i d = _mm256_sub_epi32(a.v, b.v);
    return PackedFp(_mm256_min_epu32(d, _mm256_add_epi32(d, p())));
  }
  friend PackedFp operator*(PackedFp a, PackedFp b) {
    const __m256i mu = _mm256_set1_epi32(static_cast<int32_t>(Fp::MU));
    const __m256i prod_even = _mm256_mul_epu32(a.v, b.v);
    const __m256i prod_odd = _mm256_mul_epu32(_mm256_srli_epi64(a.v, 32), _mm256_srli_epi64(b.v, 32));
    const __m256i qp_even = _mm256_mul_epu32(_mm256_mul_epu32(prod_even, mu), p());
    const __m256i qp_odd = _mm256_mul_epu32(_mm256_mul_epu32(prod_odd, mu), p());
    // The high halves of the products minus those of q·p: in (-p, p), as in Fp::redc.
    const __m256i prod_hi = _mm256_blend_epi32(_mm256_srli_epi64(prod_even, 32), prod_odd, 0b10101010);
    const __m256i qp_hi = _mm256_blend_epi32(_mm256_srli_epi64(qp_even, 32), qp_odd, 0b10101010);
    const __m256i d = _mm256_sub_epi32(prod_hi, qp_hi);
    return PackedFp(_mm256_min_epu32(d, _mm256_add_epi32(d, p())));
  }

 private:
  static __m256i p() { return _mm256_set1_epi32(static_cast<int32_t>(Fp::P)); }

 public:
#else
  std::array<Fp, kLanes> v{};

  PackedFp() = default;
  PackedFp(Fp x) { v.fill(x); }  // NOLINT: broadcast
  static PackedFp load(const Fp* p) {
    PackedFp r;
    for (size_t i = 0; i < kLanes; ++i) r.v[i] = p[i];
    return r;
  }
  void store(Fp* p) const {
    for (size_t i = 0; i < kLanes; ++i) p[i] = v[i];
  }
  void stream(Fp* p) const { store(p); }
  friend PackedFp operator+(PackedFp a, PackedFp b) {
    for (size_t i = 0; i < kLanes; ++i) a.v[i] += b.v[i];
    return a;
  }
  friend PackedFp operator-(PackedFp a, PackedFp b) {
    for (size_t i = 0; i < kLanes; ++i) a.v[i] -= b.v[i];
    return a;
  }
  friend PackedFp operator*(PackedFp a, PackedFp b) {
    for (size_t i = 0; i < kLanes; ++i) a.v[i] *= b.v[i];
    return a;
  }
#endif

  // The first `count` (< kLanes) values at p, zeros after them.
  static PackedFp load_partial(const Fp* p, size_t count) {
    alignas(32) Fp lanes[kLanes] = {};
    for (size_t i = 0; i < count; ++i) lanes[i] = p[i];
    return load(lanes);
  }
  // Lane i of `base[index[i]]`.
  static PackedFp gather(const Fp* base, const uint32_t* index) {
    alignas(32) Fp lanes[kLanes];
    for (size_t i = 0; i < kLanes; ++i) lanes[i] = base[index[i]];
    return load(lanes);
  }
  std::array<Fp, kLanes> lanes() const {
    std::array<Fp, kLanes> out;
    store(out.data());
    return out;
  }
  Fp sum() const {
    Fp s;
    for (Fp x : lanes()) s += x;
    return s;
  }
  friend PackedFp operator-(PackedFp a) { return PackedFp() - a; }
  PackedFp& operator+=(PackedFp b) { return *this = *this + b; }
  PackedFp& operator-=(PackedFp b) { return *this = *this - b; }
  PackedFp& operator*=(PackedFp b) { return *this = *this * b; }
};

// An extension element on eight points: one PackedFp per coordinate.
struct PackedFp4 {
  std::array<PackedFp, Fp4::D> c{};

  PackedFp4() = default;
  explicit PackedFp4(const Fp4& a) {  // broadcast
    for (size_t i = 0; i < Fp4::D; ++i) c[i] = PackedFp(a.c[i]);
  }
  PackedFp4& operator+=(const PackedFp4& b) {
    for (size_t i = 0; i < Fp4::D; ++i) c[i] += b.c[i];
    return *this;
  }
  PackedFp4& operator-=(const PackedFp4& b) {
    for (size_t i = 0; i < Fp4::D; ++i) c[i] -= b.c[i];
    return *this;
  }
  // The sum over the lanes.
  Fp4 sum() const { return {c[0].sum(), c[1].sum(), c[2].sum(), c[3].sum()}; }
  std::array<Fp4, PackedFp::kLanes> unpack() const {
    std::array<Fp4, PackedFp::kLanes> out;
    for (size_t i = 0; i < Fp4::D; ++i) {
      const auto lanes = c[i].lanes();
      for (size_t l = 0; l < PackedFp::kLanes; ++l) out[l].c[i] = lanes[l];
    }
    return out;
  }
};

// Coefficient times base values: coordinate-wise products.
inline PackedFp4 operator*(const Fp4& a, PackedFp b) {
  PackedFp4 r;
  for (size_t i = 0; i < Fp4::D; ++i) r.c[i] = PackedFp(a.c[i]) * b;
  return r;
}
inline PackedFp4 operator*(PackedFp4 a, PackedFp b) {
  for (auto& v : a.c) v *= b;
  return a;
}
inline PackedFp4 operator+(PackedFp4 a, const PackedFp4& b) { return a += b; }
inline PackedFp4 operator-(PackedFp4 a, const PackedFp4& b) { return a -= b; }
// sum_i a_i * b_i over packed base values. With AVX2 each product of two Montgomery forms (below
// p^2 < 2^62) is added in 64 bits, on the even and the odd lanes apart, and reduced once per kBatch terms:
// four products add up to less than 2p · 2^32, so subtracting p once from the high half leaves what one
// Montgomery reduction takes. A term then costs two 32x32-bit multiplies instead of a full modular product.
class PackedFpDot {
 public:
  static constexpr size_t kBatch = 4;
  void add(PackedFp a, PackedFp b) {
#if defined(__AVX2__)
    accumulate(_mm256_mul_epu32(a.v, b.v), _mm256_mul_epu32(_mm256_srli_epi64(a.v, 32), _mm256_srli_epi64(b.v, 32)));
    if (++pending_ == kBatch) reduce();
#else
    total_ += a * b;
#endif
  }
#if defined(__AVX2__)
  // Adds the 64-bit products of the even lanes and of the odd lanes (each below p^2) without counting
  // them: the caller reduces at least every kBatch terms.
  void accumulate(__m256i even, __m256i odd) {
    even_ = _mm256_add_epi64(even_, even);
    odd_ = _mm256_add_epi64(odd_, odd);
  }
  // Adds what is accumulated to the total, reduced.
  void reduce() {
    const __m256i lo = redc(even_), hi = redc(odd_);
    total_ += PackedFp(_mm256_blend_epi32(lo, _mm256_slli_epi64(hi, 32), 0b10101010));
    even_ = odd_ = _mm256_setzero_si256();
    pending_ = 0;
  }
#endif
  PackedFp value() {
#if defined(__AVX2__)
    if (pending_) reduce();
#endif
    return total_;
  }

 private:
#if defined(__AVX2__)
  // x · 2^-32 mod p per 64-bit lane, for x < 2p · 2^32; the result in the low half of each lane.
  static __m256i redc(__m256i x) {
    const __m256i p = _mm256_set1_epi64x(Fp::P), mu = _mm256_set1_epi64x(Fp::MU);
    __m256i hi = _mm256_srli_epi64(x, 32);
    hi = _mm256_min_epu32(hi, _mm256_sub_epi32(hi, p));  // below p (the high halves are zero)
    const __m256i qp = _mm256_mul_epu32(_mm256_mul_epu32(x, mu), p);
    const __m256i d = _mm256_sub_epi32(hi, _mm256_srli_epi64(qp, 32));
    return _mm256_min_epu32(d, _mm256_add_epi32(d, p));
  }
  __m256i even_ = _mm256_setzero_si256(), odd_ = _mm256_setzero_si256();
  size_t pending_ = 0;
#endif
  PackedFp total_;
};

// Extension products lane by lane, as Fp4's schoolbook with x^4 = 3: each coordinate is a sum of four
// products (the terms that wrap around take 3·x_i, computed first by additions), reduced once (PackedFpDot):
// about half the instructions of sixteen reduced products and their sums.
inline PackedFp4 operator*(const PackedFp4& a, const PackedFp4& b) {
  const auto& x = a.c;
  const auto& y = b.c;
  static_assert(Fp4::W == Fp(3));
  auto times_w = [](PackedFp t) { return t + t + t; };
  const PackedFp x1w = times_w(x[1]), x2w = times_w(x[2]), x3w = times_w(x[3]);
  auto dot4 = [](PackedFp a0, PackedFp b0, PackedFp a1, PackedFp b1, PackedFp a2, PackedFp b2, PackedFp a3, PackedFp b3) {
    PackedFpDot d;
    d.add(a0, b0);
    d.add(a1, b1);
    d.add(a2, b2);
    d.add(a3, b3);
    return d.value();
  };
  PackedFp4 r;
  r.c[0] = dot4(x[0], y[0], x1w, y[3], x2w, y[2], x3w, y[1]);
  r.c[1] = dot4(x[0], y[1], x[1], y[0], x2w, y[3], x3w, y[2]);
  r.c[2] = dot4(x[0], y[2], x[1], y[1], x[2], y[0], x3w, y[3]);
  r.c[3] = dot4(x[0], y[3], x[1], y[2], x[2], y[1], x[3], y[0]);
  return r;
}
inline PackedFp4 operator*(const Fp4& a, const PackedFp4& b) { return PackedFp4(a) * b; }

// sum_i a_i * x_i for extension coefficients a_i and packed base values x_i: D base-field dot products
// (PackedFpDot), the coefficient's coordinates broadcast.
class PackedFp4Dot {
 public:
  void add(const Fp4& a, PackedFp x) {
#if defined(__AVX2__)
    const __m256i x_odd = _mm256_srli_epi64(x.v, 32);
    for (size_t k = 0; k < Fp4::D; ++k) {
      const __m256i b = _mm256_set1_epi32(static_cast<int32_t>(a.c[k].monty()));  // its odd lanes hold it too
      dots_[k].accumulate(_mm256_mul_epu32(x.v, b), _mm256_mul_epu32(x_odd, b));
    }
    if (++pending_ == PackedFpDot::kBatch) {  // one count for the four coordinates
      for (auto& d : dots_) d.reduce();
      pending_ = 0;
    }
#else
    for (size_t k = 0; k < Fp4::D; ++k) dots_[k].add(PackedFp(a.c[k]), x);
#endif
  }
  PackedFp4 value() {
#if defined(__AVX2__)
    if (pending_) {  // the coordinates' own counts stay zero: this count stands for them
      for (auto& d : dots_) d.reduce();
      pending_ = 0;
    }
#endif
    PackedFp4 out;
    for (size_t k = 0; k < Fp4::D; ++k) out.c[k] = dots_[k].value();
    return out;
  }

 private:
  PackedFpDot dots_[Fp4::D];
#if defined(__AVX2__)
  size_t pending_ = 0;
#endif
};

// Inverts packed extension values lane by lane with Montgomery's trick: one inversion per lane for the
// whole span. A zero value leaves its lane without inverses in this span (callers divide by values that are
// zero with negligible probability, and a wrong result then fails verification).
inline void batch_inverse_lanes(std::span<PackedFp4> values) {
  std::vector<PackedFp4> prefix(values.size());
  PackedFp4 acc(Fp4::one());
  for (size_t i = 0; i < values.size(); ++i) {
    prefix[i] = acc;
    acc = acc * values[i];
  }
  const auto lanes = acc.unpack();
  PackedFp4 inv;
  for (size_t c = 0; c < Fp4::D; ++c) {
    std::array<Fp, PackedFp::kLanes> coordinate;
    for (size_t l = 0; l < PackedFp::kLanes; ++l) coordinate[l] = inverse(lanes[l]).c[c];
    inv.c[c] = PackedFp::load(coordinate.data());
  }
  for (size_t i = values.size(); i-- > 0;) {
    const PackedFp4 next = inv * values[i];
    values[i] = inv * prefix[i];
    inv = next;
  }
}

}  // namespace witprove::stark
