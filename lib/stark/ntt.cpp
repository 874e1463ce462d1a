#include "stark/ntt.hpp"

#include <array>
#include <mutex>

#if defined(__x86_64__)
// GCC 12 reports the deliberately undefined vectors inside its own AVX-512 intrinsics as uninitialized.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#endif

namespace witprove::stark {
namespace {

// Per size, the twiddles of every radix-2 stage laid out contiguously: stage with half-width h uses
// entries [h - 1, 2h - 1), i.e. w_{2h}^j for j < h. Built once per size and direction.
struct TwiddleCache {
  std::array<std::once_flag, kTwoAdicity + 1> once;
  std::array<std::vector<Fp>, kTwoAdicity + 1> table;
};

const std::vector<Fp>& twiddles(unsigned log_n, bool inverse) {
  static TwiddleCache caches[2];
  auto& cache = caches[inverse];
  std::call_once(cache.once[log_n], [&] {
    size_t n = size_t{1} << log_n;
    std::vector<Fp> t(n > 1 ? n - 1 : 0);
    for (unsigned s = 1; s <= log_n; ++s) {
      size_t h = size_t{1} << (s - 1);
      Fp w = two_adic_root(s);
      if (inverse) w = stark::inverse(w);
      Fp acc = Fp::one();
      for (size_t j = 0; j < h; ++j) {
        t[h - 1 + j] = acc;
        acc *= w;
      }
    }
    cache.table[log_n] = std::move(t);
  });
  return cache.table[log_n];
}

#if defined(__x86_64__)
// Eight Goldilocks lanes in AVX-512, same arithmetic as Fp (canonical values, masks for carries). Used for
// butterfly stages of half-width >= 8 when the CPU has AVX-512F; the build target stays x86-64-v3.
namespace avx512 {

constexpr size_t kLanes = 8;

__attribute__((target("avx512f"))) inline __m512i add(__m512i a, __m512i b) {
  const __m512i eps = _mm512_set1_epi64(static_cast<int64_t>(Fp::EPSILON));
  const __m512i p = _mm512_set1_epi64(static_cast<int64_t>(Fp::P));
  __m512i s = _mm512_add_epi64(a, b);
  s = _mm512_mask_add_epi64(s, _mm512_cmplt_epu64_mask(s, a), s, eps);
  return _mm512_mask_sub_epi64(s, _mm512_cmpge_epu64_mask(s, p), s, p);
}

__attribute__((target("avx512f"))) inline __m512i sub(__m512i a, __m512i b) {
  const __m512i eps = _mm512_set1_epi64(static_cast<int64_t>(Fp::EPSILON));
  __m512i d = _mm512_sub_epi64(a, b);
  return _mm512_mask_sub_epi64(d, _mm512_cmplt_epu64_mask(a, b), d, eps);
}

__attribute__((target("avx512f"))) inline __m512i mul(__m512i a, __m512i b) {
  const __m512i eps = _mm512_set1_epi64(static_cast<int64_t>(Fp::EPSILON));
  const __m512i p = _mm512_set1_epi64(static_cast<int64_t>(Fp::P));
  // 128-bit products from four 32x32 partial products.
  __m512i a_hi = _mm512_srli_epi64(a, 32), b_hi = _mm512_srli_epi64(b, 32);
  __m512i ll = _mm512_mul_epu32(a, b), lh = _mm512_mul_epu32(a, b_hi);
  __m512i hl = _mm512_mul_epu32(a_hi, b), hh = _mm512_mul_epu32(a_hi, b_hi);
  __m512i mid = _mm512_add_epi64(lh, hl);
  __mmask8 mid_carry = _mm512_cmplt_epu64_mask(mid, lh);
  __m512i lo = _mm512_add_epi64(ll, _mm512_slli_epi64(mid, 32));
  __mmask8 lo_carry = _mm512_cmplt_epu64_mask(lo, ll);
  __m512i hi = _mm512_add_epi64(hh, _mm512_srli_epi64(mid, 32));
  hi = _mm512_mask_add_epi64(hi, mid_carry, hi, _mm512_set1_epi64(int64_t{1} << 32));
  hi = _mm512_mask_add_epi64(hi, lo_carry, hi, _mm512_set1_epi64(1));
  // Reduce as Fp::reduce128: 2^64 = 2^32 - 1 and 2^96 = -1.
  __m512i hi_hi = _mm512_srli_epi64(hi, 32), hi_lo = _mm512_and_si512(hi, eps);
  __m512i t0 = _mm512_sub_epi64(lo, hi_hi);
  t0 = _mm512_mask_sub_epi64(t0, _mm512_cmplt_epu64_mask(lo, hi_hi), t0, eps);
  __m512i t1 = _mm512_sub_epi64(_mm512_slli_epi64(hi_lo, 32), hi_lo);
  __m512i s = _mm512_add_epi64(t0, t1);
  s = _mm512_mask_add_epi64(s, _mm512_cmplt_epu64_mask(s, t0), s, eps);
  return _mm512_mask_sub_epi64(s, _mm512_cmpge_epu64_mask(s, p), s, p);
}

__attribute__((target("avx512f"))) void dif_stage(Fp* a, size_t n, size_t h, const Fp* w) {
  for (size_t start = 0; start < n; start += 2 * h) {
    Fp* lo = a + start;
    Fp* hi = lo + h;
    for (size_t j = 0; j < h; j += kLanes) {
      __m512i x = _mm512_loadu_si512(lo + j), y = _mm512_loadu_si512(hi + j), t = _mm512_loadu_si512(w + j);
      _mm512_storeu_si512(lo + j, add(x, y));
      _mm512_storeu_si512(hi + j, mul(sub(x, y), t));
    }
  }
}

__attribute__((target("avx512f"))) void dit_stage(Fp* a, size_t n, size_t h, const Fp* w) {
  for (size_t start = 0; start < n; start += 2 * h) {
    Fp* lo = a + start;
    Fp* hi = lo + h;
    for (size_t j = 0; j < h; j += kLanes) {
      __m512i x = _mm512_loadu_si512(lo + j), t = mul(_mm512_loadu_si512(hi + j), _mm512_loadu_si512(w + j));
      _mm512_storeu_si512(lo + j, add(x, t));
      _mm512_storeu_si512(hi + j, sub(x, t));
    }
  }
}

// The last DIF stages (half-widths 4, 2, 1) pair lanes of the same vector; they run on two vectors at a
// time, gathering the butterflies' inputs with permutes and scattering the outputs back.
struct TailStage {
  alignas(64) int64_t lo[kLanes], hi[kLanes];        // positions in the 16-element pair (A: 0..7, B: 8..15)
  alignas(64) int64_t back_a[kLanes], back_b[kLanes];  // inverse: where each output position comes from
  size_t twiddle[kLanes];                             // j = position mod h
};

constexpr TailStage tail_stage(size_t h) {
  TailStage t{};
  size_t k = 0;
  for (size_t pos = 0; pos < 2 * kLanes; ++pos) {
    if (pos % (2 * h) >= h) continue;
    t.lo[k] = static_cast<int64_t>(pos);
    t.hi[k] = static_cast<int64_t>(pos + h);
    t.twiddle[k] = pos % h;
    int64_t* back_lo = pos < kLanes ? t.back_a : t.back_b;
    int64_t* back_hi = pos + h < kLanes ? t.back_a : t.back_b;
    back_lo[pos % kLanes] = static_cast<int64_t>(k);
    back_hi[(pos + h) % kLanes] = static_cast<int64_t>(kLanes + k);
    ++k;
  }
  return t;
}

constexpr TailStage kTail[3] = {tail_stage(4), tail_stage(2), tail_stage(1)};

__attribute__((target("avx512f"))) void dif_tail(Fp* a, size_t n, const Fp* tw) {
  __m512i w[3];
  for (size_t s = 0; s < 3; ++s) {
    size_t h = size_t{4} >> s;
    alignas(64) Fp ws[kLanes];
    for (size_t k = 0; k < kLanes; ++k) ws[k] = tw[h - 1 + kTail[s].twiddle[k]];
    w[s] = _mm512_load_si512(ws);
  }
  for (size_t i = 0; i < n; i += 2 * kLanes) {
    __m512i va = _mm512_loadu_si512(a + i), vb = _mm512_loadu_si512(a + i + kLanes);
    for (size_t s = 0; s < 3; ++s) {
      const TailStage& t = kTail[s];
      __m512i x = _mm512_permutex2var_epi64(va, _mm512_load_si512(t.lo), vb);
      __m512i y = _mm512_permutex2var_epi64(va, _mm512_load_si512(t.hi), vb);
      __m512i sum = add(x, y), diff = sub(x, y);
      if (s < 2) diff = mul(diff, w[s]);  // half-width 1 has twiddle 1
      va = _mm512_permutex2var_epi64(sum, _mm512_load_si512(t.back_a), diff);
      vb = _mm512_permutex2var_epi64(sum, _mm512_load_si512(t.back_b), diff);
    }
    _mm512_storeu_si512(a + i, va);
    _mm512_storeu_si512(a + i + kLanes, vb);
  }
}

// out[i] = in[i] * base^i: eight running powers, advanced by base^8.
__attribute__((target("avx512f"))) void scale_by_powers(const Fp* in, Fp* out, size_t n, Fp base) {
  alignas(64) Fp start[kLanes];
  Fp acc = Fp::one();
  for (auto& x : start) {
    x = acc;
    acc *= base;
  }
  __m512i powers = _mm512_load_si512(start), step = _mm512_set1_epi64(static_cast<int64_t>(acc.value()));
  for (size_t i = 0; i < n; i += kLanes) {
    _mm512_storeu_si512(out + i, mul(_mm512_loadu_si512(in + i), powers));
    powers = mul(powers, step);
  }
}

bool available() {
  // __builtin_cpu_init makes the check safe even if first called during static initialisation.
  static const bool yes = (__builtin_cpu_init(), __builtin_cpu_supports("avx512f"));
  return yes;
}

}  // namespace avx512

// Four Goldilocks lanes in AVX2, same arithmetic as Fp. AVX2 compares only signed 64-bit integers, so
// unsigned comparisons flip the sign bit of both sides first. Used for stages of half-width >= 4 when the
// CPU has AVX2 but not AVX-512F.
namespace avx2 {

constexpr size_t kLanes = 4;

__attribute__((target("avx2"))) inline __m256i flip(__m256i x) {
  return _mm256_xor_si256(x, _mm256_set1_epi64x(INT64_MIN));
}
// All ones where a < b as unsigned integers.
__attribute__((target("avx2"))) inline __m256i less(__m256i a, __m256i b) { return _mm256_cmpgt_epi64(flip(b), flip(a)); }

__attribute__((target("avx2"))) inline __m256i canonical(__m256i s) {
  const __m256i p = _mm256_set1_epi64x(static_cast<int64_t>(Fp::P));
  return _mm256_sub_epi64(s, _mm256_andnot_si256(less(s, p), p));
}

__attribute__((target("avx2"))) inline __m256i add(__m256i a, __m256i b) {
  const __m256i eps = _mm256_set1_epi64x(static_cast<int64_t>(Fp::EPSILON));
  __m256i s = _mm256_add_epi64(a, b);
  s = _mm256_add_epi64(s, _mm256_and_si256(less(s, a), eps));
  return canonical(s);
}

__attribute__((target("avx2"))) inline __m256i sub(__m256i a, __m256i b) {
  const __m256i eps = _mm256_set1_epi64x(static_cast<int64_t>(Fp::EPSILON));
  __m256i d = _mm256_sub_epi64(a, b);
  return _mm256_sub_epi64(d, _mm256_and_si256(less(a, b), eps));
}

__attribute__((target("avx2"))) inline __m256i mul(__m256i a, __m256i b) {
  const __m256i eps = _mm256_set1_epi64x(static_cast<int64_t>(Fp::EPSILON));
  // 128-bit products from four 32x32 partial products.
  __m256i a_hi = _mm256_srli_epi64(a, 32), b_hi = _mm256_srli_epi64(b, 32);
  __m256i ll = _mm256_mul_epu32(a, b), lh = _mm256_mul_epu32(a, b_hi);
  __m256i hl = _mm256_mul_epu32(a_hi, b), hh = _mm256_mul_epu32(a_hi, b_hi);
  __m256i mid = _mm256_add_epi64(lh, hl);
  __m256i mid_carry = less(mid, lh);
  __m256i lo = _mm256_add_epi64(ll, _mm256_slli_epi64(mid, 32));
  __m256i lo_carry = less(lo, ll);
  __m256i hi = _mm256_add_epi64(hh, _mm256_srli_epi64(mid, 32));
  hi = _mm256_add_epi64(hi, _mm256_and_si256(mid_carry, _mm256_set1_epi64x(int64_t{1} << 32)));
  hi = _mm256_sub_epi64(hi, lo_carry);  // the mask is -1 where there is a carry
  // Reduce as Fp::reduce128: 2^64 = 2^32 - 1 and 2^96 = -1.
  __m256i hi_hi = _mm256_srli_epi64(hi, 32), hi_lo = _mm256_and_si256(hi, eps);
  __m256i t0 = _mm256_sub_epi64(lo, hi_hi);
  t0 = _mm256_sub_epi64(t0, _mm256_and_si256(less(lo, hi_hi), eps));
  __m256i t1 = _mm256_sub_epi64(_mm256_slli_epi64(hi_lo, 32), hi_lo);
  __m256i s = _mm256_add_epi64(t0, t1);
  s = _mm256_add_epi64(s, _mm256_and_si256(less(s, t0), eps));
  return canonical(s);
}

__attribute__((target("avx2"))) void dif_stage(Fp* a, size_t n, size_t h, const Fp* w) {
  for (size_t start = 0; start < n; start += 2 * h) {
    Fp* lo = a + start;
    Fp* hi = lo + h;
    for (size_t j = 0; j < h; j += kLanes) {
      auto* lo_j = reinterpret_cast<__m256i*>(lo + j);
      auto* hi_j = reinterpret_cast<__m256i*>(hi + j);
      __m256i x = _mm256_loadu_si256(lo_j), y = _mm256_loadu_si256(hi_j);
      __m256i t = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + j));
      _mm256_storeu_si256(lo_j, add(x, y));
      _mm256_storeu_si256(hi_j, mul(sub(x, y), t));
    }
  }
}

__attribute__((target("avx2"))) void dit_stage(Fp* a, size_t n, size_t h, const Fp* w) {
  for (size_t start = 0; start < n; start += 2 * h) {
    Fp* lo = a + start;
    Fp* hi = lo + h;
    for (size_t j = 0; j < h; j += kLanes) {
      auto* lo_j = reinterpret_cast<__m256i*>(lo + j);
      auto* hi_j = reinterpret_cast<__m256i*>(hi + j);
      __m256i x = _mm256_loadu_si256(lo_j);
      __m256i t = mul(_mm256_loadu_si256(hi_j), _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + j)));
      _mm256_storeu_si256(lo_j, add(x, t));
      _mm256_storeu_si256(hi_j, sub(x, t));
    }
  }
}

