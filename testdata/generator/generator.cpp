#include "generator.hpp"

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <set>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "eth/account.hpp"
#include "eth/keccak.hpp"
#include "eth/mpt.hpp"
#include "eth/rlp.hpp"
#include "witness/compact.hpp"
#include "witness/stateless.hpp"

namespace witprove::generator {

using eth::Account;
using eth::ByteView;
using eth::Nibbles;
using witness::AccountTrace;
using witness::PreState;

namespace {

// ---- fixed chain facts -----------------------------------------------------------------------------

// EIP-4788 beacon roots contract's runtime code (address and ring buffer length: witness/stateless.hpp).
const Bytes& beacon_roots_code() {
  static const Bytes code = *eth::hex_to_bytes(
      "3373fffffffffffffffffffffffffffffffffffffffe14604d57602036146024575f5ffd5b5f35801560495762001fff810690815414"
      "603c575f5ffd5b62001fff01545f5260205ff35b5f5ffd5b62001fff42064281555f359062001fff015500");
  return code;
}
// EIP-2935 history contract's runtime code (address and serve window: witness/stateless.hpp).
const Bytes& history_storage_code() {
  static const Bytes code = *eth::hex_to_bytes(
      "3373fffffffffffffffffffffffffffffffffffffffe14604657602036036042575f35600143038111604257611fff81430311604257"
      "611fff9006545f5260205ff35b5f5ffd5b5f35611fff60014303065500");
  return code;
}
// Stand-in runtime code for the EIP-7002 / EIP-7251 queue contracts: processing needs only that code is there
// and that the queues' storage is empty, which it is in a generated chain (no requests are made).
const Bytes& request_queue_code(uint8_t tag) {
  static const Bytes withdrawal = {0x60, 0x02, 0x5f, 0x55, 0x00}, consolidation = {0x60, 0x51, 0x5f, 0x55, 0x00};
  return tag == 2 ? withdrawal : consolidation;
}
constexpr uint64_t cancun_devnet_chain_id = 3151908;
constexpr uint64_t cancun_devnet_genesis_time = 1720000000;
constexpr uint64_t shanghai_mainnet_time = 1700000000;  // mainnet, before Cancun (1710338135)
constexpr uint64_t prague_mainnet_time = 1750000000;    // mainnet, after Prague (1746612311)
// EIP-7685: sha256 of no requests, the requests hash of a block that makes none.
constexpr H256 empty_requests_hash =
    eth::fixed_from_hex<32>("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
constexpr uint64_t gwei = 1'000'000'000;
constexpr H256 empty_ommers_hash =
    eth::fixed_from_hex<32>("1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347");

// ---- randomness: splitmix64, the same numbers on every platform --------------------------------------

struct Rng {
  uint64_t state;

  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return n ? next() % n : 0; }
  uint64_t between(uint64_t lo, uint64_t hi) { return lo + below(hi - lo + 1); }
  bool percent(uint64_t p) { return below(100) < p; }
  template <size_t N>
  std::array<uint8_t, N> fixed() {
    std::array<uint8_t, N> out;
    for (size_t i = 0; i < N; i += 8) {
      uint64_t v = next();
      std::memcpy(out.data() + i, &v, std::min<size_t>(8, N - i));
    }
    return out;
  }
  Bytes bytes(size_t n) {
    Bytes out(n);
    for (auto& b : out) b = static_cast<uint8_t>(next());
    return out;
  }
  template <class T>
  const T& pick(const std::vector<T>& v) { return v[below(v.size())]; }
  // A storage value: small counters, addresses, packed words.
  U256 value() {
    switch (below(3)) {
      case 0: return U256(between(1, 1000));
      case 1: return eth::u256_from_be_bytes(fixed<20>());
      default: {
        U256 v = eth::u256_from_be_bytes(fixed<32>());
        return v.is_zero() ? U256(1) : v;
      }
    }
  }
  // A storage slot: a low index, or a mapping entry (a hash).
  H256 slot() { return percent(30) ? eth::to_be_bytes32(U256(below(16))) : fixed<32>(); }
};

struct AddressHash {
  size_t operator()(const Address& a) const noexcept {
    size_t v;
    std::memcpy(&v, a.data(), sizeof v);
    return v;
  }
};

// ---- partial tries -----------------------------------------------------------------------------------

// The hash a parent refers to `node` by, or nothing when `node` is embedded (its encoding is under 32 bytes).
// Read from the reference cached when the trie's root hash was computed.
std::optional<H256> child_hash(const eth::TrieNode& node) {
  if (node.ref_size == 0) throw std::logic_error("generator: trie node reference not computed");
  if (node.ref_size < 32) return std::nullopt;
  H256 hash;
  std::copy(node.ref.begin() + 1, node.ref.end(), hash.begin());
  return hash;
}

// Copies `node` (at nibble position `depth`), expanding the nodes on the way to each path in `wanted` and
// the node at the end of each (a wanted path may be shorter than a key: it names the node at that position);
// every other subtree becomes its hash. The node at `leave_hashed`, when given, stays hashed.
eth::TrieNodePtr prune(const eth::TrieNode& node, size_t depth, const std::vector<const Nibbles*>& wanted,
                       const Nibbles* leave_hashed) {
  auto hashed_or_copy = [&](const eth::TrieNode& n) {
    std::optional<H256> hash = child_hash(n);
    return hash ? eth::make_hashed(*hash) : eth::clone_node(n);
  };
  if (wanted.empty()) return hashed_or_copy(node);
  if (leave_hashed && leave_hashed->size() == depth) {
    bool here = std::equal(leave_hashed->begin(), leave_hashed->end(), wanted.front()->begin());
    if (here) return hashed_or_copy(node);
  }
  // The wanted paths that go on to the child at `child_depth` through `step`.
  auto through = [&](std::span<const uint8_t> step, size_t child_depth) {
    std::vector<const Nibbles*> out;
    for (const Nibbles* w : wanted)
      if (w->size() >= child_depth && std::equal(step.begin(), step.end(), w->begin() + static_cast<ptrdiff_t>(depth)))
        out.push_back(w);
    return out;
  };
  switch (node.kind) {
    case eth::TrieNode::Kind::leaf:
    case eth::TrieNode::Kind::hashed:
      return eth::clone_node(node);
    case eth::TrieNode::Kind::extension: {
      const eth::TrieNode& child = *node.children[0];
      return eth::make_extension(node.path,
                                 prune(child, depth + node.path.size(), through(node.path, depth + node.path.size()),
                                       leave_hashed));
    }
    case eth::TrieNode::Kind::branch: {
      eth::TrieNodePtr out = eth::make_branch();
      out->value = node.value;
      for (uint8_t i = 0; i < 16; ++i) {
        if (!node.children[i]) continue;
        uint8_t step[1] = {i};
        out->children[i] = prune(*node.children[i], depth + 1, through(step, depth + 1), leave_hashed);
      }
      return out;
    }
  }
  return nullptr;
}

eth::Trie prune_trie(eth::Trie& full, const std::vector<Nibbles>& wanted, const Nibbles* leave_hashed = nullptr) {
  if (full.empty()) return eth::Trie();
  H256 root_hash = full.root_hash();  // also caches every node's reference
  if (wanted.empty()) return eth::Trie(eth::make_hashed(root_hash));
  std::vector<const Nibbles*> paths;
  for (const Nibbles& w : wanted) paths.push_back(&w);
  return eth::Trie(prune(*full.root(), 0, paths, leave_hashed));
}

// Where a deletion of `key` may need more than its path: when the branch holding the key's leaf has just one
// other child, that branch collapses and the sibling must be known. The sibling's position, if so.
std::optional<Nibbles> collapse_sibling(const eth::Trie& trie, const H256& key) {
  Nibbles nibbles = eth::to_nibbles(key), at;
  const eth::TrieNode* node = trie.root();
  std::optional<Nibbles> sibling;
  while (node && at.size() < nibbles.size()) {
    if (node->kind == eth::TrieNode::Kind::branch) {
      uint8_t next = nibbles[at.size()];
      int others = 0, other = 0;
      for (int i = 0; i < 16; ++i)
        if (node->children[i] && i != next) ++others, other = i;
      sibling.reset();
      if (others == 1) {
        sibling = at;
        sibling->push_back(static_cast<uint8_t>(other));
      }
      at.push_back(next);
      node = node->children[next].get();
    } else if (node->kind == eth::TrieNode::Kind::extension) {
      at.insert(at.end(), node->path.begin(), node->path.end());
      node = node->children[0].get();
    } else {
      break;
    }
  }
  return sibling;
}

// Where the leaf holding `key` starts in `trie`.
Nibbles leaf_position(const eth::Trie& trie, const H256& key) {
  Nibbles nibbles = eth::to_nibbles(key), at;
  const eth::TrieNode* node = trie.root();
  while (node && node->kind != eth::TrieNode::Kind::leaf) {
    if (node->kind == eth::TrieNode::Kind::branch) {
      at.push_back(nibbles[at.size()]);
      node = node->children[at.back()].get();
    } else if (node->kind == eth::TrieNode::Kind::extension) {
      at.insert(at.end(), node->path.begin(), node->path.end());
      node = node->children[0].get();
    } else {
      break;
    }
  }
  return at;
}

witness::DirectTrie direct_trie(const eth::Trie& trie) {
  witness::DirectTrie out;
  auto add = [&](auto&& self, const eth::TrieNode* node) -> uint32_t {
    auto index = static_cast<uint32_t>(out.nodes.size());
    out.nodes.emplace_back();
    if (!node) return index;
    witness::TrieNode n;
    switch (node->kind) {
      case eth::TrieNode::Kind::hashed:
        n.kind = witness::TrieNode::Kind::hash;
        n.hash = node->hash;
        break;
      case eth::TrieNode::Kind::leaf:
        n.kind = witness::TrieNode::Kind::leaf;
        n.nibbles = node->path;
        n.value = node->value;
        break;
      case eth::TrieNode::Kind::extension:
        n.kind = witness::TrieNode::Kind::extension;
        n.nibbles = node->path;
        n.child = self(self, node->children[0].get());
        break;
      case eth::TrieNode::Kind::branch:
        n.kind = witness::TrieNode::Kind::branch;
        n.value = node->value;
        for (size_t i = 0; i < 16; ++i) n.children[i] = self(self, node->children[i].get());
        break;
    }
    out.nodes[index] = std::move(n);
    return index;
  };
  add(add, trie.root());
  return out;
}

// ---- the full chain state, and what a block does to it ---------------------------------------------

// One trie access of a block, replayed on the partial pre-state to find the nodes the witness must hold.
struct TrieOp {
  enum class Kind : uint8_t { get, put, erase, drop_storage } kind = Kind::get;
  std::optional<H256> owner;  // the account whose storage trie; none: the state trie
  H256 key{};                 // hashed address or hashed slot
  Bytes value;                // put
  int64_t stage = 0;          // transaction index; -1: the EIP-4788 write; transaction count + i: withdrawal i
  bool by_processor = true;   // false for a storage read, which only the EVM needs
};

struct Ledger {
  eth::Trie state;
  std::unordered_map<H256, eth::Trie, eth::H256Hash> storage;  // by hashed address
  witness::CodeTable code;
  std::vector<Address> eoas, contracts;  // for picking: live accounts of each kind
  std::unordered_map<Address, std::vector<H256>, AddressHash> slots;  // live storage slots of each contract
  // The block being built: the tries as they were before it, and its accesses.
  eth::Trie pre_state;
  std::unordered_map<H256, eth::Trie, eth::H256Hash> pre_storage;
  std::vector<TrieOp> ops;
  std::vector<H256> code_read;
  int64_t stage = 0;

