// The outcome of a range run: one entry per block of the range, written as DIR/report.json.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace witprove::pipeline {

enum class BlockStatus { proved, failed, missing, skipped };
std::string_view to_string(BlockStatus s);

struct BlockReport {
  uint64_t block = 0;
  BlockStatus status = BlockStatus::missing;
  unsigned attempts = 0;
  double seconds = 0;
  uint64_t txs = 0;
  std::string error;
  bool chain_break = false;  // chained mode: this block does not link to a proof of its parent
};

struct RangeSummary {
  size_t proved = 0, failed = 0, missing = 0, skipped = 0;
  uint64_t txs_proved = 0;
  double wall_seconds = 0;
  double blocks_per_hour = 0;
  double txs_per_hour = 0;
};

RangeSummary summarize(const std::vector<BlockReport>& blocks, double wall_seconds);

// {"blocks":[{"block":N,"status":…,"attempts":A,"seconds":S,"txs":T,"error":"…"}],"summary":{…}}
std::string report_json(const std::vector<BlockReport>& blocks, const RangeSummary& summary,
                        std::string_view mode);
// The one-screen summary printed on stdout at the end of a run.
std::string report_text(const std::vector<BlockReport>& blocks, const RangeSummary& summary);

// Escapes a string for a JSON string literal (quotes included).
std::string json_string(std::string_view s);

}  // namespace witprove::pipeline
