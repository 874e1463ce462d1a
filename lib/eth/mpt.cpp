#include "eth/mpt.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "eth/rlp.hpp"

namespace witprove::eth {

TrieNodePtr make_leaf(Nibbles path, Bytes value) {
  auto node = std::make_unique<TrieNode>();
  node->kind = TrieNode::Kind::leaf;
  node->path = std::move(path);
  node->value = std::move(value);
  return node;
}

TrieNodePtr make_extension(Nibbles path, TrieNodePtr child) {
  auto node = std::make_unique<TrieNode>();
  node->kind = TrieNode::Kind::extension;
  node->path = std::move(path);
  node->children.push_back(std::move(child));
  return node;
}

TrieNodePtr make_branch() {
  auto node = std::make_unique<TrieNode>();
  node->kind = TrieNode::Kind::branch;
  node->children.resize(16);
  return node;
}

TrieNodePtr make_hashed(const H256& hash) {
  auto node = std::make_unique<TrieNode>();
  node->kind = TrieNode::Kind::hashed;
  node->hash = hash;
  return node;
}

TrieNodePtr clone_node(const TrieNode& node) {
  auto copy = std::make_unique<TrieNode>();
  copy->kind = node.kind;
  copy->path = node.path;
  copy->value = node.value;
  copy->hash = node.hash;
  copy->ref = node.ref;
  copy->ref_size = node.ref_size;
  copy->children.resize(node.children.size());
  for (size_t i = 0; i < node.children.size(); ++i)
    if (node.children[i]) copy->children[i] = clone_node(*node.children[i]);
  return copy;
}

Trie clone(const Trie& trie) {
  Trie copy(trie.root() ? clone_node(*trie.root()) : nullptr);
  return copy;
}

MissingTrieNode::MissingTrieNode(Bytes key_, Nibbles path_)
    : std::runtime_error(fmt::format("witness lacks the trie node needed for key {} at path {}", to_hex(key_),
                                     nibbles_to_string(path_))),
      key(std::move(key_)),
      path(std::move(path_)) {}

namespace {

ByteView node_ref(TrieNode& node, PreimageLog* log);

// Caches the references of a node's children (computing their encodings, and hashes, on the way).
void cache_child_refs(TrieNode& node, PreimageLog* log) {
  if (node.kind == TrieNode::Kind::hashed) throw std::logic_error("node_encoding: an unexpanded node has no encoding");
  for (auto& child : node.children)
    if (child) node_ref(*child, log);
}

// Writes the encoding of a node whose children's references are cached into `buffer` and returns it (a view
// of `buffer`): the payload goes after room for the longest list header, then the header before it, so
// nothing is allocated once `buffer` has grown.
ByteView write_encoding(const TrieNode& node, Bytes& buffer) {
  buffer.assign(rlp_max_header, 0);
  switch (node.kind) {
    case TrieNode::Kind::leaf:
      rlp_append_string(buffer, hex_prefix_encode(node.path, true));
      rlp_append_string(buffer, node.value);
      break;
    case TrieNode::Kind::extension:
      rlp_append_string(buffer, hex_prefix_encode(node.path, false));
      rlp_append_raw(buffer, node.children[0]->ref_view());
      break;
    case TrieNode::Kind::branch:
      for (const auto& child : node.children) {
        if (child) rlp_append_raw(buffer, child->ref_view());
        else buffer.push_back(0x80);
      }
      rlp_append_string(buffer, node.value);
      break;
    case TrieNode::Kind::hashed:
      break;  // cache_child_refs has refused it
  }
  uint8_t header[rlp_max_header];
  size_t header_size = rlp_write_list_header(header, buffer.size() - rlp_max_header);
  size_t start = rlp_max_header - header_size;
  std::copy(header, header + header_size, buffer.begin() + static_cast<ptrdiff_t>(start));
  return ByteView(buffer).subspan(start);
}

Bytes encode(TrieNode& node, PreimageLog* log) {
  cache_child_refs(node, log);
  Bytes buffer;
  ByteView encoding = write_encoding(node, buffer);
  return Bytes(encoding.begin(), encoding.end());
}

ByteView node_ref(TrieNode& node, PreimageLog* log) {
  if (node.ref_size) return node.ref_view();
  auto set_hash_ref = [&](const H256& digest) {
    node.ref[0] = 0xa0;  // rlp of a 32-byte string
    std::copy(digest.begin(), digest.end(), node.ref.begin() + 1);
    node.ref_size = 33;
  };
  if (node.kind == TrieNode::Kind::hashed) {
    set_hash_ref(node.hash);
  } else {
    cache_child_refs(node, log);
    thread_local Bytes buffer;  // free again here: the children are done
    ByteView encoding = write_encoding(node, buffer);
    if (encoding.size() < 32) {
      std::copy(encoding.begin(), encoding.end(), node.ref.begin());
      node.ref_size = static_cast<uint8_t>(encoding.size());
    } else {
      H256 digest = keccak256(encoding);
      if (log) log->record(encoding, digest);
      set_hash_ref(digest);
    }
  }
  return node.ref_view();
}

size_t common_prefix(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  size_t n = std::min(a.size(), b.size()), i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

Nibbles slice(std::span<const uint8_t> nibbles, size_t from, size_t to) {
  return Nibbles(nibbles.begin() + static_cast<ptrdiff_t>(from), nibbles.begin() + static_cast<ptrdiff_t>(to));
}

void drop_front(Nibbles& path, size_t n) { path.erase(path.begin(), path.begin() + static_cast<ptrdiff_t>(n)); }

// One put or erase: the key as bytes (for messages) and as nibbles.
struct Operation {
  ByteView key_bytes;
  Nibbles key;

  [[noreturn]] void missing(size_t depth) const { missing_at(slice(key, 0, depth)); }
  [[noreturn]] void missing_at(Nibbles path) const {
    throw MissingTrieNode(Bytes(key_bytes.begin(), key_bytes.end()), std::move(path));
  }
};

// Places `value` (the rest of the key being `rest`) as a child of, or the value of, a fresh branch.
void place_in_branch(TrieNode& branch, std::span<const uint8_t> rest, Bytes&& value) {
  if (rest.empty()) branch.value = std::move(value);
  else branch.children[rest[0]] = make_leaf(slice(rest, 1, rest.size()), std::move(value));
}

// Returns whether anything changed: storing the value a key already has keeps the cached references on its
// path, so the next root hash does not recompute them.
bool insert(TrieNodePtr& slot, const Operation& op, size_t depth, Bytes&& value) {
  std::span<const uint8_t> rest = std::span<const uint8_t>(op.key).subspan(depth);
  if (!slot) {
    slot = make_leaf(Nibbles(rest.begin(), rest.end()), std::move(value));
    return true;
  }
  TrieNode& node = *slot;
  switch (node.kind) {
    case TrieNode::Kind::hashed:
      op.missing(depth);
    case TrieNode::Kind::branch:
      if (rest.empty()) {
        if (node.value == value) return false;
        node.value = std::move(value);
      } else if (!insert(node.children[rest[0]], op, depth + 1, std::move(value))) {
        return false;
      }
      node.ref_size = 0;
      return true;
    case TrieNode::Kind::leaf:
    case TrieNode::Kind::extension: {
      size_t common = common_prefix(node.path, rest);
      bool leaf = node.kind == TrieNode::Kind::leaf;
      if (leaf && common == node.path.size() && common == rest.size()) {
        if (node.value == value) return false;
        node.value = std::move(value);
        node.ref_size = 0;
        return true;
      }
      if (!leaf && common == node.path.size()) {
        if (!insert(node.children[0], op, depth + common, std::move(value))) return false;
        node.ref_size = 0;
        return true;
      }
      // The paths diverge at `common`: a branch there holds the old node's remainder and the new value.
      node.ref_size = 0;
      Nibbles prefix = slice(rest, 0, common);
      TrieNodePtr branch = make_branch();
      if (common == node.path.size()) {
        branch->value = std::move(node.value);  // a leaf whose key is a prefix of the new key
      } else {
        uint8_t index = node.path[common];
        if (!leaf && common + 1 == node.path.size()) {
          branch->children[index] = std::move(node.children[0]);
        } else {
          drop_front(node.path, common + 1);
          branch->children[index] = std::move(slot);
        }
      }
      place_in_branch(*branch, rest.subspan(common), std::move(value));
      slot = common > 0 ? make_extension(std::move(prefix), std::move(branch)) : std::move(branch);
      return true;
    }
  }
  return false;
}

// After a deletion below a branch: collapse it when a single child or only a value is left.
void normalize_branch(TrieNodePtr& slot, const Operation& op, size_t depth) {
  TrieNode& node = *slot;
  int count = 0, last = -1;
  for (int i = 0; i < 16; ++i)
    if (node.children[i]) ++count, last = i;
  if (count >= 2 || (count == 1 && !node.value.empty())) return;
  if (count == 0) {
    if (node.value.empty()) slot.reset();
    else slot = make_leaf({}, std::move(node.value));
    return;
  }
  uint8_t index = static_cast<uint8_t>(last);
  TrieNodePtr child = std::move(node.children[index]);
  switch (child->kind) {
    case TrieNode::Kind::hashed: {  // its kind decides the collapse: never guessed
      Nibbles path = slice(op.key, 0, depth);
      path.push_back(index);
      op.missing_at(std::move(path));
    }
    case TrieNode::Kind::branch:
      slot = make_extension(Nibbles{index}, std::move(child));
      return;
    case TrieNode::Kind::leaf:
    case TrieNode::Kind::extension:
      child->path.insert(child->path.begin(), index);
      child->ref_size = 0;
      slot = std::move(child);
      return;
  }
}

bool erase(TrieNodePtr& slot, const Operation& op, size_t depth) {
  if (!slot) return false;
  std::span<const uint8_t> rest = std::span<const uint8_t>(op.key).subspan(depth);
  TrieNode& node = *slot;
  switch (node.kind) {
    case TrieNode::Kind::hashed:
      op.missing(depth);
    case TrieNode::Kind::leaf:
      if (!std::ranges::equal(node.path, rest)) return false;
      slot.reset();
      return true;
    case TrieNode::Kind::extension: {
      if (common_prefix(node.path, rest) != node.path.size()) return false;
      if (!erase(node.children[0], op, depth + node.path.size())) return false;
      node.ref_size = 0;
      TrieNodePtr& child = node.children[0];
      if (!child) {
        slot.reset();
      } else if (child->kind == TrieNode::Kind::leaf || child->kind == TrieNode::Kind::extension) {
        child->path.insert(child->path.begin(), node.path.begin(), node.path.end());
        child->ref_size = 0;
        TrieNodePtr merged = std::move(child);
        slot = std::move(merged);
      }
      return true;
    }
    case TrieNode::Kind::branch:
      if (rest.empty()) {
        if (node.value.empty()) return false;
        node.value.clear();
      } else if (!erase(node.children[rest[0]], op, depth + 1)) {
        return false;
      }
      node.ref_size = 0;
      normalize_branch(slot, op, depth);
      return true;
  }
  return false;
}

void visit_nodes(const TrieNode& node, Nibbles& path,
                 const std::function<void(const Nibbles&, const TrieNode&)>& visit) {
  visit(path, node);
  size_t base = path.size();
  if (node.kind == TrieNode::Kind::extension) {
    path.insert(path.end(), node.path.begin(), node.path.end());
    visit_nodes(*node.children[0], path, visit);
  } else if (node.kind == TrieNode::Kind::branch) {
    for (uint8_t i = 0; i < 16; ++i) {
      if (!node.children[i]) continue;
      path.push_back(i);
      visit_nodes(*node.children[i], path, visit);
      path.resize(base);
    }
  }
  path.resize(base);
}

}  // namespace

Bytes node_encoding(TrieNode& node, PreimageLog* log) { return encode(node, log); }

Trie Trie::from_root_hash(const H256& root) {
  if (root == empty_trie_root) return Trie();
  return Trie(make_hashed(root));
}

const Bytes* Trie::get(ByteView key_bytes) const {
  Nibbles key = to_nibbles(key_bytes);
  const TrieNode* node = root_.get();
  size_t depth = 0;
  while (node) {
    std::span<const uint8_t> rest = std::span<const uint8_t>(key).subspan(depth);
    switch (node->kind) {
      case TrieNode::Kind::hashed:
        throw MissingTrieNode(Bytes(key_bytes.begin(), key_bytes.end()), slice(key, 0, depth));
      case TrieNode::Kind::leaf:
        return std::ranges::equal(node->path, rest) ? &node->value : nullptr;
      case TrieNode::Kind::extension:
        if (common_prefix(node->path, rest) != node->path.size()) return nullptr;
        depth += node->path.size();
        node = node->children[0].get();
        break;
      case TrieNode::Kind::branch:
        if (rest.empty()) return node->value.empty() ? nullptr : &node->value;
        node = node->children[rest[0]].get();
        ++depth;
        break;
    }
  }
  return nullptr;
}

void Trie::put(ByteView key, Bytes value) {
  if (value.empty()) {
    erase(key);
    return;
  }
  Operation op{key, to_nibbles(key)};
  insert(root_, op, 0, std::move(value));
}

bool Trie::erase(ByteView key) {
  Operation op{key, to_nibbles(key)};
  return eth::erase(root_, op, 0);
}

H256 Trie::root_hash(PreimageLog* log) {
  if (!root_) return empty_trie_root;
  if (root_->kind == TrieNode::Kind::hashed) return root_->hash;
  ByteView ref = node_ref(*root_, log);
  if (ref.size() == 33) {  // rlp(hash): embedded encodings are shorter than 32 bytes
    H256 digest;
    std::copy(ref.begin() + 1, ref.end(), digest.begin());
    return digest;
  }
  H256 digest = keccak256(ref);  // the root is hashed even when short
  if (log) log->record(ref, digest);
  return digest;
}

Bytes Trie::root_encoding(PreimageLog* log) {
  if (!root_ || root_->kind == TrieNode::Kind::hashed) return {};
  return encode(*root_, log);
}

void for_each_node(const Trie& trie, const std::function<void(const Nibbles&, const TrieNode&)>& visit) {
  if (!trie.root()) return;
  Nibbles path;
  visit_nodes(*trie.root(), path, visit);
}

void for_each_leaf(const Trie& trie, const std::function<void(const Nibbles&, const Bytes&)>& visit) {
  for_each_node(trie, [&](const Nibbles& path, const TrieNode& node) {
    if (node.kind == TrieNode::Kind::leaf) {
      Nibbles key = path;
      key.insert(key.end(), node.path.begin(), node.path.end());
      visit(key, node.value);
    } else if (node.kind == TrieNode::Kind::branch && !node.value.empty()) {
      visit(path, node.value);
    }
  });
}

}  // namespace witprove::eth
