// verify-proof: verifies block proofs, optionally against real headers and as a chain.
#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>

#include "pipeline/cli.hpp"
#include "pipeline/metrics.hpp"
#include "pipeline/report.hpp"
#include "pipeline/verify.hpp"
#include "stark/stark.hpp"
#include "witness/header.hpp"

namespace po = boost::program_options;
using namespace witprove;

namespace {

constexpr std::string_view tool = "verify-proof";

struct Checked {
  std::string name;
  std::optional<proof::ProofFile> file;  // set when the bytes are a well-formed proof
  std::string error;                     // empty when valid
};

// The paths named on the command line, folders expanded to their *.proof files.
std::vector<std::string> expand(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (const auto& a : args) {
    if (a != "-" && std::filesystem::is_directory(a)) {
      std::vector<std::string> found;
      for (const auto& e : std::filesystem::directory_iterator(a))
        if (e.is_regular_file() && e.path().extension() == ".proof") found.push_back(e.path().string());
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else {
      out.push_back(a);
    }
  }
  return out;
}

proof::ProofFile read_proof(const std::string& name) {
  if (name != "-") return proof::read_file(name);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  return proof::parse(bytes);
}

const witness::BlockHeader* header_of(const std::vector<witness::BlockHeader>& headers, uint64_t block) {
  for (const auto& h : headers)
    if (h.number == block) return &h;
  return nullptr;
}

// The header to compare a proof with: the one of its block, else the only one given.
const witness::BlockHeader* header_for(const std::vector<witness::BlockHeader>& headers, uint64_t block) {
  if (const auto* h = header_of(headers, block)) return h;
  return headers.size() == 1 ? &headers[0] : nullptr;
}

// The checks against real headers: the block's own (--header), and its parent's (--parent-header, or the
// parent's header among --header's) for the pre-state root.
std::optional<std::string> check_headers(const proof::PublicValues& v, const std::vector<witness::BlockHeader>& headers,
                                         const std::string& header_path,
                                         const std::vector<witness::BlockHeader>& parent_headers,
                                         const std::string& parent_path) {
  if (!header_path.empty()) {
    const auto* h = header_for(headers, v.block_number);
    if (!h) return fmt::format("no header for block {} in {}", v.block_number, header_path);
    if (auto bad = pipeline::check_against_header(v, *h)) return bad;
  }
  const auto* parent = v.block_number ? header_of(parent_headers, v.block_number - 1) : nullptr;
  if (!parent_path.empty() && !parent)
    return fmt::format("no header for block {} (the parent) in {}", v.block_number - 1, parent_path);
  if (!parent && v.block_number) parent = header_of(headers, v.block_number - 1);
  if (parent) return pipeline::check_against_parent_header(v, *parent);
  return std::nullopt;
}

std::string json_line(const Checked& c) {
  std::string out = fmt::format("{{\"proof\":{},\"block\":{},\"status\":\"{}\",\"error\":{}", pipeline::json_string(c.name),
                                c.file ? std::to_string(c.file->public_values.block_number) : "null",
                                c.error.empty() ? "valid" : "invalid", pipeline::json_string(c.error));
  if (c.file) {
    const stark::ParameterSet* set = stark::parameter_set_of(c.file->parameters.stark);
    out += fmt::format(",\"parameter_set\":{}", set ? pipeline::json_string(set->name) : "null");
    out += fmt::format(",\"public_values\":{}", proof::public_values_json(c.file->public_values));
  }
  return out + "}\n";
}

}  // namespace

int main(int argc, char** argv) {
  pipeline::CommonOptions common;
  std::vector<std::string> args;
  std::string header_path, parent_header_path, format_name = "table", export_path, metrics_path;
  bool chain = false;
  po::options_description options(
      "Usage: verify-proof [options] PROOF...\n\n"
      "Verifies block proofs. PROOF is a proof file (binary, or the JSON form), a folder of *.proof files, or -\n"
      "for standard input. Damage (truncation, a changed byte, a wrong version, numbers rounded by a JSON tool)\n"
      "is reported before any verification work. A valid proof shows that the block's state changes, applied\n"
      "to the pre-state root, give the post-state root, and that the transactions and receipts roots, gas used\n"
      "and transaction count are the block's (docs/statement.md); --header and --parent-header tie its roots\n"
      "to the real chain's.\n"
      "--format json prints one JSON object per proof and line:\n"
      "  {\"proof\":…,\"block\":N,\"status\":\"valid\"|\"invalid\",\"error\":…,\"parameter_set\":…,\"public_values\":{…}}\n"
      "Exit status: 0 every proof (and link) holds, 1 otherwise, 2 usage error.\n\nOptions");
  pipeline::add_common_options(options, common);
  options.add_options()                                                                                        //
      ("header", po::value(&header_path)->value_name("FILE"),
       "header JSON, full-block JSON, or a folder of them: the public values must equal the real block's (and the "
       "pre-state root the parent's state root when the parent's header is among them)")  //
      ("parent-header", po::value(&parent_header_path)->value_name("FILE"),
       "the parent block's header (or a folder of headers): its hash must be the parent hash and its state root "
       "the pre-state root")  //
      ("chain", po::bool_switch(&chain),
       "the proofs, sorted by block, must link: consecutive numbers, each pre-state root the parent's post-state "
       "root, each previous-proof digest the parent proof's digest")  //
      ("format", po::value(&format_name)->value_name("table|json"), "output format (default table)")  //
      ("metrics", po::value(&metrics_path)->value_name("FILE"),
       "append one JSON line per proof to FILE: job verify-proof, block, rows (segments), seconds, peak memory")  //
      ("export-json", po::value(&export_path)->value_name("FILE"),
       "write the (single) proof's JSON form to FILE (- for stdout); 64-bit values and hashes are strings");
  if (auto stop = pipeline::parse_command_line(argc, argv, tool, options, common, &args)) return *stop;
  auto format = pipeline::parse_output_format(format_name);
  if (!format || *format == pipeline::OutputFormat::csv)
    return pipeline::usage_error(tool, fmt::format("unknown format '{}'", format_name));
  if (args.empty()) return pipeline::usage_error(tool, "expected at least one PROOF");
  if (std::count(args.begin(), args.end(), "-") > 1) return pipeline::usage_error(tool, "- may be given once");
  auto names = expand(args);
  if (names.empty()) return pipeline::usage_error(tool, "no *.proof files in the folders given");
  if (!export_path.empty() && names.size() != 1) return pipeline::usage_error(tool, "--export-json takes exactly one proof");
  std::vector<witness::BlockHeader> headers, parent_headers;
  try {
    if (!header_path.empty()) headers = witness::read_headers(header_path);
    if (!parent_header_path.empty()) parent_headers = witness::read_headers(parent_header_path);
  } catch (const std::exception& e) {
    return pipeline::usage_error(tool, e.what());
  }
  auto threads = pipeline::limit_threads(common.threads);

  std::unique_ptr<pipeline::MetricsLog> metrics;
  try {
    metrics = pipeline::open_metrics_log(metrics_path);
  } catch (const std::exception& e) {
    return pipeline::usage_error(tool, e.what());
  }

  pipeline::Stopwatch total;
  std::vector<Checked> results(names.size());
  // Proofs are verified in parallel (each verification is single-threaded and takes tens of milliseconds).
  tbb::parallel_for(size_t{0}, names.size(), [&](size_t i) {
    auto& c = results[i];
    c.name = names[i];
    pipeline::Stopwatch watch;
    try {
      c.file = read_proof(c.name);
    } catch (const std::exception& e) {
      c.error = e.what();
      pipeline::log(pipeline::LogLevel::error, "verify", c.error);
      return;
    }
    if (!export_path.empty()) {
      auto json = proof::to_json(*c.file);
      if (export_path == "-") std::fwrite(json.data(), 1, json.size(), stdout);
      else proof::write_file_atomic(export_path, json);
    }
    const auto& v = c.file->public_values;
    if (auto err = pipeline::verify_proof(*c.file)) c.error = *err;
    else if (auto bad = check_headers(v, headers, header_path, parent_headers, parent_header_path)) c.error = *bad;
    pipeline::log(c.error.empty() ? pipeline::LogLevel::info : pipeline::LogLevel::error, "verify",
                  fmt::format("{}: block {}: {}, took {:.3f}s", c.name, v.block_number,
                              c.error.empty() ? "valid" : c.error, watch.seconds()));
    metrics->write({v.block_number, "verify-proof", -1, c.file->segments.size(), watch.seconds(),
                    pipeline::peak_memory_bytes(), 1},
                   c.error.empty() ? "valid" : "invalid");
  });

  if (chain) {
    std::vector<Checked*> order;
    for (auto& c : results)
      if (c.file) order.push_back(&c);
    std::stable_sort(order.begin(), order.end(), [](const Checked* a, const Checked* b) {
      return a->file->public_values.block_number < b->file->public_values.block_number;
    });
    for (size_t i = 1; i < order.size(); ++i) {
      if (auto bad = pipeline::check_link(*order[i - 1]->file, order[i]->file->public_values)) {
        if (order[i]->error.empty()) order[i]->error = fmt::format("chain: {}", *bad);
        pipeline::log(pipeline::LogLevel::error, "verify", fmt::format("{}: chain: {}", order[i]->name, *bad));
      }
    }
  }

  size_t invalid = 0;
  for (const auto& c : results) invalid += c.error.empty() ? 0 : 1;
  if (export_path != "-") {
    std::string out;
    if (*format == pipeline::OutputFormat::json) {
      for (const auto& c : results) out += json_line(c);
    } else {
      pipeline::Table table{{"proof", "block", "status", "error"}, {}};
      for (const auto& c : results)
        table.rows.push_back({c.name, c.file ? std::to_string(c.file->public_values.block_number) : "?",
                              c.error.empty() ? "valid" : "invalid", c.error});
      out = pipeline::format_table(table);
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
  }
  pipeline::log(invalid ? pipeline::LogLevel::error : pipeline::LogLevel::info, "verify",
                fmt::format("{} of {} proofs valid{}; took {:.3f}s", results.size() - invalid, results.size(),
                            chain ? " (chain checked)" : "", total.seconds()));
  return invalid ? pipeline::exit_failed : pipeline::exit_ok;
}
