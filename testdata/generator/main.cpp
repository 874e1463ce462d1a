// generate-witnesses: writes generated block witnesses in the zero-bin format, and their real headers beside them.
#include <archive.h>
#include <archive_entry.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include "generator.hpp"
#include "pipeline/cli.hpp"
#include "proof/proof_file.hpp"
#include "witness/write.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace witprove;

namespace {

constexpr std::string_view tool = "generate-witnesses";

enum class Layout { file, folder, tar_xz };

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The file name of block N when each block has a file of its own.
std::string block_file_name(const witness::BlockWitness& block) {
  return fmt::format("{}.witness.json", witness::block_number(block));
}

std::vector<std::string> one_file_per_block(const generator::Generated& g) {
  std::vector<std::string> texts(g.blocks.size());
  tbb::parallel_for(size_t{0}, g.blocks.size(),
                    [&](size_t i) { texts[i] = witness::witness_file_json(std::span(&g.blocks[i], 1)); });
  return texts;
}

// A tar.xz of `<N>.witness.json` members, written to a temporary name and renamed.
void write_tar_xz(const fs::path& path, const generator::Generated& g) {
  std::vector<std::string> texts = one_file_per_block(g);
  fs::path temporary = path;
  temporary += ".tmp";
  archive* a = archive_write_new();
  auto check = [&](int rc) {
    if (rc != ARCHIVE_OK) throw std::runtime_error(fmt::format("{}: {}", path.string(), archive_error_string(a)));
  };
  check(archive_write_add_filter_xz(a));
  check(archive_write_set_filter_option(a, "xz", "compression-level", "1"));  // fast: these are test data
  check(archive_write_set_format_pax_restricted(a));
  check(archive_write_open_filename(a, temporary.c_str()));
  for (size_t i = 0; i < texts.size(); ++i) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, block_file_name(g.blocks[i]).c_str());
    archive_entry_set_size(e, static_cast<la_int64_t>(texts[i].size()));
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_mtime(e, 0, 0);  // the same bytes for the same seed
    check(archive_write_header(a, e));
    archive_entry_free(e);
    if (archive_write_data(a, texts[i].data(), texts[i].size()) != static_cast<la_ssize_t>(texts[i].size()))
      check(ARCHIVE_FATAL);
  }
  check(archive_write_close(a));
  archive_write_free(a);
  fs::rename(temporary, path);
}

std::string broken_json(const generator::BrokenBlock& b) {
  if (b.kind == generator::Broken::none) return "null";
  return fmt::format(R"({{"kind":"{}","block":{},"where":"{}","key":"{}"}})", generator::broken_name(b.kind), b.block,
                     b.where, b.key);
}

}  // namespace

