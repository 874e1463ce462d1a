// Proving one block: the native check first (seconds, with the reason when the witness is unprovable),
// then the block's segments proved in parallel within a memory budget, into a proof file.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "eth/bytes.hpp"
#include "pipeline/metrics.hpp"
#include "proof/proof_file.hpp"
#include "witness/model.hpp"

namespace witprove::pipeline {

// Default parameters: the engine's defaults (at least 100 bits of conjectured security) and segments
// whose permutation table fills a power-of-two height exactly (24 rows per permutation).
proof::Parameters default_parameters();

uint64_t physical_memory_bytes();

// Estimated peak memory of proving one segment of `permutations` Keccak-f permutations.
uint64_t segment_memory_bytes(uint64_t permutations, const stark::StarkParams& params);
// The largest segment size, at most `wanted` permutations, whose estimated memory fits `budget` bytes;
// 0 when not even one permutation fits.
uint64_t segment_permutations_within(uint64_t budget, uint64_t wanted, const stark::StarkParams& params);

// Why a block was not proved. `transient` failures (out of memory) may succeed on a retry; the others
// (an unprovable witness, a previous proof that is not the parent) never will.
struct BlockFailure : std::runtime_error {
  bool transient = false;
  BlockFailure(const std::string& what, bool is_transient) : std::runtime_error(what), transient(is_transient) {}
};

// What the native processing of a block establishes: the proof's public values and the statement's
// messages (every Keccak-256 input, each once).
struct CheckedBlock {
  proof::PublicValues public_values;
  std::vector<eth::Bytes> messages;
  std::string rules;  // the fork rules the processing applied (witness::BlockResult::rules)
};

// Processes the block natively. Throws BlockFailure with the reason when the witness is unprovable.
CheckedBlock check_block(const witness::BlockWitness& block);

struct ProveSettings {
  proof::Parameters parameters = default_parameters();
  // Bounds how many segments are proved at once (never more than threads); 0: the machine's memory.
  uint64_t max_memory_bytes = 0;
  unsigned attempt = 1;           // recorded in the metrics
};

// Proves a checked block (its public values complete, previous-proof digest included).
// Logs each segment job; writes one metric per job.
proof::ProofFile prove_block(const CheckedBlock& block, const ProveSettings& settings, MetricsLog& metrics);

}  // namespace witprove::pipeline
