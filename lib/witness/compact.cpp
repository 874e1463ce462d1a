#include "witness/compact.hpp"

#include <bit>
#include <string_view>
#include <type_traits>
#include <unordered_set>

#include <fmt/format.h>

#include "eth/account.hpp"
#include "eth/keccak.hpp"

namespace witprove::witness {

using eth::Nibbles;
using MptNode = eth::TrieNode;
using eth::TrieNodePtr;

CompactError::CompactError(size_t offset_, std::string_view what)
    : eth::DecodeError(fmt::format("compact pre-image: {} at byte {}", what, offset_)), offset(offset_) {}

namespace {

// Opcodes of the type-1 instruction stream.
enum Opcode : uint8_t {
  op_leaf = 0x00,
  op_extension = 0x01,
  op_branch = 0x02,
  op_hash = 0x03,
  op_code = 0x04,
  op_account_leaf = 0x05,
  op_empty_root = 0x06,
};

// Account leaf flags.
constexpr uint8_t has_code_flag = 1, has_storage_flag = 2, encodes_nonce_flag = 4, encodes_balance_flag = 8;

// What a Decoder makes of the stream: the pre-state itself, or only its figures (PreImageStats). Counting
// shares every check of the stream, so both fail alike; it allocates no nodes and hashes nothing.
enum class Output : uint8_t { pre_state, stats };

// One entry of the decoder's stack.
struct Item {
  enum class Kind : uint8_t { node, hash, code, empty } kind = Kind::node;
  MptNode::Kind node_kind = MptNode::Kind::leaf;  // node
  bool has_accounts = false;  // node: the subtree holds account leaves (state trie)
  bool has_values = false;    // node: the subtree holds storage leaves
  size_t depth = 0;           // node: nibbles from it down to the end of its deepest key
  size_t account_depth = no_accounts;  // node: the same to the end of its shallowest account leaf's key
  size_t offset = 0;          // where the instruction that made it starts
  ByteView bytes;             // hash: its 32 bytes; code: the code (both inside the stream)
  TrieNodePtr node;           // node, when building the pre-state

