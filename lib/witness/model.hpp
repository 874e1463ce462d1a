// The zero-bin `BlockProverInput` witness as plain data: one BlockWitness per element of the JSON array
// `[{block_trace, other_data}, ...]`. Field names follow the JSON; every quantity is exact.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "eth/bytes.hpp"
#include "eth/uint256.hpp"

namespace witprove::witness {

using eth::Address;
using eth::Bytes;
using eth::H256;
using eth::U256;

// ---- trie pre-images ------------------------------------------------------------------------------

// `{"combined": {"compact": "0x..."}}`: state and storage tries and code in one compact instruction stream.
struct CombinedPreImage {
  Bytes compact;
};

// One node of a directly serialized (`separate`) trie, stored in an arena (DirectTrie::nodes).
// Children are indices into that arena.
struct TrieNode {
  enum class Kind : uint8_t { empty, hash, branch, extension, leaf };
  Kind kind = Kind::empty;
  H256 hash{};                     // kind == hash
  std::vector<uint8_t> nibbles;    // extension, leaf: one nibble (0..15) per element
  Bytes value;                     // leaf, branch (empty when the branch has no value)
  std::array<uint32_t, 16> children{};  // branch
  uint32_t child = 0;                   // extension
};

// A `HashedPartialTrie` as serialized by mpt_trie; nodes[0] is the root (an empty trie is one empty node).
struct DirectTrie {
  std::vector<TrieNode> nodes;
};

// `{"separate": {"state": {"direct": trie}, "storage": {"multiple_tries": {hashed_address: {"direct": trie}}}}}`
struct SeparatePreImages {
  DirectTrie state;
  std::vector<std::pair<H256, DirectTrie>> storage;  // keyed by keccak(address), in file order
};

using TriePreImages = std::variant<CombinedPreImage, SeparatePreImages>;

// ---- transactions ---------------------------------------------------------------------------------

// What one transaction did to one account. Absent optionals mean "unchanged".
struct AccountTrace {
  Address address{};
  std::optional<U256> balance;  // new balance
  std::optional<U256> nonce;    // new nonce
  std::vector<H256> storage_read;                      // slots read
  std::vector<std::pair<H256, U256>> storage_written;  // slot -> new value, in file order
  std::optional<H256> code_read;    // code_usage.read: hash of the code executed
  std::optional<Bytes> code_write;  // code_usage.write: code created by this transaction
  bool self_destructed = false;
};

struct TxnMeta {
  Bytes byte_code;                               // the signed transaction as stored in the transactions trie
  Bytes new_receipt_trie_node_byte;              // the receipt (see README of the data for the typed wrapping)
  std::optional<Bytes> new_txn_trie_node_byte;   // older witnesses only; equals byte_code
  uint64_t gas_used = 0;                         // this transaction's gas, not cumulative
};

struct TxnInfo {
  std::vector<AccountTrace> traces;  // in file order
  TxnMeta meta;
};

struct BlockTrace {
  TriePreImages trie_pre_images;
  std::vector<Bytes> code_db;  // `null` or absent reads as empty
  std::vector<TxnInfo> txn_info;
};

// ---- block data -----------------------------------------------------------------------------------

struct BlockMetadata {
  Address block_beneficiary{};
  U256 block_timestamp;
  U256 block_number;
  U256 block_difficulty;
  H256 block_random{};
  U256 block_gaslimit;
  U256 block_chain_id;
  U256 block_base_fee;
  U256 block_gas_used;
  // From Cancun (EIP-4844, EIP-4788): absent in witnesses of earlier blocks.
  std::optional<U256> block_blob_gas_used;
  std::optional<U256> block_excess_blob_gas;
  std::optional<H256> parent_beacon_block_root;
  std::array<U256, 8> block_bloom{};  // the 256-byte bloom as eight big-endian 32-byte words
};

struct BlockHashes {
  std::vector<H256> prev_hashes;  // 256 hashes, oldest first; the last is the parent's
  H256 cur_hash{};
};

struct Withdrawal {
  Address address{};
  U256 amount;  // in Gwei; 64 bits (EIP-4895), checked when parsed
};

struct BlockLevelData {
  BlockMetadata b_meta;
  BlockHashes b_hashes;
  std::vector<Withdrawal> withdrawals;
};

struct GerData {
  H256 global_exit_root{};
  H256 l1_block_hash{};
};

struct OtherBlockData {
  BlockLevelData b_data;
  H256 checkpoint_state_trie_root{};
  // Four 64-bit field elements; JSON numbers above 2^53, so they must be read as exact integers.
  std::optional<std::array<uint64_t, 4>> checkpoint_consolidated_hash;
  std::optional<Address> burn_addr;
  std::optional<GerData> ger_data;
};

// ---- one block ------------------------------------------------------------------------------------

// Where a block came from: the file (or archive member) name and the block's index in its JSON array.
struct BlockOrigin {
  std::string source;
  size_t index = 0;
};

struct BlockWitness {
  BlockOrigin origin;
  uint64_t witness_bytes = 0;  // size of this block's JSON text
  BlockTrace block_trace;
  OtherBlockData other_data;
};

// The block number as a 64-bit integer (witness block numbers always fit; larger values saturate).
inline uint64_t block_number(const BlockWitness& block) {
  const U256& n = block.other_data.b_data.b_meta.block_number;
  return n.fits_u64() ? n.limbs[0] : UINT64_MAX;
}

}  // namespace witprove::witness
