// The prover, phase by phase as in docs/stark.md: main commitment -> LogUp challenges -> auxiliary columns
// -> constraint quotient -> out-of-domain openings -> DEEP codewords -> FRI -> query openings. Commitments
// and openings are in pcs.cpp, FRI in fri.cpp.
#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <vector>

#include "stark/folders.hpp"
#include "stark/fri.hpp"
#include "stark/packed.hpp"
#include "stark/pcs.hpp"
#include "stark/spill.hpp"
#include "stark/protocol.hpp"
#include "stark/stark.hpp"

namespace witprove::stark {
namespace {

struct TableState {
  const TableInstance* in;
  protocol::TableShape shape;
  const Trace* fixed_trace = nullptr;
  unsigned log_n = 0;
  Fp shift;
  pcs::Committed fixed, main, aux, quotient;  // fixed: only with fixed columns
  Fp4 lookup_sum;
};

// LogUp auxiliary trace (stark/logup.hpp): per group g the sum h_g of its fractions m_k / d_k, then the
// running sum S with S[i+1] = S[i] + sum_g h_g(i) - L/n, so that the sum wraps around to S[0]. Rows are
// taken PackedFp::kLanes at a time (a table of fewer rows repeats its last row in the spare lanes): the
// tuples are evaluated row by row, the fingerprints, inverses and sums on packed values.
Trace build_aux_trace(TableState& ts, Fp4 gamma, std::span<const Fp4> beta_powers) {
  constexpr size_t kLanes = PackedFp::kLanes;
  const Trace& main = *ts.in->trace;
  const AirSummary& summary = *ts.shape.summary;
  const logup::Layout& layout = ts.shape.layout;
  const RowProgram& program = summary.interaction_values;
  const size_t n = main.height, k_count = summary.interactions.size(), groups = layout.num_groups();
  const size_t outputs = program.outputs.size(), packs = (n + kLanes - 1) / kLanes;
  std::array<uint32_t, kLanes> lane_offsets;  // lane l's outputs start at l * outputs
  for (size_t l = 0; l < kLanes; ++l) lane_offsets[l] = static_cast<uint32_t>(l * outputs);
  Trace aux(layout.aux_width(), n);
  std::vector<Fp4> terms(n);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, packs, 128), [&](const auto& r) {
    std::vector<Fp> scratch(program.nodes.size()), values(kLanes * outputs);
    std::vector<PackedFp> tuple, mult(r.size() * k_count);
    std::vector<PackedFp4> inv(r.size() * k_count);
    for (size_t p = r.begin(); p < r.end(); ++p) {
      for (size_t l = 0; l < kLanes; ++l)
        program.evaluate(main, *ts.fixed_trace, std::min(p * kLanes + l, n - 1), ts.in->public_values, scratch,
                         std::span(values).subspan(l * outputs, outputs));
      auto output = [&](size_t o) { return PackedFp::gather(values.data() + o, lane_offsets.data()); };
      for (size_t k = 0; k < k_count; ++k) {
        const auto& in = summary.interactions[k];
        tuple.resize(in.arity);
        for (size_t j = 0; j < in.arity; ++j) tuple[j] = output(in.first_output + j);
        inv[(p - r.begin()) * k_count + k] = logup::fingerprint(in.bus, std::span<const PackedFp>(tuple), gamma, beta_powers);
        mult[(p - r.begin()) * k_count + k] = output(in.first_output + in.arity);
      }
    }
    batch_inverse_lanes(std::span(inv));
    for (size_t p = r.begin(); p < r.end(); ++p) {
      PackedFp4 t;
      size_t k = 0;
      for (size_t g = 0; g < groups; ++g) {
        PackedFp4 h;
        for (; k < layout.group_end[g]; ++k) h += inv[(p - r.begin()) * k_count + k] * mult[(p - r.begin()) * k_count + k];
        const auto lanes = h.unpack();
        for (size_t l = 0; l < kLanes && p * kLanes + l < n; ++l)
          for (size_t c = 0; c < Fp4::D; ++c) aux.at(p * kLanes + l, Fp4::D * g + c) = lanes[l].c[c];
        t += h;
      }
      const auto lanes = t.unpack();
      for (size_t l = 0; l < kLanes && p * kLanes + l < n; ++l) terms[p * kLanes + l] = lanes[l];
    }
  });
  Fp4 total;
  for (const auto& t : terms) total += t;
  ts.lookup_sum = total;
  Fp4 step = total * inverse(Fp(n));
  Fp4 s;
  for (size_t i = 0; i < n; ++i) {
    for (size_t c = 0; c < Fp4::D; ++c) aux.at(i, Fp4::D * groups + c) = s.c[c];
    s += terms[i] - step;
  }
  return aux;
}

