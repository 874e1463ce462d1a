// analyze-witnesses: per-block figures of a witness source (directory, file, archive or stdin).
#include <fmt/format.h>

#include <cstdio>
#include <iostream>

#include "pipeline/cli.hpp"
#include "pipeline/report.hpp"
#include "witness/analysis.hpp"
#include "witness/source.hpp"

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

std::string format_json(const std::vector<BlockAnalysis>& blocks, const std::vector<uint64_t>& missing,
                        const witness::AnalysisTotals& t) {
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
  return out;
}

std::string format_text(const std::vector<BlockAnalysis>& blocks, const std::vector<uint64_t>& missing,
                        const witness::AnalysisTotals& t) {
  pipeline::Table table{columns, {}};
  for (const BlockAnalysis& b : blocks) table.rows.push_back(row(b));
  std::string out = pipeline::format_table(table);
  for (const BlockAnalysis& b : blocks)
    if (!b.ok()) out += fmt::format("error: {}\n", b.error);
  if (!missing.empty()) out += fmt::format("missing: {}\n", fmt::join(missing, " "));
  out += fmt::format("total: {} blocks, {} txs, {} gas, {} witness bytes, {} errors, {} missing\n", t.blocks, t.txs,
                     t.gas_used, t.witness_bytes, t.errors, missing.size());
  return out;
}

std::string format_csv(const std::vector<BlockAnalysis>& blocks) {
  pipeline::Table table{columns, {}};
  table.columns.push_back("error");
  for (const BlockAnalysis& b : blocks) {
    table.rows.push_back(row(b));
    table.rows.back().push_back(b.error);
  }
  return pipeline::format_csv(table);
}

}  // namespace

int main(int argc, char** argv) {
  pipeline::CommonOptions common;
  std::string format_name = "table";
  std::vector<std::string> args;
  po::options_description options(
      "Usage: analyze-witnesses [options] SOURCE [START [END]]\n\n"
      "Reports per block: transactions, gas, witness and pre-image sizes, accounts touched, storage reads and\n"
      "writes, contracts created, self-destructs, withdrawals; then totals. SOURCE is a directory of *.json\n"
      "witnesses, a JSON file, a .json.gz/.xz/.bz2/.zst file, a tar archive (.tar, .tar.gz, .tar.xz, .tar.bz2,\n"
      ".tar.zst) or - for standard input. START [END] selects blocks by number (END defaults to the last block\n"
      "found); numbers in the range without a witness are reported as missing.\n"
      "Exit status: 0 all blocks read, 1 some block failed or is missing, 2 usage error.\n\nOptions");
  pipeline::add_common_options(options, common);
  options.add_options()("format", po::value(&format_name)->value_name("table|json|csv"), "output format (default table)");
  po::options_description all;
  all.add(options).add_options()("args", po::value(&args));
  po::positional_options_description positional;
  positional.add("args", -1);

  po::variables_map vm;
  if (!pipeline::parse_command_line(argc, argv, tool, all, positional, vm)) return pipeline::exit_usage;
  if (common.help) {
    std::cout << options << '\n';
    return pipeline::exit_ok;
  }
  auto format = pipeline::parse_output_format(format_name);
  if (!format) return pipeline::usage_error(tool, fmt::format("unknown format '{}'", format_name));
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
  auto threads = pipeline::limit_threads(common.threads);

  pipeline::log(pipeline::LogLevel::info, "analyze", fmt::format("reading {}", source));
  pipeline::Stopwatch watch;
  pipeline::ProgressLine progress;
  std::vector<BlockAnalysis> blocks;
  uint64_t bytes = 0;
  try {
    witness::for_each_block<BlockAnalysis>(source, range, witness::analyze_block, [&](BlockAnalysis&& b) {
      bytes += b.witness_bytes;
      blocks.push_back(std::move(b));
      progress.update(fmt::format("analyzed {} blocks, {:.1f} MB", blocks.size(), bytes / 1e6));
    });
  } catch (const witness::SourceError& e) {
    progress.finish();
    return pipeline::usage_error(tool, e.what());
  }
  progress.finish();

  witness::sort_by_block(blocks);
  std::vector<uint64_t> missing;
  if (args.size() >= 2) {
    std::vector<uint64_t> found;
    for (const BlockAnalysis& b : blocks)
      if (b.block) found.push_back(*b.block);
    missing = witness::missing_blocks(range, std::move(found));
  }
  auto totals = witness::analysis_totals(blocks);

  std::string out = *format == pipeline::OutputFormat::json  ? format_json(blocks, missing, totals)
                    : *format == pipeline::OutputFormat::csv ? format_csv(blocks)
                                                             : format_text(blocks, missing, totals);
  std::fwrite(out.data(), 1, out.size(), stdout);

  double seconds = watch.seconds();
  pipeline::log(pipeline::LogLevel::info, "analyze",
                fmt::format("{} blocks, {} txs, {} errors, {} missing; took {:.3f}s ({:.1f} MB/s)", totals.blocks,
                            totals.txs, totals.errors, missing.size(), seconds, bytes / 1e6 / std::max(seconds, 1e-9)));
  for (const BlockAnalysis& b : blocks)
    if (!b.ok()) pipeline::log(pipeline::LogLevel::error, "analyze", b.error);
  return totals.errors || !missing.empty() ? pipeline::exit_failed : pipeline::exit_ok;
}
