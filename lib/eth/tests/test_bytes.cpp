#include <catch2/catch.hpp>

#include <random>

#include "eth/bytes.hpp"

using namespace witprove::eth;

TEST_CASE("Hex round trips at every length and rejects a bad digit anywhere") {
  std::mt19937_64 rng(5);
  for (size_t n = 0; n < 100; ++n) {
    Bytes bytes(n);
    for (auto& b : bytes) b = static_cast<uint8_t>(rng());
    std::string hex = to_hex(bytes);
    REQUIRE(hex_to_bytes(hex) == bytes);
    std::string upper = hex;
    for (size_t i = 2; i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
    REQUIRE(hex_to_bytes(upper) == bytes);
    for (size_t at = 2; at < hex.size(); ++at)
      for (char bad : {'g', 'G', '/', ':', '@', '`', ' ', '\x80', '\xff'}) {
        std::string damaged = hex;
        damaged[at] = bad;
        REQUIRE_FALSE(hex_to_bytes(damaged));
      }
  }
  // A byte string has two digits per byte: an odd count is an error, never read with an implied zero.
  CHECK_FALSE(hex_to_bytes("0x1"));
  CHECK_FALSE(hex_to_bytes("abc"));
  CHECK(hex_to_bytes("0x") == Bytes{});
  // A fixed-size value (hash, address) is exactly 2N digits: shorter is an error, never zero-padded.
  CHECK(hex_to_fixed<4>("0x00001234") == std::array<uint8_t, 4>{0, 0, 0x12, 0x34});
  CHECK_FALSE(hex_to_fixed<4>("0x1234"));
  CHECK_FALSE(hex_to_fixed<4>("0x"));
  CHECK_FALSE(hex_to_fixed<4>("0x0000012"));
  CHECK_FALSE(hex_to_fixed<1>("0x1234"));
  constexpr auto fixed = fixed_from_hex<2>("0xbeef");
  CHECK(fixed == std::array<uint8_t, 2>{0xbe, 0xef});
}
