#include <catch2/catch.hpp>

#include <random>

#include "stark/folders.hpp"
#include "stark/ntt.hpp"

using namespace witprove::stark;

namespace {
Fp random_fp(std::mt19937_64& rng) { return Fp(rng()); }

Fp evaluate(const std::vector<Fp>& coeffs, Fp x) {
  Fp acc;
  for (size_t i = coeffs.size(); i-- > 0;) acc = acc * x + coeffs[i];
  return acc;
}
}  // namespace

TEST_CASE("field arithmetic agrees with 128-bit reference arithmetic") {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 10000; ++i) {
    uint64_t a = rng() % Fp::P, b = rng() % Fp::P;
    unsigned __int128 p = Fp::P;
    CHECK((Fp(a) * Fp(b)).value() == static_cast<uint64_t>((static_cast<unsigned __int128>(a) * b) % p));
    CHECK((Fp(a) + Fp(b)).value() == static_cast<uint64_t>((static_cast<unsigned __int128>(a) + b) % p));
    CHECK((Fp(a) - Fp(b)).value() == static_cast<uint64_t>((static_cast<unsigned __int128>(a) + p - b) % p));
  }
  // Edge values.
  for (uint64_t a : {uint64_t{0}, uint64_t{1}, Fp::P - 1, Fp::P - 2, uint64_t{0xFFFFFFFF}, uint64_t{1} << 63})
    for (uint64_t b : {uint64_t{0}, uint64_t{1}, Fp::P - 1, uint64_t{0xFFFFFFFF00000000}})
      CHECK((Fp(a) * Fp(b)).value() == static_cast<uint64_t>((static_cast<unsigned __int128>(a) * b) % Fp::P));
}

TEST_CASE("inverses and batch inversion in Fp and Fp2") {
  std::mt19937_64 rng(2);
  std::vector<Fp2> v(100);
  for (auto& x : v) x = Fp2(random_fp(rng), random_fp(rng));
  v[7] = Fp2();
  auto inv = v;
  batch_inverse(std::span(inv));
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i].is_zero()) CHECK(inv[i].is_zero());
    else CHECK(v[i] * inv[i] == Fp2::one());
  }
  Fp a = random_fp(rng);
  CHECK(a * inverse(a) == Fp::one());
}

TEST_CASE("two-adic roots have exact order") {
  for (unsigned k : {1u, 2u, 10u, 32u}) {
    Fp w = two_adic_root(k);
    CHECK(pow(w, uint64_t{1} << k) == Fp::one());
    CHECK(!(pow(w, uint64_t{1} << (k - 1)) == Fp::one()));
  }
}

TEST_CASE("NTT evaluates, inverse NTT interpolates, coset LDE extends") {
  std::mt19937_64 rng(3);
  for (unsigned log_n : {0u, 1u, 3u, 8u}) {
    size_t n = size_t{1} << log_n;
    std::vector<Fp> coeffs(n);
    for (auto& c : coeffs) c = random_fp(rng);
    auto values = coeffs;
    ntt(values);
    Fp w = two_adic_root(log_n);
    for (size_t i = 0; i < n; ++i) CHECK(values[i] == evaluate(coeffs, pow(w, i)));
    intt(values);
    CHECK(values == coeffs);

    Fp shift(7);
    std::vector<Fp> lde(4 * n);
    coset_lde_bit_reversed(coeffs, shift, lde);
    Fp w4 = two_adic_root(log_n + 2);
    for (size_t i = 0; i < 4 * n; ++i) CHECK(lde[i] == evaluate(coeffs, shift * pow(w4, reverse_bits(i, log_n + 2))));
    std::vector<Fp> back(lde.begin(), lde.end());
    bit_reverse_permute(std::span(back));
    coset_intt(back, shift);
    for (size_t i = 0; i < 4 * n; ++i) CHECK(back[i] == (i < n ? coeffs[i] : Fp()));
  }
}

TEST_CASE("bit reversal") {
  CHECK(reverse_bits(1, 3) == 4);
  CHECK(reverse_bits(6, 3) == 3);
  CHECK(reverse_bits(0, 0) == 0);
  std::vector<int> v{0, 1, 2, 3, 4, 5, 6, 7};
  bit_reverse_permute(std::span(v));
  CHECK(v == std::vector<int>{0, 4, 2, 6, 1, 5, 3, 7});
}

TEST_CASE("transforms are exact on edge values (vector and scalar paths)") {
  const uint64_t edges[] = {0, 1, 2, Fp::P - 1, Fp::P - 2, 0xFFFFFFFF, 0x100000000, uint64_t{1} << 63, Fp::P >> 1,
                            0xFFFFFFFEFFFFFFFF};
  std::mt19937_64 rng(4);
  for (unsigned log_n : {2u, 3u, 4u, 5u, 6u}) {
    size_t n = size_t{1} << log_n;
    std::vector<Fp> coeffs(n);
    for (auto& c : coeffs) c = Fp(edges[rng() % std::size(edges)]);
    std::vector<Fp> lde(8 * n);
    coset_lde_bit_reversed(coeffs, Fp(7), lde);
    auto values = coeffs;
    ntt(values);
    Fp w = two_adic_root(log_n);
    for (size_t i = 0; i < n; ++i) CHECK(values[i] == evaluate(coeffs, pow(w, i)));
    for (auto& v : lde) CHECK(v.value() < Fp::P);
    intt(values);
    CHECK(values == coeffs);
  }
  // Coset extension with an edge-value shift, checked point by point.
  for (uint64_t s : {Fp::P - 1, uint64_t{0xFFFFFFFF}, uint64_t{7}}) {
    std::vector<Fp> coeffs(32);
    for (auto& c : coeffs) c = Fp(edges[rng() % std::size(edges)]);
    std::vector<Fp> lde(256);
    coset_lde_bit_reversed(coeffs, Fp(s), lde);
    Fp w = two_adic_root(8);
    for (size_t i = 0; i < lde.size(); ++i) CHECK(lde[i] == evaluate(coeffs, Fp(s) * pow(w, reverse_bits(i, 8))));
  }
}

TEST_CASE("lazy sums of products match field arithmetic, including past 2^128") {
  std::mt19937_64 rng(6);
  for (size_t count : {size_t{0}, size_t{1}, size_t{3}, size_t{1000}}) {
    LazySum lazy;
    Fp expected;
    for (size_t i = 0; i < count; ++i) {
      Fp a = i % 3 ? Fp(rng()) : Fp(Fp::P - 1), b = i % 5 ? Fp(rng()) : Fp(Fp::P - 1);
      lazy.add_product(a, b);
      expected += a * b;
    }
    CHECK(lazy.value() == expected);
  }
}
