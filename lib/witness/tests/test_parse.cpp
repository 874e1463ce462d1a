#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <random>

#include "test_support.hpp"
#include "witness/parse.hpp"

using namespace witprove;
using namespace witprove::witness;

namespace {

std::string testdata(const std::string& name) { return test::read_text(test::testdata_dir() / "witnesses" / name); }

std::vector<BlockParse> parse_text(std::string text, std::string name = "test.json") {
  return parse_witness_file(make_json_file(std::move(name), std::move(text)));
}

// Replaces the one occurrence of `from` (which must exist) with `to`.
std::string replace_once(std::string text, std::string_view from, std::string_view to) {
  size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  REQUIRE(text.find(from, at + 1) == std::string::npos);
  return text.replace(at, from.size(), to);
}

H256 h256(std::string_view hex) { return *eth::hex_to_fixed<32>(hex); }
Address address_of(char digit) { return *eth::hex_to_fixed<20>(std::string(40, digit)); }

// The one error of parsing `text`, which must be a single failed block.
std::string single_error(std::string text) {
  auto blocks = parse_text(std::move(text));
  REQUIRE(blocks.size() == 1);
  CHECK_FALSE(blocks[0].ok());
  CHECK_FALSE(blocks[0].witness);
  return blocks[0].error;
}

}  // namespace

