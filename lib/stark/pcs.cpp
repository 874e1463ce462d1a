#include "stark/pcs.hpp"

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <array>
#include <cstdint>
#include <stdexcept>

#include "stark/ntt.hpp"
#include "stark/packed.hpp"

namespace witprove::stark::pcs {

namespace {

// Extends `width` columns: fill(lde) writes each column's first n entries (in parallel as it sees fit),
// `interpolate` says they are evaluations in bit-reversed order rather than coefficients, and each column
// is then transformed in place.
template <class Fill>
Committed extend_columns(size_t width, size_t n, unsigned log_blowup, Fp shift, bool interpolate, ProveTimings& timings,
                         Fill fill) {
  Committed c;
  const size_t big = n << log_blowup;
  c.log_n = static_cast<unsigned>(__builtin_ctzll(n));
  c.shift = shift;
  PhaseTimer timer(timings.lde);
  c.lde = ColumnMatrix(width, big);
  fill(c.lde);
  tbb::parallel_for(size_t{0}, width, [&](size_t col) {
    if (interpolate) lde_bit_reversed_in_place(c.lde.column(col), log_blowup, shift);
    else coset_lde_bit_reversed_in_place(c.lde.column(col), log_blowup, shift);
  });
  return c;
}

// The Merkle tree of the LDE's rows.
void hash_rows(Committed& c, ProveTimings& timings) {
  PhaseTimer timer(timings.commit);
  const size_t width = c.lde.width;
  c.tree = build_merkle_tree(c.lde.height, rows_per_block(width), [&](size_t first, size_t last, Digest* out) {
    std::vector<Fp> buf((last - first) * width);
    gather_rows(c.lde, first, last - first, buf.data());
    for (size_t i = 0; i < last - first; ++i) out[i] = hash_elements({buf.data() + i * width, width});
  });
}

}  // namespace

Committed extend_trace(const Trace& trace, unsigned log_blowup, Fp shift, ProveTimings& timings) {
  const unsigned log_n = static_cast<unsigned>(__builtin_ctzll(trace.height));
  return extend_columns(trace.width, trace.height, log_blowup, shift, true, timings, [&](ColumnMatrix& lde) {
    // Rows are taken in bit-reversed order, the order the inverse transform wants: no permutation pass.
    // A task takes the rows of 256 consecutive positions (a few MB that stay in the cache while it runs),
    // gathers 16 columns of them at a time and writes each column's 256 values with non-temporal stores
    // (the matrix is far larger than the cache: reading its lines first would only double the traffic).
    // Taking all rows for a few columns instead reads a cache line from each of n scattered rows per 16
    // columns, bound by memory latency: 5-6x slower on a 2,474-column table.
    constexpr size_t kRows = 256, kTile = 16;
    const size_t width = trace.width, rows = std::min(kRows, trace.height);
    const bool aligned = rows == kRows && reinterpret_cast<uintptr_t>(lde.data.data()) % 32 == 0;
    tbb::parallel_for(size_t{0}, trace.height / rows, [&](size_t block) {
      const size_t first = block * rows;
      alignas(32) std::array<Fp, kRows * kTile> tile;
      for (size_t c0 = 0; c0 < width; c0 += kTile) {
        const size_t c1 = std::min(c0 + kTile, width);
        for (size_t i = 0; i < rows; ++i) {
          const Fp* row = trace.values.data() + reverse_bits(first + i, log_n) * width;
          for (size_t col = c0; col < c1; ++col) tile[(col - c0) * rows + i] = row[col];
        }
        for (size_t col = c0; col < c1; ++col) {
          const Fp* from = tile.data() + (col - c0) * rows;
          Fp* to = lde.data.data() + col * lde.height + first;
          if (!aligned) {
            std::copy_n(from, rows, to);
            continue;
          }
          for (size_t i = 0; i < rows; i += PackedFp::kLanes) PackedFp::load(from + i).stream(to + i);
        }
      }
      stream_fence();
    });
  });
}

bool leaves_match(const Committed& c, size_t samples) {
  if (c.tree.num_leaves != c.lde.height) return false;
  std::vector<Fp> row(c.lde.width);
  for (size_t k = 0; k < samples; ++k) {
    const size_t r = k * c.lde.height / samples;
    gather_rows(c.lde, r, 1, row.data());
    if (hash_elements(row) != c.tree.nodes[c.tree.num_leaves + r]) return false;
  }
  return true;
}

Committed commit_trace(const Trace& trace, unsigned log_blowup, Fp shift, ProveTimings& timings) {
  Committed c = extend_trace(trace, log_blowup, shift, timings);
  hash_rows(c, timings);
  return c;
}

Committed commit_coefficients(const ColumnMatrix& coeffs, unsigned log_blowup, Fp shift, ProveTimings& timings) {
  Committed c = extend_columns(coeffs.width, coeffs.height, log_blowup, shift, false, timings, [&](ColumnMatrix& lde) {
    tbb::parallel_for(size_t{0}, coeffs.width, [&](size_t col) {
      std::copy_n(coeffs.column(col).begin(), coeffs.height, lde.column(col).begin());
    });
  });
  hash_rows(c, timings);
  return c;
}

// Barycentric evaluation on the coset s·H_n held by the first n LDE rows (x_j = s·w^rev(j)):
//   p(z) = (z^n - s^n) / (n s^n) · sum_j v_j x_j / (z - x_j).
OpeningWeights opening_weights(unsigned log_n, Fp shift, std::span<const Fp4> points) {
  const size_t n = size_t{1} << log_n;
  const std::vector<Fp> natural = powers(two_adic_root(log_n), n);
  const Fp s_n = pow(shift, n);
  OpeningWeights out{log_n, shift, {}};
  for (const Fp4& point : points) {
    const Fp4 factor = (pow(point, n) - s_n) * inverse(Fp(n) * s_n);
    ExtColumns w;
    for (auto& c : w) c.resize(n);
    tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 1 << 14), [&](const auto& r) {
      std::vector<Fp> x(r.size());
      std::vector<Fp4> d(r.size());
      for (size_t j = r.begin(); j < r.end(); ++j) {
        x[j - r.begin()] = shift * natural[reverse_bits(j, log_n)];
        d[j - r.begin()] = point - x[j - r.begin()];
      }
      batch_inverse(std::span(d));
      for (size_t j = r.begin(); j < r.end(); ++j) {
        const Fp4 v = factor * x[j - r.begin()] * d[j - r.begin()];
        for (size_t k = 0; k < Fp4::D; ++k) w[k][j] = v.c[k];
      }
    });
    out.at.push_back(std::move(w));
  }
  return out;
}

