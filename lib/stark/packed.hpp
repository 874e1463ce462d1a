// Field elements processed together, a vector's worth: the arithmetic of Fp lane by lane on Montgomery
// forms (as Plonky3's PackedMontyField31AVX2 and ...AVX512). The prover evaluates constraints on kLanes
// points at once with it, and the NTT runs its butterflies on it. A value is one vector: sixteen lanes with
// AVX-512 (an x86-64-v4 build), eight with AVX2 (x86-64-v3); sums and differences are corrected with an
// unsigned minimum, products are Montgomery reductions done on the even and the odd lanes with 32x32 ->
// 64-bit multiplies. The portable build loops over eight lanes.
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

#if defined(__AVX2__)
// The few vector operations the packed arithmetic is written in, for the widest instruction set built for:
// 32-bit lanes (add32, sub32, min_u32), 64-bit lanes (add64, the 32x32 -> 64-bit mul_even of the even
// 32-bit lanes, shifts by 32), and blend_odd (the even lanes of one vector, the odd lanes of another).
namespace simd {
#if defined(__AVX512F__) && defined(__AVX512BW__)
using Vec = __m512i;
inline constexpr size_t kLanes = 16;
// The zero-masking forms with every lane selected: the same instructions as the unmasked ones, whose GCC 12
// definitions start from an uninitialized vector that inlining reports as used uninitialized (GCC bug 105593).
inline constexpr __mmask16 kAll32 = 0xFFFF;  // 32-bit lanes
inline constexpr __mmask8 kAll64 = 0xFF;      // 64-bit lanes
inline Vec broadcast(uint32_t x) { return _mm512_set1_epi32(static_cast<int32_t>(x)); }
inline Vec broadcast64(uint64_t x) { return _mm512_set1_epi64(static_cast<int64_t>(x)); }
inline Vec zero() { return _mm512_setzero_si512(); }
inline Vec load(const void* p) { return _mm512_loadu_si512(p); }
inline void store(void* p, Vec v) { _mm512_storeu_si512(p, v); }
inline void stream(void* p, Vec v) { _mm512_stream_si512(static_cast<Vec*>(p), v); }
inline Vec add32(Vec a, Vec b) { return _mm512_add_epi32(a, b); }
inline Vec sub32(Vec a, Vec b) { return _mm512_sub_epi32(a, b); }
inline Vec min_u32(Vec a, Vec b) { return _mm512_maskz_min_epu32(kAll32, a, b); }
inline Vec add64(Vec a, Vec b) { return _mm512_add_epi64(a, b); }
inline Vec mul_even(Vec a, Vec b) { return _mm512_maskz_mul_epu32(kAll64, a, b); }
inline Vec shr32(Vec a) { return _mm512_maskz_srli_epi64(kAll64, a, 32); }
inline Vec shl32(Vec a) { return _mm512_maskz_slli_epi64(kAll64, a, 32); }
inline Vec blend_odd(Vec even, Vec odd) { return _mm512_mask_blend_epi32(0xAAAA, even, odd); }
#else
using Vec = __m256i;
inline constexpr size_t kLanes = 8;
inline Vec broadcast(uint32_t x) { return _mm256_set1_epi32(static_cast<int32_t>(x)); }
inline Vec broadcast64(uint64_t x) { return _mm256_set1_epi64x(static_cast<int64_t>(x)); }
inline Vec zero() { return _mm256_setzero_si256(); }
inline Vec load(const void* p) { return _mm256_loadu_si256(static_cast<const Vec*>(p)); }
inline void store(void* p, Vec v) { _mm256_storeu_si256(static_cast<Vec*>(p), v); }
inline void stream(void* p, Vec v) { _mm256_stream_si256(static_cast<Vec*>(p), v); }
inline Vec add32(Vec a, Vec b) { return _mm256_add_epi32(a, b); }
inline Vec sub32(Vec a, Vec b) { return _mm256_sub_epi32(a, b); }
inline Vec min_u32(Vec a, Vec b) { return _mm256_min_epu32(a, b); }
inline Vec add64(Vec a, Vec b) { return _mm256_add_epi64(a, b); }
inline Vec mul_even(Vec a, Vec b) { return _mm256_mul_epu32(a, b); }
inline Vec shr32(Vec a) { return _mm256_srli_epi64(a, 32); }
inline Vec shl32(Vec a) { return _mm256_slli_epi64(a, 32); }
inline Vec blend_odd(Vec even, Vec odd) { return _mm256_blend_epi32(even, odd, 0b10101010); }
#endif
}  // namespace simd
#endif

inline void stream_fence() {
#if defined(__AVX2__)
  _mm_sfence();
#endif
}