// Quotient values sum(alpha^i C_i(x)) / Z_H(x) on the coset shift·H_{n·chunks}, in bit-reversed order: the
// first n·chunks rows of the bit-reversed LDE. In that order the next row of position s (x -> x·w_n) is s
// with its low log n bits reversed, incremented and reversed back. Points are evaluated a vector at a time.
std::vector<Fp4> compute_quotient(const TableState& ts, std::span<const Fp4> alpha_powers, Fp4 gamma,
                                  std::span<const Fp4> beta_powers) {
  constexpr size_t kLanes = ProverFolder::kLanes;
  const Air& air = *ts.in->air;
  const unsigned log_chunks = ts.shape.log_chunks, log_size = ts.log_n + log_chunks;
  size_t n = size_t{1} << ts.log_n, chunks = size_t{1} << log_chunks, size = n * chunks;
  Fp omega_n_inv = inverse(two_adic_root(ts.log_n));
  Fp n_inv = inverse(Fp(n));

  // Selectors on the quotient domain: L_0 = Z_H / (n (x - 1)) and L_(n-1) = w^-1 Z_H / (n (x - w^-1)).
  std::vector<Fp> natural = powers(two_adic_root(log_size), size);
  std::vector<Fp> first(size), last(size);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, size, 1 << 14), [&](const auto& r) {
    for (size_t s = r.begin(); s < r.end(); ++s) {
      const Fp x = ts.shift * natural[reverse_bits(s, log_size)];
      first[s] = x - Fp::one();
      last[s] = x - omega_n_inv;
    }
    batch_inverse(std::span(first).subspan(r.begin(), r.size()));
    batch_inverse(std::span(last).subspan(r.begin(), r.size()));
  });
  // x^n is constant on each block of n positions (it only depends on x's coset of H_n).
  std::vector<Fp> zh(chunks), zh_inv(chunks);
  for (size_t b = 0; b < chunks; ++b) zh[b] = pow(ts.shift * natural[reverse_bits(b * n, log_size)], n) - Fp::one();
  zh_inv = zh;
  batch_inverse(std::span(zh_inv));
  tbb::parallel_for(size_t{0}, size, [&](size_t s) {
    const Fp z = zh[s >> ts.log_n];
    first[s] = z * first[s] * n_inv;
    last[s] = z * last[s] * n_inv * omega_n_inv;
  });
  auto next_position = [&](size_t s) {
    size_t low = s & (n - 1);
    return (s - low) | reverse_bits((reverse_bits(low, ts.log_n) + 1) & (n - 1), ts.log_n);
  };

  auto columns = [](const pcs::Committed& c) { return ProverFolder::Columns{c.lde.data.data(), c.lde.height}; };
  const LookupContext lookups{&ts.shape.layout, gamma, beta_powers, ts.lookup_sum * n_inv};
  std::vector<Fp4> out(size);
  const size_t blocks = (size + kLanes - 1) / kLanes;
  tbb::parallel_for(tbb::blocked_range<size_t>(0, blocks, 16), [&](const auto& r) {
    ProverFolder folder(columns(ts.main), columns(ts.fixed), columns(ts.aux), ts.in->public_values, alpha_powers,
                        lookups);
    ProverFolder::Block block;
    for (size_t b = r.begin(); b < r.end(); ++b) {
      // A table smaller than a block repeats its last point in the spare lanes.
      for (size_t k = 0; k < kLanes; ++k) {
        const size_t s = std::min(b * kLanes + k, size - 1);
        block.rows[k] = static_cast<uint32_t>(s);
        block.next_rows[k] = static_cast<uint32_t>(next_position(s));
      }
      block.first = PackedFp::gather(first.data(), block.rows.data());
      block.last = PackedFp::gather(last.data(), block.rows.data());
      block.transition = PackedFp(Fp::one()) - block.last;
      folder.set_block(block);
      eval_all_constraints(air, folder);
      const auto values = folder.folded();
      for (size_t k = 0; k < kLanes && b * kLanes + k < size; ++k) {
        const size_t s = b * kLanes + k;
        out[s] = values[k] * zh_inv[s >> ts.log_n];
      }
    }
  });
  return out;
}

