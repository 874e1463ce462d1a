// generate-witnesses end to end: what it writes parses, and stateless processing reproduces the roots of the
// headers written beside it; each broken mode is reported not provable with its reason; the committed
// generated files are still what the generator writes.
#include <catch2/catch.hpp>

#include <fstream>

#include <fmt/format.h>
#include <simdjson.h>

#include "generator.hpp"
#include "eth/rlp.hpp"
#include "test_support.hpp"
#include "witness/compact.hpp"
#include "witness/header.hpp"
#include "witness/parse.hpp"
#include "witness/source.hpp"
#include "witness/stateless.hpp"

using namespace witprove;
using namespace witprove::witness;
namespace fs = std::filesystem;
using test::CommandResult;
using test::read_text;

namespace {

fs::path generator_binary() { return test::binary_dir() / "testdata" / "generate-witnesses"; }

CommandResult run_binary(const fs::path& binary, const std::string& arguments) {
  return test::run_command(fmt::format("'{}' {}", binary.string(), arguments));
}

CommandResult run(const std::string& arguments) { return run_binary(generator_binary(), arguments); }

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// A string field of the generator's one-line JSON summary.
std::string summary_field(const std::string& summary, const std::string& name) {
  std::string key = fmt::format("\"{}\":\"", name);
  size_t at = summary.find(key);
  if (at == std::string::npos) return "";
  at += key.size();
  return summary.substr(at, summary.find('"', at) - at);
}

// One witness file's blocks, processed as a file is (consecutive blocks must chain).
struct FileResult {
  std::vector<BlockWitness> blocks;
  std::vector<BlockResult> results;
};

// Every witness file of a source (file, folder or archive), in order.
std::vector<FileResult> process_source(const fs::path& source) {
  std::vector<FileResult> files;
  SourceReader reader(source.string());
  while (auto entry = reader.next()) {
    INFO(entry->error);
    REQUIRE(entry->error.empty());
    FileResult& f = files.emplace_back();
    for (BlockParse& p : parse_entry(*entry)) {
      INFO(p.error);
      REQUIRE(p.ok());
      f.blocks.push_back(std::move(*p.witness));
    }
    std::vector<const BlockWitness*> pointers;
    for (const BlockWitness& b : f.blocks) pointers.push_back(&b);
    f.results = process_blocks(pointers);
  }
  return files;
}

// Why a block cannot be proven, or empty when it can: it must process, start from its range's checkpoint
// (a file is one range: its first block's pre-state), and end at its header's roots.
std::string not_provable_reason(const FileResult& file, size_t i, const std::vector<BlockHeader>& headers) {
  const BlockResult& r = file.results[i];
  if (!r.ok) return r.error;
  const H256& checkpoint = file.blocks[i].other_data.checkpoint_state_trie_root;
  if (checkpoint != file.results[0].pre_state_root)
    return fmt::format("checkpoint {} is not the range's pre-state root {}", eth::to_hex(checkpoint),
                       eth::to_hex(file.results[0].pre_state_root));
  const BlockHeader* header = find_header(headers, file.blocks[i]);
  if (!header) return "no header";
  return compare_with_header(r, *header);
}

// Runs the generator and checks every block it wrote is provable; returns the number of blocks.
size_t check_generated(const std::string& arguments, const fs::path& output, const fs::path& headers_path) {
  INFO("generate-witnesses " << arguments);
  CommandResult r = run(arguments);
  INFO(r.out);
  REQUIRE(r.status == 0);
  CHECK(summary_field(r.out, "headers") == headers_path.string());
  std::vector<BlockHeader> headers = read_headers(headers_path);
  size_t blocks = 0;
  for (const FileResult& file : process_source(output)) {
    for (size_t i = 0; i < file.blocks.size(); ++i) {
      INFO("block " << block_number(file.blocks[i]));
      CHECK(not_provable_reason(file, i, headers) == "");
      if (i == 0) CHECK(file.results[i].pre_state_matches_checkpoint);
      ++blocks;
    }
  }
  CHECK(blocks == headers.size());
  return blocks;
}

}  // namespace

