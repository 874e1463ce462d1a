#include "witness/stateless.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include "eth/account.hpp"
#include "eth/keccak.hpp"
#include "eth/rlp.hpp"

namespace witprove::witness {

using eth::Account;

namespace {

[[noreturn]] void fail(std::string message) { throw std::runtime_error(std::move(message)); }

// Runs `f`, prefixing the message of any failure with `context`.
template <class F>
auto in_context(std::string_view context, F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    fail(fmt::format("{}: {}", context, e.what()));
  }
}

uint64_t to_u64(const U256& v, std::string_view what) {
  if (!v.fits_u64()) fail(fmt::format("{} {} does not fit in 64 bits", what, eth::to_hex(v)));
  return v.limbs[0];
}

struct Receipt {
  Bytes trie_value;  // what the receipts trie stores
  bool succeeded = true;
  uint64_t cumulative_gas = 0;
};

// A legacy receipt comes as its bare RLP list; a typed one as an RLP string wrapping `type || rlp(receipt)`.
Receipt read_receipt(ByteView raw) {
  eth::RlpItem outer = eth::rlp_decode(raw);
  Receipt receipt;
  ByteView list = raw;
  if (outer.is_list) {
    receipt.trie_value.assign(raw.begin(), raw.end());
  } else {
    receipt.trie_value.assign(outer.payload.begin(), outer.payload.end());
    if (outer.payload.empty() || outer.payload[0] >= 0x80) fail("receipt is neither a list nor a typed receipt");
    list = outer.payload.subspan(1);
  }
  std::vector<eth::RlpItem> fields = eth::rlp_items(eth::rlp_decode(list));
  if (fields.size() != 4) fail(fmt::format("receipt has {} fields, expected 4", fields.size()));
  // Status (EIP-658, from Byzantium): empty (failure) or 0x01 (success); nothing else in a Shanghai or later block.
  if (fields[0].is_list || fields[0].payload.size() > 1 || (fields[0].payload.size() == 1 && fields[0].payload[0] != 1))
    fail("receipt status is neither 0 nor 1 (EIP-658)");
  receipt.succeeded = fields[0].payload.size() == 1;
  receipt.cumulative_gas = eth::rlp_to_u64(fields[1]);
  return receipt;
}

// The state being processed: the tries of the pre-state, updated in place.
struct World {
  PreState pre;
  eth::PreimageLog* log;
  // The preimages of the keys the block touches, for its net state changes.
  std::map<H256, Address> accounts_touched;
  std::set<std::pair<H256, H256>> slots_touched;  // (account key, slot)
  std::set<H256> removed;                          // accounts removed at some point (their storage with them)

  H256 key_of(const Address& address) {
    H256 key = eth::account_key(address);
    accounts_touched.emplace(key, address);
    return key;
  }

  std::optional<Account> account(const H256& key) const {
    const Bytes* value = pre.state.get(key);
    if (!value) return std::nullopt;
    return eth::decode_account(*value);
  }

  // The storage trie of an account, expanded from the pre-image where it was, otherwise known by its root.
  eth::Trie& storage(const H256& key, const H256& root) {
    auto it = pre.storage.find(key);
    if (it == pre.storage.end()) it = pre.storage.emplace(key, eth::Trie::from_root_hash(root)).first;
    return it->second;
  }

  U256 slot_value(const H256& key, const Account& account, const H256& slot) {
    slots_touched.emplace(key, slot);
    return in_context(fmt::format("slot {}", eth::to_hex(slot)), [&] {
      const Bytes* value = storage(key, account.storage_root).get(eth::storage_key(slot));
      return value ? eth::decode_storage_value(*value) : U256();
    });
  }

  void write_slot(const H256& key, Account& account, const H256& slot, const U256& value) {
    slots_touched.emplace(key, slot);
    in_context(fmt::format("slot {}", eth::to_hex(slot)), [&] {
      eth::Trie& trie = storage(key, account.storage_root);
      if (value.is_zero()) trie.erase(eth::storage_key(slot));
      else trie.put(eth::storage_key(slot), eth::encode_storage_value(value));
    });
  }

