#include "stark/ntt.hpp"

#include <tbb/parallel_for.h>

#include <array>
#include <bit>
#include <mutex>

#include "stark/packed.hpp"

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

// Butterfly stages of half-width >= kLanes run on PackedFp (stark/packed.hpp), a vector's lanes at a time.
constexpr size_t kLanes = PackedFp::kLanes;
bool vectorized(size_t h) { return h >= kLanes; }

void dif_stage(Fp* a, size_t n, size_t h, const Fp* w) {
  for (size_t start = 0; start < n; start += 2 * h) {
    Fp* lo = a + start;
    Fp* hi = lo + h;
    for (size_t j = 0; j < h; j += kLanes) {
      const PackedFp x = PackedFp::load(lo + j), y = PackedFp::load(hi + j);
      (x + y).store(lo + j);
      ((x - y) * PackedFp::load(w + j)).store(hi + j);
    }
  }
}

void dit_stage(Fp* a, size_t n, size_t h, const Fp* w) {
  for (size_t start = 0; start < n; start += 2 * h) {
    Fp* lo = a + start;
    Fp* hi = lo + h;
    for (size_t j = 0; j < h; j += kLanes) {
      const PackedFp x = PackedFp::load(lo + j), t = PackedFp::load(hi + j) * PackedFp::load(w + j);
      (x + t).store(lo + j);
      (x - t).store(hi + j);
    }
  }
}

// factor · base^lane in each lane.
PackedFp lane_powers(Fp base, Fp factor) {
  alignas(64) Fp start[kLanes];
  for (auto& x : start) {
    x = factor;
    factor *= base;
  }
  return PackedFp::load(start);
}

// A radix-4 DIF butterfly on four packed values a quarter apart: the stage of half-width h (twiddles w0 for
// the first quarter, w1 for the second) and then that of h/2 (twiddle w) in each half.
inline void dif_butterfly4(PackedFp x0, PackedFp x1, PackedFp x2, PackedFp x3, PackedFp w, PackedFp w0, PackedFp w1,
                           Fp* p0, Fp* p1, Fp* p2, Fp* p3) {
  const PackedFp y0 = x0 + x2, y2 = (x0 - x2) * w0, y1 = x1 + x3, y3 = (x1 - x3) * w1;
  (y0 + y1).store(p0);
  ((y0 - y1) * w).store(p1);
  (y2 + y3).store(p2);
  ((y2 - y3) * w).store(p3);
}

// The stages of half-width h and h/2 in one pass (radix 4), h/2 >= kLanes: a large transform goes over
// memory once for both, a block in cache is loaded and stored half as often. Decimation in frequency does h, then h/2 in each half; in time, the reverse.
template <bool kInTime>
void stage_pair(Fp* a, size_t n, size_t h, const Fp* tw) {
  const size_t q = h / 2;
  const Fp* outer = tw + h - 1;  // w_(2h)^j
  const Fp* inner = tw + q - 1;  // w_h^j
  for (size_t start = 0; start < n; start += 2 * h) {
    Fp* p0 = a + start;
    Fp* p1 = p0 + q;
    Fp* p2 = p0 + h;
    Fp* p3 = p2 + q;
    for (size_t j = 0; j < q; j += kLanes) {
      const PackedFp x0 = PackedFp::load(p0 + j), x1 = PackedFp::load(p1 + j), x2 = PackedFp::load(p2 + j),
                     x3 = PackedFp::load(p3 + j);
      const PackedFp w = PackedFp::load(inner + j), w0 = PackedFp::load(outer + j), w1 = PackedFp::load(outer + q + j);
      if constexpr (kInTime) {
        const PackedFp t1 = x1 * w, t3 = x3 * w;
        const PackedFp y0 = x0 + t1, y1 = x0 - t1, y2 = x2 + t3, y3 = x2 - t3;
        const PackedFp u2 = y2 * w0, u3 = y3 * w1;
        (y0 + u2).store(p0 + j);
        (y1 + u3).store(p1 + j);
        (y0 - u2).store(p2 + j);
        (y1 - u3).store(p3 + j);
      } else {
        dif_butterfly4(x0, x1, x2, x3, w, w0, w1, p0 + j, p1 + j, p2 + j, p3 + j);
      }
    }
  }
}

