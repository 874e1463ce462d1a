#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <string>

#include "stark/cpu.hpp"
#include "stark/folders.hpp"
#include "stark/ntt.hpp"

using namespace witprove::stark;

namespace {
Fp random_fp(std::mt19937_64& rng) { return Fp(rng()); }

// The coset extension of `coeffs` by 2^log_blowup, bit-reversed, through the in-place transform.
std::vector<Fp> extend(const std::vector<Fp>& coeffs, unsigned log_blowup, Fp shift) {
  std::vector<Fp> lde(coeffs.size() << log_blowup);
  std::copy(coeffs.begin(), coeffs.end(), lde.begin());
  coset_lde_bit_reversed_in_place(lde, log_blowup, shift);
  return lde;
}

Fp evaluate(const std::vector<Fp>& coeffs, Fp x) {
  Fp acc;
  for (size_t i = coeffs.size(); i-- > 0;) acc = acc * x + coeffs[i];
  return acc;
}
}  // namespace

constexpr uint64_t P = Fp::P;

TEST_CASE("field arithmetic agrees with 64-bit reference arithmetic") {
  CHECK(P == (uint64_t{1} << 31) - (uint64_t{1} << 24) + 1);
  std::mt19937_64 rng(1);
  for (int i = 0; i < 10000; ++i) {
    uint64_t a = rng() % P, b = rng() % P;
    CHECK((Fp(a) * Fp(b)).value() == a * b % P);
    CHECK((Fp(a) + Fp(b)).value() == (a + b) % P);
    CHECK((Fp(a) - Fp(b)).value() == (a + P - b) % P);
  }
  // Edge values, including inputs reduced on the way in.
  const uint64_t edges[] = {0, 1, P - 1, P - 2, P, P + 1, 0xFFFFFFFF, uint64_t{1} << 63, ~uint64_t{0}};
  for (uint64_t a : edges)
    for (uint64_t b : edges) {
      CHECK((Fp(a) * Fp(b)).value() == (a % P) * (b % P) % P);
      CHECK((Fp(a) + Fp(b)).value() == (a % P + b % P) % P);
      CHECK((Fp(a) - Fp(b)).value() == (a % P + P - b % P) % P);
    }
  // The Montgomery form is x · 2^32 mod p, and round-trips.
  for (uint64_t a : edges) {
    CHECK(Fp(a).monty() == ((a % P) << 32) % P);
    CHECK(Fp::from_monty(Fp(a).monty()) == Fp(a));
  }
  CHECK((-Fp::one()).value() == P - 1);
}

TEST_CASE("3 generates the multiplicative group, so x^4 - 3 is irreducible") {
  // p - 1 = 2^24 · 127: 3 is a generator iff 3^((p-1)/2) != 1 and 3^((p-1)/127) != 1. A generator is a
  // non-square, and with p = 1 mod 4 that makes x^4 - 3 irreducible.
  CHECK(P - 1 == (uint64_t{1} << 24) * 127);
  CHECK(pow(Fp(3), (P - 1) / 2) == -Fp::one());
  CHECK(!(pow(Fp(3), (P - 1) / 127) == Fp::one()));
  CHECK(P % 4 == 1);
  CHECK(Fp4::W == Fp(3));
}

TEST_CASE("extension multiplication agrees with polynomial multiplication mod x^4 - 3") {
  std::mt19937_64 rng(5);
  for (int i = 0; i < 1000; ++i) {
    uint64_t a[4], b[4];
    for (auto& x : a) x = i % 7 ? rng() % P : P - 1;
    for (auto& x : b) x = i % 11 ? rng() % P : P - 1;
    // Schoolbook product of degree 6, then x^(4+k) = 3 x^k, in plain integer arithmetic mod p.
    uint64_t prod[7] = {};
    for (size_t j = 0; j < 4; ++j)
      for (size_t k = 0; k < 4; ++k) prod[j + k] = (prod[j + k] + a[j] * b[k] % P) % P;
    for (size_t k = 0; k < 3; ++k) prod[k] = (prod[k] + 3 * prod[k + 4]) % P;
    const Fp4 x{Fp(a[0]), Fp(a[1]), Fp(a[2]), Fp(a[3])}, y{Fp(b[0]), Fp(b[1]), Fp(b[2]), Fp(b[3])};
    const Fp4 z = x * y;
    for (size_t k = 0; k < 4; ++k) CHECK(z.c[k].value() == prod[k]);
  }
  CHECK(pow(Fp4::x(), 4) == Fp4(Fp(3)));
  // compose: sum_i x^i v_i.
  const Fp4 v[4] = {Fp4(Fp(5)), Fp4(Fp(6)), Fp4(Fp(7)), Fp4(Fp(8))};
  CHECK(compose(v) == Fp4(Fp(5), Fp(6), Fp(7), Fp(8)));
}

