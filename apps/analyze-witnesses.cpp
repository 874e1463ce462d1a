// analyze-witnesses: per-block figures of a witness source (directory, file, archive or stdin).
#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <memory>

#include "pipeline/block_prover.hpp"
#include "pipeline/cli.hpp"
#include "pipeline/metrics.hpp"
#include "pipeline/report.hpp"
#include "stark/stark.hpp"
#include "witness/analysis.hpp"
#include "witness/header.hpp"
#include "witness/source.hpp"
#include "witness/stateless.hpp"

namespace po = boost::program_options;
using namespace witprove;
using witness::BlockAnalysis;

namespace {

constexpr std::string_view tool = "analyze-witnesses";

// The per-block columns shared by the table and CSV forms, and their values.
const std::vector<std::string> columns = {
    "block",         "source",         "index",          "txs",         "gas_used",       "witness_bytes",
    "compact_bytes", "trie_nodes",     "accounts",       "storage_slots", "code_bytes",   "accounts_touched",
    "storage_reads", "storage_writes", "contracts_created", "self_destructs", "withdrawals", "status"};

// --check: the outcome of processing a block, keyed by where the block came from.
struct CheckOutcome {
  witness::BlockResult result;
  // With --headers: the header file the roots were compared with, or empty when no header matches the block
  // (it is then not checked against one). Unset without --headers.
  std::optional<std::string> header;
  double seconds = 0;
  // --estimate, for a provable block: what proving it is expected to take, or why the prover would refuse it.
  std::optional<pipeline::ProvingEstimate> estimate;
  std::string estimate_error;
};
using Checks = std::map<std::pair<std::string, size_t>, CheckOutcome>;

const CheckOutcome* find_check(const Checks* checks, const BlockAnalysis& b) {
  if (!checks) return nullptr;
  auto it = checks->find({b.origin.source, b.origin.index});
  return it == checks->end() ? nullptr : &it->second;
}

// The header whose hash is the block's parent hash, when the headers hold it.
const witness::BlockHeader* find_parent_header(const std::vector<witness::BlockHeader>& headers,
                                               const witness::BlockResult& result) {
  for (const witness::BlockHeader& h : headers)
    if (h.hash == result.parent_hash && result.parent_hash != eth::H256{}) return &h;
  return nullptr;
}

// Processes a parsed block and compares it with the real header when one applies: number, parent hash, roots
// and gas; and its pre-state root with the parent's state root when the parent's header is there too.
CheckOutcome check_block(const witness::BlockParse& parsed, const std::vector<witness::BlockHeader>* headers) {
  CheckOutcome out;
  if (!parsed.witness) {
    out.result.origin = parsed.origin;
    out.result.error = parsed.error;
    return out;
  }
  pipeline::Stopwatch watch;
  out.result = witness::process_block(*parsed.witness);
  if (headers) out.header.emplace();
  std::string difference;
  if (const witness::BlockHeader* header = headers ? witness::find_header(*headers, *parsed.witness) : nullptr) {
    out.header = header->source;
    if (out.result.ok) difference = witness::compare_with_header(out.result, *header);
    if (!difference.empty() && !out.result.pre_state_matches_checkpoint)
      difference += fmt::format("; the pre-image's root {} differs from the witness's checkpoint root {} too",
                                eth::to_hex(out.result.pre_state_root),
                                eth::to_hex(parsed.witness->other_data.checkpoint_state_trie_root));
  }
  const witness::BlockHeader* parent = headers ? find_parent_header(*headers, out.result) : nullptr;
  if (parent && out.result.ok && difference.empty() && parent->state_root != out.result.pre_state_root)
    difference = fmt::format("pre-state root {} differs from the parent's state root {} ({})",
                             eth::to_hex(out.result.pre_state_root), eth::to_hex(parent->state_root), parent->source);
  if (!difference.empty()) {
    out.result.ok = false;
    out.result.error = difference;
  }
  out.seconds = watch.seconds();
  return out;
}

// The blocks of one file chain by number (N and N+1, whatever their order); blocks of different files are not
// linked: a folder may hold witnesses of several chains.
void check_links_within_files(Checks& checks) {
  std::map<std::string, std::vector<witness::BlockResult*>> by_file;
  for (auto& [where, c] : checks) by_file[where.first].push_back(&c.result);
  for (auto& [file, results] : by_file) witness::check_chain_links(results);
}

// The same block (chain id and number) twice in one source: a warning naming both places.
void warn_duplicates(const std::vector<BlockAnalysis>& blocks) {
  std::map<std::pair<uint64_t, uint64_t>, const BlockAnalysis*> first;
  for (const BlockAnalysis& b : blocks) {
    if (!b.block) continue;
    auto [it, inserted] = first.emplace(std::pair{b.stats ? b.stats->chain_id : 0, *b.block}, &b);
    if (inserted) continue;
    pipeline::log(pipeline::LogLevel::warn, "analyze",
                  fmt::format("block {} appears twice: {} block {} and {} block {}", *b.block,
                              it->second->origin.source, it->second->origin.index, b.origin.source, b.origin.index));
  }
}

bool provable(const BlockAnalysis& b, const CheckOutcome& c) { return b.ok() && c.result.ok; }
std::string reason(const BlockAnalysis& b, const CheckOutcome& c) { return c.result.ok ? b.error : c.result.error; }

struct CheckCounts {
  size_t provable = 0;
  bool headers_given = false;
  size_t with_header = 0;     // blocks whose roots were compared with a header
  size_t without_header = 0;  // with --headers, blocks no header matched
};

CheckCounts count_checks(const std::vector<BlockAnalysis>& blocks, const Checks& checks) {
  CheckCounts n;
  for (const BlockAnalysis& b : blocks) {
    const CheckOutcome* c = find_check(&checks, b);
    if (!c) continue;
    n.provable += provable(b, *c);
    if (!c->header) continue;
    n.headers_given = true;
    ++(c->header->empty() ? n.without_header : n.with_header);
  }
  return n;
}

std::vector<std::string> row(const BlockAnalysis& b) {
  std::vector<std::string> cells = {b.block ? std::to_string(*b.block) : "?", b.origin.source,
                                    std::to_string(b.origin.index)};
  auto numbers = [&](std::initializer_list<uint64_t> values) {
    for (uint64_t v : values) cells.push_back(std::to_string(v));
  };
  auto blanks = [&](size_t n) { cells.insert(cells.end(), n, ""); };
  if (!b.stats) {
    blanks(2);
    numbers({b.witness_bytes});
    blanks(columns.size() - 7);
  } else {
    const witness::BlockStats& s = *b.stats;
    numbers({s.txs, s.gas_used, b.witness_bytes, s.compact_bytes});
    if (const auto& p = s.pre_image) numbers({p->trie_nodes, p->accounts, p->storage_slots, p->code_bytes});
    else blanks(4);
    numbers({s.accounts_touched, s.storage_reads, s.storage_writes, s.contracts_created, s.self_destructs,
             s.withdrawals});
  }
  cells.push_back(b.ok() ? "ok" : "error");
  return cells;
}

std::string check_json(const CheckOutcome& c) {
  const witness::BlockResult& r = c.result;
  std::string out = fmt::format(",\"check\":{{\"status\":\"{}\"", r.ok ? "ok" : "failed");
  if (r.ok || r.pre_state_root != eth::H256{})
    out += fmt::format(",\"pre_state_root\":\"{}\",\"state_root\":\"{}\",\"receipts_root\":\"{}\","
                       "\"transactions_root\":\"{}\"",
                       eth::to_hex(r.pre_state_root), eth::to_hex(r.state_root), eth::to_hex(r.receipts_root),
                       eth::to_hex(r.transactions_root));
  out += fmt::format(",\"error\":{}}},\"header\":{},\"check_seconds\":{:.6f}", pipeline::json_string(r.error),
                     c.header && !c.header->empty() ? pipeline::json_string(*c.header) : "null", c.seconds);
  if (c.header) out += fmt::format(",\"header_status\":\"{}\"", c.header->empty() ? "no header" : "matched");
  if (!r.rules.empty()) out += fmt::format(",\"rules\":{}", pipeline::json_string(r.rules));
  if (r.ok) out += fmt::format(",\"pre_state_matches_checkpoint\":{}", r.pre_state_matches_checkpoint);
  if (const auto& e = c.estimate)
    out += fmt::format(",\"estimate\":{{\"permutations\":{},\"cells\":{},\"segments\":{},\"memory_bytes\":{},"
                       "\"seconds\":{:.1f}}}",
                       e->permutations, e->cells, e->segments, e->memory_bytes, e->seconds);
  if (!c.estimate_error.empty()) out += fmt::format(",\"estimate_error\":{}", pipeline::json_string(c.estimate_error));
  return out;
}

std::string format_json(const std::vector<BlockAnalysis>& blocks, const std::vector<uint64_t>& missing,
                        const witness::AnalysisTotals& t, const Checks* checks) {
  std::string out = "{\"blocks\":[";
  for (size_t i = 0; i < blocks.size(); ++i) {
    const BlockAnalysis& b = blocks[i];
    if (i) out += ',';
    out += fmt::format("\n{{\"block\":{},\"source\":{},\"index\":{},\"witness_bytes\":{},\"status\":\"{}\"",
                       b.block ? std::to_string(*b.block) : "null", pipeline::json_string(b.origin.source),
                       b.origin.index, b.witness_bytes, b.ok() ? "ok" : "error");
    if (!b.ok()) out += fmt::format(",\"error\":{}", pipeline::json_string(b.error));
    if (b.stats) {
      const auto& s = *b.stats;
      out += fmt::format(
          ",\"chain_id\":{},\"txs\":{},\"gas_used\":{},\"compact_bytes\":{},"
          "\"code_db_bytes\":{},\"accounts_touched\":{},\"storage_reads\":{},\"storage_writes\":{},"
          "\"contracts_created\":{},\"code_created_bytes\":{},\"self_destructs\":{},\"withdrawals\":{}",
          s.chain_id, s.txs, s.gas_used, s.compact_bytes, s.code_db_bytes, s.accounts_touched,
          s.storage_reads, s.storage_writes, s.contracts_created, s.code_created_bytes, s.self_destructs,
          s.withdrawals);
      if (const auto& p = s.pre_image)
        out += fmt::format(
            ",\"trie_nodes\":{},\"hashed_subtries\":{},\"accounts\":{},\"storage_tries\":{},\"storage_slots\":{},"
            "\"contracts\":{},\"code_bytes\":{}",
            p->trie_nodes, p->hashed_subtries, p->accounts, p->storage_tries, p->storage_slots, p->contracts,
            p->code_bytes);
    }
    if (const CheckOutcome* c = find_check(checks, b)) out += check_json(*c);
    out += '}';
  }
  out += fmt::format("],\n\"missing\":[{}],\n", fmt::join(missing, ","));
  out += fmt::format(
      "\"total\":{{\"blocks\":{},\"txs\":{},\"gas_used\":{},\"errors\":{},\"missing\":{},\"witness_bytes\":{},"
      "\"compact_bytes\":{},\"accounts_touched\":{},\"storage_reads\":{},\"storage_writes\":{},"
      "\"contracts_created\":{},\"self_destructs\":{},\"withdrawals\":{},\"trie_nodes\":{},\"accounts\":{},"
      "\"storage_slots\":{},\"code_bytes\":{}}}}}\n",
      t.blocks, t.txs, t.gas_used, t.errors, missing.size(), t.witness_bytes, t.compact_bytes, t.accounts_touched,
      t.storage_reads, t.storage_writes, t.contracts_created, t.self_destructs, t.withdrawals, t.trie_nodes, t.accounts,
      t.storage_slots, t.code_bytes);
  if (checks) {
    CheckCounts n = count_checks(blocks, *checks);
    std::string counts = fmt::format(",\"provable\":{},\"not_provable\":{}", n.provable, blocks.size() - n.provable);
    if (n.headers_given)
      counts += fmt::format(",\"checked_against_header\":{},\"no_header\":{}", n.with_header, n.without_header);
    out.insert(out.size() - 3, counts);
  }
  return out;
}

// With --check: the verdict, the header compared with (with --headers), and why a block is not provable.
void add_verdicts(pipeline::Table& table, const std::vector<BlockAnalysis>& blocks, const Checks& checks) {
  bool headers_given = count_checks(blocks, checks).headers_given;
  table.columns.insert(table.columns.end(), {"verdict", "rules", "reason"});
  if (headers_given) table.columns.insert(table.columns.end() - 1, "header");
  for (size_t i = 0; i < blocks.size(); ++i) {
    const CheckOutcome* c = find_check(&checks, blocks[i]);
    bool ok = c && provable(blocks[i], *c);
    table.rows[i].push_back(ok ? "provable" : "NOT provable");
    table.rows[i].push_back(c ? c->result.rules : "");
    if (headers_given)
      table.rows[i].push_back(c && c->header && !c->header->empty() ? *c->header : "no header");
    table.rows[i].push_back(ok ? "" : c ? reason(blocks[i], *c) : blocks[i].error);
  }
  if (std::none_of(checks.begin(), checks.end(), [](const auto& c) { return c.second.estimate || !c.second.estimate_error.empty(); }))
    return;
  // --estimate: before the reason, which stays last.
  table.columns.insert(table.columns.end() - 1, {"est_memory_mb", "est_seconds"});
  for (size_t i = 0; i < blocks.size(); ++i) {
    const CheckOutcome* c = find_check(&checks, blocks[i]);
    const bool known = c && c->estimate;
    auto& cells = table.rows[i];
    cells.insert(cells.end() - 1, {known ? std::to_string(c->estimate->memory_bytes / 1'000'000) : "-",
                                   known ? fmt::format("{:.1f}", c->estimate->seconds) : "-"});
    if (c && !c->estimate_error.empty()) cells.back() += (cells.back().empty() ? "" : "; ") + c->estimate_error;
  }
}

std::string format_text(const std::vector<BlockAnalysis>& blocks, const std::vector<uint64_t>& missing,
                        const witness::AnalysisTotals& t, const Checks* checks) {
  pipeline::Table table{columns, {}};
  for (const BlockAnalysis& b : blocks) table.rows.push_back(row(b));
  if (checks) add_verdicts(table, blocks, *checks);
  std::string out = pipeline::format_table(table);
  for (const BlockAnalysis& b : blocks)
    if (!b.ok()) out += fmt::format("error: {}\n", b.error);
  if (!missing.empty()) out += fmt::format("missing: {}\n", fmt::join(missing, " "));
  out += fmt::format("total: {} blocks, {} txs, {} gas, {} witness bytes, {} errors, {} missing\n", t.blocks, t.txs,
                     t.gas_used, t.witness_bytes, t.errors, missing.size());
  if (checks) {
    CheckCounts n = count_checks(blocks, *checks);
    out += fmt::format("check: {} provable, {} not provable", n.provable, blocks.size() - n.provable);
    if (n.headers_given)
      out += fmt::format("; {} checked against a header, {} without a header (not checked against one)",
                         n.with_header, n.without_header);
    out += '\n';
  }
  return out;
}

std::string format_csv(const std::vector<BlockAnalysis>& blocks, const Checks* checks) {
  pipeline::Table table{columns, {}};
  table.columns.push_back("error");
  for (const BlockAnalysis& b : blocks) {
    table.rows.push_back(row(b));
    table.rows.back().push_back(b.error);
  }
  if (checks) {
    table.columns.insert(table.columns.end(), {"pre_state_root", "state_root", "receipts_root", "transactions_root"});
    for (size_t i = 0; i < blocks.size(); ++i) {
      const CheckOutcome* c = find_check(checks, blocks[i]);
      if (!c || !c->result.ok) {
        table.rows[i].insert(table.rows[i].end(), 4, "");
        continue;
      }
      for (const eth::H256& root : {c->result.pre_state_root, c->result.state_root, c->result.receipts_root,
                                    c->result.transactions_root})
        table.rows[i].push_back(eth::to_hex(root));
    }
    add_verdicts(table, blocks, *checks);
  }
  return pipeline::format_csv(table);
}

}  // namespace

