#include "stark/pcs.hpp"

#include <fmt/format.h>
#include <tbb/blocked_range2d.h>
#include <tbb/parallel_for.h>

#include <algorithm>
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

// Columns col .. col + 7 of eight rows, written as eight runs of eight values `stride` apart (out 32-byte
// aligned, stride a multiple of eight).
constexpr size_t kSquare = 8;
void transpose_square(const Fp* const* rows, size_t col, Fp* out, size_t stride) {
#if defined(__AVX2__)
  __m256i r[kSquare];
  for (size_t k = 0; k < kSquare; ++k) r[k] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows[k] + col));
  // Pairs of 32-bit values, then of 64-bit ones, within 128-bit halves; then the halves.
  __m256i t[kSquare], u[kSquare];
  for (size_t k = 0; k < kSquare; k += 2) {
    t[k] = _mm256_unpacklo_epi32(r[k], r[k + 1]);
    t[k + 1] = _mm256_unpackhi_epi32(r[k], r[k + 1]);
  }
  for (size_t k = 0; k < kSquare; k += 4) {
    u[k] = _mm256_unpacklo_epi64(t[k], t[k + 2]);
    u[k + 1] = _mm256_unpackhi_epi64(t[k], t[k + 2]);
    u[k + 2] = _mm256_unpacklo_epi64(t[k + 1], t[k + 3]);
    u[k + 3] = _mm256_unpackhi_epi64(t[k + 1], t[k + 3]);
  }
  for (size_t k = 0; k < 4; ++k) {
    _mm256_store_si256(reinterpret_cast<__m256i*>(out + k * stride), _mm256_permute2x128_si256(u[k], u[k + 4], 0x20));
    _mm256_store_si256(reinterpret_cast<__m256i*>(out + (k + 4) * stride), _mm256_permute2x128_si256(u[k], u[k + 4], 0x31));
  }
#else
  for (size_t k = 0; k < kSquare; ++k)
    for (size_t c = 0; c < kSquare; ++c) out[c * stride + k] = rows[k][col + c];
