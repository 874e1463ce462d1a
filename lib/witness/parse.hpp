// Parsing witness JSON into the model. A file is split into its blocks first, so that a damaged
// block (bad value, truncated text) fails alone and the others still parse.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "witness/model.hpp"

namespace witprove::witness {

// Zero bytes kept after the JSON text: the parser reads up to this far past the end.
inline constexpr size_t json_padding = 64;

// One JSON file's text, followed by json_padding zero bytes.
struct JsonFile {
  std::string name;    // file or archive member name, used in messages and BlockOrigin::source
  std::string padded;  // the JSON text, then json_padding zero bytes

  std::string_view json() const { return {padded.data(), padded.size() - json_padding}; }
};

// Takes ownership of `text` and appends the padding.
JsonFile make_json_file(std::string name, std::string text);

// The outcome for one block: its witness when it parsed, otherwise the error.
struct BlockParse {
  BlockOrigin origin;
  uint64_t witness_bytes = 0;
  std::optional<uint64_t> number;       // set when parsed, and for a damaged block when it can still be read
  std::optional<BlockWitness> witness;  // set exactly when error is empty
  std::string error;                    // "FILE: block I: .json.path: what is wrong"

  bool ok() const { return error.empty(); }
};

// The text of each element of the top-level JSON array (a lone top-level object counts as one element).
// An element cut off by the end of the text is returned as is; parse_block reports it as truncated.
// Returns nullopt (with `error` set) when the text is not an array or object at all; returns the blocks with
// `error` set when other text follows them.
std::optional<std::vector<std::string_view>> split_blocks(std::string_view json, std::string& error);

// Parses one element returned by split_blocks on file.json().
BlockParse parse_block(const JsonFile& file, std::string_view element, size_t index);

// Splits and parses every block of a file (several blocks in parallel).
std::vector<BlockParse> parse_witness_file(const JsonFile& file);

// True for a block header or full-block RPC file (`eth_getBlockByNumber` shape) rather than a witness: every
// object in it has a parentHash key and no block_trace or other_data key (however the keys are escaped).
bool looks_like_block_header(std::string_view json);

}  // namespace witprove::witness
