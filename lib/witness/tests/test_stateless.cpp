#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <map>
#include <random>

#include "eth/account.hpp"
#include "eth/rlp.hpp"
#include "test_support.hpp"
#include "witness/header.hpp"
#include "witness/parse.hpp"
#include "witness/stateless.hpp"

using namespace witprove;
using namespace witprove::witness;
using eth::Account;

// Traces are written with designated initializers; the members left out keep their defaults on purpose.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace {

std::vector<BlockWitness> parse_file(const std::filesystem::path& path) {
  std::vector<BlockWitness> blocks;
  for (BlockParse& parsed : parse_witness_file(make_json_file(path.filename().string(), test::read_text(path)))) {
    INFO(parsed.error);
    REQUIRE(parsed.ok());
    blocks.push_back(std::move(*parsed.witness));
  }
  return blocks;
}

std::vector<BlockResult> process_all(const std::vector<BlockWitness>& blocks) {
  std::vector<const BlockWitness*> pointers;
  for (const BlockWitness& b : blocks) pointers.push_back(&b);
  return process_blocks(pointers);
}

Address address_of(uint8_t n) {
  Address a{};
  a[0] = 0x11;
  a[19] = n;
  return a;
}

H256 slot(uint64_t n) { return eth::to_be_bytes32(eth::U256(n)); }

constexpr Address beacon = eth::fixed_from_hex<20>("000f3df6d732807ef1319fb7b8bb8522d0beac02");

// A small world kept as plain maps; its roots are built from scratch, independently of the replay's updates.
struct PlainState {
  std::map<Address, Account> accounts;
  std::map<Address, std::map<H256, eth::U256>> storage;
  std::map<H256, Bytes> code;

  eth::Trie storage_trie(const Address& a) const {
    eth::Trie trie;
    auto it = storage.find(a);
    if (it != storage.end())
      for (const auto& [s, v] : it->second)
        if (!v.is_zero()) trie.put(eth::storage_key(s), eth::encode_storage_value(v));
    return trie;
  }
  PreState pre_state() const {
    PreState pre;
    for (auto [address, account] : accounts) {
      eth::Trie trie = storage_trie(address);
      account.storage_root = trie.root_hash();
      pre.state.put(eth::account_key(address), eth::encode_account(account));
      pre.storage.emplace(eth::account_key(address), std::move(trie));
    }
    pre.code = CodeTable(code.begin(), code.end());
    return pre;
  }
  H256 root() const { return pre_state().state.root_hash(); }
  void set_code(const Address& a, const Bytes& c) {
    accounts[a].code_hash = eth::keccak256(c);
    code[eth::keccak256(c)] = c;
  }
};

Bytes receipt(bool success, uint64_t cumulative_gas, bool typed) {
  Bytes status = eth::rlp_uint(uint64_t{success ? 1u : 0u}), gas = eth::rlp_uint(cumulative_gas);
  Bytes bloom = eth::rlp_string(Bytes(256, 0)), logs = eth::rlp_list({});
  Bytes list = eth::rlp_list({status, gas, bloom, logs});
  if (!typed) return list;
  Bytes payload{0x02};
  payload.insert(payload.end(), list.begin(), list.end());
  return eth::rlp_string(payload);
}

// A block exercising every replay rule on a synthetic pre-state, with its expected roots.
struct Synthetic {
  PlainState pre, post;
  BlockWitness block;
  H256 expected_transactions_root, expected_receipts_root;
};

