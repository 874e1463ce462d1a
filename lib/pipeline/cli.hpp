// What every tool's command line shares: exit codes, --threads, --verbose, --format, usage errors,
// timestamped logs on stderr, and a progress line shown only on a terminal.
#pragma once

#include <boost/program_options.hpp>
#include <tbb/global_control.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "witness/source.hpp"

namespace witprove::pipeline {

inline constexpr int exit_ok = 0;
inline constexpr int exit_failed = 1;  // some work failed (a bad block, an invalid proof)
inline constexpr int exit_usage = 2;   // bad command line
inline constexpr int exit_out_of_memory = 3;  // prove-witness: out of memory (prove-range may retry)

enum class OutputFormat { table, json, csv };
std::optional<OutputFormat> parse_output_format(std::string_view name);

// Options every tool has: --help, --threads N and --verbose.
struct CommonOptions {
  bool help = false;
  unsigned threads = 0;  // 0: all cores
  bool verbose = false;  // debug lines in the log
};
void add_common_options(boost::program_options::options_description& options, CommonOptions& common);

// Parses the command line: `options` (with the common ones added), and the positional words into `*args`
// when given (a tool without positional arguments passes nullptr and refuses them). Returns the exit code to
// stop with: exit_usage after a usage error ("TOOL: message" and a hint on stderr), exit_ok after --help
// (`options` printed on stdout); nullopt to go on. `hidden` options are parsed but left out of --help.
std::optional<int> parse_command_line(int argc, const char* const argv[], std::string_view tool,
                                      const boost::program_options::options_description& options,
                                      const CommonOptions& common, std::vector<std::string>* args = nullptr,
                                      const boost::program_options::options_description* hidden = nullptr);

// Prints "TOOL: message" and the --help hint to stderr; returns exit_usage.
int usage_error(std::string_view tool, std::string_view message);

// A non-negative decimal integer (block numbers, counts); nullopt on anything else.
std::optional<uint64_t> parse_uint(std::string_view text);
// A byte count with an optional K, M, G or T suffix (powers of 1024), e.g. "64G"; nullopt on anything else.
std::optional<uint64_t> parse_byte_size(std::string_view text);

// A duration in whole seconds with an optional s, m, h or d suffix, e.g. "90m"; nullopt on anything else.
std::optional<uint64_t> parse_duration_seconds(std::string_view text);

// --max-witness-size SIZE (into `text`), for the tools that read witness sources.
void add_max_witness_size_option(boost::program_options::options_description& options, std::string& text);
// How the tools read witness sources: the per-file cap from --max-witness-size's text (empty: the default),
// and skipped files listed at debug level. Nullopt when the text is not a positive byte count.
std::optional<witness::SourceOptions> source_options(std::string_view max_witness_size);

// Caps oneTBB at `threads` worker threads (0: no cap) while the returned object lives.
std::unique_ptr<tbb::global_control> limit_threads(unsigned threads);

// ---- logging ----

enum class LogLevel { debug, info, warn, error };

// "2026-11-21T06:07:14.123Z" for now, UTC.
std::string utc_timestamp();

// Writes "TIMESTAMP LEVEL job: message" to stderr as one line (safe from several threads). Debug lines are
// written only after a command line with --verbose.
void log(LogLevel level, std::string_view job, std::string_view message);

// Seconds since construction, for "took 1.23s" style reports.
struct Stopwatch {
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); }
};

// A single self-rewriting status line on stderr, drawn only when stderr is a terminal, at most ~10 times a
// second. Cleared by finish() or on destruction.
class ProgressLine {
 public:
  ProgressLine();
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  void update(std::string_view text);
  void finish();

 private:
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_{};
};

// ---- tabular output ----

// Rows of cells under named columns; numeric-looking cells are right-aligned in the table form.
struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
};

std::string format_table(const Table& table);  // aligned columns for people
std::string format_csv(const Table& table);    // RFC 4180

}  // namespace witprove::pipeline