  void put_account(const H256& key, const Account& account) { pre.state.put(key, eth::encode_account(account)); }

  void remove_account(const H256& key) {
    removed.insert(key);
    pre.state.erase(key);
    pre.storage.erase(key);
  }

  H256 hash_code(const Bytes& code) {
    H256 digest = eth::keccak256(code);
    if (log) log->record(code, digest);
    return digest;
  }
};

// A system call's storage writes (EIP-4788, EIP-2935): a call to the contract, which does nothing while no
// code is deployed there.
void system_write(World& world, const Address& contract_address,
                  std::initializer_list<std::pair<U256, U256>> slot_values) {
  H256 key = world.key_of(contract_address);
  std::optional<Account> contract = world.account(key);
  if (!contract || contract->code_hash == eth::empty_keccak) return;
  for (const auto& [slot, value] : slot_values) world.write_slot(key, *contract, eth::to_be_bytes32(slot), value);
  contract->storage_root = world.storage(key, contract->storage_root).root_hash(world.log);
  world.put_account(key, *contract);
}

// EIP-4788: before the transactions, store the timestamp and the parent beacon block root in the ring buffer.
void write_beacon_root(World& world, const BlockMetadata& meta) {
  in_context("EIP-4788 beacon root write", [&] {
    U256 index = U256(to_u64(meta.block_timestamp, "timestamp") % beacon_roots_buffer_length);
    system_write(world, beacon_roots_address,
                 {{index, meta.block_timestamp},
                  {index + U256(beacon_roots_buffer_length), eth::u256_from_be_bytes(*meta.parent_beacon_block_root)}});
  });
}

// EIP-2935: before the transactions, store the parent's hash at slot (number - 1) mod the serve window.
void write_parent_hash(World& world, const BlockWitness& block) {
  in_context("EIP-2935 parent hash write", [&] {
    const std::vector<H256>& hashes = block.other_data.b_data.b_hashes.prev_hashes;
    uint64_t number = block_number(block);
    if (hashes.empty() || number == 0) fail("no parent hash (b_hashes.prev_hashes is empty)");
    system_write(world, history_storage_address,
                 {{U256((number - 1) % history_serve_window), eth::u256_from_be_bytes(hashes.back())}});
  });
}

// EIP-7002 / EIP-7251: after the withdrawals, a system call dequeues requests and updates the queue's excess,
// count, head and tail (storage slots 0..3). When all four are zero the call writes nothing; otherwise it
// would change storage in ways not modelled here, and the block is refused rather than processed wrong.
void check_request_queue(World& world, const Address& contract_address, std::string_view eip) {
  in_context(fmt::format("{} request queue system call", eip), [&] {
    H256 key = world.key_of(contract_address);
    std::optional<Account> contract = world.account(key);
    if (!contract || contract->code_hash == eth::empty_keccak)
      fail(fmt::format("no code at {}: the block is invalid under Prague", eth::to_hex(contract_address)));
    eth::Trie& storage = world.storage(key, contract->storage_root);
    for (uint64_t slot = 0; slot < 4; ++slot)
      if (storage.get(eth::storage_key(eth::to_be_bytes32(U256(slot)))))
        fail(fmt::format("storage slot {} is non-zero: the call would change the queue's storage, which is not "
                         "modelled; the block is not provable",
                         slot));
  });
}

// EIP-7702 (Prague): an account's code may be a delegation designator, 0xef0100 followed by an address.
bool is_delegation(ByteView code) { return code.size() == 23 && code[0] == 0xef && code[1] == 0x01 && code[2] == 0x00; }

// Whether a transaction may set the code of an account that exists: a creation at an address with no code, nonce
// or storage (EIP-684, EIP-7610), or from Prague an EIP-7702 delegation (set, changed or cleared) of an account
// whose code is empty or already a delegation.
bool may_set_code(World& world, const Account& existing, const Bytes& code, eth::Fork fork) {
  bool pristine = existing.nonce == 0 && existing.code_hash == eth::empty_keccak &&
                  existing.storage_root == eth::empty_trie_root;
  if (pristine) return true;
  if (fork < eth::Fork::prague || !(code.empty() || is_delegation(code))) return false;
  if (existing.code_hash == eth::empty_keccak) return true;
  auto current = world.pre.code.find(existing.code_hash);
  return current != world.pre.code.end() && is_delegation(current->second);
}

// A reverted transaction changes only its sender (nonce + 1 and the gas payment) and the fee recipient (the
// priority fee) (Yellow Paper section 6.2); from Prague also, in a type-4 transaction, the authorities of its
// EIP-7702 authorizations, whose nonce rises by one (no balance moves). So: every account that changes, other
// than the fee recipient's balance, has its nonce rise by one; at most one of them (the sender) changes
// balance, never upwards, and otherwise at most one changes at all; the fee recipient gains no more than the
// sender pays (the rest is the burnt base fee). `before` is accounts_before of the traces.
void check_reverted_changes(const std::vector<AccountTrace>& traces, const std::vector<std::optional<Account>>& accounts,
                            const Address& fee_recipient, eth::Fork fork, bool set_code_txn) {
  const AccountTrace* sender = nullptr;  // the one account whose balance (or before Prague, anything) changed
  U256 paid, earned;                     // the sender's loss and the fee recipient's gain
  for (size_t i = 0; i < traces.size(); ++i) {
    const AccountTrace& t = traces[i];
    if (!t.balance && !t.nonce) continue;
    Account before = accounts[i].value_or(Account{});
    bool balance_changes = t.balance && *t.balance != before.balance;
    bool nonce_changes = t.nonce && *t.nonce != U256(before.nonce);
    if (!balance_changes && !nonce_changes) continue;
    if (t.address == fee_recipient && !nonce_changes) {
      if (eth::sub_underflows(*t.balance, before.balance, earned))
        fail(fmt::format("the fee recipient {} loses balance in a reverted transaction", eth::to_hex(t.address)));
      continue;
    }
    if (!t.nonce || *t.nonce != U256(before.nonce + 1))
      fail(fmt::format("account {} changes in a reverted transaction without its nonce rising by one, as its "
                       "sender's (or from Prague an authority's) must",
                       eth::to_hex(t.address)));
    // From Prague, a type-4 transaction's authorities: nonce + 1, no balance.
    if (!balance_changes && fork >= eth::Fork::prague && set_code_txn) continue;
    if (sender)
      fail(fmt::format("accounts {} and {} both change in a reverted transaction: only its sender and the fee "
                       "recipient can",
                       eth::to_hex(sender->address), eth::to_hex(t.address)));
    sender = &t;
    if (t.balance && eth::sub_underflows(before.balance, *t.balance, paid))
      fail(fmt::format("the sender {} gains balance in a reverted transaction", eth::to_hex(t.address)));
  }
  if (earned > paid)
    fail("the fee recipient gains more than the sender pays in a reverted transaction");
}

// Nonces never fall, and every transaction raises its sender's nonce by one (Yellow Paper section 6.2), so
// some account's nonce rises by exactly one. Before Prague, an account without code can gain no other nonce
// (only contracts' CREATEs and, from Prague, EIP-7702 authorizations add more).
void check_nonces(const std::vector<AccountTrace>& traces, const std::vector<std::optional<Account>>& accounts,
                  eth::Fork fork) {
  bool sender_found = false;
  for (size_t i = 0; i < traces.size(); ++i) {
    const AccountTrace& t = traces[i];
    if (!t.nonce) continue;
    const std::optional<Account>& before = accounts[i];
    uint64_t previous = before ? before->nonce : 0;
    if (*t.nonce < U256(previous)) fail(fmt::format("account {}: the nonce falls", eth::to_hex(t.address)));
    if (*t.nonce == U256(previous + 1)) sender_found = true;
    bool has_code = t.code_write || (before && before->code_hash != eth::empty_keccak);
    if (fork < eth::Fork::prague && !has_code && *t.nonce > U256(previous + 1))
      fail(fmt::format("account {} without code gains more than one nonce in one transaction",
                       eth::to_hex(t.address)));
  }
  if (!sender_found) fail("no account's nonce rises by one: every transaction raises its sender's");
}

// After the merge no empty account exists (EIP-7523), and the removal of one when touched (EIP-161) is not
// modelled here: a pre-state holding one is refused rather than processed on a guess.
void check_no_empty_accounts(const eth::Trie& state) {
  eth::for_each_leaf(state, [](const eth::Nibbles& key, const Bytes& value) {
    if (eth::decode_account(value).is_empty())
      fail(fmt::format("the pre-state holds an empty account (key {}): none exist after the merge (EIP-7523)",
                       eth::to_hex(eth::nibbles_to_bytes(key))));
  });
}

bool has_writes(const AccountTrace& trace) {
  return trace.balance || trace.nonce || !trace.storage_written.empty() || trace.code_read || trace.code_write;
}

bool read_only(const AccountTrace& trace) { return !has_writes(trace) && !trace.self_destructed; }

// The accounts a transaction's traces change, as they were before it (nullopt when absent, and for read-only
// traces), read once for its checks and its application. Each address has one trace (the parser refuses an
// address twice), so the state a trace is applied to is this one.
std::vector<std::optional<Account>> accounts_before(World& world, const std::vector<AccountTrace>& traces) {
  std::vector<std::optional<Account>> out(traces.size());
  for (size_t i = 0; i < traces.size(); ++i)
    if (!read_only(traces[i]))
      out[i] = in_context(fmt::format("account {}", eth::to_hex(traces[i].address)),
                          [&] { return world.account(world.key_of(traces[i].address)); });
  return out;
}

// What apply_trace needs to know of the transaction.
struct TxnContext {
  bool succeeded = true;  // the receipt's status
  eth::Fork fork = eth::Fork::shanghai;
};

// One account's declared changes in one transaction (docs/processing.md, "Transactions", has each rule's
// source). The same rules hold whether the transaction succeeded or reverted: a reverted transaction still
// pays its fee, so an account that did not exist and ends non-empty (its fee recipient) is created, and a
// touched account left empty is removed (EIP-161), which is why an account a trace lists with balance zero is
// not created. What a revert undoes cannot be in its trace: a self-destruct, created code or a changed storage
// value there is refused (traces list the slots a reverted call wrote, with the values they keep), and which
// accounts it may change at all is checked first (check_reverted_changes). Code a transaction runs
// (code_usage.read) is the account's own; code is set only at creation or as an EIP-7702 delegation, and no
// new code starts with 0xef (EIP-3541); from Cancun a self-destruct deletes only an account created in the
// same transaction (EIP-6780).
void apply_trace(World& world, const AccountTrace& trace, const std::optional<Account>& existing,
                 const TxnContext& txn) {
  if (read_only(trace)) return;
  H256 key = world.key_of(trace.address);
  const bool txn_succeeded = txn.succeeded;
  if (!txn_succeeded && (trace.self_destructed || trace.code_write))
    fail("a reverted transaction declares a self-destruct or created code");
  if (trace.code_read && !trace.code_write && *trace.code_read != (existing ? existing->code_hash : eth::empty_keccak))
    fail(fmt::format("code_usage.read {} is not the account's code", eth::to_hex(*trace.code_read)));
  if (trace.code_write && !trace.code_write->empty() && (*trace.code_write)[0] == 0xef &&
      !(txn.fork >= eth::Fork::prague && is_delegation(*trace.code_write)))
    fail("new code starting with 0xef is refused (EIP-3541); only an EIP-7702 delegation, from Prague, may");
  // Code is only ever set with the nonce rising: a creation starts at 1 (EIP-161), an EIP-7702 authorization
  // raises its authority's. (That nonces never fall is checked for the whole transaction: check_nonces.)
  U256 previous_nonce(existing ? existing->nonce : 0);
  if (trace.code_write && (!trace.nonce || *trace.nonce <= previous_nonce))
    fail("code is set (code_usage.write) without the account's nonce rising");
  if (trace.code_write && existing && !may_set_code(world, *existing, *trace.code_write, txn.fork))
    fail("code_usage.write for an account that has code or a nonce: code is set only when an account is created "
         "(EIP-684, EIP-7610), or from Prague to an EIP-7702 delegation");
  // Created in this transaction: it did not exist, or got contract code here (setting or clearing an EIP-7702
  // delegation is not a creation).
  const bool created_here =
      !existing || (trace.code_write && !trace.code_write->empty() && !is_delegation(*trace.code_write));
  if (trace.self_destructed && txn.fork >= eth::Fork::cancun && !created_here)
    fail("self-destruct of an account not created in this transaction: from Cancun it is not deleted (EIP-6780)");
  if (has_writes(trace)) {
    if (!existing) world.pre.storage.erase(key);  // a new account starts with empty storage
    Account account = existing.value_or(Account{});
    if (trace.balance) account.balance = *trace.balance;
    if (trace.nonce) account.nonce = to_u64(*trace.nonce, "nonce");
    if (trace.code_write) {
      account.code_hash = world.hash_code(*trace.code_write);
      world.pre.code.emplace(account.code_hash, *trace.code_write);
    }
    if (!trace.storage_written.empty()) {
      for (const auto& [slot, value] : trace.storage_written) {
        if (!txn_succeeded && world.slot_value(key, account, slot) != value)
          fail(fmt::format("a reverted transaction changes slot {}", eth::to_hex(slot)));
        world.write_slot(key, account, slot, value);
      }
      account.storage_root = world.storage(key, account.storage_root).root_hash(world.log);
    }
    // EIP-161: a touched account left empty is removed (and one that did not exist is not created).
    if (account.is_empty()) {
      if (existing) world.remove_account(key);
    } else {
      world.put_account(key, account);
    }
  }
  if (trace.self_destructed) world.remove_account(key);
}

}  // namespace

