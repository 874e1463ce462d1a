// Proving Keccak-f[1600] permutations with the permutation table alone: permutations proven per second at
// 1 and 2 threads for 2^10 ... 2^14 permutations, proof size, verification time, peak memory, and time by
// phase. Each size and thread count runs in a child process so that peak memory is its own.
// Prints one JSON line; sizes that do not fit in free memory are listed as skipped.
// Options: --min-log N, --max-log N (defaults 10 and 14), --threads-list 1,2; --permutations N runs one
// count instead (1365 fills 2^15 rows, the count Plonky3's figures use); --parameter-set fast trades proof
// size for speed (docs/stark.md).
#include <oneapi/tbb/global_control.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "air/keccak_permutation.hpp"
#include "stark/folders.hpp"
#include "stark/stark.hpp"

using namespace witprove;

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Proves n random permutations on `threads` threads; writes one JSON object to `out`.
int run_one(size_t n, unsigned threads, const stark::StarkParams& params, FILE* out) {
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
  std::mt19937_64 rng(n);
  std::vector<eth::KeccakState> inputs(n);
  for (auto& s : inputs)
    for (auto& lane : s) lane = rng();

  const stark::AirAdapter<air::KeccakPermutationAir> air(air::KeccakPermutationAir{});
  const auto statement = eth::ByteView(reinterpret_cast<const uint8_t*>("bench-keccak-air"), 16);

  auto start = std::chrono::steady_clock::now();
  stark::Trace trace = air::generate_keccak_permutation_trace(inputs);
  const double trace_s = seconds_since(start);

  // No sponge looks the permutations up here: multiplicities zero, so that the table's bus sums balance.
  for (size_t r = 0; r < trace.height; ++r)
    trace.at(r, air::keccak_perm::input_mult) = trace.at(r, air::keccak_perm::output_mult) = stark::Fp();
  const std::vector<stark::Fp> first_tag = {stark::Fp()};
  std::vector<stark::TableInstance> tables{{&air, &trace, first_tag}};
  start = std::chrono::steady_clock::now();
  stark::ProveTimings phases;
  stark::Proof proof = stark::prove(tables, params, statement, &phases);
  const double prove_s = seconds_since(start);
  const size_t proof_bytes = stark::serialize(proof).size();

  const stark::Air* airs[] = {&air};
  const std::vector<std::vector<stark::Fp>> publics = {first_tag};
  start = std::chrono::steady_clock::now();
  auto error = stark::verify(airs, publics, proof, params, statement);
  const double verify_s = seconds_since(start);
  if (error) {
    std::fprintf(stderr, "bench_keccak_air: proof of %zu permutations does not verify: %s\n", n, error->c_str());
    return 1;
  }

  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double total_s = trace_s + prove_s;
  // CPU seconds of the whole run (trace, proof, verification): on a shared machine, wall time also counts
  // waiting for a core, so permutations per CPU-second shows what the work itself costs.
  const double cpu_s = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                       1e-6 * static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
  std::fprintf(out,
               "{\"permutations\":%zu,\"threads\":%u,\"trace_rows\":%zu,\"trace_columns\":%zu,"
               "\"permutations_per_second\":%.1f,\"permutations_per_second_per_thread\":%.1f,"
               "\"permutations_per_cpu_second\":%.1f,"
               "\"seconds\":{\"trace\":%.3f,\"lde\":%.3f,\"commit\":%.3f,\"aux\":%.3f,\"quotient\":%.3f,"
               "\"openings\":%.3f,\"fri\":%.3f,\"prove\":%.3f,\"total\":%.3f,\"cpu\":%.3f},\"proof_bytes\":%zu,"
               "\"verify_ms\":%.2f,\"peak_memory_mb\":%.1f}",
               n, threads, trace.height, trace.width, n / total_s, n / total_s / threads, n / cpu_s, trace_s,
               phases.lde, phases.commit, phases.aux, phases.quotient, phases.openings, phases.fri, prove_s, total_s,
               cpu_s, proof_bytes, 1e3 * verify_s, usage.ru_maxrss / 1024.0);
  return 0;
}

unsigned parse_unsigned(const char* s, const char* what, unsigned long max = 30) {
  char* end = nullptr;
  unsigned long v = std::strtoul(s, &end, 10);
  if (!*s || *end || v > max) {
    std::fprintf(stderr, "bench_keccak_air: bad %s '%s'\n", what, s);
    std::exit(2);
  }
  return static_cast<unsigned>(v);
}

}  // namespace