// Splits quotient values on shift·H_{n·chunks} (bit-reversed) into `chunks` polynomials of degree < n, one
// base column per coordinate each: Q(X) = sum_i X^(i n) Q_i(X).
ColumnMatrix quotient_chunks(const std::vector<Fp4>& q, size_t n, size_t chunks, Fp shift) {
  const ExtColumns coords = coset_intt_bit_reversed(q, shift);
  ColumnMatrix m(Fp4::D * chunks, n);
  for (size_t i = 0; i < chunks; ++i)
    for (size_t c = 0; c < Fp4::D; ++c)
      std::copy_n(coords[c].begin() + static_cast<ptrdiff_t>(i * n), n, m.column(Fp4::D * i + c).begin());
  return m;
}

void check_inputs(std::span<const TableInstance> tables, std::span<const TableState> ts, const StarkParams& params,
                  bool segment) {
  if (auto e = validate(params)) throw ProveError(*e);
  if (tables.empty()) throw ProveError("no tables to prove");
  for (size_t i = 0; i < tables.size(); ++i) {
    const auto& t = tables[i];
    const Air& air = *t.air;
    const Trace& tr = *t.trace;
    if (tr.width != air.width() || tr.values.size() != tr.width * tr.height)
      throw ProveError(fmt::format("table {}: trace width {} does not match the AIR's {}", air.name(), tr.width, air.width()));
    const unsigned max_log = protocol::max_log_height(params);
    if (tr.height < 2 || (tr.height & (tr.height - 1)) || tr.height > (size_t{1} << max_log))
      throw ProveError(fmt::format("table {}: height {} is not a power of two in [2, 2^{}]", air.name(), tr.height, max_log));
    if (air.num_fixed() && air.fixed().height != tr.height)
      throw ProveError(fmt::format("table {}: {} rows, its fixed columns have {}", air.name(), tr.height,
                                   air.fixed().height));
    if (t.public_values.size() != air.num_public_values())
      throw ProveError(fmt::format("table {}: {} public values given, the AIR takes {}", air.name(),
                                   t.public_values.size(), air.num_public_values()));
    if (ts[i].shape.log_chunks > params.log_blowup)
      throw ProveError(fmt::format("table {}: constraint degree {} needs a larger blowup", air.name(), ts[i].shape.degree));
  }
  std::vector<const AirSummary*> summaries;
  for (const auto& t : ts) summaries.push_back(t.shape.summary);
  if (auto e = logup::check_buses(summaries)) throw ProveError(*e);
  if (!params.check_trace) return;
  for (const auto& t : tables)
    if (auto f = check_constraints(*t.air, *t.trace, t.public_values)) throw ProveError(f->to_string());
  if (segment) return;  // a segment's buses balance only with the other segments'
  if (auto e = check_lookups(tables)) throw ProveError(*e);
}

// Every table's state before anything is committed; the transcript header absorbed.
std::vector<TableState> start(std::span<const TableInstance> tables, const StarkParams& params, ByteView statement,
                              bool segment, Transcript& transcript, protocol::FriSchedule& schedule,
                              std::vector<unsigned>& log_lde) {
  const size_t num_tables = tables.size();
  std::vector<TableState> ts(num_tables);
  for (size_t i = 0; i < num_tables; ++i) {
    ts[i].in = &tables[i];
    try {
      ts[i].shape = protocol::table_shape(*tables[i].air);
    } catch (const std::logic_error& e) {
      throw ProveError(e.what());
    }
    ts[i].log_n = static_cast<unsigned>(__builtin_ctzll(std::max<size_t>(tables[i].trace->height, 1)));
  }
  check_inputs(tables, ts, params, segment);
  for (size_t i = 0; i < num_tables; ++i) ts[i].fixed_trace = &tables[i].air->fixed();
  log_lde.assign(num_tables, 0);
  std::vector<uint32_t> log_heights(num_tables);
  std::vector<const Air*> airs(num_tables);
  std::vector<std::vector<Fp>> publics(num_tables);
  for (size_t i = 0; i < num_tables; ++i) {
    log_lde[i] = ts[i].log_n + params.log_blowup;
    log_heights[i] = ts[i].log_n;
    airs[i] = tables[i].air;
    publics[i] = tables[i].public_values;
  }
  schedule = protocol::fri_schedule(log_lde, params);
  for (size_t i = 0; i < num_tables; ++i) ts[i].shift = protocol::layer_shift(schedule.log_top, log_lde[i]);
  protocol::absorb_header(transcript, statement, params, airs, log_heights, publics);
  return ts;
}

