#include "witness/stateless.hpp"

#include <stdexcept>

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include "eth/account.hpp"
#include "eth/keccak.hpp"
#include "eth/rlp.hpp"

namespace witprove::witness {

using eth::Account;

namespace {

// Cancun on mainnet; the other chains the witnesses come from (devnets) run Cancun from genesis.
constexpr uint64_t mainnet_chain_id = 1;
constexpr uint64_t mainnet_cancun_timestamp = 1710338135;

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
  // Status (EIP-658) is empty or 0x01; a 32-byte intermediate state root predates it and means success.
  if (fields[0].payload.size() != 32) receipt.succeeded = eth::rlp_to_u64(fields[0]) != 0;
  receipt.cumulative_gas = eth::rlp_to_u64(fields[1]);
  return receipt;
}

// The state being processed: the tries of the pre-state, updated in place.
struct World {
  PreState pre;
  eth::PreimageLog* log;

  std::optional<Account> account(const H256& key) const {
    const Bytes* value = pre.state.get(key);
    if (!value) return std::nullopt;
    return eth::decode_account(*value);
  }

  // The storage trie of an account, expanded from the pre-image where it was, otherwise known by its root.
  eth::Trie& storage(const H256& key, const H256& root) {
    auto it = pre.storage.find(key);
    if (it == pre.storage.end()) {
      it = pre.storage.emplace(key, eth::Trie::from_root_hash(root)).first;
      it->second.orphan_policy = eth::OrphanedHashPolicy::assume_branch;
    }
    return it->second;
  }

  void write_slot(const H256& key, Account& account, const H256& slot, const U256& value) {
    in_context(fmt::format("slot {}", eth::to_hex(slot)), [&] {
      eth::Trie& trie = storage(key, account.storage_root);
      if (value.is_zero()) trie.erase(eth::storage_key(slot));
      else trie.put(eth::storage_key(slot), eth::encode_storage_value(value));
    });
  }

  void put_account(const H256& key, const Account& account) { pre.state.put(key, eth::encode_account(account)); }

  void remove_account(const H256& key) {
    pre.state.erase(key);
    pre.storage.erase(key);
  }

