// The prover: main commit -> LogUp challenges -> auxiliary columns -> constraint quotient ->
// out-of-domain openings -> DEEP codeword -> FRI -> query openings.
#include <fmt/format.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_invoke.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <new>

#include <sys/mman.h>

#include "stark/folders.hpp"
#include "stark/merkle.hpp"
#include "stark/protocol.hpp"
#include "stark/stark.hpp"

namespace witprove::stark {
namespace {

using protocol::FriSchedule;

// Adds the seconds from construction to destruction to a timing slot.
class PhaseTimer {
 public:
  explicit PhaseTimer(double& slot) : slot_(slot), start_(std::chrono::steady_clock::now()) {}
  ~PhaseTimer() { slot_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }

 private:
  double& slot_;
  std::chrono::steady_clock::time_point start_;
};

// Allocator for the prover's large matrices. Elements are left uninitialised when a vector is sized: every
// matrix is fully written right after it is allocated, and zeroing hundreds of megabytes first costs a pass
// over memory. Blocks of 2 MiB and more are mapped directly and marked for transparent huge pages: the
// kernel then hands out (and zeroes) memory 2 MiB at a time instead of faulting in 4 KiB pages, which was a
// fifth of the prover's time.
template <class T>
struct MatrixAllocator {
  using value_type = T;
  static constexpr size_t kHugePage = size_t{1} << 21;
  MatrixAllocator() = default;
  template <class U>
  MatrixAllocator(const MatrixAllocator<U>&) noexcept {}  // NOLINT: rebinding
  T* allocate(size_t n) {
    const size_t bytes = n * sizeof(T);
    if (bytes < kHugePage) return std::allocator<T>().allocate(n);
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    madvise(p, bytes, MADV_HUGEPAGE);  // advisory: without THP support this is a no-op
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t n) noexcept {
    const size_t bytes = n * sizeof(T);
    if (bytes < kHugePage) return std::allocator<T>().deallocate(p, n);
    munmap(p, bytes);
  }
  template <class U>
  void construct(U*) noexcept {}  // Fp is trivially copyable and destructible (an implicit-lifetime type)
  template <class U, class... A>
  void construct(U* p, A&&... a) { ::new (static_cast<void*>(p)) U(std::forward<A>(a)...); }
  friend bool operator==(const MatrixAllocator&, const MatrixAllocator&) { return true; }
};

// Column-major matrix: column c is data[c * height, (c + 1) * height).
struct ColumnMatrix {
  size_t width = 0, height = 0;
  std::vector<Fp, MatrixAllocator<Fp>> data;
  ColumnMatrix() = default;
  ColumnMatrix(size_t w, size_t h) : width(w), height(h), data(w * h) {}
  std::span<Fp> column(size_t c) { return {data.data() + c * height, height}; }
  std::span<const Fp> column(size_t c) const { return {data.data() + c * height, height}; }
};

// Copies rows row_at(0), ..., row_at(count - 1) into a row-major buffer. Columns are taken eight at a time
// so that each output row receives whole cache lines (2.5x faster than column by column).
template <class RowAt>
void gather_rows_at(const ColumnMatrix& m, size_t count, RowAt row_at, Fp* out) {
  constexpr size_t kTile = 8;
  size_t c = 0;
  for (; c + kTile <= m.width; c += kTile) {
    const Fp* cols[kTile];
    for (size_t k = 0; k < kTile; ++k) cols[k] = m.data.data() + (c + k) * m.height;
    for (size_t i = 0; i < count; ++i) {
      size_t r = row_at(i);
      Fp* dst = out + i * m.width + c;
      for (size_t k = 0; k < kTile; ++k) dst[k] = cols[k][r];
    }
  }
  for (; c < m.width; ++c) {
    const Fp* col = m.data.data() + c * m.height;
    for (size_t i = 0; i < count; ++i) out[i * m.width + c] = col[row_at(i)];
  }
}

void gather_rows(const ColumnMatrix& m, size_t first, size_t count, Fp* out) {
  gather_rows_at(m, count, [first](size_t i) { return first + i; }, out);
}

void gather_rows(const ColumnMatrix& m, std::span<const size_t> rows, Fp* out) {
  gather_rows_at(m, rows.size(), [rows](size_t i) { return rows[i]; }, out);
}

// Rows per block when walking a matrix row by row: about 256 KiB of row data.
size_t rows_per_block(size_t width) { return std::clamp<size_t>((size_t{1} << 15) / std::max<size_t>(width, 1), 4, 1024); }

// A committed matrix: coefficients, and the LDE on shift·H in bit-reversed order (the order of the FRI
// layer of the same size), one Merkle leaf per row.
struct Committed {
  ColumnMatrix coeffs;
  ColumnMatrix lde;
  MerkleTree tree;
};

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

// Evaluations at `point` of every column polynomial.
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

struct TableState {
  const TableInstance* in;
  protocol::TableShape shape;
  unsigned log_n = 0;
  Fp shift;
  Committed main, aux, quotient;
  Fp2 lookup_sum;
};

// LogUp auxiliary trace (stark/logup.hpp): per group g the sum h_g of its fractions m_k / d_k, then the
// running sum S with S[i+1] = S[i] + sum_g h_g(i) - L/n, so that the sum wraps around to S[0].
Trace build_aux_trace(TableState& ts, Fp2 gamma, std::span<const Fp2> beta_powers) {
  const Trace& main = *ts.in->trace;
  const AirSummary& summary = *ts.shape.summary;
  const logup::Layout& layout = ts.shape.layout;
  const RowProgram& program = summary.interaction_values;
  size_t n = main.height, k_count = summary.interactions.size(), groups = layout.num_groups();
  Trace aux(layout.aux_width(), n);
  std::vector<Fp2> terms(n);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 1024), [&](const auto& r) {
    std::vector<Fp> scratch(program.nodes.size()), values(program.outputs.size());
    std::vector<Fp2> inv(r.size() * k_count);
    std::vector<Fp> mult(r.size() * k_count);
    for (size_t i = r.begin(); i < r.end(); ++i) {
      program.evaluate(main, i, ts.in->public_values, scratch, values);
      for (size_t k = 0; k < k_count; ++k) {
        const auto& in = summary.interactions[k];
        std::span<const Fp> tuple(values.data() + in.first_output, in.arity);
        inv[(i - r.begin()) * k_count + k] = logup::fingerprint(in.bus, tuple, gamma, beta_powers);
        mult[(i - r.begin()) * k_count + k] = values[in.first_output + in.arity];
      }
    }
    batch_inverse(std::span(inv));
    for (size_t i = r.begin(); i < r.end(); ++i) {
      Fp2 t;
      size_t k = 0;
      for (size_t g = 0; g < groups; ++g) {
        Fp2 h;
        for (; k < layout.group_end[g]; ++k) h += inv[(i - r.begin()) * k_count + k] * mult[(i - r.begin()) * k_count + k];
        aux.at(i, 2 * g) = h.c0;
        aux.at(i, 2 * g + 1) = h.c1;
        t += h;
      }
      terms[i] = t;
    }
  });
  Fp2 total;
  for (const auto& t : terms) total += t;
  ts.lookup_sum = total;
  Fp2 step = total * inverse(Fp(n));
  Fp2 s;
  for (size_t i = 0; i < n; ++i) {
    aux.at(i, 2 * groups) = s.c0;
    aux.at(i, 2 * groups + 1) = s.c1;
    s += terms[i] - step;
  }
  return aux;
}

