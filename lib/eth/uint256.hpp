// A 256-bit unsigned integer: exact arithmetic on Ethereum quantities (balances, nonces, storage values).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "eth/bytes.hpp"

namespace witprove::eth {

struct U256 {
  std::array<uint64_t, 4> limbs{};  // little-endian 64-bit limbs

  constexpr U256() = default;
  constexpr U256(uint64_t v) : limbs{v, 0, 0, 0} {}  // NOLINT: implicit from small integers is intended

  bool is_zero() const { return (limbs[0] | limbs[1] | limbs[2] | limbs[3]) == 0; }
  bool fits_u64() const { return (limbs[1] | limbs[2] | limbs[3]) == 0; }
  // Number of significant bits (0 for zero).
  unsigned bit_length() const;

  friend bool operator==(const U256&, const U256&) = default;
  friend std::strong_ordering operator<=>(const U256& a, const U256& b) {
    for (int i = 3; i >= 0; --i)
      if (a.limbs[i] != b.limbs[i]) return a.limbs[i] <=> b.limbs[i];
    return std::strong_ordering::equal;
  }
};

// Parses a hex quantity ("0x..." or bare hex), at most 256 bits; leading zeros are allowed.
// Returns nullopt on bad hex, an empty string or more than 256 significant bits.
std::optional<U256> u256_from_hex(std::string_view hex);
// Parses a decimal string, at most 256 bits.
std::optional<U256> u256_from_decimal(std::string_view dec);
// Minimal big-endian bytes (zero is the empty string), as RLP wants them.
Bytes to_be_bytes_minimal(const U256& v);
// Exactly 32 big-endian bytes.
H256 to_be_bytes32(const U256& v);
U256 u256_from_be_bytes(ByteView bytes);  // at most 32 bytes
std::string to_hex(const U256& v);        // "0x0" for zero, otherwise minimal hex
std::string to_decimal(const U256& v);

// Wrapping arithmetic modulo 2^256; the bool variants report overflow/underflow.
U256 operator+(const U256& a, const U256& b);
U256 operator-(const U256& a, const U256& b);
U256 operator*(const U256& a, const U256& b);
bool add_overflows(const U256& a, const U256& b, U256& out);
bool sub_underflows(const U256& a, const U256& b, U256& out);

}  // namespace witprove::eth
