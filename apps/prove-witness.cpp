// prove-witness: proves one block witness into a proof file.
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <new>
#include <thread>

#include "pipeline/block_prover.hpp"
#include "pipeline/cli.hpp"
#include "pipeline/report.hpp"
#include "pipeline/verify.hpp"
#include "stark/stark.hpp"
#include "witness/source.hpp"

namespace po = boost::program_options;
using namespace witprove;
using pipeline::LogLevel;
using pipeline::log;

namespace {

constexpr std::string_view tool = "prove-witness";

struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The witness of block `number` (or the only block) in `source`. With a number, entries whose number cannot
// be read (an unreadable file beside the block) are warnings, not a second candidate.
witness::BlockWitness read_witness(const std::string& source, std::optional<uint64_t> number,
                                   const witness::SourceOptions& source_options) {
  witness::BlockRange range = number ? witness::BlockRange{*number, *number} : witness::BlockRange{};
  std::vector<witness::BlockParse> blocks;
  std::vector<std::string> unreadable;
  witness::for_each_block<witness::BlockParse>(
      source, range, [](witness::BlockParse&& b) { return std::move(b); },
      [&](witness::BlockParse&& b) {
        if (number && !b.number) unreadable.push_back(b.error);
        else blocks.push_back(std::move(b));
      },
      source_options);
  for (const auto& e : unreadable) log(LogLevel::warn, "read", fmt::format("skipped: {}", e));
  if (blocks.empty())
    throw Failure(number ? fmt::format("{}: no witness for block {}{}", source, *number,
                                       unreadable.empty() ? "" : fmt::format(" ({} unreadable entries)", unreadable.size()))
                         : fmt::format("{}: no block witness found", source));
  if (blocks.size() > 1) {
    std::string numbers;
    for (const auto& b : blocks) numbers += b.number ? fmt::format(" {}", *b.number) : " ?";
    throw Failure(fmt::format("{}: {} blocks ({}); choose one with --block N", source, blocks.size(), numbers.substr(1)));
  }
  if (!blocks[0].ok()) throw Failure(fmt::format("not provable: {}", blocks[0].error));
  return std::move(*blocks[0].witness);
}

struct Proved {
  uint64_t block = 0;
  uint64_t proof_bytes = 0;
};

// Test hook (apps/tests/test_range.cpp, --block-timeout): the block named by WITPROVE_TEST_STALL_BLOCK never
// finishes.
void stall_if_asked(uint64_t number) {
  const char* stall = std::getenv("WITPROVE_TEST_STALL_BLOCK");
  if (stall && std::to_string(number) == stall) std::this_thread::sleep_for(std::chrono::hours(1));
}

Proved run(const std::string& witness_path, std::optional<uint64_t> block, const witness::SourceOptions& source_options,
        const std::string& output, const std::string& previous_path, bool unchecked, pipeline::ProveSettings settings,
        pipeline::MetricsLog& metrics) {
  pipeline::Stopwatch total;
  std::optional<proof::ProofFile> previous;
  if (!previous_path.empty()) {
    pipeline::Stopwatch watch;
    previous = proof::read_file(previous_path);
    if (auto err = pipeline::verify_proof(*previous))
      throw Failure(fmt::format("previous proof {} is invalid: {}", previous_path, *err));
    const auto& pv = previous->public_values;
    if (block && pv.block_number + 1 != *block)
      throw Failure(fmt::format("previous proof {} is for block {}, not the parent of block {}", previous_path,
                                pv.block_number, *block));
    log(LogLevel::info, "verify-previous",
        fmt::format("previous proof of block {} is valid, took {:.2f}s", pv.block_number, watch.seconds()));
    metrics.write({pv.block_number + 1, "verify-previous", -1, 0, watch.seconds(), pipeline::peak_memory_bytes(),
                   settings.attempt});
  }

  pipeline::Stopwatch read_watch;
  auto witness = read_witness(witness_path, block, source_options);
  uint64_t number = witness::block_number(witness);
  stall_if_asked(number);
  log(LogLevel::info, "read", fmt::format("block {}: {} transactions, {} witness bytes, took {:.2f}s", number,
                                          witness.block_trace.txn_info.size(), witness.witness_bytes,
                                          read_watch.seconds()));

  pipeline::Stopwatch check_watch;
  auto checked = pipeline::check_block(witness, unchecked);
  if (unchecked)
    log(LogLevel::warn, "check", fmt::format("block {}: --unchecked: the native processing's verdict is not enforced", number));
  log(LogLevel::info, "check",
      fmt::format("block {}: native processing ok under {} rules, {} trie nodes, {} state changes, took {:.2f}s",
                  number, checked.rules, checked.witness.nodes.size(), checked.witness.changes.size(),
                  check_watch.seconds()));
  metrics.write({number, "check", -1, checked.witness.nodes.size(), check_watch.seconds(),
                 pipeline::peak_memory_bytes(), settings.attempt});
  if (previous) {
    checked.public_values.previous_proof_digest = proof::digest(*previous);
    if (auto err = pipeline::check_link(*previous, checked.public_values))
      throw Failure(fmt::format("previous proof {} is not the parent: {}", previous_path, *err));
  }

  log(LogLevel::info, "prove", fmt::format("proving block {}", number));
  pipeline::Stopwatch prove_watch;
  auto file = pipeline::prove_block(checked, settings, metrics);
  double prove_seconds = prove_watch.seconds();

  // A proof that does not verify is never written (--unchecked writes it, for verify-proof to refuse).
  pipeline::Stopwatch verify_watch;
  if (auto err = pipeline::verify_proof(file)) {
    if (!unchecked) throw Failure(fmt::format("block {}: own proof does not verify: {}", number, *err));
    log(LogLevel::warn, "verify", fmt::format("block {}: own proof does not verify: {}", number, *err));
  }
  auto bytes = proof::encode(file);
  proof::write_file_atomic(output, bytes);
  metrics.write({number, "verify", -1, 0, verify_watch.seconds(), pipeline::peak_memory_bytes(), settings.attempt});
  log(LogLevel::info, "prove",
      fmt::format("proved block {}: {} segments, {} bytes written to {}; proving took {:.2f}s, took {:.2f}s in all",
                  number, file.segments.size(), bytes.size(), output, prove_seconds, total.seconds()));
  metrics.write({number, "prove-block", -1, 0, total.seconds(), pipeline::peak_memory_bytes(), settings.attempt});
  return {number, bytes.size()};
}

}  // namespace

