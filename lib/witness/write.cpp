#include "witness/write.hpp"

#include <fmt/format.h>

namespace witprove::witness {

using eth::ByteView;

namespace {

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  void block(const BlockWitness& b) {
    out_ += R"({"block_trace":)";
    block_trace(b.block_trace);
    out_ += R"(,"other_data":)";
    other_data(b.other_data);
    out_ += '}';
  }

 private:
  void raw(std::string_view s) { out_ += s; }

  static constexpr char digits[] = "0123456789abcdef";

  void hex(ByteView bytes) {
    out_ += "\"0x";
    size_t at = out_.size();
    out_.resize(at + 2 * bytes.size());
    for (uint8_t b : bytes) {
      out_[at++] = digits[b >> 4];
      out_[at++] = digits[b & 15];
    }
    out_ += '"';
  }
  template <size_t N>
  void hex(const std::array<uint8_t, N>& a) { hex(ByteView(a.data(), N)); }
  void quantity(const U256& v) {
    out_ += '"';
    out_ += eth::to_hex(v);
    out_ += '"';
  }
  void number(uint64_t v) { fmt::format_to(std::back_inserter(out_), "{}", v); }
  // serde's plain Vec<u8>: an array of numbers.
  // [item,item,...], each written by `write_item`.
  template <class Range, class WriteItem>
  void array(const Range& items, WriteItem write_item) {
    out_ += '[';
    bool first = true;
    for (const auto& item : items) {
      if (!first) out_ += ',';
      first = false;
      write_item(item);
    }
    out_ += ']';
  }
  void byte_array(ByteView bytes) {
    array(bytes, [&](uint8_t b) { number(b); });
  }
  void key(std::string_view name, bool first = false) {
    if (!first) out_ += ',';
    out_ += '"';
    out_ += name;
    out_ += "\":";
  }
  template <size_t N>
  void hex_key(const std::array<uint8_t, N>& a, bool first) {
    if (!first) out_ += ',';
    hex(a);
    out_ += ':';
  }

  // ---- block_trace ----

  void block_trace(const BlockTrace& t) {
    out_ += '{';
    key("trie_pre_images", true);
    if (const auto* combined = std::get_if<CombinedPreImage>(&t.trie_pre_images)) {
      raw(R"({"combined":{"compact":)");
      hex(combined->compact);
      raw("}}");
    } else {
      separate(std::get<SeparatePreImages>(t.trie_pre_images));
    }
    if (!t.code_db.empty()) {
      key("code_db");
      array(t.code_db, [&](const Bytes& code) { byte_array(code); });
    }
    key("txn_info");
    array(t.txn_info, [&](const TxnInfo& txn) { txn_info(txn); });
    out_ += '}';
  }

  void separate(const SeparatePreImages& s) {
    raw(R"({"separate":{"state":)");
    direct(s.state);
    raw(R"(,"storage":{"multiple_tries":{)");
    for (size_t i = 0; i < s.storage.size(); ++i) {
      hex_key(s.storage[i].first, i == 0);
      direct(s.storage[i].second);
    }
    raw("}}}}");
  }

  void direct(const DirectTrie& trie) {
    raw(R"({"direct":)");
    if (trie.nodes.empty()) raw(R"({"node":"Empty","hash":null,"strategy":"Reject"})");
    else hashed_partial_trie(trie, 0);
    out_ += '}';
  }

  // mpt_trie's HashedPartialTrie: the node, its cached hash (never sent) and the orphan strategy.
  void hashed_partial_trie(const DirectTrie& trie, uint32_t index) {
    raw(R"({"node":)");
    node(trie, index);
    raw(R"(,"hash":null,"strategy":"Reject"})");
  }

  void node(const DirectTrie& trie, uint32_t index) {
    const TrieNode& n = trie.nodes.at(index);
    switch (n.kind) {
      case TrieNode::Kind::empty:
        raw(R"("Empty")");
        return;
      case TrieNode::Kind::hash:
        raw(R"({"Hash":)");
        hex(n.hash);
        out_ += '}';
        return;
      case TrieNode::Kind::branch:
        raw(R"({"Branch":{"children":[)");
        for (size_t i = 0; i < 16; ++i) {
          if (i) out_ += ',';
          // Index 0 is the root, so as a child it means "no child".
          if (n.children[i]) hashed_partial_trie(trie, n.children[i]);
          else raw(R"({"node":"Empty","hash":null,"strategy":"Reject"})");
        }
        raw(R"(],"value":)");
        byte_array(n.value);
        raw("}}");
        return;
      case TrieNode::Kind::extension:
        raw(R"({"Extension":{"nibbles":)");
        nibbles(n.nibbles);
        raw(R"(,"child":)");
        hashed_partial_trie(trie, n.child);
        raw("}}");
        return;
      case TrieNode::Kind::leaf:
        raw(R"({"Leaf":{"nibbles":)");
        nibbles(n.nibbles);
        raw(R"(,"value":)");
        byte_array(n.value);
        raw("}}");
        return;
    }
  }