TEST_CASE("inverses and batch inversion in Fp and Fp4") {
  std::mt19937_64 rng(2);
  std::vector<Fp4> v(100);
  for (auto& x : v) x = Fp4(random_fp(rng), random_fp(rng), random_fp(rng), random_fp(rng));
  v[3] = Fp4(random_fp(rng));                                  // in the base field
  v[5] = Fp4(Fp(), random_fp(rng), Fp(), random_fp(rng));      // A0 = 0
  v[6] = Fp4(random_fp(rng), Fp(), random_fp(rng), Fp());      // A1 = 0
  v[7] = Fp4();
  auto inv = v;
  batch_inverse(std::span(inv));
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i].is_zero()) CHECK(inv[i].is_zero());
    else CHECK(v[i] * inv[i] == Fp4::one());
  }
  Fp a = random_fp(rng);
  CHECK(a * inverse(a) == Fp::one());
}

TEST_CASE("packed extension dot products agree with scalar ones, at the largest values and across reductions") {
  std::mt19937_64 rng(11);
  const Fp top = Fp::from_monty(P - 1);  // the largest Montgomery form: the largest products
  for (size_t terms : {1, 3, 4, 5, 9, 100}) {
    for (bool extreme : {true, false}) {
      PackedFp4Dot dot;
      std::array<Fp4, PackedFp::kLanes> expected{};
      for (size_t i = 0; i < terms; ++i) {
        const Fp4 a = extreme ? Fp4(top, top, top, top) : Fp4(random_fp(rng), random_fp(rng), random_fp(rng), random_fp(rng));
        std::array<Fp, PackedFp::kLanes> x;
        for (auto& v : x) v = extreme ? top : random_fp(rng);
        dot.add(a, PackedFp::load(x.data()));
        for (size_t l = 0; l < PackedFp::kLanes; ++l) expected[l] += a * x[l];
      }
      CHECK(dot.value().unpack() == expected);
    }
  }
}

TEST_CASE("packed base dot products agree with scalar ones, at the largest values and across reductions") {
  std::mt19937_64 rng(13);
  const Fp top = Fp::from_monty(P - 1);
  for (size_t terms : {1, 3, 4, 5, 9, 100}) {
    for (bool extreme : {true, false}) {
      PackedFpDot dot;
      std::array<Fp, PackedFp::kLanes> expected{};
      for (size_t i = 0; i < terms; ++i) {
        std::array<Fp, PackedFp::kLanes> a, b;
        for (size_t l = 0; l < PackedFp::kLanes; ++l) {
          a[l] = extreme ? top : random_fp(rng);
          b[l] = extreme ? top : random_fp(rng);
          expected[l] += a[l] * b[l];
        }
        dot.add(PackedFp::load(a.data()), PackedFp::load(b.data()));
      }
      CHECK(dot.value().lanes() == expected);
    }
  }
}

TEST_CASE("packed extension products agree with Fp4 products lane by lane") {
  std::mt19937_64 rng(12);
  auto random_packed = [&](bool extreme) {
    PackedFp4 v;
    for (auto& c : v.c) {
      std::array<Fp, PackedFp::kLanes> lanes;
      for (auto& x : lanes) x = extreme ? Fp::from_monty(P - 1) : random_fp(rng);
      c = PackedFp::load(lanes.data());
    }
    return v;
  };
  for (int round = 0; round < 20; ++round) {
    const PackedFp4 a = random_packed(round == 0), b = random_packed(round == 0);
    const Fp4 k(random_fp(rng), random_fp(rng), random_fp(rng), random_fp(rng));
    const auto ab = (a * b).unpack(), kb = (k * b).unpack(), a_minus_b = (a - b).unpack();
    const auto a_times_base = (a * b.c[2]).unpack();
    const auto x = a.unpack(), y = b.unpack();
    const auto base = b.c[2].lanes();
    for (size_t l = 0; l < PackedFp::kLanes; ++l) {
      CHECK(ab[l] == x[l] * y[l]);
      CHECK(kb[l] == k * y[l]);
      CHECK(a_minus_b[l] == x[l] - y[l]);
      CHECK(a_times_base[l] == x[l] * base[l]);
    }
  }
}

TEST_CASE("the packed field runs sixteen lanes exactly when built for x86-64-v4") {
  const std::string arch = target_arch();
  INFO("built for " << arch);
  CHECK(cpu_has_target_arch());
  CHECK(PackedFp::kLanes == (arch == "x86-64-v4" ? 16u : 8u));
}

TEST_CASE("the CPU check: x86-64-v4 implies x86-64-v3, and a level it does not know is not checked") {
  if (cpu_has("x86-64-v4")) CHECK(cpu_has("x86-64-v3"));
  CHECK(cpu_has("x86-64"));
  CHECK(cpu_has(""));
}

TEST_CASE("two-adic roots have exact order") {
  for (unsigned k : {1u, 2u, 10u, 24u}) {
    Fp w = two_adic_root(k);
    CHECK(pow(w, uint64_t{1} << k) == Fp::one());
    CHECK(!(pow(w, uint64_t{1} << (k - 1)) == Fp::one()));
  }
}