ForkRules fork_rules(const BlockMetadata& meta) {
  uint64_t chain_id = to_u64(meta.block_chain_id, "chain id");
  uint64_t timestamp = to_u64(meta.block_timestamp, "timestamp");
  int cancun_fields = meta.block_blob_gas_used.has_value() + meta.block_excess_blob_gas.has_value() +
                      meta.parent_beacon_block_root.has_value();
  if (cancun_fields != 0 && cancun_fields != 3)
    fail("block_blob_gas_used, block_excess_blob_gas and parent_beacon_block_root come together (Cancun): some are "
         "missing");
  if (!meta.block_difficulty.is_zero())
    fail("difficulty is not zero: a proof-of-work block (its rewards are not modelled)");
  ForkRules rules;
  if (std::optional<eth::ForkSchedule> schedule = eth::known_fork_schedule(chain_id)) {
    rules.fork = eth::fork_at(*schedule, timestamp);
    rules.description = fmt::format("{} ({} schedule)", eth::fork_name(rules.fork), schedule->chain_name);
    if (rules.fork == eth::Fork::before_shanghai)
      fail(fmt::format("timestamp {} is before Shanghai on {}: forks before Shanghai are not supported", timestamp,
                       schedule->chain_name));
    bool cancun = rules.fork >= eth::Fork::cancun;
    if (cancun != (cancun_fields == 3))
      fail(fmt::format("a {} block {} the Cancun fields (block_blob_gas_used, block_excess_blob_gas, "
                       "parent_beacon_block_root)",
                       rules.description, cancun ? "lacks" : "must not have"));
  } else {
    rules.fork = cancun_fields ? eth::Fork::cancun : eth::Fork::shanghai;
    rules.description = fmt::format("{} (by fields: chain {} unknown)",
                                    eth::fork_name(rules.fork), chain_id);
  }
  return rules;
}

