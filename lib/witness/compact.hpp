// Decoding a witness's trie pre-images into the pre-state: the state trie, the storage tries under it and a
// code table. Both encodings are supported: `combined` (the compact type-1 instruction stream) and `separate`
// (directly serialized tries).
#pragma once

#include <unordered_map>

#include "eth/mpt.hpp"
#include "eth/rlp.hpp"
#include "witness/model.hpp"

namespace witprove::witness {

using eth::ByteView;
using StorageTries = std::unordered_map<H256, eth::Trie, eth::H256Hash>;
using CodeTable = std::unordered_map<H256, Bytes, eth::H256Hash>;

struct PreState {
  eth::Trie state;       // accounts under keccak(address)
  StorageTries storage;  // storage tries of the accounts the pre-image expands, under keccak(address)
  CodeTable code;        // contract code by its keccak hash
};

// Malformed compact input; what() says what is wrong and at which byte of the stream.
struct CompactError : eth::DecodeError {
  CompactError(size_t offset, std::string_view what);
  size_t offset;
};

// Decodes the compact stream. Every trie node and code hashed on the way is logged when `log` is set.
PreState decode_compact(ByteView compact, eth::PreimageLog* log = nullptr);
// The compact stream of a pre-state (header byte 1; storage tries nested under their account leaves; code
// inline when the code table has it, else its hash). Throws std::invalid_argument for what the format cannot
// express (a leaf with an empty path).
Bytes encode_compact(const PreState& state);
// Builds the pre-state from directly serialized tries.
PreState decode_separate(const SeparatePreImages& images, eth::PreimageLog* log = nullptr);
// Either encoding, plus the block's code_db.
PreState decode_pre_state(const BlockTrace& trace, eth::PreimageLog* log = nullptr);

struct PreImageStats {
  uint64_t trie_nodes = 0;       // expanded nodes (leaf, extension, branch) of the state and storage tries
  uint64_t hashed_subtries = 0;  // unexpanded subtrees, state and storage
  uint64_t accounts = 0;         // account leaves in the state trie
  uint64_t storage_tries = 0;    // accounts whose storage trie is at least partly expanded
  uint64_t storage_slots = 0;    // storage leaves
  uint64_t contracts = 0;        // entries of the code table
  uint64_t code_bytes = 0;

  friend bool operator==(const PreImageStats&, const PreImageStats&) = default;
};

PreImageStats pre_image_stats(const PreState& state);
// The same figures for a block's pre-image, with the same errors as decode_pre_state, but for the combined
// encoding without building the tries or hashing anything.
PreImageStats pre_image_stats(const BlockTrace& trace);

}  // namespace witprove::witness