// Quotient values sum(alpha^i C_i(x)) / Z_H(x) on the coset shift·H_{n·chunks}, in bit-reversed order: the
// first n·chunks rows of the bit-reversed LDE. In that order the next row of position s (x -> x·w_n) is s
// with its low log n bits reversed, incremented and reversed back.
std::vector<Fp2> compute_quotient(const TableState& ts, std::span<const Fp2> alpha_powers, Fp2 gamma,
                                  std::span<const Fp2> beta_powers) {
  const Air& air = *ts.in->air;
  const unsigned log_chunks = ts.shape.log_chunks, log_size = ts.log_n + log_chunks;
  size_t n = size_t{1} << ts.log_n, chunks = size_t{1} << log_chunks, size = n * chunks;
  Fp omega_n_inv = inverse(two_adic_root(ts.log_n));
  Fp n_inv = inverse(Fp(n));

  // Points, selectors and 1/Z_H on the quotient domain.
  std::vector<Fp> natural = powers(two_adic_root(log_size), size);
  std::vector<Fp> xs(size), den_first(size), den_last(size);
  tbb::parallel_for(size_t{0}, size, [&](size_t s) {
    xs[s] = ts.shift * natural[reverse_bits(s, log_size)];
    den_first[s] = xs[s] - Fp::one();
    den_last[s] = xs[s] - omega_n_inv;
  });
  batch_inverse(std::span(den_first));
  batch_inverse(std::span(den_last));
  // x^n is constant on each block of n positions (it only depends on x's coset of H_n).
  std::vector<Fp> zh(chunks), zh_inv(chunks);
  for (size_t b = 0; b < chunks; ++b) zh[b] = pow(xs[b * n], n) - Fp::one();
  zh_inv = zh;
  batch_inverse(std::span(zh_inv));
  auto next_position = [&](size_t s) {
    size_t low = s & (n - 1);
    return (s - low) | reverse_bits((reverse_bits(low, ts.log_n) + 1) & (n - 1), ts.log_n);
  };

  size_t main_w = ts.main.lde.width, aux_w = ts.aux.lde.width;
  const LookupContext lookups{&ts.shape.layout, gamma, beta_powers, ts.lookup_sum * n_inv};
  std::vector<Fp2> out(size);
  size_t block = rows_per_block(main_w + aux_w);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, size, block), [&](const auto& r) {
    size_t rows = r.size();
    std::vector<size_t> next_rows(rows);
    for (size_t o = 0; o < rows; ++o) next_rows[o] = next_position(r.begin() + o);
    std::vector<Fp> main_buf(rows * main_w), main_next(rows * main_w), aux_buf(rows * aux_w), aux_next(rows * aux_w);
    gather_rows(ts.main.lde, r.begin(), rows, main_buf.data());
    gather_rows(ts.main.lde, next_rows, main_next.data());
    if (aux_w) {
      gather_rows(ts.aux.lde, r.begin(), rows, aux_buf.data());
      gather_rows(ts.aux.lde, next_rows, aux_next.data());
    }
    ProverFolder folder(ts.in->public_values, alpha_powers, lookups);
    for (size_t j = r.begin(); j < r.end(); ++j) {
      size_t o = j - r.begin();
      Fp zh_j = zh[j >> ts.log_n];
      ProverFolder::Selectors sel{zh_j * den_first[j] * n_inv, zh_j * den_last[j] * n_inv * omega_n_inv,
                                  xs[j] - omega_n_inv};
      folder.set_point(main_buf.data() + o * main_w, main_next.data() + o * main_w, sel, aux_buf.data() + o * aux_w,
                       aux_next.data() + o * aux_w);
      eval_all_constraints(air, folder);
      out[j] = folder.folded() * zh_inv[j >> ts.log_n];
    }
  });
  return out;
}

