// Committing a trace, as the prover does for every table: row-major trace -> column-major coefficients
// (inverse NTT) -> coset extension (blowup 2^log_blowup) -> Merkle tree of rows. Prints one JSON line
// with the seconds of the extension and of the tree, and nanoseconds per extended cell, for a small table
// whose columns fit in the core's cache and a tall one whose columns do not.
// Options: --width W (16), --log-heights "A B" (17 22), --log-blowup B (1), --threads T (all).
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/info.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "stark/ntt.hpp"
#include "stark/pcs.hpp"

using namespace witprove::stark;

int main(int argc, char** argv) {
  size_t width = 16, threads = static_cast<size_t>(tbb::info::default_concurrency());
  unsigned log_blowup = 1;
  std::string heights = "17 22";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i], value = argv[i + 1];
    if (arg == "--width") width = std::stoul(value);
    else if (arg == "--log-heights") heights = value;
    else if (arg == "--log-blowup") log_blowup = static_cast<unsigned>(std::stoul(value));
    else if (arg == "--threads") threads = std::stoul(value);
    else {
      std::fprintf(stderr, "usage: bench_lde [--width W] [--log-heights \"A B\"] [--log-blowup B] [--threads T]\n");
      return 2;
    }
  }
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
  std::mt19937_64 rng(1);
  std::ostringstream sizes;
  std::istringstream in(heights);
  for (unsigned log_n; in >> log_n;) {
    Trace trace(width, size_t{1} << log_n);
    for (auto& v : trace.values) v = Fp(rng() % Fp::P);
    ProveTimings t;
    pcs::commit_trace(trace, log_blowup, kGenerator, t);  // warm: twiddles and kept buffers, as in a block's segments
    t = {};
    const auto c = pcs::commit_trace(trace, log_blowup, kGenerator, t);
    const double cells = static_cast<double>(c.lde.data.size());
    sizes << (sizes.tellp() > 0 ? "," : "")
          << "{\"log_height\":" << log_n << ",\"lde_s\":" << t.lde << ",\"tree_s\":" << t.commit
          << ",\"lde_ns_per_cell\":" << t.lde / cells * 1e9 << "}";
  }
  std::printf("{\"benchmark\":\"lde\",\"width\":%zu,\"log_blowup\":%u,\"threads\":%zu,\"sizes\":[%s]}\n", width,
              log_blowup, threads, sizes.str().c_str());
}