int main(int argc, char** argv) {
  pipeline::CommonOptions common;
  std::string format_name = "table", max_memory_text = "8G", metrics_path, parameter_set = "fast";
  bool check = false, estimate = false;
  unsigned prover_threads = 2;
  std::string headers_path, max_witness_size;
  std::vector<std::string> args;
  po::options_description options(
      "Usage: analyze-witnesses [options] SOURCE [START [END]]\n\n"
      "Reports per block: transactions, gas, witness and pre-image sizes, accounts touched, storage reads and\n"
      "writes, contracts created, self-destructs, withdrawals; then totals. SOURCE is a directory of *.json\n"
      "witnesses, a JSON file, a .json.gz/.xz/.bz2/.zst file, a tar archive (.tar, .tar.gz, .tar.xz, .tar.bz2,\n"
      ".tar.zst) or - for standard input; macOS metadata (._*, .DS_Store, __MACOSX/) and header files are skipped\n"
      "(listed with --verbose), and a file larger than --max-witness-size is an error for that file alone.\n"
      "START [END] selects blocks by number (END defaults to the last block found); numbers in the range\n"
      "without a witness are reported as missing.\n"
      "--check also processes each block statelessly (decodes the pre-image, replays the transactions' declared\n"
      "changes, computes the state, receipts and transactions roots) and says whether it is provable and why not,\n"
      "and which fork's rules applied (the chain's schedule for mainnet, Sepolia, Holesky and Hoodi; otherwise\n"
      "the fields present). Blocks N and N+1 of one file must chain (N+1 starts from N's post-state), whatever\n"
      "their order; a gap is only reported as missing. --headers compares the roots with the real headers; a\n"
      "block no header matches is reported as \"no header\" and not counted as checked against one.\n"
      "A source holding no witness is an error; the same block twice is a warning naming both places.\n"
      "Exit status: 0 all blocks read (and provable with --check), 1 some block failed or is missing, 2 usage\n"
      "error.\n\nOptions");
  pipeline::add_common_options(options, common);
  pipeline::add_max_witness_size_option(options, max_witness_size);
  options.add_options()("format", po::value(&format_name)->value_name("table|json|csv"), "output format (default table)")(
      "estimate", po::bool_switch(&estimate),
      "also estimate each provable block's proving (implies --check): Keccak-f permutations, trace cells, segments, "
      "peak memory by the engine's estimate, and seconds at a measured rate; for --prover-threads within "
      "--max-memory (scripts/slurm/submit-range.sh sizes its tasks from it)")(
      "metrics", po::value(&metrics_path)->value_name("FILE"),
      "append one JSON line per block to FILE: job analyze (check with --check), block, rows (trie nodes), seconds "
      "(of the check), peak memory")(
      "prover-threads", po::value(&prover_threads)->value_name("N"), "threads of the prover --estimate assumes (default 2)")(
      "parameter-set", po::value(&parameter_set)->value_name("NAME"),
      "STARK parameter set --estimate assumes: fast (the default) or compact")(
      "max-memory", po::value(&max_memory_text)->value_name("BYTES"),
      "memory cap of the prover --estimate assumes (K/M/G suffixes; default 8G): tables and segments shrink to fit "
      "it, as prove-witness's do")(
      "check", po::bool_switch(&check), "process every block (in parallel) and report whether it is provable")(
      "headers", po::value(&headers_path)->value_name("PATH"),
      "real headers to compare the roots with (implies --check): a header JSON file, a full-block JSON file, or a "
      "folder of them");
  if (auto stop = pipeline::parse_command_line(argc, argv, tool, options, common, &args)) return *stop;
  auto format = pipeline::parse_output_format(format_name);
  if (!format) return pipeline::usage_error(tool, fmt::format("unknown format '{}'", format_name));
  auto sources = pipeline::source_options(max_witness_size);
  if (!sources) return pipeline::usage_error(tool, "--max-witness-size must be a byte count such as 512M");
  if (args.empty() || args.size() > 3) return pipeline::usage_error(tool, "expected SOURCE [START [END]]");
  const std::string& source = args[0];
  witness::BlockRange range;
  if (args.size() >= 2) {
    auto start = pipeline::parse_uint(args[1]);
    auto end = args.size() == 3 ? pipeline::parse_uint(args[2]) : std::optional<uint64_t>(UINT64_MAX);
    if (!start || !end) return pipeline::usage_error(tool, "START and END must be block numbers");
    if (*start > *end) return pipeline::usage_error(tool, "START must not be greater than END");
    range = {*start, *end};
  }
  pipeline::ProveSettings prover;
  if (estimate) {
    check = true;
    auto bytes = pipeline::parse_byte_size(max_memory_text);
    if (!bytes || *bytes == 0) return pipeline::usage_error(tool, "--max-memory must be a byte count such as 8G");
    if (prover_threads == 0) return pipeline::usage_error(tool, "--prover-threads must be at least 1");
    const auto* set = stark::find_parameter_set(parameter_set);
    if (!set) return pipeline::usage_error(tool, fmt::format("unknown --parameter-set {}", parameter_set));
    prover.max_memory_bytes = *bytes;
    prover.parameters.stark = set->params;
  }
  std::unique_ptr<pipeline::MetricsLog> metrics;
  try {
    metrics = pipeline::open_metrics_log(metrics_path);
  } catch (const std::exception& e) {
    return pipeline::usage_error(tool, e.what());
  }
  auto threads = pipeline::limit_threads(common.threads);
  std::optional<std::vector<witness::BlockHeader>> headers;
  if (!headers_path.empty()) {
    check = true;
    try {
      headers = witness::read_headers(headers_path);
    } catch (const std::exception& e) {
      return pipeline::usage_error(tool, e.what());
    }
    if (headers->empty()) return pipeline::usage_error(tool, fmt::format("{}: no header found", headers_path));
    pipeline::log(pipeline::LogLevel::info, "analyze", fmt::format("{} headers from {}", headers->size(), headers_path));
  }

  pipeline::log(pipeline::LogLevel::info, "analyze", fmt::format("reading {}", source));
  pipeline::Stopwatch watch;
  pipeline::ProgressLine progress;
  std::vector<BlockAnalysis> blocks;
  Checks checks;
  uint64_t bytes = 0;
  using Analyzed = std::pair<BlockAnalysis, std::optional<CheckOutcome>>;
  auto work = [&](witness::BlockParse&& parsed) {
    if (!check) return Analyzed{witness::analyze_block(std::move(parsed)), std::nullopt};
    CheckOutcome outcome = check_block(parsed, headers ? &*headers : nullptr);
    if (estimate && outcome.result.ok) {
      try {
        outcome.estimate = pipeline::estimate_proving(pipeline::check_block(*parsed.witness), prover, prover_threads);
      } catch (const pipeline::BlockFailure& e) {
        outcome.estimate_error = e.what();
      }
    }
    BlockAnalysis analysis = witness::analyze_processed_block(std::move(parsed), outcome.result);
    return Analyzed{std::move(analysis), std::move(outcome)};
  };
  try {
    witness::for_each_block<Analyzed>(source, range, work, [&](Analyzed&& analyzed) {
      BlockAnalysis& b = analyzed.first;
      bytes += b.witness_bytes;
      const auto& c = analyzed.second;
      metrics->write({b.block.value_or(0), c ? "check" : "analyze", -1,
                      b.stats && b.stats->pre_image ? b.stats->pre_image->trie_nodes : 0, c ? c->seconds : 0,
                      pipeline::peak_memory_bytes(), 1},
                     b.ok() && (!c || c->result.ok) ? "ok" : "failed");
      if (analyzed.second) checks[{b.origin.source, b.origin.index}] = std::move(*analyzed.second);
      blocks.push_back(std::move(b));
      progress.update(fmt::format("analyzed {} blocks, {:.1f} MB", blocks.size(), bytes / 1e6));
    }, *sources);
  } catch (const witness::SourceError& e) {
    progress.finish();
    return pipeline::usage_error(tool, e.what());
  }
  progress.finish();
  check_links_within_files(checks);
  if (blocks.empty()) {
    pipeline::log(pipeline::LogLevel::error, "analyze", fmt::format("{}: no witness found", source));
    return pipeline::exit_failed;
  }
  warn_duplicates(blocks);

  witness::sort_by_block(blocks);
  std::vector<uint64_t> missing;
  if (args.size() >= 2) {
    std::vector<uint64_t> found;
    for (const BlockAnalysis& b : blocks)
      if (b.block) found.push_back(*b.block);
    try {
      missing = witness::missing_blocks(range, std::move(found));
    } catch (const std::length_error& e) {
      return pipeline::usage_error(tool, e.what());
    }
  }
  auto totals = witness::analysis_totals(blocks);

  const Checks* checked = check ? &checks : nullptr;
  std::string out = *format == pipeline::OutputFormat::json  ? format_json(blocks, missing, totals, checked)
                    : *format == pipeline::OutputFormat::csv ? format_csv(blocks, checked)
                                                             : format_text(blocks, missing, totals, checked);
  std::fwrite(out.data(), 1, out.size(), stdout);

  double seconds = watch.seconds();
  pipeline::log(pipeline::LogLevel::info, "analyze",
                fmt::format("{} blocks, {} txs, {} errors, {} missing; took {:.3f}s ({:.1f} MB/s)", totals.blocks,
                            totals.txs, totals.errors, missing.size(), seconds, bytes / 1e6 / std::max(seconds, 1e-9)));
  for (const BlockAnalysis& b : blocks)
    if (!b.ok()) pipeline::log(pipeline::LogLevel::error, "analyze", b.error);
  for (const BlockAnalysis& b : blocks) {
    const CheckOutcome* c = find_check(checked, b);
    if (c && c->result.ok && !c->result.pre_state_matches_checkpoint)
      pipeline::log(pipeline::LogLevel::warn, "check",
                    fmt::format("{}: block {}: the pre-image's root {} is not the witness's checkpoint root: right "
                                "only when the block is not the first of the range the witness was made for",
                                b.origin.source, c->result.block, eth::to_hex(c->result.pre_state_root)));
  }
  size_t not_provable = 0;
  for (const BlockAnalysis& b : blocks) {
    const CheckOutcome* c = find_check(checked, b);
    if (!c || provable(b, *c)) continue;
    ++not_provable;
    if (b.ok())
      pipeline::log(pipeline::LogLevel::error, "check",
                    fmt::format("{}: block {}: not provable: {}", b.origin.source, b.block ? *b.block : 0,
                                c->result.error));
  }
  return totals.errors || !missing.empty() || not_provable ? pipeline::exit_failed : pipeline::exit_ok;
}