// Splits quotient values on shift·H_{n·chunks} (bit-reversed) into `chunks` polynomials of degree < n, two
// base columns each (c0 and c1 parts): Q(X) = sum_i X^(i n) Q_i(X).
ColumnMatrix quotient_chunks(const std::vector<Fp2>& q, size_t n, size_t chunks, Fp shift) {
  std::vector<Fp> re(q.size()), im(q.size());
  unsigned log_size = static_cast<unsigned>(__builtin_ctzll(q.size()));
  for (size_t j = 0; j < q.size(); ++j) {
    const Fp2& v = q[reverse_bits(j, log_size)];
    re[j] = v.c0;
    im[j] = v.c1;
  }
  tbb::parallel_invoke([&] { coset_intt(re, shift); }, [&] { coset_intt(im, shift); });
  ColumnMatrix m(2 * chunks, n);
  for (size_t i = 0; i < chunks; ++i) {
    std::copy_n(re.begin() + static_cast<ptrdiff_t>(i * n), n, m.column(2 * i).begin());
    std::copy_n(im.begin() + static_cast<ptrdiff_t>(i * n), n, m.column(2 * i + 1).begin());
  }
  return m;
}

struct FriLayer {
  std::vector<Fp2> values;  // bit-reversed order
  MerkleTree tree;
  unsigned log_arity;
};