// The stages of half-width 2 and 1 pair lanes of one vector; they run on two vectors A, B at a time:
// half-width 2 pairs the 128-bit halves ([a0 a1 b0 b1] with [a2 a3 b2 b3]), half-width 1 the even and odd
// lanes ([a0 b0 a2 b2] with [a1 b1 a3 b3]), and the same shuffles put the results back.
__attribute__((target("avx2"))) inline void halves(__m256i a, __m256i b, __m256i& x, __m256i& y) {
  x = _mm256_permute2x128_si256(a, b, 0x20);
  y = _mm256_permute2x128_si256(a, b, 0x31);
}
__attribute__((target("avx2"))) inline void evens_odds(__m256i a, __m256i b, __m256i& x, __m256i& y) {
  x = _mm256_unpacklo_epi64(a, b);
  y = _mm256_unpackhi_epi64(a, b);
}

// DIF stages of half-width 2 then 1 (twiddle 1), for n >= 8.
__attribute__((target("avx2"))) void dif_tail(Fp* a, size_t n, const Fp* tw) {
  const __m256i w2 = _mm256_setr_epi64x(static_cast<int64_t>(tw[1].value()), static_cast<int64_t>(tw[2].value()),
                                        static_cast<int64_t>(tw[1].value()), static_cast<int64_t>(tw[2].value()));
  for (size_t i = 0; i < n; i += 2 * kLanes) {
    auto* pa = reinterpret_cast<__m256i*>(a + i);
    auto* pb = reinterpret_cast<__m256i*>(a + i + kLanes);
    __m256i x, y, va = _mm256_loadu_si256(pa), vb = _mm256_loadu_si256(pb);
    halves(va, vb, x, y);
    halves(add(x, y), mul(sub(x, y), w2), va, vb);
    evens_odds(va, vb, x, y);
    evens_odds(add(x, y), sub(x, y), va, vb);
    _mm256_storeu_si256(pa, va);
    _mm256_storeu_si256(pb, vb);
  }
}

