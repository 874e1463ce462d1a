// Real block headers (RPC `eth_getBlockByNumber` shape): the ground truth a processed block is compared with.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "witness/stateless.hpp"

namespace witprove::witness {

struct BlockHeader {
  std::string source;  // the file it came from
  uint64_t number = 0;
  H256 hash{};
  H256 parent_hash{};
  H256 state_root{};
  H256 receipts_root{};
  H256 transactions_root{};
  uint64_t gas_used = 0;
};

// Headers in a JSON text: an array of headers, or one header or full-block object. Throws std::runtime_error
// naming `source` when the text is not such JSON or a field is missing or malformed.
std::vector<BlockHeader> parse_headers(std::string_view json, const std::string& source);

// Headers from a header JSON file, a full-block JSON file, or every such file in a folder (other files in
// the folder, such as witnesses, are skipped). Throws std::runtime_error when the path cannot be read or a
// file given by name holds no header.
std::vector<BlockHeader> read_headers(const std::filesystem::path& path);

// The header describing the block: the one with the block's hash; when the witness carries no hash, the only
// header with its number. nullptr when none applies.
const BlockHeader* find_header(const std::vector<BlockHeader>& headers, const BlockWitness& block);

// Empty when the result's number, parent hash, roots and gas used equal the header's; otherwise which differ,
// with both values.
std::string compare_with_header(const BlockResult& result, const BlockHeader& header);

}  // namespace witprove::witness
