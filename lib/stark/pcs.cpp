#include "stark/pcs.hpp"

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include "stark/ntt.hpp"

namespace witprove::stark::pcs {

Committed commit_coefficients(ColumnMatrix coeffs, unsigned log_blowup, Fp shift, ProveTimings& timings) {
  Committed c;
  size_t n = coeffs.height, w = coeffs.width, big = n << log_blowup;
  {
    PhaseTimer timer(timings.lde);
    c.lde = ColumnMatrix(w, big);
    tbb::parallel_for(size_t{0}, w, [&](size_t col) { coset_lde_bit_reversed(coeffs.column(col), shift, c.lde.column(col)); });
  }
  PhaseTimer timer(timings.commit);
  c.coeffs = std::move(coeffs);
  std::vector<Digest> leaves(big);
  size_t block = rows_per_block(w);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, big, block), [&](const auto& r) {
    std::vector<Fp> buf(r.size() * w);
    gather_rows(c.lde, r.begin(), r.size(), buf.data());
    for (size_t i = 0; i < r.size(); ++i) leaves[r.begin() + i] = hash_elements({buf.data() + i * w, w});
  });
  c.tree = build_merkle_tree(std::move(leaves));
  return c;
}

Committed commit_trace(const Trace& trace, unsigned log_blowup, Fp shift, ProveTimings& timings) {
  ColumnMatrix coeffs(trace.width, trace.height);
  {
    PhaseTimer timer(timings.lde);
    // Eight columns per task, so that each trace row is read a cache line at a time.
    constexpr size_t kTile = 8;
    tbb::parallel_for(size_t{0}, (trace.width + kTile - 1) / kTile, [&](size_t tile) {
      size_t first = tile * kTile, last = std::min(first + kTile, trace.width);
      for (size_t r = 0; r < trace.height; ++r) {
        const Fp* row = trace.values.data() + r * trace.width;
        for (size_t col = first; col < last; ++col) coeffs.data[col * trace.height + r] = row[col];
      }
      for (size_t col = first; col < last; ++col) intt(coeffs.column(col));
    });
  }
  return commit_coefficients(std::move(coeffs), log_blowup, shift, timings);
}

std::vector<Fp2> evaluate_columns(const ColumnMatrix& coeffs, Fp2 point) {
  std::vector<Fp2> pw = powers(point, coeffs.height);
  std::vector<Fp2> out(coeffs.width);
  tbb::parallel_for(size_t{0}, coeffs.width, [&](size_t col) {
    auto c = coeffs.column(col);
    LazySum re, im;
    for (size_t i = 0; i < c.size(); ++i) {
      re.add_product(pw[i].c0, c[i]);
      im.add_product(pw[i].c1, c[i]);
    }
    out[col] = Fp2(re.value(), im.value());
  });
  return out;
}

TreeOpening open_rows(const Committed& c, std::span<const size_t> rows) {
  TreeOpening o;
  for (size_t r : rows) {
    std::vector<Fp> row(c.lde.width);
    gather_rows(c.lde, r, 1, row.data());
    o.rows.push_back(std::move(row));
  }
  o.siblings = open_merkle_batch(c.tree, rows);
  return o;
}

std::optional<std::string> check_opening(const TreeOpening& o, const Digest& root, unsigned log_leaves,
                                         std::span<const size_t> rows, size_t width, std::string_view what) {
  if (o.rows.size() != rows.size()) return fmt::format("{}: {} rows opened, {} expected", what, o.rows.size(), rows.size());
  std::vector<Digest> leaves;
  leaves.reserve(o.rows.size());
  for (const auto& row : o.rows) {
    if (row.size() != width) return fmt::format("{}: opened row has {} values, {} expected", what, row.size(), width);
    leaves.push_back(hash_elements(row));
  }
  if (!verify_merkle_batch(root, log_leaves, rows, leaves, o.siblings))
    return fmt::format("{}: Merkle opening does not match the commitment", what);
  return std::nullopt;
}

