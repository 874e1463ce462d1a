#include "eth/bytes.hpp"

namespace witprove::eth {

namespace {
int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<Bytes> hex_to_bytes(std::string_view hex) {
  if (hex.size() >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex.remove_prefix(2);
  Bytes out((hex.size() + 1) / 2);
  size_t i = 0, o = 0;
  if (hex.size() % 2 == 1) {
    int d = hex_digit(hex[0]);
    if (d < 0) return std::nullopt;
    out[o++] = static_cast<uint8_t>(d);
    i = 1;
  }
  for (; i < hex.size(); i += 2) {
    int hi = hex_digit(hex[i]), lo = hex_digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[o++] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

std::string to_hex(ByteView bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(2 + 2 * bytes.size(), '0');
  out[1] = 'x';
  for (size_t i = 0; i < bytes.size(); ++i) {
    out[2 + 2 * i] = digits[bytes[i] >> 4];
    out[3 + 2 * i] = digits[bytes[i] & 15];
  }
  return out;
}

}  // namespace witprove::eth
