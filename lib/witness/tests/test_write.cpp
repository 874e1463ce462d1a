#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "test_support.hpp"
#include "witness/parse.hpp"
#include "witness/write.hpp"

using namespace witprove;
using namespace witprove::witness;

namespace {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<BlockWitness> parse_all(std::string text, const std::string& name) {
  std::vector<BlockWitness> out;
  for (BlockParse& p : parse_witness_file(make_json_file(name, std::move(text)))) {
    INFO(p.error);
    REQUIRE(p.ok());
    out.push_back(std::move(*p.witness));
  }
  return out;
}

// write(parse(write(x))) == write(x): every field the format has survives the trip (origin and size aside).
void check_round_trip(const std::vector<BlockWitness>& blocks, const std::string& name) {
  INFO(name);
  std::string written = witness_file_json(blocks);
  std::vector<BlockWitness> again = parse_all(written, name);
  REQUIRE(again.size() == blocks.size());
  CHECK(witness_file_json(again) == written);
  for (size_t i = 0; i < blocks.size(); ++i) {
    CHECK(block_number(again[i]) == block_number(blocks[i]));
    CHECK(again[i].block_trace.txn_info.size() == blocks[i].block_trace.txn_info.size());
    CHECK(again[i].block_trace.trie_pre_images.index() == blocks[i].block_trace.trie_pre_images.index());
  }
}

void round_trip_folder(const std::filesystem::path& dir) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    std::string text = read_text(entry.path());
    if (looks_like_block_header(text) || text.find("\"block_trace\"") == std::string::npos) continue;
    check_round_trip(parse_all(std::move(text), entry.path().filename().string()), entry.path().filename().string());
    ++files;
  }
  CHECK(files > 0);
}

H256 h256_of(uint8_t fill) {
  H256 h;
  h.fill(fill);
  return h;
}

}  // namespace

