// Byte strings, fixed-size hashes and addresses, and hex conversion.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace witprove::eth {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;
using H256 = std::array<uint8_t, 32>;
using Address = std::array<uint8_t, 20>;

// Decodes a byte string written as hex with an optional 0x prefix: two digits per byte. Returns nullopt on
// a non-hex character or an odd digit count (a byte string is never zero-padded; quantities such as "0x1"
// are read with u256_from_hex).
std::optional<Bytes> hex_to_bytes(std::string_view hex);

// The digits of hex without its 0x prefix, if any.
inline std::string_view strip_hex_prefix(std::string_view hex) {
  if (hex.size() >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex.remove_prefix(2);
  return hex;
}
// Decodes hex digits (no prefix; an odd count has an implied leading zero) into exactly (digits.size() + 1) / 2
// bytes at `out`. Returns false on a non-hex character.
bool decode_hex_digits(std::string_view digits, uint8_t* out);

// Decodes exactly N bytes of hex (0x optional): a hash or an address is exactly 2N digits, never padded.
// Returns nullopt on bad hex or any other digit count.
template <size_t N>
std::optional<std::array<uint8_t, N>> hex_to_fixed(std::string_view hex) {
  std::string_view digits = strip_hex_prefix(hex);
  std::array<uint8_t, N> out{};
  if (digits.size() != 2 * N || !decode_hex_digits(digits, out.data())) return std::nullopt;
  return out;
}

// A compile-time constant from hex (0x optional, exactly 2N digits); bad input fails to compile.
template <size_t N>
consteval std::array<uint8_t, N> fixed_from_hex(std::string_view hex) {
  if (hex.size() >= 2 && hex[0] == '0' && hex[1] == 'x') hex.remove_prefix(2);
  if (hex.size() != 2 * N) throw "fixed_from_hex: wrong length";
  auto digit = [](char c) -> uint8_t {
    if (c >= '0' && c <= '9') return static_cast<uint8_t>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<uint8_t>(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return static_cast<uint8_t>(c - 'A' + 10);
    throw "fixed_from_hex: not a hex digit";
  };
  std::array<uint8_t, N> out{};
  for (size_t i = 0; i < N; ++i) out[i] = static_cast<uint8_t>(digit(hex[2 * i]) << 4 | digit(hex[2 * i + 1]));
  return out;
}

// Lower-case hex with 0x prefix.
std::string to_hex(ByteView bytes);
template <size_t N>
std::string to_hex(const std::array<uint8_t, N>& a) { return to_hex(ByteView(a.data(), N)); }

}  // namespace witprove::eth
