// prove-range: proves every block of a range found in a witness source, continuing past bad blocks.
#include <fmt/format.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <atomic>
#include <iostream>

#include "pipeline/cli.hpp"
#include "pipeline/range.hpp"
#include "stark/stark.hpp"

namespace po = boost::program_options;
using namespace witprove;

namespace {
constexpr std::string_view tool = "prove-range";

// The signal asking the run to stop (SIGTERM, SIGINT, SIGHUP), for prove_range to see between blocks and while
// a prover runs.
std::atomic<int> stop_signal{0};
extern "C" void on_stop_signal(int sig) { stop_signal.store(sig); }

void handle_stop_signals() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) ::sigaction(sig, &action, nullptr);
}

// prove-witness beside this executable.
std::filesystem::path prover_path() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (ec ? std::filesystem::path(".") : self.parent_path()) / "prove-witness";
}
}  // namespace

int main(int argc, char** argv) {
  pipeline::CommonOptions common;
  pipeline::RangeOptions o;
  std::vector<std::string> args;
  bool collect = false;
  std::string mode = "standalone", output_dir, max_memory_text, max_witness_size, format_name = "table", block_timeout;
  po::options_description options(
      "Usage: prove-range [options] SOURCE START END --output-dir DIR\n\n"
      "Proves every block START..END found in SOURCE (a folder of witnesses, a JSON file, a compressed file,\n"
      "a tar archive, or - for standard input) into DIR/<N>.proof, and writes DIR/report.json and a summary on\n"
      "stdout. macOS metadata and header files in SOURCE are skipped (listed with --verbose); a file larger\n"
      "than --max-witness-size is an error for that file alone. A bad block is recorded with its reason and the\n"
      "run goes on. Each block is proved by its own prove-witness process; one killed for memory is retried\n"
      "with --retries, a bad witness is not; each failure is recorded with its class (unprovable, out-of-memory,\n"
      "killed, timeout, interrupted). One run at a time per output folder: a second one refuses at once.\n"
      "SIGTERM, SIGINT or SIGHUP stop the run: the provers are stopped, report.json and the summary are written\n"
      "with the unfinished blocks marked interrupted, and --resume proves them.\n"
      "Exit status: 0 every block proved (or already proved), 1 some block failed or is missing, or the folder\n"
      "is in use, 2 usage error, 128+N stopped by signal N (130 SIGINT, 143 SIGTERM, 129 SIGHUP).\n\n"
      "Options");
  pipeline::add_common_options(options, common);
  options.add_options()                                                                                 //
      ("output-dir,o", po::value(&output_dir)->value_name("DIR"), "where <N>.proof and report.json go (required)")  //
      ("mode", po::value(&mode)->value_name("standalone|chained"),
       "standalone: each block on its own (default); chained: each block on its parent's proof, the chain "
       "restarting after a failed or missing block")  //
      ("retries", po::value(&o.retries)->value_name("N"),
       "extra attempts for transient failures: out-of-memory, killed, timeout (default 0)")  //
      ("block-timeout", po::value(&block_timeout)->value_name("DURATION"),
       "time limit of each attempt at a block (s, m, h or d suffix, e.g. 90m; default none): a block past it is "
       "killed and recorded as timeout")  //
      ("jobs", po::value(&o.jobs)->value_name("N"), "blocks proved at once in standalone mode, sharing threads and memory (default 1); chained "
       "mode proves one block after the other")  //
      ("max-memory", po::value(&max_memory_text)->value_name("BYTES"), "memory cap for all jobs (K/M/G suffixes), shared evenly; see prove-witness --help")  //
      ("parameter-set", po::value(&o.parameter_set)->value_name("NAME"),
       "STARK parameter set for every block: fast (the default) or compact")  //
      ("permutations-per-table", po::value(&o.permutations_per_table)->value_name("N"),
       "Keccak-f permutations per permutation table (default: the prover's)")  //
      ("spill-dir", po::value(&o.spill_dir)->value_name("DIR|none"),
       "where segmented blocks keep their first pass; see prove-witness --help")  //
      ("metrics", po::value(&o.metrics_file)->value_name("FILE"),
       "where the metric lines go, one JSON line per job (default DIR/metrics.jsonl)")  //
      ("prometheus", po::value(&o.prometheus_file)->value_name("FILE"),
       "keep a Prometheus text file (node_exporter's textfile collector) of the run's progress: blocks by status, "
       "attempts in flight and by outcome, seconds per job type, last progress time; rewritten every few seconds")  //
      ("collect", po::bool_switch(&collect),
       "prove nothing: write report.json and the summary from the proofs in DIR and the provers' result lines in "
       "DIR/results/<N>.jsonl, for ranges proved elsewhere (scripts/slurm/submit-range.sh)")  //
      ("resume", po::bool_switch(&o.resume), "skip blocks whose proof in DIR already verifies")  //
      ("format", po::value(&format_name)->value_name("table|json"), "summary on stdout (default table)");
  pipeline::add_max_witness_size_option(options, max_witness_size);
  if (auto stop = pipeline::parse_command_line(argc, argv, tool, options, common, &args)) return *stop;
  if (args.size() != 3) return pipeline::usage_error(tool, "expected SOURCE START END");
  auto start = pipeline::parse_uint(args[1]), end = pipeline::parse_uint(args[2]);
  if (!start || !end) return pipeline::usage_error(tool, "START and END must be block numbers");
  if (*start > *end) return pipeline::usage_error(tool, "START must not be greater than END");
  if (*end - *start >= 10'000'000) return pipeline::usage_error(tool, "the range is too large");
  if (output_dir.empty()) return pipeline::usage_error(tool, "--output-dir DIR is required");
  if (mode != "standalone" && mode != "chained") return pipeline::usage_error(tool, "--mode must be standalone or chained");
  auto format = pipeline::parse_output_format(format_name);
  if (!format || *format == pipeline::OutputFormat::csv)
    return pipeline::usage_error(tool, fmt::format("unknown format '{}'", format_name));
  if (!max_memory_text.empty()) {
    auto bytes = pipeline::parse_byte_size(max_memory_text);
    if (!bytes || *bytes == 0) return pipeline::usage_error(tool, "--max-memory must be a byte count such as 8G");
    o.max_memory_bytes = *bytes;
  }
  if (o.jobs == 0) return pipeline::usage_error(tool, "--jobs must be at least 1");
  if (!block_timeout.empty()) {
    auto seconds = pipeline::parse_duration_seconds(block_timeout);
    if (!seconds || *seconds == 0) return pipeline::usage_error(tool, "--block-timeout must be a duration such as 90m");
    o.block_timeout_seconds = static_cast<double>(*seconds);
  }
  if (!stark::find_parameter_set(o.parameter_set))
    return pipeline::usage_error(tool, fmt::format("unknown --parameter-set {}", o.parameter_set));
  auto sources = pipeline::source_options(max_witness_size);
  if (!sources) return pipeline::usage_error(tool, "--max-witness-size must be a byte count such as 512M");
  o.source_options = std::move(*sources);
  o.source = args[0];
  o.range = {*start, *end};
  o.output_dir = output_dir;
  o.mode = mode == "chained" ? pipeline::ChainMode::chained : pipeline::ChainMode::standalone;
  o.threads = common.threads;
  o.prover = prover_path();
  if (::access(o.prover.c_str(), X_OK) != 0)
    return pipeline::usage_error(tool, fmt::format("cannot run the prover {}", o.prover.string()));
  auto threads = pipeline::limit_threads(common.threads);
  handle_stop_signals();
  o.stop = &stop_signal;

  pipeline::log(pipeline::LogLevel::info, "range",
                fmt::format("proving blocks {}..{} of {} ({}) into {}", *start, *end, o.source, mode, output_dir));
  pipeline::RangeResult result;
  try {
    result = collect ? pipeline::collect_range(o) : pipeline::prove_range(o);
  } catch (const witness::SourceError& e) {
    return pipeline::usage_error(tool, e.what());
  } catch (const std::exception& e) {
    pipeline::log(pipeline::LogLevel::error, "range", e.what());
    return pipeline::exit_failed;
  }
  if (!result.report_error.empty())
    pipeline::log(pipeline::LogLevel::error, "range", fmt::format("cannot write report.json: {}", result.report_error));
  std::string out = *format == pipeline::OutputFormat::json
                        ? pipeline::report_json(result.blocks, result.summary, mode)
                        : pipeline::report_text(result.blocks, result.summary);
  std::fwrite(out.data(), 1, out.size(), stdout);
  const auto& s = result.summary;
  pipeline::log(pipeline::LogLevel::info, "range",
                fmt::format("proved {}, skipped {}, failed {}, missing {}, interrupted {}; took {:.2f}s", s.proved,
                            s.skipped, s.failed, s.missing, s.interrupted, s.wall_seconds));
  if (result.stopped_by) {
    pipeline::log(pipeline::LogLevel::warn, "range",
                  fmt::format("stopped by {}: {} blocks interrupted; rerun with --resume to prove them",
                              ::sigabbrev_np(result.stopped_by) ? fmt::format("SIG{}", ::sigabbrev_np(result.stopped_by))
                                                                : std::to_string(result.stopped_by),
                              s.interrupted));
    return 128 + result.stopped_by;
  }
  return s.failed || s.missing || !result.report_error.empty() ? pipeline::exit_failed : pipeline::exit_ok;
}
