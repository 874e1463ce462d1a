// Generated block witnesses: a random chain state, random blocks of transactions over it, and for each block
// the witness (only the trie paths the block touches expanded, the rest hashed) and the block's real header
// (state, transactions and receipts roots computed from the full state). Deterministic for a given seed.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "eth/forks.hpp"
#include "witness/model.hpp"

namespace witprove::generator {

using eth::Address;
using eth::Bytes;
using eth::H256;
using eth::U256;

enum class Encoding : uint8_t { combined, separate };

// Deliberate faults, put in the last block.
enum class Broken : uint8_t {
  none,
  missing_node,      // a trie node the block needs is left hashed
  wrong_checkpoint,  // checkpoint_state_trie_root is not the block's pre-state root
  flipped_byte,      // one bit of the compact pre-image flipped (combined encoding), so that it decodes differently
  changed_write,     // one storage write's value changed: the roots no longer match the header
};

std::optional<Broken> broken_from_name(std::string_view name);
std::string_view broken_name(Broken broken);

struct Options {
  uint64_t seed = 1;
  uint64_t blocks = 1;
  uint64_t txs = 8;         // per block
  uint64_t accounts = 64;   // in the state before the first block
  uint64_t first_block = 1;
  Encoding encoding = Encoding::combined;
  // Shanghai: chain 1 before Cancun. Cancun: a devnet chain id (no known schedule; the fields present decide),
  // EIP-4788 write before the transactions. Prague: chain 1 after Prague, EIP-4788 and EIP-2935 writes, the
  // EIP-7002 / EIP-7251 queues deployed and empty.
  eth::Fork fork = eth::Fork::cancun;
  uint64_t withdrawals = 2; // per block
  // True: the blocks form one range (one file) and all carry the first block's pre-state root as their
  // checkpoint. False: each block is its own range (one file per block).
  bool one_range = true;
  Broken broken = Broken::none;
};

// The header of a generated block, as the chain would have it (Shanghai or Cancun fields).
struct Header {
  H256 parent_hash{};
  Address beneficiary{};
  H256 state_root{};
  H256 transactions_root{};
  H256 receipts_root{};
  std::array<uint8_t, 256> logs_bloom{};
  uint64_t number = 0;
  uint64_t gas_limit = 0;
  uint64_t gas_used = 0;
  uint64_t timestamp = 0;
  Bytes extra_data;
  H256 mix_hash{};
  U256 base_fee;
  H256 withdrawals_root{};
  uint64_t blob_gas_used = 0;                     // Cancun
  uint64_t excess_blob_gas = 0;                   // Cancun
  std::optional<H256> parent_beacon_block_root;  // Cancun: present exactly on Cancun and later headers
  std::optional<H256> requests_hash;             // Prague (EIP-7685): present exactly on Prague headers
  H256 hash{};
};

// keccak256 of the RLP header: the block hash.
H256 header_hash(const Header& header);

// What a deliberately broken block should be reported with.
struct BrokenBlock {
  Broken kind = Broken::none;
  uint64_t block = 0;
  std::string where;  // e.g. "txn 3", "compact byte 1234"; empty when the fault has no single place
  std::string key;    // the trie key that cannot be reached (missing_node), hex
};

// Receives each block, with its header, as soon as it is made.
using BlockSink = std::function<void(witness::BlockWitness&& block, Header&& header)>;

// Generates the blocks one at a time (memory stays bounded however long the chain); returns what was broken.
// Throws std::invalid_argument for options that cannot be met (e.g. flipped_byte with the separate encoding,
// changed_write when the last block writes no storage).
BrokenBlock generate(const Options& options, const BlockSink& emit);

// RPC `eth_getBlockByNumber`-shaped header objects, as a JSON array (what witness::read_headers reads).
std::string headers_json(const std::vector<Header>& headers);

}  // namespace witprove::generator