  static constexpr size_t no_accounts = SIZE_MAX;
};

// A key as the stream packs it, checked: `size` nibbles.
struct PackedKey {
  ByteView bytes;
  size_t size = 0;
};

H256 to_h256(ByteView bytes) {
  H256 out;
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

// Code by content: equal code has equal hashes, so this counts what a code table keyed by hash would hold.
struct CodeFigures {
  std::unordered_set<std::string_view> distinct;
  void add(ByteView code) { distinct.emplace(reinterpret_cast<const char*>(code.data()), code.size()); }
};

template <Output output>
class Decoder {
  static constexpr bool building = output == Output::pre_state;

 public:
  Decoder(ByteView input, eth::PreimageLog* log, CodeFigures* code_figures = nullptr)
      : in_(input), log_(log), code_figures_(code_figures) {}

  // Decodes the whole stream: the pre-state when building; when counting, its figures but the code's, which go
  // to `code_figures`. (The return type is spelled out: one instantiation calls the other's run.)
  std::conditional_t<building, PreState, PreImageStats> run() {
    if (in_.empty()) fail(0, "empty stream");
    if (in_[0] > 1) fail(0, fmt::format("unknown header byte 0x{:02x}", in_[0]));
    pos_ = 1;
    if (pos_ == in_.size()) fail(pos_, "no instructions");
    while (pos_ < in_.size()) step();
    if (stack_.size() != 1)
      fail(in_.size(), fmt::format("{} items left on the stack at the end, expected one trie root", stack_.size()));
    Item root = std::move(stack_.back());
    stack_.pop_back();
    if (root.kind == Item::Kind::node && root.has_values) fail(root.offset, "storage leaf in the state trie");
    if (root.kind == Item::Kind::code) fail(root.offset, "code where the state trie root is expected");
    if constexpr (building) {
      return finish(std::move(root));
    } else {
      if (root.kind == Item::Kind::hash) ++stats_.hashed_subtries;
      // An account key shorter than 64 nibbles: the building decoder fails naming the leaf (rare, so slow).
      if (root.kind == Item::Kind::node && root.has_accounts && root.account_depth != 64)
        Decoder<Output::pre_state>(in_, nullptr).run();
      return stats_;
    }
  }

 private:
  [[noreturn]] void fail(size_t offset, std::string_view what) const { throw CompactError(offset, what); }

  PreState finish(Item root) {
    PreState out;
    if (root.kind == Item::Kind::hash) out.state = eth::Trie(eth::make_hashed(to_h256(root.bytes)));
    else if (root.kind == Item::Kind::node) out.state = eth::Trie(std::move(root.node));
    // Storage tries were built before their accounts' full keys were known: find them by leaf.
    eth::for_each_node(out.state, [&](const Nibbles& path, const MptNode& node) {
      if (node.kind != MptNode::Kind::leaf) return;
      auto it = pending_storage_.find(&node);
      if (it == pending_storage_.end()) return;
      Nibbles key = path;
      key.insert(key.end(), node.path.begin(), node.path.end());
      if (key.size() != 64)
        fail(it->second.offset, fmt::format("account leaf with a {}-nibble key (expected 64)", key.size()));
      H256 hashed_address;
      Bytes packed = eth::nibbles_to_bytes(key);
      std::copy(packed.begin(), packed.end(), hashed_address.begin());
      out.storage.emplace(hashed_address, std::move(it->second.trie));
    });
    out.code = std::move(code_);
    return out;
  }

  uint8_t byte(std::string_view what) {
    if (pos_ >= in_.size()) fail(pos_, fmt::format("truncated {}", what));
    return in_[pos_++];
  }

  // CBOR head: major type and argument (definite lengths only).
  std::pair<uint8_t, uint64_t> cbor_head(std::string_view what) {
    size_t start = pos_;
    uint8_t initial = byte(what);
    uint8_t major = initial >> 5, info = initial & 31;
    uint64_t value;
    if (info < 24) {
      value = info;
    } else if (info <= 27) {
      int n = 1 << (info - 24);
      value = 0;
      for (int i = 0; i < n; ++i) value = value << 8 | byte(what);
    } else {
      fail(start, fmt::format("unsupported CBOR head 0x{:02x} in {}", initial, what));
    }
    return {major, value};
  }

  uint64_t cbor_uint(std::string_view what) {
    size_t start = pos_;
    auto [major, value] = cbor_head(what);
    if (major != 0) fail(start, fmt::format("{} is not a CBOR unsigned integer", what));
    return value;
  }

  ByteView cbor_bytes(std::string_view what) {
    size_t start = pos_;
    auto [major, length] = cbor_head(what);
    if (major != 2) fail(start, fmt::format("{} is not a CBOR byte string", what));
    if (length > in_.size() - pos_) fail(start, fmt::format("truncated {}", what));
    ByteView out = in_.subspan(pos_, length);
    pos_ += length;
    return out;
  }

  // A key: a flags byte (odd length, terminated), then packed nibbles; a lone byte is a single nibble.
  PackedKey key() {
    size_t start = pos_;
    ByteView bytes = cbor_bytes("key");
    if (bytes.empty()) fail(start, "empty key");
    if (bytes.size() == 1) {
      if (bytes[0] > 15) fail(start, "single-nibble key above 15");
      return {bytes, 1};
    }
    uint8_t flags = bytes[0];
    if (flags & ~3) fail(start, fmt::format("unknown key flags 0x{:02x}", flags));
    bool odd = flags & 1;
    if (odd && (bytes.back() & 15)) fail(start, "odd key with a non-zero padding nibble");
    return {bytes, 2 * bytes.size() - (odd ? 3 : 2)};
  }

  static Nibbles unpack(const PackedKey& key) {
    if (key.bytes.size() == 1) return Nibbles{key.bytes[0]};
    Nibbles out(key.size);
    for (size_t i = 0; i < key.size; ++i) {
      uint8_t b = key.bytes[1 + i / 2];
      out[i] = i % 2 ? b & 15 : b >> 4;
    }
    return out;
  }

  Item pop(size_t offset, std::string_view what) {
    if (stack_.empty()) fail(offset, fmt::format("stack underflow: {} needs an item", what));
    Item item = std::move(stack_.back());
    stack_.pop_back();
    return item;
  }

  // A trie node (expanded or hashed) as a child of a branch or extension (null when counting).
  TrieNodePtr take_node(Item& item, size_t offset, std::string_view what) {
    switch (item.kind) {
      case Item::Kind::node: return std::move(item.node);
      case Item::Kind::hash:
        if constexpr (building) return eth::make_hashed(to_h256(item.bytes));
        ++stats_.hashed_subtries;
        return nullptr;
      case Item::Kind::code: fail(offset, fmt::format("code where {} expects a trie node", what));
      case Item::Kind::empty: fail(offset, fmt::format("empty root where {} expects a trie node", what));
    }
    return nullptr;
  }

  H256 hash_logged(ByteView data) {
    H256 digest = eth::keccak256(data);
    if (log_) log_->record(data, digest);
    return digest;
  }

  void step() {
    size_t start = pos_;
    uint8_t opcode = in_[pos_++];
    Item item;
    item.offset = start;
    switch (opcode) {
      case op_leaf: {
        PackedKey path = key();
        ByteView value = cbor_bytes("leaf value");
        if (value.empty()) fail(start, "empty leaf value");
        item.depth = path.size;
        item.has_values = true;
        if constexpr (building) item.node = eth::make_leaf(unpack(path), eth::rlp_string(value));
        ++stats_.storage_slots;
        break;
      }
      case op_extension: {
        PackedKey path = key();
        Item child = pop(start, "extension");
        if (child.kind == Item::Kind::node && child.node_kind != MptNode::Kind::branch)
          fail(start, "extension whose child is not a branch");
        item.node_kind = MptNode::Kind::extension;
        item.has_accounts = child.has_accounts;
        item.has_values = child.has_values;
        item.depth = path.size + child.depth;
        if (child.account_depth != Item::no_accounts) item.account_depth = path.size + child.account_depth;
        TrieNodePtr node = take_node(child, start, "an extension");
        if constexpr (building) item.node = eth::make_extension(unpack(path), std::move(node));
        break;
      }
      case op_branch: {
        uint64_t mask = cbor_uint("branch mask");
        if (mask >> 16) fail(start, fmt::format("branch mask 0x{:x} has bits above 15", mask));
        if (std::popcount(mask) < 2) fail(start, fmt::format("branch mask 0x{:x} has fewer than two children", mask));
        item.node_kind = MptNode::Kind::branch;
        if constexpr (building) item.node = eth::make_branch();
        for (int i = 15; i >= 0; --i) {
          if (!(mask >> i & 1)) continue;
          if (stack_.empty()) fail(start, fmt::format("stack underflow: branch mask 0x{:x} needs an item", mask));
          Item child = pop(start, "branch");
          item.has_accounts |= child.has_accounts;
          item.has_values |= child.has_values;
          item.depth = std::max(item.depth, 1 + child.depth);
          if (child.account_depth != Item::no_accounts)
            item.account_depth = std::min(item.account_depth, 1 + child.account_depth);
          TrieNodePtr node = take_node(child, start, "a branch");
          if constexpr (building) item.node->children[static_cast<size_t>(i)] = std::move(node);
        }
        break;
      }
      case op_hash: {
        if (in_.size() - pos_ < 32) fail(start, "truncated hash");
        item.kind = Item::Kind::hash;
        item.bytes = in_.subspan(pos_, 32);
        pos_ += 32;
        break;
      }
      case op_code: {
        item.kind = Item::Kind::code;
        item.bytes = cbor_bytes("code");
        break;
      }
      case op_account_leaf:
        item = account_leaf(start);
        break;
      case op_empty_root:
        item.kind = Item::Kind::empty;
        break;
      default:
        fail(start, fmt::format("unknown opcode 0x{:02x}", opcode));
    }
    // Keys are at most 64 nibbles; deeper input is malformed (and must not nest without bound).
    if (item.depth > 64) fail(start, fmt::format("trie deeper than 64 nibbles ({})", item.depth));
    if (item.kind == Item::Kind::node) ++stats_.trie_nodes;
    stack_.push_back(std::move(item));
  }

  Item account_leaf(size_t start) {
    PackedKey path = key();
    uint8_t flags = byte("account flags");
    if (flags & ~0x0f) fail(pos_ - 1, fmt::format("unknown account flags 0x{:02x}", flags));
    eth::Account account;
    if (flags & encodes_nonce_flag) account.nonce = cbor_uint("nonce");
    if (flags & encodes_balance_flag) {
      size_t at = pos_;
      ByteView balance = cbor_bytes("balance");
      if (balance.size() > 32) fail(at, "balance above 256 bits");
      if constexpr (building) account.balance = eth::u256_from_be_bytes(balance);
    }
    if (flags & has_code_flag) cbor_uint("code length");
    // The storage trie is on top of the stack, the code (or its hash) below it.
    eth::Trie storage;
    if (flags & has_storage_flag) {
      Item item = pop(start, "account storage");
      if (item.kind == Item::Kind::hash) {
        H256 root = to_h256(item.bytes);
        if constexpr (building) storage = eth::Trie::from_root_hash(root);
        else stats_.hashed_subtries += root != eth::empty_trie_root;
      } else if (item.kind == Item::Kind::node) {
        if (item.has_accounts) fail(item.offset, "account leaf inside a storage trie");
        if constexpr (building) storage = eth::Trie(std::move(item.node));
        ++stats_.storage_tries;
      } else if (item.kind == Item::Kind::code) {
        fail(start, "code where the account's storage trie is expected");
      }
    }
    if constexpr (building) account.storage_root = storage.root_hash(log_);
    if (flags & has_code_flag) {
      Item code = pop(start, "account code");
      if (code.kind == Item::Kind::hash) {
        if constexpr (building) account.code_hash = to_h256(code.bytes);
      } else if (code.kind == Item::Kind::code) {
        if constexpr (building) {
          account.code_hash = hash_logged(code.bytes);
          code_.try_emplace(account.code_hash, code.bytes.begin(), code.bytes.end());
        } else {
          code_figures_->add(code.bytes);
        }
      } else {
        fail(start, "account code is neither code nor a code hash");
      }
    }
    Item item;
    item.offset = start;
    item.node_kind = MptNode::Kind::leaf;
    item.depth = path.size;
    item.account_depth = path.size;
    item.has_accounts = true;
    ++stats_.accounts;
    if constexpr (building) {
      item.node = eth::make_leaf(unpack(path), eth::encode_account(account));
      pending_storage_.emplace(item.node.get(), PendingStorage{start, std::move(storage)});
    }
    return item;
  }

  ByteView in_;
  size_t pos_ = 0;
  eth::PreimageLog* log_;
  CodeFigures* code_figures_;  // counting
  std::vector<Item> stack_;
  PreImageStats stats_;  // counting: all but the code figures
  struct PendingStorage {
    size_t offset;  // of the account leaf instruction
    eth::Trie trie;
  };
  std::unordered_map<const MptNode*, PendingStorage> pending_storage_;  // building
  CodeTable code_;                                                      // building
};

// Builds a node of a directly serialized trie; `depth` guards against cycles in the arena.
TrieNodePtr build_direct(const DirectTrie& trie, uint32_t index, size_t depth, bool account_values) {
  if (index >= trie.nodes.size()) throw eth::DecodeError(fmt::format("trie node index {} out of range", index));
  if (depth > 64) throw eth::DecodeError("trie deeper than 64 nibbles");
  const witness::TrieNode& node = trie.nodes[index];
  switch (node.kind) {
    case witness::TrieNode::Kind::empty:
      return nullptr;
    case witness::TrieNode::Kind::hash:
      return eth::make_hashed(node.hash);
    case witness::TrieNode::Kind::leaf:
      if (account_values) eth::decode_account(node.value);
      return eth::make_leaf(node.nibbles, node.value);
    case witness::TrieNode::Kind::extension:
      if (node.nibbles.empty()) throw eth::DecodeError("extension with an empty path");
      return eth::make_extension(node.nibbles,
                                 build_direct(trie, node.child, depth + node.nibbles.size(), account_values));
    case witness::TrieNode::Kind::branch: {
      TrieNodePtr branch = eth::make_branch();
      branch->value = node.value;
      for (size_t i = 0; i < 16; ++i)
        if (node.children[i]) branch->children[i] = build_direct(trie, node.children[i], depth + 1, account_values);
      return branch;
    }
  }
  return nullptr;
}

eth::Trie direct_trie(const DirectTrie& trie, bool account_values) {
  if (trie.nodes.empty()) return eth::Trie();
  return eth::Trie(build_direct(trie, 0, 0, account_values));
}

// Writes the compact stream: children before parents, as the decoder's stack expects.
class Encoder {
 public:
  explicit Encoder(const PreState& state) : state_(state) {}

  Bytes run() {
    out_.push_back(1);
    if (!state_.state.root()) {
      out_.push_back(op_empty_root);
    } else {
      Nibbles path;
      node(*state_.state.root(), path, true);
    }
    return std::move(out_);
  }

 private:
  void cbor_head(uint8_t major, uint64_t value) {
    uint8_t type = static_cast<uint8_t>(major << 5);
    if (value < 24) {
      out_.push_back(static_cast<uint8_t>(type | value));
      return;
    }
    int n = value <= 0xff ? 1 : value <= 0xffff ? 2 : value <= 0xffffffff ? 4 : 8;
    out_.push_back(static_cast<uint8_t>(type | (24 + std::countr_zero(static_cast<unsigned>(n)))));
    for (int i = n - 1; i >= 0; --i) out_.push_back(static_cast<uint8_t>(value >> (8 * i)));
  }
  void cbor_bytes(ByteView bytes) {
    cbor_head(2, bytes.size());
    out_.insert(out_.end(), bytes.begin(), bytes.end());
  }
  void key(const Nibbles& nibbles) {
    if (nibbles.empty()) throw std::invalid_argument("compact encoding: a leaf with an empty path cannot be encoded");
    Bytes bytes{static_cast<uint8_t>(nibbles.size() % 2)};
    for (size_t i = 0; i < nibbles.size(); i += 2)
      bytes.push_back(static_cast<uint8_t>(nibbles[i] << 4 | (i + 1 < nibbles.size() ? nibbles[i + 1] : 0)));
    cbor_bytes(bytes);
  }
  void hash(const H256& h) {
    out_.push_back(op_hash);
    out_.insert(out_.end(), h.begin(), h.end());
  }

  void node(const MptNode& n, Nibbles& path, bool accounts) {
    switch (n.kind) {
      case MptNode::Kind::hashed:
        hash(n.hash);
        return;
      case MptNode::Kind::leaf:
        if (accounts) {
          Nibbles full = path;
          full.insert(full.end(), n.path.begin(), n.path.end());
          account_leaf(n, full);
        } else {
          out_.push_back(op_leaf);
          key(n.path);
          cbor_bytes(eth::rlp_decode(n.value).payload);
        }
        return;
      case MptNode::Kind::extension:
        path.insert(path.end(), n.path.begin(), n.path.end());
        node(*n.children[0], path, accounts);
        path.resize(path.size() - n.path.size());
        out_.push_back(op_extension);
        key(n.path);
        return;
      case MptNode::Kind::branch: {
        if (!n.value.empty()) throw std::invalid_argument("compact encoding: branch values cannot be encoded");
        uint64_t mask = 0;
        for (uint8_t i = 0; i < 16; ++i) {
          if (!n.children[i]) continue;
          mask |= uint64_t{1} << i;
          path.push_back(i);
          node(*n.children[i], path, accounts);
          path.pop_back();
        }
        out_.push_back(op_branch);
        cbor_head(0, mask);
        return;
      }
    }
  }

  void account_leaf(const MptNode& leaf, const Nibbles& full_key) {
    eth::Account account = eth::decode_account(leaf.value);
    H256 hashed_address;
    Bytes packed = eth::nibbles_to_bytes(full_key);
    std::copy(packed.begin(), packed.end(), hashed_address.begin());
    uint8_t flags = 0;
    const Bytes* code = nullptr;
    if (account.code_hash != eth::empty_keccak) {
      flags |= has_code_flag;
      auto it = state_.code.find(account.code_hash);
      if (it != state_.code.end()) {
        code = &it->second;
        out_.push_back(op_code);
        cbor_bytes(*code);
      } else {
        hash(account.code_hash);
      }
    }
    if (account.storage_root != eth::empty_trie_root) {
      flags |= has_storage_flag;
      auto it = state_.storage.find(hashed_address);
      if (it != state_.storage.end() && it->second.root()) {
        Nibbles storage_path;
        node(*it->second.root(), storage_path, false);
      } else {
        hash(account.storage_root);
      }
    }
    if (account.nonce) flags |= encodes_nonce_flag;
    if (!account.balance.is_zero()) flags |= encodes_balance_flag;
    out_.push_back(op_account_leaf);
    key(leaf.path);
    out_.push_back(flags);
    if (account.nonce) cbor_head(0, account.nonce);
    if (!account.balance.is_zero()) cbor_bytes(eth::to_be_bytes_minimal(account.balance));
    if (flags & has_code_flag) cbor_head(0, code ? code->size() : 0);
  }

  const PreState& state_;
  Bytes out_;
};

}  // namespace

Bytes encode_compact(const PreState& state) { return Encoder(state).run(); }

PreState decode_compact(ByteView compact, eth::PreimageLog* log) {
  return Decoder<Output::pre_state>(compact, log).run();
}

PreState decode_separate(const SeparatePreImages& images, eth::PreimageLog* log) {
  PreState out;
  out.state = direct_trie(images.state, true);
  for (const auto& [hashed_address, trie] : images.storage) {
    eth::Trie storage = direct_trie(trie, false);
    H256 root = storage.root_hash(log);
    // The account, when the state pre-image expands it, must commit to this storage.
    const Bytes* account = nullptr;
    try {
      account = out.state.get(hashed_address);
    } catch (const eth::MissingTrieNode&) {
    }
    if (account && eth::decode_account(*account).storage_root != root)
      throw eth::DecodeError(fmt::format("storage trie of account {} has root {}, the account says {}",
                                         eth::to_hex(hashed_address), eth::to_hex(root),
                                         eth::to_hex(eth::decode_account(*account).storage_root)));
    out.storage.insert_or_assign(hashed_address, std::move(storage));
  }
  return out;
}

PreState decode_pre_state(const BlockTrace& trace, eth::PreimageLog* log) {
  PreState out = std::visit(
      [&](const auto& images) -> PreState {
        if constexpr (std::is_same_v<std::decay_t<decltype(images)>, CombinedPreImage>)
          return decode_compact(images.compact, log);
        else
          return decode_separate(images, log);
      },
      trace.trie_pre_images);
  for (const Bytes& code : trace.code_db) {
    H256 digest = eth::keccak256(code);
    if (log) log->record(code, digest);
    out.code.emplace(digest, code);
  }
  return out;
}

PreImageStats pre_image_stats(const BlockTrace& trace) {
  const auto* combined = std::get_if<CombinedPreImage>(&trace.trie_pre_images);
  if (!combined) return pre_image_stats(decode_pre_state(trace));
  CodeFigures code;
  PreImageStats stats = Decoder<Output::stats>(combined->compact, nullptr, &code).run();
  for (const Bytes& c : trace.code_db) code.add(c);
  stats.contracts = code.distinct.size();
  for (std::string_view c : code.distinct) stats.code_bytes += c.size();
  return stats;
}

PreImageStats pre_image_stats(const PreState& state) {
  PreImageStats stats;
  auto count = [&](const eth::Trie& trie, bool accounts) {
    eth::for_each_node(trie, [&](const Nibbles&, const MptNode& node) {
      if (node.kind == MptNode::Kind::hashed) {
        ++stats.hashed_subtries;
        return;
      }
      ++stats.trie_nodes;
      if (node.kind == MptNode::Kind::leaf) ++(accounts ? stats.accounts : stats.storage_slots);
    });
  };
  count(state.state, true);
  for (const auto& [key, trie] : state.storage) {
    if (trie.root() && trie.root()->kind != MptNode::Kind::hashed) ++stats.storage_tries;
    count(trie, false);
  }
  stats.contracts = state.code.size();
  for (const auto& [hash, code] : state.code) stats.code_bytes += code.size();
  return stats;
}

}  // namespace witprove::witness
