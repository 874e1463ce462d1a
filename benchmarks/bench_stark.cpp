// The STARK engine on a synthetic two-table statement: a wide degree-3 recurrence table that sends its
// first column over a LogUp bus, and a two-column table that receives those values. Prints one JSON line
// with the prover's time by phase, proof size, verification time and peak memory.
// Options: --log-height N (14), --width W (256), --threads T (all), --log-blowup B, --queries Q,
//          --grinding-bits G, --log-arity A (defaults: the engine's StarkParams).
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/info.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "stark/folders.hpp"
#include "stark/stark.hpp"

using namespace witprove::stark;

namespace {

inline constexpr Bus<1> kValueBus{1, "bench.value"};

// next_c = local_c * local_{c+1} + c on every transition: width constraints of degree 3.
struct RecurrenceAir {
  size_t columns;
  std::string name() const { return "recurrence"; }
  size_t width() const { return columns; }
  size_t num_public_values() const { return 0; }
  template <class F>
  void eval(F& f) const {
    for (size_t c = 0; c < columns; ++c)
      f.assert_zero(f.is_transition() * (f.next(c) - f.local(c) * f.local((c + 1) % columns) - Fp(c)));
    f.send(kValueBus, std::array{f.local(0)}, Fp::one());
  }
};

// Receives (value) with multiplicity m.
struct ReceiverAir {
  std::string name() const { return "receiver"; }
  size_t width() const { return 2; }
  size_t num_public_values() const { return 0; }
  template <class F>
  void eval(F& f) const {
    f.receive(kValueBus, std::array{f.local(0)}, f.local(1));
  }
};

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

unsigned parse(const char* s, const char* what) {
  char* end = nullptr;
  unsigned long v = std::strtoul(s, &end, 10);
  if (!*s || *end || v > 100000) {
    std::fprintf(stderr, "bench_stark: bad %s '%s'\n", what, s);
    std::exit(2);
  }
  return static_cast<unsigned>(v);
}

}  // namespace

int main(int argc, char** argv) {
  unsigned log_height = 14, width = 256, threads = static_cast<unsigned>(tbb::info::default_concurrency());
  StarkParams params;
  params.check_trace = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "usage: bench_stark [--log-height N] [--width W] [--threads T] [--log-blowup B] "
                           "[--queries Q] [--grinding-bits G] [--log-arity A]\n");
      return 2;
    }
    unsigned v = parse(argv[++i], arg.c_str());
    if (arg == "--log-height") log_height = v;
    else if (arg == "--width") width = v;
    else if (arg == "--threads") threads = v;
    else if (arg == "--log-blowup") params.log_blowup = v;
    else if (arg == "--queries") params.num_queries = v;
    else if (arg == "--grinding-bits") params.grinding_bits = v;
    else if (arg == "--log-arity") params.log_fri_arity = v;
    else {
      std::fprintf(stderr, "bench_stark: unknown option %s\n", arg.c_str());
      return 2;
    }
  }
  if (auto e = validate(params)) {
    std::fprintf(stderr, "bench_stark: %s\n", e->c_str());
    return 2;
  }
  if (log_height < 2 || log_height > 24 || width < 1) {
    std::fprintf(stderr, "bench_stark: --log-height must be in [2, 24] and --width positive\n");
    return 2;
  }
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);

  auto start = std::chrono::steady_clock::now();
  size_t n = size_t{1} << log_height;
  Trace main(width, n), receiver(2, n);
  std::mt19937_64 rng(1);
  for (size_t c = 0; c < width; ++c) main.at(0, c) = Fp(rng());
  for (size_t r = 1; r < n; ++r)
    for (size_t c = 0; c < width; ++c) main.at(r, c) = main.at(r - 1, c) * main.at(r - 1, (c + 1) % width) + Fp(c);
  for (size_t r = 0; r < n; ++r) {
    receiver.at(r, 0) = main.at(r, 0);
    receiver.at(r, 1) = Fp::one();
  }
  double trace_s = since(start);

  AirAdapter<RecurrenceAir> main_air(RecurrenceAir{width});
  AirAdapter<ReceiverAir> receiver_air{ReceiverAir{}};
  std::vector<TableInstance> tables{{&main_air, &main, {}}, {&receiver_air, &receiver, {}}};
  const uint8_t statement[] = {'b', 'e', 'n', 'c', 'h'};
  ProveTimings t;
  Proof proof = prove(tables, params, statement, &t);
  size_t proof_bytes = serialize(proof).size();

  const Air* airs[] = {&main_air, &receiver_air};
  std::vector<std::vector<Fp>> publics(2);
  start = std::chrono::steady_clock::now();
  auto error = verify(airs, publics, proof, params, statement);
  double verify_s = since(start);
  if (error) {
    std::fprintf(stderr, "bench_stark: proof does not verify: %s\n", error->c_str());
    return 1;
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf(
      "{\"benchmark\":\"stark\",\"tables\":[{\"name\":\"recurrence\",\"width\":%u,\"height\":%zu,\"degree\":3},"
      "{\"name\":\"receiver\",\"width\":2,\"height\":%zu,\"degree\":1}],\"threads\":%u,"
      "\"params\":{\"log_blowup\":%u,\"num_queries\":%u,\"grinding_bits\":%u,\"log_fri_arity\":%u,"
      "\"log_final_poly_len\":%u,\"conjectured_security_bits\":%u},"
      "\"seconds\":{\"trace\":%.3f,\"lde\":%.3f,\"commit\":%.3f,\"aux\":%.3f,\"quotient\":%.3f,\"openings\":%.3f,"
      "\"fri\":%.3f,\"prove\":%.3f},\"trace_cells_per_second\":%.0f,\"proof_bytes\":%zu,\"verify_ms\":%.2f,"
      "\"peak_memory_mb\":%.1f}\n",
      width, n, n, threads, params.log_blowup, params.num_queries, params.grinding_bits, params.log_fri_arity,
      params.log_final_poly_len, params.conjectured_security_bits(), trace_s, t.lde, t.commit, t.aux, t.quotient,
      t.openings, t.fri, t.total, static_cast<double>((width + 2) * n) / t.total, proof_bytes, verify_s * 1e3,
      usage.ru_maxrss / 1024.0);
  return 0;
}
