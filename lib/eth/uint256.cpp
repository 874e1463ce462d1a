#include "eth/uint256.hpp"

#include <algorithm>

namespace witprove::eth {

unsigned U256::bit_length() const {
  for (int i = 3; i >= 0; --i)
    if (limbs[i]) return static_cast<unsigned>(64 * i + 64 - __builtin_clzll(limbs[i]));
  return 0;
}

std::optional<U256> u256_from_hex(std::string_view hex) {
  std::string_view digits = strip_hex_prefix(hex);
  if (digits.empty()) return std::nullopt;
  // Leading zeros do not count toward the 256 bits.
  digits.remove_prefix(std::min(digits.find_first_not_of('0'), digits.size()));
  size_t size = (digits.size() + 1) / 2;  // a quantity: an odd digit count has an implied leading zero
  H256 bytes{};
  if (size > 32 || !decode_hex_digits(digits, bytes.data() + (32 - size))) return std::nullopt;
  return u256_from_be_bytes(bytes);
}

std::optional<U256> u256_from_decimal(std::string_view dec) {
  if (dec.empty()) return std::nullopt;
  // floor((2^256 - 1) / 10): above it, v * 10 overflows.
  U256 max_div10;
  max_div10.limbs = {0x9999999999999999ULL, 0x9999999999999999ULL, 0x9999999999999999ULL, 0x1999999999999999ULL};
  U256 v;
  for (char c : dec) {
    if (c < '0' || c > '9' || v > max_div10) return std::nullopt;
    if (add_overflows(v * U256(10), U256(static_cast<uint64_t>(c - '0')), v)) return std::nullopt;
  }
  return v;
}

Bytes to_be_bytes_minimal(const U256& v) {
  H256 full = to_be_bytes32(v);
  auto it = std::find_if(full.begin(), full.end(), [](uint8_t b) { return b != 0; });
  return Bytes(it, full.end());
}

H256 to_be_bytes32(const U256& v) {
  H256 out{};
  for (int i = 0; i < 4; ++i)
    for (int b = 0; b < 8; ++b) out[31 - (8 * i + b)] = static_cast<uint8_t>(v.limbs[i] >> (8 * b));
  return out;
}

U256 u256_from_be_bytes(ByteView bytes) {
  U256 v;
  size_t n = std::min<size_t>(bytes.size(), 32);
  for (size_t i = 0; i < n; ++i) {
    size_t bit = 8 * i;  // position from the least significant end
    v.limbs[bit / 64] |= static_cast<uint64_t>(bytes[bytes.size() - 1 - i]) << (bit % 64);
  }
  return v;
}

std::string to_hex(const U256& v) {
  if (v.is_zero()) return "0x0";
  std::string s = eth::to_hex(ByteView(to_be_bytes_minimal(v)));
  if (s[2] == '0') s.erase(2, 1);
  return s;
}

std::string to_decimal(const U256& v) {
  if (v.is_zero()) return "0";
  std::string out;
  U256 x = v;
  while (!x.is_zero()) {
    // Divide by 10 limb by limb, most significant first.
    unsigned __int128 rem = 0;
    for (int i = 3; i >= 0; --i) {
      unsigned __int128 cur = (rem << 64) | x.limbs[i];
      x.limbs[i] = static_cast<uint64_t>(cur / 10);
      rem = cur % 10;
    }
    out.push_back(static_cast<char>('0' + static_cast<int>(rem)));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

bool add_overflows(const U256& a, const U256& b, U256& out) {
  unsigned __int128 carry = 0;
  for (int i = 0; i < 4; ++i) {
    unsigned __int128 s = static_cast<unsigned __int128>(a.limbs[i]) + b.limbs[i] + carry;
    out.limbs[i] = static_cast<uint64_t>(s);
    carry = s >> 64;
  }
  return carry != 0;
}

bool sub_underflows(const U256& a, const U256& b, U256& out) {
  uint64_t borrow = 0;
  for (int i = 0; i < 4; ++i) {
    uint64_t ai = a.limbs[i], bi = b.limbs[i];
    uint64_t d = ai - bi - borrow;
    borrow = (ai < bi || (ai == bi && borrow)) ? 1 : 0;
    out.limbs[i] = d;
  }
  return borrow != 0;
}

U256 operator+(const U256& a, const U256& b) { U256 r; add_overflows(a, b, r); return r; }
U256 operator-(const U256& a, const U256& b) { U256 r; sub_underflows(a, b, r); return r; }

U256 operator*(const U256& a, const U256& b) {
  U256 r;
  for (int i = 0; i < 4; ++i) {
    unsigned __int128 carry = 0;
    for (int j = 0; i + j < 4; ++j) {
      unsigned __int128 cur = static_cast<unsigned __int128>(a.limbs[i]) * b.limbs[j] + r.limbs[i + j] + carry;
      r.limbs[i + j] = static_cast<uint64_t>(cur);
      carry = cur >> 64;
    }
  }
  return r;
}

}  // namespace witprove::eth
