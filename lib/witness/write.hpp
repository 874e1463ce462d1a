// Writing the witness model back as zero-bin `BlockProverInput` JSON, in the shape zk_evm's serde gives it:
// hex strings for byte strings and quantities, plain numbers for gas and u64 fields, byte arrays for the
// values of directly serialized trie nodes and for code_db. parse_block reads exactly what this writes.
#pragma once

#include <span>
#include <string>

#include "witness/model.hpp"

namespace witprove::witness {

// Appends one block as a JSON object (no whitespace). `origin` and `witness_bytes` are not part of the format.
void append_block_json(std::string& out, const BlockWitness& block);

// A witness file: the JSON array of the blocks.
std::string witness_file_json(std::span<const BlockWitness> blocks);

}  // namespace witprove::witness