// DIT stages of half-width 1 (twiddle 1) then 2, for n >= 8.
__attribute__((target("avx2"))) void dit_head(Fp* a, size_t n, const Fp* tw) {
  const __m256i w2 = _mm256_setr_epi64x(static_cast<int64_t>(tw[1].value()), static_cast<int64_t>(tw[2].value()),
                                        static_cast<int64_t>(tw[1].value()), static_cast<int64_t>(tw[2].value()));
  for (size_t i = 0; i < n; i += 2 * kLanes) {
    auto* pa = reinterpret_cast<__m256i*>(a + i);
    auto* pb = reinterpret_cast<__m256i*>(a + i + kLanes);
    __m256i x, y, t, va = _mm256_loadu_si256(pa), vb = _mm256_loadu_si256(pb);
    evens_odds(va, vb, x, y);
    evens_odds(add(x, y), sub(x, y), va, vb);
    halves(va, vb, x, y);
    t = mul(y, w2);
    halves(add(x, t), sub(x, t), va, vb);
    _mm256_storeu_si256(pa, va);
    _mm256_storeu_si256(pb, vb);
  }
}

// out[i] = in[i] * base^i: four running powers, advanced by base^4.
__attribute__((target("avx2"))) void scale_by_powers(const Fp* in, Fp* out, size_t n, Fp base) {
  alignas(32) Fp start[kLanes];
  Fp acc = Fp::one();
  for (auto& x : start) {
    x = acc;
    acc *= base;
  }
  __m256i powers = _mm256_load_si256(reinterpret_cast<const __m256i*>(start));
  const __m256i step = _mm256_set1_epi64x(static_cast<int64_t>(acc.value()));
  for (size_t i = 0; i < n; i += kLanes) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i),
                        mul(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + i)), powers));
    powers = mul(powers, step);
  }
}

