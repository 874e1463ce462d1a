#include "eth/account.hpp"

#include <algorithm>

#include "eth/rlp.hpp"

namespace witprove::eth {

Bytes encode_account(const Account& account) {
  Bytes nonce = rlp_uint(account.nonce), balance = rlp_uint(account.balance);
  Bytes storage_root = rlp_string(account.storage_root), code_hash = rlp_string(account.code_hash);
  return rlp_list({nonce, balance, storage_root, code_hash});
}

Account decode_account(ByteView rlp) {
  std::vector<RlpItem> items = rlp_list_of(rlp, 4, "account");
  auto hash = [](const RlpItem& item, const char* what) {
    if (item.is_list || item.payload.size() != 32)
      throw DecodeError(std::string("account: ") + what + " is not a 32-byte string");
    H256 h;
    std::copy(item.payload.begin(), item.payload.end(), h.begin());
    return h;
  };
  Account a;
  a.nonce = rlp_to_u64(items[0]);
  a.balance = rlp_to_u256(items[1]);
  a.storage_root = hash(items[2], "storage root");
  a.code_hash = hash(items[3], "code hash");
  return a;
}

Bytes encode_storage_value(const U256& value) { return rlp_uint(value); }

U256 decode_storage_value(ByteView rlp) { return rlp_to_u256(rlp_decode(rlp)); }

}  // namespace witprove::eth
