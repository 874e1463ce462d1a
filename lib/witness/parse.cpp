// simdjson DOM. Measured on the real witnesses (replicated to 100 MB, one core), filling the model from a DOM
// tape took about 4% less CPU than filling it in one On-Demand pass with zero-copy strings; the JSON layer is a
// small share of either (hex decoding, allocation and the model dominate). DOM also validates a block's JSON
// before any field is read, and a bad value never leaves an iterator in an unusable state. The price: a JSON
// number above 2^64 - 1 fails the tape build, so its message has no JSON path.
#include "witness/parse.hpp"

#include <fmt/format.h>
#include <simdjson.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <bit>
#include <charconv>

#ifdef __AVX2__
#include <immintrin.h>
#endif

namespace witprove::witness {

namespace {

namespace dom = simdjson::dom;
static_assert(json_padding >= simdjson::SIMDJSON_PADDING);

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

size_t skip_space(std::string_view s, size_t i) {
  while (i < s.size() && is_space(s[i])) ++i;
  return i;
}

// Finds where a JSON value ends without parsing it: tracks strings (with escapes) and bracket depth.
struct ValueScan {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;

  // Consumes one character; true when it ends the value (',' or a closing bracket at depth 0).
  bool ends_at(char c) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      return false;
    }
    if (c == '"') in_string = true;
    else if (c == '{' || c == '[') ++depth;
    else if (c == '}' || c == ']') return depth-- == 0;
    else if (c == ',') return depth == 0;
    return false;
  }
};

#ifdef __AVX2__
// 64 bytes of text, loaded once and compared as a whole.
struct Block64 {
  __m256i lo, hi;

  explicit Block64(const char* p)
      : lo(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))),
        hi(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32))) {}

  // Bit k set where byte k equals c.
  static uint64_t eq(__m256i a, __m256i b, char c) {
    const __m256i needle = _mm256_set1_epi8(c);
    return static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, needle))) |
           uint64_t{static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, needle)))} << 32;
  }
  uint64_t eq(char c) const { return eq(lo, hi, c); }
  // Bit k set where byte k, with bit 5 set, equals c: '{' also finds '[', '}' also finds ']'.
  uint64_t eq_folded(char c) const {
    const __m256i bit5 = _mm256_set1_epi8(0x20);
    return eq(_mm256_or_si256(lo, bit5), _mm256_or_si256(hi, bit5), c);
  }
};

// Bit k set when an odd number of bits 0..k are set: marks the inside of strings from their quotes.
uint64_t prefix_xor(uint64_t x) {
  for (int shift = 1; shift < 64; shift *= 2) x ^= x << shift;
  return x;
}
#endif

// Index of the ',' or ']' that ends the value starting at `i` (depth 0), or s.size() if the text ends first.
// With AVX2, 64 bytes at a time: a block inside a string without quotes or backslashes is skipped at once,
// strings are found by quote parity, a block whose closing brackets cannot bring the depth back to 0 is
// skipped by counting brackets, and otherwise only the brackets and commas outside strings are visited; a
// block holding a backslash goes through the exact character scan.
size_t value_end(std::string_view s, size_t i) {
  ValueScan scan;
#ifdef __AVX2__
  for (; i + 64 <= s.size(); i += 64) {
    const char* p = s.data() + i;
    Block64 block(p);
    uint64_t quotes = block.eq('"'), backslashes = block.eq('\\');
    if (scan.in_string && !(quotes | backslashes)) continue;  // inside a long string (hex, mostly)
    if (scan.escaped || backslashes) {
      for (size_t k = 0; k < 64; ++k)
        if (scan.ends_at(p[k])) return i + k;
      continue;
    }
    uint64_t inside = prefix_xor(quotes) ^ (scan.in_string ? ~uint64_t{0} : 0);
    uint64_t opens = block.eq_folded('{') & ~inside, closes = block.eq_folded('}') & ~inside;
    scan.in_string = inside >> 63;
    if (scan.depth > std::popcount(closes)) {
      scan.depth += std::popcount(opens) - std::popcount(closes);
      continue;
    }
    bool in_string = scan.in_string;
    scan.in_string = false;  // the characters visited below are all outside strings
    for (uint64_t hits = opens | closes | (block.eq(',') & ~inside); hits; hits &= hits - 1) {
      size_t k = static_cast<size_t>(std::countr_zero(hits));
      if (scan.ends_at(p[k])) return i + k;
    }
    scan.in_string = in_string;
  }
#endif
  for (; i < s.size(); ++i)
    if (scan.ends_at(s[i])) return i;
  return s.size();
}

