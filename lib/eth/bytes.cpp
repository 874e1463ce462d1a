#include "eth/bytes.hpp"

#ifdef __AVX2__
#include <immintrin.h>
#endif

namespace witprove::eth {

namespace {
// Digit values, or 0x80 (high bit set) for a character that is not a hex digit.
constexpr std::array<uint8_t, 256> hex_values = [] {
  std::array<uint8_t, 256> t{};
  t.fill(0x80);
  for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<uint8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) t[c] = static_cast<uint8_t>(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; ++c) t[c] = static_cast<uint8_t>(c - 'A' + 10);
  return t;
}();

uint8_t hex_value(char c) { return hex_values[static_cast<uint8_t>(c)]; }

#ifdef __AVX2__
// Decodes 32 hex digits into 16 bytes; false if any is not a hex digit.
bool decode32(const char* in, uint8_t* out) {
  const __m256i chars = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in));
  const __m256i lower = _mm256_or_si256(chars, _mm256_set1_epi8(0x20));  // 'A'..'F' -> 'a'..'f'
  // Signed compares: bytes >= 0x80 are negative and fall outside both ranges.
  const __m256i digit = _mm256_and_si256(_mm256_cmpgt_epi8(chars, _mm256_set1_epi8('0' - 1)),
                                         _mm256_cmpgt_epi8(_mm256_set1_epi8('9' + 1), chars));
  const __m256i letter = _mm256_and_si256(_mm256_cmpgt_epi8(lower, _mm256_set1_epi8('a' - 1)),
                                          _mm256_cmpgt_epi8(_mm256_set1_epi8('f' + 1), lower));
  if (static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_or_si256(digit, letter))) != 0xffffffffu) return false;
  const __m256i values = _mm256_blendv_epi8(_mm256_sub_epi8(lower, _mm256_set1_epi8('a' - 10)),
                                            _mm256_sub_epi8(chars, _mm256_set1_epi8('0')), digit);
  // Each pair (high, low) -> high * 16 + low as 16-bit lanes, then narrowed to bytes.
  const __m256i pairs = _mm256_maddubs_epi16(values, _mm256_set1_epi16(0x0110));
  const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi16(pairs, pairs), 0b1000);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm256_castsi256_si128(packed));
  return true;
}
#endif
}  // namespace

std::optional<Bytes> hex_to_bytes(std::string_view hex) {
  std::string_view digits = strip_hex_prefix(hex);
  if (digits.size() % 2) return std::nullopt;
  Bytes out(digits.size() / 2);
  if (!decode_hex_digits(digits, out.data())) return std::nullopt;
  return out;
}

// Witness files are mostly hex: 32 digits at a time with AVX2, then table lookups without branches, a bad
// digit detected once at the end.
bool decode_hex_digits(std::string_view digits, uint8_t* out) {
  const char* in = digits.data();
  const char* end = digits.data() + digits.size();
  uint8_t bad = 0;
  if (digits.size() % 2 == 1) {
    uint8_t d = hex_value(*in++);
    bad |= d;
    *out++ = d;
  }
#ifdef __AVX2__
  for (; end - in >= 32; in += 32, out += 16)
    if (!decode32(in, out)) return false;
#endif
  for (; in != end; in += 2) {
    uint8_t hi = hex_value(in[0]), lo = hex_value(in[1]);
    bad |= hi | lo;
    *out++ = static_cast<uint8_t>(hi << 4 | lo);
  }
  return !(bad & 0x80);
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