// Where commit_main's matrices come from and go: a first pass's file to read their trees from or its
// extensions to take, a file to write the trees to (and, when writing fails, why) or a list to keep the
// extensions in, or neither.
struct KeptFiles {
  const pcs::Spill* read = nullptr;
  std::vector<pcs::Committed>* take = nullptr;
  pcs::Spill* write = nullptr;
  std::string write_error;
  std::vector<pcs::Committed>* keep = nullptr;
};

// Phases 0 and 1: the fixed and main traces committed and absorbed. `keep` false (a segment's first pass)
// drops each LDE once its root is known, so that one table's extension is held at a time.
void commit_main(std::vector<TableState>& ts, const StarkParams& params, Transcript& transcript, Proof& proof,
                 ProveTimings& timings, bool keep, KeptFiles& files) {
  const unsigned lb = params.log_blowup;
  size_t next = 0;
  auto commit = [&](const Trace& trace, Fp shift) {
    if (files.take) {
      if (next == files.take->size())
        throw KeptCommitmentError("the segment's kept first pass holds fewer extensions than the segment commits");
      pcs::Committed c = std::exchange((*files.take)[next++], {});  // taken: a second proof finds nothing
      if (c.lde.width != trace.width || c.lde.height != trace.height << lb || !(c.shift == shift))
        throw KeptCommitmentError("the segment's kept first pass holds an extension of another shape");
      return c;
    }
    if (files.read) {
      pcs::Committed c = pcs::extend_trace(trace, lb, shift, timings);
      PhaseTimer timer(timings.kept);
      try {
        c.tree = files.read->read(next++);
      } catch (const std::system_error& e) {
        throw KeptCommitmentError(fmt::format("the segment's kept first pass: {}", e.what()));
      } catch (const std::out_of_range&) {
        throw KeptCommitmentError("the segment's kept first pass holds fewer trees than the segment commits");
      }
      if (!pcs::leaves_match(c, 8))
        throw KeptCommitmentError("the segment's kept first pass does not hold this extension's tree");
      return c;
    }
    pcs::Committed c = pcs::commit_trace(trace, lb, shift, timings);
    if (files.write) {
      PhaseTimer timer(timings.kept);
      try {
        files.write->write(c.tree);
      } catch (const std::system_error& e) {  // the commitment stands; the proof computes it again
        files.write_error = e.what();
        files.write = nullptr;
      }
    }
    return c;
  };
  // A first pass lets each extension go once its root is absorbed, or keeps it for the proof.
  auto release = [&](pcs::Committed& c) {
    if (keep) return;
    if (files.keep) files.keep->push_back(std::move(c));
    c = {};
  };
  proof.tables.resize(ts.size());
  // 0. Fixed columns: committed like traces; the verifier computes the same roots from the AIRs.
  for (auto& t : ts) {
    if (t.fixed_trace->width == 0) continue;
    t.fixed = commit(*t.fixed_trace, t.shift);
    transcript.absorb(t.fixed.tree.root());
    release(t.fixed);
  }
  // 1. Main traces.
  for (size_t i = 0; i < ts.size(); ++i) {
    ts[i].main = commit(*ts[i].in->trace, ts[i].shift);
    proof.tables[i].log_height = ts[i].log_n;
    proof.tables[i].main_root = ts[i].main.tree.root();
    transcript.absorb(proof.tables[i].main_root);
    release(ts[i].main);
  }
}

