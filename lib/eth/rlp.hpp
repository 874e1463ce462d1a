// Recursive Length Prefix encoding. The decoder is strict: it accepts only canonical encodings and reports
// the byte offset of the first problem.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "eth/bytes.hpp"
#include "eth/uint256.hpp"

namespace witprove::eth {

// Thrown by every decoder in lib/eth on malformed input; what() names the problem and its byte offset.
struct DecodeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Appends the encoding of a byte string.
void rlp_append_string(Bytes& out, ByteView bytes);
// Appends a list header for a payload of the given length (the payload follows).
void rlp_append_list_header(Bytes& out, size_t payload_length);
// The longest header: a length byte and up to 8 bytes of length.
inline constexpr size_t rlp_max_header = 9;
// Writes a list header for a payload of the given length to `out` (room for rlp_max_header bytes); returns
// its size.
size_t rlp_write_list_header(uint8_t* out, size_t payload_length);
// Appends an already encoded item unchanged.
inline void rlp_append_raw(Bytes& out, ByteView encoded) { out.insert(out.end(), encoded.begin(), encoded.end()); }

Bytes rlp_string(ByteView bytes);
Bytes rlp_uint(uint64_t value);     // minimal big-endian bytes, zero is the empty string
Bytes rlp_uint(const U256& value);
// A list of already encoded items.
Bytes rlp_list(std::initializer_list<ByteView> encoded_items);

struct RlpItem {
  bool is_list = false;
  ByteView payload;  // string bytes, or the concatenated encodings of the list's items
  size_t offset = 0;          // where the item's header starts, relative to the decoded input
  size_t payload_offset = 0;  // where its payload starts
};

// Decodes the item starting at `pos` and advances `pos` past it. `base` is added to offsets in messages.
RlpItem rlp_next(ByteView input, size_t& pos, size_t base = 0);
// Decodes an input that must hold exactly one item.
RlpItem rlp_decode(ByteView input);
// The items of a list's payload.
std::vector<RlpItem> rlp_items(const RlpItem& list);
// A list of exactly `count` items, or an error naming `what`.
std::vector<RlpItem> rlp_list_of(ByteView input, size_t count, const char* what);

// Canonical unsigned integers (no leading zero byte).
uint64_t rlp_to_u64(const RlpItem& item);
U256 rlp_to_u256(const RlpItem& item);

}  // namespace witprove::eth