TEST_CASE("generate-witnesses: every block reproduces its header's roots, both encodings", "[generator][e2e]") {
  fs::path dir = test::scratch_dir("valid");
  for (uint64_t seed : {1, 2, 3, 4}) {
    for (std::string encoding : {"combined", "separate"}) {
      fs::path file = dir / fmt::format("s{}-{}.json", seed, encoding);
      fs::path headers = dir / fmt::format("s{}-{}_header.json", seed, encoding);
      std::string args = fmt::format("--seed {} --blocks 3 --txs 12 --accounts 40 --encoding {} --first-block {} -o '{}'",
                                     seed, encoding, 100 * seed, file.string());
      CHECK(check_generated(args, file, headers) == 3);
    }
  }
  // Longer: these blocks include deletions whose collapsing branch only the replay finds needing a node.
  fs::path file = dir / "long.json";
  CHECK(check_generated(fmt::format("--seed 6 --blocks 10 --txs 60 --accounts 80 -o '{}'", file.string()), file,
                        dir / "long_header.json") == 10);
  // A Shanghai chain (no beacon root write), no withdrawals, many accounts, empty blocks.
  file = dir / "shanghai.json";
  CHECK(check_generated(fmt::format("--seed 9 --blocks 2 --txs 30 --accounts 300 --fork shanghai --withdrawals 0 -o '{}'",
                                    file.string()),
                        file, dir / "shanghai_header.json") == 2);
  file = dir / "empty.json";
  CHECK(check_generated(fmt::format("--seed 10 --blocks 2 --txs 0 -o '{}'", file.string()), file,
                        dir / "empty_header.json") == 2);
}

TEST_CASE("generate-witnesses: a chain of each fork reproduces its headers under that fork's rules", "[generator][e2e]") {
  // The headers' roots come from the generator's full state (its own ledger), independently of the stateless
  // replay of the partial witness; both encodings, so the separate tries are covered too.
  fs::path dir = test::scratch_dir("forks");
  for (std::string fork : {"shanghai", "cancun", "prague"}) {
    for (std::string encoding : {"combined", "separate"}) {
      fs::path file = dir / fmt::format("{}-{}.json", fork, encoding);
      fs::path headers = dir / fmt::format("{}-{}_header.json", fork, encoding);
      CHECK(check_generated(fmt::format("--seed 21 --blocks 3 --txs 10 --accounts 40 --fork {} --encoding {} -o '{}'",
                                        fork, encoding, file.string()),
                            file, headers) == 3);
      for (const FileResult& f : process_source(file))
        for (const BlockResult& r : f.results) CHECK(r.rules.rfind(fork, 0) == 0);
    }
  }
}

TEST_CASE("generate-witnesses: a folder and a tar.xz hold one block per file", "[generator][e2e]") {
  fs::path dir = test::scratch_dir("layouts");
  fs::path folder = dir / "blocks";
  CHECK(check_generated(fmt::format("--seed 5 --blocks 3 --txs 6 --encoding separate -o '{}/'", folder.string()), folder,
                        folder / "headers.json") == 3);
  CHECK(fs::exists(folder / "1.witness.json"));
  CHECK(fs::exists(folder / "3.witness.json"));
  fs::path archive = dir / "blocks.tar.xz";
  CHECK(check_generated(fmt::format("--seed 5 --blocks 3 --txs 6 -o '{}'", archive.string()), archive,
                        dir / "blocks_header.json") == 3);
}

TEST_CASE("generate-witnesses: analyze-witnesses --check --headers verifies what it writes", "[generator][e2e]") {
  fs::path dir = test::scratch_dir("analyze");
  fs::path analyze = test::binary_dir() / "apps" / "analyze-witnesses";
  REQUIRE(run(fmt::format("--seed 21 --blocks 3 --txs 8 -o '{}'", (dir / "range.json").string())).status == 0);
  CommandResult ok = run_binary(analyze, fmt::format("--check --headers '{}' --format json '{}'",
                                           (dir / "range_header.json").string(), (dir / "range.json").string()));
  INFO(ok.out);
  CHECK(ok.status == 0);
  CHECK(count(ok.out, R"("check":{"status":"ok")") == 3);

  CommandResult generated = run(fmt::format("--seed 21 --blocks 3 --txs 8 --broken missing-node -o '{}/'", (dir / "broken").string()));
  REQUIRE(generated.status == 0);
  CommandResult broken = run_binary(analyze, fmt::format("--check --headers '{}' --format json '{}'", (dir / "broken").string(),
                                               (dir / "broken").string()));
  INFO(broken.out);
  CHECK(broken.status == 1);
  CHECK(count(broken.out, R"("check":{"status":"ok")") == 2);
  CHECK(count(broken.out, R"("check":{"status":"failed")") == 1);
  CHECK_THAT(broken.out, Catch::Contains(summary_field(generated.out, "key")));
}

