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

bool vector_stage(size_t h) { return h >= avx512::kLanes && avx512::available(); }
#else
bool vector_stage(size_t) { return false; }
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
    if (vector_stage(h)) {
      avx512::dif_stage(a, n, h, w);
      continue;
    }
    if (h == 4 && n >= 2 * avx512::kLanes && avx512::available()) {
      avx512::dif_tail(a, n, tw.data());
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
  for (size_t h = 1; h < n; h <<= 1) {
    const Fp* w = tw.data() + h - 1;
#if defined(__x86_64__)
    if (vector_stage(h)) {
      avx512::dit_stage(a, n, h, w);
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

void coset_lde_bit_reversed(std::span<const Fp> coeffs, Fp shift, std::span<Fp> out) {
  size_t n = coeffs.size(), cosets = out.size() / n;
  unsigned log_cosets = static_cast<unsigned>(__builtin_ctzll(cosets));
  Fp w = two_adic_root(static_cast<unsigned>(__builtin_ctzll(out.size())));
  // Block t holds the coset shift · w^rev(t) · H_n in bit-reversed order, which makes the whole output
  // bit-reversed over shift · H_out.
  for (size_t t = 0; t < cosets; ++t) {
    Fp coset_shift = shift * pow(w, reverse_bits(t, log_cosets));
    std::span<Fp> block = out.subspan(t * n, n);
#if defined(__x86_64__)
    if (vector_stage(n)) {
      avx512::scale_by_powers(coeffs.data(), block.data(), n, coset_shift);
      dif(block);
      continue;
    }
#endif
    Fp acc = Fp::one();
    for (size_t i = 0; i < n; ++i) {
      block[i] = coeffs[i] * acc;
      acc *= coset_shift;
    }
    dif(block);
  }
}

}  // namespace witprove::stark
