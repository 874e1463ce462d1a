#include "stark/ntt.hpp"

#include <array>
#include <mutex>

#if defined(__x86_64__)
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
// Eight KoalaBear lanes in AVX2, the arithmetic of Fp on Montgomery forms (as Plonky3's packed
// MontyField31): sums and differences are corrected with an unsigned minimum, products are Montgomery
// reductions done on the even and the odd lanes with 32x32 -> 64-bit multiplies. Used for butterfly stages
// of half-width >= 8; the stages of half-width 4, 2 and 1 pair lanes of one vector and run on two vectors at
// a time (dif_tail, dit_head).
namespace avx2 {

constexpr size_t kLanes = 8;

__attribute__((target("avx2"))) inline __m256i add(__m256i a, __m256i b) {
  const __m256i p = _mm256_set1_epi32(static_cast<int32_t>(Fp::P));
  __m256i s = _mm256_add_epi32(a, b);
  return _mm256_min_epu32(s, _mm256_sub_epi32(s, p));
}

__attribute__((target("avx2"))) inline __m256i sub(__m256i a, __m256i b) {
  const __m256i p = _mm256_set1_epi32(static_cast<int32_t>(Fp::P));
  __m256i d = _mm256_sub_epi32(a, b);
  return _mm256_min_epu32(d, _mm256_add_epi32(d, p));
}

__attribute__((target("avx2"))) inline __m256i mul(__m256i a, __m256i b) {
  const __m256i p = _mm256_set1_epi32(static_cast<int32_t>(Fp::P));
  const __m256i mu = _mm256_set1_epi32(static_cast<int32_t>(Fp::MU));
  __m256i prod_even = _mm256_mul_epu32(a, b);
  __m256i prod_odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), _mm256_srli_epi64(b, 32));
  __m256i qp_even = _mm256_mul_epu32(_mm256_mul_epu32(prod_even, mu), p);
  __m256i qp_odd = _mm256_mul_epu32(_mm256_mul_epu32(prod_odd, mu), p);
  // The high halves of the products minus those of q·p: in (-p, p), as in Fp::redc.
  __m256i prod_hi = _mm256_blend_epi32(_mm256_srli_epi64(prod_even, 32), prod_odd, 0b10101010);
  __m256i qp_hi = _mm256_blend_epi32(_mm256_srli_epi64(qp_even, 32), qp_odd, 0b10101010);
  __m256i d = _mm256_sub_epi32(prod_hi, qp_hi);
  return _mm256_min_epu32(d, _mm256_add_epi32(d, p));
}

