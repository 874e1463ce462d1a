// The block state-transition statement's input (docs/state-transition.md) from a processed block: the trie
// nodes its walks expand, its net change list and its public values. Not yet used by the tools.
#pragma once

#include <string>
#include <variant>

#include "air/block_transition.hpp"
#include "witness/stateless.hpp"

namespace witprove::pipeline {

struct TransitionInput {
  air::BlockTransitionWitness witness;
  air::BlockTransitionPublic pub;
};

// From a block processed with record_keccak_preimages and record_state_changes: the hashed inputs that are
// trie nodes (contract code is left out), the state changes as change entries (an account by the
// Keccak-256 of its leaf value, a slot by its value as a 32-byte big-endian word) and the public values.
// Returns why not when the block failed or its changes cannot be listed.
std::variant<TransitionInput, std::string> transition_input(const witness::BlockResult& result);

}  // namespace witprove::pipeline
