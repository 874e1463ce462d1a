// Where witnesses come from: one reader for every tool. A source is a directory of JSON files, one JSON
// file (one or many blocks), a compressed JSON file (.gz, .xz, .bz2, .zst), a tar archive (plain or
// compressed, streamed through libarchive without extracting), or "-" for standard input (compression and
// tar detected from the content). Folders and archives as operators make them are read as is: macOS
// metadata beside the witnesses is skipped, and no single file is read past a size cap.
#pragma once

#include <tbb/parallel_for.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "witness/parse.hpp"

namespace witprove::witness {

// Blocks first..last inclusive.
struct BlockRange {
  uint64_t first = 0;
  uint64_t last = UINT64_MAX;

  bool contains(uint64_t n) const { return first <= n && n <= last; }
};

// The source cannot be opened at all (no such path, not readable).
struct SourceError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline constexpr uint64_t default_max_file_bytes = uint64_t{1} << 30;

// How a source is read; the defaults suit every tool.
struct SourceOptions {
  // The most bytes one file may hold (an archive member, a file of a folder, a compressed file once
  // decompressed, standard input): a larger one is an error for that file alone, read no further.
  uint64_t max_file_bytes = default_max_file_bytes;
  // Told of each file left out (macOS metadata, block headers, other files), with why; called by the
  // reading thread, one file at a time.
  std::function<void(std::string_view name, std::string_view why)> on_skipped;
};

// One JSON file read from a source, or why it could not be read.
struct SourceEntry {
  JsonFile file;
  std::string error;  // set when the file (or the rest of an archive) could not be read
};

// File name order with runs of digits compared by value ("9.witness.json" before "10.witness.json"), so
// that a folder of per-block files is read in block order; ties (leading zeros) fall back to plain order.
bool natural_less(std::string_view a, std::string_view b);

// Reads a source's witness files one at a time, in order (directory entries by natural_less). Skipped: block
// header and full-block RPC files (by their content, looks_like_block_header, never by their name), files not
// named *.json (possibly compressed), and macOS metadata (`._*`, `.DS_Store`, anything under `__MACOSX/`).
class SourceReader {
 public:
  explicit SourceReader(const std::string& source, SourceOptions options = {});  // throws SourceError
  ~SourceReader();
  SourceReader(const SourceReader&) = delete;
  SourceReader& operator=(const SourceReader&) = delete;

  std::optional<SourceEntry> next();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// True for the names header and full-block RPC files usually have beside witnesses (`*_header.json`,
// `*.block.json`). Sources do not skip by name: a witness so named is still read.
bool is_header_file_name(std::string_view name);

// Parses the blocks of one source entry; a read error becomes one failed block.
std::vector<BlockParse> parse_entry(const SourceEntry& entry);

// Parses every block of `source` in the range, in parallel, and hands each one to `work` (also run in
// parallel) and its result to `deliver`, called serially in source order. Files are read one at a time and
// at most two files per thread (each within options.max_file_bytes) are in memory at once, so any source
// size runs in bounded memory.
// Blocks whose number cannot be read are always delivered (their error says why). Throws SourceError.
template <class Result>
void for_each_block(const std::string& source, const BlockRange& range,
                    const std::function<Result(BlockParse&&)>& work,
                    const std::function<void(Result&&)>& deliver, const SourceOptions& options = {}) {
  SourceReader reader(source, options);
  using Results = std::vector<Result>;
  auto in_flight = static_cast<size_t>(2 * tbb::this_task_arena::max_concurrency());
  tbb::parallel_pipeline(
      in_flight,
      tbb::make_filter<void, std::shared_ptr<SourceEntry>>(
          tbb::filter_mode::serial_in_order,
          [&](tbb::flow_control& fc) -> std::shared_ptr<SourceEntry> {
            auto entry = reader.next();
            if (!entry) {
              fc.stop();
              return nullptr;
            }
            return std::make_shared<SourceEntry>(std::move(*entry));
          }) &
          tbb::make_filter<std::shared_ptr<SourceEntry>, std::shared_ptr<Results>>(
              tbb::filter_mode::parallel,
              [&](const std::shared_ptr<SourceEntry>& entry) {
                std::vector<BlockParse> blocks = parse_entry(*entry);
                std::erase_if(blocks, [&](const BlockParse& b) { return b.number && !range.contains(*b.number); });
                auto results = std::make_shared<Results>(blocks.size());
                tbb::parallel_for(size_t{0}, blocks.size(),
                                  [&](size_t i) { (*results)[i] = work(std::move(blocks[i])); });
                return results;
              }) &
          tbb::make_filter<std::shared_ptr<Results>, void>(tbb::filter_mode::serial_in_order,
                                                           [&](const std::shared_ptr<Results>& results) {
                                                             for (Result& r : *results) deliver(std::move(r));
                                                           }));
}

// Numbers in `range` that are not in `found` (which may be unsorted and hold numbers outside the range). An
// open-ended range (last == UINT64_MAX) stops at the highest number found. Throws std::length_error rather
// than list more than max_listed_missing numbers (a mistyped range or a damaged block number).
inline constexpr uint64_t max_listed_missing = 100'000'000;
std::vector<uint64_t> missing_blocks(const BlockRange& range, std::vector<uint64_t> found);

}  // namespace witprove::witness