// The first DIF pass of a coset transform: the stages of half-width n/2 and n/4 (n >= 4 kLanes) on
// in[i] · factor · base^i, written to out (which may be in). The scaling rides on the pass that reads the
// coefficients anyway instead of taking a pass of its own over memory.
void scaled_first_pair(const Fp* in, Fp* out, size_t n, const Fp* tw, Fp base, Fp factor) {
  const size_t h = n / 2, q = h / 2;
  const Fp* outer = tw + h - 1;
  const Fp* inner = tw + q - 1;
  PackedFp s0 = lane_powers(base, factor);  // factor · base^(j + lane)
  const PackedFp step(pow(base, kLanes)), to1(pow(base, q)), to2(pow(base, h)), to3(pow(base, h + q));
  for (size_t j = 0; j < q; j += kLanes) {
    const PackedFp x0 = PackedFp::load(in + j) * s0, x1 = PackedFp::load(in + q + j) * (s0 * to1),
                   x2 = PackedFp::load(in + h + j) * (s0 * to2), x3 = PackedFp::load(in + h + q + j) * (s0 * to3);
    dif_butterfly4(x0, x1, x2, x3, PackedFp::load(inner + j), PackedFp::load(outer + j), PackedFp::load(outer + q + j),
                   out + j, out + q + j, out + h + j, out + h + q + j);
    s0 *= step;
  }
}

// A transform longer than this runs its outer stages over the whole vector, two per pass, and the others
// within blocks of this size, which stay in the core's cache (64 KiB): for 2^22 points, 4 passes over
// memory instead of 22.
constexpr size_t kCacheBlock = size_t{1} << 14;

// out[i] = in[i] * factor * base^i, n a multiple of kLanes: a running power per lane, advanced by base^kLanes.
void scale_by_powers_packed(const Fp* in, Fp* out, size_t n, Fp base, Fp factor) {
  PackedFp powers = lane_powers(base, factor);
  const PackedFp step(pow(base, kLanes));
  for (size_t i = 0; i < n; i += kLanes) {
    (PackedFp::load(in + i) * powers).store(out + i);
    powers *= step;
  }
}

// block[i] = coeffs[i] * factor * base^i (block and coeffs may be the same array).
void scale_by_powers(const Fp* coeffs, Fp* block, size_t n, Fp base, Fp factor = Fp::one()) {
  if (vectorized(n)) {
    scale_by_powers_packed(coeffs, block, n, base, factor);
    return;
  }
  Fp acc = factor;
  for (size_t i = 0; i < n; ++i) {
    block[i] = coeffs[i] * acc;
    acc *= base;
  }
}

// A coset transform's input, scaled on the way in: in[i] · factor · base^i (the output may be `in`).
struct CosetScaling {
  const Fp* in;
  Fp base, factor;
};

#if defined(__AVX2__)
// The stages of half-width below kLanes pair lanes of one vector; they run on two vectors A, B at a time,
// regrouped so that a stage's butterfly partners sit in the same lane of x and y. Each regrouping is its own
// inverse on the (x, y) pair, so the same call puts the results back. With eight lanes:
//   half-width 4: 128-bit halves   x = [a0..a3 b0..b3],           y = [a4..a7 b4..b7]
//   half-width 2: 64-bit pairs     x = [a0 a1 b0 b1 a4 a5 b4 b5], y = [a2 a3 b2 b3 a6 a7 b6 b7]
//   half-width 1: 32-bit lanes     x = [a0 b0 a2 b2 a4 b4 a6 b6], y = [a1 b1 a3 b3 a5 b5 a7 b7]
// and the same within each 128-bit (half-width 2, 1) or 256-bit (half-width 4) part of sixteen lanes, whose
// half-width 8 takes 256-bit halves: x = [a0..a7 b0..b7], y = [a8..a15 b8..b15].
template <size_t h>
void pair(PackedFp a, PackedFp b, PackedFp& x, PackedFp& y) {
  if constexpr (h == 1) {
    x = PackedFp(simd::blend_odd(a.v, simd::shl32(b.v)));
    y = PackedFp(simd::blend_odd(simd::shr32(a.v), b.v));
  }
#if defined(__AVX512F__) && defined(__AVX512BW__)
  // (zero-masking forms with every lane selected: see simd::kAll32)
  else if constexpr (h == 2) {
    x = PackedFp(_mm512_maskz_unpacklo_epi64(simd::kAll64, a.v, b.v));
    y = PackedFp(_mm512_maskz_unpackhi_epi64(simd::kAll64, a.v, b.v));
  } else if constexpr (h == 4) {  // 64-bit elements: 2 of a, 2 of b, in each 256-bit half
    x = PackedFp(_mm512_permutex2var_epi64(a.v, _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13), b.v));
    y = PackedFp(_mm512_permutex2var_epi64(a.v, _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15), b.v));
  } else {
    static_assert(h == 8);
    x = PackedFp(_mm512_maskz_shuffle_i64x2(simd::kAll64, a.v, b.v, 0x44));
    y = PackedFp(_mm512_maskz_shuffle_i64x2(simd::kAll64, a.v, b.v, 0xEE));
  }