namespace {

void process(const BlockWitness& block, const ForkRules& rules, World& world, BlockResult& result) {
  const BlockMetadata& meta = block.other_data.b_data.b_meta;
  result.pre_state_root = world.pre.state.root_hash(world.log);
  if (world.log) {  // the root node itself, even when an earlier computation cached its hash
    Bytes root = world.pre.state.root_encoding();
    if (!root.empty()) world.log->record(root, eth::keccak256(root));
  }
  result.pre_state_matches_checkpoint = result.pre_state_root == block.other_data.checkpoint_state_trie_root;
  check_no_empty_accounts(world.pre.state);
  if (rules.fork >= eth::Fork::cancun) write_beacon_root(world, meta);
  if (rules.fork >= eth::Fork::prague) write_parent_hash(world, block);

  eth::Trie transactions, receipts;
  uint64_t cumulative_gas = 0;
  const std::vector<TxnInfo>& txns = block.block_trace.txn_info;
  for (size_t i = 0; i < txns.size(); ++i) {
    in_context(fmt::format("txn {}", i), [&] {
      const TxnMeta& txn_meta = txns[i].meta;
      Receipt receipt = in_context("receipt", [&] { return read_receipt(txn_meta.new_receipt_trie_node_byte); });
      if (txn_meta.byte_code.empty()) fail("the transaction's bytes (byte_code) are empty");
      Bytes key = eth::rlp_uint(uint64_t{i});
      transactions.put(key, txn_meta.byte_code);
      receipts.put(key, std::move(receipt.trie_value));
      if (txn_meta.gas_used > UINT64_MAX - cumulative_gas) fail("the transactions' gas overflows 64 bits");
      cumulative_gas += txn_meta.gas_used;
      if (receipt.cumulative_gas != cumulative_gas)
        fail(fmt::format("receipt's cumulative gas {} differs from the sum of gas used so far {}",
                         receipt.cumulative_gas, cumulative_gas));
      const std::vector<AccountTrace>& traces = txns[i].traces;
      std::vector<std::optional<Account>> before = accounts_before(world, traces);
      check_nonces(traces, before, rules.fork);
      if (!receipt.succeeded) {
        bool set_code_txn = txn_meta.byte_code[0] == 0x04;  // EIP-7702 type (the bytes are not empty: above)
        check_reverted_changes(traces, before, meta.block_beneficiary, rules.fork, set_code_txn);
      }
      for (size_t t = 0; t < traces.size(); ++t)
        in_context(fmt::format("account {}", eth::to_hex(traces[t].address)),
                   [&] { apply_trace(world, traces[t], before[t], {receipt.succeeded, rules.fork}); });
      TxnResult& txn = result.txns.emplace_back();
      txn.gas_used = txn_meta.gas_used;
      txn.cumulative_gas = cumulative_gas;
      txn.succeeded = receipt.succeeded;
      txn.state_root = world.pre.state.root_hash(world.log);
      txn.transactions_root = transactions.root_hash(world.log);
      txn.receipts_root = receipts.root_hash(world.log);
    });
  }

  const std::vector<Withdrawal>& withdrawals = block.other_data.b_data.withdrawals;
  for (size_t i = 0; i < withdrawals.size(); ++i) {
    const Withdrawal& w = withdrawals[i];
    if (w.amount.is_zero()) continue;
    in_context(fmt::format("withdrawal {} to {}", i, eth::to_hex(w.address)), [&] {
      H256 key = world.key_of(w.address);
      Account account = world.account(key).value_or(Account{});
      if (eth::add_overflows(account.balance, w.amount * U256(1'000'000'000), account.balance))
        fail("balance overflows");
      world.put_account(key, account);
    });
  }

  if (rules.fork >= eth::Fork::prague) {
    check_request_queue(world, withdrawal_request_address, "EIP-7002");
    check_request_queue(world, consolidation_request_address, "EIP-7251");
  }

  result.state_root = world.pre.state.root_hash(world.log);
  result.transactions_root = transactions.root_hash(world.log);
  result.receipts_root = receipts.root_hash(world.log);
  result.gas_used = cumulative_gas;
  if (U256(cumulative_gas) != meta.block_gas_used)
    fail(fmt::format("the transactions' gas adds up to {}, the block declares {}", cumulative_gas,
                     eth::to_decimal(meta.block_gas_used)));
}

// The net changes from `before` (the decoded pre-state) to the world's state, over the keys it touched. An
// account removed during the block that had storage before it has its storage wiped: its slots are compared
// with an empty storage.
std::vector<StateChange> net_state_changes(const PreState& before, const World& after) {
  auto value = [](const Bytes* v) { return v ? std::optional<Bytes>(*v) : std::nullopt; };
  auto slot_in = [&](const StorageTries& tries, const H256& key, const H256& slot) -> std::optional<Bytes> {
    auto it = tries.find(key);
    return it == tries.end() ? std::nullopt : value(it->second.get(eth::storage_key(slot)));
  };
  std::vector<StateChange> out;
  std::set<H256> wiped;
  for (const auto& [key, address] : after.accounts_touched) {
    auto old_value = value(before.state.get(key)), new_value = value(after.pre.state.get(key));
    if (after.removed.count(key) && old_value) {
      const H256 root = eth::decode_account(*old_value).storage_root;
      if (root != eth::empty_trie_root) {
        wiped.insert(key);
        out.push_back({address, std::nullopt, Bytes(root.begin(), root.end()), std::nullopt, true});
      }
    }
    if (old_value != new_value) out.push_back({address, std::nullopt, std::move(old_value), std::move(new_value)});
  }
  for (const auto& [key, slot] : after.slots_touched) {
    auto old_value = wiped.count(key) ? std::nullopt : slot_in(before.storage, key, slot);
    auto new_value = slot_in(after.pre.storage, key, slot);
    if (old_value != new_value) out.push_back({after.accounts_touched.at(key), slot, std::move(old_value), std::move(new_value)});
  }
  return out;
}

}  // namespace

BlockResult process_block(const BlockWitness& block, const ProcessOptions& options) {
  BlockResult result;
  result.origin = block.origin;
  result.block = block_number(block);
  result.chain_id = block.other_data.b_data.b_meta.block_chain_id.limbs[0];  // 64 bits, checked when parsed
  if (!block.other_data.b_data.b_hashes.prev_hashes.empty())
    result.parent_hash = block.other_data.b_data.b_hashes.prev_hashes.back();
  eth::PreimageLog log;
  eth::PreimageLog* log_ptr = options.record_keccak_preimages ? &log : nullptr;
  try {
    ForkRules rules = fork_rules(block.other_data.b_data.b_meta);
    result.rules = rules.description;
    World world{in_context("pre-image", [&] { return decode_pre_state(block.block_trace, log_ptr); }), log_ptr, {}, {}, {}};
    result.pre_image = pre_image_stats(world.pre);
    std::optional<PreState> before;
    if (options.record_state_changes) {
      before.emplace();
      before->state = eth::clone(world.pre.state);
      for (const auto& [key, trie] : world.pre.storage) before->storage.emplace(key, eth::clone(trie));
    }
    process(block, rules, world, result);
    result.ok = true;
    if (before) result.state_changes = net_state_changes(*before, world);
  } catch (const std::exception& e) {
    result.error = e.what();
  }
  if (log_ptr) result.keccak_preimages = std::move(log.preimages);
  return result;
}

void check_chain_links(const std::vector<BlockResult*>& results) {
  std::map<std::pair<uint64_t, uint64_t>, const BlockResult*> by_number;  // (chain id, number)
  for (const BlockResult* r : results) by_number.emplace(std::pair{r->chain_id, r->block}, r);  // first kept
  for (BlockResult* later : results) {
    if (later->block == 0 || !later->ok) continue;
    auto earlier = by_number.find({later->chain_id, later->block - 1});
    if (earlier == by_number.end() || !earlier->second->ok) continue;  // a gap, or nothing to link to
    if (later->pre_state_root == earlier->second->state_root) continue;
    later->ok = false;
    later->error = fmt::format("pre-state root {} differs from block {}'s post-state root {}",
                               eth::to_hex(later->pre_state_root), earlier->second->block,
                               eth::to_hex(earlier->second->state_root));
  }
}

std::vector<BlockResult> process_blocks(const std::vector<const BlockWitness*>& blocks, const ProcessOptions& options) {
  std::vector<BlockResult> results(blocks.size());
  tbb::parallel_for(size_t{0}, blocks.size(), [&](size_t i) { results[i] = process_block(*blocks[i], options); });
  std::vector<BlockResult*> pointers;
  for (BlockResult& r : results) pointers.push_back(&r);
  check_chain_links(pointers);
  return results;
}

}  // namespace witprove::witness