  void begin_block() {
    state.root_hash();  // so that the copy has every node's reference cached
    pre_state = eth::clone(state);
    pre_storage.clear();
    ops.clear();
    code_read.clear();
  }

  void log(TrieOp::Kind kind, std::optional<H256> owner, const H256& key, Bytes value = {}, bool by_processor = true) {
    ops.push_back({kind, owner, key, std::move(value), stage, by_processor});
  }

  eth::Trie& storage_of(const H256& owner) {
    if (!pre_storage.contains(owner)) {
      auto it = storage.find(owner);
      pre_storage.emplace(owner, it == storage.end() ? eth::Trie() : eth::clone(it->second));
    }
    return storage[owner];
  }

  std::optional<Account> get_account(const Address& address) {
    H256 key = eth::account_key(address);
    log(TrieOp::Kind::get, std::nullopt, key);
    const Bytes* value = state.get(key);
    if (!value) return std::nullopt;
    return eth::decode_account(*value);
  }
  void put_account(const Address& address, const Account& account) {
    H256 key = eth::account_key(address);
    Bytes value = eth::encode_account(account);
    state.put(key, value);
    log(TrieOp::Kind::put, std::nullopt, key, std::move(value));
  }
  void remove_account(const Address& address) {
    H256 key = eth::account_key(address);
    state.erase(key);
    storage_of(key);  // keep its storage as the block found it
    storage.erase(key);
    log(TrieOp::Kind::erase, std::nullopt, key);
    log(TrieOp::Kind::drop_storage, key, key);
    slots.erase(address);
  }
  U256 read_slot(const Address& address, const H256& slot) {
    H256 owner = eth::account_key(address), key = eth::storage_key(slot);
    log(TrieOp::Kind::get, owner, key, {}, false);
    const Bytes* value = storage_of(owner).get(key);
    return value ? eth::decode_storage_value(*value) : U256();
  }
  void write_slot(const Address& address, const H256& slot, const U256& value) {
    H256 owner = eth::account_key(address), key = eth::storage_key(slot);
    eth::Trie& trie = storage_of(owner);
    if (value.is_zero()) {
      trie.erase(key);
      log(TrieOp::Kind::erase, owner, key);
    } else {
      Bytes encoded = eth::encode_storage_value(value);
      trie.put(key, encoded);
      log(TrieOp::Kind::put, owner, key, std::move(encoded));
    }
  }
  H256 storage_root(const Address& address) {
    auto it = storage.find(eth::account_key(address));
    return it == storage.end() ? eth::empty_trie_root : it->second.root_hash();
  }
};

// A trie access the partial pre-state could not make.
struct Missing {
  std::optional<H256> owner;
  Nibbles path;
  int64_t stage = 0;
  H256 key{};
};

// Replays the block's accesses on a copy of the partial pre-state; the first that reaches a hashed node.
std::optional<Missing> replay(const PreState& partial, const std::vector<TrieOp>& ops, bool processor_only,
                              eth::Trie* final_state = nullptr) {
  eth::Trie state = eth::clone(partial.state);
  std::unordered_map<H256, eth::Trie, eth::H256Hash> storage;
  for (const auto& [owner, trie] : partial.storage) storage.emplace(owner, eth::clone(trie));
  for (const TrieOp& op : ops) {
    if (processor_only && !op.by_processor) continue;
    eth::Trie& trie = op.owner ? storage[*op.owner] : state;
    try {
      switch (op.kind) {
        case TrieOp::Kind::get: trie.get(op.key); break;
        case TrieOp::Kind::put: trie.put(op.key, op.value); break;
        case TrieOp::Kind::erase: trie.erase(op.key); break;
        case TrieOp::Kind::drop_storage: storage.erase(op.key); break;
      }
    } catch (const eth::MissingTrieNode& e) {
      return Missing{op.owner, e.path, op.stage, op.key};
    }
  }
  if (final_state) *final_state = std::move(state);
  return std::nullopt;
}

// ---- transactions ------------------------------------------------------------------------------------

// One account in one transaction: as the transaction found it and as it leaves it.
struct Touch {
  Address address{};
  std::optional<Account> before, after;  // after: nullopt when removed, or never created
  size_t get_op = 0;                     // index of the access that read it
  std::vector<std::pair<H256, U256>> written;
  std::vector<H256> read;
  std::optional<H256> code_read;
  std::optional<Bytes> code_write;
  bool self_destructed = false;
  bool listed_uncreated = false;  // a failed transaction's recipient that did not exist: listed with balance 0
};

struct Log {
  Address address{};
  std::vector<H256> topics;
  Bytes data;
};

void add_to_bloom(std::array<uint8_t, 256>& bloom, ByteView item) {
  H256 h = eth::keccak256(item);
  for (size_t i = 0; i < 6; i += 2) {
    unsigned bit = ((h[i] << 8) | h[i + 1]) & 2047;
    bloom[255 - bit / 8] |= static_cast<uint8_t>(1u << (bit % 8));
  }
}

Bytes rlp_list_of(const std::vector<Bytes>& items) {
  size_t length = 0;
  for (const Bytes& item : items) length += item.size();
  Bytes out;
  eth::rlp_append_list_header(out, length);
  for (const Bytes& item : items) eth::rlp_append_raw(out, item);
  return out;
}

struct BlockContext {
  uint64_t chain_id = 0;
  U256 base_fee;
  Address beneficiary{};
};

class TxBuilder {
 public:
  TxBuilder(Ledger& ledger, Rng& rng, const BlockContext& block) : ledger_(ledger), rng_(rng), block_(block) {}