TEST_CASE("combined witness: every field parses exactly", "[witness][parse]") {
  std::string text = testdata("100.witness.json");
  auto blocks = parse_text(text, "100.witness.json");
  REQUIRE(blocks.size() == 1);
  const BlockParse& parsed = blocks[0];
  REQUIRE(parsed.ok());
  REQUIRE(parsed.witness);
  const BlockWitness& w = *parsed.witness;
  CHECK(parsed.number == 100u);
  CHECK(block_number(w) == 100u);
  CHECK(w.origin.source == "100.witness.json");
  CHECK(w.origin.index == 0);
  CHECK(w.witness_bytes == parsed.witness_bytes);
  CHECK(parsed.witness_bytes > 20000);
  CHECK(parsed.witness_bytes < text.size());

  const auto* combined = std::get_if<CombinedPreImage>(&w.block_trace.trie_pre_images);
  REQUIRE(combined);
  Bytes expected_compact = {0x01, 0x03};
  auto root = to_be_bytes32(U256(0x100100));
  expected_compact.insert(expected_compact.end(), root.begin(), root.end());
  CHECK(combined->compact == expected_compact);
  REQUIRE(w.block_trace.code_db.size() == 1);
  CHECK(w.block_trace.code_db[0] == Bytes{0x60, 0x01, 0x60, 0x00, 0x55});

  const auto& txns = w.block_trace.txn_info;
  REQUIRE(txns.size() == 2);
  // Traces keep file order.
  REQUIRE(txns[0].traces.size() == 3);
  CHECK(txns[0].traces[0].address == address_of('1'));
  CHECK(txns[0].traces[0].balance == *eth::u256_from_hex("0xde0b6b3a7640000"));
  CHECK(txns[0].traces[0].nonce == U256(1));
  CHECK(txns[0].traces[1].address == address_of('2'));
  CHECK(txns[0].traces[1].balance == U256(1000));
  CHECK_FALSE(txns[0].traces[1].nonce);
  const AccountTrace& contract = txns[0].traces[2];
  CHECK(contract.address == address_of('3'));
  CHECK_FALSE(contract.balance);
  CHECK(contract.storage_read == std::vector<H256>{to_be_bytes32(U256(1)), to_be_bytes32(U256(2))});
  REQUIRE(contract.storage_written.size() == 2);
  CHECK(contract.storage_written[0] == std::pair{to_be_bytes32(U256(1)), U256(42)});
  CHECK(contract.storage_written[1] == std::pair{to_be_bytes32(U256(3)), U256(0)});
  CHECK(contract.code_read == to_be_bytes32(U256(0xc0de)));
  CHECK_FALSE(contract.code_write);
  CHECK_FALSE(contract.self_destructed);
  CHECK(txns[0].meta.gas_used == 21000);
  CHECK(txns[0].meta.byte_code.size() > 10);
  REQUIRE(txns[0].meta.new_txn_trie_node_byte);
  CHECK(*txns[0].meta.new_txn_trie_node_byte == txns[0].meta.byte_code);
  CHECK(txns[0].meta.new_receipt_trie_node_byte.size() > 256);

  REQUIRE(txns[1].traces.size() == 3);
  CHECK(txns[1].traces[1].code_write == Bytes{0x60, 0x00, 0x60, 0x00, 0x55});
  CHECK_FALSE(txns[1].traces[1].code_read);
  CHECK(txns[1].traces[2].self_destructed);
  CHECK(txns[1].traces[2].balance == U256(0));
  CHECK_FALSE(txns[1].meta.new_txn_trie_node_byte);
  CHECK(txns[1].meta.gas_used == 53000);

  const OtherBlockData& o = w.other_data;
  const BlockMetadata& m = o.b_data.b_meta;
  CHECK(m.block_beneficiary == address_of('7'));
  CHECK(m.block_timestamp == U256(0x66b12fe0));
  CHECK(m.block_number == U256(100));
  CHECK(m.block_difficulty == U256(0));
  CHECK(m.block_random == to_be_bytes32(U256(0xabcdef)));
  CHECK(m.block_gaslimit == U256(0x1c9c380));
  CHECK(m.block_chain_id == U256(1));
  CHECK(m.block_base_fee == U256(7));
  CHECK(m.block_gas_used == U256(74000));
  CHECK(m.block_blob_gas_used == U256(0x20000));
  CHECK(m.block_excess_blob_gas == U256(0x40000));
  CHECK(m.parent_beacon_block_root == std::optional(to_be_bytes32(U256(0xbeac0))));
  for (size_t i = 0; i < 7; ++i) CHECK(m.block_bloom[i].is_zero());
  CHECK(m.block_bloom[7].bit_length() == 256);  // a full 256-bit word, exact
  REQUIRE(o.b_data.b_hashes.prev_hashes.size() == 256);
  CHECK(o.b_data.b_hashes.prev_hashes[0] == H256{});
  CHECK(o.b_data.b_hashes.prev_hashes[255] == to_be_bytes32(U256(0x1000 + 99)));
  CHECK(o.b_data.b_hashes.cur_hash == to_be_bytes32(U256(0x1000 + 100)));
  REQUIRE(o.b_data.withdrawals.size() == 2);
  CHECK(o.b_data.withdrawals[0].address == address_of('6'));
  CHECK(o.b_data.withdrawals[0].amount == U256(1000000000));
  CHECK(o.b_data.withdrawals[1].amount == U256(1));
  CHECK(o.checkpoint_state_trie_root == to_be_bytes32(U256(0x100100)));
  // 64-bit JSON numbers read exactly (2^64-1 and 2^53+1 do not survive a double).
  REQUIRE(o.checkpoint_consolidated_hash);
  CHECK(*o.checkpoint_consolidated_hash == std::array<uint64_t, 4>{18446744073709551615ull, 9007199254740993ull, 1, 0});
  CHECK(o.burn_addr == address_of('7'));
  REQUIRE(o.ger_data);
  CHECK(o.ger_data->global_exit_root == to_be_bytes32(U256(0x6e4)));
  CHECK(o.ger_data->l1_block_hash == to_be_bytes32(U256(0x11b)));
}

