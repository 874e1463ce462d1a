// The interim block statement: the Keccak-256 computations of a block's witness.
//
// A block's messages are every Keccak-256 input hashed while processing the block natively (trie nodes,
// code), each once. The statement proves, with the Keccak permutation and sponge tables, that each
// required digest (the block's trie roots) is the Keccak-256 of one of the hashed messages. Large blocks
// are split into segments of at most a bounded number of permutations, each proved on its own; a
// required digest is proved by the segment that hashes its message. docs/statement.md states exactly
// what the constraints enforce.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "eth/bytes.hpp"
#include "stark/stark.hpp"

namespace witprove::air {

inline constexpr std::string_view kBlockStatementId = "witprove.block-keccak";
inline constexpr uint32_t kBlockStatementVersion = 1;

// Keccak-f[1600] permutations Keccak-256 runs on a message of this length (rate 136, padding included).
constexpr uint64_t keccak_permutations(size_t message_bytes) { return message_bytes / 136 + 1; }

struct SegmentPlan {
  size_t first_message = 0;
  size_t message_count = 0;
  uint64_t permutations = 0;
  std::vector<eth::H256> public_digests;  // required digests this segment proves, in required order
};

// Splits `messages`, in order, into segments of at most `max_permutations` permutations (a longer
// message gets a segment of its own) and gives each required digest to the first segment hashing it.
// Throws std::invalid_argument naming a required digest that no message hashes to.
std::vector<SegmentPlan> plan_segments(std::span<const eth::Bytes> messages, std::span<const eth::H256> required,
                                       uint64_t max_permutations);

// Proves one segment: its messages hash correctly and its public digests are among their digests.
// `statement` (the proof file's statement bytes) is bound into the transcript.
stark::Proof prove_segment(std::span<const eth::Bytes> messages, std::span<const eth::H256> public_digests,
                           const stark::StarkParams& params, stark::ByteView statement);

// Verifies one segment's proof for its public digests; nullopt when valid, else the reason.
std::optional<std::string> verify_segment(std::span<const eth::H256> public_digests, const stark::Proof& proof,
                                          const stark::StarkParams& params, stark::ByteView statement);

}  // namespace witprove::air