int main(int argc, char** argv) {
  pipeline::CommonOptions common;
  std::string witness_path = "-", output, previous_path, metrics_path, max_memory_text, max_witness_size;
  std::optional<uint64_t> block;
  pipeline::ProveSettings settings;
  std::string block_text, parameter_set = "fast", format_name;
  bool unchecked = false;
  po::options_description options(
      "Usage: prove-witness [options] [--witness FILE|-] [--block N] --output FILE [--previous-proof FILE]\n\n"
      "Proves one block witness (zero-bin BlockProverInput JSON; standard input by default) into a proof file.\n"
      "The block is first processed natively, so an unprovable witness fails in seconds with the reason. With\n"
      "--previous-proof, that proof is verified and checked to be the parent (block N-1, its post-state root\n"
      "equal to this block's pre-state root) before any proving starts. The proof is of the block\n"
      "state-transition statement; docs/statement.md says what it proves.\n"
      "A witness file larger than --max-witness-size is refused.\n"
      "Exit status: 0 proved, 1 unprovable witness or proving failure, 2 usage error, 3 out of memory.\n\nOptions");
  pipeline::add_common_options(options, common);
  options.add_options()                                                                                          //
      ("witness", po::value(&witness_path)->value_name("FILE"), "witness source: file, folder, archive or - (default -)")  //
      ("block", po::value(&block_text)->value_name("N"), "the block to prove when the source holds several")   //
      ("output,o", po::value(&output)->value_name("FILE"), "where to write the proof (required)")             //
      ("previous-proof", po::value(&previous_path)->value_name("FILE"), "proof of the parent block to chain onto")  //
      ("max-memory", po::value(&max_memory_text)->value_name("BYTES"),
       "memory cap (K/M/G suffixes; default the machine's memory): tables, segments and the segments proved at once stay within it; a block that cannot fit is refused")  //
      ("parameter-set", po::value(&parameter_set)->value_name("NAME"),
       "STARK parameter set: fast (blowup 2; the default) or compact (blowup 8, smaller proofs, 4x the memory per row)")  //
      ("permutations-per-table", po::value(&settings.parameters.permutations_per_table)->value_name("N"),
       "Keccak-f permutations per permutation table (default 5461: 2^17 rows)")  //
      ("spill-dir", po::value(&settings.spill_dir)->value_name("DIR|none"),
       "where a block proved in segments keeps each segment's first pass (the Merkle trees of its main "
       "columns, 64 bytes per extended row and tree, in an unnamed file) for the segment's proof instead of hashing "
       "again (default: $TMPDIR or /tmp when on disk with room; none: hash again)")  //
      ("metrics", po::value(&metrics_path)->value_name("FILE"), "append one JSON line per job to FILE")  //
      ("attempt", po::value(&settings.attempt)->value_name("N"), "attempt number recorded in the metrics (default 1)")  //
      ("format", po::value(&format_name)->value_name("table|json"),
       "print the outcome on stdout: block, outcome (proved, unprovable, out-of-memory, usage), seconds, proof "
       "bytes, error (default: nothing on stdout)");
  pipeline::add_max_witness_size_option(options, max_witness_size);
  po::options_description hidden;
  hidden.add_options()("unchecked", po::bool_switch(&unchecked),
                       "test mode: prove what the native processing computed even when it refuses the witness, and "
                       "write the proof even when it does not verify");
  if (auto stop = pipeline::parse_command_line(argc, argv, tool, options, common, nullptr, &hidden)) return *stop;
  if (output.empty()) return pipeline::usage_error(tool, "--output FILE is required");
  if (!block_text.empty()) {
    block = pipeline::parse_uint(block_text);
    if (!block) return pipeline::usage_error(tool, "--block must be a block number");
  }
  if (!max_memory_text.empty()) {
    auto bytes = pipeline::parse_byte_size(max_memory_text);
    if (!bytes || *bytes == 0) return pipeline::usage_error(tool, "--max-memory must be a byte count such as 8G");
    settings.max_memory_bytes = *bytes;
  }
  auto sources = pipeline::source_options(max_witness_size);
  if (!sources) return pipeline::usage_error(tool, "--max-witness-size must be a byte count such as 512M");
  if (settings.parameters.permutations_per_table == 0 ||
      settings.parameters.permutations_per_table * air::keccak_perm::rounds > (1u << 23))
    return pipeline::usage_error(tool, "--permutations-per-table must be in [1, 349525]");
  const stark::ParameterSet* set = stark::find_parameter_set(parameter_set);
  if (!set) return pipeline::usage_error(tool, fmt::format("unknown --parameter-set {}", parameter_set));
  settings.parameters.stark = set->params;
  std::optional<pipeline::OutputFormat> format;
  if (!format_name.empty()) {
    format = pipeline::parse_output_format(format_name);
    if (!format || *format == pipeline::OutputFormat::csv)
      return pipeline::usage_error(tool, fmt::format("unknown format '{}'", format_name));
  }
  auto threads = pipeline::limit_threads(common.threads);

  pipeline::Stopwatch watch;
  pipeline::ProverResult result;
  result.block = block;
  int status = pipeline::exit_ok;
  auto failed = [&](int code, pipeline::Outcome outcome, std::string message) {
    if (code != pipeline::exit_usage) log(LogLevel::error, "prove", message);
    status = code;
    result.outcome = outcome;
    result.error = std::move(message);
  };
  try {
    const auto metrics = pipeline::open_metrics_log(metrics_path);
    const Proved proved = run(witness_path, block, *sources, output, previous_path, unchecked, settings, *metrics);
    result.block = proved.block;
    result.proof_bytes = proved.proof_bytes;
  } catch (const witness::SourceError& e) {
    failed(pipeline::usage_error(tool, e.what()), pipeline::Outcome::usage, e.what());
  } catch (const std::bad_alloc&) {
    failed(pipeline::exit_out_of_memory, pipeline::Outcome::out_of_memory, "out of memory");
  } catch (const pipeline::BlockFailure& e) {  // transient: out of memory (block_prover.hpp)
    failed(e.transient ? pipeline::exit_out_of_memory : pipeline::exit_failed,
           e.transient ? pipeline::Outcome::out_of_memory : pipeline::Outcome::unprovable, e.what());
  } catch (const std::exception& e) {
    failed(pipeline::exit_failed, pipeline::Outcome::unprovable, e.what());
  }
  result.seconds = watch.seconds();
  if (format == pipeline::OutputFormat::json) {
    std::fputs(pipeline::prover_result_json(result).c_str(), stdout);
  } else if (format) {
    pipeline::Table t{{"block", "outcome", "seconds", "proof_bytes", "error"},
                      {{result.block ? std::to_string(*result.block) : "?", std::string(to_string(result.outcome)),
                        fmt::format("{:.2f}", result.seconds), std::to_string(result.proof_bytes), result.error}}};
    std::fputs(pipeline::format_table(t).c_str(), stdout);
  }
  return status;
}
