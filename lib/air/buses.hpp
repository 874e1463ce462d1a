// The buses between the statement's tables, each declared once with its tuple length. Ids come from one
// enumeration, so they are unique by construction; the engine also refuses a proof whose tables use an id
// with two names or lengths.
#pragma once

#include <cstdint>

#include "stark/air.hpp"

namespace witprove::air {

enum class BusId : uint32_t {
  keccak_permutation_input = 1,
  keccak_permutation_output,
  keccak_message_block,
  keccak_digest,
};

namespace bus {
constexpr uint32_t id(BusId b) { return static_cast<uint32_t>(b); }
// (permutation tag, 50 little-endian 32-bit limbs of the state: lane i at limbs 2i, 2i + 1)
inline constexpr stark::Bus<51> permutation_input{id(BusId::keccak_permutation_input), "keccak.permutation_input"};
inline constexpr stark::Bus<51> permutation_output{id(BusId::keccak_permutation_output), "keccak.permutation_output"};
// (message id, block index, 34 limbs of the block's message bytes, zero past the message end)
inline constexpr stark::Bus<36> message_block{id(BusId::keccak_message_block), "keccak.message_block"};
// (message id, length in bytes, 8 limbs of the digest: digest bytes 4j..4j+3 in limb j)
inline constexpr stark::Bus<10> digest{id(BusId::keccak_digest), "keccak.digest"};
}  // namespace bus

}  // namespace witprove::air
