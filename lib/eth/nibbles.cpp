#include "eth/nibbles.hpp"

#include "eth/rlp.hpp"

namespace witprove::eth {

Nibbles to_nibbles(ByteView bytes) {
  Nibbles out(2 * bytes.size());
  for (size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = bytes[i] >> 4;
    out[2 * i + 1] = bytes[i] & 15;
  }
  return out;
}

Bytes nibbles_to_bytes(const Nibbles& nibbles) {
  Bytes out(nibbles.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(nibbles[2 * i] << 4 | nibbles[2 * i + 1]);
  return out;
}

Bytes hex_prefix_encode(std::span<const uint8_t> nibbles, bool leaf) {
  bool odd = nibbles.size() % 2 == 1;
  Bytes out(nibbles.size() / 2 + 1);
  uint8_t flag = static_cast<uint8_t>((leaf ? 2 : 0) + (odd ? 1 : 0));
  size_t i = 0;
  if (odd) out[0] = static_cast<uint8_t>(flag << 4 | nibbles[i++]);
  else out[0] = static_cast<uint8_t>(flag << 4);
  for (size_t o = 1; o < out.size(); ++o, i += 2) out[o] = static_cast<uint8_t>(nibbles[i] << 4 | nibbles[i + 1]);
  return out;
}

HexPrefixPath hex_prefix_decode(ByteView encoded) {
  if (encoded.empty()) throw DecodeError("hex-prefix: empty path");
  uint8_t flag = encoded[0] >> 4;
  if (flag > 3) throw DecodeError("hex-prefix: bad flag nibble");
  HexPrefixPath path;
  path.leaf = flag >= 2;
  bool odd = flag & 1;
  if (!odd && (encoded[0] & 15) != 0) throw DecodeError("hex-prefix: non-zero padding nibble");
  if (odd) path.nibbles.push_back(encoded[0] & 15);
  for (size_t i = 1; i < encoded.size(); ++i) {
    path.nibbles.push_back(encoded[i] >> 4);
    path.nibbles.push_back(encoded[i] & 15);
  }
  return path;
}

std::string nibbles_to_string(std::span<const uint8_t> nibbles) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out = "0x";
  for (uint8_t n : nibbles) out.push_back(digits[n & 15]);
  return out;
}

}  // namespace witprove::eth