TEST_CASE("generate-witnesses: transactions and receipts are well-formed, gas adds up, the pre-image is partial",
          "[generator][e2e]") {
  fs::path dir = test::scratch_dir("shape");
  fs::path file = dir / "w.json";
  REQUIRE(run(fmt::format("--seed 31 --blocks 2 --txs 40 --accounts 400 -o '{}'", file.string())).status == 0);
  std::vector<FileResult> files = process_source(file);
  REQUIRE(files.size() == 1);
  std::vector<BlockHeader> headers = read_headers(dir / "w_header.json");
  int legacy = 0, typed = 0, failed = 0;
  for (size_t b = 0; b < files[0].blocks.size(); ++b) {
    const BlockWitness& block = files[0].blocks[b];
    uint64_t gas = 0;
    for (const TxnInfo& txn : block.block_trace.txn_info) {
      ByteView tx = txn.meta.byte_code;
      REQUIRE_FALSE(tx.empty());
      size_t gas_limit_field = 2;
      if (tx[0] >= 0xc0) {  // legacy: [nonce, gasPrice, gas, to, value, data, v, r, s]
        CHECK(eth::rlp_items(eth::rlp_decode(tx)).size() == 9);
        ++legacy;
      } else {  // EIP-1559: 0x02 || [chainId, nonce, tip, maxFee, gas, to, value, data, accessList, y, r, s]
        CHECK(tx[0] == 0x02);
        CHECK(eth::rlp_items(eth::rlp_decode(tx.subspan(1))).size() == 12);
        gas_limit_field = 4;
        ++typed;
      }
      ByteView body = tx[0] >= 0xc0 ? tx : tx.subspan(1);
      CHECK(eth::rlp_to_u64(eth::rlp_items(eth::rlp_decode(body))[gas_limit_field]) >= txn.meta.gas_used);
      gas += txn.meta.gas_used;
    }
    for (const TxnResult& t : files[0].results[b].txns) failed += t.succeeded ? 0 : 1;
    CHECK(U256(gas) == block.other_data.b_data.b_meta.block_gas_used);
    const BlockHeader* header = find_header(headers, block);
    REQUIRE(header);
    CHECK(header->gas_used == gas);
    // Only what the block touches is expanded: far fewer accounts than the state holds.
    PreImageStats stats = pre_image_stats(decode_pre_state(block.block_trace));
    CHECK(stats.accounts < 200);
    CHECK(stats.hashed_subtries > 0);
  }
  CHECK(legacy > 0);
  CHECK(typed > 0);
  CHECK(failed > 0);
}

TEST_CASE("generate-witnesses: the same options write the same bytes", "[generator][e2e]") {
  fs::path dir = test::scratch_dir("determinism");
  for (const char* name : {"a.json", "b.json"})
    REQUIRE(run(fmt::format("--seed 77 --blocks 2 --txs 10 -o '{}'", (dir / name).string())).status == 0);
  CHECK(read_text(dir / "a.json") == read_text(dir / "b.json"));
  CHECK(read_text(dir / "a_header.json") == read_text(dir / "b_header.json"));
  REQUIRE(run(fmt::format("--seed 78 --blocks 2 --txs 10 -o '{}'", (dir / "c.json").string())).status == 0);
  CHECK(read_text(dir / "a.json") != read_text(dir / "c.json"));
}

TEST_CASE("generate-witnesses: each broken mode is not provable, with its reason, and earlier blocks are",
          "[generator][e2e]") {
  fs::path dir = test::scratch_dir("broken");
  struct Case {
    std::string kind, encoding;
  };
  for (const Case& c : {Case{"missing-node", "combined"}, Case{"missing-node", "separate"},
                        Case{"wrong-checkpoint", "combined"}, Case{"flipped-byte", "combined"},
                        Case{"changed-write", "combined"}, Case{"changed-write", "separate"}}) {
    for (uint64_t seed : {1, 2, 3, 4, 5, 6}) {
      INFO(c.kind << " " << c.encoding << " seed " << seed);
      fs::path folder = dir / fmt::format("{}-{}-{}", c.kind, c.encoding, seed);
      CommandResult r = run(fmt::format("--seed {} --blocks 2 --txs 10 --encoding {} --broken {} -o '{}/'", seed, c.encoding,
                              c.kind, folder.string()));
      INFO(r.out);
      REQUIRE(r.status == 0);
      std::vector<BlockHeader> headers = read_headers(folder / "headers.json");
      std::vector<FileResult> files = process_source(folder);
      REQUIRE(files.size() == 2);
      CHECK(not_provable_reason(files[0], 0, headers) == "");
      std::string reason = not_provable_reason(files[1], 0, headers);
      INFO(reason);
      CHECK_FALSE(reason.empty());
      std::string where = summary_field(r.out, "where"), key = summary_field(r.out, "key");
      if (c.kind == "missing-node") {
        CHECK_FALSE(files[1].results[0].ok);
        CHECK(reason.rfind(where + ":", 0) == 0);
        CHECK_THAT(reason, Catch::Contains("witness lacks the trie node needed for key " + key));
      } else if (c.kind == "wrong-checkpoint") {
        CHECK(files[1].results[0].ok);
        CHECK_FALSE(files[1].results[0].pre_state_matches_checkpoint);
      } else if (c.kind == "changed-write") {
        CHECK(where.rfind("txn ", 0) == 0);
        CHECK(reason.rfind("state root", 0) == 0);
      }
    }
  }
  CHECK(run(fmt::format("--broken flipped-byte --encoding separate -o '{}'", (dir / "x.json").string())).status == 2);
}

