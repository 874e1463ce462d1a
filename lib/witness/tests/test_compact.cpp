#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "eth/account.hpp"
#include "eth/rlp.hpp"
#include "test_support.hpp"
#include "witness/compact.hpp"
#include "witness/parse.hpp"

using namespace witprove;
using namespace witprove::witness;

namespace {

Bytes hex(std::string_view h) { return *eth::hex_to_bytes(h); }

H256 random_h256(std::mt19937_64& rng) {
  H256 h;
  for (auto& b : h) b = static_cast<uint8_t>(rng());
  return h;
}

// A pre-state with plain accounts, contracts with code and storage, and one account known only by hash parts.
PreState sample_state(uint64_t seed, int accounts) {
  std::mt19937_64 rng(seed);
  PreState state;
  for (int i = 0; i < accounts; ++i) {
    H256 key = random_h256(rng);
    eth::Account account{.nonce = rng() % 3, .balance = eth::U256(rng() % 1000)};
    if (i % 3 == 0) {
      Bytes code(1 + rng() % 100, static_cast<uint8_t>(i));
      account.code_hash = eth::keccak256(code);
      state.code.emplace(account.code_hash, code);
      eth::Trie storage;
      for (int s = 0; s < 1 + i % 7; ++s)
        storage.put(eth::storage_key(random_h256(rng)), eth::encode_storage_value(eth::U256(1 + rng() % 100000)));
      account.storage_root = storage.root_hash();
      state.storage.emplace(key, std::move(storage));
    }
    state.state.put(key, eth::encode_account(account));
  }
  return state;
}

}  // namespace

TEST_CASE("Compact encoding round-trips: same roots, storage and code", "[witness][compact]") {
  PreState original = sample_state(1, 60);
  Bytes compact = encode_compact(original);
  PreState decoded = decode_compact(compact);
  CHECK(decoded.state.root_hash() == original.state.root_hash());
  CHECK(decoded.code == original.code);
  REQUIRE(decoded.storage.size() == 60);  // every account leaf gets its (possibly empty) storage trie
  for (auto& [key, trie] : original.storage) {
    REQUIRE(decoded.storage.count(key));
    CHECK(decoded.storage.at(key).root_hash() == trie.root_hash());
  }
  CHECK(encode_compact(decoded) == compact);

  PreImageStats stats = pre_image_stats(decoded);
  CHECK(stats.accounts == 60);
  CHECK(stats.storage_tries == 20);
  CHECK(stats.contracts == 20);
  CHECK(stats.hashed_subtries == 0);
  CHECK(stats.storage_slots > 20);
  CHECK(stats.trie_nodes > stats.accounts + stats.storage_slots);
}

TEST_CASE("Compact streams decode the instructions of the format", "[witness][compact]") {
  // A one-account trie: its root is the account leaf with the whole 64-nibble key.
  PreState one;
  H256 key{};
  key[0] = 0xab;
  one.state.put(key, eth::encode_account({.nonce = 1, .balance = eth::U256(1)}));
  Bytes compact = encode_compact(one);
  // 01 | 05 | key: 58 21 00 ab 00.. | flags 0c | nonce 01 | balance 41 01
  REQUIRE(compact.size() == 2 + 2 + 33 + 1 + 1 + 2);
  CHECK(compact[0] == 0x01);
  CHECK(compact[1] == 0x05);
  CHECK(compact[2] == 0x58);
  CHECK(compact[3] == 33);
  CHECK(compact[4] == 0x00);
  CHECK(compact[5] == 0xab);
  CHECK(compact[37] == 0x0c);
  CHECK(decode_compact(compact).state.root_hash() == one.state.root_hash());

  // A state trie known only by its root hash, and the empty trie.
  H256 root = eth::keccak256(Bytes{1});
  Bytes hashed = hex("0103");
  hashed.insert(hashed.end(), root.begin(), root.end());
  CHECK(decode_compact(hashed).state.root_hash() == root);
  CHECK(decode_compact(hex("0106")).state.root_hash() == eth::empty_trie_root);
}