TEST_CASE("NTT evaluates, inverse NTT interpolates, coset LDE extends") {
  std::mt19937_64 rng(3);
  for (unsigned log_n : {0u, 1u, 3u, 4u, 5u, 8u}) {
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
    const std::vector<Fp> lde = extend(coeffs, 2, shift);
    Fp w4 = two_adic_root(log_n + 2);
    for (size_t i = 0; i < 4 * n; ++i) CHECK(lde[i] == evaluate(coeffs, shift * pow(w4, reverse_bits(i, log_n + 2))));
    std::vector<Fp4> ext(lde.begin(), lde.end());
    const ExtColumns back = coset_intt_bit_reversed(ext, shift);
    for (size_t i = 0; i < 4 * n; ++i) CHECK(back[0][i] == (i < n ? coeffs[i] : Fp()));
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
  const uint64_t edges[] = {0, 1, 2, P - 1, P - 2, P >> 1, (P >> 1) + 1, uint64_t{1} << 30, 0xFFFF, P - 0xFFFF};
  std::mt19937_64 rng(4);
  for (unsigned log_n : {2u, 3u, 4u, 5u, 6u, 7u}) {
    size_t n = size_t{1} << log_n;
    std::vector<Fp> coeffs(n);
    for (auto& c : coeffs) c = Fp(edges[rng() % std::size(edges)]);
    const std::vector<Fp> lde = extend(coeffs, 3, Fp(7));
    auto values = coeffs;
    ntt(values);
    Fp w = two_adic_root(log_n);
    for (size_t i = 0; i < n; ++i) CHECK(values[i] == evaluate(coeffs, pow(w, i)));
    for (auto& v : lde) CHECK(v.value() < Fp::P);
    intt(values);
    CHECK(values == coeffs);
  }
  // Coset extension with an edge-value shift, checked point by point.
  for (uint64_t s : {P - 1, P - 2, uint64_t{3}}) {
    std::vector<Fp> coeffs(32);
    for (auto& c : coeffs) c = Fp(edges[rng() % std::size(edges)]);
    const std::vector<Fp> lde = extend(coeffs, 3, Fp(s));
    Fp w = two_adic_root(8);
    for (size_t i = 0; i < lde.size(); ++i) CHECK(lde[i] == evaluate(coeffs, Fp(s) * pow(w, reverse_bits(i, 8))));
  }
}

TEST_CASE("transforms longer than a cache block agree with direct evaluation") {
  // 2^15 points: one outer stage, then blocks; 2^17: an outer stage pair (radix 4) and one stage more.
  std::mt19937_64 rng(9);
  for (unsigned log_n : {15u, 17u}) {
    const size_t n = size_t{1} << log_n;
    std::vector<Fp> coeffs(n);
    for (auto& c : coeffs) c = random_fp(rng);
    const Fp w = two_adic_root(log_n);
    std::vector<size_t> samples = {0, 1, n / 2, n - 1};
    for (int k = 0; k < 6; ++k) samples.push_back(rng() % n);

    auto values = coeffs;
    ntt(values);
    for (size_t i : samples) CHECK(values[i] == evaluate(coeffs, pow(w, i)));

    // The inverse from values in bit-reversed order (as the prover lays a trace out) gives the coefficients.
    auto reversed = values;
    bit_reverse_permute(std::span(reversed));
    const auto reversed_values = reversed;
    intt_bit_reversed(reversed);
    CHECK(reversed == coeffs);
    intt(values);
    CHECK(values == coeffs);

    // Coset extension by 2, in place, checked point by point.
    const Fp shift(7), w2 = two_adic_root(log_n + 1);
    const std::vector<Fp> lde = extend(coeffs, 1, shift);
    for (size_t i : samples)
      for (size_t s : {i, i + n}) CHECK(lde[s] == evaluate(coeffs, shift * pow(w2, reverse_bits(s, log_n + 1))));
    // By 4: each of the four cosets' blocks (the first scaled from the coefficients in place, the others into fresh memory).
    const Fp w4 = two_adic_root(log_n + 2);
    const std::vector<Fp> lde4 = extend(coeffs, 2, shift);
    for (size_t i : samples)
      for (size_t k = 0; k < 4; ++k)
        CHECK(lde4[i + k * n] == evaluate(coeffs, shift * pow(w4, reverse_bits(i + k * n, log_n + 2))));
    // The same extension from the values on H_n in bit-reversed order (the prover's path for a trace).
    std::vector<Fp> from_values(2 * n);
    std::copy(reversed_values.begin(), reversed_values.end(), from_values.begin());
    lde_bit_reversed_in_place(from_values, 1, shift);
    CHECK(from_values == lde);

    // And back: the extension's bit-reversed values interpolate to the coefficients, then zeros.
    std::vector<Fp4> ext(2 * n);
    for (size_t s = 0; s < 2 * n; ++s) ext[s] = Fp4(Fp(), lde[s], Fp(), Fp());
    const ExtColumns back = coset_intt_bit_reversed(ext, shift);
    CHECK(std::equal(coeffs.begin(), coeffs.end(), back[1].begin()));
    CHECK(std::all_of(back[1].begin() + static_cast<ptrdiff_t>(n), back[1].end(), [](Fp x) { return x == Fp(); }));
    CHECK(std::all_of(back[0].begin(), back[0].end(), [](Fp x) { return x == Fp(); }));
  }
}