// The fork the synthetic block is made for: its chain, timestamp and fork fields.
struct SyntheticFork {
  eth::Fork fork = eth::Fork::cancun;
  uint64_t chain_id = 3151908;  // a devnet: no known schedule, the fields decide
  uint64_t timestamp = 1'700'000'000;
};
constexpr SyntheticFork shanghai_mainnet{eth::Fork::shanghai, 1, 1'700'000'000};
constexpr SyntheticFork cancun_mainnet{eth::Fork::cancun, 1, 1'720'000'000};
constexpr SyntheticFork prague_mainnet{eth::Fork::prague, 1, 1'750'000'000};

Synthetic synthetic_block(bool beacon_contract = true, SyntheticFork fork = {}) {
  Synthetic s;
  const Address a = address_of(1), b = address_of(2), c = address_of(3), d = address_of(4), e = address_of(5),
                f = address_of(6), g = address_of(7), h = address_of(8);
  PlainState& pre = s.pre;
  pre.accounts[a] = {.nonce = 5, .balance = eth::U256(10'000'000'000'000'000'000ULL)};
  pre.set_code(b, Bytes{0x60, 0x01, 0x60, 0x00, 0x55});
  pre.storage[b] = {{slot(1), 11}, {slot(2), 22}, {slot(3), 33}};
  pre.set_code(c, Bytes{0x33, 0xff});
  pre.storage[c] = {{slot(1), 1}};
  if (beacon_contract) {
    pre.set_code(beacon, Bytes{0x33, 0x73});
    pre.storage[beacon] = {{slot(5), 5}};
  }
  bool prague = fork.fork >= eth::Fork::prague;
  if (prague) {  // the EIP-2935 history contract, and the EIP-7002 / EIP-7251 queues, deployed and empty
    pre.set_code(history_storage_address, Bytes{0x33, 0x29});
    pre.storage[history_storage_address] = {{slot(7), 7}};
    pre.set_code(withdrawal_request_address, Bytes{0x70, 0x02});
    pre.set_code(consolidation_request_address, Bytes{0x72, 0x51});
  }
  for (uint8_t i = 100; i < 140; ++i) pre.accounts[address_of(i)] = {.nonce = i, .balance = eth::U256(i)};

  const uint64_t timestamp = fork.timestamp;
  const H256 beacon_root = eth::keccak256(Bytes{42}), parent_hash = eth::keccak256(Bytes{99});
  BlockWitness& w = s.block;
  w.origin = {"synthetic.json", 0};
  BlockMetadata& meta = w.other_data.b_data.b_meta;
  meta.block_number = 100;
  meta.block_beneficiary = h;  // the fee recipient, created by a reverted transaction's fee (txn 4)
  meta.block_chain_id = fork.chain_id;
  meta.block_timestamp = timestamp;
  if (fork.fork >= eth::Fork::cancun) {
    meta.parent_beacon_block_root = beacon_root;
    meta.block_blob_gas_used = 0;
    meta.block_excess_blob_gas = 0;
  }
  w.other_data.b_data.b_hashes.prev_hashes = std::vector<H256>(255, H256{});
  w.other_data.b_data.b_hashes.prev_hashes.push_back(parent_hash);
  w.other_data.checkpoint_state_trie_root = pre.root();
  w.block_trace.trie_pre_images = CombinedPreImage{encode_compact(pre.pre_state())};

  PlainState& post = s.post;
  post = pre;
  if (beacon_contract && fork.fork >= eth::Fork::cancun) {
    post.storage[beacon][slot(timestamp % 8191)] = timestamp;
    post.storage[beacon][slot(timestamp % 8191 + 8191)] = eth::u256_from_be_bytes(beacon_root);
  }
  if (prague) post.storage[history_storage_address][slot(99 % 8191)] = eth::u256_from_be_bytes(parent_hash);

  eth::Trie transactions, receipts;
  uint64_t cumulative = 0;
  auto add_txn = [&](uint64_t gas, bool success, bool typed, std::vector<AccountTrace> traces) {
    TxnInfo txn;
    size_t index = w.block_trace.txn_info.size();
    txn.meta.byte_code = eth::rlp_list({eth::rlp_uint(uint64_t{index}), eth::rlp_string(Bytes(40, 7))});
    cumulative += gas;
    txn.meta.new_receipt_trie_node_byte = receipt(success, cumulative, typed);
    txn.meta.gas_used = gas;
    txn.traces = std::move(traces);
    Bytes key = eth::rlp_uint(uint64_t{index});
    transactions.put(key, txn.meta.byte_code);
    Bytes stored = receipt(success, cumulative, false);
    if (typed) stored.insert(stored.begin(), 0x02);
    receipts.put(key, stored);
    w.block_trace.txn_info.push_back(std::move(txn));
  };
  // 0: a transfer creating d.
  add_txn(21000, true, false,
          {{.address = a, .balance = eth::U256(9'000'000'000'000'000'000ULL), .nonce = eth::U256(6)},
           {.address = d, .balance = eth::U256(1000)}});
  post.accounts[a].balance = eth::U256(9'000'000'000'000'000'000ULL);
  post.accounts[a].nonce = 6;
  post.accounts[d] = {.balance = eth::U256(1000)};
  // 1: storage delete, update and insert in b (a typed receipt); a read changes nothing.
  add_txn(50000, true, true,
          {{.address = a, .nonce = eth::U256(7)},
           {.address = b,
            .storage_read = {slot(3)},
            .storage_written = {{slot(1), 0}, {slot(2), 99}, {slot(4), 44}}}});
  post.accounts[a].nonce = 7;
  post.storage[b][slot(1)] = 0;
  post.storage[b][slot(2)] = 99;
  post.storage[b][slot(4)] = 44;
  // 2: a contract creation with code and storage.
  Bytes created_code{0x60, 0x2a, 0x60, 0x00, 0x52};
  add_txn(100000, true, true,
          {{.address = a, .nonce = eth::U256(8)},
           {.address = e, .nonce = eth::U256(1), .storage_written = {{slot(0), 5}}, .code_write = created_code}});
  post.accounts[a].nonce = 8;
  post.accounts[e].nonce = 1;
  post.set_code(e, created_code);
  post.storage[e][slot(0)] = 5;
  // 3: before Cancun, c self-destructs; from Cancun (EIP-6780) only a contract created in the same transaction
  // can, so there c stays and i is created and self-destructed at once.
  if (fork.fork < eth::Fork::cancun) {
    add_txn(30000, true, false, {{.address = a, .nonce = eth::U256(9)}, {.address = c, .self_destructed = true}});
    post.accounts.erase(c);
    post.storage.erase(c);
  } else {
    add_txn(30000, true, false,
            {{.address = a, .nonce = eth::U256(9)},
             {.address = address_of(10), .nonce = eth::U256(1), .code_write = Bytes{0x33, 0xff}, .self_destructed = true}});
  }
  post.accounts[a].nonce = 9;
  // 4: a failed transaction: f, listed with a zero balance, is not created; h, a new fee recipient paid by the
  // reverted transaction, is (a reverted transaction still pays its fee).
  add_txn(25000, false, false,
          {{.address = a, .balance = eth::U256(8'999'999'999'999'999'000ULL), .nonce = eth::U256(10)},
           {.address = f, .balance = eth::U256(0)},
           {.address = h, .balance = eth::U256(777)}});
  post.accounts[a].nonce = 10;  // a pays 1000, of which 777 to h (its balance is set again by txn 5)
  post.accounts[h] = {.balance = eth::U256(777)};
  // 5: d is emptied and removed (EIP-161).
  add_txn(21000, true, false,
          {{.address = a, .balance = eth::U256(9'000'000'000'000'001'000ULL), .nonce = eth::U256(11)},
           {.address = d, .balance = eth::U256(0)}});
  post.accounts[a].balance = eth::U256(9'000'000'000'000'001'000ULL);
  post.accounts[a].nonce = 11;
  post.accounts.erase(d);
  // Withdrawals, in Gwei.
  w.other_data.b_data.withdrawals = {{a, 1}, {g, 2}};
  post.accounts[a].balance = post.accounts[a].balance + eth::U256(1'000'000'000);
  post.accounts[g] = {.balance = eth::U256(2'000'000'000)};
  meta.block_gas_used = cumulative;

  s.expected_transactions_root = transactions.root_hash();
  s.expected_receipts_root = receipts.root_hash();
  return s;
}

}  // namespace

TEST_CASE("Replay applies every rule and reaches the independently computed roots", "[witness][stateless]") {
  Synthetic s = synthetic_block();
  BlockResult result = process_block(s.block);
  INFO(result.error);
  REQUIRE(result.ok);
  CHECK(result.pre_state_root == s.pre.root());
  CHECK(result.pre_state_matches_checkpoint);
  CHECK(result.state_root == s.post.root());
  CHECK(result.transactions_root == s.expected_transactions_root);
  CHECK(result.receipts_root == s.expected_receipts_root);
  CHECK(result.gas_used == 247000);
  REQUIRE(result.txns.size() == 6);
  CHECK_FALSE(result.txns[4].succeeded);
  CHECK(result.txns[5].cumulative_gas == 247000);
  CHECK(result.txns[5].transactions_root == result.transactions_root);
  REQUIRE(result.pre_image);
  CHECK(result.pre_image->accounts == s.pre.accounts.size());
  CHECK(result.keccak_preimages.empty());
}

TEST_CASE("Without a beacon roots contract the EIP-4788 write does nothing", "[witness][stateless]") {
  Synthetic s = synthetic_block(false);
  BlockResult result = process_block(s.block);
  INFO(result.error);
  REQUIRE(result.ok);
  CHECK(result.state_root == s.post.root());
}

TEST_CASE("Replay records the Keccak preimages it hashes, pre-state root included", "[witness][stateless]") {
  Synthetic s = synthetic_block();
  BlockResult result = process_block(s.block, {.record_keccak_preimages = true});
  REQUIRE(result.ok);
  std::vector<H256> digests;
  for (const Bytes& p : result.keccak_preimages) digests.push_back(eth::keccak256(p));
  auto has = [&](const H256& h) { return std::find(digests.begin(), digests.end(), h) != digests.end(); };
  CHECK(has(result.pre_state_root));
  CHECK(has(result.state_root));
  CHECK(has(result.transactions_root));
  CHECK(has(result.receipts_root));
  CHECK(has(eth::keccak256(Bytes{0x60, 0x2a, 0x60, 0x00, 0x52})));  // created code
  CHECK(has(eth::keccak256(Bytes{0x60, 0x01, 0x60, 0x00, 0x55})));  // code in the pre-image
  std::sort(digests.begin(), digests.end());
  CHECK(std::adjacent_find(digests.begin(), digests.end()) == digests.end());
  // Deterministic.
  CHECK(process_block(s.block, {.record_keccak_preimages = true}).keccak_preimages == result.keccak_preimages);
}

// The net changes of a processed block, by (address, slot or wipe).
std::map<std::string, const StateChange*> changes_by_key(const BlockResult& r) {
  std::map<std::string, const StateChange*> out;
  for (const auto& c : r.state_changes)
    out[fmt::format("{}{}{}", eth::to_hex(c.address), c.storage_wiped || c.slot ? "/" : "",
                    c.storage_wiped ? "wiped" : c.slot ? eth::to_hex(*c.slot) : "")] = &c;
  return out;
}

TEST_CASE("State changes: each changed key once, and a self-destructed contract's storage wiped (Shanghai)",
          "[witness][stateless]") {
  const Address b = address_of(2), c = address_of(3);
  const std::string bs = eth::to_hex(b) + "/", cs = eth::to_hex(c);
  auto storage_value = [](uint64_t v) { return std::optional<Bytes>(eth::encode_storage_value(eth::U256(v))); };
  SECTION("Cancun: no account with storage is deleted, nothing is wiped") {
    Synthetic s = synthetic_block();
    BlockResult r = process_block(s.block, {.record_state_changes = true});
    REQUIRE(r.ok);
    auto by = changes_by_key(r);
    CHECK(by.at(bs + eth::to_hex(slot(1)))->after == std::nullopt);  // deleted slot
    CHECK(by.at(bs + eth::to_hex(slot(2)))->after == storage_value(99));
    CHECK(by.at(bs + eth::to_hex(slot(4)))->before == std::nullopt);  // inserted slot
    CHECK_FALSE(by.count(bs + eth::to_hex(slot(3))));               // read only
    for (const auto& ch : r.state_changes) CHECK_FALSE(ch.storage_wiped);
  }
  SECTION("Shanghai: c self-destructs with its storage") {
    Synthetic s = synthetic_block(true, shanghai_mainnet);
    BlockResult r = process_block(s.block, {.record_state_changes = true});
    INFO(r.error);
    REQUIRE(r.ok);
    auto by = changes_by_key(r);
    REQUIRE(by.count(cs + "/wiped"));
    const H256 root = s.pre.storage_trie(c).root_hash();
    CHECK(by.at(cs + "/wiped")->before == Bytes(root.begin(), root.end()));
    CHECK_FALSE(by.at(cs + "/wiped")->after);
    CHECK_FALSE(by.at(cs)->after);  // the account is gone
    CHECK_FALSE(by.count(cs + "/" + eth::to_hex(slot(1))));  // its slot goes with the storage
  }
  SECTION("Shanghai: c self-destructs, then is created again with one slot it had") {
    Synthetic s = synthetic_block(true, shanghai_mainnet);
    auto& txns = s.block.block_trace.txn_info;
    TxnInfo again = txns.back();
    const uint64_t gas = 60000, cumulative = s.block.other_data.b_data.b_meta.block_gas_used.limbs[0] + gas;
    again.meta.byte_code = eth::rlp_list({eth::rlp_uint(uint64_t{txns.size()}), eth::rlp_string(Bytes(40, 7))});
    again.meta.new_receipt_trie_node_byte = receipt(true, cumulative, false);
    again.meta.gas_used = gas;
    again.traces = {{.address = address_of(1), .nonce = eth::U256(12)},
                    {.address = c, .nonce = eth::U256(1), .storage_written = {{slot(1), 1}}, .code_write = Bytes{0x33, 0xff}}};
    txns.push_back(again);
    s.block.other_data.b_data.b_meta.block_gas_used = cumulative;
    BlockResult r = process_block(s.block, {.record_state_changes = true});
    INFO(r.error);
    REQUIRE(r.ok);
    auto by = changes_by_key(r);
    REQUIRE(by.count(cs + "/wiped"));
    REQUIRE(by.count(cs));
    CHECK(by.at(cs)->after);
    // Against the emptied storage, slot 1 is new though it holds the value it had before the block.
    REQUIRE(by.count(cs + "/" + eth::to_hex(slot(1))));
    CHECK_FALSE(by.at(cs + "/" + eth::to_hex(slot(1)))->before);
    CHECK(by.at(cs + "/" + eth::to_hex(slot(1)))->after == storage_value(1));
  }
}

TEST_CASE("Faults name the first failing transaction and key", "[witness][stateless]") {
  SECTION("storage the witness lacks") {
    Synthetic s = synthetic_block();
    PreState pre = s.pre.pre_state();
    H256 b_key = eth::account_key(address_of(2));
    pre.storage[b_key] = eth::Trie::from_root_hash(pre.storage[b_key].root_hash());
    s.block.block_trace.trie_pre_images = CombinedPreImage{encode_compact(pre)};
    BlockResult result = process_block(s.block);
    CHECK_FALSE(result.ok);
    CHECK(result.error.rfind("txn 1: account " + eth::to_hex(address_of(2)) + ": slot " + eth::to_hex(slot(1)) +
                                 ": witness lacks the trie node needed for key " +
                                 eth::to_hex(eth::storage_key(slot(1))) + " at path 0x",
                             0) == 0);
    CHECK(result.txns.size() == 1);  // txn 0 went through
  }
  SECTION("a changed storage write changes the state root only") {
    Synthetic s = synthetic_block();
    s.block.block_trace.txn_info[1].traces[1].storage_written[1].second = 98;
    BlockResult result = process_block(s.block);
    REQUIRE(result.ok);
    CHECK(result.state_root != s.post.root());
    CHECK(result.receipts_root == s.expected_receipts_root);
  }
  SECTION("gas that does not add up") {
    Synthetic s = synthetic_block();
    s.block.other_data.b_data.b_meta.block_gas_used = 1;
    BlockResult result = process_block(s.block);
    CHECK_FALSE(result.ok);
    CHECK(result.error == "the transactions' gas adds up to 247000, the block declares 1");
  }
  SECTION("a receipt whose cumulative gas is inconsistent") {
    Synthetic s = synthetic_block();
    s.block.block_trace.txn_info[2].meta.gas_used += 1;
    BlockResult result = process_block(s.block);
    CHECK_FALSE(result.ok);
    CHECK(result.error.rfind("txn 2: receipt's cumulative gas", 0) == 0);
  }
  SECTION("a malformed pre-image") {
    Synthetic s = synthetic_block();
    std::get<CombinedPreImage>(s.block.block_trace.trie_pre_images).compact.push_back(0x09);
    BlockResult result = process_block(s.block);
    CHECK_FALSE(result.ok);
    CHECK(result.error.rfind("pre-image: compact pre-image: unknown opcode 0x09 at byte", 0) == 0);
  }
}

TEST_CASE("Blocks N and N+1 must chain, whatever their order, and a gap is not a failed link", "[witness][stateless]") {
  Synthetic s = synthetic_block();
  // Block 101 claims to start from block 100's pre-state, not its post-state: a broken link.
  BlockWitness next = s.block, after_gap = s.block;
  next.other_data.b_data.b_meta.block_number = 101;
  after_gap.other_data.b_data.b_meta.block_number = 103;
  for (const auto& order : {std::vector<const BlockWitness*>{&s.block, &next, &after_gap},
                            std::vector<const BlockWitness*>{&after_gap, &next, &s.block}}) {
    std::vector<BlockResult> results = process_blocks(order);
    for (const BlockResult& r : results) {
      INFO("block " << r.block);
      if (r.block == 101) {
        CHECK_FALSE(r.ok);
        CHECK(r.error == "pre-state root " + eth::to_hex(r.pre_state_root) +
                             " differs from block 100's post-state root " + eth::to_hex(s.post.root()));
      } else {
        CHECK(r.ok);  // 100 has no predecessor here; 103 follows a gap (102 is absent)
      }
    }
  }
  // The same number twice is not a link.
  std::vector<BlockResult> twice = process_blocks({&s.block, &s.block});
  CHECK((twice[0].ok && twice[1].ok));
  // Blocks of another chain are never linked.
  BlockWitness other_chain = next;
  other_chain.other_data.b_data.b_meta.block_chain_id = 3151909;
  std::vector<BlockResult> mixed = process_blocks({&s.block, &other_chain});
  CHECK((mixed[0].ok && mixed[1].ok));
}

TEST_CASE("Transaction outcome rules: a reverted transaction's trace cannot declare what the revert undoes",
          "[witness][stateless]") {
  // Prague: the sender-and-fee-recipient rule (below) does not apply, so this rule is what refuses.
  Synthetic s = synthetic_block(true, prague_mainnet);
  TxnInfo& reverted = s.block.block_trace.txn_info[4];
  reverted.meta.byte_code[0] = 0x04;  // a type-4 (EIP-7702) transaction: nonce-only changes are authorities
  std::string expected;
  SECTION("storage for a new account") {
    reverted.traces.push_back({.address = address_of(9), .storage_written = {{slot(1), 5}}});
    expected = "txn 4: account " + eth::to_hex(address_of(9)) + ": a reverted transaction changes slot " +
               eth::to_hex(slot(1));
  }
  SECTION("a changed storage value of an existing contract") {
    reverted.traces.push_back({.address = address_of(2), .storage_written = {{slot(2), 23}}});
    expected = "txn 4: account " + eth::to_hex(address_of(2)) + ": a reverted transaction changes slot " +
               eth::to_hex(slot(2));
  }
  SECTION("created code") {
    reverted.traces.push_back({.address = address_of(9), .nonce = eth::U256(1), .code_write = Bytes{0x60}});
    expected = "txn 4: account " + eth::to_hex(address_of(9)) +
               ": a reverted transaction declares a self-destruct or created code";
  }
  SECTION("a self-destruct") {
    reverted.traces.push_back({.address = address_of(2), .self_destructed = true});
    expected = "txn 4: account " + eth::to_hex(address_of(2)) +
               ": a reverted transaction declares a self-destruct or created code";
  }
  BlockResult result = process_block(s.block);
  CHECK_FALSE(result.ok);
  CHECK(result.error == expected);
}

TEST_CASE("Transaction outcome rules: a reverted transaction's unchanged storage writes are accepted",
          "[witness][stateless]") {
  // Real traces list the slots a reverted call wrote, with the values they keep (slot 2 of b is 99 after txn 1).
  Synthetic s = synthetic_block();
  s.block.block_trace.txn_info[4].traces.push_back({.address = address_of(2), .storage_written = {{slot(2), 99}}});
  BlockResult result = process_block(s.block);
  INFO(result.error);
  REQUIRE(result.ok);
  CHECK(result.state_root == s.post.root());
}

TEST_CASE("EIP-6780: from Cancun, a self-destruct of an account not created in the same transaction is refused",
          "[witness][stateless]") {
  Synthetic s = synthetic_block(true, cancun_mainnet);
  s.block.block_trace.txn_info[3].traces.push_back({.address = address_of(3), .self_destructed = true});
  BlockResult result = process_block(s.block);
  CHECK_FALSE(result.ok);
  CHECK(result.error == "txn 3: account " + eth::to_hex(address_of(3)) +
                            ": self-destruct of an account not created in this transaction: from Cancun it is not "
                            "deleted (EIP-6780)");

  // From Prague, an account that gets an EIP-7702 delegation was not created by it.
  Synthetic p = synthetic_block(true, prague_mainnet);
  Bytes delegation{0xef, 0x01, 0x00};
  delegation.resize(23, 0x42);
  p.block.block_trace.txn_info[3].traces.push_back(
      {.address = address_of(100), .nonce = eth::U256(101), .code_write = delegation, .self_destructed = true});
  result = process_block(p.block);
  CHECK_FALSE(result.ok);
  CHECK(result.error.find("self-destruct of an account not created in this transaction") != std::string::npos);
}

TEST_CASE("Traces: code a transaction runs is the account's own code", "[witness][stateless]") {
  Synthetic s = synthetic_block();
  SECTION("another code hash for an existing contract") {
    s.block.block_trace.txn_info[1].traces[1].code_read = eth::keccak256(Bytes{1});
  }
  SECTION("code for an account that does not exist") {
    s.block.block_trace.txn_info[0].traces.push_back({.address = address_of(11), .code_read = eth::keccak256(Bytes{1})});
  }
  BlockResult result = process_block(s.block);
  CHECK_FALSE(result.ok);
  CHECK(result.error.find("code_usage.read " + eth::to_hex(eth::keccak256(Bytes{1})) + " is not the account's code") !=
        std::string::npos);
}

TEST_CASE("Transaction outcome rules: a reverted transaction creates no account but the fee recipient",
          "[witness][stateless]") {
  // A new account that gains balance in a reverted transaction is a second balance change beside the sender's.
  Synthetic s = synthetic_block(true, prague_mainnet);
  s.block.block_trace.txn_info[4].traces.push_back(
      {.address = address_of(12), .balance = eth::U256(5), .nonce = eth::U256(1)});
  BlockResult result = process_block(s.block);
  CHECK_FALSE(result.ok);
  CHECK(result.error == "txn 4: accounts " + eth::to_hex(address_of(1)) + " and " + eth::to_hex(address_of(12)) +
                            " both change in a reverted transaction: only its sender and the fee recipient can");
}

TEST_CASE("Block accounting: empty transaction bytes, gas that overflows, proof-of-work blocks are refused",
          "[witness][stateless]") {
  Synthetic s = synthetic_block();
  SECTION("empty transaction bytes") {
    s.block.block_trace.txn_info[2].meta.byte_code.clear();
    CHECK(process_block(s.block).error == "txn 2: the transaction's bytes (byte_code) are empty");
  }
  SECTION("gas overflowing 64 bits") {
    s.block.block_trace.txn_info[1].meta.gas_used = UINT64_MAX;
    CHECK(process_block(s.block).error == "txn 1: the transactions' gas overflows 64 bits");
  }
  SECTION("a proof-of-work block") {
    s.block.other_data.b_data.b_meta.block_difficulty = 0x20000;
    CHECK(process_block(s.block).error.find("difficulty is not zero") == 0);
  }
}

TEST_CASE("Transaction outcome rules: before Prague a reverted transaction changes only its sender and the fee recipient",
          "[witness][stateless]") {
  Synthetic s = synthetic_block();
  TxnInfo& reverted = s.block.block_trace.txn_info[4];  // a's nonce rises by one: a is the sender
  SECTION("value moved to another existing account") {
    reverted.traces.push_back({.address = address_of(101), .balance = eth::U256(1000), .nonce = eth::U256(102)});
    CHECK(process_block(s.block).error == "txn 4: accounts " + eth::to_hex(address_of(1)) + " and " +
                                              eth::to_hex(address_of(101)) +
                                              " both change in a reverted transaction: only its sender and the fee "
                                              "recipient can");
  }
  SECTION("a sender whose nonce does not rise by one") {
    reverted.traces[0].nonce = eth::U256(12);
    CHECK(process_block(s.block).error == "txn 4: account " + eth::to_hex(address_of(1)) +
                                              " without code gains more than one nonce in one transaction");
  }
  SECTION("a sender whose balance rises") {
    reverted.traces[0].balance = eth::U256(9'000'000'000'000'000'001ULL);
    CHECK(process_block(s.block).error == "txn 4: the sender " + eth::to_hex(address_of(1)) +
                                              " gains balance in a reverted transaction");
  }
  SECTION("a fee recipient gaining more than the sender pays") {
    reverted.traces[2].balance = eth::U256(1001);  // h, the fee recipient; a pays 1000
    CHECK(process_block(s.block).error == "txn 4: the fee recipient gains more than the sender pays in a reverted "
                                          "transaction");
  }
  SECTION("a nonce-only change in a transaction that is not of type 4") {
    reverted.traces.push_back({.address = address_of(101), .nonce = eth::U256(102)});
    CHECK(process_block(s.block).error.find("both change in a reverted transaction") != std::string::npos);
  }
  SECTION("the fee recipient's nonce") {
    s.block.other_data.b_data.b_meta.block_beneficiary = address_of(101);
    reverted.traces.insert(reverted.traces.begin(), {.address = address_of(101), .nonce = eth::U256(102)});
    CHECK(process_block(s.block).error.find("both change in a reverted transaction") != std::string::npos);
  }
}

TEST_CASE("Nonces: every transaction raises some account's nonce by one, none falls, and before Prague an account "
          "without code gains at most one",
          "[witness][stateless]") {
  Synthetic s = synthetic_block();
  SECTION("no nonce rises") {
    s.block.block_trace.txn_info[0].traces[0].nonce.reset();
    CHECK(process_block(s.block).error ==
          "txn 0: no account's nonce rises by one: every transaction raises its sender's");
  }
  SECTION("an account without code gains several nonces") {
    s.block.block_trace.txn_info[0].traces[0].nonce = eth::U256(9);  // a: 5 -> 9
    CHECK(process_block(s.block).error == "txn 0: account " + eth::to_hex(address_of(1)) +
                                              " without code gains more than one nonce in one transaction");
  }
}

TEST_CASE("Transaction outcome rules: from Prague a reverted transaction changes no balance but its sender's and the "
          "fee recipient's",
          "[witness][stateless]") {
  Synthetic s = synthetic_block(true, prague_mainnet);
  TxnInfo& reverted = s.block.block_trace.txn_info[4];
  reverted.meta.byte_code[0] = 0x04;  // a type-4 (EIP-7702) transaction
  // An authority's nonce may rise by one (EIP-7702); a second balance may not move (a is the sender).
  reverted.traces.push_back({.address = address_of(101), .nonce = eth::U256(102)});
  reverted.traces.push_back({.address = address_of(102), .balance = eth::U256(1), .nonce = eth::U256(103)});
  reverted.traces.push_back({.address = address_of(103), .balance = eth::U256(1), .nonce = eth::U256(104)});
  CHECK(process_block(s.block).error == "txn 4: accounts " + eth::to_hex(address_of(1)) + " and " +
                                            eth::to_hex(address_of(102)) +
                                            " both change in a reverted transaction: only its sender and the fee "
                                            "recipient can");
}

TEST_CASE("A pre-state holding an empty account is refused (EIP-7523)", "[witness][stateless]") {
  Synthetic s = synthetic_block();
  s.pre.accounts[address_of(13)] = {};
  s.block.block_trace.trie_pre_images = CombinedPreImage{encode_compact(s.pre.pre_state())};
  BlockResult result = process_block(s.block);
  CHECK_FALSE(result.ok);
  CHECK(result.error.find("the pre-state holds an empty account (key " +
                          eth::to_hex(eth::account_key(address_of(13)))) == 0);
}

TEST_CASE("Code is set only at creation, or from Prague to an EIP-7702 delegation", "[witness][stateless]") {
  Bytes delegation = {0xef, 0x01, 0x00};
  delegation.resize(23, 0x42);
  SECTION("new code for an existing contract: refused") {
    Synthetic s = synthetic_block();
    s.block.block_trace.txn_info[1].traces[1].code_write = Bytes{0x60, 0x00};
    s.block.block_trace.txn_info[1].traces[1].nonce = eth::U256(1);
    CHECK(process_block(s.block).error.find("code_usage.write for an account that has code or a nonce") !=
          std::string::npos);
  }
  SECTION("a delegation before Prague: refused (EIP-3541: no new code starts with 0xef)") {
    Synthetic s = synthetic_block(true, cancun_mainnet);
    s.block.block_trace.txn_info[0].traces[0].code_write = delegation;
    CHECK(process_block(s.block).error.find("new code starting with 0xef is refused (EIP-3541)") != std::string::npos);
  }
  SECTION("code starting with 0xef: refused (EIP-3541)") {
    Synthetic s = synthetic_block();
    s.block.block_trace.txn_info[2].traces[1].code_write = Bytes{0xef, 0x00, 0x01};
    CHECK(process_block(s.block).error.find("new code starting with 0xef is refused (EIP-3541)") != std::string::npos);
  }
  SECTION("a delegation without the authority's nonce rising: refused") {
    Synthetic s = synthetic_block(true, prague_mainnet);
    s.block.block_trace.txn_info[0].traces[1].code_write = delegation;  // d: created by txn 0 with no nonce
    s.pre.accounts[address_of(4)] = {.nonce = 3, .balance = eth::U256(1)};
    s.block.block_trace.trie_pre_images = CombinedPreImage{encode_compact(s.pre.pre_state())};
    CHECK(process_block(s.block).error.find("code is set (code_usage.write) without the account's nonce rising") !=
          std::string::npos);
  }
  SECTION("a nonce that falls: refused") {
    Synthetic s = synthetic_block();
    s.block.block_trace.txn_info[0].traces[0].nonce = eth::U256(4);  // a had nonce 5
    CHECK(process_block(s.block).error.find("txn 0: account " + eth::to_hex(address_of(1)) + ": the nonce falls") == 0);
  }
  SECTION("a delegation of an account with a nonce, from Prague: set") {
    Synthetic s = synthetic_block(true, prague_mainnet);
    s.block.block_trace.txn_info[0].traces[0].code_write = delegation;
    s.post.set_code(address_of(1), delegation);
    BlockResult result = process_block(s.block);
    INFO(result.error);
    REQUIRE(result.ok);
    CHECK(result.state_root == s.post.root());
  }
}

TEST_CASE("A receipt status other than 0 or 1 is refused (EIP-658)", "[witness][stateless]") {
  Synthetic s = synthetic_block();
  Bytes status = eth::rlp_uint(uint64_t{2}), gas = eth::rlp_uint(uint64_t{21000});
  s.block.block_trace.txn_info[0].meta.new_receipt_trie_node_byte =
      eth::rlp_list({status, gas, eth::rlp_string(Bytes(256, 0)), eth::rlp_list({})});
  CHECK(process_block(s.block).error == "txn 0: receipt: receipt status is neither 0 nor 1 (EIP-658)");
}

TEST_CASE("Fork rules: each fork's system writes, by the chain's schedule or by the fields present",
          "[witness][stateless]") {
  for (SyntheticFork fork : {SyntheticFork{}, shanghai_mainnet, cancun_mainnet, prague_mainnet}) {
    INFO("fork " << eth::fork_name(fork.fork) << " chain " << fork.chain_id);
    Synthetic s = synthetic_block(true, fork);
    BlockResult result = process_block(s.block);
    INFO(result.error);
    REQUIRE(result.ok);
    CHECK(result.state_root == s.post.root());  // Shanghai: the beacon contract exists but is not written
    CHECK(result.rules.rfind(std::string(eth::fork_name(fork.fork)), 0) == 0);
    CHECK(result.rules.find(fork.chain_id == 1 ? "mainnet schedule" : "by fields") != std::string::npos);
  }
}

TEST_CASE("Fork rules: fields that contradict the schedule, and forks not supported, are errors",
          "[witness][stateless]") {
  SECTION("a mainnet Cancun block without the Cancun fields") {
    Synthetic s = synthetic_block(true, cancun_mainnet);
    s.block.other_data.b_data.b_meta.parent_beacon_block_root.reset();
    s.block.other_data.b_data.b_meta.block_blob_gas_used.reset();
    s.block.other_data.b_data.b_meta.block_excess_blob_gas.reset();
    BlockResult result = process_block(s.block);
    CHECK_FALSE(result.ok);
    CHECK(result.error.find("a cancun (mainnet schedule) block lacks the Cancun fields") == 0);
  }
  SECTION("a mainnet Shanghai block with the Cancun fields") {
    Synthetic s = synthetic_block(true, shanghai_mainnet);
    s.block.other_data.b_data.b_meta.parent_beacon_block_root = H256{};
    s.block.other_data.b_data.b_meta.block_blob_gas_used = 0;
    s.block.other_data.b_data.b_meta.block_excess_blob_gas = 0;
    CHECK(process_block(s.block).error.find("must not have the Cancun fields") != std::string::npos);
  }
  SECTION("some Cancun fields without the others") {
    Synthetic s = synthetic_block();
    s.block.other_data.b_data.b_meta.block_excess_blob_gas.reset();
    CHECK(process_block(s.block).error.find("come together (Cancun): some are missing") != std::string::npos);
  }
  SECTION("a mainnet block before Shanghai") {
    Synthetic s = synthetic_block(true, {eth::Fork::shanghai, 1, 1'600'000'000});
    s.block.other_data.b_data.b_meta.parent_beacon_block_root.reset();
    s.block.other_data.b_data.b_meta.block_blob_gas_used.reset();
    s.block.other_data.b_data.b_meta.block_excess_blob_gas.reset();
    CHECK(process_block(s.block).error.find("before Shanghai on mainnet: forks before Shanghai are not supported") !=
          std::string::npos);
  }
}

TEST_CASE("Prague: request queues that the system calls would change are refused, never processed wrong",
          "[witness][stateless]") {
  SECTION("a pending EIP-7002 withdrawal request") {
    Synthetic s = synthetic_block(true, prague_mainnet);
    s.pre.storage[withdrawal_request_address][slot(1)] = 1;  // the request count
    s.block.block_trace.trie_pre_images = CombinedPreImage{encode_compact(s.pre.pre_state())};
    BlockResult result = process_block(s.block);
    CHECK_FALSE(result.ok);
    CHECK(result.error.find("EIP-7002 request queue system call: storage slot 1 is non-zero") == 0);
  }
  SECTION("no code at the EIP-7251 address") {
    Synthetic s = synthetic_block(true, prague_mainnet);
    s.pre.accounts.erase(consolidation_request_address);
    s.block.block_trace.trie_pre_images = CombinedPreImage{encode_compact(s.pre.pre_state())};
    CHECK(process_block(s.block).error.find("EIP-7251 request queue system call: no code at") == 0);
  }
}

TEST_CASE("Every real block with a header reproduces the header's state, receipts and transactions roots",
          "[witness][stateless][shared]") {
  if (!test::have_shared_witnesses()) return;
  std::vector<test::ManifestRow> rows = test::read_manifest();
  std::map<std::string, std::vector<BlockResult>> by_file;
  std::map<std::string, std::vector<BlockWitness>> witnesses;
  for (const test::ManifestRow& row : rows) {
    if (by_file.count(row.file)) continue;
    witnesses[row.file] = parse_file(test::shared_witnesses_dir() / row.file);
    by_file[row.file] = process_all(witnesses[row.file]);
  }
  std::vector<BlockHeader> headers = read_headers(test::shared_witnesses_dir());
  int compared = 0;
  for (const test::ManifestRow& row : rows) {
    INFO(row.file << " block " << row.block);
    REQUIRE(row.index < by_file[row.file].size());
    const BlockResult& result = by_file[row.file][row.index];
    INFO(result.error);
    REQUIRE(result.ok);
    CHECK(result.block == row.block);
    const BlockHeader* header = find_header(headers, witnesses[row.file][row.index]);
    if (row.header_file.empty()) {
      CHECK(header == nullptr);
      continue;
    }
    CHECK(result.pre_state_matches_checkpoint);
    CHECK(eth::to_hex(result.state_root) == row.state_root);
    CHECK(eth::to_hex(result.receipts_root) == row.receipts_root);
    CHECK(eth::to_hex(result.transactions_root) == row.transactions_root);
    REQUIRE(header != nullptr);
    CHECK(compare_with_header(result, *header) == "");
    ++compared;
  }
  CHECK(compared == 9);
}

TEST_CASE("Real witnesses: a changed storage write or a flipped pre-image byte no longer matches the header",
          "[witness][stateless][shared]") {
  if (!test::have_shared_witnesses()) return;
  std::vector<BlockHeader> headers = read_headers(test::shared_witnesses_dir() / "b2841_dev_header.json");
  std::vector<BlockWitness> blocks = parse_file(test::shared_witnesses_dir() / "b2841_dev.json");
  REQUIRE(blocks.size() == 1);
  const BlockHeader* header = find_header(headers, blocks[0]);
  REQUIRE(header);

  // The block's last storage write (a later one cannot overwrite it).
  BlockWitness changed = blocks[0];
  AccountTrace* last_writer = nullptr;
  for (TxnInfo& txn : changed.block_trace.txn_info)
    for (AccountTrace& trace : txn.traces)
      if (!trace.storage_written.empty()) last_writer = &trace;
  REQUIRE(last_writer);
  last_writer->storage_written.back().second = last_writer->storage_written.back().second + eth::U256(1);
  BlockResult result = process_block(changed);
  INFO(result.error);
  CHECK(compare_with_header(result, *header).rfind("state root", 0) == 0);

  BlockWitness flipped = blocks[0];
  Bytes& compact = std::get<CombinedPreImage>(flipped.block_trace.trie_pre_images).compact;
  compact[compact.size() / 2] ^= 0x01;
  result = process_block(flipped);
  CHECK((!result.ok || !result.pre_state_matches_checkpoint || !compare_with_header(result, *header).empty()));

  // An account the pre-image does not expand: the failing transaction and key are named.
  BlockWitness missing = blocks[0];
  REQUIRE_FALSE(missing.block_trace.txn_info.empty());
  Address stranger{};
  stranger.fill(0x5a);
  missing.block_trace.txn_info[0].traces.push_back({.address = stranger, .balance = eth::U256(1)});
  result = process_block(missing);
  CHECK_FALSE(result.ok);
  CHECK(result.error.rfind("txn 0: account " + eth::to_hex(stranger) +
                               ": witness lacks the trie node needed for key " +
                               eth::to_hex(eth::account_key(stranger)),
                           0) == 0);
}
