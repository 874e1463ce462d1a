#include "witness/header.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <simdjson.h>

namespace witprove::witness {

namespace {

[[noreturn]] void fail(const std::string& source, std::string_view what) {
  throw std::runtime_error(fmt::format("{}: {}", source, what));
}

std::string_view string_field(simdjson::dom::object object, std::string_view key, const std::string& source) {
  std::string_view value;
  if (object[key].get_string().get(value))
    fail(source, fmt::format("header field \"{}\" missing or not a string", key));
  return value;
}

H256 hash_field(simdjson::dom::object object, std::string_view key, const std::string& source) {
  std::string_view text = string_field(object, key, source);
  auto bytes = eth::hex_to_bytes(text);
  if (!bytes || bytes->size() != 32) fail(source, fmt::format("header field \"{}\" is not a 32-byte hash", key));
  H256 h;
  std::copy(bytes->begin(), bytes->end(), h.begin());
  return h;
}

uint64_t quantity_field(simdjson::dom::object object, std::string_view key, const std::string& source) {
  auto value = eth::u256_from_hex(string_field(object, key, source));
  if (!value || !value->fits_u64()) fail(source, fmt::format("header field \"{}\" is not a 64-bit quantity", key));
  return value->limbs[0];
}

BlockHeader read_header(simdjson::dom::object object, const std::string& source) {
  BlockHeader h;
  h.source = source;
  h.number = quantity_field(object, "number", source);
  h.hash = hash_field(object, "hash", source);
  h.parent_hash = hash_field(object, "parentHash", source);
  h.state_root = hash_field(object, "stateRoot", source);
  h.receipts_root = hash_field(object, "receiptsRoot", source);
  h.transactions_root = hash_field(object, "transactionsRoot", source);
  h.gas_used = quantity_field(object, "gasUsed", source);
  return h;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot open", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

// A witness names "block_trace" near its start; reading that far is enough to skip one (they can be large).
bool starts_like_witness(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string head(4096, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  return head.find("\"block_trace\"") != std::string::npos;
}

}  // namespace

std::vector<BlockHeader> parse_headers(std::string_view json, const std::string& source) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element root;
  if (auto error = parser.parse(padded).get(root))
    fail(source, fmt::format("not JSON: {}", simdjson::error_message(error)));
  std::vector<BlockHeader> headers;
  simdjson::dom::array array;
  simdjson::dom::object object;
  if (!root.get_array().get(array)) {
    for (simdjson::dom::element element : array) {
      if (element.get_object().get(object)) fail(source, "header array holds a non-object");
      headers.push_back(read_header(object, source));
    }
  } else if (!root.get_object().get(object)) {
    headers.push_back(read_header(object, source));
  } else {
    fail(source, "expected a header array or a block object");
  }
  return headers;
}

std::vector<BlockHeader> read_headers(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    std::vector<BlockHeader> headers = parse_headers(read_file(path), path.string());
    if (headers.empty()) fail(path.string(), "no header in the file");
    return headers;
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(path, ec))
    if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
  if (ec) fail(path.string(), ec.message());
  std::sort(files.begin(), files.end());
  std::vector<BlockHeader> headers;
  for (const auto& file : files) {
    if (starts_like_witness(file)) continue;
    std::string text = read_file(file);
    if (text.find("\"stateRoot\"") == std::string::npos) continue;
    for (BlockHeader& h : parse_headers(text, file.string())) headers.push_back(std::move(h));
  }
  return headers;
}

const BlockHeader* find_header(const std::vector<BlockHeader>& headers, const BlockWitness& block) {
  const H256& hash = block.other_data.b_data.b_hashes.cur_hash;
  if (hash != H256{}) {
    for (const BlockHeader& h : headers)
      if (h.hash == hash) return &h;
    return nullptr;
  }
  const BlockHeader* found = nullptr;
  for (const BlockHeader& h : headers) {
    if (h.number != block_number(block)) continue;
    if (found) return nullptr;  // ambiguous: several chains have this number
    found = &h;
  }
  return found;
}

std::string compare_with_header(const BlockResult& result, const BlockHeader& header) {
  std::vector<std::string> differences;
  auto compare = [&](std::string_view name, const H256& computed, const H256& expected) {
    if (computed != expected)
      differences.push_back(fmt::format("{} {} differs from the header's {}", name, eth::to_hex(computed),
                                        eth::to_hex(expected)));
  };
  if (result.block != header.number)
    differences.push_back(fmt::format("block number {} differs from the header's {}", result.block, header.number));
  compare("parent hash", result.parent_hash, header.parent_hash);
  compare("state root", result.state_root, header.state_root);
  compare("receipts root", result.receipts_root, header.receipts_root);
  compare("transactions root", result.transactions_root, header.transactions_root);
  if (result.gas_used != header.gas_used)
    differences.push_back(fmt::format("gas used {} differs from the header's {}", result.gas_used, header.gas_used));
  std::string out;
  for (const std::string& d : differences) out += (out.empty() ? "" : "; ") + d;
  if (!out.empty()) out += fmt::format(" ({})", header.source);
  return out;
}

}  // namespace witprove::witness
