// The STARK engine's public API: parameters, the proof, prove, verify and the proof codec.
// The protocol, the parameters' security and the proof layout are described in docs/stark.md.
//
//   std::vector<stark::TableInstance> tables = {{&keccak_air, &keccak_trace, {}}, {&sponge_air, &sponge_trace, pv}};
//   stark::Proof proof = stark::prove(tables, params, statement);
//   auto error = stark::verify(airs, public_values, proof, params, statement);   // nullopt: valid
//   std::vector<uint8_t> bytes = stark::serialize(proof);
//   auto back = stark::deserialize(bytes, params);   // Proof, or the reason the bytes are malformed
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "stark/air.hpp"
#include "stark/field.hpp"
#include "stark/hash.hpp"

namespace witprove::stark {

#ifdef NDEBUG
inline constexpr bool kDebugBuild = false;
#else
inline constexpr bool kDebugBuild = true;
#endif

struct StarkParams {
  uint32_t log_blowup = 3;          // LDE blowup 2^log_blowup; also bounds the quotient degree
  uint32_t num_queries = 27;        // FRI queries
  uint32_t grinding_bits = 19;      // proof of work before the queries are drawn (about 2^19 SHA-256 calls)
  uint32_t log_fri_arity = 3;       // FRI folds 2^log_fri_arity points into one per round
  uint32_t log_final_poly_len = 3;  // FRI stops at a polynomial of at most 2^log_final_poly_len coefficients
  // Run check_constraints and check_lookups before proving (on by default in debug builds).
  bool check_trace = kDebugBuild;