TEST_CASE("generate-witnesses: usage", "[generator][e2e]") {
  CommandResult help = run("--help");
  CHECK(help.status == 0);
  CHECK_THAT(help.out, Catch::Contains("--broken"));
  CHECK(run("--seed 1").status == 2);  // no --output
  CHECK(run("--encoding sideways -o x.json").status == 2);
  CHECK(run("--broken badly -o x.json").status == 2);
  CHECK(run("--no-such-option").status == 2);
}

TEST_CASE("generate-witnesses: the committed generated files are still what it writes, and provable",
          "[generator][e2e]") {
  fs::path committed = test::testdata_dir() / "generated";
  // Each line of COMMANDS: the output name, then the generator's options.
  std::ifstream commands(committed / "COMMANDS");
  REQUIRE(commands);
  fs::path dir = test::scratch_dir("committed");
  std::string line;
  int files = 0;
  while (std::getline(commands, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t space = line.find(' ');
    std::string name = line.substr(0, space), options = line.substr(space + 1);
    INFO(line);
    CommandResult r = run(fmt::format("{} -o '{}'", options, (dir / name).string()));
    INFO(r.out);
    REQUIRE(r.status == 0);
    std::string stem = name.substr(0, name.size() - 5);
    CHECK(read_text(dir / name) == read_text(committed / name));
    CHECK(read_text(dir / (stem + "_header.json")) == read_text(committed / (stem + "_header.json")));
    std::vector<BlockHeader> headers = read_headers(committed / (stem + "_header.json"));
    for (const FileResult& file : process_source(committed / name))
      for (size_t i = 0; i < file.blocks.size(); ++i) CHECK(not_provable_reason(file, i, headers) == "");
    ++files;
  }
  CHECK(files >= 2);
}

TEST_CASE("generate-witnesses: block hashes are the RLP header's keccak, checked on real headers",
          "[generator][shared]") {
  if (!test::have_shared_witnesses()) return;
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(test::shared_witnesses_dir())) {
    std::string name = entry.path().filename().string();
    if (!name.ends_with("_header.json")) continue;
    INFO(name);
    simdjson::dom::parser parser;
    simdjson::dom::element root = parser.load(entry.path().string());
    simdjson::dom::object h = root.at(0).get_object();
    auto text = [&](const char* key) { return std::string(std::string_view(h[key].get_string())); };
    auto bytes = [&](const char* key) { return *eth::hex_to_bytes(text(key)); };
    auto h256 = [&](const char* key) { return *eth::hex_to_fixed<32>(text(key)); };
    auto quantity = [&](const char* key) { return eth::u256_from_hex(text(key))->limbs[0]; };
    generator::Header header;
    header.parent_hash = h256("parentHash");
    header.beneficiary = *eth::hex_to_fixed<20>(text("miner"));
    header.state_root = h256("stateRoot");
    header.transactions_root = h256("transactionsRoot");
    header.receipts_root = h256("receiptsRoot");
    Bytes bloom = bytes("logsBloom");
    REQUIRE(bloom.size() == 256);
    std::copy(bloom.begin(), bloom.end(), header.logs_bloom.begin());
    REQUIRE(quantity("difficulty") == 0);
    header.number = quantity("number");
    header.gas_limit = quantity("gasLimit");
    header.gas_used = quantity("gasUsed");
    header.timestamp = quantity("timestamp");
    header.extra_data = bytes("extraData");
    header.mix_hash = h256("mixHash");
    header.base_fee = *eth::u256_from_hex(text("baseFeePerGas"));
    header.withdrawals_root = h256("withdrawalsRoot");
    header.blob_gas_used = quantity("blobGasUsed");
    header.excess_blob_gas = quantity("excessBlobGas");
    header.parent_beacon_block_root = h256("parentBeaconBlockRoot");
    CHECK(eth::to_hex(generator::header_hash(header)) == text("hash"));
    ++checked;
  }
  CHECK(checked >= 4);
}
