// Nibble paths (one 4-bit value per byte) and the hex-prefix encoding trie nodes use for them.
#pragma once

#include <string>

#include "eth/bytes.hpp"

namespace witprove::eth {

using Nibbles = std::vector<uint8_t>;  // each element 0..15

Nibbles to_nibbles(ByteView bytes);
// Packs an even number of nibbles back into bytes.
Bytes nibbles_to_bytes(const Nibbles& nibbles);
// Hex-prefix: flag nibble (2 if leaf, +1 if odd length), a padding nibble when even, then the nibbles.
Bytes hex_prefix_encode(std::span<const uint8_t> nibbles, bool leaf);
struct HexPrefixPath {
  Nibbles nibbles;
  bool leaf = false;
};
HexPrefixPath hex_prefix_decode(ByteView encoded);  // throws DecodeError
// "0x1a2b…" style text for messages; odd lengths are shown nibble by nibble.
std::string nibbles_to_string(std::span<const uint8_t> nibbles);

}  // namespace witprove::eth
