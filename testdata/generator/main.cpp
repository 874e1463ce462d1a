// generate-witnesses: writes generated block witnesses in the zero-bin format, and their real headers beside them.
#include <archive.h>
#include <archive_entry.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

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

// Writes blocks as they are made: all into one JSON array, one file each into a folder, or one member each
// into a tar.xz. Files and the archive get a temporary name until complete.
class BlockWriter {
 public:
  BlockWriter(Layout layout, fs::path path) : layout_(layout), path_(std::move(path)) {
    temporary_ = path_;
    temporary_ += ".tmp";
    if (layout_ == Layout::folder) {
      fs::create_directories(path_);
    } else if (layout_ == Layout::file) {
      file_.open(temporary_, std::ios::binary | std::ios::trunc);
      if (!file_) throw std::runtime_error(fmt::format("{}: cannot write", temporary_.string()));
      file_ << '[';
    } else {
      archive_ = archive_write_new();
      check(archive_write_add_filter_xz(archive_));
      check(archive_write_set_filter_option(archive_, "xz", "compression-level", "1"));  // fast: test data
      check(archive_write_set_format_pax_restricted(archive_));
      check(archive_write_open_filename(archive_, temporary_.c_str()));
    }
  }
  ~BlockWriter() {
    if (archive_) archive_write_free(archive_);
    std::error_code ignored;
    if (!finished_ && layout_ != Layout::folder) fs::remove(temporary_, ignored);  // no half output left behind
  }
  BlockWriter(const BlockWriter&) = delete;
  BlockWriter& operator=(const BlockWriter&) = delete;

  void add(const witness::BlockWitness& block) {
    text_.clear();
    if (layout_ == Layout::file) {
      if (blocks_) text_ += ',';
      witness::append_block_json(text_, block);
      file_ << text_;
    } else {
      text_ = witness::witness_file_json(std::span(&block, 1));
      if (layout_ == Layout::folder) proof::write_file_atomic(path_ / block_file_name(block), text_);
      else add_member(block_file_name(block), text_);
    }
    bytes_ += text_.size();
    ++blocks_;
  }

  // Completes the output; returns the bytes of JSON written.
  uint64_t finish() {
    if (layout_ == Layout::file) {
      file_ << "]\n";
      file_.close();
      if (!file_) throw std::runtime_error(fmt::format("{}: write failed", temporary_.string()));
      fs::rename(temporary_, path_);
    } else if (layout_ == Layout::tar_xz) {
      check(archive_write_close(archive_));
      fs::rename(temporary_, path_);
    }
    finished_ = true;
    return bytes_;
  }

 private:
  void check(int rc) {
    if (rc != ARCHIVE_OK) throw std::runtime_error(fmt::format("{}: {}", path_.string(), archive_error_string(archive_)));
  }
  void add_member(const std::string& name, const std::string& text) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_size(e, static_cast<la_int64_t>(text.size()));
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_mtime(e, 0, 0);  // the same bytes for the same seed
    int rc = archive_write_header(archive_, e);
    archive_entry_free(e);
    check(rc);
    if (archive_write_data(archive_, text.data(), text.size()) != static_cast<la_ssize_t>(text.size())) check(ARCHIVE_FATAL);
  }

  Layout layout_;
  fs::path path_, temporary_;
  std::ofstream file_;
  archive* archive_ = nullptr;
  std::string text_;
  uint64_t bytes_ = 0, blocks_ = 0;
  bool finished_ = false;
};

// Where the headers go: DIR/headers.json, or FILE_header.json beside FILE.json or FILE.tar.xz.
fs::path headers_path_for(Layout layout, std::string output) {
  if (layout == Layout::folder) return fs::path(output) / "headers.json";
  for (std::string_view extension : {".tar.xz", ".json"})
    if (ends_with(output, extension)) {
      output.resize(output.size() - extension.size());
      break;
    }
  return output + "_header.json";
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
  std::string fork = "cancun";
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
      ("fork", po::value(&fork)->value_name("FORK")->default_value(fork),
       "shanghai (mainnet before Cancun), cancun (a devnet with Cancun fields and no known schedule) or prague "
       "(mainnet after Prague: EIP-4788 and EIP-2935 writes, empty EIP-7002/7251 queues)")
      ("broken", po::value(&broken)->value_name("KIND")->default_value(broken),
       "break the last block: missing-node, wrong-checkpoint, flipped-byte (combined only), changed-write");
  if (auto stop = pipeline::parse_command_line(argc, argv, tool, described, common)) return *stop;
  auto threads = pipeline::limit_threads(common.threads);
  if (output.empty()) return pipeline::usage_error(tool, "--output PATH is required");
  if (encoding == "combined") options.encoding = generator::Encoding::combined;
  else if (encoding == "separate") options.encoding = generator::Encoding::separate;
  else return pipeline::usage_error(tool, fmt::format("unknown --encoding {}", encoding));
  auto kind = generator::broken_from_name(broken);
  if (!kind) return pipeline::usage_error(tool, fmt::format("unknown --broken {}", broken));
  options.broken = *kind;
  if (fork == "shanghai") options.fork = eth::Fork::shanghai;
  else if (fork == "cancun") options.fork = eth::Fork::cancun;
  else if (fork == "prague") options.fork = eth::Fork::prague;
  else return pipeline::usage_error(tool, fmt::format("unknown --fork {}", fork));
  if (options.blocks == 0) return pipeline::usage_error(tool, "--blocks must be at least 1");

  Layout layout = ends_with(output, ".tar.xz")                           ? Layout::tar_xz
                  : ends_with(output, "/") || fs::is_directory(output) ? Layout::folder
                                                                         : Layout::file;
  options.one_range = layout == Layout::file;
  fs::path out_path(output);
  fs::path headers_path = headers_path_for(layout, output);

  pipeline::Stopwatch clock;
  pipeline::ProgressLine progress;
  try {
    BlockWriter writer(layout, out_path);
    std::vector<generator::Header> headers;
    uint64_t txs = 0;
    generator::BrokenBlock broken_block =
        generator::generate(options, [&](witness::BlockWitness&& block, generator::Header&& header) {
          txs += block.block_trace.txn_info.size();
          writer.add(block);
          headers.push_back(std::move(header));
          progress.update(fmt::format("block {}/{}", headers.size(), options.blocks));
        });
    uint64_t bytes = writer.finish();
    proof::write_file_atomic(headers_path, generator::headers_json(headers));
    progress.finish();
    fmt::print(R"({{"blocks":{},"txs":{},"output":"{}","bytes":{},"headers":"{}","seconds":{:.3f},"broken":{}}})"
               "\n",
               headers.size(), txs, out_path.string(), bytes, headers_path.string(), clock.seconds(),
               broken_json(broken_block));
  } catch (const std::invalid_argument& e) {
    return pipeline::usage_error(tool, e.what());
  } catch (const std::exception& e) {
    pipeline::log(pipeline::LogLevel::error, tool, e.what());
    return pipeline::exit_failed;
  }
  return pipeline::exit_ok;
}