TEST_CASE("separate witness: direct tries parse into the node arena", "[witness][parse]") {
  auto blocks = parse_text(testdata("200.separate.witness.json"));
  REQUIRE(blocks.size() == 1);
  REQUIRE(blocks[0].ok());
  const BlockWitness& w = *blocks[0].witness;
  CHECK(w.block_trace.code_db.empty());  // null
  CHECK(w.other_data.b_data.b_meta.block_chain_id == U256(0x301824));
  CHECK_FALSE(w.other_data.checkpoint_consolidated_hash);
  CHECK_FALSE(w.other_data.burn_addr);
  CHECK_FALSE(w.other_data.ger_data);

  const auto* separate = std::get_if<SeparatePreImages>(&w.block_trace.trie_pre_images);
  REQUIRE(separate);
  const auto& nodes = separate->state.nodes;
  REQUIRE(nodes.size() == 18);  // branch, 16 children, the extension's hashed child
  const TrieNode& root = nodes[0];
  REQUIRE(root.kind == TrieNode::Kind::branch);
  CHECK(root.value.empty());
  const TrieNode& leaf = nodes[root.children[0]];
  REQUIRE(leaf.kind == TrieNode::Kind::leaf);
  CHECK(leaf.nibbles == std::vector<uint8_t>(63, 0xa));
  REQUIRE(leaf.value.size() == 2 + 76);
  CHECK(leaf.value[0] == 0xf8);  // an RLP list of 76 bytes: the account
  CHECK(leaf.value[1] == 76);
  CHECK(nodes[root.children[1]].kind == TrieNode::Kind::empty);
  const TrieNode& hashed = nodes[root.children[5]];
  CHECK(hashed.kind == TrieNode::Kind::hash);
  CHECK(hashed.hash == to_be_bytes32(U256(0x5555)));
  const TrieNode& extension = nodes[root.children[9]];
  REQUIRE(extension.kind == TrieNode::Kind::extension);
  CHECK(extension.nibbles == std::vector<uint8_t>{1, 2});
  CHECK(nodes[extension.child].kind == TrieNode::Kind::hash);
  CHECK(nodes[extension.child].hash == to_be_bytes32(U256(0x9999)));

  REQUIRE(separate->storage.size() == 2);
  CHECK(separate->storage[0].first == h256("0x0" + std::string(63, 'a')));
  const auto& storage_leaf = separate->storage[0].second.nodes.at(0);
  REQUIRE(storage_leaf.kind == TrieNode::Kind::leaf);
  CHECK(storage_leaf.nibbles.size() == 64);
  CHECK(storage_leaf.nibbles[0] == 2);
  CHECK(storage_leaf.nibbles[1] == 9);
  CHECK(storage_leaf.value == Bytes{0x2a});
  CHECK(separate->storage[1].first == to_be_bytes32(U256(0x77)));
  REQUIRE(separate->storage[1].second.nodes.size() == 1);
  CHECK(separate->storage[1].second.nodes[0].kind == TrieNode::Kind::empty);
}

TEST_CASE("a file with several blocks keeps their order, indices and sizes", "[witness][parse]") {
  std::string text = testdata("300-302.witness.json");
  auto blocks = parse_text(text, "300-302.witness.json");
  REQUIRE(blocks.size() == 3);
  uint64_t bytes = 0;
  for (size_t i = 0; i < 3; ++i) {
    REQUIRE(blocks[i].ok());
    CHECK(blocks[i].number == 300 + i);
    CHECK(blocks[i].origin.index == i);
    CHECK(blocks[i].witness->block_trace.txn_info.size() == i);
    bytes += blocks[i].witness_bytes;
  }
  CHECK(bytes < text.size());
  CHECK(bytes > text.size() - 64);  // only the brackets, commas and whitespace between blocks are left out
}

namespace {

// A random JSON value: nested objects and arrays, long hex strings, strings holding brackets, commas, quotes
// and backslashes, and numbers, so that the 64-byte scan meets every case at every offset.
std::string random_value(std::mt19937_64& rng, int depth) {
  switch (depth > 4 ? 2 + rng() % 2 : rng() % 4) {
    case 0: {
      std::string out = "{";
      for (size_t n = rng() % 5, i = 0; i < n; ++i)
        out += fmt::format("{}\"k{}\" : {}", i ? ", " : "", i, random_value(rng, depth + 1));
      return out + "}";
    }
    case 1: {
      std::string out = "[";
      for (size_t n = rng() % 5, i = 0; i < n; ++i) {
        if (i) out += ',';
        out += random_value(rng, depth + 1);
      }
      return out + "]";
    }
    case 2: {
      static constexpr std::string_view pieces[] = {"0x", "abcdef0123456789", "]", "}", ",", "[", "{", "\\\"",
                                                    "\\\\", " "};
      std::string out = "\"";
      for (size_t n = rng() % 40, i = 0; i < n; ++i) out += pieces[rng() % (i % 3 ? 2 : std::size(pieces))];
      return out + "\"";
    }
    default:
      return std::to_string(rng() % 100000);
  }
}

}  // namespace