bool available() {
  static const bool yes = (__builtin_cpu_init(), __builtin_cpu_supports("avx2"));
  return yes;
}

}  // namespace avx2

enum class Simd { none, avx2, avx512 };
Simd simd() {
  static const Simd s = avx512::available() ? Simd::avx512 : avx2::available() ? Simd::avx2 : Simd::none;
  return s;
}
// The vector width a stage of half-width h runs at (0: scalar).
size_t vector_lanes(size_t h) {
  switch (simd()) {
    case Simd::avx512: return h >= avx512::kLanes ? avx512::kLanes : 0;
    case Simd::avx2: return h >= avx2::kLanes ? avx2::kLanes : 0;
    case Simd::none: return 0;
  }
  return 0;
}
#else
size_t vector_lanes(size_t) { return 0; }
#endif

// Decimation in frequency: natural order in, bit-reversed order out.
void dif(std::span<Fp> v) {
  size_t n = v.size();
  if (n <= 1) return;
  const auto& tw = twiddles(static_cast<unsigned>(__builtin_ctzll(n)), false);
  Fp* a = v.data();
  for (size_t h = n / 2; h >= 1; h >>= 1) {
    const Fp* w = tw.data() + h - 1;
#if defined(__x86_64__)
    if (const size_t lanes = vector_lanes(h)) {
      if (lanes == avx512::kLanes) avx512::dif_stage(a, n, h, w);
      else avx2::dif_stage(a, n, h, w);
      continue;
    }
    if (h == 4 && n >= 2 * avx512::kLanes && simd() == Simd::avx512) {
      avx512::dif_tail(a, n, tw.data());
      break;
    }
    if (h == 2 && n >= 2 * avx2::kLanes && simd() == Simd::avx2) {
      avx2::dif_tail(a, n, tw.data());
      break;
    }
#endif
    for (size_t start = 0; start < n; start += 2 * h) {
      Fp* lo = a + start;
      Fp* hi = lo + h;
      for (size_t j = 0; j < h; ++j) {
        Fp x = lo[j], y = hi[j];
        lo[j] = x + y;
        hi[j] = (x - y) * w[j];
      }
    }
  }
}