int main(int argc, char** argv) {
  unsigned min_log = 10, max_log = 14;
  std::vector<unsigned> thread_counts = {1, 2};
  std::vector<size_t> counts;
  stark::StarkParams params;
  std::string_view set_name = "compact";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if ((arg == "--min-log" || arg == "--max-log" || arg == "--threads-list" || arg == "--permutations" ||
         arg == "--parameter-set") &&
        i + 1 < argc) {
      const char* value = argv[++i];
      if (arg == "--permutations") counts = {parse_unsigned(value, "--permutations", 1u << 24)};
      else if (arg == "--parameter-set") {
        const stark::ParameterSet* set = stark::find_parameter_set(value);
        if (!set) {
          std::fprintf(stderr, "bench_keccak_air: unknown parameter set '%s'\n", value);
          return 2;
        }
        set_name = set->name;
        params = set->params;
      }
      else if (arg == "--min-log") min_log = parse_unsigned(value, "--min-log");
      else if (arg == "--max-log") max_log = parse_unsigned(value, "--max-log");
      else {
        thread_counts.clear();
        for (std::string list = value; !list.empty();) {
          size_t comma = list.find(',');
          thread_counts.push_back(parse_unsigned(list.substr(0, comma).c_str(), "thread count"));
          list = comma == std::string::npos ? "" : list.substr(comma + 1);
        }
      }
    } else {
      std::fprintf(stderr,
                   "usage: bench_keccak_air [--min-log N] [--max-log N] [--threads-list 1,2] [--permutations N] "
                   "[--parameter-set compact|fast]\n");
      return 2;
    }
  }

  std::string results;
  if (counts.empty())
    for (unsigned log_perms = min_log; log_perms <= max_log; ++log_perms) counts.push_back(size_t{1} << log_perms);
  // The extended trace dominates memory: (1 + blowup) copies of the trace, 8 bytes a cell, plus about 10%.
  // Sizes that do not fit in the memory free now are reported as skipped rather than run into the OOM killer.
  const double machine_bytes =
      static_cast<double>(sysconf(_SC_AVPHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
  int exit_code = 0;
  for (size_t n : counts)
    for (unsigned threads : thread_counts) {
      const double need_bytes = 1.1 * (1.0 + double(size_t{1} << params.log_blowup)) * 8.0 *
                                double(air::keccak_perm::width) * double(air::keccak_permutation_height(n));
      if (need_bytes > machine_bytes) {
        if (!results.empty()) results += ',';
        results += "{\"permutations\":" + std::to_string(n) + ",\"threads\":" + std::to_string(threads) +
                   ",\"skipped\":\"needs about " + std::to_string(static_cast<long>(need_bytes / 1e9)) +
                   " GB, " + std::to_string(static_cast<long>(machine_bytes / 1e9)) + " GB free\"}";
        continue;
      }
      // A child per run: its peak RSS is that run's alone.
      FILE* tmp = std::tmpfile();
      std::fflush(stdout);
      pid_t pid = fork();
      if (pid == 0) _exit(run_one(n, threads, params, tmp) == 0 && std::fflush(tmp) == 0 ? 0 : 1);
      int status = 0;
      waitpid(pid, &status, 0);
      if (!results.empty()) results += ',';
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::fprintf(stderr, "bench_keccak_air: run of %zu permutations on %u threads failed\n", n, threads);
        results += "{\"permutations\":" + std::to_string(n) + ",\"threads\":" + std::to_string(threads) +
                   ",\"failed\":\"" + (WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                                           : "exit status " + std::to_string(WEXITSTATUS(status))) +
                   "\"}";
        exit_code = 1;
        std::fclose(tmp);
        continue;
      }
      std::rewind(tmp);
      char buffer[1024];
      size_t len = std::fread(buffer, 1, sizeof buffer - 1, tmp);
      std::fclose(tmp);
      results.append(buffer, len);
    }
  std::printf(
      "{\"benchmark\":\"keccak_air\",\"field\":\"koalabear\",\"rows_per_permutation\":%zu,\"columns\":%zu,"
      "\"constraint_degree\":%u,\"parameter_set\":\"%.*s\",\"params\":{\"log_blowup\":%u,\"num_queries\":%u,\"grinding_bits\":%u,"
      "\"log_fri_arity\":%u,\"conjectured_security_bits\":%u},"
      // The goals at 1,365 permutations; Plonky3's speed is measured beside this run by
      // bench_keccak_vs_plonky3.sh, not quoted.
      "\"goals\":{\"speed\":\"1.5x Plonky3 keccak-air measured beside it\",\"peak_memory_mb_1365\":1000,"
      "\"proof_bytes_1365\":1700000,\"verify_ms\":50},\"runs\":[%s]}\n",
      air::keccak_perm::rounds, air::keccak_perm::width,
      stark::AirAdapter<air::KeccakPermutationAir>(air::KeccakPermutationAir{}).summary().constraint_degree,
      static_cast<int>(set_name.size()), set_name.data(), params.log_blowup, params.num_queries, params.grinding_bits,
      params.log_fri_arity, params.conjectured_security_bits(), results.c_str());
  return exit_code;
}