TEST_CASE("write: every field, optional ones included, parses back to the same values", "[witness][write]") {
  BlockWitness w;
  SeparatePreImages separate;
  // state: branch(value 0xab) -> [1]: leaf, [2]: extension -> hash
  separate.state.nodes.resize(4);
  separate.state.nodes[0].kind = TrieNode::Kind::branch;
  separate.state.nodes[0].value = {0xab};
  separate.state.nodes[0].children[1] = 1;
  separate.state.nodes[0].children[2] = 2;
  separate.state.nodes[1].kind = TrieNode::Kind::leaf;
  separate.state.nodes[1].nibbles = {0, 0, 3, 15};
  separate.state.nodes[1].value = {1, 2, 3};
  separate.state.nodes[2].kind = TrieNode::Kind::extension;
  separate.state.nodes[2].nibbles = {7};
  separate.state.nodes[2].child = 3;
  separate.state.nodes[3].kind = TrieNode::Kind::hash;
  separate.state.nodes[3].hash = h256_of(0x33);
  separate.storage.emplace_back(h256_of(0x44), DirectTrie{});
  w.block_trace.trie_pre_images = separate;
  w.block_trace.code_db = {{0x60, 0x00}, {}};
  TxnInfo& txn = w.block_trace.txn_info.emplace_back();
  AccountTrace t;
  t.address.fill(0x11);
  t.balance = U256(0);
  t.nonce = U256(7);
  t.storage_read = {h256_of(1)};
  t.storage_written = {{h256_of(2), U256(0)}, {h256_of(1), U256(5)}};
  t.code_write = Bytes{0xfe};
  t.self_destructed = true;
  txn.traces.insert(txn.traces.begin(), t);
  AccountTrace reader;
  reader.address.fill(0x22);
  reader.code_read = h256_of(9);
  txn.traces.push_back(reader);
  txn.meta.byte_code = {0xc0};
  txn.meta.new_txn_trie_node_byte = Bytes{0xc0};
  txn.meta.new_receipt_trie_node_byte = {0xc1, 0x80};
  txn.meta.gas_used = 21000;
  BlockMetadata& m = w.other_data.b_data.b_meta;
  m.block_number = U256(42);
  m.block_timestamp = U256(0);
  m.block_bloom[3] = U256(0xabc);
  m.parent_beacon_block_root = h256_of(0x55);
  w.other_data.b_data.b_hashes.prev_hashes = {h256_of(0x66), h256_of(0x67)};
  w.other_data.b_data.withdrawals = {{.address = Address{}, .amount = U256(123)}};
  w.other_data.checkpoint_state_trie_root = h256_of(0x77);
  w.other_data.checkpoint_consolidated_hash = std::array<uint64_t, 4>{UINT64_MAX, (1ull << 53) + 1, 0, 1};
  w.other_data.burn_addr = Address{};
  w.other_data.ger_data = GerData{h256_of(0x88), h256_of(0x99)};

  std::vector<BlockWitness> blocks{w};
  std::string text = witness_file_json(blocks);
  std::vector<BlockWitness> back = parse_all(text, "written.json");
  REQUIRE(back.size() == 1);
  const BlockWitness& b = back[0];
  const auto* s = std::get_if<SeparatePreImages>(&b.block_trace.trie_pre_images);
  REQUIRE(s);
  // The parser gives every branch slot a node of its own; the shape is the same.
  const TrieNode& root = s->state.nodes.at(0);
  CHECK(root.kind == TrieNode::Kind::branch);
  CHECK(root.value == Bytes{0xab});
  const TrieNode& leaf = s->state.nodes.at(root.children[1]);
  CHECK(leaf.kind == TrieNode::Kind::leaf);
  CHECK(leaf.nibbles == std::vector<uint8_t>{0, 0, 3, 15});
  CHECK(leaf.value == Bytes{1, 2, 3});
  const TrieNode& ext = s->state.nodes.at(root.children[2]);
  CHECK(ext.kind == TrieNode::Kind::extension);
  CHECK(ext.nibbles == std::vector<uint8_t>{7});
  CHECK(s->state.nodes.at(ext.child).hash == h256_of(0x33));
  CHECK(s->state.nodes.at(root.children[0]).kind == TrieNode::Kind::empty);
  REQUIRE(s->storage.size() == 1);
  CHECK(s->storage[0].first == h256_of(0x44));
  CHECK(b.block_trace.code_db == std::vector<Bytes>{{0x60, 0x00}, {}});
  REQUIRE(b.block_trace.txn_info.size() == 1);
  const TxnInfo& bt = b.block_trace.txn_info[0];
  REQUIRE(bt.traces.size() == 2);
  const AccountTrace& bt0 = bt.traces[0];
  CHECK(bt0.address == t.address);
  CHECK(bt0.balance == U256(0));
  CHECK(bt0.nonce == U256(7));
  CHECK(bt0.storage_read == t.storage_read);
  CHECK(bt0.storage_written == t.storage_written);
  CHECK(bt0.code_write == t.code_write);
  CHECK_FALSE(bt0.code_read);
  CHECK(bt0.self_destructed);
  CHECK(bt.traces[1].code_read == h256_of(9));
  CHECK_FALSE(bt.traces[1].balance);
  CHECK_FALSE(bt.traces[1].self_destructed);
  CHECK(bt.meta.byte_code == Bytes{0xc0});
  CHECK(bt.meta.new_txn_trie_node_byte == Bytes{0xc0});
  CHECK(bt.meta.new_receipt_trie_node_byte == Bytes{0xc1, 0x80});
  CHECK(bt.meta.gas_used == 21000);
  const OtherBlockData& o = b.other_data;
  CHECK(o.b_data.b_meta.block_number == U256(42));
  CHECK(o.b_data.b_meta.block_bloom[3] == U256(0xabc));
  CHECK(o.b_data.b_meta.parent_beacon_block_root == h256_of(0x55));
  CHECK(o.b_data.b_hashes.prev_hashes == w.other_data.b_data.b_hashes.prev_hashes);
  REQUIRE(o.b_data.withdrawals.size() == 1);
  CHECK(o.b_data.withdrawals[0].amount == U256(123));
  CHECK(o.checkpoint_state_trie_root == h256_of(0x77));
  CHECK(o.checkpoint_consolidated_hash == w.other_data.checkpoint_consolidated_hash);
  CHECK(o.burn_addr == Address{});
  REQUIRE(o.ger_data);
  CHECK(o.ger_data->l1_block_hash == h256_of(0x99));
  check_round_trip(back, "written.json");

  // Absent optionals stay absent.
  w.other_data.checkpoint_consolidated_hash.reset();
  w.other_data.burn_addr.reset();
  w.other_data.ger_data.reset();
  w.block_trace.txn_info[0].meta.new_txn_trie_node_byte.reset();
  w.block_trace.trie_pre_images = CombinedPreImage{{1, 6}};
  blocks = {w};
  back = parse_all(witness_file_json(blocks), "written.json");
  CHECK_FALSE(back[0].other_data.checkpoint_consolidated_hash);
  CHECK_FALSE(back[0].other_data.burn_addr);
  CHECK_FALSE(back[0].other_data.ger_data);
  CHECK_FALSE(back[0].block_trace.txn_info[0].meta.new_txn_trie_node_byte);
  CHECK(std::get<CombinedPreImage>(back[0].block_trace.trie_pre_images).compact == Bytes{1, 6});
}

TEST_CASE("write: the hand-made test witnesses round-trip", "[witness][write]") {
  round_trip_folder(test::testdata_dir() / "witnesses");
}

TEST_CASE("write: the generated test witnesses round-trip", "[witness][write]") {
  round_trip_folder(test::testdata_dir() / "generated");
}

TEST_CASE("write: the real witnesses round-trip", "[witness][write][shared]") {
  if (!test::have_shared_witnesses()) return;
  round_trip_folder(test::shared_witnesses_dir());
}