int main(int argc, char** argv) {
  pipeline::CommonOptions common;
  generator::Options options;
  std::string encoding = "combined", broken = "none", output;
  bool no_beacon_root = false;
  po::options_description described(
      "Usage: generate-witnesses [options] --output PATH\n\n"
      "Writes block witnesses of a random chain (zero-bin BlockProverInput JSON) and, beside them, the blocks'\n"
      "real headers (state, transactions and receipts roots of the full state), so that\n"
      "  analyze-witnesses --check --headers HEADERS WITNESSES\n"
      "verifies them. The same options always give the same bytes.\n\n"
      "PATH: FILE.json      all blocks in one file (one range: every block carries the first block's\n"
      "                     pre-state root as its checkpoint); headers in FILE_header.json\n"
      "      DIR/           one <N>.witness.json per block; headers in DIR/headers.json\n"
      "      FILE.tar.xz    the same files in a tar.xz; headers in FILE_header.json\n\n"
      "Options");
  pipeline::add_common_options(described, common);
  described.add_options()
      ("output,o", po::value(&output)->value_name("PATH"), "where to write (see above)")
      ("seed", po::value(&options.seed)->value_name("N")->default_value(options.seed), "random seed")
      ("blocks", po::value(&options.blocks)->value_name("N")->default_value(options.blocks), "consecutive blocks")
      ("txs", po::value(&options.txs)->value_name("N")->default_value(options.txs), "transactions per block")
      ("accounts", po::value(&options.accounts)->value_name("N")->default_value(options.accounts),
       "accounts in the state before the first block")
      ("first-block", po::value(&options.first_block)->value_name("N")->default_value(options.first_block),
       "number of the first block")
      ("withdrawals", po::value(&options.withdrawals)->value_name("N")->default_value(options.withdrawals),
       "withdrawals per block")
      ("encoding", po::value(&encoding)->value_name("KIND")->default_value(encoding),
       "trie pre-image encoding: combined (compact stream) or separate (serialized tries)")
      ("no-beacon-root", po::bool_switch(&no_beacon_root),
       "a Shanghai chain (chain id 1, no EIP-4788 beacon root write) instead of a Cancun devnet")
      ("broken", po::value(&broken)->value_name("KIND")->default_value(broken),
       "break the last block: missing-node, wrong-checkpoint, flipped-byte (combined only), changed-write");
  po::variables_map vm;
  if (!pipeline::parse_command_line(argc, argv, tool, described, {}, vm)) return pipeline::exit_usage;
  if (common.help) {
    std::cout << described << "\n";
    return pipeline::exit_ok;
  }
  auto threads = pipeline::limit_threads(common.threads);
  if (output.empty()) return pipeline::usage_error(tool, "--output PATH is required");
  if (encoding == "combined") options.encoding = generator::Encoding::combined;
  else if (encoding == "separate") options.encoding = generator::Encoding::separate;
  else return pipeline::usage_error(tool, fmt::format("unknown --encoding {}", encoding));
  auto kind = generator::broken_from_name(broken);
  if (!kind) return pipeline::usage_error(tool, fmt::format("unknown --broken {}", broken));
  options.broken = *kind;
  options.beacon_root = !no_beacon_root;
  if (options.blocks == 0) return pipeline::usage_error(tool, "--blocks must be at least 1");

  Layout layout = ends_with(output, ".tar.xz")                           ? Layout::tar_xz
                  : ends_with(output, "/") || fs::is_directory(output) ? Layout::folder
                                                                         : Layout::file;
  options.one_range = layout == Layout::file;
  fs::path out_path(output);
  fs::path headers_path;
  if (layout == Layout::folder) {
    headers_path = out_path / "headers.json";
  } else {
    std::string stem = output.substr(0, output.size() - (layout == Layout::tar_xz ? 7 : ends_with(output, ".json") ? 5 : 0));
    headers_path = stem + "_header.json";
  }

  pipeline::Stopwatch clock;
  pipeline::ProgressLine progress;
  options.progress = [&](uint64_t done) { progress.update(fmt::format("block {}/{}", done, options.blocks)); };
  try {
    generator::Generated g = generator::generate(options);
    progress.update("writing");
    uint64_t bytes = 0, txs = 0;
    for (const auto& b : g.blocks) txs += b.block_trace.txn_info.size();
    switch (layout) {
      case Layout::file: {
        std::string text = witness::witness_file_json(g.blocks);
        bytes = text.size();
        proof::write_file_atomic(out_path, text);
        break;
      }
      case Layout::folder: {
        fs::create_directories(out_path);
        std::vector<std::string> texts = one_file_per_block(g);
        for (size_t i = 0; i < texts.size(); ++i) {
          bytes += texts[i].size();
          proof::write_file_atomic(out_path / block_file_name(g.blocks[i]), texts[i]);
        }
        break;
      }
      case Layout::tar_xz:
        write_tar_xz(out_path, g);
        bytes = fs::file_size(out_path);
        break;
    }
    proof::write_file_atomic(headers_path, generator::headers_json(g.headers));
    progress.finish();
    fmt::print(R"({{"blocks":{},"txs":{},"output":"{}","bytes":{},"headers":"{}","seconds":{:.3f},"broken":{}}})"
               "\n",
               g.blocks.size(), txs, out_path.string(), bytes, headers_path.string(), clock.seconds(),
               broken_json(g.broken));
  } catch (const std::invalid_argument& e) {
    return pipeline::usage_error(tool, e.what());
  } catch (const std::exception& e) {
    pipeline::log(pipeline::LogLevel::error, tool, e.what());
    return pipeline::exit_failed;
  }
  return pipeline::exit_ok;
}
