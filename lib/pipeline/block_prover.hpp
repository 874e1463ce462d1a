// Proving one block: the native check first (seconds, with the reason when the witness is unprovable),
// then the block state-transition statement (docs/statement.md) proved as segments within a memory budget,
// into a proof file.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "air/block_transition.hpp"
#include "pipeline/metrics.hpp"
#include "proof/proof_file.hpp"
#include "witness/model.hpp"

namespace witprove::pipeline {

// Default parameters: the "fast" set (blowup 2: a quarter of the extended trace of "compact" to hold) and
// permutation tables of 5,461 permutations (2^17 rows).
proof::Parameters default_parameters();

uint64_t physical_memory_bytes();

// Why a block was not proved. `transient` failures (out of memory) may succeed on a retry; the others
// (an unprovable witness, a previous proof that is not the parent) never will.
struct BlockFailure : std::runtime_error {
  bool transient = false;
  BlockFailure(const std::string& what, bool is_transient) : std::runtime_error(what), transient(is_transient) {}
};

// What the native processing of a block establishes: the proof's public values and the statement's witness
// (the trie nodes its walks expand and its net state changes).
struct CheckedBlock {
  proof::PublicValues public_values;
  air::BlockTransitionWitness witness;
  std::string rules;  // the fork rules the processing applied (witness::BlockResult::rules)
};

// Processes the block natively. Throws BlockFailure with the reason when the witness is unprovable.
// `unchecked` (a test mode) does not stop at the processing's verdict: what it computed is proved as it is,
// so that a witness the processing refuses reaches the constraints.
CheckedBlock check_block(const witness::BlockWitness& block, bool unchecked = false);

// The statement's public values from the proof's.
air::BlockTransitionPublic transition_public(const proof::PublicValues& v);

struct ProveSettings {
  proof::Parameters parameters = default_parameters();
  // The memory cap: tables and segments shrink to fit it; 0: the machine's memory.
  uint64_t max_memory_bytes = 0;
  unsigned attempt = 1;  // recorded in the metrics
  // Where a segmented block keeps each segment's first pass for its proof (stark::KeptCommitment), so that
  // its main columns are hashed once: "" the temporary directory ($TMPDIR, else /tmp) when it is on disk
  // (not tmpfs or ramfs, which would spend memory) with room; "none" nowhere (hashed twice).
  std::string spill_dir;
};

// What proving a checked block is expected to take with `threads` threads within settings.max_memory_bytes:
// the engine's plan (the same as prove_block's: tables, segments, how many at once) and its memory estimate;
// the time at kCellsPerSecondPerThread over the cells, times kSegmentedPasses for a segmented block (its
// commitments come first, and its proofs extend the main columns again). The rate is the low end of what the
// real blocks of docs/statement.md ("Cost") ran at in one pass, 14-20 M cells/s per thread; the factor is
// above what the segmented ones took (1.1-1.25 times a pass at that rate), so an overestimate there, and a guess on
// other machines. Builds the block's tables (seconds for the largest blocks). Throws BlockFailure as
// prove_block.
inline constexpr double kCellsPerSecondPerThread = 14e6;
inline constexpr double kSegmentedPasses = 1.4;
struct ProvingEstimate {
  uint64_t permutations = 0;  // Keccak-f permutations
  uint64_t cells = 0;         // trace cells of all tables
  size_t segments = 0;
  uint64_t memory_bytes = 0;  // peak resident memory, by the engine's estimate
  double seconds = 0;         // proving time
};
ProvingEstimate estimate_proving(const CheckedBlock& block, const ProveSettings& settings, unsigned threads);

// Proves a checked block (its public values complete, previous-proof digest included): builds the
// statement's tables, plans its segments, commits every segment, then proves each with the shared
// challenges, as many at once as threads and memory allow. Logs each job; writes one metric per job.
proof::ProofFile prove_block(const CheckedBlock& block, const ProveSettings& settings, MetricsLog& metrics);

}  // namespace witprove::pipeline