std::string_view trim_end(std::string_view s) {
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Thrown inside BlockParser with a complete "path: what" message; caught per block.
struct Failure {
  std::string message;
};

// Fills a BlockWitness from one block's JSON, keeping the JSON path of the value being read for messages.
class BlockParser {
 public:
  void block(dom::element v, BlockWitness& w) {
    unsigned seen = object(v, [&](std::string_view key, dom::element f) -> unsigned {
      if (key == "block_trace") return block_trace(f, w.block_trace), 1;
      if (key == "other_data") return other_data(f, w.other_data), 2;
      return 0;
    });
    require(seen, {"block_trace", "other_data"});
  }

 private:
  // Restores the path when a nested value is done.
  class Scope {
   public:
    Scope(std::string& path, size_t size) : path_(path), size_(size) {}
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    ~Scope() { path_.resize(size_); }

   private:
    std::string& path_;
    size_t size_;
  };

  Scope enter_field(std::string_view key) {
    size_t size = path_.size();
    path_ += '.';
    path_ += key;
    return Scope(path_, size);
  }
  // Plain appends: these run for every array element and map key, so no formatting library here.
  Scope enter_key(std::string_view key) {
    size_t size = path_.size();
    path_ += "[\"";
    path_ += key;
    path_ += "\"]";
    return Scope(path_, size);
  }
  Scope enter_index(size_t i) {
    size_t size = path_.size();
    char digits[24];
    auto end = std::to_chars(digits, digits + sizeof digits, i).ptr;
    path_ += '[';
    path_.append(digits, end);
    path_ += ']';
    return Scope(path_, size);
  }

  [[noreturn]] void fail(std::string_view what) const {
    throw Failure{path_.empty() ? std::string(what) : fmt::format("{}: {}", path_, what)};
  }

  void check(simdjson::error_code e, std::string_view expected) const {
    switch (e) {
      case simdjson::SUCCESS: return;
      case simdjson::INCORRECT_TYPE:
      case simdjson::NUMBER_ERROR: fail(expected);
      case simdjson::NUMBER_OUT_OF_RANGE: fail(fmt::format("{}, found a number out of range", expected));
      default: fail(fmt::format("invalid JSON: {}", simdjson::error_message(e)));
    }
  }

  // Calls on_field(key, value) for each member; it returns the member's bit in the result (0 if unknown).
  template <class OnField>
  unsigned object(dom::element v, OnField&& on_field) {
    dom::object obj;
    check(v.get_object().get(obj), "expected an object");
    unsigned seen = 0;
    std::vector<std::string_view> keys;  // a handful per object: a linear search is cheapest
    for (auto [key, value] : obj) {
      auto scope = enter_field(key);
      // JSON allows a key twice; a witness field given twice is ambiguous, so it is refused, never merged.
      if (std::find(keys.begin(), keys.end(), key) != keys.end()) fail("field given twice");
      keys.push_back(key);
      seen |= on_field(key, value);
    }
    return seen;
  }

  // Fails when two members of a map parsed to the same key (the same address or slot written differently,
  // e.g. in upper case): both would otherwise be applied.
  template <class T, class Key>
  void require_distinct(const std::vector<T>& members, Key&& key, std::string_view what) {
    std::vector<decltype(key(members[0]))> keys;
    keys.reserve(members.size());
    for (const T& m : members) keys.push_back(key(m));
    std::sort(keys.begin(), keys.end());
    if (auto twice = std::adjacent_find(keys.begin(), keys.end()); twice != keys.end())
      fail(fmt::format("{} {} given twice", what, eth::to_hex(*twice)));
  }

  // For maps keyed by hex (addresses, slots): paths read `.traces["0xab.."]`.
  template <class OnMember>
  void map(dom::element v, OnMember&& on_member) {
    dom::object obj;
    check(v.get_object().get(obj), "expected an object");
    for (auto [key, value] : obj) {
      auto scope = enter_key(key);
      on_member(key, value);
    }
  }

  template <class OnElement>
  size_t array(dom::element v, OnElement&& on_element) {
    dom::array arr;
    check(v.get_array().get(arr), "expected an array");
    size_t i = 0;
    for (dom::element value : arr) {
      auto scope = enter_index(i);
      on_element(i, value);
      ++i;
    }
    return i;
  }

  // Fails naming the first of `names` whose bit is not in `seen` (bit i for names[i]).
  void require(unsigned seen, std::initializer_list<std::string_view> names) {
    unsigned bit = 1;
    for (std::string_view name : names) {
      if (!(seen & bit)) {
        auto scope = enter_field(name);
        fail("missing field");
      }
      bit <<= 1;
    }
  }

  // Room for the elements of an array or the members of an object, so that filling `out` moves nothing.
  template <class T>
  static void reserve_for(std::vector<T>& out, dom::element v) {
    dom::array arr;
    dom::object obj;
    if (!v.get_array().get(arr)) out.reserve(out.size() + arr.size());
    else if (!v.get_object().get(obj)) out.reserve(out.size() + obj.size());
  }

  // ---- scalars ----

  std::string_view string_text(dom::element& v, std::string_view expected) {
    std::string_view out;
    check(v.get_string().get(out), expected);
    return out;
  }

  // Every hex value in a witness carries the 0x prefix: without it, "100" could be decimal or hex.
  std::string_view hex_text(std::string_view text) {
    if (!text.starts_with("0x")) fail(fmt::format("expected 0x-prefixed hex, found \"{}\"", excerpt(text)));
    return text;
  }

  static std::string excerpt(std::string_view s) {
    return s.size() <= 24 ? std::string(s) : fmt::format("{}...", s.substr(0, 24));
  }

  Bytes bytes(dom::element v) {
    if (v.is_array()) {  // serde's plain Vec<u8>: an array of numbers
      Bytes out;
      array(v, [&](size_t, dom::element e) {
        uint64_t b = u64(e);
        if (b > 255) fail("expected a byte (0..255)");
        out.push_back(static_cast<uint8_t>(b));
      });
      return out;
    }
    std::string_view text = hex_text(string_text(v, "expected a hex string"));
    auto out = eth::hex_to_bytes(text);
    if (!out) {
      if (eth::strip_hex_prefix(text).size() % 2) fail(fmt::format("odd number of hex digits in \"{}\"", excerpt(text)));
      fail(fmt::format("expected hex bytes, found \"{}\"", excerpt(text)));
    }
    return std::move(*out);
  }

  template <size_t N>
  std::array<uint8_t, N> fixed_from_text(std::string_view text) {
    auto out = eth::hex_to_fixed<N>(hex_text(text));
    if (!out)
      fail(fmt::format("expected exactly {} bytes ({} hex digits), found \"{}\"", N, 2 * N, excerpt(text)));
    return *out;
  }
  template <size_t N>
  std::array<uint8_t, N> fixed(dom::element v) {
    return fixed_from_text<N>(string_text(v, "expected a hex string"));
  }
  H256 h256(dom::element v) { return fixed<32>(v); }
  Address address(dom::element v) { return fixed<20>(v); }

  U256 u256_from_text(std::string_view text) {
    auto out = eth::u256_from_hex(hex_text(text));
    if (!out) fail(fmt::format("expected a hex quantity of at most 256 bits, found \"{}\"", excerpt(text)));
    return *out;
  }
  U256 u256(dom::element v) { return u256_from_text(string_text(v, "expected a hex quantity string")); }
  // A quantity whose field is 64 bits wide (EIP-2681 nonces, timestamps, gas, Gwei amounts): more is an error,
  // never a wrap.
  U256 u64_quantity(dom::element v) {
    U256 out = u256(v);
    if (!out.fits_u64()) fail(fmt::format("{} does not fit the field's 64 bits", eth::to_hex(out)));
    return out;
  }

  uint64_t u64(dom::element v) {
    uint64_t out = 0;
    check(v.get_uint64().get(out), "expected an unsigned integer");
    return out;
  }

  bool boolean(dom::element v) {
    bool out = false;
    check(v.get_bool().get(out), "expected true or false");
    return out;
  }

  // ---- block_trace ----

  void block_trace(dom::element v, BlockTrace& t) {
    unsigned seen = object(v, [&](std::string_view key, dom::element f) -> unsigned {
      if (key == "trie_pre_images") return trie_pre_images(f, t.trie_pre_images), 1;
      if (key == "code_db") {
        if (!f.is_null()) array(f, [&](size_t, dom::element e) { t.code_db.push_back(bytes(e)); });
        return 0;
      }
      if (key == "txn_info") {
        reserve_for(t.txn_info, f);
        array(f, [&](size_t, dom::element e) { txn_info(e, t.txn_info.emplace_back()); });
        return 2;
      }
      return 0;
    });
    require(seen, {"trie_pre_images", "txn_info"});
  }

  void trie_pre_images(dom::element v, TriePreImages& out) {
    unsigned seen = object(v, [&](std::string_view key, dom::element f) -> unsigned {
      if (key == "combined") {
        CombinedPreImage combined;
        unsigned got = object(f, [&](std::string_view k, dom::element c) -> unsigned {
          return k == "compact" ? (combined.compact = bytes(c), 1u) : 0u;
        });
        require(got, {"compact"});
        out = std::move(combined);
        return 1;
      }
      if (key == "separate") {
        SeparatePreImages separate;
        unsigned got = object(f, [&](std::string_view k, dom::element s) -> unsigned {
          if (k == "state") return direct(s, separate.state), 1;
          if (k == "storage") return storage_tries(s, separate.storage), 2;
          return 0;
        });
        require(got, {"state", "storage"});
        out = std::move(separate);
        return 2;
      }
      return 0;
    });
    if (seen == 0) fail("expected \"combined\" or \"separate\"");
    if (seen == 3) fail("expected only one of \"combined\" and \"separate\"");
  }

  // {"multiple_tries": {hashed_address: {"direct": trie}}}
  void storage_tries(dom::element v, std::vector<std::pair<H256, DirectTrie>>& out) {
    unsigned seen = object(v, [&](std::string_view key, dom::element f) -> unsigned {
      if (key != "multiple_tries") return 0;
      map(f, [&](std::string_view hashed_address, dom::element t) {
        auto& [key_hash, trie] = out.emplace_back();
        key_hash = fixed_from_text<32>(hashed_address);
        direct(t, trie);
      });
      return 1;
    });
    require(seen, {"multiple_tries"});
  }

  // {"direct": trie}
  void direct(dom::element v, DirectTrie& trie) {
    unsigned seen = object(v, [&](std::string_view key, dom::element f) -> unsigned {
      if (key != "direct") return 0;
      trie_node(f, trie);
      return 1;
    });
    require(seen, {"direct"});
  }

  // A HashedPartialTrie: {"node": node, "hash": ..., "strategy": ...}, or the bare node. A node is "Empty",
  // {"Hash": h}, {"Branch": {"children": [16 tries], "value": bytes}}, {"Extension": {"nibbles": n,
  // "child": trie}} or {"Leaf": {"nibbles": n, "value": bytes}}. Returns the node's index in the arena.
  uint32_t trie_node(dom::element v, DirectTrie& trie) {
    if (trie.nodes.size() >= UINT32_MAX) fail("trie too large");
    auto index = static_cast<uint32_t>(trie.nodes.size());
    trie.nodes.emplace_back();
    if (v.is_string()) {
      if (string_text(v, "expected a trie node") != "Empty") fail("expected \"Empty\" or a trie node object");
      return index;
    }
    unsigned seen = object(v, [&](std::string_view key, dom::element f) -> unsigned {
      if (key == "node") {
        if (trie.nodes.size() != index + 1u) fail("expected one trie node");
        trie.nodes.pop_back();  // the wrapped node takes this index
        trie_node(f, trie);
      } else if (key == "Empty") {
        trie.nodes[index].kind = TrieNode::Kind::empty;
      } else if (key == "Hash") {
        trie.nodes[index].kind = TrieNode::Kind::hash;
        trie.nodes[index].hash = h256(f);
      } else if (key == "Branch") {
        trie.nodes[index].kind = TrieNode::Kind::branch;
        unsigned got = object(f, [&](std::string_view k, dom::element b) -> unsigned {
          if (k == "children") {
            size_t n = array(b, [&](size_t i, dom::element c) {
              if (i >= 16) fail("a branch has 16 children");
              uint32_t child = trie_node(c, trie);
              trie.nodes[index].children[i] = child;
            });
            if (n != 16) fail("a branch has 16 children");
            return 1;
          }
          if (k == "value") return trie.nodes[index].value = bytes(b), 0;
          return 0;
        });
        require(got, {"children"});
      } else if (key == "Extension" || key == "Leaf") {
        bool leaf = key == "Leaf";
        trie.nodes[index].kind = leaf ? TrieNode::Kind::leaf : TrieNode::Kind::extension;
        unsigned got = object(f, [&](std::string_view k, dom::element e) -> unsigned {
          if (k == "nibbles") return trie.nodes[index].nibbles = nibbles(e), 1;
          if (!leaf && k == "child") {
            uint32_t child = trie_node(e, trie);
            trie.nodes[index].child = child;
            return 2;
          }
          if (leaf && k == "value") return trie.nodes[index].value = bytes(e), 2;
          return 0;
        });
        require(got, {"nibbles", leaf ? "value" : "child"});
      } else {
        return 0;
      }
      return 1;
    });
    if (seen == 0) fail("expected a trie node");
    return index;
  }

  // mpt_trie's Nibbles: {"count": n, "packed": "0x.."}, the first nibble most significant.
  std::vector<uint8_t> nibbles(dom::element v) {
    uint64_t count = 0;
    U256 packed;
    unsigned seen = object(v, [&](std::string_view key, dom::element f) -> unsigned {
      if (key == "count") return count = u64(f), 1;
      if (key == "packed") return packed = u256(f), 2;
      return 0;
    });
    require(seen, {"count", "packed"});
    if (count > 64 || packed.bit_length() > 4 * count) fail("nibbles: count does not match packed");
    std::vector<uint8_t> out(count);
    for (size_t i = 0; i < count; ++i) {
      size_t bit = 4 * (count - 1 - i);
      out[i] = static_cast<uint8_t>((packed.limbs[bit / 64] >> (bit % 64)) & 15);
    }
    return out;
  }

  void txn_info(dom::element v, TxnInfo& txn) {
    unsigned seen = object(v, [&](std::string_view key, dom::element f) -> unsigned {
      if (key == "traces") {
        reserve_for(txn.traces, f);
        map(f, [&](std::string_view addr, dom::element t) {
          AccountTrace& trace = txn.traces.emplace_back();
          trace.address = fixed_from_text<20>(addr);
          account_trace(t, trace);
        });
        require_distinct(txn.traces, [](const AccountTrace& t) { return t.address; }, "address");
        return 1;
      }
      if (key == "meta") return txn_meta(f, txn.meta), 2;
      return 0;
    });
    require(seen, {"traces", "meta"});
  }

  void account_trace(dom::element v, AccountTrace& t) {
    object(v, [&](std::string_view key, dom::element f) -> unsigned {
      if (f.is_null()) return 0;  // serde writes absent optionals as null or leaves them out
      if (key == "balance") {
        t.balance = u256(f);
      } else if (key == "nonce") {
        t.nonce = u64_quantity(f);
      } else if (key == "storage_read") {
        reserve_for(t.storage_read, f);
        array(f, [&](size_t, dom::element e) { t.storage_read.push_back(h256(e)); });
      } else if (key == "storage_written") {
        reserve_for(t.storage_written, f);
        map(f, [&](std::string_view slot, dom::element value) {
          t.storage_written.emplace_back(fixed_from_text<32>(slot), u256(value));
        });
        require_distinct(t.storage_written, [](const auto& w) { return w.first; }, "slot");
      } else if (key == "code_usage") {
        code_usage(f, t);
      } else if (key == "self_destructed") {
        t.self_destructed = boolean(f);
      }
      return 0;
    });
  }

  void code_usage(dom::element v, AccountTrace& t) {
    unsigned seen = object(v, [&](std::string_view key, dom::element f) -> unsigned {
      if (key == "read") return t.code_read = h256(f), 1;
      if (key == "write") return t.code_write = bytes(f), 2;
      return 0;
    });
    if (seen != 1 && seen != 2) fail("expected exactly one of \"read\" and \"write\"");
  }

  void txn_meta(dom::element v, TxnMeta& m) {
    unsigned seen = object(v, [&](std::string_view key, dom::element f) -> unsigned {
      if (key == "byte_code") return m.byte_code = bytes(f), 1;
      if (key == "new_receipt_trie_node_byte") return m.new_receipt_trie_node_byte = bytes(f), 2;
      if (key == "gas_used") return m.gas_used = u64(f), 4;
      if (key == "new_txn_trie_node_byte" && !f.is_null()) m.new_txn_trie_node_byte = bytes(f);
      return 0;
    });
    require(seen, {"byte_code", "new_receipt_trie_node_byte", "gas_used"});
  }

  // ---- other_data ----

  void other_data(dom::element v, OtherBlockData& o) {
    unsigned seen = object(v, [&](std::string_view key, dom::element f) -> unsigned {
      if (key == "b_data") return block_level_data(f, o.b_data), 1;
      if (key == "checkpoint_state_trie_root") return o.checkpoint_state_trie_root = h256(f), 2;
      if (f.is_null()) return 0;
      if (key == "checkpoint_consolidated_hash") {
        std::array<uint64_t, 4> hash{};
        size_t n = array(f, [&](size_t i, dom::element e) {
          if (i >= 4) fail("expected 4 numbers");
          hash[i] = u64(e);
        });
        if (n != 4) fail("expected 4 numbers");
        o.checkpoint_consolidated_hash = hash;
      } else if (key == "burn_addr") {
        o.burn_addr = address(f);
      } else if (key == "ger_data") {
        GerData ger;
        size_t n = array(f, [&](size_t i, dom::element e) {
          if (i >= 2) fail("expected [global_exit_root, l1_block_hash]");
          (i == 0 ? ger.global_exit_root : ger.l1_block_hash) = h256(e);
        });
        if (n != 2) fail("expected [global_exit_root, l1_block_hash]");
        o.ger_data = ger;
      }
      return 0;
    });
    require(seen, {"b_data", "checkpoint_state_trie_root"});
  }

  void block_level_data(dom::element v, BlockLevelData& d) {
    unsigned seen = object(v, [&](std::string_view key, dom::element f) -> unsigned {
      if (key == "b_meta") return block_metadata(f, d.b_meta), 1;
      if (key == "b_hashes") {
        unsigned got = object(f, [&](std::string_view k, dom::element h) -> unsigned {
          if (k == "prev_hashes") {
            reserve_for(d.b_hashes.prev_hashes, h);
            array(h, [&](size_t, dom::element e) { d.b_hashes.prev_hashes.push_back(h256(e)); });
            return 1;
          }
          if (k == "cur_hash") return d.b_hashes.cur_hash = h256(h), 2;
          return 0;
        });
        require(got, {"prev_hashes", "cur_hash"});
        return 2;
      }
      if (key == "withdrawals") {
        reserve_for(d.withdrawals, f);
        array(f, [&](size_t, dom::element e) {
          Withdrawal& w = d.withdrawals.emplace_back();
          size_t n = array(e, [&](size_t i, dom::element x) {
            if (i == 0) w.address = address(x);
            else if (i == 1) w.amount = u64_quantity(x);
            else fail("expected [address, amount]");
          });
          if (n != 2) fail("expected [address, amount]");
        });
        return 4;
      }
      return 0;
    });
    require(seen, {"b_meta", "b_hashes", "withdrawals"});
  }

  void block_metadata(dom::element v, BlockMetadata& m) {
    unsigned seen = object(v, [&](std::string_view key, dom::element f) -> unsigned {
      if (key == "block_beneficiary") return m.block_beneficiary = address(f), 1u << 0;
      if (key == "block_timestamp") return m.block_timestamp = u64_quantity(f), 1u << 1;
      if (key == "block_number") return m.block_number = u64_quantity(f), 1u << 2;
      if (key == "block_difficulty") return m.block_difficulty = u256(f), 1u << 3;
      if (key == "block_random") return m.block_random = h256(f), 1u << 4;
      if (key == "block_gaslimit") return m.block_gaslimit = u64_quantity(f), 1u << 5;
      if (key == "block_chain_id") return m.block_chain_id = u64_quantity(f), 1u << 6;
      if (key == "block_base_fee") return m.block_base_fee = u256(f), 1u << 7;
      if (key == "block_gas_used") return m.block_gas_used = u64_quantity(f), 1u << 8;
      if (key == "block_blob_gas_used") return m.block_blob_gas_used = u64_quantity(f), 1u << 9;
      if (key == "block_excess_blob_gas") return m.block_excess_blob_gas = u64_quantity(f), 1u << 10;
      if (key == "parent_beacon_block_root") return m.parent_beacon_block_root = h256(f), 1u << 11;
      if (key == "block_bloom") {
        size_t n = array(f, [&](size_t i, dom::element e) {
          if (i >= 8) fail("expected 8 words");
          m.block_bloom[i] = u256(e);
        });
        if (n != 8) fail("expected 8 words");
        return 1u << 12;
      }
      return 0;
    });
    // The Cancun fields (bits 9..11) are optional here: which fork's rules apply is decided with the chain's
    // schedule when the block is processed.
    require(seen | 7u << 9, {"block_beneficiary", "block_timestamp", "block_number", "block_difficulty",
                             "block_random", "block_gaslimit", "block_chain_id", "block_base_fee", "block_gas_used",
                             "block_blob_gas_used", "block_excess_blob_gas", "parent_beacon_block_root",
                             "block_bloom"});
  }

  std::string path_;
};

// The block number of a block that failed to parse, when its text still has one.
std::optional<uint64_t> find_block_number(std::string_view element) {
  size_t at = element.find("\"block_number\"");
  if (at == std::string_view::npos) return std::nullopt;
  size_t i = skip_space(element, at + 14);
  if (i >= element.size() || element[i] != ':') return std::nullopt;
  i = skip_space(element, i + 1);
  if (i >= element.size() || element[i] != '"') return std::nullopt;
  size_t end = element.find('"', i + 1);
  if (end == std::string_view::npos) return std::nullopt;
  auto n = eth::u256_from_hex(element.substr(i + 1, end - i - 1));
  if (!n || !n->fits_u64()) return std::nullopt;
  return n->limbs[0];
}

}  // namespace