TEST_CASE("split_blocks finds every element of long random arrays", "[witness][parse]") {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 300; ++round) {
    std::vector<std::string> elements;
    std::string text(rng() % 70, ' ');
    text += '[';
    for (size_t n = rng() % 6, i = 0; i < n; ++i) {
      elements.push_back(random_value(rng, 0));
      if (i) text.append(1, ',').append(rng() % 3, '\n');
      text += elements.back();
    }
    text.append(rng() % 3, ' ').append(1, ']');
    std::string error;
    auto split = split_blocks(text, error);
    INFO(text);
    REQUIRE(split);
    REQUIRE(split->size() == elements.size());
    for (size_t i = 0; i < elements.size(); ++i) CHECK((*split)[i] == elements[i]);
  }
}

TEST_CASE("split_blocks handles arrays, a lone object, concatenated arrays and truncation", "[witness][parse]") {
  std::string error;
  auto three = split_blocks(R"( [ {"a":"]"} , {"b":[1,{"c":"\"}"}]}, {} ] )", error);
  REQUIRE(three);
  REQUIRE(three->size() == 3);
  CHECK((*three)[0] == R"({"a":"]"})");
  CHECK((*three)[1] == R"({"b":[1,{"c":"\"}"}]})");
  CHECK((*three)[2] == "{}");

  auto lone = split_blocks(R"({"x":1})", error);
  REQUIRE(lone);
  CHECK(lone->size() == 1);

  auto concatenated = split_blocks("[{}]\n[{},{}]", error);
  REQUIRE(concatenated);
  CHECK(concatenated->size() == 3);

  auto empty_array = split_blocks(" [ ] ", error);
  REQUIRE(empty_array);
  CHECK(empty_array->empty());

  auto cut = split_blocks(R"([{"a":1},{"b":[2,)", error);
  REQUIRE(cut);
  REQUIRE(cut->size() == 2);
  CHECK((*cut)[1] == R"({"b":[2,)");

  // Cut right after a complete block: the blocks after it are lost, which shows as an empty element.
  auto cut_after = split_blocks(R"([{"a":1},)", error);
  REQUIRE(cut_after);
  REQUIRE(cut_after->size() == 2);
  CHECK((*cut_after)[1].empty());

  // Text after the blocks: the blocks are returned, and the rest is an error of its own.
  error.clear();
  auto trailing = split_blocks(R"([{"a":1}] garbage)", error);
  REQUIRE(trailing);
  CHECK(trailing->size() == 1);
  CHECK(error == "text after the end of the JSON array at byte 10");
  error.clear();
  auto two_objects = split_blocks(R"({"a":1},{"b":2})", error);
  REQUIRE(two_objects);
  CHECK(error == "text after the end of the JSON object at byte 8");
  error.clear();

  CHECK_FALSE(split_blocks("   ", error));
  CHECK(error == "empty file");
  CHECK_FALSE(split_blocks("hello", error));
  CHECK(error.find("not a witness") != std::string::npos);
}