  Touch& touch(const Address& address) {
    for (Touch& t : touches_)
      if (t.address == address) return t;
    Touch& t = touches_.emplace_back();
    t.address = address;
    t.get_op = ledger_.ops.size();
    t.before = ledger_.get_account(address);
    t.after = t.before;
    return t;
  }
  Account& live(const Address& address) {
    Touch& t = touch(address);
    if (!t.after) t.after = Account{};
    return *t.after;
  }

  // Fills the transaction's fields and charges the sender. When it succeeds, value moves to `recipient`
  // (`to`, or the created contract).
  void pay(const Address& sender, std::optional<Address> to, const U256& value, uint64_t gas, Bytes data,
           bool succeeded, std::optional<Address> recipient = std::nullopt) {
    if (!recipient) recipient = to;
    gas_used_ = gas;
    succeeded_ = succeeded;
    to_ = to;
    value_ = value;
    data_ = std::move(data);
    Account& s = live(sender);
    nonce_ = s.nonce;
    tip_ = U256(rng_.between(1, 3) * gwei);
    U256 price = block_.base_fee + tip_;
    s.balance = s.balance - U256(gas) * price;
    s.nonce += 1;
    if (succeeded && recipient && !value.is_zero()) {
      s.balance = s.balance - value;
      Account& r = live(*recipient);
      r.balance = r.balance + value;
    }
  }

  void log(const Address& address, std::vector<H256> topics, Bytes data) {
    logs_.push_back({address, std::move(topics), std::move(data)});
  }

  // Applies the transaction to the ledger; returns its trace, bytes and receipt.
  witness::TxnInfo commit(uint64_t cumulative_gas, std::array<uint8_t, 256>& block_bloom) {
    // The block's fee recipient is credited last, as clients do.
    Account& beneficiary = live(block_.beneficiary);
    beneficiary.balance = beneficiary.balance + U256(gas_used_) * tip_;
    witness::TxnInfo info;
    for (Touch& t : touches_) {
      AccountTrace trace;
      trace.address = t.address;
      if (t.after) {
        // What changed; a new account starts from zero.
        Account before = t.before.value_or(Account{});
        if (t.after->balance != before.balance) trace.balance = t.after->balance;
        if (t.after->nonce != before.nonce) trace.nonce = U256(t.after->nonce);
      } else if (t.listed_uncreated || (t.before && !t.self_destructed)) {
        trace.balance = U256(0);  // a failed transfer's new recipient, or an empty account removed (EIP-161)
      } else if (t.self_destructed && t.before && !t.before->balance.is_zero()) {
        trace.balance = U256(0);
      }
      trace.storage_read = t.read;
      trace.storage_written = t.written;
      trace.code_read = t.code_read;
      trace.code_write = t.code_write;
      trace.self_destructed = t.self_destructed;
      bool writes = trace.balance || trace.nonce || !trace.storage_written.empty() || trace.code_read || trace.code_write;
      if (!writes && !trace.self_destructed) ledger_.ops[t.get_op].by_processor = false;

      if (t.after) {
        for (const auto& [slot, value] : t.written) ledger_.write_slot(t.address, slot, value);
        Account account = *t.after;
        if (t.code_write) {
          account.code_hash = eth::keccak256(*t.code_write);
          ledger_.code.emplace(account.code_hash, *t.code_write);
        }
        account.storage_root = ledger_.storage_root(t.address);
        ledger_.put_account(t.address, account);
      } else if (t.before) {
        ledger_.remove_account(t.address);
      }
      if (t.code_read) ledger_.code_read.push_back(*t.code_read);
      info.traces.push_back(std::move(trace));
    }
    info.meta.byte_code = transaction_bytes();
    info.meta.new_receipt_trie_node_byte = receipt_bytes(cumulative_gas + gas_used_, block_bloom);
    info.meta.gas_used = gas_used_;
    return info;
  }