MerkleTree commit_layer(const std::vector<Fp2>& values, unsigned log_arity) {
  size_t group = size_t{1} << log_arity, groups = values.size() >> log_arity;
  std::vector<Digest> leaves(groups);
  tbb::parallel_for(size_t{0}, groups, [&](size_t g) {
    leaves[g] = hash_elements({reinterpret_cast<const Fp*>(values.data() + g * group), 2 * group});
  });
  return build_merkle_tree(std::move(leaves));
}

void check_inputs(std::span<const TableInstance> tables, std::span<const TableState> ts, const StarkParams& params) {
  if (auto e = validate(params)) throw ProveError(*e);
  if (tables.empty()) throw ProveError("no tables to prove");
  for (size_t i = 0; i < tables.size(); ++i) {
    const auto& t = tables[i];
    const Air& air = *t.air;
    const Trace& tr = *t.trace;
    if (tr.width != air.width() || tr.values.size() != tr.width * tr.height)
      throw ProveError(fmt::format("table {}: trace width {} does not match the AIR's {}", air.name(), tr.width, air.width()));
    if (tr.height < 2 || (tr.height & (tr.height - 1)) || tr.height > (size_t{1} << protocol::kMaxLogHeight))
      throw ProveError(fmt::format("table {}: height {} is not a power of two in [2, 2^{}]", air.name(), tr.height,
                                   protocol::kMaxLogHeight));
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
  if (auto e = check_lookups(tables)) throw ProveError(*e);
}

Proof prove_tables(std::span<const TableInstance> tables, const StarkParams& params, ByteView statement,
                   ProveTimings& timings) {
  const unsigned lb = params.log_blowup;
  size_t num_tables = tables.size();
  std::vector<TableState> ts(num_tables);
  std::vector<unsigned> log_lde(num_tables);
  std::vector<uint32_t> log_heights(num_tables);
  std::vector<const Air*> airs(num_tables);
  std::vector<const AirSummary*> summaries(num_tables);
  std::vector<std::vector<Fp>> publics(num_tables);
  for (size_t i = 0; i < num_tables; ++i) {
    ts[i].in = &tables[i];
    try {
      ts[i].shape = protocol::table_shape(*tables[i].air);
    } catch (const std::logic_error& e) {
      throw ProveError(e.what());
    }
    ts[i].log_n = static_cast<unsigned>(__builtin_ctzll(std::max<size_t>(tables[i].trace->height, 1)));
    log_lde[i] = ts[i].log_n + lb;
    log_heights[i] = ts[i].log_n;
    airs[i] = tables[i].air;
    summaries[i] = ts[i].shape.summary;
    publics[i] = tables[i].public_values;
  }
  check_inputs(tables, ts, params);
  FriSchedule schedule = protocol::fri_schedule(log_lde, params);
  Proof proof;
  for (size_t i = 0; i < num_tables; ++i) ts[i].shift = protocol::layer_shift(schedule.log_top, log_lde[i]);

  proof.tables.resize(num_tables);
  Transcript transcript(protocol::kDomain);
  protocol::absorb_header(transcript, statement, params, airs, log_heights, publics);

  // 1. Main traces.
  for (size_t i = 0; i < num_tables; ++i) {
    ts[i].main = commit_trace(*tables[i].trace, lb, ts[i].shift, timings);
    proof.tables[i].log_height = log_heights[i];
    proof.tables[i].main_root = ts[i].main.tree.root();
    transcript.absorb(proof.tables[i].main_root);
  }

  // 2. LogUp auxiliary columns.
  Fp2 gamma = transcript.challenge_ext(), beta = transcript.challenge_ext();
  std::vector<Fp2> beta_powers = logup::beta_powers(summaries, beta);
  for (size_t i = 0; i < num_tables; ++i) {
    if (ts[i].shape.aux_width == 0) continue;
    Trace aux;
    {
      PhaseTimer timer(timings.aux);
      aux = build_aux_trace(ts[i], gamma, beta_powers);
    }
    ts[i].aux = commit_trace(aux, lb, ts[i].shift, timings);
    proof.tables[i].aux_root = ts[i].aux.tree.root();
    proof.tables[i].lookup_sum = ts[i].lookup_sum;
    transcript.absorb(*proof.tables[i].aux_root);
    transcript.absorb(std::span<const Fp2>(&ts[i].lookup_sum, 1));
  }

  // 3. Quotients.
  Fp2 alpha = transcript.challenge_ext();
  for (size_t i = 0; i < num_tables; ++i) {
    ColumnMatrix chunks;
    {
      PhaseTimer timer(timings.quotient);
      std::vector<Fp2> alpha_powers = powers(alpha, ts[i].shape.num_constraints);
      std::vector<Fp2> q = compute_quotient(ts[i], alpha_powers, gamma, beta_powers);
      chunks = quotient_chunks(q, size_t{1} << ts[i].log_n, size_t{1} << ts[i].shape.log_chunks, ts[i].shift);
    }
    ts[i].quotient = commit_coefficients(std::move(chunks), lb, ts[i].shift, timings);
    proof.tables[i].quotient_root = ts[i].quotient.tree.root();
    transcript.absorb(proof.tables[i].quotient_root);
  }

  // 4. Out-of-domain openings.
  std::optional<PhaseTimer> phase(timings.openings);
  Fp2 zeta = transcript.challenge_ext();
  for (size_t i = 0; i < num_tables; ++i) {
    auto& tp = proof.tables[i];
    Fp2 zeta_next = zeta * two_adic_root(ts[i].log_n);
    tp.main_local = evaluate_columns(ts[i].main.coeffs, zeta);
    tp.main_next = evaluate_columns(ts[i].main.coeffs, zeta_next);
    if (tp.aux_root) {
      tp.aux_local = evaluate_columns(ts[i].aux.coeffs, zeta);
      tp.aux_next = evaluate_columns(ts[i].aux.coeffs, zeta_next);
    }
    tp.quotient_chunks = evaluate_columns(ts[i].quotient.coeffs, zeta);
    for (const auto* v : {&tp.main_local, &tp.main_next, &tp.aux_local, &tp.aux_next, &tp.quotient_chunks})
      transcript.absorb(std::span<const Fp2>(*v));
  }

  // 5. DEEP: per table, sum_k lambda^k [(p_k(x) - p_k(zeta)) / (x - zeta) + mu (p_k(x) - p_k(zeta w)) / (x - zeta w)],
  //    the second term over main and aux columns only. Combined on coefficients, then extended.
  Fp2 lambda = transcript.challenge_ext(), mu = transcript.challenge_ext();
  std::vector<std::vector<Fp2>> reduced(num_tables);  // on the table's LDE coset, bit-reversed
  Fp2 lambda_pow = Fp2::one();
  for (size_t i = 0; i < num_tables; ++i) {
    const auto& tp = proof.tables[i];
    size_t n = size_t{1} << ts[i].log_n, big = n << lb;
    std::vector<Fp2> a_coeffs(n), b_coeffs(n);
    Fp2 a_at_zeta, b_at_next;
    // Columns with their lambda powers; the first `next_columns` are also opened at zeta·w.
    std::vector<std::pair<const Fp*, Fp2>> columns;
    auto add = [&](const ColumnMatrix& m, std::span<const Fp2> at_zeta, std::span<const Fp2> at_next) {
      for (size_t c = 0; c < m.width; ++c) {
        columns.push_back({m.column(c).data(), lambda_pow});
        a_at_zeta += lambda_pow * at_zeta[c];
        if (!at_next.empty()) b_at_next += lambda_pow * at_next[c];
        lambda_pow *= lambda;
      }
    };
    add(ts[i].main.coeffs, tp.main_local, tp.main_next);
    if (tp.aux_root) add(ts[i].aux.coeffs, tp.aux_local, tp.aux_next);
    size_t next_columns = columns.size();
    add(ts[i].quotient.coeffs, tp.quotient_chunks, {});
    tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 1024), [&](const auto& r) {
      std::vector<LazySum> re(r.size()), im(r.size());
      for (size_t c = 0; c < columns.size(); ++c) {
        auto [col, coeff] = columns[c];
        for (size_t j = r.begin(); j < r.end(); ++j) {
          re[j - r.begin()].add_product(coeff.c0, col[j]);
          im[j - r.begin()].add_product(coeff.c1, col[j]);
        }
        if (c + 1 == next_columns)
          for (size_t j = r.begin(); j < r.end(); ++j) b_coeffs[j] = Fp2(re[j - r.begin()].value(), im[j - r.begin()].value());
      }
      for (size_t j = r.begin(); j < r.end(); ++j) a_coeffs[j] = Fp2(re[j - r.begin()].value(), im[j - r.begin()].value());
    });

    std::vector<Fp> parts[4];
    for (auto& p : parts) p.resize(big);
    std::vector<Fp> a_re(n), a_im(n), b_re(n), b_im(n);
    for (size_t j = 0; j < n; ++j) {
      a_re[j] = a_coeffs[j].c0; a_im[j] = a_coeffs[j].c1;
      b_re[j] = b_coeffs[j].c0; b_im[j] = b_coeffs[j].c1;
    }
    const std::vector<Fp>* srcs[4] = {&a_re, &a_im, &b_re, &b_im};
    tbb::parallel_for(0, 4, [&](int p) { coset_lde_bit_reversed(*srcs[p], ts[i].shift, parts[p]); });

    Fp2 zeta_next = zeta * two_adic_root(ts[i].log_n);
    unsigned log_big = ts[i].log_n + lb;
    std::vector<Fp> xs = powers(two_adic_root(log_big), big);
    std::vector<Fp2> inv_z(big), inv_zn(big);
    tbb::parallel_for(tbb::blocked_range<size_t>(0, big, 4096), [&](const auto& r) {
      for (size_t j = r.begin(); j < r.end(); ++j) {
        Fp x = xs[reverse_bits(j, log_big)] * ts[i].shift;
        inv_z[j] = x - zeta;
        inv_zn[j] = x - zeta_next;
      }
      batch_inverse(std::span(inv_z.data() + r.begin(), r.size()));
      batch_inverse(std::span(inv_zn.data() + r.begin(), r.size()));
    });
    std::vector<Fp2> ro(big);
    tbb::parallel_for(size_t{0}, big, [&](size_t j) {
      Fp2 a(parts[0][j], parts[1][j]), b(parts[2][j], parts[3][j]);
      ro[j] = (a - a_at_zeta) * inv_z[j] + mu * (b - b_at_next) * inv_zn[j];
    });
    reduced[i] = std::move(ro);
  }

  // 6. FRI commit phase: fold, adding each table's codeword in when the layer reaches its size.
  phase.emplace(timings.fri);
  auto add_tables_of_size = [&](unsigned log_size, std::vector<Fp2>& codeword, Fp2 coeff) {
    for (size_t i = 0; i < num_tables; ++i) {
      if (log_lde[i] != log_size) continue;
      if (codeword.empty()) codeword.assign(size_t{1} << log_size, Fp2());
      const auto& r = reduced[i];
      tbb::parallel_for(size_t{0}, r.size(), [&](size_t j) { codeword[j] += coeff * r[j]; });
    }
  };
  std::vector<Fp2> codeword;
  add_tables_of_size(schedule.log_top, codeword, Fp2::one());
  std::vector<FriLayer> layers;
  for (const auto& round : schedule.rounds) {
    FriLayer layer{std::move(codeword), {}, round.log_arity};
    layer.tree = commit_layer(layer.values, round.log_arity);
    proof.fri.layer_roots.push_back(layer.tree.root());
    transcript.absorb(layer.tree.root());
    Fp2 beta_r = transcript.challenge_ext();
    size_t group = size_t{1} << round.log_arity, groups = layer.values.size() >> round.log_arity;
    unsigned log_groups = round.log_size - round.log_arity;
    Fp shift = protocol::layer_shift(schedule.log_top, round.log_size);
    Fp root = two_adic_root(round.log_size);
    codeword.assign(groups, Fp2());
    tbb::parallel_for(size_t{0}, groups, [&](size_t g) {
      Fp s = shift * pow(root, reverse_bits(g, log_groups));
      codeword[g] = protocol::fold_group({layer.values.data() + g * group, group}, s, beta_r);
    });
    add_tables_of_size(log_groups, codeword, pow(beta_r, group));
    layers.push_back(std::move(layer));
  }
  {
    // Final polynomial: interpolate the last codeword and keep the low coefficients (an honest prover's
    // higher coefficients are zero).
    size_t len = codeword.size();
    std::vector<Fp> re(len), im(len);
    for (size_t j = 0; j < len; ++j) {
      size_t k = reverse_bits(j, schedule.log_final_size);
      re[j] = codeword[k].c0;
      im[j] = codeword[k].c1;
    }
    Fp shift = protocol::layer_shift(schedule.log_top, schedule.log_final_size);
    coset_intt(re, shift);
    coset_intt(im, shift);
    size_t keep = len >> lb;
    for (size_t j = 0; j < keep; ++j) proof.fri.final_poly.push_back(Fp2(re[j], im[j]));
    transcript.absorb(std::span<const Fp2>(proof.fri.final_poly));
  }
  proof.fri.pow_nonce = transcript.grind(params.grinding_bits);
  transcript.absorb_u64(proof.fri.pow_nonce);

  // 7. Queries.
  std::vector<size_t> queries(params.num_queries);
  for (auto& q : queries) q = transcript.challenge_index(schedule.log_top);
  auto positions = [&](unsigned log_size, unsigned shift_bits) {
    std::vector<size_t> out;
    for (size_t q : queries) out.push_back(q >> (schedule.log_top - log_size) >> shift_bits);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  };
  for (size_t i = 0; i < num_tables; ++i) {
    auto rows = positions(log_lde[i], 0);
    auto& tp = proof.tables[i];
    tp.main_opening = open_rows(ts[i].main, rows);
    if (tp.aux_root) tp.aux_opening = open_rows(ts[i].aux, rows);
    tp.quotient_opening = open_rows(ts[i].quotient, rows);
  }
  for (const auto& layer : layers) {
    unsigned log_size = static_cast<unsigned>(__builtin_ctzll(layer.values.size()));
    auto groups = positions(log_size, layer.log_arity);
    TreeOpening o;
    size_t group = size_t{1} << layer.log_arity;
    for (size_t g : groups) {
      const Fp* p = reinterpret_cast<const Fp*>(layer.values.data() + g * group);
      o.rows.emplace_back(p, p + 2 * group);
    }
    o.siblings = open_merkle_batch(layer.tree, groups);
    proof.fri.layer_openings.push_back(std::move(o));
  }
  return proof;
}

}  // namespace

Proof prove(std::span<const TableInstance> tables, const StarkParams& params, ByteView statement,
            ProveTimings* timings_out) {
  ProveTimings timings;
  Proof proof;
  {
    PhaseTimer timer(timings.total);
    proof = prove_tables(tables, params, statement, timings);
  }
  if (timings_out) *timings_out = timings;
  return proof;
}

}  // namespace witprove::stark
