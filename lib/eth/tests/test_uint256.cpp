#include <catch2/catch.hpp>

#include "eth/uint256.hpp"

using namespace witprove::eth;

TEST_CASE("U256 parsing, printing and arithmetic") {
  U256 max = *u256_from_hex("0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
  CHECK(to_decimal(max) == "115792089237316195423570985008687907853269984665640564039457584007913129639935");
  CHECK(u256_from_decimal(to_decimal(max)) == max);
  CHECK_FALSE(u256_from_decimal("115792089237316195423570985008687907853269984665640564039457584007913129639936"));
  CHECK_FALSE(u256_from_hex("0x1ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"));
  CHECK(to_hex(U256(0)) == "0x0");
  CHECK(to_hex(U256(0x1234)) == "0x1234");
  U256 sum;
  CHECK(add_overflows(max, U256(1), sum));
  CHECK(sum.is_zero());
  U256 diff;
  CHECK(sub_underflows(U256(1), U256(2), diff));
  CHECK(diff == max);
  CHECK(U256(1000000000) * U256(1000000000) == U256(1000000000000000000ULL));
  CHECK(u256_from_be_bytes(to_be_bytes32(max)) == max);
  CHECK(max.bit_length() == 256);
}