__attribute__((target("avx2"))) inline __m256i load(const Fp* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
__attribute__((target("avx2"))) inline void store(Fp* p, __m256i v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }

__attribute__((target("avx2"))) void dif_stage(Fp* a, size_t n, size_t h, const Fp* w) {
  for (size_t start = 0; start < n; start += 2 * h) {
    Fp* lo = a + start;
    Fp* hi = lo + h;
    for (size_t j = 0; j < h; j += kLanes) {
      __m256i x = load(lo + j), y = load(hi + j);
      store(lo + j, add(x, y));
      store(hi + j, mul(sub(x, y), load(w + j)));
    }
  }
}

__attribute__((target("avx2"))) void dit_stage(Fp* a, size_t n, size_t h, const Fp* w) {
  for (size_t start = 0; start < n; start += 2 * h) {
    Fp* lo = a + start;
    Fp* hi = lo + h;
    for (size_t j = 0; j < h; j += kLanes) {
      __m256i x = load(lo + j), t = mul(load(hi + j), load(w + j));
      store(lo + j, add(x, t));
      store(hi + j, sub(x, t));
    }
  }
}

// Regrouping two vectors A, B so that a stage's butterfly partners sit in the same lane of x and y. Each
// shuffle is its own inverse on the (x, y) pair, so the same call puts the results back:
//   half-width 4: 128-bit halves   x = [a0..a3 b0..b3],        y = [a4..a7 b4..b7]
//   half-width 2: 64-bit pairs     x = [a0 a1 b0 b1 a4 a5 b4 b5], y = [a2 a3 b2 b3 a6 a7 b6 b7]
//   half-width 1: 32-bit lanes     x = [a0 b0 a2 b2 a4 b4 a6 b6], y = [a1 b1 a3 b3 a5 b5 a7 b7]
__attribute__((target("avx2"))) inline void pair(size_t h, __m256i a, __m256i b, __m256i& x, __m256i& y) {
  if (h == 4) {
    x = _mm256_permute2x128_si256(a, b, 0x20);
    y = _mm256_permute2x128_si256(a, b, 0x31);
  } else if (h == 2) {
    x = _mm256_unpacklo_epi64(a, b);
    y = _mm256_unpackhi_epi64(a, b);
  } else {
    x = _mm256_blend_epi32(a, _mm256_slli_epi64(b, 32), 0b10101010);
    y = _mm256_blend_epi32(_mm256_srli_epi64(a, 32), b, 0b10101010);
  }
}

// The twiddles of stage h in the lanes of x: lane l uses w_(2h)^(l mod h) (half-width 1 needs none).
__attribute__((target("avx2"))) inline __m256i tail_twiddles(const Fp* tw, size_t h) {
  alignas(32) uint32_t lanes[kLanes];
  for (size_t l = 0; l < kLanes; ++l) lanes[l] = tw[h - 1 + l % h].monty();
  return _mm256_load_si256(reinterpret_cast<const __m256i*>(lanes));
}

// DIF stages of half-width 4, 2, 1, for n >= 16.
__attribute__((target("avx2"))) void dif_tail(Fp* a, size_t n, const Fp* tw) {
  const __m256i w4 = tail_twiddles(tw, 4), w2 = tail_twiddles(tw, 2);
  for (size_t i = 0; i < n; i += 2 * kLanes) {
    __m256i x, y, va = load(a + i), vb = load(a + i + kLanes);
    pair(4, va, vb, x, y);
    pair(4, add(x, y), mul(sub(x, y), w4), va, vb);
    pair(2, va, vb, x, y);
    pair(2, add(x, y), mul(sub(x, y), w2), va, vb);
    pair(1, va, vb, x, y);
    pair(1, add(x, y), sub(x, y), va, vb);
    store(a + i, va);
    store(a + i + kLanes, vb);
  }
}

// DIT stages of half-width 1, 2, 4, for n >= 16.
__attribute__((target("avx2"))) void dit_head(Fp* a, size_t n, const Fp* tw) {
  const __m256i w4 = tail_twiddles(tw, 4), w2 = tail_twiddles(tw, 2);
  for (size_t i = 0; i < n; i += 2 * kLanes) {
    __m256i x, y, t, va = load(a + i), vb = load(a + i + kLanes);
    pair(1, va, vb, x, y);
    pair(1, add(x, y), sub(x, y), va, vb);
    pair(2, va, vb, x, y);
    t = mul(y, w2);
    pair(2, add(x, t), sub(x, t), va, vb);
    pair(4, va, vb, x, y);
    t = mul(y, w4);
    pair(4, add(x, t), sub(x, t), va, vb);
    store(a + i, va);
    store(a + i + kLanes, vb);
  }
}

// out[i] = in[i] * base^i: eight running powers, advanced by base^8.
__attribute__((target("avx2"))) void scale_by_powers(const Fp* in, Fp* out, size_t n, Fp base) {
  alignas(32) Fp start[kLanes];
  Fp acc = Fp::one();
  for (auto& x : start) {
    x = acc;
    acc *= base;
  }
  __m256i powers = _mm256_load_si256(reinterpret_cast<const __m256i*>(start));
  const __m256i step = _mm256_set1_epi32(static_cast<int32_t>(acc.monty()));
  for (size_t i = 0; i < n; i += kLanes) {
    store(out + i, mul(load(in + i), powers));
    powers = mul(powers, step);
  }
}

bool available() {
  // __builtin_cpu_init makes the check safe even if first called during static initialisation.
  static const bool yes = (__builtin_cpu_init(), __builtin_cpu_supports("avx2"));
  return yes;
}

}  // namespace avx2

// Whether a stage of half-width h (or a scaling of h elements) runs vectorized.
bool vectorized(size_t h) { return h >= avx2::kLanes && avx2::available(); }
bool vectorized_tail(size_t n) { return n >= 2 * avx2::kLanes && avx2::available(); }
#else
bool vectorized(size_t) { return false; }
bool vectorized_tail(size_t) { return false; }
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
    if (vectorized(h)) {
      avx2::dif_stage(a, n, h, w);
      continue;
    }
    if (h == 4 && vectorized_tail(n)) {
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
  if (vectorized_tail(n)) {
    avx2::dit_head(a, n, tw.data());
    first_h = 8;
  }
#endif
  for (size_t h = first_h; h < n; h <<= 1) {
    const Fp* w = tw.data() + h - 1;
#if defined(__x86_64__)
    if (vectorized(h)) {
      avx2::dit_stage(a, n, h, w);
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
  if (vectorized(n)) {
    avx2::scale_by_powers(coeffs, block, n, base);
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
