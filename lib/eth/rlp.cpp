#include "eth/rlp.hpp"

#include <fmt/format.h>

namespace witprove::eth {

namespace {

// Writes the header of an item with a payload of `length` bytes (`short_base` 0x80 for strings, 0xc0 for
// lists) to `out`, which has room for 9 bytes; returns its size.
size_t write_length(uint8_t* out, size_t length, uint8_t short_base) {
  if (length <= 55) {
    out[0] = static_cast<uint8_t>(short_base + length);
    return 1;
  }
  uint8_t be[8];
  int n = 0;
  for (size_t v = length; v; v >>= 8) be[n++] = static_cast<uint8_t>(v);
  out[0] = static_cast<uint8_t>(short_base + 55 + n);
  for (int i = 0; i < n; ++i) out[1 + i] = be[n - 1 - i];
  return 1 + static_cast<size_t>(n);
}

void append_length(Bytes& out, size_t length, uint8_t short_base) {
  uint8_t header[rlp_max_header];
  out.insert(out.end(), header, header + write_length(header, length, short_base));
}

[[noreturn]] void fail(size_t offset, std::string_view what) {
  throw DecodeError(fmt::format("RLP: {} at byte {}", what, offset));
}

}  // namespace

void rlp_append_string(Bytes& out, ByteView bytes) {
  if (bytes.size() == 1 && bytes[0] < 0x80) {
    out.push_back(bytes[0]);
    return;
  }
  append_length(out, bytes.size(), 0x80);
  out.insert(out.end(), bytes.begin(), bytes.end());
}

void rlp_append_list_header(Bytes& out, size_t payload_length) { append_length(out, payload_length, 0xc0); }

size_t rlp_write_list_header(uint8_t* out, size_t payload_length) { return write_length(out, payload_length, 0xc0); }

Bytes rlp_string(ByteView bytes) {
  Bytes out;
  out.reserve(bytes.size() + 9);
  rlp_append_string(out, bytes);
  return out;
}

Bytes rlp_uint(uint64_t value) {
  uint8_t be[8];
  int n = 0;
  for (uint64_t v = value; v; v >>= 8) be[7 - n++] = static_cast<uint8_t>(v);
  return rlp_string(ByteView(be + 8 - n, static_cast<size_t>(n)));
}

Bytes rlp_uint(const U256& value) { return rlp_string(to_be_bytes_minimal(value)); }

Bytes rlp_list(std::initializer_list<ByteView> encoded_items) {
  size_t payload = 0;
  for (ByteView item : encoded_items) payload += item.size();
  Bytes out;
  out.reserve(payload + 9);
  rlp_append_list_header(out, payload);
  for (ByteView item : encoded_items) rlp_append_raw(out, item);
  return out;
}

RlpItem rlp_next(ByteView input, size_t& pos, size_t base) {
  size_t start = pos;
  if (pos >= input.size()) fail(base + start, "unexpected end of input");
  uint8_t prefix = input[pos++];
  RlpItem item;
  item.offset = base + start;
  if (prefix < 0x80) {
    item.payload = input.subspan(start, 1);
    item.payload_offset = item.offset;
    return item;
  }
  item.is_list = prefix >= 0xc0;
  uint8_t short_base = item.is_list ? 0xc0 : 0x80;
  size_t length;
  if (prefix - short_base <= 55) {
    length = static_cast<size_t>(prefix - short_base);
  } else {
    size_t length_bytes = static_cast<size_t>(prefix - short_base - 55);
    if (length_bytes > input.size() - pos) fail(base + start, "truncated length");
    if (input[pos] == 0) fail(base + start, "length with a leading zero");
    if (length_bytes > 4) fail(base + start, "length too large");
    length = 0;
    for (size_t i = 0; i < length_bytes; ++i) length = length << 8 | input[pos++];
    if (length <= 55) fail(base + start, "long form for a short length");
  }
  if (length > input.size() - pos) fail(base + start, "item runs past the end of input");
  item.payload = input.subspan(pos, length);
  item.payload_offset = base + pos;
  pos += length;
  if (!item.is_list && length == 1 && item.payload[0] < 0x80)
    fail(base + start, "single byte below 0x80 not encoded as itself");
  return item;
}

RlpItem rlp_decode(ByteView input) {
  size_t pos = 0;
  RlpItem item = rlp_next(input, pos);
  if (pos != input.size()) fail(pos, "trailing bytes after the item");
  return item;
}

std::vector<RlpItem> rlp_items(const RlpItem& list) {
  if (!list.is_list) fail(list.offset, "expected a list");
  std::vector<RlpItem> items;
  size_t pos = 0;
  while (pos < list.payload.size()) items.push_back(rlp_next(list.payload, pos, list.payload_offset));
  return items;
}

std::vector<RlpItem> rlp_list_of(ByteView input, size_t count, const char* what) {
  std::vector<RlpItem> items = rlp_items(rlp_decode(input));
  if (items.size() != count)
    throw DecodeError(fmt::format("RLP: {} must be a list of {} items, found {}", what, count, items.size()));
  return items;
}

uint64_t rlp_to_u64(const RlpItem& item) {
  if (item.is_list) fail(item.offset, "expected an integer, found a list");
  if (item.payload.size() > 8) fail(item.offset, "integer above 64 bits");
  if (!item.payload.empty() && item.payload[0] == 0) fail(item.offset, "integer with a leading zero");
  uint64_t v = 0;
  for (uint8_t b : item.payload) v = v << 8 | b;
  return v;
}

U256 rlp_to_u256(const RlpItem& item) {
  if (item.is_list) fail(item.offset, "expected an integer, found a list");
  if (item.payload.size() > 32) fail(item.offset, "integer above 256 bits");
  if (!item.payload.empty() && item.payload[0] == 0) fail(item.offset, "integer with a leading zero");
  return u256_from_be_bytes(item.payload);
}

}  // namespace witprove::eth
