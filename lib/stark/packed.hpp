// Eight field elements processed together: the arithmetic of Fp lane by lane on Montgomery forms (as
// Plonky3's PackedMontyField31AVX2). The prover evaluates constraints on eight points at once with it, and
// the NTT runs its butterflies on it. With AVX2 (the default x86-64-v3 build) a value is one vector: sums
// and differences are corrected with an unsigned minimum, products are Montgomery reductions done on the
// even and the odd lanes with 32x32 -> 64-bit multiplies. The portable build loops over the lanes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

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

}  // namespace witprove::stark