#else
  else if constexpr (h == 2) {
    x = PackedFp(_mm256_unpacklo_epi64(a.v, b.v));
    y = PackedFp(_mm256_unpackhi_epi64(a.v, b.v));
  } else {
    static_assert(h == 4);
    x = PackedFp(_mm256_permute2x128_si256(a.v, b.v, 0x20));
    y = PackedFp(_mm256_permute2x128_si256(a.v, b.v, 0x31));
  }
#endif
}

// The twiddles of stage h in the lanes of x: lane l uses w_(2h)^(l mod h).
PackedFp tail_twiddles(const Fp* tw, size_t h) {
  alignas(64) Fp lanes[kLanes];
  for (size_t l = 0; l < kLanes; ++l) lanes[l] = tw[h - 1 + l % h];
  return PackedFp::load(lanes);
}

// Per stage of half-width h < kLanes, its tail_twiddles at index log2(h) (none for h = 1: all ones).
struct TailTwiddles {
  std::array<PackedFp, std::countr_zero(kLanes)> w;
  explicit TailTwiddles(const Fp* tw) {
    for (size_t h = 2; h < kLanes; h <<= 1) w[std::countr_zero(h)] = tail_twiddles(tw, h);
  }
};

bool vectorized_tail(size_t n) { return n >= 2 * kLanes; }

// DIF stages of half-width h, h/2, ..., 1 on the two vectors.
template <size_t h>
inline void dif_tail_stages(PackedFp& va, PackedFp& vb, const TailTwiddles& t) {
  PackedFp x, y;
  pair<h>(va, vb, x, y);
  if constexpr (h == 1) {
    pair<1>(x + y, x - y, va, vb);
  } else {
    pair<h>(x + y, (x - y) * t.w[std::countr_zero(h)], va, vb);
    dif_tail_stages<h / 2>(va, vb, t);
  }
}

// DIT stages of half-width h, 2h, ..., kLanes / 2 on the two vectors.
template <size_t h>
inline void dit_head_stages(PackedFp& va, PackedFp& vb, const TailTwiddles& t) {
  PackedFp x, y;
  pair<h>(va, vb, x, y);
  const PackedFp u = h == 1 ? y : y * t.w[std::countr_zero(h)];
  pair<h>(x + u, x - u, va, vb);
  if constexpr (2 * h < kLanes) dit_head_stages<2 * h>(va, vb, t);
}

// DIF stages of half-width kLanes / 2 down to 1, for n >= 2 kLanes.
void dif_tail(Fp* a, size_t n, const Fp* tw) {
  const TailTwiddles t(tw);
  for (size_t i = 0; i < n; i += 2 * kLanes) {
    PackedFp va = PackedFp::load(a + i), vb = PackedFp::load(a + i + kLanes);
    dif_tail_stages<kLanes / 2>(va, vb, t);
    va.store(a + i);
    vb.store(a + i + kLanes);
  }
}

// DIT stages of half-width 1 up to kLanes / 2, for n >= 2 kLanes.
void dit_head(Fp* a, size_t n, const Fp* tw) {
  const TailTwiddles t(tw);
  for (size_t i = 0; i < n; i += 2 * kLanes) {
    PackedFp va = PackedFp::load(a + i), vb = PackedFp::load(a + i + kLanes);
    dit_head_stages<1>(va, vb, t);
    va.store(a + i);
    vb.store(a + i + kLanes);
  }
}
#else
bool vectorized_tail(size_t) { return false; }
void dif_tail(Fp*, size_t, const Fp*) {}
void dit_head(Fp*, size_t, const Fp*) {}
#endif