JsonFile make_json_file(std::string name, std::string text) {
  text.append(json_padding, '\0');
  return {std::move(name), std::move(text)};
}

std::optional<std::vector<std::string_view>> split_blocks(std::string_view json, std::string& error) {
  size_t i = skip_space(json, 0);
  if (i == json.size()) {
    error = "empty file";
    return std::nullopt;
  }
  if (json[i] == '{') {
    size_t end = value_end(json, i);
    if (end < json.size() && skip_space(json, end + 1) < json.size())
      error = fmt::format("text after the end of the JSON object at byte {}", end + 1);
    return std::vector{trim_end(json.substr(i, end - i))};
  }
  if (json[i] != '[') {
    error = "not a witness: expected a JSON array of blocks";
    return std::nullopt;
  }
  std::vector<std::string_view> blocks;
  i = skip_space(json, i + 1);
  if (i < json.size() && json[i] == ']') return blocks;
  for (;;) {
    i = skip_space(json, i);
    size_t end = value_end(json, i);
    blocks.push_back(trim_end(json.substr(i, end - i)));
    if (end == json.size()) {
      // The array is not closed: a complete last element means the blocks after it were cut off.
      if (!blocks.back().empty() && (blocks.back().back() == '}')) blocks.push_back(json.substr(end, 0));
      return blocks;
    }
    i = end + 1;
    if (json[end] == ',') continue;
    // ']' closes the array; another array may follow (concatenated files on standard input).
    i = skip_space(json, i);
    if (i == json.size()) return blocks;
    if (json[i] != '[') {
      error = fmt::format("text after the end of the JSON array at byte {}", i);
      return blocks;
    }
    i = skip_space(json, i + 1);
    if (i < json.size() && json[i] == ']') return blocks;
  }
}

