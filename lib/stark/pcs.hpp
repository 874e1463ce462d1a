// The polynomial commitment: committing column polynomials by their coset LDE in a Merkle tree of rows,
// opening them at the out-of-domain points zeta and zeta·w, and the DEEP codeword that FRI then proves
// low-degree. Prover and verifier sides of each step sit together. Internal to lib/stark.
//
// Every column is opened at zeta; at zeta·w only the columns of the table's next-row mask (those its
// constraints read on the next row: TableShape). DEEP batching, per table over its committed columns in
// order (fixed, main, auxiliary, quotient), with powers of lambda continuing from table to table:
//   D(x) = sum_k lambda^k (p_k(x) - p_k(zeta)) / (x - zeta)
//        + mu · sum_(k in the mask) lambda^k (p_k(x) - p_k(zeta w)) / (x - zeta w).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <optional>
#include <vector>

#include "stark/matrix.hpp"
#include "stark/merkle.hpp"
#include "stark/stark.hpp"

namespace witprove::stark::pcs {

// A committed matrix: the LDE on shift·H_(n·blowup) in bit-reversed order (the order of the FRI layer of
// the same size), one Merkle leaf per row. No coefficients are kept: the first n rows are the coset
// shift·H_n in bit-reversed order, enough to evaluate each column anywhere (barycentric formula).
struct Committed {
  ColumnMatrix lde;
  MerkleTree tree;
  unsigned log_n = 0;
  Fp shift;
};

// A segment's first-pass extensions kept in memory for its proof (KeptCommitment), in commitment order.
struct KeptExtensions {
  std::vector<Committed> committed;
};

// Prover: interpolates the trace's columns and commits their LDE (blowup 2^log_blowup) on shift·H.
Committed commit_trace(const Trace& trace, unsigned log_blowup, Fp shift, ProveTimings& timings);
// Prover: the same extension without its tree (the caller has it: a kept first pass).
Committed extend_trace(const Trace& trace, unsigned log_blowup, Fp shift, ProveTimings& timings);
// Prover: whether `samples` evenly spaced rows of the extension hash to the tree's leaves there (a tree
// given from elsewhere, checked cheaply).
bool leaves_match(const Committed& c, size_t samples);
// Prover: commits columns given by their coefficients.
Committed commit_coefficients(const ColumnMatrix& coeffs, unsigned log_blowup, Fp shift, ProveTimings& timings);
// Prover: the barycentric weights of `points` (not on the coset) for matrices committed on shift·H_(2^log_n),
// computed once for all of a table's matrices.
struct OpeningWeights {
  unsigned log_n = 0;
  Fp shift;
  std::vector<ExtColumns> at;  // per point, w_j = (z^n - s^n) / (n s^n) · x_j / (z - x_j) by coordinate
};
OpeningWeights opening_weights(unsigned log_n, Fp shift, std::span<const Fp4> points);
// Prover: every column polynomial's value at the weights' first point, and those of the columns `next`
// (sorted, distinct) at the second (none: the weights may hold one point).
struct ColumnValues {
  std::vector<Fp4> at_zeta, at_next;  // at_next[j]: column next[j]
};
ColumnValues evaluate_columns(const Committed& c, const OpeningWeights& weights, std::span<const uint32_t> next);
// Prover: the LDE rows at `rows` (sorted, distinct) with their batch Merkle proof.
TreeOpening open_rows(const Committed& c, std::span<const size_t> rows);

// Verifier: the opened rows hash to leaves at `rows` under `root`, each `width` values wide.
std::optional<std::string> check_opening(const TreeOpening& o, const Digest& root, unsigned log_leaves,
                                         std::span<const size_t> rows, size_t width, std::string_view what);

// A table's next-row mask per committed matrix: the columns also opened at zeta·w, sorted.
struct NextMasks {
  std::span<const uint32_t> fixed, main, aux;
};

// One table's share of the DEEP batch: its out-of-domain values, and lambda^(its first column).
struct DeepTerms {
  Fp4 lambda_first;
  Fp4 at_zeta;  // sum_k lambda^k p_k(zeta), all columns
  Fp4 at_next;  // sum_(k in the mask) lambda^k p_k(zeta w)
};
// Both sides: folds a table's out-of-domain values in commitment order (fixed, main, auxiliary, then the
// quotient), advancing `lambda_pow` past its columns. The values' counts match the AIR's (checked before).
DeepTerms deep_terms(const TableProof& tp, const NextMasks& masks, Fp4 lambda, Fp4& lambda_pow);

// A committed matrix, or one opened row of it, with its columns opened at zeta·w (none for the quotient).
struct MaskedMatrix {
  const Committed* matrix;
  std::span<const uint32_t> next;
};
struct MaskedRow {
  std::span<const Fp> row;
  std::span<const uint32_t> next;
};

// Prover: a table's DEEP codeword on its LDE coset (bit-reversed), from its committed matrices in
// commitment order (all on one coset), point by point.
std::vector<Fp4> deep_codeword(std::span<const MaskedMatrix> matrices, const DeepTerms& terms, Fp4 lambda, Fp4 mu,
                               Fp4 zeta, Fp4 zeta_next);

// Verifier: the DEEP value at LDE point x from a table's opened rows in the same order.
Fp4 deep_value(std::span<const MaskedRow> rows, const DeepTerms& terms, Fp4 lambda, Fp4 mu, Fp4 zeta, Fp4 zeta_next,
               Fp x);

}  // namespace witprove::stark::pcs
