// Ethereum accounts as the state trie stores them, storage values, and secure (hashed) trie keys.
#pragma once

#include "eth/bytes.hpp"
#include "eth/keccak.hpp"
#include "eth/uint256.hpp"

namespace witprove::eth {

struct Account {
  uint64_t nonce = 0;
  U256 balance;
  H256 storage_root = empty_trie_root;
  H256 code_hash = empty_keccak;

  // EIP-161: no nonce, no balance, no code (storage does not count).
  bool is_empty() const { return nonce == 0 && balance.is_zero() && code_hash == empty_keccak; }
  friend bool operator==(const Account&, const Account&) = default;
};

Bytes encode_account(const Account& account);  // rlp([nonce, balance, storage_root, code_hash])
Account decode_account(ByteView rlp);           // throws DecodeError

// The storage trie's leaf value for a slot value: rlp(minimal big-endian bytes). Zero means "no leaf".
Bytes encode_storage_value(const U256& value);
U256 decode_storage_value(ByteView rlp);  // throws DecodeError

// Secure trie keys: keccak256 of the address, or of the 32-byte big-endian slot.
inline H256 account_key(const Address& address) { return keccak256(address); }
inline H256 storage_key(const H256& slot) { return keccak256(slot); }

}  // namespace witprove::eth