TEST_CASE("malformed values name the file, block and JSON path", "[witness][parse]") {
  const std::string good = testdata("100.witness.json");
  const std::string contract = "[\"0x" + std::string(40, '3') + "\"]";
  struct Case {
    std::string from, to, expected;
  };
  const std::vector<Case> cases = {
      {"\"gas_used\": 21000", "\"gas_used\": \"21000\"",
       "test.json: block 0: .block_trace.txn_info[0].meta.gas_used: expected an unsigned integer"},
      {"\"gas_used\": 21000", "\"gas_used\": -5", ".block_trace.txn_info[0].meta.gas_used: expected an unsigned integer"},
      {"\"gas_used\": 21000", "\"gas_used\": 1.5", ".block_trace.txn_info[0].meta.gas_used: expected an unsigned integer"},
      {"\"balance\": \"0x3e8\"", "\"balance\": \"0x3g8\"",
       ".block_trace.txn_info[0].traces[\"0x" + std::string(40, '2') +
           "\"].balance: expected a hex quantity of at most 256 bits, found \"0x3g8\""},
      {"\"block_excess_blob_gas\": \"0x40000\"", "\"block_excess_blob_gas\": \"0x1" + std::string(75, '0') + "\"",
       ".other_data.b_data.b_meta.block_excess_blob_gas: expected a hex quantity of at most 256 bits"},
      {"\"0x2a\"", "42", ".block_trace.txn_info[0].traces" + contract + ".storage_written[\"0x" +
                             std::string(63, '0') + "1\"]: expected a hex quantity string"},
      {"\"code_db\": [\n    \"0x6001600055\"\n   ]", "\"code_db\": \"0x6001600055\"", ".block_trace.code_db: expected an array"},
      // simdjson's DOM rejects a number above 2^64 - 1 while building the tape, before any path is known.
      {"18446744073709551615", "18446744073709551616", "block 0: invalid JSON: Problem while parsing a number"},
      // Exact values: a hash is exactly 32 bytes (never zero-padded), byte strings have two digits per byte,
      // and a 64-bit field does not take a wider quantity (never a wrap).
      {"\"cur_hash\": \"0x0000000000000000000000000000000000000000000000000000000000001064\"",
       "\"cur_hash\": \"0x00001064\"",
       ".other_data.b_data.b_hashes.cur_hash: expected exactly 32 bytes (64 hex digits), found \"0x00001064\""},
      {"\"parent_beacon_block_root\": \"0x00000000000000000000000000000000000000000000000000000000000beac0\"",
       "\"parent_beacon_block_root\": \"0x\"",
       ".other_data.b_data.b_meta.parent_beacon_block_root: expected exactly 32 bytes (64 hex digits), found \"0x\""},
      {"\"parent_beacon_block_root\": \"0x00000000000000000000000000000000000000000000000000000000000beac0\"",
       "\"parent_beacon_block_root\": \"0x0000000000000000000000000000000000000000000000000000000000beac0\"",
       ".other_data.b_data.b_meta.parent_beacon_block_root: expected exactly 32 bytes"},
      {"\"0x6666666666666666666666666666666666666666\",\n      \"0x3b9aca00\"",
       "\"0x6666666666666666666666666666666666666666\",\n      \"0x10000000000000000\"",
       ".other_data.b_data.withdrawals[0][1]: 0x10000000000000000 does not fit the field's 64 bits"},
      {"\"nonce\": \"0x1\",", "\"nonce\": \"0x10000000000000000\",", "].nonce: 0x10000000000000000 does not fit"},
      {"\"block_timestamp\": \"0x66b12fe0\"", "\"block_timestamp\": \"0x166b12fe066b12fe0\"",
       ".other_data.b_data.b_meta.block_timestamp: 0x166b12fe066b12fe0 does not fit the field's 64 bits"},
      // A field or map key given twice is refused, never merged; every hex value has its 0x prefix.
      {"\"withdrawals\": [", "\"withdrawals\": [], \"withdrawals\": [",
       ".other_data.b_data.withdrawals: field given twice"},
      {"\"0x2222222222222222222222222222222222222222\": {\n       \"balance\": \"0x3e8\"",
       "\"0x1111111111111111111111111111111111111111\": {\n       \"balance\": \"0x3e8\"",
       ".block_trace.txn_info[0].traces: address 0x1111111111111111111111111111111111111111 given twice"},
      {"\"0x0000000000000000000000000000000000000000000000000000000000000003\": \"0x0\"",
       "\"0x0000000000000000000000000000000000000000000000000000000000000001\": \"0x0\"",
       ".storage_written: slot 0x0000000000000000000000000000000000000000000000000000000000000001 given twice"},
      {"\"balance\": \"0x3e8\"", "\"balance\": \"3e8\"", "].balance: expected 0x-prefixed hex, found \"3e8\""},
      {"\"compact\": \"0x0103", "\"compact\": \"0x103",
       ".block_trace.trie_pre_images.combined.compact: odd number of hex digits in \"0x103"},
      {"\"self_destructed\": true", "\"self_destructed\": 1",
       ".block_trace.txn_info[1].traces[\"0x" + std::string(40, '5') + "\"].self_destructed: expected true or false"},
      {"\"code_usage\": {\n        \"write\"", "\"code_usage\": {\n        \"copy\"",
       ".block_trace.txn_info[1].traces[\"0x" + std::string(40, '4') +
           "\"].code_usage: expected exactly one of \"read\" and \"write\""},
      {"\"combined\"", "\"packed\"", ".block_trace.trie_pre_images: expected \"combined\" or \"separate\""},
      {"\"compact\": \"0x0103", "\"compact\": \"0x01x3", ".block_trace.trie_pre_images.combined.compact: expected hex bytes"},
      {"\"block_bloom\": [\n      \"0x0\",", "\"block_bloom\": [",
       ".other_data.b_data.b_meta.block_bloom: expected 8 words"},
      {"\"gas_used\": 21000", "\"gas_used\": 21000,,", "invalid JSON"},
      {"\"ger_data\"", "\"ger_data\": 5, \"x\"", ".other_data.ger_data: expected an array"},
  };
  for (const Case& c : cases) {
    INFO("replacing " << c.from << " with " << c.to);
    std::string error = single_error(replace_once(good, c.from, c.to));
    CHECK_THAT(error, Catch::Contains(c.expected));
    CHECK(error.rfind("test.json: block 0: ", 0) == 0);
  }
}