  H256 hash_code(const Bytes& code) {
    H256 digest = eth::keccak256(code);
    if (log) log->record(code, digest);
    return digest;
  }
};

// EIP-4788: before the transactions, store the timestamp and the parent beacon block root in the ring buffer.
// The write is a call to the contract, which does nothing while no code is deployed there.
void write_beacon_root(World& world, const BlockMetadata& meta) {
  in_context("EIP-4788 beacon root write", [&] {
    H256 key = eth::account_key(beacon_roots_address);
    std::optional<Account> contract = world.account(key);
    if (!contract || contract->code_hash == eth::empty_keccak) return;
    uint64_t timestamp = to_u64(meta.block_timestamp, "timestamp");
    U256 timestamp_index = timestamp % beacon_roots_buffer_length;
    world.write_slot(key, *contract, eth::to_be_bytes32(timestamp_index), meta.block_timestamp);
    world.write_slot(key, *contract, eth::to_be_bytes32(timestamp_index + beacon_roots_buffer_length),
                     eth::u256_from_be_bytes(meta.parent_beacon_block_root));
    contract->storage_root = world.storage(key, contract->storage_root).root_hash(world.log);
    world.put_account(key, *contract);
  });
}

bool has_writes(const AccountTrace& trace) {
  return trace.balance || trace.nonce || !trace.storage_written.empty() || trace.code_read || trace.code_write;
}

// One account's declared changes in one transaction.
void apply_trace(World& world, const AccountTrace& trace, bool txn_succeeded) {
  if (!has_writes(trace) && !trace.self_destructed) return;  // read only
  H256 key = eth::account_key(trace.address);
  std::optional<Account> existing = world.account(key);
  // A failed transaction does not create the accounts it touched (their traces still list them).
  if (has_writes(trace) && (existing || txn_succeeded)) {
    if (!existing) world.pre.storage.erase(key);  // a new account starts with empty storage
    Account account = existing.value_or(Account{});
    if (trace.balance) account.balance = *trace.balance;
    if (trace.nonce) account.nonce = to_u64(*trace.nonce, "nonce");
    if (trace.code_write) {
      account.code_hash = world.hash_code(*trace.code_write);
      world.pre.code.emplace(account.code_hash, *trace.code_write);
    } else if (trace.code_read) {
      account.code_hash = *trace.code_read;
    }
    if (!trace.storage_written.empty()) {
      for (const auto& [slot, value] : trace.storage_written) world.write_slot(key, account, slot, value);
      account.storage_root = world.storage(key, account.storage_root).root_hash(world.log);
    }
    // EIP-161: a touched account left empty is removed.
    if (account.is_empty()) world.remove_account(key);
    else world.put_account(key, account);
  }
  if (trace.self_destructed) world.remove_account(key);
}

bool cancun_active(const BlockMetadata& meta) {
  return meta.block_chain_id != U256(mainnet_chain_id) || meta.block_timestamp >= U256(mainnet_cancun_timestamp);
}

void process(const BlockWitness& block, World& world, BlockResult& result) {
  const BlockMetadata& meta = block.other_data.b_data.b_meta;
  result.pre_state_root = world.pre.state.root_hash(world.log);
  if (world.log) {  // the root node itself, even when an earlier computation cached its hash
    Bytes root = world.pre.state.root_encoding();
    if (!root.empty()) world.log->record(root, eth::keccak256(root));
  }
  result.pre_state_matches_checkpoint = result.pre_state_root == block.other_data.checkpoint_state_trie_root;
  if (cancun_active(meta)) write_beacon_root(world, meta);

  eth::Trie transactions, receipts;
  uint64_t cumulative_gas = 0;
  const std::vector<TxnInfo>& txns = block.block_trace.txn_info;
  for (size_t i = 0; i < txns.size(); ++i) {
    in_context(fmt::format("txn {}", i), [&] {
      const TxnMeta& txn_meta = txns[i].meta;
      Receipt receipt = in_context("receipt", [&] { return read_receipt(txn_meta.new_receipt_trie_node_byte); });
      if (!txn_meta.byte_code.empty()) {
        Bytes key = eth::rlp_uint(uint64_t{i});
        transactions.put(key, txn_meta.byte_code);
        receipts.put(key, std::move(receipt.trie_value));
      }
      cumulative_gas += txn_meta.gas_used;
      if (receipt.cumulative_gas != cumulative_gas)
        fail(fmt::format("receipt's cumulative gas {} differs from the sum of gas used so far {}",
                         receipt.cumulative_gas, cumulative_gas));
      for (const AccountTrace& trace : txns[i].traces)
        in_context(fmt::format("account {}", eth::to_hex(trace.address)),
                   [&] { apply_trace(world, trace, receipt.succeeded); });
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
      H256 key = eth::account_key(w.address);
      Account account = world.account(key).value_or(Account{});
      if (eth::add_overflows(account.balance, w.amount * U256(1'000'000'000), account.balance))
        fail("balance overflows");
      world.put_account(key, account);
    });
  }

  result.state_root = world.pre.state.root_hash(world.log);
  result.transactions_root = transactions.root_hash(world.log);
  result.receipts_root = receipts.root_hash(world.log);
  result.gas_used = cumulative_gas;
  if (U256(cumulative_gas) != meta.block_gas_used)
    fail(fmt::format("the transactions' gas adds up to {}, the block declares {}", cumulative_gas,
                     eth::to_decimal(meta.block_gas_used)));
}

}  // namespace

BlockResult process_block(const BlockWitness& block, const ProcessOptions& options) {
  BlockResult result;
  result.origin = block.origin;
  result.block = block_number(block);
  eth::PreimageLog log;
  eth::PreimageLog* log_ptr = options.record_keccak_preimages ? &log : nullptr;
  try {
    World world{in_context("pre-image", [&] { return decode_pre_state(block.block_trace, log_ptr); }), log_ptr};
    result.pre_image = pre_image_stats(world.pre);
    process(block, world, result);
    result.ok = true;
  } catch (const std::exception& e) {
    result.error = e.what();
  }
  if (log_ptr) result.keccak_preimages = std::move(log.preimages);
  return result;
}

void check_chain_link(const BlockResult& earlier, BlockResult& later) {
  if (!earlier.ok || !later.ok || later.pre_state_root == earlier.state_root) return;
  later.ok = false;
  later.error = fmt::format("pre-state root {} differs from block {}'s post-state root {}",
                            eth::to_hex(later.pre_state_root), earlier.block, eth::to_hex(earlier.state_root));
}

std::vector<BlockResult> process_blocks(const std::vector<const BlockWitness*>& blocks, const ProcessOptions& options) {
  std::vector<BlockResult> results(blocks.size());
  tbb::parallel_for(size_t{0}, blocks.size(), [&](size_t i) { results[i] = process_block(*blocks[i], options); });
  for (size_t i = 1; i < results.size(); ++i) check_chain_link(results[i - 1], results[i]);
  return results;
}

}  // namespace witprove::witness