// Decimation in time after a bit-reversal permutation: natural order in and out.
void transform(std::span<Fp> v, bool inverse) {
  size_t n = v.size();
  if (n <= 1) return;
  unsigned log_n = static_cast<unsigned>(__builtin_ctzll(n));
  const auto& tw = twiddles(log_n, inverse);
  bit_reverse_permute(v);
  Fp* a = v.data();
  size_t first_h = 1;
#if defined(__x86_64__)
  if (n >= 2 * avx2::kLanes && simd() == Simd::avx2) {
    avx2::dit_head(a, n, tw.data());
    first_h = 4;
  }
#endif
  for (size_t h = first_h; h < n; h <<= 1) {
    const Fp* w = tw.data() + h - 1;
#if defined(__x86_64__)
    if (const size_t lanes = vector_lanes(h)) {
      if (lanes == avx512::kLanes) avx512::dit_stage(a, n, h, w);
      else avx2::dit_stage(a, n, h, w);
      continue;
    }
#endif
    for (size_t start = 0; start < n; start += 2 * h) {
      Fp* lo = a + start;
      Fp* hi = lo + h;
      for (size_t j = 0; j < h; ++j) {
        Fp t = hi[j] * w[j];
        hi[j] = lo[j] - t;
        lo[j] = lo[j] + t;
      }
    }
  }
}

}  // namespace

