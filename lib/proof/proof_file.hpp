// The block proof file: a self-describing, checksummed envelope around the STARK proof(s) of one block.
//
// Binary layout (little-endian integers, hashes as 32 raw bytes):
//   magic "WITPROOF" | u32 format version
//   u8 length + statement id | u32 statement version
//   parameters: u32 log_blowup, num_queries, grinding_bits, log_fri_arity, log_final_poly_len,
//               permutations_per_table
//   public values: u64 chain_id, u64 block_number, block_hash, parent_hash, pre_state_root,
//                  post_state_root, transactions_root, receipts_root, u64 gas_used, u64 tx_count,
//                  changes_digest, previous_proof_digest
//   u32 permutation_tables
//   u32 segment count, then per segment: u32 table count + u32 table indices (the statement's tables in
//                  proving order), u64 proof length + the STARK proof bytes (the engine's own codec)
//   u64 CRC-64 of every byte before it
// The same inputs give byte-identical files; any damage is reported before proof verification.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "stark/stark.hpp"

namespace witprove::proof {

using Hash32 = std::array<uint8_t, 32>;

// 2: Merkle leaves and nodes hashed with domain separation (a version-1 proof cannot verify).
// 3: LogUp fractions grouped two per auxiliary column (a version-2 proof has other auxiliary widths).
// 4: the KoalaBear field with its degree-4 extension, 16-bit limbs in the Keccak tables (a version-3 proof
//    is over Goldilocks).
// 5: the block state-transition statement: segments are sets of the statement's tables proved with shared
//    LogUp challenges; the changes digest and the number of permutation tables are in the header.
// 6: Merkle leaves and nodes hashed with the SHA-256 compression function from initial values of their own
//    (a version-5 proof's trees do not open).
// 7: out-of-domain values at zeta·w only for the columns read on the next row (a version-6 proof has them
//    for every column).
inline constexpr uint32_t kFormatVersion = 7;

struct Parameters {
  stark::StarkParams stark;           // check_trace is not stored: it does not change the proof
  uint32_t permutations_per_table = 0;  // Keccak-f permutations per permutation table (the last may hold fewer)
  friend bool operator==(const Parameters&, const Parameters&) = default;
};

struct PublicValues {
  uint64_t chain_id = 0;
  uint64_t block_number = 0;
  Hash32 block_hash{};
  Hash32 parent_hash{};
  Hash32 pre_state_root{};
  Hash32 post_state_root{};
  Hash32 transactions_root{};
  Hash32 receipts_root{};
  uint64_t gas_used = 0;
  uint64_t tx_count = 0;
  Hash32 changes_digest{};         // Keccak-256 of the block's encoded net state changes (docs/statement.md)
  Hash32 previous_proof_digest{};  // zero when the block was proved without a previous proof
  friend bool operator==(const PublicValues&, const PublicValues&) = default;
};

// One STARK proof over a bounded part of the block's statement: some of its tables, proved with the LogUp
// challenges all segments share (their lookup sums add to zero).
struct Segment {
  std::vector<uint32_t> tables;  // indices of the statement's tables, in proving order
  std::vector<uint8_t> stark_proof;
  friend bool operator==(const Segment&, const Segment&) = default;
};

struct ProofFile {
  std::string statement_id;
  uint32_t statement_version = 0;
  Parameters parameters;
  PublicValues public_values;
  uint32_t permutation_tables = 0;  // the statement's Keccak-f permutation tables (its first tables)
  std::vector<Segment> segments;
  friend bool operator==(const ProofFile&, const ProofFile&) = default;
};

// Thrown for any malformed proof: the message says what is wrong and where.
struct FormatError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::vector<uint8_t> encode(const ProofFile& file);
// Strict: bad magic, unknown version, truncation, trailing bytes and checksum mismatch all throw.
ProofFile decode(std::span<const uint8_t> bytes);
// Sets the last 8 bytes of `encoded` (at least 8) to the CRC-64/XZ of the bytes before them, as encode does:
// for altering files on purpose (the verifier's fuzz target), so that the change reaches the verifier.
void seal(std::span<uint8_t> encoded);

// A proof's identity in a chain (the next block's previous_proof_digest): SHA-256 of its binary form.
Hash32 digest(const ProofFile& file);

// The canonical bytes of the statement id, version, parameters, public values and the segments' table
// lists (the layout above without the STARK proofs), bound into every segment's Fiat–Shamir transcript.
std::vector<uint8_t> statement_bytes(const ProofFile& file);

// JSON form: every 64-bit value and hash is a string, the STARK proofs are hex strings.
std::string to_json(const ProofFile& file);
// The public values as a JSON object (the "public_values" member of the JSON form).
std::string public_values_json(const PublicValues& values);
// Reads the JSON form back; numbers where strings belong (e.g. after a tool rounded them) are refused.
ProofFile from_json(std::string_view json);

// Reads a proof from binary or JSON bytes (told apart by the first non-space byte).
ProofFile parse(std::span<const uint8_t> bytes);
// Reads a proof file (binary or JSON); errors name the file.
ProofFile read_file(const std::filesystem::path& path);
// Writes to a temporary name in the same folder, then renames: a killed writer never leaves a half file.
void write_file_atomic(const std::filesystem::path& path, std::span<const uint8_t> bytes);
void write_file_atomic(const std::filesystem::path& path, std::string_view text);

}  // namespace witprove::proof
