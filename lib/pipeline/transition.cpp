#include "pipeline/transition.hpp"

#include <algorithm>

#include "air/node_bytes.hpp"
#include "eth/account.hpp"
#include "eth/keccak.hpp"
#include "eth/rlp.hpp"

namespace witprove::pipeline {

std::variant<TransitionInput, std::string> transition_input(const witness::BlockResult& result) {
  if (!result.ok) return result.error;
  TransitionInput in;
  for (const auto& m : result.keccak_preimages) {
    try {
      air::node_shape(m);
    } catch (const eth::DecodeError&) {
      continue;  // contract code, not a trie node
    }
    in.witness.nodes.push_back(m);
  }
  for (const auto& c : result.state_changes) {
    air::ChangeEntry e;
    e.address = c.address;
    e.kind = c.storage_wiped ? air::ChangeKind::storage_wiped : c.slot ? air::ChangeKind::slot : air::ChangeKind::account;
    if (c.slot) e.slot = *c.slot;
    auto value = [&](const std::optional<eth::Bytes>& v) -> std::optional<eth::H256> {
      if (!v) return std::nullopt;
      if (c.storage_wiped) {
        eth::H256 root;
        std::copy(v->begin(), v->end(), root.begin());  // 32 bytes
        return root;
      }
      return c.slot ? eth::to_be_bytes32(eth::decode_storage_value(*v)) : eth::keccak256(*v);
    };
    e.old_value = value(c.before);
    e.new_value = value(c.after);
    in.witness.changes.push_back(e);
  }
  air::sort_change_list(in.witness.changes);
  in.pub.pre_root = result.pre_state_root;
  in.pub.post_root = result.state_root;
  in.pub.transactions_root = result.transactions_root;
  in.pub.receipts_root = result.receipts_root;
  in.pub.transaction_count = result.txns.size();
  in.pub.gas_used = result.gas_used;
  in.pub.changes_digest = eth::keccak256(air::encode_change_list(in.witness.changes));
  return in;
}

}  // namespace witprove::pipeline