Proof prove_tables(std::span<const TableInstance> tables, const StarkParams& params, ByteView statement,
                   const SharedChallenges* shared, const KeptCommitment* first_pass, ProveTimings& timings) {
  const unsigned lb = params.log_blowup;
  Transcript transcript(protocol::kDomain);
  protocol::FriSchedule schedule;
  std::vector<unsigned> log_lde;  // per table, log of its LDE size
  std::vector<TableState> ts = start(tables, params, statement, shared != nullptr, transcript, schedule, log_lde);
  const size_t num_tables = ts.size();
  Proof proof;
  KeptFiles files;
  if (first_pass) {
    files.read = first_pass->file.get();
    if (first_pass->extensions) files.take = &first_pass->extensions->committed;
  }
  commit_main(ts, params, transcript, proof, timings, true, files);
  if (first_pass && transcript.state() != first_pass->commitment)
    throw KeptCommitmentError("the segment's kept first pass does not give its commitment");

  // 2. LogUp auxiliary columns.
  const auto [gamma, beta] = protocol::lookup_challenges(transcript, shared);
  std::vector<const AirSummary*> summaries;
  for (const auto& t : ts) summaries.push_back(t.shape.summary);
  std::vector<Fp4> beta_powers = logup::beta_powers(summaries, beta);
  for (size_t i = 0; i < num_tables; ++i) {
    if (ts[i].shape.aux_width == 0) continue;
    Trace aux;
    {
      PhaseTimer timer(timings.aux);
      aux = build_aux_trace(ts[i], gamma, beta_powers);
    }
    ts[i].aux = pcs::commit_trace(aux, lb, ts[i].shift, timings);
    proof.tables[i].aux_root = ts[i].aux.tree.root();
    proof.tables[i].lookup_sum = ts[i].lookup_sum;
    transcript.absorb(*proof.tables[i].aux_root);
    transcript.absorb(std::span<const Fp4>(&ts[i].lookup_sum, 1));
  }

  // 3. Quotients.
  Fp4 alpha = transcript.challenge_ext();
  for (size_t i = 0; i < num_tables; ++i) {
    ColumnMatrix chunks;
    {
      PhaseTimer timer(timings.quotient);
      std::vector<Fp4> alpha_powers = powers(alpha, ts[i].shape.num_constraints);
      std::vector<Fp4> q = compute_quotient(ts[i], alpha_powers, gamma, beta_powers);
      chunks = quotient_chunks(q, size_t{1} << ts[i].log_n, size_t{1} << ts[i].shape.log_chunks, ts[i].shift);
    }
    ts[i].quotient = pcs::commit_coefficients(chunks, lb, ts[i].shift, timings);
    proof.tables[i].quotient_root = ts[i].quotient.tree.root();
    transcript.absorb(proof.tables[i].quotient_root);
  }

  // 4. Out-of-domain openings at zeta, and at zeta·w of the columns read on the next row.
  std::optional<PhaseTimer> phase(timings.openings);
  Fp4 zeta = transcript.challenge_ext();
  for (size_t i = 0; i < num_tables; ++i) {
    auto& tp = proof.tables[i];
    const auto& shape = ts[i].shape;
    const Fp4 both[] = {zeta, zeta * two_adic_root(ts[i].log_n)};
    // Every matrix of a table lies on the same coset: the weights are computed once.
    const pcs::OpeningWeights weights = pcs::opening_weights(ts[i].log_n, ts[i].shift, both);
    auto open = [&](const pcs::Committed& c, std::span<const uint32_t> next, std::vector<Fp4>& at_zeta,
                    std::vector<Fp4>& at_next) {
      auto values = pcs::evaluate_columns(c, weights, next);
      at_zeta = std::move(values.at_zeta);
      at_next = std::move(values.at_next);
    };
    if (ts[i].fixed_trace->width) open(ts[i].fixed, shape.fixed_next, tp.fixed_local, tp.fixed_next);
    open(ts[i].main, shape.main_next, tp.main_local, tp.main_next);
    if (tp.aux_root) open(ts[i].aux, shape.aux_next, tp.aux_local, tp.aux_next);
    tp.quotient_chunks = std::move(pcs::evaluate_columns(ts[i].quotient, weights, {}).at_zeta);
    protocol::absorb_openings(transcript, tp);
  }

  // 5. DEEP codewords.
  Fp4 lambda = transcript.challenge_ext(), mu = transcript.challenge_ext();
  std::vector<std::vector<Fp4>> codewords(num_tables);
  Fp4 lambda_pow = Fp4::one();
  for (size_t i = 0; i < num_tables; ++i) {
    const auto& tp = proof.tables[i];
    const auto& shape = ts[i].shape;
    const auto terms = pcs::deep_terms(tp, {shape.fixed_next, shape.main_next, shape.aux_next}, lambda, lambda_pow);
    std::vector<pcs::MaskedMatrix> matrices;
    if (ts[i].fixed_trace->width) matrices.push_back({&ts[i].fixed, shape.fixed_next});
    matrices.push_back({&ts[i].main, shape.main_next});
    if (tp.aux_root) matrices.push_back({&ts[i].aux, shape.aux_next});
    matrices.push_back({&ts[i].quotient, {}});
    codewords[i] = pcs::deep_codeword(matrices, terms, lambda, mu, zeta, zeta * two_adic_root(ts[i].log_n));
  }

  // 6. FRI: commit phase, grinding, queries.
  phase.emplace(timings.fri);
  auto layers = fri::commit(schedule, log_lde, codewords, lb, transcript, proof.fri);
  proof.fri.pow_nonce = transcript.grind(params.grinding_bits);
  const std::vector<size_t> queries = *fri::draw_queries(transcript, proof.fri.pow_nonce, params, schedule.log_top);
  for (size_t i = 0; i < num_tables; ++i) {
    auto rows = fri::query_positions(queries, schedule.log_top, log_lde[i]);
    auto& tp = proof.tables[i];
    if (ts[i].fixed_trace->width) tp.fixed_opening = pcs::open_rows(ts[i].fixed, rows);
    tp.main_opening = pcs::open_rows(ts[i].main, rows);
    if (tp.aux_root) tp.aux_opening = pcs::open_rows(ts[i].aux, rows);
    tp.quotient_opening = pcs::open_rows(ts[i].quotient, rows);
  }
  fri::open(layers, queries, schedule.log_top, proof.fri);
  return proof;
}

}  // namespace

