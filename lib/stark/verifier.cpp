// The verifier: replays the transcript, checks the constraints at the out-of-domain point against the
// quotient, the LogUp sums, and every FRI query down to the final polynomial (openings in pcs.cpp, FRI in
// fri.cpp). Every shape in the proof
// is checked against the AIRs and parameters before it is used.
#include <fmt/format.h>

#include <algorithm>

#include "stark/folders.hpp"
#include "stark/fri.hpp"
#include "stark/pcs.hpp"
#include "stark/protocol.hpp"
#include "stark/stark.hpp"

namespace witprove::stark {
namespace {

using Error = std::optional<std::string>;

struct TableInfo {
  const Air* air;
  protocol::TableShape shape;
  unsigned log_n, log_lde;
  size_t main_w, quot_w, fixed_w;
  std::optional<Digest> fixed_root;  // computed from the AIR, never read from the proof
  std::vector<size_t> rows;  // opened LDE rows (sorted, distinct), bit-reversed order
};

// Values of the columns `mask` placed in a row `width` wide, zero elsewhere.
std::vector<Fp4> spread(std::span<const Fp4> values, std::span<const uint32_t> mask, size_t width) {
  std::vector<Fp4> row(width);
  for (size_t j = 0; j < mask.size(); ++j) row[mask[j]] = values[j];
  return row;
}

// Constraints at zeta: sum(alpha^i C_i(zeta)) must equal Z_H(zeta) · Q(zeta).
Error check_ood(const TableInfo& t, const TableProof& tp, std::span<const Fp> publics, Fp4 zeta, Fp4 alpha,
                Fp4 gamma, std::span<const Fp4> beta_powers) {
  size_t n = size_t{1} << t.log_n;
  Fp4 zeta_n = pow(zeta, n);
  Fp4 zh = zeta_n - Fp::one();
  Fp omega_inv = inverse(two_adic_root(t.log_n));
  Fp n_inv = inverse(Fp(n));
  Fp4 den_first = zeta - Fp::one(), den_last = zeta - omega_inv;
  if (zh.is_zero() || den_first.is_zero() || den_last.is_zero()) return std::string("out-of-domain point lies in the trace domain");
  const Fp4 last = zh * inverse(den_last) * (n_inv * omega_inv);
  VerifierFolder::Selectors sel{zh * inverse(den_first) * n_inv, last, Fp4(Fp::one()) - last};
  const LookupContext lookups{&t.shape.layout, gamma, beta_powers, tp.lookup_sum * n_inv};
  // Next-row values spread to their columns; eval reads no other column on the next row.
  const auto main_next = spread(tp.main_next, t.shape.main_next, t.main_w);
  const auto fixed_next = spread(tp.fixed_next, t.shape.fixed_next, t.fixed_w);
  const auto aux_next = spread(tp.aux_next, t.shape.aux_next, t.shape.aux_width);
  VerifierFolder folder({tp.main_local, main_next, tp.fixed_local, fixed_next, tp.aux_local, aux_next}, sel, publics,
                        alpha, lookups);
  eval_all_constraints(*t.air, folder);
  Fp4 q, zeta_pow = Fp4::one();
  for (size_t i = 0; i < (size_t{1} << t.shape.log_chunks); ++i) {
    q += zeta_pow * compose(tp.quotient_chunks.data() + Fp4::D * i);
    zeta_pow *= zeta_n;
  }
  if (!(folder.folded() == zh * q)) return fmt::format("table {}: constraints do not match the quotient at the out-of-domain point", t.air->name());
  return std::nullopt;
}

// Everything up to the LogUp challenges: the proof's shapes checked against the AIRs and parameters, the
// header, fixed roots (computed from the AIRs) and main roots absorbed.
struct Prepared {
  std::vector<TableInfo> info;
  std::vector<unsigned> log_lde;
  std::vector<const AirSummary*> summaries;
  protocol::FriSchedule schedule;
  Transcript transcript{protocol::kDomain};
};

Error prepare(std::span<const Air* const> airs, std::span<const std::vector<Fp>> public_values, const Proof& proof,
              const StarkParams& params, ByteView statement, Prepared& p) {
  if (auto e = validate(params)) return e;
  size_t num_tables = airs.size();
  if (num_tables == 0) return std::string("no tables");
  if (public_values.size() != num_tables) return std::string("public values not given for every table");
  if (proof.tables.size() != num_tables) return fmt::format("proof has {} tables, {} expected", proof.tables.size(), num_tables);

  const unsigned lb = params.log_blowup;
  auto& info = p.info;
  auto& log_lde = p.log_lde;
  auto& summaries = p.summaries;
  auto& transcript = p.transcript;
  info.resize(num_tables);
  log_lde.resize(num_tables);
  std::vector<uint32_t> log_heights(num_tables);
  // The tables' shapes come from their AIRs alone, before anything in the proof is looked at.
  for (size_t i = 0; i < num_tables; ++i) {
    info[i].air = airs[i];
    try {
      info[i].shape = protocol::table_shape(*airs[i]);
      (void)airs[i]->fixed();
    } catch (const std::logic_error& e) {
      return std::string(e.what());
    }
    summaries.push_back(info[i].shape.summary);
  }
  if (auto e = logup::check_buses(summaries)) return e;
  for (size_t i = 0; i < num_tables; ++i) {
    const auto& tp = proof.tables[i];
    auto& t = info[i];
    const std::string name = t.air->name();
    if (public_values[i].size() != t.air->num_public_values()) return fmt::format("table {}: wrong number of public values", name);
    if (tp.log_height < 1 || tp.log_height > protocol::max_log_height(params)) return fmt::format("table {}: height 2^{} out of range", name, tp.log_height);
    t.log_n = tp.log_height;
    t.log_lde = t.log_n + lb;
    if (t.shape.log_chunks > lb) return fmt::format("table {}: constraint degree needs a larger blowup", name);
    t.main_w = t.air->width();
    t.fixed_w = t.air->num_fixed();
    // A table with fixed columns has their height: checked before the verifier commits them.
    if (t.fixed_w && (size_t{1} << t.log_n) != t.air->fixed().height)
      return fmt::format("table {}: height 2^{}, its fixed columns have {} rows", name, t.log_n, t.air->fixed().height);
    t.quot_w = Fp4::D << t.shape.log_chunks;
    const size_t aux_w = t.shape.aux_width;
    if (tp.aux_root.has_value() != (aux_w > 0)) return fmt::format("table {}: auxiliary commitment presence is wrong", name);
    if (!tp.aux_root && !tp.lookup_sum.is_zero()) return fmt::format("table {}: lookup sum without interactions", name);
    if (tp.main_local.size() != t.main_w || tp.main_next.size() != t.shape.main_next.size() ||
        tp.aux_local.size() != aux_w || tp.aux_next.size() != t.shape.aux_next.size() ||
        tp.quotient_chunks.size() != t.quot_w || tp.fixed_local.size() != t.fixed_w ||
        tp.fixed_next.size() != t.shape.fixed_next.size())
      return fmt::format("table {}: wrong number of out-of-domain values", name);
    log_lde[i] = t.log_lde;
    log_heights[i] = tp.log_height;
  }
  p.schedule = protocol::fri_schedule(log_lde, params);
  const auto& schedule = p.schedule;
  size_t final_len = size_t{1} << (schedule.log_final_size - lb);
  const auto& fri_proof = proof.fri;
  if (fri_proof.layer_roots.size() != schedule.rounds.size() || fri_proof.layer_openings.size() != schedule.rounds.size())
    return std::string("wrong number of FRI layers");
  if (fri_proof.final_poly.size() != final_len) return std::string("wrong final polynomial length");

  protocol::absorb_header(transcript, statement, params, airs, log_heights, public_values);
  for (size_t i = 0; i < num_tables; ++i) {
    auto& t = info[i];
    if (t.fixed_w == 0) continue;
    ProveTimings unused;
    const Fp shift = protocol::layer_shift(schedule.log_top, t.log_lde);
    t.fixed_root = pcs::commit_trace(t.air->fixed(), lb, shift, unused).tree.root();
    transcript.absorb(*t.fixed_root);
  }
  for (const auto& tp : proof.tables) transcript.absorb(tp.main_root);
  return std::nullopt;
}

}  // namespace

std::variant<Digest, std::string> segment_commitment(std::span<const Air* const> airs,
                                                     std::span<const std::vector<Fp>> public_values,
                                                     const Proof& proof, const StarkParams& params, ByteView statement) {
  Prepared p;
  if (auto e = prepare(airs, public_values, proof, params, statement, p)) return *e;
  return p.transcript.state();
}

std::optional<std::string> verify(std::span<const Air* const> airs, std::span<const std::vector<Fp>> public_values,
                                  const Proof& proof, const StarkParams& params, ByteView statement,
                                  const SharedChallenges* shared, Fp4* lookup_sum) {
  if (shared && !lookup_sum) return std::string("a segment's lookup sum must be returned to be checked");
  Prepared p;
  if (auto e = prepare(airs, public_values, proof, params, statement, p)) return e;
  const size_t num_tables = airs.size();
  // Named references, not a structured binding: lambdas below capture them.
  auto& info = p.info;
  auto& log_lde = p.log_lde;
  auto& summaries = p.summaries;
  auto& schedule = p.schedule;
  auto& transcript = p.transcript;
  const auto& fri_proof = proof.fri;
  const auto [gamma, beta] = protocol::lookup_challenges(transcript, shared);
  std::vector<Fp4> beta_powers = logup::beta_powers(summaries, beta);
  Fp4 total_sum;
  for (const auto& tp : proof.tables) {
    if (!tp.aux_root) continue;
    transcript.absorb(*tp.aux_root);
    transcript.absorb(std::span<const Fp4>(&tp.lookup_sum, 1));
    total_sum += tp.lookup_sum;
  }
  if (!shared && !total_sum.is_zero()) return std::string("lookup sums do not add to zero: a bus does not balance");
  if (lookup_sum) *lookup_sum = total_sum;
  Fp4 alpha = transcript.challenge_ext();
  for (const auto& tp : proof.tables) transcript.absorb(tp.quotient_root);
  Fp4 zeta = transcript.challenge_ext();
  for (const auto& tp : proof.tables) protocol::absorb_openings(transcript, tp);
  for (size_t i = 0; i < num_tables; ++i)
    if (auto e = check_ood(info[i], proof.tables[i], public_values[i], zeta, alpha, gamma, beta_powers)) return e;

  // DEEP and FRI.
  Fp4 lambda = transcript.challenge_ext(), mu = transcript.challenge_ext();
  std::vector<Fp4> betas = fri::replay_commit(fri_proof, transcript);
  auto drawn = fri::draw_queries(transcript, fri_proof.pow_nonce, params, schedule.log_top);
  if (!drawn) return std::string("proof-of-work nonce is invalid");
  const std::vector<size_t>& queries = *drawn;

  // Openings of the tables' trees at the queried rows.
  std::vector<pcs::DeepTerms> deep(num_tables);
  Fp4 lambda_pow = Fp4::one();
  for (size_t i = 0; i < num_tables; ++i) {
    auto& t = info[i];
    const auto& tp = proof.tables[i];
    deep[i] = pcs::deep_terms(tp, {t.shape.fixed_next, t.shape.main_next, t.shape.aux_next}, lambda, lambda_pow);
    t.rows = fri::query_positions(queries, schedule.log_top, t.log_lde);
    const std::string name = t.air->name();
    if (t.fixed_root) {
      if (auto e = pcs::check_opening(tp.fixed_opening, *t.fixed_root, t.log_lde, t.rows, t.fixed_w, name + " fixed")) return e;
    } else if (!tp.fixed_opening.rows.empty() || !tp.fixed_opening.siblings.empty()) {
      return fmt::format("table {}: fixed opening without fixed columns", name);
    }
    if (auto e = pcs::check_opening(tp.main_opening, tp.main_root, t.log_lde, t.rows, t.main_w, name + " main")) return e;
    if (tp.aux_root) {
      if (auto e = pcs::check_opening(tp.aux_opening, *tp.aux_root, t.log_lde, t.rows, t.shape.aux_width, name + " auxiliary")) return e;
    } else if (!tp.aux_opening.rows.empty() || !tp.aux_opening.siblings.empty()) {
      return fmt::format("table {}: auxiliary opening without commitment", name);
    }
    if (auto e = pcs::check_opening(tp.quotient_opening, tp.quotient_root, t.log_lde, t.rows, t.quot_w, name + " quotient")) return e;
  }

  // The DEEP value of table i at a query, from its opened rows (LDE rows are in the layer's bit-reversed order).
  auto deep_value = [&](size_t i, size_t q) {
    const auto& t = info[i];
    const auto& tp = proof.tables[i];
    size_t idx = q >> (schedule.log_top - t.log_lde);
    size_t k = static_cast<size_t>(std::lower_bound(t.rows.begin(), t.rows.end(), idx) - t.rows.begin());
    std::vector<pcs::MaskedRow> rows;
    if (t.fixed_root) rows.push_back({tp.fixed_opening.rows[k], t.shape.fixed_next});
    rows.push_back({tp.main_opening.rows[k], t.shape.main_next});
    if (tp.aux_root) rows.push_back({tp.aux_opening.rows[k], t.shape.aux_next});
    rows.push_back({tp.quotient_opening.rows[k], {}});
    return pcs::deep_value(rows, deep[i], lambda, mu, zeta, zeta * two_adic_root(t.log_n),
                           protocol::layer_point(schedule.log_top, t.log_lde, idx));
  };
  return fri::verify_queries(fri_proof, schedule, betas, queries, [&](unsigned log_size, size_t q) {
    Fp4 sum;
    for (size_t i = 0; i < num_tables; ++i)
      if (log_lde[i] == log_size) sum += deep_value(i, q);
    return sum;
  });
}

}  // namespace witprove::stark
