#include "pipeline/report.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <iterator>
#include <utility>

#include "pipeline/json_fields.hpp"

namespace witprove::pipeline {

std::string_view to_string(BlockStatus s) {
  switch (s) {
    case BlockStatus::proved: return "proved";
    case BlockStatus::failed: return "failed";
    case BlockStatus::missing: return "missing";
    case BlockStatus::skipped: return "skipped";
    case BlockStatus::interrupted: return "interrupted";
  }
  return "?";
}

namespace {
constexpr std::pair<Outcome, std::string_view> kOutcomeNames[] = {
    {Outcome::proved, "proved"},   {Outcome::unprovable, "unprovable"}, {Outcome::out_of_memory, "out-of-memory"},
    {Outcome::killed, "killed"},   {Outcome::timeout, "timeout"},       {Outcome::interrupted, "interrupted"},
    {Outcome::usage, "usage"}};
}  // namespace

std::string_view to_string(Outcome o) {
  for (const auto& [value, name] : kOutcomeNames)
    if (value == o) return name;
  return "?";
}

std::optional<Outcome> parse_outcome(std::string_view name) {
  for (const auto& [value, n] : kOutcomeNames)
    if (n == name) return value;
  return std::nullopt;
}

bool is_transient(Outcome o) { return o == Outcome::out_of_memory || o == Outcome::killed || o == Outcome::timeout; }

RangeSummary summarize(const std::vector<BlockReport>& blocks, double wall_seconds) {
  RangeSummary s;
  s.wall_seconds = wall_seconds;
  for (const auto& b : blocks) {
    switch (b.status) {
      case BlockStatus::proved: ++s.proved; s.txs_proved += b.txs; break;
      case BlockStatus::failed: ++s.failed; break;
      case BlockStatus::missing: ++s.missing; break;
      case BlockStatus::skipped: ++s.skipped; break;
      case BlockStatus::interrupted: ++s.interrupted; break;
    }
    if ((b.status == BlockStatus::failed || b.status == BlockStatus::interrupted) && b.outcome)
      ++s.failures_by_class[std::string(to_string(*b.outcome))];
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

std::string prover_result_json(const ProverResult& r) {
  return fmt::format("{{\"block\":{},\"outcome\":\"{}\",\"seconds\":{:.3f},\"proof_bytes\":{},\"error\":{}}}\n",
                     r.block ? std::to_string(*r.block) : "null", to_string(r.outcome), r.seconds, r.proof_bytes,
                     json_string(r.error));
}

std::optional<ProverResult> parse_prover_result(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  if (auto nl = text.rfind('\n'); nl != std::string_view::npos) text.remove_prefix(nl + 1);
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parser.parse(text.data(), text.size()).get(o)) return std::nullopt;
  ProverResult r;
  std::string_view outcome, error;
  if (o["outcome"].get(outcome) || o["error"].get(error) || o["seconds"].get(r.seconds) ||
      o["proof_bytes"].get(r.proof_bytes))
    return std::nullopt;
  auto parsed = parse_outcome(outcome);
  if (!parsed) return std::nullopt;
  r.outcome = *parsed;
  r.error = error;
  uint64_t block = 0;
  if (!o["block"].get(block)) r.block = block;
  return r;
}

std::string report_json(const std::vector<BlockReport>& blocks, const RangeSummary& s, std::string_view mode) {
  std::string out = "{\"blocks\":[";
  std::string breaks;
  for (size_t i = 0; i < blocks.size(); ++i) {
    const auto& b = blocks[i];
    out += fmt::format(
        "{}\n{{\"block\":{},\"status\":\"{}\",{}\"attempts\":{},\"seconds\":{:.3f},\"txs\":{},"
        "\"witness_bytes\":{},\"error\":{}{}}}",
        i ? "," : "", b.block, to_string(b.status),
        b.outcome ? fmt::format("\"outcome\":\"{}\",", to_string(*b.outcome)) : "", b.attempts, b.seconds, b.txs,
        b.witness_bytes, json_string(b.error), b.chain_break ? ",\"chain_break\":true" : "");
    if (b.chain_break) breaks += fmt::format("{}{}", breaks.empty() ? "" : ",", b.block);
  }
  std::string classes;
  for (const auto& [name, count] : s.failures_by_class)
    classes += fmt::format("{}{}:{}", classes.empty() ? "" : ",", json_string(name), count);
  out += fmt::format(
      "],\n\"summary\":{{\"mode\":\"{}\",\"blocks\":{},\"proved\":{},\"failed\":{},\"missing\":{},\"skipped\":{},"
      "\"interrupted\":{},\"failures_by_class\":{{{}}},\"txs_proved\":{},\"blocks_per_hour\":{:.2f},"
      "\"txs_per_hour\":{:.2f},\"wall_seconds\":{:.3f},\"chain_breaks\":[{}]}}}}\n",
      mode, blocks.size(), s.proved, s.failed, s.missing, s.skipped, s.interrupted, classes, s.txs_proved,
      s.blocks_per_hour, s.txs_per_hour, s.wall_seconds, breaks);
  return out;
}

std::optional<ParsedReport> parse_report_json(std::string_view text, std::string& error) {
  simdjson::dom::parser parser;
  simdjson::dom::object doc, summary;
  simdjson::dom::array blocks;
  if (auto e = parser.parse(text.data(), text.size()).get(doc)) {
    error = simdjson::error_message(e);
    return std::nullopt;
  }
  if (doc["blocks"].get(blocks) || doc["summary"].get(summary)) {
    error = "no \"blocks\" list and \"summary\" object";
    return std::nullopt;
  }
  ParsedReport out;
  std::string_view mode;
  if (!summary["mode"].get(mode)) out.mode = mode;
  read_optional(summary, "wall_seconds", out.wall_seconds);
  for (auto element : blocks) {
    simdjson::dom::object o;
    BlockReport b;
    std::string_view status, err;
    uint64_t attempts = 0;
    if (element.get(o) || o["block"].get(b.block) || o["status"].get(status)) {
      error = "a block entry without \"block\" and \"status\"";
      return std::nullopt;
    }
    constexpr BlockStatus kStatuses[] = {BlockStatus::proved, BlockStatus::failed, BlockStatus::missing,
                                         BlockStatus::skipped, BlockStatus::interrupted};
    auto known = std::find_if(std::begin(kStatuses), std::end(kStatuses), [&](BlockStatus s) { return to_string(s) == status; });
    if (known == std::end(kStatuses)) {
      error = fmt::format("block {}: unknown status \"{}\"", b.block, status);
      return std::nullopt;
    }
    b.status = *known;
    read_optional(o, "attempts", attempts);
    b.attempts = static_cast<unsigned>(attempts);
    read_optional(o, "seconds", b.seconds);
    read_optional(o, "txs", b.txs);
    read_optional(o, "witness_bytes", b.witness_bytes);
    read_optional(o, "error", err);
    b.error = err;
    read_optional(o, "chain_break", b.chain_break);
    std::string_view outcome;
    read_optional(o, "outcome", outcome);
    if (!outcome.empty()) b.outcome = parse_outcome(outcome);
    out.blocks.push_back(std::move(b));
  }
  return out;
}

std::string report_text(const std::vector<BlockReport>& blocks, const RangeSummary& s) {
  // One screen: every block of a short range, only the blocks needing attention of a long one.
  constexpr size_t kAllRowsUpTo = 20;
  const bool all_rows = blocks.size() <= kAllRowsUpTo;
  std::string out = fmt::format("{:>10}  {:<11} {:<13} {:>8} {:>9} {:>6}  {}\n", "block", "status", "outcome",
                                "attempts", "seconds", "txs", "error");
  for (const auto& b : blocks)
    if (all_rows || b.status == BlockStatus::failed || b.status == BlockStatus::missing ||
        b.status == BlockStatus::interrupted || b.chain_break)
      out += fmt::format("{:>10}  {:<11} {:<13} {:>8} {:>9.2f} {:>6}  {}{}\n", b.block, to_string(b.status),
                         b.outcome ? to_string(*b.outcome) : "-", b.attempts, b.seconds, b.txs,
                         b.chain_break ? "[chain breaks here] " : "", b.error);
  if (!all_rows) out += "(proved and skipped blocks not listed: see report.json)\n";
  out += fmt::format(
      "proved {}, failed {}, missing {}, skipped {}{} of {} blocks in {:.2f}s: {:.1f} blocks/hour, {:.1f} txs/hour\n",
      s.proved, s.failed, s.missing, s.skipped, s.interrupted ? fmt::format(", interrupted {}", s.interrupted) : "",
      blocks.size(), s.wall_seconds, s.blocks_per_hour, s.txs_per_hour);
  if (!s.failures_by_class.empty()) {
    std::string classes;
    for (const auto& [name, count] : s.failures_by_class) classes += fmt::format("{}{} {}", classes.empty() ? "" : ", ", name, count);
    out += fmt::format("failures by class: {}\n", classes);
  }
  return out;
}

}  // namespace witprove::pipeline