Proof prove(std::span<const TableInstance> tables, const StarkParams& params, ByteView statement,
            ProveTimings* timings_out, const SharedChallenges* shared, const KeptCommitment* first_pass) {
  ProveTimings timings;
  Proof proof;
  {
    PhaseTimer timer(timings.total);
    proof = prove_tables(tables, params, statement, shared, first_pass, timings);
  }
  if (timings_out) *timings_out = timings;
  return proof;
}

uint64_t estimated_prover_bytes(const Air& air, size_t height, const StarkParams& params) {
  const protocol::TableShape shape = protocol::table_shape(air);
  const uint64_t n = height, lde = n << params.log_blowup, chunks = uint64_t{1} << shape.log_chunks;
  const uint64_t quotient_width = Fp4::D * chunks;
  const uint64_t committed_width = air.num_fixed() + air.width() + shape.aux_width + quotient_width;
  const uint64_t trees = (air.num_fixed() ? 1 : 0) + 1 + (shape.aux_width ? 1 : 0) + 1;
  return lde * committed_width * sizeof(Fp)               // the extensions
         + n * air.width() * sizeof(Fp)                     // the main columns' coefficients, while extended
         + n * shape.aux_width * sizeof(Fp)                 // the auxiliary trace
         + n * chunks * sizeof(Fp4)                         // quotient values
         + trees * 2 * lde * sizeof(Digest)                 // Merkle trees: 2 digests per leaf
         + lde * sizeof(Fp4);                               // the DEEP codeword
}

Digest commit_segment(std::span<const TableInstance> tables, const StarkParams& params, ByteView statement,
                      ProveTimings* timings_out, KeptCommitment* keep) {
  ProveTimings timings;
  Transcript transcript(protocol::kDomain);
  std::shared_ptr<pcs::Spill> file;
  std::shared_ptr<pcs::KeptExtensions> extensions;
  KeptFiles files;
  {
    PhaseTimer timer(timings.total);
    protocol::FriSchedule schedule;
    std::vector<unsigned> log_lde;
    std::vector<TableState> ts = start(tables, params, statement, true, transcript, schedule, log_lde);
    if (keep && keep->in_memory) {
      extensions = std::make_shared<pcs::KeptExtensions>();
      files.keep = &extensions->committed;
    } else if (keep) {
      try {
        file = std::make_shared<pcs::Spill>(keep->directory);
        files.write = file.get();
      } catch (const std::system_error& e) {
        files.write_error = e.what();
      }
    }
    Proof unused;
    commit_main(ts, params, transcript, unused, timings, false, files);
  }
  if (keep) {
    keep->commitment = transcript.state();
    keep->error = files.write_error;
    keep->file = files.write_error.empty() ? std::move(file) : nullptr;
    keep->extensions = std::move(extensions);
  }
  if (timings_out) *timings_out = timings;
  return transcript.state();
}

uint64_t kept_commitment_bytes(const Air& air, size_t height, const StarkParams& params) {
  const uint64_t lde = uint64_t{height} << params.log_blowup;
  return ((air.num_fixed() ? 1 : 0) + 1) * 2 * lde * sizeof(Digest);
}

SharedChallenges shared_challenges(std::span<const Digest> segment_commitments, ByteView statement) {
  Transcript t(protocol::kSegmentsDomain);
  t.absorb_bytes(statement);
  t.absorb_u64(segment_commitments.size());
  for (const Digest& d : segment_commitments) t.absorb(d);
  SharedChallenges c;
  c.gamma = t.challenge_ext();
  c.beta = t.challenge_ext();
  return c;
}

}  // namespace witprove::stark