  uint64_t gas_used() const { return gas_used_; }
  // What the receipts trie stores: the receipt without the typed wrapping.
  const Bytes& receipt_trie_value() const { return receipt_trie_value_; }

 private:
  Bytes transaction_bytes() {
    uint64_t gas_limit = gas_used_ + rng_.below(gas_used_ / 4 + 1);
    Bytes to = to_ ? eth::rlp_string(*to_) : eth::rlp_string({});
    Bytes r = eth::rlp_string(rng_.fixed<32>()), s = eth::rlp_string(rng_.fixed<32>());
    uint64_t parity = rng_.below(2);
    U256 price = block_.base_fee + tip_;
    legacy_ = rng_.percent(25);
    if (legacy_) {  // EIP-155
      return rlp_list_of({eth::rlp_uint(nonce_), eth::rlp_uint(price), eth::rlp_uint(gas_limit), to,
                          eth::rlp_uint(value_), eth::rlp_string(data_),
                          eth::rlp_uint(block_.chain_id * 2 + 35 + parity), r, s});
    }
    Bytes out{0x02};  // EIP-1559
    U256 max_fee = price + U256(rng_.below(5) * gwei);
    Bytes body = rlp_list_of({eth::rlp_uint(block_.chain_id), eth::rlp_uint(nonce_), eth::rlp_uint(tip_),
                              eth::rlp_uint(max_fee), eth::rlp_uint(gas_limit), to, eth::rlp_uint(value_),
                              eth::rlp_string(data_), rlp_list_of({}), eth::rlp_uint(parity), r, s});
    out.insert(out.end(), body.begin(), body.end());
    return out;
  }

  // A legacy receipt is its bare RLP list; a typed one an RLP string holding type || rlp(receipt).
  Bytes receipt_bytes(uint64_t cumulative_gas, std::array<uint8_t, 256>& block_bloom) {
    std::array<uint8_t, 256> bloom{};
    std::vector<Bytes> logs;
    if (succeeded_) {
      for (const Log& l : logs_) {
        add_to_bloom(bloom, l.address);
        std::vector<Bytes> topics;
        for (const H256& t : l.topics) {
          add_to_bloom(bloom, t);
          topics.push_back(eth::rlp_string(t));
        }
        logs.push_back(rlp_list_of({eth::rlp_string(l.address), rlp_list_of(topics), eth::rlp_string(l.data)}));
      }
    }
    for (size_t i = 0; i < bloom.size(); ++i) block_bloom[i] |= bloom[i];
    Bytes receipt = rlp_list_of({eth::rlp_uint(succeeded_ ? 1 : 0), eth::rlp_uint(cumulative_gas),
                                 eth::rlp_string(bloom), rlp_list_of(logs)});
    if (legacy_) {
      receipt_trie_value_ = receipt;
      return receipt;
    }
    receipt_trie_value_ = {0x02};
    receipt_trie_value_.insert(receipt_trie_value_.end(), receipt.begin(), receipt.end());
    return eth::rlp_string(receipt_trie_value_);
  }