BlockParse parse_block(const JsonFile& file, std::string_view element, size_t index) {
  BlockParse out;
  out.origin = {file.name, index};
  out.witness_bytes = element.size();
  auto failed = [&](std::string_view what) {
    out.error = fmt::format("{}: block {}: {}", file.name, index, what);
    out.number = find_block_number(element);
    return std::move(out);
  };
  if (element.empty()) return failed("truncated JSON: the file ends before this block");
  // A damaged element that runs to the end of the text was cut off there (an array would end with ']').
  std::string_view text = trim_end(file.json());
  bool in_array = !text.empty() && text[skip_space(text, 0)] == '[';
  bool cut_off = element.data() + element.size() == text.data() + text.size() && (in_array || element.back() != '}');

  if (element.front() != '{') return failed("expected an object");
  thread_local dom::parser parser;
  BlockWitness witness;
  witness.origin = out.origin;
  witness.witness_bytes = out.witness_bytes;
  try {
    dom::element root;
    if (auto e = parser.parse(element.data(), element.size(), false).get(root)) throw e;
    BlockParser().block(root, witness);
  } catch (const Failure& f) {
    if (cut_off) return failed(fmt::format("truncated JSON ({})", f.message));
    return failed(f.message);
  } catch (simdjson::error_code e) {
    if (cut_off) return failed("truncated JSON: the file ends inside this block");
    return failed(fmt::format("invalid JSON: {}", simdjson::error_message(e)));
  }
  out.number = block_number(witness);
  out.witness = std::move(witness);
  return out;
}