TEST_CASE("missing required fields are named", "[witness][parse]") {
  const std::string good = testdata("100.witness.json");
  auto without = [&](std::string_view key) {
    size_t at = good.find(fmt::format("\"{}\"", key));
    REQUIRE(at != std::string::npos);
    // Rename the key so that the field is absent and the JSON stays valid.
    std::string text = good;
    text.replace(at + 1, key.size(), "unknown_" + std::string(key));
    return single_error(text);
  };
  CHECK_THAT(without("checkpoint_state_trie_root"), Catch::Contains(".other_data.checkpoint_state_trie_root: missing field"));
  CHECK_THAT(without("block_trace"), Catch::Contains("block 0: .block_trace: missing field"));
  CHECK_THAT(without("new_receipt_trie_node_byte"),
             Catch::Contains(".block_trace.txn_info[0].meta.new_receipt_trie_node_byte: missing field"));
  CHECK_THAT(without("withdrawals"), Catch::Contains(".other_data.b_data.withdrawals: missing field"));
  // Optional fields may be absent.
  auto blocks = parse_text(replace_once(good, "\"burn_addr\"", "\"unknown_burn_addr\""));
  CHECK(blocks.at(0).ok());
  // The Cancun fields are optional when parsing (a witness from before Cancun has none); processing decides by
  // the chain's fork schedule whether they must be there.
  std::string pre_cancun = good;
  for (std::string_view key : {"parent_beacon_block_root", "block_blob_gas_used", "block_excess_blob_gas"})
    pre_cancun = replace_once(pre_cancun, fmt::format("\"{}\"", key), fmt::format("\"unknown_{}\"", key));
  auto parsed = parse_text(pre_cancun);
  REQUIRE(parsed.at(0).ok());
  const auto& meta = parsed.at(0).witness->other_data.b_data.b_meta;
  CHECK_FALSE(meta.parent_beacon_block_root);
  CHECK_FALSE(meta.block_blob_gas_used);
  CHECK_FALSE(meta.block_excess_blob_gas);
}

TEST_CASE("text after the blocks of a file is an error, the blocks are still read", "[witness][parse]") {
  std::string text = testdata("300-302.witness.json") + "\n]junk";
  auto blocks = parse_text(text);
  REQUIRE(blocks.size() == 4);
  for (size_t i = 0; i < 3; ++i) CHECK(blocks[i].ok());
  CHECK_THAT(blocks[3].error, Catch::StartsWith("test.json: text after the end of the JSON array at byte"));
}