// Each column is read once for all points, eight rows at a time against the weights' coordinates.
std::vector<std::vector<Fp4>> evaluate_columns(const Committed& c, const OpeningWeights& weights, size_t points) {
  constexpr size_t kLanes = PackedFp::kLanes;
  if (c.log_n != weights.log_n || !(c.shift == weights.shift) || points > weights.at.size())
    throw std::logic_error("evaluate_columns: weights of another coset");
  const size_t n = size_t{1} << c.log_n;
  std::vector<std::vector<Fp4>> out(points, std::vector<Fp4>(c.lde.width));
  tbb::parallel_for(size_t{0}, c.lde.width, [&](size_t col) {
    const Fp* v = c.lde.column(col).data();
    for (size_t p = 0; p < points; ++p) {
      const ExtColumns& w = weights.at[p];
      PackedFp4 acc;
      for (size_t j = 0; j < n; j += kLanes) {
        const size_t count = std::min(kLanes, n - j);
        const PackedFp x = count == kLanes ? PackedFp::load(v + j) : PackedFp::load_partial(v + j, count);
        for (size_t k = 0; k < Fp4::D; ++k)
          acc.c[k] += x * (count == kLanes ? PackedFp::load(w[k].data() + j) : PackedFp::load_partial(w[k].data() + j, count));
      }
      out[p][col] = acc.sum();
    }
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

DeepTerms deep_terms(const TableProof& tp, Fp4 lambda, Fp4& lambda_pow) {
  DeepTerms t{lambda_pow, Fp4(), Fp4()};
  auto fold = [&](std::span<const Fp4> at_zeta, std::span<const Fp4> at_next) {
    for (size_t c = 0; c < at_zeta.size(); ++c) {
      t.at_zeta += lambda_pow * at_zeta[c];
      if (!at_next.empty()) t.at_next += lambda_pow * at_next[c];
      lambda_pow *= lambda;
    }
  };
  fold(tp.fixed_local, tp.fixed_next);
  fold(tp.main_local, tp.main_next);
  fold(tp.aux_local, tp.aux_next);
  fold(tp.quotient_chunks, {});
  return t;
}

std::vector<Fp4> deep_codeword(std::span<const Committed* const> with_next, const Committed& quotient,
                               const DeepTerms& terms, Fp4 lambda, Fp4 mu, Fp4 zeta, Fp4 zeta_next) {
  const size_t big = quotient.lde.height;
  // Columns with their lambda powers; the first next_columns are also opened at zeta·w.
  std::vector<std::pair<const Fp*, Fp4>> columns;
  Fp4 p = terms.lambda_first;
  for (const Committed* m : with_next)
    for (size_t c = 0; c < m->lde.width; ++c, p *= lambda) columns.push_back({m->lde.column(c).data(), p});
  const size_t next_columns = columns.size();
  for (size_t c = 0; c < quotient.lde.width; ++c, p *= lambda) columns.push_back({quotient.lde.column(c).data(), p});

  const unsigned log_big = static_cast<unsigned>(__builtin_ctzll(big));
  const std::vector<Fp> natural = powers(two_adic_root(log_big), big);
  const Fp shift = quotient.shift;
  std::vector<Fp4> out(big);
  constexpr size_t kLanes = PackedFp::kLanes;
  tbb::parallel_for(tbb::blocked_range<size_t>(0, big, 1024), [&](const auto& r) {
    const size_t m = r.size(), groups = (m + kLanes - 1) / kLanes;
    // a: every column, b: those also opened at zeta·w, combined with lambda powers, eight points at a time.
    std::vector<PackedFp4> a(groups), b(groups);
    for (size_t c = 0; c < columns.size(); ++c) {
      const auto [col, coeff] = columns[c];
      const PackedFp4 k(coeff);
      for (size_t g = 0; g < groups; ++g) {
        const size_t first = r.begin() + kLanes * g, count = std::min(kLanes, r.end() - first);
        const PackedFp x = count == kLanes ? PackedFp::load(col + first) : PackedFp::load_partial(col + first, count);
        for (size_t i = 0; i < Fp4::D; ++i) a[g].c[i] += k.c[i] * x;
      }
      if (c + 1 == next_columns) b = a;
    }
    std::vector<Fp4> inv_z(m), inv_zn(m);
    for (size_t j = 0; j < m; ++j) {
      const Fp x = shift * natural[reverse_bits(r.begin() + j, log_big)];
      inv_z[j] = x - zeta;
      inv_zn[j] = x - zeta_next;
    }
    batch_inverse(std::span(inv_z));
    batch_inverse(std::span(inv_zn));
    for (size_t g = 0; g < groups; ++g) {
      const auto av = a[g].unpack(), bv = b[g].unpack();
      for (size_t l = 0; l < kLanes && kLanes * g + l < m; ++l) {
        const size_t j = kLanes * g + l;
        out[r.begin() + j] = (av[l] - terms.at_zeta) * inv_z[j] + mu * (bv[l] - terms.at_next) * inv_zn[j];
      }
    }
  });
  return out;
}

Fp4 deep_value(std::span<const std::span<const Fp>> with_next, std::span<const Fp> quotient, const DeepTerms& terms,
               Fp4 lambda, Fp4 mu, Fp4 zeta, Fp4 zeta_next, Fp x) {
  Fp4 a, p = terms.lambda_first;
  for (auto row : with_next)
    for (Fp v : row) {
      a += p * v;
      p *= lambda;
    }
  const Fp4 b = a;
  for (Fp v : quotient) {
    a += p * v;
    p *= lambda;
  }
  return (a - terms.at_zeta) * inverse(Fp4(x) - zeta) + mu * (b - terms.at_next) * inverse(Fp4(x) - zeta_next);
}

}  // namespace witprove::stark::pcs
