#include "stark/ntt.hpp"

#include <array>
#include <memory>
#include <mutex>

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

// Decimation in frequency: natural order in, bit-reversed order out.
void dif(std::span<Fp> v) {
  size_t n = v.size();
  if (n <= 1) return;
  const auto& tw = twiddles(static_cast<unsigned>(__builtin_ctzll(n)), false);
  Fp* a = v.data();
  for (size_t h = n / 2; h >= 1; h >>= 1) {
    const Fp* w = tw.data() + h - 1;
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
    Fp acc = Fp::one();
    for (size_t i = 0; i < n; ++i) {
      block[i] = coeffs[i] * acc;
      acc *= coset_shift;
    }
    dif(block);
  }
}

}  // namespace witprove::stark
