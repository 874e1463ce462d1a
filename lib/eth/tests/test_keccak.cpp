#include <catch2/catch.hpp>

#include "eth/keccak.hpp"

using namespace witprove::eth;

namespace {
std::string digest_hex(ByteView data) { return to_hex(keccak256(data)); }
Bytes pattern(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i % 251);
  return b;
}
ByteView text(std::string_view s) { return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }
}  // namespace

TEST_CASE("Keccak-f[1600] of the zero state matches the reference intermediate values") {
  KeccakState state{};
  keccak_f1600(state);
  CHECK(state[0] == 0xf1258f7940e1dde7ULL);
  CHECK(state[1] == 0x84d5ccf933c0478aULL);
  CHECK(state[12] == 0x81a57c16dbcf555fULL);
  CHECK(state[24] == 0xeaf1ff7b5ceca249ULL);
  keccak_f1600(state);  // the second application of the reference vectors
  CHECK(state[0] == 0x2d5c954df96ecb3cULL);
}

TEST_CASE("Keccak-256 known answers across block boundaries") {
  CHECK(digest_hex({}) == "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  CHECK(digest_hex(text("abc")) == "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
  CHECK(digest_hex(text("The quick brown fox jumps over the lazy dog")) ==
        "0x4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
  CHECK(digest_hex(pattern(135)) == "0xcbdfd9dee5faad3818d6b06f95a219fd290b0e1706f6a82e5a595b9ce9faca62");
  CHECK(digest_hex(pattern(136)) == "0x7ce759f1ab7f9ce437719970c26b0a66ff11fe3e38e17df89cf5d29c7d7f807e");
  CHECK(digest_hex(pattern(137)) == "0xac73d4fae68b8453f764007c1a20ce95994187861f0c3227a3a8e99a73a3b1db");
  CHECK(digest_hex(pattern(272)) == "0x8e2476e65823b24d96ebe239f2c1534cdf763e689e2410c3b1cb0c74e6177bfc");
  CHECK(digest_hex(pattern(1000)) == "0xaf692982e84a5a9688359025660a7857cd28ee7c8d867cfa1677baf2e6d1f63b");
}

TEST_CASE("The empty code hash and empty trie root constants are the digests they name") {
  CHECK(keccak256({}) == empty_keccak);
  const uint8_t empty_string = 0x80;
  CHECK(keccak256(ByteView(&empty_string, 1)) == empty_trie_root);
}

TEST_CASE("PreimageLog keeps each preimage once, in first-seen order") {
  PreimageLog log;
  Bytes a = {1, 2, 3}, b = {4};
  log.record(a, keccak256(a));
  log.record(b, keccak256(b));
  log.record(a, keccak256(a));
  REQUIRE(log.preimages.size() == 2);
  CHECK(log.preimages[0] == a);
  CHECK(log.preimages[1] == b);
}