TEST_CASE("Malformed compact streams are errors with the byte offset", "[witness][compact]") {
  auto error_of = [](const Bytes& stream) -> std::string {
    try {
      decode_compact(stream);
    } catch (const CompactError& e) {
      return e.what();
    }
    return "no error";
  };
  CHECK(error_of(hex("")) == "compact pre-image: empty stream at byte 0");
  CHECK(error_of(hex("02")) == "compact pre-image: unknown header byte 0x02 at byte 0");
  CHECK(error_of(hex("0109")) == "compact pre-image: unknown opcode 0x09 at byte 1");
  CHECK(error_of(hex("0103aabb")) == "compact pre-image: truncated hash at byte 1");
  CHECK(error_of(hex("010203")) == "compact pre-image: stack underflow: branch mask 0x3 needs an item at byte 1");
  CHECK(error_of(hex("010606")).find("2 items left on the stack") != std::string::npos);
  Bytes two_hashes = hex("01");
  for (int i = 0; i < 2; ++i) {
    two_hashes.push_back(0x03);
    two_hashes.insert(two_hashes.end(), 32, static_cast<uint8_t>(i + 1));
  }
  Bytes bad_mask = two_hashes;
  bad_mask.insert(bad_mask.end(), {0x02, 0x1a, 0x00, 0x01, 0x00, 0x01});  // mask 0x10001: bit 16
  CHECK(error_of(bad_mask) == "compact pre-image: branch mask 0x10001 has bits above 15 at byte 67");
  Bytes one_child = two_hashes;
  one_child.insert(one_child.end(), {0x02, 0x01});  // mask 0x1: a single child
  CHECK(error_of(one_child).find("fewer than two children at byte 67") != std::string::npos);
  Bytes three_children = two_hashes;
  three_children.insert(three_children.end(), {0x02, 0x07});  // three bits, two items
  CHECK(error_of(three_children).find("stack underflow") != std::string::npos);
  // Branches nested deeper than any key: rejected, not recursed into.
  Bytes deep = hex("01");
  for (int i = 0; i < 70; ++i) {
    deep.push_back(0x03);
    deep.insert(deep.end(), 32, static_cast<uint8_t>(i));
    if (i) deep.insert(deep.end(), {0x02, 0x03});
  }
  CHECK(error_of(deep).find("trie deeper than 64 nibbles (65)") != std::string::npos);
  // An account leaf whose key does not reach 64 nibbles: 01 | 05 key(0x00 0xab: 2 nibbles) flags 0.
  CHECK(error_of(hex("010542" "00ab" "00")) ==
        "compact pre-image: account leaf with a 2-nibble key (expected 64) at byte 1");
  CHECK(error_of(hex("010058")) == "compact pre-image: truncated key at byte 3");
  CHECK(error_of(hex("01004212")) == "compact pre-image: truncated key at byte 2");
  CHECK(error_of(hex("0100a0")) == "compact pre-image: key is not a CBOR byte string at byte 2");
}