struct PackedFp {
#if defined(__AVX2__)
  static constexpr size_t kLanes = simd::kLanes;
  simd::Vec v;

  PackedFp() : v(simd::zero()) {}
  explicit PackedFp(simd::Vec x) : v(x) {}
  PackedFp(Fp x) : v(simd::broadcast(x.monty())) {}  // NOLINT: broadcast
  static PackedFp load(const Fp* p) { return PackedFp(simd::load(p)); }
  void store(Fp* p) const { simd::store(p, v); }
  // A non-temporal store to a p aligned to the vector's size: memory is written without first reading it
  // into the cache (for output that is not read again soon); stream_fence() orders such stores before later
  // ones.
  void stream(Fp* p) const { simd::stream(p, v); }

  friend PackedFp operator+(PackedFp a, PackedFp b) {
    const simd::Vec s = simd::add32(a.v, b.v);
    return PackedFp(simd::min_u32(s, simd::sub32(s, p())));
  }
  friend PackedFp operator-(PackedFp a, PackedFp b) {
    const simd::Vec d = simd::sub32(a.v, b.v);
    return PackedFp(simd::min_u32(d, simd::add32(d, p())));
  }
  friend PackedFp operator*(PackedFp a, PackedFp b) {
    using namespace simd;
    const Vec mu = broadcast(Fp::MU);
    const Vec prod_even = mul_even(a.v, b.v), prod_odd = mul_even(shr32(a.v), shr32(b.v));
    const Vec qp_even = mul_even(mul_even(prod_even, mu), p()), qp_odd = mul_even(mul_even(prod_odd, mu), p());
    // The high halves of the products minus those of q·p: in (-p, p), as in Fp::redc.
    const Vec d = sub32(blend_odd(shr32(prod_even), prod_odd), blend_odd(shr32(qp_even), qp_odd));
    return PackedFp(min_u32(d, add32(d, p())));
  }

 private:
  static simd::Vec p() { return simd::broadcast(Fp::P); }

 public:
#else
  static constexpr size_t kLanes = 8;
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
    alignas(64) Fp lanes[kLanes] = {};
    for (size_t i = 0; i < count; ++i) lanes[i] = p[i];
    return load(lanes);
  }
  // Lane i of `base[index[i]]`.
  static PackedFp gather(const Fp* base, const uint32_t* index) {
    alignas(64) Fp lanes[kLanes];
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

// An extension element on a vector of points: one PackedFp per coordinate.
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
// sum_i a_i * b_i over packed base values. With vectors (AVX2, AVX-512) each product of two Montgomery forms
// (below p^2 < 2^62) is added in 64 bits, on the even and the odd lanes apart, and reduced once per kBatch terms:
// four products add up to less than 2p · 2^32, so subtracting p once from the high half leaves what one
// Montgomery reduction takes. A term then costs two 32x32-bit multiplies instead of a full modular product.
class PackedFpDot {
 public:
  static constexpr size_t kBatch = 4;
  void add(PackedFp a, PackedFp b) {
#if defined(__AVX2__)
    accumulate(simd::mul_even(a.v, b.v), simd::mul_even(simd::shr32(a.v), simd::shr32(b.v)));
    if (++pending_ == kBatch) reduce();
#else
    total_ += a * b;
#endif
  }
#if defined(__AVX2__)
  // Adds the 64-bit products of the even lanes and of the odd lanes (each below p^2) without counting
  // them: the caller reduces at least every kBatch terms.
  void accumulate(simd::Vec even, simd::Vec odd) {
    even_ = simd::add64(even_, even);
    odd_ = simd::add64(odd_, odd);
  }
  // Adds what is accumulated to the total, reduced.
  void reduce() {
    total_ += PackedFp(simd::blend_odd(redc(even_), simd::shl32(redc(odd_))));
    even_ = odd_ = simd::zero();
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
  static simd::Vec redc(simd::Vec x) {
    using namespace simd;
    const Vec p = broadcast64(Fp::P), mu = broadcast64(Fp::MU);
    Vec hi = shr32(x);
    hi = min_u32(hi, sub32(hi, p));  // below p (the high halves are zero)
    const Vec d = sub32(hi, shr32(mul_even(mul_even(x, mu), p)));
    return min_u32(d, add32(d, p));
  }
  simd::Vec even_ = simd::zero(), odd_ = simd::zero();
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
    const simd::Vec x_odd = simd::shr32(x.v);
    for (size_t k = 0; k < Fp4::D; ++k) {
      const simd::Vec b = simd::broadcast(a.c[k].monty());  // its odd lanes hold it too
      dots_[k].accumulate(simd::mul_even(x.v, b), simd::mul_even(x_odd, b));
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
