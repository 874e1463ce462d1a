// One block proved under the block state-transition statement, in process, as prove-witness does it: the
// native check, the tables (rows and width of each), proving by segments, verification. Prints one JSON
// line: table rows, cells, segments, seconds per phase, proof bytes, verification milliseconds, peak
// memory, transactions per hour. Run it once per block and thread count (peak memory is the process's).
//
// Usage: bench_transition WITNESS_FILE [--block N] [--threads T] [--max-memory BYTES]
//                         [--parameter-set fast|compact] [--spill-dir DIR|none]
#include <fmt/format.h>
#include <sys/resource.h>
#include <tbb/global_control.h>
#include <tbb/info.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "pipeline/block_prover.hpp"
#include "pipeline/cli.hpp"
#include "pipeline/verify.hpp"
#include "witness/parse.hpp"

using namespace witprove;

namespace {

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr, "bench_transition: %s\nusage: bench_transition WITNESS_FILE [--block N] [--threads T] "
                       "[--max-memory BYTES] [--parameter-set fast|compact] [--spill-dir DIR|none]\n", why.c_str());
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) usage("no witness file");
  const std::string path = argv[1];
  std::optional<uint64_t> block;
  unsigned threads = static_cast<unsigned>(tbb::info::default_concurrency());
  pipeline::ProveSettings settings;
  std::string set_name = "fast";
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string arg = argv[i], value = argv[i + 1];
    if (arg == "--block") block = pipeline::parse_uint(value);
    else if (arg == "--threads") threads = static_cast<unsigned>(pipeline::parse_uint(value).value_or(0));
    else if (arg == "--max-memory") settings.max_memory_bytes = pipeline::parse_byte_size(value).value_or(0);
    else if (arg == "--parameter-set") set_name = value;
    else if (arg == "--spill-dir") settings.spill_dir = value;
    else usage("unknown option " + arg);
  }
  if (argc % 2) usage("an option lacks its value");
  const stark::ParameterSet* set = stark::find_parameter_set(set_name);
  if (!set || threads == 0) usage("bad --parameter-set or --threads");
  settings.parameters.stark = set->params;
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);

  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  std::optional<witness::BlockWitness> witness;
  for (auto& parsed : witness::parse_witness_file(witness::make_json_file(path, text.str())))
    if (parsed.ok() && (!block || witness::block_number(*parsed.witness) == *block)) {
      witness = std::move(*parsed.witness);
      break;
    }
  if (!witness) usage("no such block in " + path);

  auto start = std::chrono::steady_clock::now();
  const pipeline::CheckedBlock checked = pipeline::check_block(*witness);
  const double check_s = since(start);

  // The tables alone, for their rows (prove_block builds them again).
  start = std::chrono::steady_clock::now();
  std::string tables_json;
  uint64_t cells = 0;
  {
    const auto tables = air::build_block_transition(checked.witness, pipeline::transition_public(checked.public_values),
                                                    settings.parameters.permutations_per_table);
    for (uint32_t i = 0; i < tables.size(); ++i) {
      tables_json += fmt::format("{}{{\"name\":\"{}\",\"rows\":{},\"width\":{}}}", i ? "," : "", tables.airs[i]->name(),
                                 tables.height(i), tables.airs[i]->width());
      cells += air::segment_cells(tables, {i});
    }
  }
  const double tables_s = since(start);

  start = std::chrono::steady_clock::now();
  pipeline::MetricsLog metrics;
  const proof::ProofFile file = pipeline::prove_block(checked, settings, metrics);
  const double prove_s = since(start);
  const size_t proof_bytes = proof::encode(file).size();

  start = std::chrono::steady_clock::now();
  const auto error = pipeline::verify_proof(file);
  const double verify_s = since(start);
  if (error) {
    std::fprintf(stderr, "bench_transition: the proof does not verify: %s\n", error->c_str());
    return 1;
  }
  rusage usage_now{};
  getrusage(RUSAGE_SELF, &usage_now);
  const auto& v = checked.public_values;
  std::printf("{\"benchmark\":\"transition\",\"witness\":\"%s\",\"block\":%lu,\"transactions\":%lu,\"threads\":%u,"
              "\"parameter_set\":\"%s\",\"trie_nodes\":%zu,\"changes\":%zu,\"tables\":[%s],\"cells\":%lu,"
              "\"segments\":%zu,\"seconds\":{\"check\":%.3f,\"tables\":%.3f,\"prove\":%.3f},\"proof_bytes\":%zu,"
              "\"verify_ms\":%.1f,\"peak_memory_mb\":%.0f,\"transactions_per_hour\":%.0f}\n",
              path.c_str(), static_cast<unsigned long>(v.block_number), static_cast<unsigned long>(v.tx_count), threads,
              set_name.c_str(), checked.witness.nodes.size(), checked.witness.changes.size(), tables_json.c_str(),
              static_cast<unsigned long>(cells), file.segments.size(), check_s, tables_s, prove_s, proof_bytes,
              verify_s * 1e3, usage_now.ru_maxrss / 1024.0, v.tx_count * 3600.0 / (check_s + prove_s));
  return 0;
}
