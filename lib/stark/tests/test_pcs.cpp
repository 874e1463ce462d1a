#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "stark/ntt.hpp"
#include "stark/pcs.hpp"

using namespace witprove::stark;

namespace {

Fp random_fp(std::mt19937_64& rng) { return Fp(rng()); }
Fp4 random_fp4(std::mt19937_64& rng) { return Fp4(random_fp(rng), random_fp(rng), random_fp(rng), random_fp(rng)); }

// A trace whose columns are random combinations of two random polynomials of degree < n, given in row order
// (row i at w^i, through the transform that the NTT tests check against direct evaluation), with the
// polynomials' coefficients.
struct PolyTrace {
  Trace trace;
  std::vector<Fp> p0, p1;  // coefficients
  std::vector<std::pair<Fp, Fp>> mix;  // column c = mix[c].first · p0 + mix[c].second · p1
};

PolyTrace poly_trace(size_t width, unsigned log_n, std::mt19937_64& rng) {
  const size_t n = size_t{1} << log_n;
  PolyTrace t{Trace(width, n), std::vector<Fp>(n), std::vector<Fp>(n), {}};
  for (size_t k = 0; k < n; ++k) t.p0[k] = random_fp(rng), t.p1[k] = random_fp(rng);
  for (size_t c = 0; c < width; ++c) t.mix.push_back({random_fp(rng), random_fp(rng)});
  std::vector<Fp> v0 = t.p0, v1 = t.p1;  // values at w^i, natural order
  ntt(v0);
  ntt(v1);
  for (size_t i = 0; i < n; ++i)
    for (size_t c = 0; c < width; ++c) t.trace.at(i, c) = t.mix[c].first * v0[i] + t.mix[c].second * v1[i];
  return t;
}

Fp4 horner(const std::vector<Fp>& coeffs, Fp4 z) {
  Fp4 v;
  for (size_t k = coeffs.size(); k-- > 0;) v = v * z + coeffs[k];
  return v;
}

}  // namespace

TEST_CASE("out-of-domain openings equal the column polynomials' values, over spans and blocks of rows and column groups") {
  std::mt19937_64 rng(41);
  // 2^13 rows: two spans of one block; 2^19: 64 spans of two blocks. 33 columns: two groups.
  for (unsigned log_n : {3u, 13u, 19u}) {
    const size_t width = 33;
    const PolyTrace t = poly_trace(width, log_n, rng);
    ProveTimings timings;
    const pcs::Committed c = pcs::commit_trace(t.trace, 1, Fp(7), timings);
    const Fp4 points[] = {random_fp4(rng), random_fp4(rng)};
    const pcs::OpeningWeights weights = pcs::opening_weights(log_n, Fp(7), points);
    // At the second point only some columns: one of each group, and the last.
    const std::vector<uint32_t> next{0, 31, 32};
    const auto values = pcs::evaluate_columns(c, weights, next);
    const Fp4 v0 = horner(t.p0, points[0]), v1 = horner(t.p1, points[0]);
    REQUIRE(values.at_zeta.size() == width);
    for (size_t col = 0; col < width; ++col) CHECK(values.at_zeta[col] == t.mix[col].first * v0 + t.mix[col].second * v1);
    const Fp4 w0 = horner(t.p0, points[1]), w1 = horner(t.p1, points[1]);
    REQUIRE(values.at_next.size() == next.size());
    for (size_t j = 0; j < next.size(); ++j)
      CHECK(values.at_next[j] == t.mix[next[j]].first * w0 + t.mix[next[j]].second * w1);
    CHECK(pcs::evaluate_columns(c, weights, {}).at_next.empty());
  }
}

TEST_CASE("the prover's DEEP codeword agrees with the verifier's value at every tested LDE point") {
  std::mt19937_64 rng(42);
  const unsigned log_n = 10, log_blowup = 1;
  const Fp shift(7);
  ProveTimings timings;
  const pcs::Committed main = pcs::commit_trace(poly_trace(11, log_n, rng).trace, log_blowup, shift, timings);
  const pcs::Committed aux = pcs::commit_trace(poly_trace(8, log_n, rng).trace, log_blowup, shift, timings);
  const pcs::Committed quotient = pcs::commit_trace(poly_trace(4, log_n, rng).trace, log_blowup, shift, timings);
  const pcs::DeepTerms terms{random_fp4(rng), random_fp4(rng), random_fp4(rng)};
  const Fp4 lambda = random_fp4(rng), mu = random_fp4(rng), zeta = random_fp4(rng);
  const Fp4 zeta_next = zeta * two_adic_root(log_n);
  // The main matrix's columns 2 and 9 and the auxiliary's last four are opened at zeta·w as well.
  const std::vector<uint32_t> mask{2, 9}, aux_mask{4, 5, 6, 7};
  const pcs::MaskedMatrix matrices[] = {{&main, mask}, {&aux, aux_mask}, {&quotient, {}}};
  const std::vector<Fp4> codeword = pcs::deep_codeword(matrices, terms, lambda, mu, zeta, zeta_next);
  const unsigned log_big = log_n + log_blowup;
  REQUIRE(codeword.size() == size_t{1} << log_big);
  for (size_t j : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{1000}, size_t{1023}, size_t{1024}, size_t{2047}}) {
    auto row_of = [&](const pcs::Committed& m) {
      std::vector<Fp> row(m.lde.width);
      for (size_t col = 0; col < m.lde.width; ++col) row[col] = m.lde.column(col)[j];
      return row;
    };
    const std::vector<Fp> main_row = row_of(main), aux_row = row_of(aux), quotient_row = row_of(quotient);
    const pcs::MaskedRow rows[] = {{main_row, mask}, {aux_row, aux_mask}, {quotient_row, {}}};
    const Fp x = shift * pow(two_adic_root(log_big), reverse_bits(j, log_big));
    const Fp4 value = pcs::deep_value(rows, terms, lambda, mu, zeta, zeta_next, x);
    CHECK(codeword[j] == value);
    // The definition, term by term: lambda^k over main, auxiliary, then quotient columns, the masks' at
    // zeta·w too.
    Fp4 a, b, p = terms.lambda_first;
    for (size_t col = 0; col < main_row.size(); ++col, p *= lambda) {
      a += p * main_row[col];
      if (col == 2 || col == 9) b += p * main_row[col];
    }
    for (size_t col = 0; col < aux_row.size(); ++col, p *= lambda) {
      a += p * aux_row[col];
      if (col >= 4) b += p * aux_row[col];
    }
    for (Fp v : quotient_row) {
      a += p * v;
      p *= lambda;
    }
    CHECK(value == (a - terms.at_zeta) * inverse(Fp4(x) - zeta) + mu * (b - terms.at_next) * inverse(Fp4(x) - zeta_next));
  }
}