#endif
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
    // Within the cache, 8 x 8 squares are transposed in registers.
    constexpr size_t kRows = 256, kTile = 16;
    const size_t width = trace.width, rows = std::min(kRows, trace.height);
    const bool aligned = rows == kRows && reinterpret_cast<uintptr_t>(lde.data.data()) % sizeof(PackedFp) == 0;
    tbb::parallel_for(size_t{0}, trace.height / rows, [&](size_t block) {
      const size_t first = block * rows;
      alignas(64) std::array<Fp, kRows * kTile> tile;
      std::array<const Fp*, kRows> row;
      for (size_t i = 0; i < rows; ++i) row[i] = trace.values.data() + reverse_bits(first + i, log_n) * width;
      for (size_t c0 = 0; c0 < width; c0 += kTile) {
        const size_t c1 = std::min(c0 + kTile, width);
        size_t squared = c0;  // columns before this one are transposed by squares
        if (rows % kSquare == 0)
          for (; squared + kSquare <= c1; squared += kSquare)
            for (size_t i = 0; i < rows; i += kSquare)
              transpose_square(row.data() + i, squared, tile.data() + (squared - c0) * rows + i, rows);
        for (size_t i = 0; i < rows; ++i)
          for (size_t c = squared; c < c1; ++c) tile[(c - c0) * rows + i] = row[i][c];
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
namespace {

constexpr size_t kLanes = PackedFp::kLanes;

// The points shift · w^bitrev(j) of a coset in bit-reversed order for rows j = first .. first + kLanes - 1,
// where `natural` holds the powers of w, a generator of the 2^log_size-th roots of unity; rows past the
// end repeat the last point.
PackedFp coset_points(std::span<const Fp> natural, unsigned log_size, Fp shift, size_t first) {
  std::array<Fp, kLanes> x;
  for (size_t l = 0; l < kLanes; ++l) x[l] = natural[reverse_bits(std::min(first + l, natural.size() - 1), log_size)];
  return PackedFp(shift) * PackedFp::load(x.data());
}

// The `count` (at most kLanes) values at p, zeros after them.
PackedFp load_first(const Fp* p, size_t count) {
  return count == kLanes ? PackedFp::load(p) : PackedFp::load_partial(p, count);
}

// 1 / (x - z) for packed base points x.
void inverse_differences(std::span<const PackedFp> x, const Fp4& z, std::vector<PackedFp4>& out) {
  out.assign(x.size(), PackedFp4(Fp4() - z));
  for (size_t g = 0; g < x.size(); ++g) out[g].c[0] += x[g];
  batch_inverse_lanes(std::span(out));
}

}  // namespace

OpeningWeights opening_weights(unsigned log_n, Fp shift, std::span<const Fp4> points) {
  const size_t n = size_t{1} << log_n;
  const std::vector<Fp> natural = powers(two_adic_root(log_n), n);
  const Fp s_n = pow(shift, n);
  OpeningWeights out{log_n, shift, {}};
  for (const Fp4& point : points) {
    const Fp4 factor = (s_n - pow(point, n)) * inverse(Fp(n) * s_n);  // the sign of 1 / (x - z)
    ExtColumns w;
    for (auto& c : w) c.resize(n);
    tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 1 << 14), [&](const auto& r) {
      const size_t groups = (r.size() + kLanes - 1) / kLanes;
      std::vector<PackedFp> x(groups);
      for (size_t g = 0; g < groups; ++g) x[g] = coset_points(natural, log_n, shift, r.begin() + kLanes * g);
      std::vector<PackedFp4> d;
      inverse_differences(x, point, d);
      for (size_t g = 0; g < groups; ++g) {
        const size_t first = r.begin() + kLanes * g, count = std::min(kLanes, r.end() - first);
        const PackedFp4 v = (factor * x[g]) * d[g];
        for (size_t k = 0; k < Fp4::D; ++k) {
          const auto lanes = v.c[k].lanes();
          std::copy_n(lanes.begin(), count, w[k].begin() + static_cast<std::ptrdiff_t>(first));
        }
      }
    });
    out.at.push_back(std::move(w));
  }
  return out;
}

// Rows are taken by blocks whose weights (16 bytes per row and point) stay in cache while a group of
// columns passes over them, so the weights are read from memory once per group rather than per column;
// products are summed before they are reduced (PackedFpDot). The blocks form at most kSpans spans of rows,
// each with its own partial sums (a few MB at most), added at the end.
ColumnValues evaluate_columns(const Committed& c, const OpeningWeights& weights, std::span<const uint32_t> next) {
  const size_t points = next.empty() ? 1 : 2, width = c.lde.width;
  if (c.log_n != weights.log_n || !(c.shift == weights.shift) || points > weights.at.size())
    throw std::logic_error("evaluate_columns: weights of another coset");
  std::vector<uint8_t> in_next(width);
  for (uint32_t col : next) in_next.at(col) = 1;
  constexpr size_t kRows = 4096, kColumns = 32, kSpans = 64;
  const size_t n = size_t{1} << c.log_n;
  const size_t span = std::max(kRows, n / kSpans), spans = (n + span - 1) / span;
  std::vector<Fp4> partial(spans * points * width);
  tbb::parallel_for(tbb::blocked_range2d<size_t>(0, spans, 1, 0, width, kColumns), [&](const auto& r) {
    for (size_t sp = r.rows().begin(); sp < r.rows().end(); ++sp) {
      for (size_t first = sp * span; first < std::min(n, (sp + 1) * span); first += kRows) {
        const size_t rows = std::min(kRows, n - first);
        for (size_t col = r.cols().begin(); col < r.cols().end(); ++col) {
          const Fp* v = c.lde.column(col).data() + first;
          for (size_t p = 0; p < 1u + in_next[col]; ++p) {
            const ExtColumns& w = weights.at[p];
            std::array<PackedFpDot, Fp4::D> dot;
            for (size_t j = 0; j < rows; j += kLanes) {
              const size_t count = std::min(kLanes, rows - j);
              const PackedFp x = load_first(v + j, count);
              for (size_t k = 0; k < Fp4::D; ++k) dot[k].add(x, load_first(w[k].data() + first + j, count));
            }
            Fp4& sum = partial[(sp * points + p) * width + col];
            for (size_t k = 0; k < Fp4::D; ++k) sum.c[k] += dot[k].value().sum();
          }
        }
      }
    }
  });
  ColumnValues out{std::vector<Fp4>(width), std::vector<Fp4>(next.size())};
  tbb::parallel_for(size_t{0}, width, [&](size_t col) {
    for (size_t sp = 0; sp < spans; ++sp) out.at_zeta[col] += partial[sp * points * width + col];
  });
  for (size_t j = 0; j < next.size(); ++j)
    for (size_t sp = 0; sp < spans; ++sp) out.at_next[j] += partial[(sp * points + 1) * width + next[j]];
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

namespace {

// Calls f(column, lambda^k, whether the column is in the mask) for each column of a matrix `width` wide, k
// counting on from `lambda_pow`.
template <class F>
void for_each_column(size_t width, std::span<const uint32_t> next, Fp4 lambda, Fp4& lambda_pow, F&& f) {
  auto masked = next.begin();
  for (size_t c = 0; c < width; ++c, lambda_pow *= lambda) {
    const bool in_mask = masked != next.end() && *masked == c;
    if (in_mask) ++masked;
    f(c, lambda_pow, in_mask);
  }
}

}  // namespace

DeepTerms deep_terms(const TableProof& tp, const NextMasks& masks, Fp4 lambda, Fp4& lambda_pow) {
  DeepTerms t{lambda_pow, Fp4(), Fp4()};
  auto fold = [&](std::span<const Fp4> at_zeta, std::span<const Fp4> at_next, std::span<const uint32_t> next) {
    size_t j = 0;
    for_each_column(at_zeta.size(), next, lambda, lambda_pow, [&](size_t c, Fp4 p, bool in_mask) {
      t.at_zeta += p * at_zeta[c];
      if (in_mask) t.at_next += p * at_next[j++];
    });
  };
  fold(tp.fixed_local, tp.fixed_next, masks.fixed);
  fold(tp.main_local, tp.main_next, masks.main);
  fold(tp.aux_local, tp.aux_next, masks.aux);
  fold(tp.quotient_chunks, {}, {});
  return t;
}

std::vector<Fp4> deep_codeword(std::span<const MaskedMatrix> matrices, const DeepTerms& terms, Fp4 lambda, Fp4 mu,
                               Fp4 zeta, Fp4 zeta_next) {
  const Committed& first_matrix = *matrices.front().matrix;
  const size_t big = first_matrix.lde.height;
  // Columns with their lambda powers, the mask's first: their sum is the sum at zeta·w on the way.
  std::vector<std::pair<const Fp*, Fp4>> columns, unmasked;
  Fp4 lambda_pow = terms.lambda_first;
  for (const auto& m : matrices)
    for_each_column(m.matrix->lde.width, m.next, lambda, lambda_pow, [&](size_t c, Fp4 p, bool in_mask) {
      (in_mask ? columns : unmasked).push_back({m.matrix->lde.column(c).data(), p});
    });
  const size_t masked = columns.size();
  columns.insert(columns.end(), unmasked.begin(), unmasked.end());

  const unsigned log_big = static_cast<unsigned>(__builtin_ctzll(big));
  const std::vector<Fp> natural = powers(two_adic_root(log_big), big);
  std::vector<Fp4> out(big);
  // Blocks of at most 256 rows (simple_partitioner: the default one may hand out far larger ranges), so
  // that their sums (256 / kLanes PackedFp4Dot, about 17 KiB) stay in the L1 cache while every column passes.
  tbb::parallel_for(tbb::blocked_range<size_t>(0, big, 256), [&](const auto& r) {
    const size_t m = r.size(), groups = (m + kLanes - 1) / kLanes;
    // a: every column, b: the mask's, combined with lambda powers, a vector of points at a time.
    std::vector<PackedFp4Dot> a(groups), b;
    for (size_t c = 0; c < columns.size(); ++c) {
      if (c == masked) b = a;
      const auto [col, coeff] = columns[c];
      for (size_t g = 0; g < groups; ++g) {
        const size_t first = r.begin() + kLanes * g, count = std::min(kLanes, r.end() - first);
        a[g].add(coeff, load_first(col + first, count));
      }
    }
    if (masked == columns.size()) b = a;
    std::vector<PackedFp> x(groups);
    for (size_t g = 0; g < groups; ++g) x[g] = coset_points(natural, log_big, first_matrix.shift, r.begin() + kLanes * g);
    std::vector<PackedFp4> inv_z, inv_zn;
    inverse_differences(x, zeta, inv_z);
    inverse_differences(x, zeta_next, inv_zn);
    const PackedFp4 at_zeta(terms.at_zeta), at_next(terms.at_next);
    for (size_t g = 0; g < groups; ++g) {
      const size_t first = r.begin() + kLanes * g, count = std::min(kLanes, r.end() - first);
      const auto v = ((a[g].value() - at_zeta) * inv_z[g] + mu * ((b[g].value() - at_next) * inv_zn[g])).unpack();
      std::copy_n(v.begin(), count, out.begin() + static_cast<std::ptrdiff_t>(first));
    }
  }, tbb::simple_partitioner());
  return out;
}

Fp4 deep_value(std::span<const MaskedRow> rows, const DeepTerms& terms, Fp4 lambda, Fp4 mu, Fp4 zeta, Fp4 zeta_next,
               Fp x) {
  Fp4 a, b, lambda_pow = terms.lambda_first;
  for (const auto& m : rows)
    for_each_column(m.row.size(), m.next, lambda, lambda_pow, [&](size_t c, Fp4 p, bool in_mask) {
      a += p * m.row[c];
      if (in_mask) b += p * m.row[c];
    });
  return (a - terms.at_zeta) * inverse(Fp4(x) - zeta) + mu * (b - terms.at_next) * inverse(Fp4(x) - zeta_next);
}

}  // namespace witprove::stark::pcs