  // Conjectured bits of security: log_blowup * num_queries + grinding_bits (docs/stark.md).
  unsigned conjectured_security_bits() const { return log_blowup * num_queries + grinding_bits; }
  // The parameter set that the transcript binds (check_trace excluded: it does not change the proof).
  friend bool operator==(const StarkParams& a, const StarkParams& b) {
    return a.log_blowup == b.log_blowup && a.num_queries == b.num_queries && a.grinding_bits == b.grinding_bits &&
           a.log_fri_arity == b.log_fri_arity && a.log_final_poly_len == b.log_final_poly_len;
  }
};

// Why parameters are unusable, if they are (e.g. blowup 0, more than 255 queries).
std::optional<std::string> validate(const StarkParams& params);

// The parameter sets a verifier accepts; docs/stark.md gives each one's conjectured and proven security. A
// proof names its set by its values: values that are not exactly one of these sets are rejected, however
// many bits they would claim.
struct ParameterSet {
  std::string_view name;
  StarkParams params;
};
// "compact": blowup 8, 27 queries, 19 grinding bits (the smaller proof). "fast": blowup 2, 84 queries,
// 16 grinding bits (a quarter of the extended trace to compute, hash and hold). Both at 100 bits conjectured.
std::span<const ParameterSet> parameter_sets();
const ParameterSet* find_parameter_set(std::string_view name);  // nullptr: no such set
const ParameterSet* parameter_set_of(const StarkParams& params);  // nullptr: not a known set

// Leaves of one Merkle tree opened at the query positions (sorted, distinct), and the batch proof.
struct TreeOpening {
  std::vector<std::vector<Fp>> rows;
  std::vector<Digest> siblings;
};

struct TableProof {
  uint32_t log_height = 0;
  // The fixed columns' commitment is not in the proof: the verifier computes it from the AIR.
  Digest main_root{};
  // Present when the table has lookup interactions.
  std::optional<Digest> aux_root;
  Fp4 lookup_sum;  // this table's LogUp sum; zero without interactions. All tables' sums add to zero.
  Digest quotient_root{};
  // Out-of-domain openings, one value per committed base column at zeta (_local, quotient_chunks), and at
  // zeta·omega (_next) per column of the next-row mask (the columns eval reads on the next row, and the
  // LogUp running sum), in column order.
  std::vector<Fp4> fixed_local, fixed_next, main_local, main_next, aux_local, aux_next, quotient_chunks;
  TreeOpening fixed_opening, main_opening, aux_opening, quotient_opening;
};

struct FriProof {
  std::vector<Digest> layer_roots;   // layer 0 is the batched DEEP codeword
  std::vector<Fp4> final_poly;       // coefficients, lowest first
  uint64_t pow_nonce = 0;
  std::vector<TreeOpening> layer_openings;  // per layer, rows are folding groups, D coordinates per value
};

struct Proof {
  std::vector<TableProof> tables;
  FriProof fri;
};

// Wall-clock seconds per prover phase: lde = interpolation and coset extension of the main, auxiliary and
// quotient columns; commit = Merkle hashing of their rows; aux = building the LogUp columns; quotient =
// constraint evaluation and splitting; openings = out-of-domain values and DEEP codewords; fri = folding,
// grinding and query openings.
// kept = writing a segment's first pass to its file and reading it back (KeptCommitment).
struct ProveTimings {
  double lde = 0, commit = 0, aux = 0, quotient = 0, openings = 0, fri = 0, kept = 0, total = 0;
};

struct ProveError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// A kept first pass that cannot be used (unreadable, or not the segment's): proving without it works.
struct KeptCommitmentError : ProveError {
  using ProveError::ProveError;
};

// The LogUp challenges of a segmented statement, shared by all its segments.
struct SharedChallenges {
  Fp4 gamma, beta;
};

namespace pcs {
class Spill;
struct KeptExtensions;
}
// A segment's first pass kept for its proof (commit_segment, then prove). Either the Merkle trees of its
// fixed and main columns' extensions, written to an unnamed file in `directory` (gone however the process
// ends), so that the proof extends those columns again but reads their trees back instead of hashing them
// again (64 bytes per extended row and tree: kept_commitment_bytes; a table with fixed columns has two);
// or, `in_memory`, the extensions themselves with their trees, which the proof then takes over: for a
// segment proved right after its first pass, whose extensions the proof would otherwise hold anyway.
struct KeptCommitment {
  std::string directory;                  // in: where the file goes
  bool in_memory = false;                 // in: keep the extensions in memory instead of a file
  Digest commitment{};                    // out: the segment's commitment, which the proof must bind again
  std::shared_ptr<const pcs::Spill> file;  // out: null when nothing could be kept (then `error` says why)
  std::shared_ptr<pcs::KeptExtensions> extensions;  // out, in_memory: taken by the proof
  std::string error;
};

// Proves that every table's trace satisfies its AIR with its public values and that all lookup buses
// balance. `statement` identifies what is proved (bound into the transcript). Throws ProveError when
// the input is unusable (bad shapes), or when params.check_trace is set (the default in debug builds) and
// a constraint or bus fails; the message names the table, row and constraint, or the bus and tuple.
//
// With `shared` the tables are one segment of a larger statement (below): the LogUp challenges are the
// shared ones and the tables' lookup sums need not add to zero (check_trace then checks constraints only).
//
// With `first_pass` (a segment's KeptCommitment holding a file) the fixed and main columns' trees are read
// from it; holding extensions, those are used (and taken: a first pass serves one proof). The proof is the
// same as without. Throws KeptCommitmentError when they cannot be read, when
// their roots do not give the first pass's commitment, or when sampled leaves differ from the rows the
// columns extend to again (a file changed below its roots shows only in the proof, which then fails to
// verify).
Proof prove(std::span<const TableInstance> tables, const StarkParams& params, ByteView statement,
            ProveTimings* timings = nullptr, const SharedChallenges* shared = nullptr,
            const KeptCommitment* first_pass = nullptr);

// Checks a proof against the tables' AIRs (in the order proved) and public values. Returns nullopt when
// valid, otherwise the first reason for rejection. Never trusts the proof's shapes.
//
// With `shared` (a segment's proof) the tables' lookup sums are not required to add to zero: their sum is
// written to `*lookup_sum`, and the caller checks that the segments' sums add to zero.
std::optional<std::string> verify(std::span<const Air* const> airs, std::span<const std::vector<Fp>> public_values,
                                  const Proof& proof, const StarkParams& params, ByteView statement,
                                  const SharedChallenges* shared = nullptr, Fp4* lookup_sum = nullptr);

// Estimated peak memory, in bytes, that proving one table of `height` rows adds: the low-degree extensions
// of its fixed, main, auxiliary and quotient columns, the main columns' coefficients while they are
// extended, the auxiliary trace, the quotient values, the Merkle trees and the DEEP codeword (not the main
// trace itself, which the caller holds). A segment's estimate is the sum over its tables.
uint64_t estimated_prover_bytes(const Air& air, size_t height, const StarkParams& params);
// Bytes that a table of `height` rows adds to a KeptCommitment's file: the Merkle trees of its fixed and
// main extensions.
uint64_t kept_commitment_bytes(const Air& air, size_t height, const StarkParams& params);

// Segmented statements (docs/stark.md, "Segments"): a statement too large to prove at once is split into
// segments, each a set of tables with its own proof. Its buses balance across segments: the LogUp challenges
// are drawn from every segment's commitment to its fixed and main traces (so that no trace can depend on
// them), each segment is proved with them, and the segments' lookup sums add to zero.
//
// The prover's first pass: commits the segment's fixed and main traces, one table's extension at a time, and
// returns its commitment (the transcript state after the main roots). The proof that prove() makes of the
// same tables later binds the same commitment.
// With `keep`, the trees are also written to a file in keep->directory for the proof; a
// failure to write (a full disk) keeps nothing and says why in keep->error, and the commitment stands.
Digest commit_segment(std::span<const TableInstance> tables, const StarkParams& params, ByteView statement,
                      ProveTimings* timings = nullptr, KeptCommitment* keep = nullptr);
// The verifier's: the commitment that a segment's proof binds, or why its shapes are wrong.
std::variant<Digest, std::string> segment_commitment(std::span<const Air* const> airs,
                                                     std::span<const std::vector<Fp>> public_values,
                                                     const Proof& proof, const StarkParams& params, ByteView statement);
// The shared challenges: drawn from `statement` and every segment's commitment, in segment order.
SharedChallenges shared_challenges(std::span<const Digest> segment_commitments, ByteView statement);

// Strict binary codec (little-endian; see docs/stark.md). deserialize rejects wrong lengths, non-canonical
// field elements and trailing bytes, and never allocates more than the input could describe.
std::vector<uint8_t> serialize(const Proof& proof);
std::variant<Proof, std::string> deserialize(ByteView bytes, const StarkParams& params);

}  // namespace witprove::stark