void ntt(std::span<Fp> coeffs) { transform(coeffs, false); }

void intt(std::span<Fp> values) {
  transform(values, true);
  Fp n_inv = inverse(Fp(values.size()));
  for (auto& x : values) x *= n_inv;
}

void coset_intt(std::span<Fp> values, Fp shift) {
  intt(values);
  Fp s_inv = inverse(shift), acc = Fp::one();
  for (auto& c : values) {
    c *= acc;
    acc *= s_inv;
  }
}

namespace {

// block[i] = coeffs[i] * base^i (block and coeffs may be the same array).
void scale_by_powers(const Fp* coeffs, Fp* block, size_t n, Fp base) {
#if defined(__x86_64__)
  if (const size_t lanes = vector_lanes(n)) {
    if (lanes == avx512::kLanes) avx512::scale_by_powers(coeffs, block, n, base);
    else avx2::scale_by_powers(coeffs, block, n, base);
    return;
  }
#endif
  Fp acc = Fp::one();
  for (size_t i = 0; i < n; ++i) {
    block[i] = coeffs[i] * acc;
    acc *= base;
  }
}

// Block t of the output holds the coset shift · w^rev(t) · H_n in bit-reversed order, which makes the
// whole output bit-reversed over shift · H_out. Blocks are written last to first, so that block 0 may
// hold the coefficients until it is written.
void extend(const Fp* coeffs, size_t n, Fp shift, std::span<Fp> out) {
  size_t cosets = out.size() / n;
  unsigned log_cosets = static_cast<unsigned>(__builtin_ctzll(cosets));
  Fp w = two_adic_root(static_cast<unsigned>(__builtin_ctzll(out.size())));
  for (size_t t = cosets; t-- > 0;) {
    std::span<Fp> block = out.subspan(t * n, n);
    scale_by_powers(coeffs, block.data(), n, shift * pow(w, reverse_bits(t, log_cosets)));
    dif(block);
  }
}

}  // namespace

void coset_lde_bit_reversed(std::span<const Fp> coeffs, Fp shift, std::span<Fp> out) {
  extend(coeffs.data(), coeffs.size(), shift, out);
}

void coset_lde_bit_reversed_in_place(std::span<Fp> buffer, unsigned log_blowup, Fp shift) {
  extend(buffer.data(), buffer.size() >> log_blowup, shift, buffer);
}

}  // namespace witprove::stark
