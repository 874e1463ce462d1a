#include <catch2/catch.hpp>

#include "eth/account.hpp"
#include "eth/rlp.hpp"

using namespace witprove::eth;

TEST_CASE("Account encoding round-trips and matches the empty-account encoding") {
  Account empty;
  CHECK(empty.is_empty());
  // rlp([0, 0, empty_trie_root, empty_keccak]) = f8 44 80 80 a0 <root> a0 <code hash>
  Bytes encoded = encode_account(empty);
  REQUIRE(encoded.size() == 70);
  CHECK(encoded[0] == 0xf8);
  CHECK(encoded[1] == 0x44);
  CHECK(encoded[2] == 0x80);
  CHECK(encoded[3] == 0x80);
  CHECK(decode_account(encoded) == empty);

  Account a{.nonce = 7, .balance = *u256_from_hex("0xde0b6b3a7640000"), .storage_root = keccak256(Bytes{1}),
            .code_hash = keccak256(Bytes{2})};
  CHECK_FALSE(a.is_empty());
  CHECK(decode_account(encode_account(a)) == a);
  CHECK_THROWS_AS(decode_account(rlp_list({rlp_uint(uint64_t{1})})), DecodeError);
}

TEST_CASE("Storage values and secure keys") {
  CHECK(encode_storage_value(U256(1)) == Bytes{0x01});
  CHECK(encode_storage_value(U256(0x80)) == Bytes{0x81, 0x80});
  CHECK(decode_storage_value(Bytes{0x82, 0x01, 0x00}) == U256(256));
  Address zero{};
  // keccak256 of twenty zero bytes.
  CHECK(to_hex(account_key(zero)) == "0x5380c7b7ae81a58eb98d9c78de4a1fd7fd9535fc953ed2be602daaa41767312a");
  H256 slot{};
  CHECK(to_hex(storage_key(slot)) == "0x290decd9548b62a8d60345a988386fc84ba6bc95484008f6362f93160ef3e563");
}