  // {"count": n, "packed": "0x.."}: the nibbles as one number, the first most significant.
  void nibbles(const std::vector<uint8_t>& path) {
    raw(R"({"count":)");
    number(path.size());
    raw(R"(,"packed":"0x)");
    size_t first = 0;
    while (first + 1 < path.size() && path[first] == 0) ++first;
    if (path.empty()) out_ += '0';
    for (size_t i = first; i < path.size(); ++i) out_ += digits[path[i] & 15];
    raw("\"}");
  }

  void txn_info(const TxnInfo& txn) {
    raw(R"({"traces":{)");
    for (size_t i = 0; i < txn.traces.size(); ++i) {
      hex_key(txn.traces[i].address, i == 0);
      account_trace(txn.traces[i]);
    }
    raw(R"(},"meta":)");
    const TxnMeta& m = txn.meta;
    out_ += '{';
    key("byte_code", true);
    hex(m.byte_code);
    if (m.new_txn_trie_node_byte) {
      key("new_txn_trie_node_byte");
      hex(*m.new_txn_trie_node_byte);
    }
    key("new_receipt_trie_node_byte");
    hex(m.new_receipt_trie_node_byte);
    key("gas_used");
    number(m.gas_used);
    raw("}}");
  }

  void account_trace(const AccountTrace& t) {
    out_ += '{';
    bool first = true;
    auto field = [&](std::string_view name) {
      key(name, first);
      first = false;
    };
    if (t.balance) field("balance"), quantity(*t.balance);
    if (t.nonce) field("nonce"), quantity(*t.nonce);
    if (!t.storage_read.empty()) {
      field("storage_read");
      array(t.storage_read, [&](const auto& slot) { hex(slot); });
    }
    if (!t.storage_written.empty()) {
      field("storage_written");
      out_ += '{';
      for (size_t i = 0; i < t.storage_written.size(); ++i) {
        hex_key(t.storage_written[i].first, i == 0);
        quantity(t.storage_written[i].second);
      }
      out_ += '}';
    }
    if (t.code_read) {
      field("code_usage");
      raw(R"({"read":)");
      hex(*t.code_read);
      out_ += '}';
    } else if (t.code_write) {
      field("code_usage");
      raw(R"({"write":)");
      hex(*t.code_write);
      out_ += '}';
    }
    if (t.self_destructed) field("self_destructed"), raw("true");
    out_ += '}';
  }

  // ---- other_data ----

  void other_data(const OtherBlockData& o) {
    raw(R"({"b_data":{"b_meta":)");
    block_metadata(o.b_data.b_meta);
    raw(R"(,"b_hashes":{"prev_hashes":)");
    const BlockHashes& h = o.b_data.b_hashes;
    array(h.prev_hashes, [&](const auto& hash) { hex(hash); });
    raw(R"(,"cur_hash":)");
    hex(h.cur_hash);
    raw(R"(},"withdrawals":)");
    array(o.b_data.withdrawals, [&](const auto& w) {
      out_ += '[';
      hex(w.address);
      out_ += ',';
      quantity(w.amount);
      out_ += ']';
    });
    out_ += '}';
    key("checkpoint_state_trie_root");
    hex(o.checkpoint_state_trie_root);
    if (o.checkpoint_consolidated_hash) {
      key("checkpoint_consolidated_hash");
      array(*o.checkpoint_consolidated_hash, [&](uint64_t v) { number(v); });
    }
    if (o.burn_addr) {
      key("burn_addr");
      hex(*o.burn_addr);
    }
    if (o.ger_data) {
      key("ger_data");
      out_ += '[';
      hex(o.ger_data->global_exit_root);
      out_ += ',';
      hex(o.ger_data->l1_block_hash);
      out_ += ']';
    }
    out_ += '}';
  }

  void block_metadata(const BlockMetadata& m) {
    out_ += '{';
    key("block_beneficiary", true);
    hex(m.block_beneficiary);
    key("block_timestamp"), quantity(m.block_timestamp);
    key("block_number"), quantity(m.block_number);
    key("block_difficulty"), quantity(m.block_difficulty);
    key("block_random"), hex(m.block_random);
    key("block_gaslimit"), quantity(m.block_gaslimit);
    key("block_chain_id"), quantity(m.block_chain_id);
    key("block_base_fee"), quantity(m.block_base_fee);
    key("block_gas_used"), quantity(m.block_gas_used);
    if (m.block_blob_gas_used) key("block_blob_gas_used"), quantity(*m.block_blob_gas_used);
    if (m.block_excess_blob_gas) key("block_excess_blob_gas"), quantity(*m.block_excess_blob_gas);
    if (m.parent_beacon_block_root) key("parent_beacon_block_root"), hex(*m.parent_beacon_block_root);
    key("block_bloom");
    array(m.block_bloom, [&](const U256& word) { quantity(word); });
    out_ += '}';
  }

  std::string& out_;
};

}  // namespace

void append_block_json(std::string& out, const BlockWitness& block) { Writer(out).block(block); }

std::string witness_file_json(std::span<const BlockWitness> blocks) {
  std::string out = "[";
  for (size_t i = 0; i < blocks.size(); ++i) {
    if (i) out += ',';
    append_block_json(out, blocks[i]);
  }
  out += "]\n";
  return out;
}

}  // namespace witprove::witness
