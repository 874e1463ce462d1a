// The outcome of a range run: one entry per block of the range, written as DIR/report.json.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace witprove::pipeline {

// interrupted: the run was stopped (SIGTERM, SIGINT, SIGHUP) before the block finished; --resume proves it.
enum class BlockStatus { proved, failed, missing, skipped, interrupted };
std::string_view to_string(BlockStatus s);

// How one attempt at a block ended. prove-witness says it by its exit status (0 proved, 1 unprovable, 2
// usage, 3 out of memory) and its result line (--format json); prove-range adds what it saw itself (the
// prover killed by a signal, past --block-timeout, or stopped with the run).
enum class Outcome { proved, unprovable, out_of_memory, killed, timeout, interrupted, usage };
std::string_view to_string(Outcome o);
std::optional<Outcome> parse_outcome(std::string_view name);
// Failures that may not happen again, which --retries retries: out of memory, killed, timeout.
bool is_transient(Outcome o);

// prove-witness's result line (--format json), which prove-range reads from its stdout:
// {"block":N or null,"outcome":"…","seconds":S,"proof_bytes":B,"error":"…"}
struct ProverResult {
  std::optional<uint64_t> block;
  Outcome outcome = Outcome::proved;
  double seconds = 0;
  uint64_t proof_bytes = 0;
  std::string error;
};
std::string prover_result_json(const ProverResult& r);
// The last result line in `text`; nullopt when there is none or it does not parse.
std::optional<ProverResult> parse_prover_result(std::string_view text);

struct BlockReport {
  uint64_t block = 0;
  BlockStatus status = BlockStatus::missing;
  unsigned attempts = 0;
  double seconds = 0;
  uint64_t txs = 0;
  std::string error;
  bool chain_break = false;  // chained mode: this block does not link to a proof of its parent
  std::optional<Outcome> outcome;  // the last attempt's, when the block was attempted in this run
  uint64_t witness_bytes = 0;      // the block's witness JSON, when it was read
};

struct RangeSummary {
  size_t proved = 0, failed = 0, missing = 0, skipped = 0, interrupted = 0;
  std::map<std::string, size_t> failures_by_class;  // outcome name -> failed or interrupted blocks
  uint64_t txs_proved = 0;
  double wall_seconds = 0;
  double blocks_per_hour = 0;
  double txs_per_hour = 0;
};

RangeSummary summarize(const std::vector<BlockReport>& blocks, double wall_seconds);

// {"blocks":[{"block":N,"status":…,"outcome":…,"attempts":A,"seconds":S,"txs":T,"error":"…"}],"summary":{…}}
// ("outcome" only for blocks attempted in this run)
std::string report_json(const std::vector<BlockReport>& blocks, const RangeSummary& summary,
                        std::string_view mode);
// report_json's text read back (what it wrote of each block, the mode and the wall time); nullopt, with
// `error` set, when the text is not such a report.
struct ParsedReport {
  std::vector<BlockReport> blocks;
  std::string mode;
  double wall_seconds = 0;
};
std::optional<ParsedReport> parse_report_json(std::string_view text, std::string& error);

// The one-screen summary printed on stdout at the end of a run.
std::string report_text(const std::vector<BlockReport>& blocks, const RangeSummary& summary);

// Escapes a string for a JSON string literal (quotes included).
std::string json_string(std::string_view s);

}  // namespace witprove::pipeline