// Decimation in frequency on n <= kCacheBlock points (tw: a twiddle table of at least n points).
void dif_in_cache(Fp* a, size_t n, const Fp* tw) {
  for (size_t h = n / 2; h >= 1; h >>= 1) {
    const Fp* w = tw + h - 1;
    if (vectorized(h / 2)) {  // two stages per pass: half the loads and stores
      stage_pair<false>(a, n, h, tw);
      h >>= 1;
      continue;
    }
    if (vectorized(h)) {
      dif_stage(a, n, h, w);
      continue;
    }
    if (h == kLanes / 2 && vectorized_tail(n)) {
      dif_tail(a, n, tw);
      break;
    }
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

void dif_blocked(Fp* a, size_t n, const Fp* tw, const CosetScaling* scaling = nullptr) {
  if (scaling && n < 4 * kCacheBlock) {  // scaled apart: at most 256 KiB, still in the core's L2 cache
    scale_by_powers(scaling->in, a, n, scaling->base, scaling->factor);
    scaling = nullptr;
  }
  if (n <= kCacheBlock) return dif_in_cache(a, n, tw);
  if (n >= 4 * kCacheBlock) {
    if (scaling) scaled_first_pair(scaling->in, a, n, tw, scaling->base, scaling->factor);
    else stage_pair<false>(a, n, n / 2, tw);
    for (size_t k = 0; k < 4; ++k) dif_blocked(a + k * (n / 4), n / 4, tw);
  } else {
    dif_stage(a, n, n / 2, tw + n / 2 - 1);
    for (size_t k = 0; k < 2; ++k) dif_blocked(a + k * (n / 2), n / 2, tw);
  }
}

// Decimation in time on n <= kCacheBlock points in bit-reversed order.
void dit_in_cache(Fp* a, size_t n, const Fp* tw) {
  size_t first_h = 1;
  if (vectorized_tail(n)) {
    dit_head(a, n, tw);
    first_h = kLanes;
  }
  for (size_t h = first_h; h < n; h <<= 1) {
    const Fp* w = tw + h - 1;
    if (vectorized(h) && 2 * h < n) {  // stages h and 2h in one pass
      stage_pair<true>(a, n, 2 * h, tw);
      h <<= 1;
      continue;
    }
    if (vectorized(h)) {
      dit_stage(a, n, h, w);
      continue;
    }
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

void dit_blocked(Fp* a, size_t n, const Fp* tw) {
  if (n <= kCacheBlock) return dit_in_cache(a, n, tw);
  if (n >= 4 * kCacheBlock) {
    for (size_t k = 0; k < 4; ++k) dit_blocked(a + k * (n / 4), n / 4, tw);
    stage_pair<true>(a, n, n / 2, tw);
  } else {
    for (size_t k = 0; k < 2; ++k) dit_blocked(a + k * (n / 2), n / 2, tw);
    dit_stage(a, n, n / 2, tw + n / 2 - 1);
  }
}

// Decimation in time: bit-reversed order in, natural order out.
void dit(std::span<Fp> v, bool inverse) {
  if (v.size() <= 1) return;
  dit_blocked(v.data(), v.size(), twiddles(static_cast<unsigned>(__builtin_ctzll(v.size())), inverse).data());
}

// Natural order in and out.
void transform(std::span<Fp> v, bool inverse) {
  bit_reverse_permute(v);
  dit(v, inverse);
}

// Block t of the output holds the coset shift · w^rev(t) · H_n in bit-reversed order, which makes the
// whole output bit-reversed over shift · H_out. Blocks are written last to first, so that block 0 may
// hold the coefficients (times 1 / factor) until it is written.
void coset_blocks(std::span<Fp> buffer, unsigned log_blowup, Fp shift, Fp factor) {
  const size_t n = buffer.size() >> log_blowup, cosets = size_t{1} << log_blowup;
  const Fp w = two_adic_root(static_cast<unsigned>(__builtin_ctzll(buffer.size())));
  const Fp* tw = twiddles(static_cast<unsigned>(__builtin_ctzll(n)), false).data();
  for (size_t t = cosets; t-- > 0;) {
    const CosetScaling scaling{buffer.data(), shift * pow(w, reverse_bits(t, log_blowup)), factor};
    dif_blocked(buffer.data() + t * n, n, tw, &scaling);
  }
}

}  // namespace

void ntt(std::span<Fp> coeffs) { transform(coeffs, false); }

void intt_bit_reversed(std::span<Fp> values) {
  dit(values, true);
  scale_by_powers(values.data(), values.data(), values.size(), Fp::one(), inverse(Fp(values.size())));
}

void intt(std::span<Fp> values) {
  bit_reverse_permute(values);
  intt_bit_reversed(values);
}

ExtColumns coset_intt_bit_reversed(std::span<const Fp4> values, Fp shift) {
  ExtColumns coords = split_coordinates(values);
  tbb::parallel_for(size_t{0}, Fp4::D, [&](size_t i) {
    dit(coords[i], true);
    scale_by_powers(coords[i].data(), coords[i].data(), coords[i].size(), inverse(shift), inverse(Fp(coords[i].size())));
  });
  return coords;
}

void coset_lde_bit_reversed_in_place(std::span<Fp> buffer, unsigned log_blowup, Fp shift) {
  coset_blocks(buffer, log_blowup, shift, Fp::one());
}

void lde_bit_reversed_in_place(std::span<Fp> buffer, unsigned log_blowup, Fp shift) {
  const size_t n = buffer.size() >> log_blowup;
  dit(buffer.first(n), true);
  coset_blocks(buffer, log_blowup, shift, inverse(Fp(n)));  // the interpolation's 1/n, in the same pass
}

}  // namespace witprove::stark