std::vector<BlockParse> parse_witness_file(const JsonFile& file) {
  std::string error;
  auto elements = split_blocks(file.json(), error);
  if (!elements) {
    BlockParse failed;
    failed.origin = {file.name, 0};
    failed.witness_bytes = file.json().size();
    failed.error = fmt::format("{}: {}", file.name, error);
    return {std::move(failed)};
  }
  std::vector<BlockParse> blocks(elements->size());
  tbb::parallel_for(size_t{0}, blocks.size(), [&](size_t i) { blocks[i] = parse_block(file, (*elements)[i], i); });
  if (!error.empty()) {  // the blocks are read, and what follows them is an error of its own
    BlockParse& trailing = blocks.emplace_back();
    trailing.origin = {file.name, blocks.size() - 1};
    trailing.error = fmt::format("{}: {}", file.name, error);
  }
  return blocks;
}

bool looks_like_block_header(std::string_view json) {
  if (json.find("\"parentHash\"") == std::string_view::npos) return false;  // the common case, without parsing
  // Parsed, not searched: keys may be written with escapes ("block\u005ftrace"), and a witness must never pass
  // for a header. A header is an object with parentHash and none of a witness's keys; a file of headers is one
  // such object or a non-empty array of them. Text that does not parse is not a header (it is reported).
  auto is_header = [](dom::element e) {
    dom::object object;
    if (e.get_object().get(object)) return false;
    bool parent_hash = false;
    for (auto [key, value] : object) {
      if (key == "block_trace" || key == "other_data") return false;
      parent_hash |= key == "parentHash";
    }
    return parent_hash;
  };
  dom::parser parser;
  dom::element doc;
  if (parser.parse(json.data(), json.size(), true).get(doc)) return false;
  dom::array array;
  if (doc.get_array().get(array)) return is_header(doc);
  if (array.size() == 0) return false;
  for (dom::element e : array)
    if (!is_header(e)) return false;
  return true;
}

}  // namespace witprove::witness