TEST_CASE("one damaged block fails alone and keeps its number", "[witness][parse]") {
  std::string text = testdata("300-302.witness.json");
  size_t second = text.find("\"block_number\": \"0x12d\"");
  REQUIRE(second != std::string::npos);
  size_t gas = text.rfind("\"gas_used\": 21000", second);
  REQUIRE(gas != std::string::npos);
  text.replace(gas, 17, "\"gas_used\": \"bad\"");
  auto blocks = parse_text(text, "range.json");
  REQUIRE(blocks.size() == 3);
  CHECK(blocks[0].ok());
  CHECK(blocks[2].ok());
  CHECK_FALSE(blocks[1].ok());
  CHECK(blocks[1].number == 301u);
  CHECK_THAT(blocks[1].error, Catch::StartsWith("range.json: block 1: .block_trace.txn_info[0].meta.gas_used"));
}

TEST_CASE("truncated files: the cut block fails, earlier blocks parse", "[witness][parse]") {
  const std::string multi = testdata("300-302.witness.json");
  size_t third = multi.find("\"block_number\": \"0x12e\"");
  auto blocks = parse_text(multi.substr(0, third), "cut.json");
  REQUIRE(blocks.size() == 3);
  CHECK(blocks[0].ok());
  CHECK(blocks[1].ok());
  CHECK_FALSE(blocks[2].ok());
  CHECK_THAT(blocks[2].error, Catch::Contains("cut.json: block 2: truncated JSON"));

  // Every prefix of a file is handled without a crash; only the whole file parses.
  const std::string one = testdata("100.witness.json");
  for (size_t size = 0; size < one.size(); size += 53) {
    auto parsed = parse_text(one.substr(0, size));
    for (const auto& b : parsed) CHECK_FALSE(b.ok());
  }
}

TEST_CASE("random byte damage never crashes the parser", "[witness][parse]") {
  const std::string good = testdata("100.witness.json");
  std::mt19937_64 rng(7);
  const std::string alphabet = "{}[]\",:0x9af-. \\ntu";
  size_t failed = 0;
  for (int round = 0; round < 400; ++round) {
    std::string text = good;
    for (int k = 0; k < 1 + round % 3; ++k) text[rng() % text.size()] = alphabet[rng() % alphabet.size()];
    for (const auto& b : parse_text(text)) {
      failed += !b.ok();
      CHECK(b.ok() == b.witness.has_value());
      if (!b.ok()) CHECK_THAT(b.error, Catch::StartsWith("test.json"));
    }
  }
  CHECK(failed > 100);  // most damage is detected (some lands in hex digits and stays valid)
}

TEST_CASE("not a witness at all", "[witness][parse]") {
  auto blocks = parse_text("hello", "notes.json");
  REQUIRE(blocks.size() == 1);
  CHECK(blocks[0].error == "notes.json: not a witness: expected a JSON array of blocks");
  auto numbers = parse_text("[1, 2]");
  REQUIRE(numbers.size() == 2);
  CHECK_THAT(numbers[0].error, Catch::Contains("block 0: expected an object"));
  CHECK(parse_text("[]").empty());
}

TEST_CASE("header and full-block RPC files are recognized by content", "[witness][parse]") {
  CHECK(looks_like_block_header(R"([{"baseFeePerGas":"0x7","parentHash":"0x00","stateRoot":"0x01"}])"));
  CHECK(looks_like_block_header(R"({"hash":"0x1","parentHash":"0x2","transactions":[]})"));
  CHECK_FALSE(looks_like_block_header(testdata("100.witness.json")));
  CHECK_FALSE(looks_like_block_header("[]"));
}

TEST_CASE("the real witnesses parse", "[witness][parse][shared]") {
  if (!test::have_shared_witnesses()) return;
  size_t blocks_seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(test::shared_witnesses_dir())) {
    std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".json" || name.find("_header") != std::string::npos ||
        name.find(".block.json") != std::string::npos)
      continue;
    for (const auto& b : parse_text(test::read_text(entry.path()), name)) {
      INFO(b.error);
      CHECK(b.ok());
      ++blocks_seen;
    }
  }
  CHECK(blocks_seen == 16);
}
