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
// (permutation tag, 100 little-endian 16-bit limbs of the state: lane i at limbs 4i..4i+3)
inline constexpr stark::Bus<101> permutation_input{id(BusId::keccak_permutation_input), "keccak.permutation_input"};
inline constexpr stark::Bus<101> permutation_output{id(BusId::keccak_permutation_output), "keccak.permutation_output"};
// (message id, block index, 68 limbs of the block's message bytes, zero past the message end: bytes 2j, 2j+1
// in limb j)
inline constexpr stark::Bus<70> message_block{id(BusId::keccak_message_block), "keccak.message_block"};
// (message id, length in bytes, 16 limbs of the digest: digest bytes 2j, 2j+1 in limb j)
inline constexpr stark::Bus<18> digest{id(BusId::keccak_digest), "keccak.digest"};
}  // namespace bus

}  // namespace witprove::air