DeepTerms deep_terms(std::span<const Fp2> main_local, std::span<const Fp2> main_next, std::span<const Fp2> aux_local,
                     std::span<const Fp2> aux_next, std::span<const Fp2> quotient, Fp2 lambda, Fp2& lambda_pow) {
  DeepTerms t{lambda_pow, Fp2(), Fp2()};
  auto fold = [&](std::span<const Fp2> at_zeta, std::span<const Fp2> at_next) {
    for (size_t c = 0; c < at_zeta.size(); ++c) {
      t.at_zeta += lambda_pow * at_zeta[c];
      if (!at_next.empty()) t.at_next += lambda_pow * at_next[c];
      lambda_pow *= lambda;
    }
  };
  fold(main_local, main_next);
  fold(aux_local, aux_next);
  fold(quotient, {});
  return t;
}

std::vector<Fp2> deep_codeword(std::span<const ColumnMatrix* const> with_next, const ColumnMatrix& quotient,
                               const DeepTerms& terms, Fp2 lambda, Fp2 mu, Fp2 zeta, Fp2 zeta_next, Fp shift,
                               unsigned log_blowup) {
  // Combined on coefficients (a: every column, b: those also opened at zeta·w), then extended.
  const size_t n = quotient.height, big = n << log_blowup;
  std::vector<std::pair<const Fp*, Fp2>> columns;
  Fp2 p = terms.lambda_first;
  for (const ColumnMatrix* m : with_next)
    for (size_t c = 0; c < m->width; ++c, p *= lambda) columns.push_back({m->column(c).data(), p});
  const size_t next_columns = columns.size();
  for (size_t c = 0; c < quotient.width; ++c, p *= lambda) columns.push_back({quotient.column(c).data(), p});

  std::vector<Fp> parts[4];  // a.c0, a.c1, b.c0, b.c1 coefficients, then their LDE
  for (auto& part : parts) part.resize(n);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 1024), [&](const auto& r) {
    std::vector<LazySum> re(r.size()), im(r.size());
    for (size_t c = 0; c < columns.size(); ++c) {
      auto [col, coeff] = columns[c];
      for (size_t j = r.begin(); j < r.end(); ++j) {
        re[j - r.begin()].add_product(coeff.c0, col[j]);
        im[j - r.begin()].add_product(coeff.c1, col[j]);
      }
      if (c + 1 == next_columns)
        for (size_t j = r.begin(); j < r.end(); ++j) {
          parts[2][j] = re[j - r.begin()].value();
          parts[3][j] = im[j - r.begin()].value();
        }
    }
    for (size_t j = r.begin(); j < r.end(); ++j) {
      parts[0][j] = re[j - r.begin()].value();
      parts[1][j] = im[j - r.begin()].value();
    }
  });
  std::vector<Fp> lde[4];
  tbb::parallel_for(0, 4, [&](int k) {
    lde[k].resize(big);
    coset_lde_bit_reversed(parts[k], shift, lde[k]);
  });

  const unsigned log_big = static_cast<unsigned>(__builtin_ctzll(big));
  std::vector<Fp> xs = powers(two_adic_root(log_big), big);
  std::vector<Fp2> out(big);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, big, 4096), [&](const auto& r) {
    std::vector<Fp2> inv_z(r.size()), inv_zn(r.size());
    for (size_t j = r.begin(); j < r.end(); ++j) {
      Fp x = xs[reverse_bits(j, log_big)] * shift;
      inv_z[j - r.begin()] = x - zeta;
      inv_zn[j - r.begin()] = x - zeta_next;
    }
    batch_inverse(std::span(inv_z));
    batch_inverse(std::span(inv_zn));
    for (size_t j = r.begin(); j < r.end(); ++j) {
      Fp2 a(lde[0][j], lde[1][j]), b(lde[2][j], lde[3][j]);
      out[j] = (a - terms.at_zeta) * inv_z[j - r.begin()] + mu * (b - terms.at_next) * inv_zn[j - r.begin()];
    }
  });
  return out;
}

Fp2 deep_value(std::span<const std::span<const Fp>> with_next, std::span<const Fp> quotient, const DeepTerms& terms,
               Fp2 lambda, Fp2 mu, Fp2 zeta, Fp2 zeta_next, Fp x) {
  Fp2 a, p = terms.lambda_first;
  for (auto row : with_next)
    for (Fp v : row) {
      a += p * v;
      p *= lambda;
    }
  const Fp2 b = a;
  for (Fp v : quotient) {
    a += p * v;
    p *= lambda;
  }
  return (a - terms.at_zeta) * inverse(Fp2(x) - zeta) + mu * (b - terms.at_next) * inverse(Fp2(x) - zeta_next);
}

}  // namespace witprove::stark::pcs