TEST_CASE("Every truncation and random byte flips of a real-shaped stream fail cleanly or decode",
          "[witness][compact]") {
  Bytes compact = encode_compact(sample_state(2, 25));
  for (size_t n = 0; n < compact.size(); ++n)
    CHECK_THROWS_AS(decode_compact(ByteView(compact.data(), n)), eth::DecodeError);
  std::mt19937_64 rng(3);
  int errors = 0;
  for (int i = 0; i < 3000; ++i) {
    Bytes damaged = compact;
    damaged[rng() % damaged.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
    try {
      decode_compact(damaged);
    } catch (const eth::DecodeError&) {
      ++errors;
    }
  }
  CHECK(errors > 0);
}

TEST_CASE("Separate pre-images build the same tries and check storage roots", "[witness][compact]") {
  PreState original = sample_state(4, 30);
  // Serialize the tries as the separate encoding's node arenas.
  auto to_direct = [](const eth::Trie& trie) {
    DirectTrie direct;
    direct.nodes.emplace_back();  // root slot; index 0 is never a child
    std::function<uint32_t(const eth::TrieNode&, uint32_t)> add = [&](const eth::TrieNode& node, uint32_t at) {
      witness::TrieNode out;
      switch (node.kind) {
        case eth::TrieNode::Kind::hashed: out.kind = witness::TrieNode::Kind::hash; out.hash = node.hash; break;
        case eth::TrieNode::Kind::leaf:
          out.kind = witness::TrieNode::Kind::leaf;
          out.nibbles = node.path;
          out.value = node.value;
          break;
        case eth::TrieNode::Kind::extension:
          out.kind = witness::TrieNode::Kind::extension;
          out.nibbles = node.path;
          direct.nodes.emplace_back();
          out.child = add(*node.children[0], static_cast<uint32_t>(direct.nodes.size() - 1));
          break;
        case eth::TrieNode::Kind::branch:
          out.kind = witness::TrieNode::Kind::branch;
          out.value = node.value;
          for (size_t i = 0; i < 16; ++i) {
            if (!node.children[i]) continue;
            direct.nodes.emplace_back();
            out.children[i] = add(*node.children[i], static_cast<uint32_t>(direct.nodes.size() - 1));
          }
          break;
      }
      direct.nodes[at] = out;
      return at;
    };
    if (trie.root()) add(*trie.root(), 0);
    return direct;
  };
  SeparatePreImages images;
  images.state = to_direct(original.state);
  for (auto& [key, trie] : original.storage) images.storage.emplace_back(key, to_direct(trie));
  PreState decoded = decode_separate(images);
  CHECK(decoded.state.root_hash() == original.state.root_hash());
  for (auto& [key, trie] : original.storage) CHECK(decoded.storage.at(key).root_hash() == trie.root_hash());

  // A storage trie that does not match its account's storage root is refused.
  images.storage[0].second = to_direct(original.storage.begin()->second);
  images.storage[0].first[0] ^= 1;  // now keyed by another account (absent or with another root)
  images.storage[1].second = images.storage[2].second;
  bool refused = false;
  try {
    decode_separate(images);
  } catch (const eth::DecodeError& e) {
    refused = std::string(e.what()).find("storage trie of account") != std::string::npos;
  }
  CHECK(refused);
}

namespace {

// What pre_image_stats of the decoded pre-state says about a block: its figures, or the decoder's error.
std::string decoded_figures(const BlockTrace& trace, bool count_only) {
  try {
    PreImageStats s = count_only ? pre_image_stats(trace) : pre_image_stats(decode_pre_state(trace));
    return fmt::format("nodes {} hashed {} accounts {} storage tries {} slots {} contracts {} code bytes {}",
                       s.trie_nodes, s.hashed_subtries, s.accounts, s.storage_tries, s.storage_slots, s.contracts,
                       s.code_bytes);
  } catch (const std::exception& e) {
    return fmt::format("error: {}", e.what());
  }
}

BlockTrace combined_trace(Bytes compact, std::vector<Bytes> code_db = {}) {
  BlockTrace trace;
  trace.trie_pre_images = CombinedPreImage{std::move(compact)};
  trace.code_db = std::move(code_db);
  return trace;
}

}  // namespace

TEST_CASE("Counting a compact pre-image gives the decoded pre-state's figures and errors", "[witness][compact]") {
  PreState state = sample_state(5, 40);
  // Some storage and code known only by hash, and a code_db holding code the stream has and code it lacks.
  std::vector<Bytes> code_db = {state.code.begin()->second, Bytes(40, 0xee)};
  for (int dropped = 0; dropped < 3; ++dropped) {
    state.storage.erase(state.storage.begin());
    state.code.erase(std::next(state.code.begin()));
  }
  Bytes compact = encode_compact(state);
  BlockTrace trace = combined_trace(compact, code_db);
  PreImageStats counted = pre_image_stats(trace);
  CHECK(counted == pre_image_stats(decode_pre_state(trace)));
  CHECK(counted.hashed_subtries == 3);
  CHECK(counted.accounts == 40);

  // The same outcome, figures or error message, for every truncation and for damaged streams.
  for (size_t n = 0; n < compact.size(); n += 7) {
    BlockTrace cut = combined_trace(Bytes(compact.begin(), compact.begin() + static_cast<ptrdiff_t>(n)));
    CHECK(decoded_figures(cut, true) == decoded_figures(cut, false));
  }
  std::mt19937_64 rng(6);
  int decoded = 0;
  for (int i = 0; i < 3000; ++i) {
    Bytes damaged = compact;
    for (int flips = 0; flips < 1 + i % 3; ++flips)
      damaged[rng() % damaged.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
    BlockTrace t = combined_trace(std::move(damaged), code_db);
    std::string expected = decoded_figures(t, false);
    CHECK(decoded_figures(t, true) == expected);
    decoded += expected.starts_with("nodes");
  }
  CHECK(decoded > 0);  // some damage still decodes (a changed balance or value byte)
  // Short account keys, hashed roots, the empty trie, a lone hash where code is expected.
  for (std::string_view stream : {"010542" "00ab" "00", "0106", "0103" "0000000000000000000000000000000000000000000000000000000000000000",
                                  "01040102", "0100420011" "41ff" "05420022" "02"})
    CHECK(decoded_figures(combined_trace(hex(stream)), true) == decoded_figures(combined_trace(hex(stream)), false));
}

TEST_CASE("Counting the real and generated pre-images gives the decoded pre-state's figures", "[witness][compact]") {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(test::testdata_dir() / "witnesses"))
    if (e.path().extension() == ".json") files.push_back(e.path());
  if (test::have_shared_witnesses())
    for (const auto& e : std::filesystem::directory_iterator(test::shared_witnesses_dir()))
      if (e.path().extension() == ".json") files.push_back(e.path());
  size_t blocks = 0;
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (looks_like_block_header(text.str())) continue;
    for (BlockParse& parsed : parse_witness_file(make_json_file(path.filename().string(), text.str()))) {
      if (!parsed.ok()) continue;  // deliberately damaged test files
      INFO(path.filename().string() << " block " << parsed.origin.index);
      const BlockTrace& trace = parsed.witness->block_trace;
      CHECK(decoded_figures(trace, true) == decoded_figures(trace, false));
      ++blocks;
    }
  }
  CHECK(blocks >= 5);
}
