#include <catch2/catch.hpp>

#include <fstream>

#include "test_support.hpp"
#include "witness/header.hpp"

using namespace witprove;
using namespace witprove::witness;

namespace {
const char* header_json = R"({"number":"0x4","hash":"0x31d9b0b498384b9df66ce8618d5e9ae16bb21f42df5d0501ca774012bf9dc1a3",
  "parentHash":"0x8ca953b07297729a687b40e05bf17c2c4db4e0f53c3683308b50467724485ae3",
  "stateRoot":"0x038e7e3c67c9166523c4b2bae746f5d7cf72480af4294bb900f252faf05d04e9",
  "receiptsRoot":"0x36832caba1c5339c7a9ff4e63a03149d5b5de5bcee60eaac6d2a21f3a7d88b00",
  "transactionsRoot":"0x72a1709a55d218d846226d7fe3db24c83ef6ce88f130625731a6a28d8ae1147d","gasUsed":"0x2625a0"})";
}

TEST_CASE("Headers are read from header arrays, block objects and folders", "[witness][header]") {
  std::vector<BlockHeader> one = parse_headers(header_json, "h.json");
  REQUIRE(one.size() == 1);
  CHECK(one[0].number == 4);
  CHECK(one[0].gas_used == 2500000);
  CHECK(eth::to_hex(one[0].state_root) == "0x038e7e3c67c9166523c4b2bae746f5d7cf72480af4294bb900f252faf05d04e9");
  CHECK(parse_headers(std::string("[") + header_json + "," + header_json + "]", "h.json").size() == 2);
  CHECK_THROWS_WITH(parse_headers("{\"number\":\"0x4\"}", "bad.json"), Catch::Contains("bad.json"));
  CHECK_THROWS_WITH(parse_headers("[1", "cut.json"), Catch::Contains("not JSON"));

  auto dir = std::filesystem::temp_directory_path() / ("witprove-headers-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "b_header.json") << "[" << header_json << "]";
  std::ofstream(dir / "w.json") << R"([{"block_trace":{}}])";
  std::vector<BlockHeader> from_dir = read_headers(dir);
  REQUIRE(from_dir.size() == 1);
  CHECK(from_dir[0].source == (dir / "b_header.json").string());
  CHECK_THROWS(read_headers(dir / "missing.json"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("Headers match blocks by hash, else by an unambiguous number, and report differing roots",
          "[witness][header]") {
  std::vector<BlockHeader> headers = parse_headers(header_json, "h.json");
  BlockWitness block;
  block.other_data.b_data.b_meta.block_number = 4;
  CHECK(find_header(headers, block) == &headers[0]);  // no hash in the witness: by number
  block.other_data.b_data.b_hashes.cur_hash[0] = 1;   // another chain's block 4
  CHECK(find_header(headers, block) == nullptr);
  block.other_data.b_data.b_hashes.cur_hash = headers[0].hash;
  CHECK(find_header(headers, block) == &headers[0]);

  BlockResult result;
  result.block = 4;
  result.parent_hash = headers[0].parent_hash;
  result.state_root = headers[0].state_root;
  result.receipts_root = headers[0].receipts_root;
  result.transactions_root = headers[0].transactions_root;
  result.gas_used = 2500000;
  CHECK(compare_with_header(result, headers[0]).empty());
  result.receipts_root[5] ^= 1;
  std::string difference = compare_with_header(result, headers[0]);
  CHECK(difference.rfind("receipts root 0x", 0) == 0);
  CHECK(difference.find("differs from the header's 0x36832caba1c5") != std::string::npos);
  CHECK(difference.find("state root") == std::string::npos);
  result.receipts_root[5] ^= 1;

  // A header found by hash must also carry the witness's number and parent hash.
  result.block = 5;
  CHECK(compare_with_header(result, headers[0]).rfind("block number 5 differs from the header's 4", 0) == 0);
  result.block = 4;
  result.parent_hash[0] ^= 1;
  CHECK(compare_with_header(result, headers[0]).rfind("parent hash 0x", 0) == 0);
}
