#include "pipeline/report.hpp"

#include <fmt/format.h>

namespace witprove::pipeline {

std::string_view to_string(BlockStatus s) {
  switch (s) {
    case BlockStatus::proved: return "proved";
    case BlockStatus::failed: return "failed";
    case BlockStatus::missing: return "missing";
    case BlockStatus::skipped: return "skipped";
  }
  return "?";
}

RangeSummary summarize(const std::vector<BlockReport>& blocks, double wall_seconds) {
  RangeSummary s;
  s.wall_seconds = wall_seconds;
  for (const auto& b : blocks) {
    switch (b.status) {
      case BlockStatus::proved: ++s.proved; s.txs_proved += b.txs; break;
      case BlockStatus::failed: ++s.failed; break;
      case BlockStatus::missing: ++s.missing; break;
      case BlockStatus::skipped: ++s.skipped; break;
    }
  }
  if (wall_seconds > 0) {
    s.blocks_per_hour = static_cast<double>(s.proved) * 3600.0 / wall_seconds;
    s.txs_per_hour = static_cast<double>(s.txs_proved) * 3600.0 / wall_seconds;
  }
  return s;
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\u{:04x}", c);
        else out += c;
    }
  }
  out += '"';
  return out;
}

std::string report_json(const std::vector<BlockReport>& blocks, const RangeSummary& s, std::string_view mode) {
  std::string out = "{\"blocks\":[";
  std::string breaks;
  for (size_t i = 0; i < blocks.size(); ++i) {
    const auto& b = blocks[i];
    out += fmt::format("{}\n{{\"block\":{},\"status\":\"{}\",\"attempts\":{},\"seconds\":{:.3f},\"txs\":{},\"error\":{}{}}}",
                       i ? "," : "", b.block, to_string(b.status), b.attempts, b.seconds, b.txs, json_string(b.error),
                       b.chain_break ? ",\"chain_break\":true" : "");
    if (b.chain_break) breaks += fmt::format("{}{}", breaks.empty() ? "" : ",", b.block);
  }
  out += fmt::format(
      "],\n\"summary\":{{\"mode\":\"{}\",\"blocks\":{},\"proved\":{},\"failed\":{},\"missing\":{},\"skipped\":{},"
      "\"txs_proved\":{},\"blocks_per_hour\":{:.2f},\"txs_per_hour\":{:.2f},\"wall_seconds\":{:.3f},"
      "\"chain_breaks\":[{}]}}}}\n",
      mode, blocks.size(), s.proved, s.failed, s.missing, s.skipped, s.txs_proved, s.blocks_per_hour, s.txs_per_hour,
      s.wall_seconds, breaks);
  return out;
}

std::string report_text(const std::vector<BlockReport>& blocks, const RangeSummary& s) {
  // One screen: every block of a short range, only the blocks needing attention of a long one.
  constexpr size_t kAllRowsUpTo = 20;
  const bool all_rows = blocks.size() <= kAllRowsUpTo;
  std::string out = fmt::format("{:>10}  {:<8} {:>8} {:>9} {:>6}  {}\n", "block", "status", "attempts", "seconds",
                                "txs", "error");
  for (const auto& b : blocks)
    if (all_rows || b.status == BlockStatus::failed || b.status == BlockStatus::missing || b.chain_break)
      out += fmt::format("{:>10}  {:<8} {:>8} {:>9.2f} {:>6}  {}{}\n", b.block, to_string(b.status), b.attempts,
                       b.seconds, b.txs, b.chain_break ? "[chain breaks here] " : "", b.error);
  if (!all_rows) out += "(proved and skipped blocks not listed: see report.json)\n";
  out += fmt::format(
      "proved {}, failed {}, missing {}, skipped {} of {} blocks in {:.2f}s: {:.1f} blocks/hour, {:.1f} txs/hour\n",
      s.proved, s.failed, s.missing, s.skipped, blocks.size(), s.wall_seconds, s.blocks_per_hour, s.txs_per_hour);
  return out;
}

}  // namespace witprove::pipeline
