#include <catch2/catch.hpp>

#include "eth/nibbles.hpp"
#include "eth/rlp.hpp"

using namespace witprove::eth;

namespace {
Bytes hex(std::string_view h) { return *hex_to_bytes(h); }
ByteView text(std::string_view s) { return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }
}  // namespace

TEST_CASE("RLP encodes the known vectors") {
  CHECK(rlp_string(text("dog")) == hex("83646f67"));
  CHECK(rlp_string({}) == hex("80"));
  CHECK(rlp_string(hex("00")) == hex("00"));
  CHECK(rlp_string(hex("7f")) == hex("7f"));
  CHECK(rlp_string(hex("80")) == hex("8180"));
  CHECK(rlp_uint(uint64_t{0}) == hex("80"));
  CHECK(rlp_uint(uint64_t{15}) == hex("0f"));
  CHECK(rlp_uint(uint64_t{1024}) == hex("820400"));
  CHECK(rlp_uint(*u256_from_hex("0x100000000000000000000000000000000")) ==
        hex("9101" "00000000000000000000000000000000"));
  Bytes cat = rlp_string(text("cat")), dog = rlp_string(text("dog"));
  CHECK(rlp_list({cat, dog}) == hex("c88363617483646f67"));
  CHECK(rlp_list({}) == hex("c0"));
  // The set-theoretical representation of three: [ [], [[]], [ [], [[]] ] ].
  Bytes zero = rlp_list({}), one = rlp_list({zero}), two = rlp_list({zero, one});
  CHECK(rlp_list({zero, one, two}) == hex("c7c0c1c0c3c0c1c0"));
  std::string_view lorem = "Lorem ipsum dolor sit amet, consectetur adipisicing elit";
  Bytes encoded = rlp_string(text(lorem));
  CHECK(encoded.size() == 58);
  CHECK(encoded[0] == 0xb8);
  CHECK(encoded[1] == 56);
  Bytes long_string(1024, 0xaa);
  Bytes long_encoded = rlp_string(long_string);
  CHECK(Bytes(long_encoded.begin(), long_encoded.begin() + 3) == hex("b90400"));
}

TEST_CASE("RLP decoding round-trips and reports nested offsets") {
  Bytes cat = rlp_string(text("cat")), dog = rlp_string(text("dog")), big = rlp_string(Bytes(100, 7));
  Bytes inner = rlp_list({cat, big});
  Bytes outer = rlp_list({dog, inner});
  RlpItem item = rlp_decode(outer);
  REQUIRE(item.is_list);
  std::vector<RlpItem> items = rlp_items(item);
  REQUIRE(items.size() == 2);
  CHECK(Bytes(items[0].payload.begin(), items[0].payload.end()) == Bytes{'d', 'o', 'g'});
  std::vector<RlpItem> nested = rlp_items(items[1]);
  REQUIRE(nested.size() == 2);
  CHECK(nested[1].payload.size() == 100);
  CHECK(nested[1].offset == 2 + 4 + 2 + 4);  // outer header (2), "dog" (4), inner header (2), "cat" (4)
  CHECK(rlp_to_u64(rlp_decode(rlp_uint(uint64_t{1024}))) == 1024);
  CHECK(rlp_to_u256(rlp_decode(rlp_uint(*u256_from_hex("0xffff0000000000000000000000000001")))) ==
        *u256_from_hex("0xffff0000000000000000000000000001"));
}

TEST_CASE("RLP decoding rejects non-canonical and malformed input with an offset") {
  auto rejects = [](std::string_view h) {
    Bytes b = hex(h);
    CHECK_THROWS_AS(rlp_decode(b), DecodeError);
  };
  rejects("");            // empty
  rejects("8100");        // a byte below 0x80 must encode as itself
  rejects("b800");        // long form for a short string
  rejects("b90001");      // length with a leading zero (and truncated)
  rejects("83646f");      // truncated string
  rejects("83646f6767");  // trailing byte
  rejects("c3646f");      // truncated list
  rejects("f800");        // long list form for a short list
  CHECK_THROWS_WITH(rlp_decode(hex("c48363")), Catch::Contains("at byte 0"));
  CHECK_THROWS_WITH(rlp_items(rlp_decode(hex("c2810a"))), Catch::Contains("at byte 1"));
  CHECK_THROWS_AS(rlp_to_u64(rlp_decode(hex("820001"))), DecodeError);  // leading zero
  CHECK_THROWS_AS(rlp_to_u64(rlp_decode(hex("89010000000000000000"))), DecodeError);  // above 64 bits
  CHECK_THROWS_AS(rlp_list_of(rlp_list({rlp_string(text("a"))}), 2, "pair"), DecodeError);
}

TEST_CASE("Hex-prefix encoding of nibble paths") {
  CHECK(hex_prefix_encode(Nibbles{1, 2, 3, 4, 5}, false) == hex("112345"));
  CHECK(hex_prefix_encode(Nibbles{0, 1, 2, 3, 4, 5}, false) == hex("00012345"));
  CHECK(hex_prefix_encode(Nibbles{0, 15, 1, 12, 11, 8}, true) == hex("200f1cb8"));
  CHECK(hex_prefix_encode(Nibbles{15, 1, 12, 11, 8}, true) == hex("3f1cb8"));
  CHECK(hex_prefix_encode(Nibbles{}, true) == hex("20"));
  HexPrefixPath path = hex_prefix_decode(hex("3f1cb8"));
  CHECK(path.leaf);
  CHECK(path.nibbles == Nibbles{15, 1, 12, 11, 8});
  CHECK_THROWS_AS(hex_prefix_decode(hex("01")), DecodeError);  // non-zero padding nibble
  CHECK_THROWS_AS(hex_prefix_decode(hex("40")), DecodeError);  // unknown flag
  CHECK(to_nibbles(hex("ab0f")) == Nibbles{10, 11, 0, 15});
  CHECK(nibbles_to_bytes(Nibbles{10, 11, 0, 15}) == hex("ab0f"));
  CHECK(nibbles_to_string(Nibbles{10, 11, 3}) == "0xab3");
}