  Ledger& ledger_;
  Rng& rng_;
  const BlockContext& block_;
  std::deque<Touch> touches_;  // references stay valid as accounts are added
  std::vector<Log> logs_;
  uint64_t gas_used_ = 0;
  bool succeeded_ = true;
  bool legacy_ = false;
  std::optional<Address> to_;
  U256 value_, tip_;
  uint64_t nonce_ = 0;
  Bytes data_;
  Bytes receipt_trie_value_;
};

Bytes random_code(Rng& rng) {
  Bytes code{0x60, 0x80, 0x60, 0x40, 0x52};  // the usual Solidity prologue: mstore(0x40, 0x80)
  Bytes body = rng.bytes(rng.between(40, 400));
  code.insert(code.end(), body.begin(), body.end());
  return code;
}

// Call data: a 4-byte selector and some 32-byte words.
Bytes call_data(Rng& rng, size_t words) {
  Bytes data = rng.bytes(4);
  for (size_t i = 0; i < words; ++i) {
    H256 w{};
    size_t significant = rng.between(1, 32);
    Bytes b = rng.bytes(significant);
    std::copy(b.begin(), b.end(), w.end() - static_cast<ptrdiff_t>(significant));
    data.insert(data.end(), w.begin(), w.end());
  }
  return data;
}

uint64_t calldata_gas(const Bytes& data) {
  uint64_t gas = 0;
  for (uint8_t b : data) gas += b ? 16 : 4;
  return gas;
}

H256 keccak_text(std::string_view text) {
  return eth::keccak256(ByteView(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

H256 padded(const Address& a) {
  H256 out{};
  std::copy(a.begin(), a.end(), out.begin() + 12);
  return out;
}

void remove_from(std::vector<Address>& v, const Address& a) {
  auto it = std::find(v.begin(), v.end(), a);
  if (it != v.end()) {
    *it = v.back();
    v.pop_back();
  }
}

class ChainGenerator {
 public:
  explicit ChainGenerator(const Options& o) : options_(o), rng_{o.seed * 0x2545f4914f6cdd1dull + 1} {}

  BrokenBlock run(const BlockSink& emit) {
    genesis();
    for (uint64_t i = 0; i < options_.blocks; ++i) block(options_.first_block + i, i + 1 == options_.blocks, emit);
    return broken_;
  }

 private:
  void deploy(const Address& address, const Bytes& code) {
    Account contract;
    contract.code_hash = eth::keccak256(code);
    contract.nonce = 1;
    ledger_.code.emplace(contract.code_hash, code);
    ledger_.put_account(address, contract);
  }

  bool cancun() const { return options_.fork >= eth::Fork::cancun; }
  bool prague() const { return options_.fork >= eth::Fork::prague; }

  void genesis() {
    if (cancun()) deploy(witness::beacon_roots_address, beacon_roots_code());
    if (prague()) {
      deploy(witness::history_storage_address, history_storage_code());
      deploy(witness::withdrawal_request_address, request_queue_code(2));
      deploy(witness::consolidation_request_address, request_queue_code(51));
    }
    for (int i = 0; i < 4; ++i) validators_.push_back(rng_.fixed<20>());
    for (uint64_t i = 0; i < options_.accounts; ++i) {
      Address a = rng_.fixed<20>();
      Account account;
      uint64_t kind = rng_.below(100);
      // No empty accounts: none exist after the merge (EIP-7523), and processing refuses a pre-state with one.
      if (kind < 30) {
        Bytes code = random_code(rng_);
        account.code_hash = eth::keccak256(code);
        account.nonce = 1;
        account.balance = U256(rng_.below(1000)) * U256(gwei);
        ledger_.code.emplace(account.code_hash, std::move(code));
        std::vector<H256>& slots = ledger_.slots[a];
        for (uint64_t s = rng_.between(1, 40); s > 0; --s) {
          H256 slot = rng_.slot();
          if (std::find(slots.begin(), slots.end(), slot) != slots.end()) continue;
          ledger_.write_slot(a, slot, rng_.value());
          slots.push_back(slot);
        }
        account.storage_root = ledger_.storage_root(a);
        ledger_.contracts.push_back(a);
      } else {
        account.nonce = rng_.below(50);
        account.balance = U256(rng_.between(100, 100000)) * U256(1'000'000'000'000'000'000ull);
        ledger_.eoas.push_back(a);
      }
      ledger_.put_account(a, account);
    }
    if (ledger_.eoas.empty()) {  // there must be someone to send transactions
      Address a = rng_.fixed<20>();
      ledger_.put_account(a, Account{.nonce = 0, .balance = U256(1'000'000'000'000'000'000ull) * U256(1000)});
      ledger_.eoas.push_back(a);
    }
    // Hashes of the blocks before the first: made up, zero before genesis.
    for (uint64_t back = 256; back > 0; --back) {
      bool exists = options_.first_block >= back;
      uint64_t n = exists ? options_.first_block - back : 0;
      hashes_.push_back(exists ? eth::keccak256(eth::rlp_list({eth::rlp_uint(options_.seed), eth::rlp_uint(n)}))
                               : H256{});
    }
  }

  // A sender that can pay for what it sends (0.1 ether covers any transaction made here): a random one, or
  // when those tried are poor (accounts made by small transfers), the first that can.
  Address sender() {
    auto can_pay = [&](const Address& a) {
      const Bytes* value = ledger_.state.get(eth::account_key(a));
      return value && eth::decode_account(*value).balance >= U256(100'000'000'000'000'000ull);
    };
    for (int attempt = 0; attempt < 16; ++attempt) {
      const Address& a = rng_.pick(ledger_.eoas);
      if (can_pay(a)) return a;
    }
    auto it = std::find_if(ledger_.eoas.begin(), ledger_.eoas.end(), can_pay);
    if (it == ledger_.eoas.end())
      throw std::invalid_argument("no account left with the balance to send a transaction; use more --accounts");
    return *it;
  }

  void transaction(TxBuilder& tx) {
    Address from = sender();
    uint64_t kind = rng_.below(100);
    U256 value = U256(rng_.between(1, 100000)) * U256(gwei);
    if (kind < 30) {  // transfer to a known account
      Address to = rng_.percent(80) ? rng_.pick(ledger_.eoas) : rng_.fixed<20>();
      if (to == from) to = rng_.fixed<20>();
      if (!ledger_.state.get(eth::account_key(to))) ledger_.eoas.push_back(to);
      tx.pay(from, to, value, 21000, {}, true);
    } else if (kind < 65 && !ledger_.contracts.empty()) {  // a contract call reading and writing storage
      call(tx, from, value);
    } else if (kind < 73) {  // contract creation
      create(tx, from, value);
    } else if (kind < 78 && ledger_.contracts.size() > 1 && !cancun()) {
      // A self-destruct, its balance to the caller. Removing a contract that exists before the transaction is
      // Shanghai behaviour: from Cancun (EIP-6780) only a contract created in the same transaction is removed.
      Address victim = rng_.pick(ledger_.contracts);
      Touch& v = tx.touch(victim);  // touches live as long as the transaction
      tx.pay(from, victim, U256(0), 26000 + rng_.below(5000), call_data(rng_, 0), true);
      Account& caller = tx.live(from);
      caller.balance = caller.balance + v.before->balance;
      v.code_read = v.before->code_hash;
      v.self_destructed = true;
      v.after.reset();
      remove_from(ledger_.contracts, victim);
    } else if (kind < 90) {  // a failed transaction
      if (rng_.percent(50) && !ledger_.contracts.empty()) {
        Address c = rng_.pick(ledger_.contracts);
        tx.pay(from, c, value, 21000 + rng_.below(40000), call_data(rng_, 2), false);
        Touch& ct = tx.touch(c);
        ct.code_read = ct.before->code_hash;
      } else {
        Address to = rng_.fixed<20>();
        tx.pay(from, to, value, 21000 + rng_.below(10000), call_data(rng_, 1), false);
        tx.touch(to).listed_uncreated = true;
      }
    } else if (ledger_.contracts.empty()) {  // (no contracts left) a transfer to a new account
      Address to = rng_.fixed<20>();
      ledger_.eoas.push_back(to);
      tx.pay(from, to, value, 21000, {}, true);
    } else {  // value to a contract, whose code runs without touching storage
      Address c = rng_.pick(ledger_.contracts);
      tx.pay(from, c, value, 21000 + rng_.below(20000), call_data(rng_, 1), true);
      Touch& ct = tx.touch(c);
      ct.code_read = ct.before->code_hash;
    }
  }

  void call(TxBuilder& tx, const Address& from, const U256& value) {
    Address c = rng_.pick(ledger_.contracts);
    Bytes data = call_data(rng_, rng_.between(1, 3));
    uint64_t gas = 21000 + calldata_gas(data);
    // Storage: some reads, then writes that add, change and delete slots.
    std::vector<H256>& slots = ledger_.slots[c];
    std::vector<std::pair<H256, U256>> writes;
    std::vector<H256> reads;
    auto used = [&](const H256& s) {
      return std::any_of(writes.begin(), writes.end(), [&](const auto& w) { return w.first == s; });
    };
    for (uint64_t i = rng_.below(3); i > 0 && !slots.empty(); --i) reads.push_back(rng_.pick(slots));
    for (uint64_t i = rng_.between(1, 3); i > 0; --i) {
      uint64_t what = rng_.below(100);
      H256 slot;
      U256 v;
      if (what < 40 || slots.empty()) {
        slot = rng_.slot();
        v = rng_.value();
      } else if (what < 75) {
        slot = rng_.pick(slots);
        v = rng_.value();
      } else {
        slot = rng_.pick(slots);  // deleted: written with zero
      }
      if (used(slot)) continue;
      writes.emplace_back(slot, v);
    }
    bool pays = rng_.percent(30);
    Touch& ct = tx.touch(c);
    ct.code_read = ct.before->code_hash;
    for (const H256& s : reads) {
      if (std::find(ct.read.begin(), ct.read.end(), s) == ct.read.end()) ct.read.push_back(s);
      ledger_.read_slot(c, s);
      gas += 2100;
    }
    for (const auto& [slot, v] : writes) {
      U256 old = ledger_.read_slot(c, slot);
      if (std::find(ct.read.begin(), ct.read.end(), slot) == ct.read.end()) ct.read.push_back(slot);
      gas += old.is_zero() ? 22100 : 5000;
      if (old != v) ct.written.emplace_back(slot, v);
      auto it = std::find(slots.begin(), slots.end(), slot);
      if (v.is_zero() && it != slots.end()) slots.erase(it);
      if (!v.is_zero() && it == slots.end()) slots.push_back(slot);
    }
    tx.pay(from, c, pays ? value : U256(0), gas + 1500, std::move(data), true);
    // An ERC-20 style Transfer event.
    static const H256 transfer_topic = keccak_text("Transfer(address,address,uint256)");
    H256 amount = rng_.fixed<32>();
    tx.log(c, {transfer_topic, padded(from), padded(rng_.fixed<20>())}, Bytes(amount.begin(), amount.end()));
  }

  void create(TxBuilder& tx, const Address& from, const U256& value) {
    uint64_t nonce = tx.live(from).nonce;
    H256 digest = eth::keccak256(eth::rlp_list({eth::rlp_string(from), eth::rlp_uint(nonce)}));
    Address created;
    std::copy(digest.begin() + 12, digest.end(), created.begin());
    Bytes code = random_code(rng_);
    uint64_t gas = 53000 + 200 * code.size();
    Touch& ct = tx.touch(created);
    std::vector<H256>& slots = ledger_.slots[created];
    for (uint64_t i = rng_.below(4); i > 0; --i) {
      H256 slot = rng_.slot();
      if (std::find(slots.begin(), slots.end(), slot) != slots.end()) continue;
      ct.written.emplace_back(slot, rng_.value());
      slots.push_back(slot);
      gas += 22100;
    }
    // The creating transaction's data is the init code; the contract starts with nonce 1 (EIP-161).
    tx.pay(from, std::nullopt, rng_.percent(30) ? value : U256(0), gas, random_code(rng_), true, created);
    tx.live(created).nonce = 1;
    tx.touch(created).code_write = std::move(code);
    ledger_.contracts.push_back(created);
  }

  std::string stage_name(int64_t stage) const {
    if (stage < 0) return "system writes before the transactions";
    if (static_cast<uint64_t>(stage) >= options_.txs) return fmt::format("withdrawal {}", stage - options_.txs);
    return fmt::format("txn {}", stage);
  }

  void beacon_root_write(uint64_t timestamp, const H256& root) {
    std::optional<Account> beacon = ledger_.get_account(witness::beacon_roots_address);
    U256 index = U256(timestamp % witness::beacon_roots_buffer_length);
    ledger_.write_slot(witness::beacon_roots_address, eth::to_be_bytes32(index), U256(timestamp));
    ledger_.write_slot(witness::beacon_roots_address, eth::to_be_bytes32(index + U256(witness::beacon_roots_buffer_length)),
                       eth::u256_from_be_bytes(root));
    beacon->storage_root = ledger_.storage_root(witness::beacon_roots_address);
    ledger_.put_account(witness::beacon_roots_address, *beacon);
  }

  // EIP-2935: the parent's hash at slot (number - 1) mod the serve window.
  void parent_hash_write(uint64_t number, const H256& parent_hash) {
    std::optional<Account> history = ledger_.get_account(witness::history_storage_address);
    ledger_.write_slot(witness::history_storage_address,
                       eth::to_be_bytes32(U256((number - 1) % witness::history_serve_window)),
                       eth::u256_from_be_bytes(parent_hash));
    history->storage_root = ledger_.storage_root(witness::history_storage_address);
    ledger_.put_account(witness::history_storage_address, *history);
  }

  // Withdrawals: Gwei amounts credited in Wei. Returns the withdrawals root.
  H256 withdrawals(std::vector<witness::Withdrawal>& out) {
    eth::Trie trie;
    for (uint64_t i = 0; i < options_.withdrawals; ++i) {
      ledger_.stage = static_cast<int64_t>(options_.txs + i);
      Address to = rng_.percent(70) ? rng_.pick(ledger_.eoas) : rng_.fixed<20>();
      U256 amount(rng_.between(1, 100'000'000));
      Account account = ledger_.get_account(to).value_or(Account{});
      if (account == Account{}) ledger_.eoas.push_back(to);
      account.balance = account.balance + amount * U256(gwei);
      ledger_.put_account(to, account);
      out.push_back({to, amount});
      trie.put(eth::rlp_uint(i), rlp_list_of({eth::rlp_uint(withdrawal_index_), eth::rlp_uint(rng_.below(1'000'000)),
                                              eth::rlp_string(to), eth::rlp_uint(amount)}));
      ++withdrawal_index_;
    }
    return trie.root_hash();
  }

  // The partial pre-state: the nodes the block's accesses reach, the rest hashed.
  struct Wanted {
    std::vector<Nibbles> state;
    std::map<H256, std::vector<Nibbles>> storage;  // ordered: the output must not depend on hashing
  };

  PreState partial_pre_state(const Wanted& wanted, const Nibbles* leave_hashed = nullptr) {
    PreState partial;
    partial.state = prune_trie(ledger_.pre_state, wanted.state, leave_hashed);
    for (const auto& [owner, paths] : wanted.storage) {
      auto it = ledger_.pre_storage.find(owner);
      if (it == ledger_.pre_storage.end() || it->second.empty()) continue;
      partial.storage.emplace(owner, prune_trie(it->second, paths));
    }
    return partial;
  }

  PreState witness_pre_state(Wanted& wanted) {
    for (const TrieOp& op : ledger_.ops) {
      if (op.kind == TrieOp::Kind::drop_storage) continue;
      std::vector<Nibbles>& paths = op.owner ? wanted.storage[*op.owner] : wanted.state;
      paths.push_back(eth::to_nibbles(op.key));
      if (op.kind != TrieOp::Kind::erase) continue;
      const eth::Trie* pre = &ledger_.pre_state;
      if (op.owner) {
        auto it = ledger_.pre_storage.find(*op.owner);
        pre = it == ledger_.pre_storage.end() ? nullptr : &it->second;
      }
      if (std::optional<Nibbles> sibling = pre ? collapse_sibling(*pre, op.key) : std::nullopt)
        paths.push_back(std::move(*sibling));
    }
    // The block's other changes may still need a node no path leads to (a deletion after insertions changed
    // the branch): replay, and expand each node found missing.
    PreState partial = partial_pre_state(wanted);
    eth::Trie final_state;
    while (std::optional<Missing> missing = replay(partial, ledger_.ops, false, &final_state)) {
      (missing->owner ? wanted.storage[*missing->owner] : wanted.state).push_back(missing->path);
      partial = partial_pre_state(wanted);
    }
    if (final_state.root_hash() != ledger_.state.root_hash())
      throw std::logic_error("generator: the partial pre-state does not replay to the full state's root");
    for (const H256& hash : ledger_.code_read)
      if (!code_created_in_block_.contains(hash)) partial.code.emplace(hash, ledger_.code.at(hash));
    return partial;
  }

  void block(uint64_t number, bool last, const BlockSink& emit) {
    ledger_.begin_block();
    code_created_in_block_.clear();
    H256 pre_state_root = ledger_.state.root_hash();
    if (!checkpoint_ || !options_.one_range) checkpoint_ = pre_state_root;

    Header header;
    header.parent_hash = hashes_.back();
    header.number = number;
    header.beneficiary = rng_.pick(validators_);
    uint64_t start = prague() ? prague_mainnet_time : cancun() ? cancun_devnet_genesis_time : shanghai_mainnet_time;
    header.timestamp = start + 12 * (number - options_.first_block);
    header.mix_hash = rng_.fixed<32>();
    header.base_fee = U256(rng_.between(5 * gwei, 30 * gwei));
    if (cancun()) header.parent_beacon_block_root = rng_.fixed<32>();
    if (prague()) header.requests_hash = empty_requests_hash;
    uint64_t chain_id = options_.fork == eth::Fork::cancun ? cancun_devnet_chain_id : 1;
    BlockContext context{chain_id, header.base_fee, header.beneficiary};

    ledger_.stage = -1;
    if (cancun()) beacon_root_write(header.timestamp, *header.parent_beacon_block_root);
    if (prague()) parent_hash_write(number, header.parent_hash);

    witness::BlockWitness w;
    eth::Trie transactions, receipts;
    uint64_t cumulative_gas = 0;
    for (uint64_t i = 0; i < options_.txs; ++i) {
      ledger_.stage = static_cast<int64_t>(i);
      TxBuilder tx(ledger_, rng_, context);
      transaction(tx);
      witness::TxnInfo info = tx.commit(cumulative_gas, header.logs_bloom);
      for (const AccountTrace& t : info.traces)
        if (t.code_write) code_created_in_block_.insert(eth::keccak256(*t.code_write));
      cumulative_gas += tx.gas_used();
      Bytes key = eth::rlp_uint(i);
      transactions.put(key, info.meta.byte_code);
      receipts.put(key, tx.receipt_trie_value());
      w.block_trace.txn_info.push_back(std::move(info));
    }
    header.withdrawals_root = withdrawals(w.other_data.b_data.withdrawals);
    if (prague()) {  // the queue system calls read the contracts and their (empty) queues
      ledger_.stage = static_cast<int64_t>(options_.txs + options_.withdrawals);
      for (const Address& queue : {witness::withdrawal_request_address, witness::consolidation_request_address}) {
        ledger_.get_account(queue);
        for (uint64_t slot = 0; slot < 4; ++slot) ledger_.read_slot(queue, eth::to_be_bytes32(U256(slot)));
      }
    }

    header.state_root = ledger_.state.root_hash();
    header.transactions_root = transactions.root_hash();
    header.receipts_root = receipts.root_hash();
    header.gas_used = cumulative_gas;
    header.gas_limit = std::max<uint64_t>(30'000'000, cumulative_gas + cumulative_gas / 4);
    header.hash = header_hash(header);

    Wanted wanted;
    PreState pre = witness_pre_state(wanted);
    BrokenBlock broken;
    if (last && options_.broken == Broken::missing_node) {
      broken = leave_node_missing(wanted, pre);
      broken.block = number;
    }
    set_pre_images(w, pre);

    witness::BlockMetadata& m = w.other_data.b_data.b_meta;
    m.block_beneficiary = header.beneficiary;
    m.block_timestamp = U256(header.timestamp);
    m.block_number = U256(number);
    m.block_random = header.mix_hash;
    m.block_gaslimit = U256(header.gas_limit);
    m.block_chain_id = U256(context.chain_id);
    m.block_base_fee = header.base_fee;
    m.block_gas_used = U256(header.gas_used);
    if (cancun()) {
      m.block_blob_gas_used = U256(header.blob_gas_used);
      m.block_excess_blob_gas = U256(header.excess_blob_gas);
      m.parent_beacon_block_root = header.parent_beacon_block_root;
    }
    for (size_t i = 0; i < 8; ++i)
      m.block_bloom[i] = eth::u256_from_be_bytes(ByteView(header.logs_bloom.data() + 32 * i, 32));
    w.other_data.b_data.b_hashes.prev_hashes.assign(hashes_.begin(), hashes_.end());
    w.other_data.b_data.b_hashes.cur_hash = header.hash;
    w.other_data.checkpoint_state_trie_root = *checkpoint_;
    H256 consolidated = eth::keccak256(*checkpoint_);
    std::array<uint64_t, 4> words{};
    std::memcpy(words.data(), consolidated.data(), 32);
    w.other_data.checkpoint_consolidated_hash = words;

    if (last) {
      if (options_.broken == Broken::wrong_checkpoint) {
        w.other_data.checkpoint_state_trie_root = rng_.fixed<32>();
        broken = {Broken::wrong_checkpoint, number, "", ""};
      } else if (options_.broken == Broken::flipped_byte) {
        broken = flip_byte(w, header);
        broken.block = number;
      } else if (options_.broken == Broken::changed_write) {
        broken = change_write(w);
        broken.block = number;
      }
      broken_ = broken;
    }

    hashes_.push_back(header.hash);
    hashes_.pop_front();
    emit(std::move(w), std::move(header));
  }

  void set_pre_images(witness::BlockWitness& w, const PreState& pre) {
    if (options_.encoding == Encoding::combined) {
      w.block_trace.trie_pre_images = witness::CombinedPreImage{witness::encode_compact(pre)};
      return;
    }
    witness::SeparatePreImages images;
    images.state = direct_trie(pre.state);
    std::map<H256, const eth::Trie*> storage;
    for (const auto& [owner, trie] : pre.storage) storage.emplace(owner, &trie);
    for (const auto& [owner, trie] : storage) images.storage.emplace_back(owner, direct_trie(*trie));
    w.block_trace.trie_pre_images = std::move(images);
    // The separate encoding carries no code: the contracts the block runs come in code_db (by code hash).
    std::map<H256, const Bytes*> code;
    for (const auto& [hash, bytes] : pre.code) code.emplace(hash, &bytes);
    for (const auto& [hash, bytes] : code) w.block_trace.code_db.push_back(*bytes);
  }

  // Leaves hashed the leaf of an account the block changes; the first access to fail names where and which key.
  BrokenBlock leave_node_missing(const Wanted& wanted, PreState& pre) {
    std::vector<const TrieOp*> candidates, in_transactions;
    for (const TrieOp& op : ledger_.ops) {
      if (op.owner || !op.by_processor || op.kind == TrieOp::Kind::drop_storage) continue;
      if (!ledger_.pre_state.get(op.key)) continue;
      candidates.push_back(&op);
      if (op.stage >= 0 && static_cast<uint64_t>(op.stage) < options_.txs) in_transactions.push_back(&op);
    }
    if (!in_transactions.empty()) candidates = in_transactions;
    if (candidates.empty()) throw std::invalid_argument("missing-node: the last block changes no existing account");
    const TrieOp& target = *rng_.pick(candidates);
    Nibbles leaf = leaf_position(ledger_.pre_state, target.key);
    pre.state = prune_trie(ledger_.pre_state, wanted.state, &leaf);
    std::optional<Missing> missing = replay(pre, ledger_.ops, true);
    if (!missing) throw std::logic_error("generator: the block does not need the node left out");
    return {Broken::missing_node, 0, stage_name(missing->stage), eth::to_hex(missing->key)};
  }

  // Flips one bit of the compact pre-image where the block then fails or ends at other roots. (Many bits
  // do not: a code length the decoder ignores; the balance of an account the block overwrites anyway.)
  BrokenBlock flip_byte(witness::BlockWitness& w, const Header& header) {
    auto* combined = std::get_if<witness::CombinedPreImage>(&w.block_trace.trie_pre_images);
    if (!combined) throw std::invalid_argument("flipped-byte needs the combined encoding");
    Bytes& compact = combined->compact;
    for (int attempt = 0; attempt < 1000; ++attempt) {
      size_t at = 1 + rng_.below(compact.size() - 1);
      uint8_t bit = static_cast<uint8_t>(1u << rng_.below(8));
      compact[at] ^= bit;
      witness::BlockResult result = witness::process_block(w);
      if (!result.ok || result.state_root != header.state_root || result.receipts_root != header.receipts_root ||
          result.transactions_root != header.transactions_root)
        return {Broken::flipped_byte, 0, fmt::format("compact byte {}", at), ""};
      compact[at] ^= bit;
    }
    throw std::logic_error("generator: found no byte of the pre-image whose flip the block notices");
  }

  // Changes a storage write whose value lasts to the end of the block (the slot's last write, in an account
  // the block does not remove), so that the block ends at another state root.
  BrokenBlock change_write(witness::BlockWitness& w) {
    struct Place { size_t txn, trace, slot; };
    std::vector<Place> places;
    std::set<std::pair<Address, H256>> overwritten_later;
    auto& txns = w.block_trace.txn_info;
    for (size_t t = txns.size(); t-- > 0;) {
      for (size_t a = 0; a < txns[t].traces.size(); ++a) {
        const AccountTrace& trace = txns[t].traces[a];
        if (!ledger_.state.get(eth::account_key(trace.address))) continue;
        for (size_t s = 0; s < trace.storage_written.size(); ++s)
          if (overwritten_later.emplace(trace.address, trace.storage_written[s].first).second) places.push_back({t, a, s});
      }
    }
    if (places.empty())
      throw std::invalid_argument("changed-write: the last block leaves no storage write standing; use more --txs");
    Place p = rng_.pick(places);
    auto& [slot, value] = txns[p.txn].traces[p.trace].storage_written[p.slot];
    value = value + U256(1);
    if (value.is_zero()) value = U256(1);
    return {Broken::changed_write, 0, fmt::format("txn {}", p.txn), eth::to_hex(slot)};
  }

  const Options& options_;
  Rng rng_;
  Ledger ledger_;
  std::vector<Address> validators_;
  std::deque<H256> hashes_;  // the last 256 block hashes, oldest first
  std::optional<H256> checkpoint_;
  BrokenBlock broken_;
  std::unordered_set<H256, eth::H256Hash> code_created_in_block_;
  uint64_t withdrawal_index_ = 0;
};

}  // namespace

std::optional<Broken> broken_from_name(std::string_view name) {
  for (Broken b : {Broken::none, Broken::missing_node, Broken::wrong_checkpoint, Broken::flipped_byte,
                   Broken::changed_write})
    if (broken_name(b) == name) return b;
  return std::nullopt;
}

std::string_view broken_name(Broken broken) {
  switch (broken) {
    case Broken::none: return "none";
    case Broken::missing_node: return "missing-node";
    case Broken::wrong_checkpoint: return "wrong-checkpoint";
    case Broken::flipped_byte: return "flipped-byte";
    case Broken::changed_write: return "changed-write";
  }
  return "none";
}

BrokenBlock generate(const Options& options, const BlockSink& emit) {
  if (options.broken == Broken::flipped_byte && options.encoding != Encoding::combined)
    throw std::invalid_argument("flipped-byte needs the combined encoding");
  if (options.broken != Broken::none && options.blocks == 0)
    throw std::invalid_argument("a broken block needs at least one block");
  return ChainGenerator(options).run(emit);
}

H256 header_hash(const Header& h) {
  std::vector<Bytes> fields = {
      eth::rlp_string(h.parent_hash), eth::rlp_string(empty_ommers_hash), eth::rlp_string(h.beneficiary),
      eth::rlp_string(h.state_root), eth::rlp_string(h.transactions_root), eth::rlp_string(h.receipts_root),
      eth::rlp_string(h.logs_bloom), eth::rlp_uint(0) /* difficulty */, eth::rlp_uint(h.number),
      eth::rlp_uint(h.gas_limit), eth::rlp_uint(h.gas_used), eth::rlp_uint(h.timestamp),
      eth::rlp_string(h.extra_data), eth::rlp_string(h.mix_hash), eth::rlp_string(Bytes(8, 0)) /* nonce */,
      eth::rlp_uint(h.base_fee), eth::rlp_string(h.withdrawals_root)};
  if (h.parent_beacon_block_root) {
    fields.push_back(eth::rlp_uint(h.blob_gas_used));
    fields.push_back(eth::rlp_uint(h.excess_blob_gas));
    fields.push_back(eth::rlp_string(*h.parent_beacon_block_root));
  }
  if (h.requests_hash) fields.push_back(eth::rlp_string(*h.requests_hash));
  return eth::keccak256(rlp_list_of(fields));
}

std::string headers_json(const std::vector<Header>& headers) {
  std::string out = "[\n";
  for (size_t i = 0; i < headers.size(); ++i) {
    const Header& h = headers[i];
    auto quantity = [](uint64_t v) { return fmt::format("0x{:x}", v); };
    out += fmt::format(
        "  {{\"number\":\"{}\",\"hash\":\"{}\",\"parentHash\":\"{}\",\"miner\":\"{}\",\"stateRoot\":\"{}\","
        "\"transactionsRoot\":\"{}\",\"receiptsRoot\":\"{}\",\"logsBloom\":\"{}\",\"difficulty\":\"0x0\","
        "\"gasLimit\":\"{}\",\"gasUsed\":\"{}\",\"timestamp\":\"{}\",\"extraData\":\"{}\",\"mixHash\":\"{}\","
        "\"nonce\":\"0x0000000000000000\",\"sha3Uncles\":\"{}\",\"baseFeePerGas\":\"{}\",\"withdrawalsRoot\":\"{}\"",
        quantity(h.number), eth::to_hex(h.hash), eth::to_hex(h.parent_hash), eth::to_hex(h.beneficiary),
        eth::to_hex(h.state_root), eth::to_hex(h.transactions_root), eth::to_hex(h.receipts_root),
        eth::to_hex(h.logs_bloom), quantity(h.gas_limit), quantity(h.gas_used), quantity(h.timestamp),
        eth::to_hex(h.extra_data), eth::to_hex(h.mix_hash), eth::to_hex(empty_ommers_hash), eth::to_hex(h.base_fee), eth::to_hex(h.withdrawals_root));
    if (h.parent_beacon_block_root)
      out += fmt::format(",\"blobGasUsed\":\"{}\",\"excessBlobGas\":\"{}\",\"parentBeaconBlockRoot\":\"{}\"",
                         quantity(h.blob_gas_used), quantity(h.excess_blob_gas), eth::to_hex(*h.parent_beacon_block_root));
    if (h.requests_hash) out += fmt::format(",\"requestsHash\":\"{}\"", eth::to_hex(*h.requests_hash));
    out += i + 1 < headers.size() ? "},\n" : "}\n";
  }
  out += "]\n";
  return out;
}

}  // namespace witprove::generator
