// node_bytes and rlp_byte: real trie nodes parse, every cell is pinned, and each kind of malformed or
// non-canonical node fails the constraints or the lookups.
#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>
#include <random>

#include "air/keccak_sponge.hpp"
#include "air/node_bytes.hpp"
#include "eth/keccak.hpp"
#include "eth/mpt.hpp"
#include "eth/rlp.hpp"
#include "keccak_test_util.hpp"
#include "trie_test_util.hpp"
#include "stark/folders.hpp"
#include "stark/stark.hpp"
#include "stark/symbolic.hpp"

using namespace witprove;
using stark::Fp;
namespace nb = air::node_bytes;

namespace {

std::vector<eth::Bytes> state_like_nodes(size_t accounts, uint64_t seed) {
  auto trie = air::test::state_like_trie(accounts, seed);
  return air::test::trie_nodes(trie);
}

std::vector<eth::Bytes> shaped_nodes(uint64_t seed) {
  auto storage = air::test::storage_like_trie(seed);
  auto txs = air::test::transactions_like_trie(150, seed + 1);
  auto nodes = air::test::trie_nodes(storage);
  for (auto& n : air::test::trie_nodes(txs)) nodes.push_back(std::move(n));
  return nodes;
}

struct Tables {
  air::KeccakTables keccak;
  air::NodeBytesTraces node;
  stark::AirAdapter<air::NodeBytesAir> node_air{air::NodeBytesAir{}};
  stark::AirAdapter<air::RlpByteTableAir> byte_air{air::RlpByteTableAir{}};

  std::vector<stark::TableInstance> instances() const {
    auto out = keccak.instances();
    for (const auto& trace : node.node_bytes) out.push_back({&node_air, &trace, {}});
    out.push_back({&byte_air, &node.rlp_byte, {}});
    return out;
  }
};

// Hashes `hashed` (each read by node_bytes) and parses `parsed` (by default the same bytes).
std::unique_ptr<Tables> make_tables(const std::vector<eth::Bytes>& hashed, const std::vector<eth::Bytes>* parsed = nullptr,
                                    std::vector<size_t> ids = {}) {
  auto t = std::make_unique<Tables>();
  std::vector<uint8_t> read(hashed.size(), 1);
  t->keccak = air::build_keccak_tables(hashed, {}, {read, {}});
  const auto& source = parsed ? *parsed : hashed;
  std::vector<air::ParsedMessage> messages;
  for (size_t i = 0; i < source.size(); ++i) messages.push_back({ids.empty() ? i : ids[i], source[i]});
  t->node = air::generate_node_bytes_traces(messages);
  return t;
}

std::optional<std::string> node_constraints(const Tables& t) {
  for (const auto& trace : t.node.node_bytes)
    if (auto f = stark::check_constraints(t.node_air, trace, {})) return f->to_string();
  return std::nullopt;
}

std::optional<std::string> check_all(const Tables& t) {
  auto instances = t.instances();
  for (const auto& in : instances)
    if (auto f = stark::check_constraints(*in.air, *in.trace, in.public_values)) return f->to_string();
  return stark::check_lookups(instances);
}

// Checks that the tables hold: every constraint and every bus.
bool valid(const Tables& t) {
  auto problem = check_all(t);
  UNSCOPED_INFO(problem.value_or("valid"));
  return !problem;
}

// A one-node message list made of the given node bytes.
std::vector<eth::Bytes> one(eth::Bytes node) { return {std::move(node)}; }

eth::Bytes list(std::initializer_list<eth::ByteView> items) { return eth::rlp_list(items); }

const eth::Bytes kRef = [] {
  eth::Bytes r(33, 0x11);
  r[0] = 0xa0;
  return r;
}();

// A branch with references in slots 3 and 9, everything else empty.
eth::Bytes branch_bytes(eth::ByteView slot16 = eth::Bytes{0x80}, eth::ByteView slot3 = kRef) {
  eth::Bytes empty{0x80};
  std::vector<eth::Bytes> items(17, empty);
  items[3] = eth::Bytes(slot3.begin(), slot3.end());
  items[9] = kRef;
  items[16] = eth::Bytes(slot16.begin(), slot16.end());
  eth::Bytes payload;
  for (auto& i : items) payload.insert(payload.end(), i.begin(), i.end());
  eth::Bytes out;
  if (payload.size() < 56) {
    out.push_back(static_cast<uint8_t>(0xc0 + payload.size()));
  } else if (payload.size() < 256) {
    out = {0xf8, static_cast<uint8_t>(payload.size())};
  } else {
    out = {0xf9, static_cast<uint8_t>(payload.size() >> 8), static_cast<uint8_t>(payload.size())};
  }
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

}  // namespace

TEST_CASE("rlp_byte: the fixed table classifies every byte by the RLP rules") {
  using namespace air::rlp_byte;
  CHECK(facts(0x00).columns == std::array<uint32_t, 9>{0x00, single, 0, 0, 0, 0, 0, 0, 0});
  CHECK(facts(0x7f).columns[rlp_class] == single);
  CHECK(facts(0x80).columns == std::array<uint32_t, 9>{0x80, short_string, 0, 8, 0, 1, 0, 1, 1});
  CHECK(facts(0x81).columns[is_0x81] == 1);
  CHECK(facts(0xa0).columns[child_code] == 2);
  CHECK(facts(0xa0).columns[length] == 32);
  CHECK(facts(0xb7).columns[length] == 55);
  CHECK(facts(0xb8).columns[rlp_class] == long_string);
  CHECK(facts(0xba).columns[length] == 3);
  CHECK(facts(0xbb).columns[rlp_class] == bad_long);
  CHECK(facts(0xc0).columns[child_code] == 0);
  CHECK(facts(0xc1).columns[child_code] == 3);
  CHECK(facts(0xde).columns[child_code] == 3);
  CHECK(facts(0xdf).columns[child_code] == 0);
  CHECK(facts(0xf7).columns[length] == 55);
  CHECK(facts(0xf9).columns[rlp_class] == long_list);
  CHECK(facts(0xfb).columns[rlp_class] == bad_long);
  CHECK(facts(0x37).columns[at_least_56] == 0);
  CHECK(facts(0x38).columns[at_least_56] == 1);
  CHECK(facts(0x5c).columns[high_nibble] == 5);
  CHECK(facts(0x5c).columns[low_nibble] == 12);
}

TEST_CASE("node_bytes: hashed nodes of state-like, storage-like and transactions-like tries parse") {
  auto nodes = state_like_nodes(300, 1);
  for (auto& n : shaped_nodes(2)) nodes.push_back(std::move(n));
  auto t = make_tables(nodes);
  auto problem = check_all(*t);
  INFO(problem.value_or("ok"));
  CHECK_FALSE(problem);

  // The shapes the tries were built to have are there: every kind of node and child, and long values.
  size_t branches = 0, leaves = 0, extensions = 0, embedded = 0, long_values = 0, ends = 0;
  for (const auto& tr : t->node.node_bytes)
    for (size_t r = 0; r < tr.height; ++r) {
      if (tr.at(r, nb::start) == Fp::one()) {
        branches += tr.at(r, nb::k_branch) == Fp::one();
        leaves += tr.at(r, nb::k_leaf) == Fp::one();
        extensions += tr.at(r, nb::k_ext) == Fp::one();
      }
      embedded += tr.at(r, nb::ch_emb) == Fp::one();
      long_values += tr.at(r, nb::val_hdr) == Fp::one() && tr.at(r, nb::c_lstr) == Fp::one();
      ends += tr.at(r, nb::nend) == Fp::one();
    }
  CHECK(branches > 10);
  CHECK(leaves > 100);
  CHECK(extensions > 0);
  CHECK(embedded > 0);
  CHECK(long_values > 100);
  CHECK(ends == nodes.size() + embedded);
}

TEST_CASE("node_bytes: node facts on the buses are the nodes' own") {
  // A leaf [0x35 0x6a: odd path 5 6 a, value 0x83 'abc'] and a branch with an embedded leaf in slot 3.
  const eth::Bytes leaf = list({eth::Bytes{0x82, 0x35, 0x6a}, eth::Bytes{0x83, 'a', 'b', 'c'}});
  const eth::Bytes embedded = list({eth::Bytes{0x20}, eth::Bytes{0x07}});  // empty even path, value 0x07
  const eth::Bytes branch = branch_bytes(eth::Bytes{0x80}, embedded);
  auto t = make_tables({leaf, branch});
  REQUIRE(valid(*t));
  const auto& tr = t->node.node_bytes[0];
  std::vector<std::array<uint32_t, 4>> nibbles, values, children;
  std::vector<std::array<uint32_t, 5>> ends;
  for (size_t r = 0; r < tr.height; ++r) {
    auto v = [&](size_t c) { return tr.at(r, c).value(); };
    if (v(nb::pbyte)) nibbles.push_back({v(nb::msg), v(nb::noff), v(nb::pidx) - 1, v(nb::nh)});
    if (v(nb::pbyte) || (v(nb::hp) && v(nb::hp_odd))) nibbles.push_back({v(nb::msg), v(nb::noff), v(nb::pidx), v(nb::nl)});
    if (v(nb::vb)) values.push_back({v(nb::msg), v(nb::noff), v(nb::vcount) - 1, v(nb::byte)});
    if (v(nb::is_child)) children.push_back({v(nb::msg), v(nb::idx) - v(nb::k_ext), v(nb::ch_ref) + 2 * v(nb::ch_emb), v(nb::off)});
    if (v(nb::nend))
      ends.push_back({v(nb::msg), v(nb::noff), v(nb::k_ext) + 2 * v(nb::k_leaf) + 2 * (v(nb::r_eh) + v(nb::r_ec)),
                      v(nb::plenn), v(nb::vcount)});
  }
  using A4 = std::array<uint32_t, 4>;
  using A5 = std::array<uint32_t, 5>;
  CHECK(nibbles == std::vector<A4>{{0, 0, 0, 5}, {0, 0, 1, 6}, {0, 0, 2, 0xa}});
  CHECK(values == std::vector<A4>{{0, 0, 0, 'a'}, {0, 0, 1, 'b'}, {0, 0, 2, 'c'}, {1, 1 + 3, 0, 0x07}});
  REQUIRE(children.size() == 17);
  CHECK(children[3] == A4{1, 3, 2, 1 + 3});  // the embedded node's header is at offset 4
  CHECK(children[9] == A4{1, 9, 1, 1 + 3 + 3 + 5});
  CHECK(children[0] == A4{1, 0, 0, 1});
  CHECK(ends == std::vector<A5>{{0, 0, 2, 3, 3}, {1, 4, 2, 0, 1}, {1, 0, 0, 0, 0}});
}

TEST_CASE("node_bytes: bytes other than the hashed ones, or read twice or not at all, fail the limb lookups") {
  auto nodes = state_like_nodes(20, 3);
  REQUIRE(valid(*make_tables(nodes)));

  SECTION("a changed reference byte") {
    auto parsed = nodes;
    parsed[0][parsed[0].size() - 5] ^= 0x01;
    auto t = make_tables(nodes, &parsed);
    CHECK_FALSE(node_constraints(*t));
    CHECK(stark::check_lookups(t->instances()));
  }
  SECTION("a message parsed twice") {
    auto parsed = nodes;
    parsed.push_back(nodes[2]);
    std::vector<size_t> ids(nodes.size());
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = i;
    ids.push_back(2);
    auto t = make_tables(nodes, &parsed, ids);
    CHECK_FALSE(node_constraints(*t));
    CHECK(stark::check_lookups(t->instances()));
  }
  SECTION("a read message left unparsed") {
    auto parsed = nodes;
    parsed.pop_back();
    auto t = make_tables(nodes, &parsed);
    CHECK(stark::check_lookups(t->instances()));
  }
  SECTION("a message parsed one byte short") {
    // A node whose outer list is one byte shorter, hashed with a trailing zero byte: the parse covers all
    // but the last byte, and the last limb says it has two bytes.
    eth::Bytes leaf = list({eth::Bytes{0x20}, eth::Bytes{0x85, 1, 2, 3, 4, 5}});
    eth::Bytes hashed = leaf;
    hashed.push_back(0);
    const std::vector<eth::Bytes> parsed{leaf};
    auto t = make_tables(one(hashed), &parsed);
    CHECK_FALSE(node_constraints(*t));
    CHECK(stark::check_lookups(t->instances()));
  }
}

TEST_CASE("node_bytes: non-canonical RLP fails the constraints") {
  const eth::Bytes path{0x20};
  SECTION("canonical forms pass") {
    CHECK(valid(*make_tables(one(list({path, eth::Bytes{0x05}})))));
    eth::Bytes value(60, 0x42);
    CHECK(valid(*make_tables(one(list({path, eth::rlp_string(value)})))));
  }
  SECTION("a byte below 0x80 wrapped as 0x81 b") {
    CHECK(node_constraints(*make_tables(one(list({path, eth::Bytes{0x81, 0x05}})))));
  }
  SECTION("a path wrapped as 0x81 flag") {
    CHECK(node_constraints(*make_tables(one(list({eth::Bytes{0x81, 0x20}, eth::Bytes{0x05}})))));
  }
  SECTION("a long string form for a length under 56") {
    eth::Bytes value{0xb8, 10};
    value.resize(12, 0x42);
    CHECK(node_constraints(*make_tables(one(list({path, value})))));
  }
  SECTION("a leading zero length byte") {
    eth::Bytes value{0xb9, 0x00, 60};
    value.resize(63, 0x42);
    CHECK(node_constraints(*make_tables(one(list({path, value})))));
  }
  SECTION("a length-of-length of 4") {
    eth::Bytes value{0xbb, 0x00, 0x00, 0x00, 60};
    value.resize(65, 0x42);
    CHECK(node_constraints(*make_tables(one(list({path, value})))));
  }
  SECTION("a long list form for a node under 56 bytes") {
    eth::Bytes node{0xf8, 5, 0x20, 0x83, 1, 2, 3};
    CHECK(node_constraints(*make_tables(one(node))));
  }
}

TEST_CASE("node_bytes: nodes that break the trie rules fail the constraints") {
  SECTION("a branch is valid as built") { CHECK(valid(*make_tables(one(branch_bytes())))); }
  SECTION("a branch with a value in item 16") {
    CHECK(node_constraints(*make_tables(one(branch_bytes(eth::Bytes{0x01})))));
  }
  SECTION("a branch slot holding a 31-byte string") {
    eth::Bytes slot(32, 0x22);
    slot[0] = 0x9f;
    CHECK(node_constraints(*make_tables(one(branch_bytes(eth::Bytes{0x80}, slot)))));
  }
  SECTION("a branch slot holding a single byte") {
    CHECK(node_constraints(*make_tables(one(branch_bytes(eth::Bytes{0x80}, eth::Bytes{0x01})))));
  }
  SECTION("an extension whose child is not a reference") {
    CHECK(node_constraints(*make_tables(one(list({eth::Bytes{0x00}, eth::Bytes{0x83, 1, 2, 3}})))));
  }
  SECTION("a hex-prefix flag above 3") {
    CHECK(node_constraints(*make_tables(one(list({eth::Bytes{0x40}, eth::Bytes{0x05}})))));
  }
  SECTION("an even path whose flag byte has a nonzero low nibble") {
    CHECK(node_constraints(*make_tables(one(list({eth::Bytes{0x25}, eth::Bytes{0x05}})))));
  }
  SECTION("an embedded node of 31 bytes passes, one of 32 bytes fails") {
    const eth::Bytes fits = list({eth::Bytes{0x20}, eth::rlp_string(eth::Bytes(28, 0x44))});
    const eth::Bytes too_long = list({eth::Bytes{0x20}, eth::rlp_string(eth::Bytes(29, 0x44))});
    REQUIRE(fits.size() == 31);
    CHECK(valid(*make_tables(one(branch_bytes(eth::Bytes{0x80}, fits)))));
    CHECK(node_constraints(*make_tables(one(branch_bytes(eth::Bytes{0x80}, too_long)))));
  }
  SECTION("an embedded extension") {
    const eth::Bytes embedded = list({eth::Bytes{0x11}, eth::Bytes{0x07}});  // flag 1: odd extension
    CHECK(node_constraints(*make_tables(one(branch_bytes(eth::Bytes{0x80}, embedded)))));
  }
  SECTION("a kind other than the hex-prefix flag says") {
    auto t = make_tables(one(list({eth::Bytes{0x20}, eth::Bytes{0x05}})));
    REQUIRE(valid(*t));
    auto& tr = t->node.node_bytes[0];
    for (size_t r = 0; r < 3; ++r) {
      tr.at(r, nb::k_leaf) = Fp();
      tr.at(r, nb::k_ext) = Fp::one();
    }
    CHECK(node_constraints(*t));
  }
  SECTION("lists that are not nodes are refused by the generator, naming the message") {
    CHECK_THROWS_WITH(make_tables(one(eth::Bytes{0x83, 1, 2, 3})), Catch::Contains("message 0: not an RLP list"));
    CHECK_THROWS_WITH(make_tables(one(list({eth::Bytes{0x20}}))), Catch::Contains("a list of 1 items"));
    CHECK_THROWS_WITH(make_tables(one(eth::Bytes{0xc3, 0x20, 0x85, 1})), Catch::Contains("runs past the end"));
  }
}

TEST_CASE("node_bytes: one wrong cell anywhere fails the constraints or the lookups") {
  auto nodes = state_like_nodes(6, 4);
  for (auto& n : shaped_nodes(5)) {
    if (nodes.size() >= 30) break;
    nodes.push_back(std::move(n));
  }
  const auto honest = make_tables(nodes);
  REQUIRE(valid(*honest));
  std::mt19937_64 rng(6);
  const auto& trace = honest->node.node_bytes[0];
  size_t tried = 0;
  for (size_t trial = 0; trial < 400; ++trial) {
    const size_t row = rng() % trace.height, column = rng() % nb::width;
    auto t = make_tables(nodes);
    auto& cell = t->node.node_bytes[0].at(row, column);
    cell = air::test::tampered(cell, rng);
    INFO("row " << row << " column " << column);
    const bool caught = air::test::failure_around(t->node_air, t->node.node_bytes[0], {}, row).has_value() ||
                        stark::check_lookups(t->instances()).has_value();
    CHECK(caught);
    ++tried;
  }
  CHECK(tried == 400);
}

TEST_CASE("node_bytes tables: symbolic degrees and lookups, the same on every row") {
  auto t = make_tables(shaped_nodes(7));
  const auto& s = t->node_air.summary();
  CHECK(s.constraint_degree == 3);
  CHECK(s.interactions.size() == 10);
  CHECK_FALSE(stark::check_uniform(t->node_air, t->node.node_bytes[0], {}));
  CHECK_FALSE(stark::check_uniform(t->byte_air, t->node.rlp_byte, {}));
}

TEST_CASE("node_bytes tables: parsed nodes prove and verify with the Keccak tables") {
  auto nodes = state_like_nodes(8, 8);
  auto t = make_tables(nodes);
  stark::StarkParams params;
  params.num_queries = 12;
  params.grinding_bits = 4;
  const eth::Bytes statement{'n', 'o', 'd', 'e'};
  auto proof = stark::prove(t->instances(), params, statement);
  auto verifier = air::keccak_verifier_tables({}, true);
  auto airs = verifier.air_pointers();
  airs.push_back(&t->node_air);
  airs.push_back(&t->node_air);  // the second node_bytes table
  airs.push_back(&t->byte_air);
  std::vector<std::vector<Fp>> publics = verifier.public_values;
  publics.resize(airs.size());
  CHECK(stark::verify(airs, publics, proof, params, statement) == std::nullopt);

  // A trace whose parsed bytes differ from the hashed ones gives no proof that verifies.
  auto parsed = nodes;
  size_t leaf = 0;
  while (air::node_shape(parsed[leaf]).kind != air::NodeShape::leaf) ++leaf;
  parsed[leaf][parsed[leaf].size() - 1] ^= 0x02;  // the last value byte
  auto bad = make_tables(nodes, &parsed);
  params.check_trace = false;
  auto forged = stark::prove(bad->instances(), params, statement);
  CHECK(stark::verify(airs, publics, forged, params, statement) != std::nullopt);
}

TEST_CASE("node_bytes: a copied leaf value is exactly its value message") {
  // Account-like leaves (values of 70..80 bytes, odd and even lengths) whose values are messages too.
  auto trie = air::test::state_like_trie(40, 9);
  auto nodes = air::test::trie_nodes(trie);
  auto check = [&](bool tamper) {
    std::vector<eth::Bytes> messages = nodes;
    std::vector<air::ParsedMessage> parsed;
    std::vector<size_t> value_ids(nodes.size(), SIZE_MAX);
    for (size_t i = 0; i < nodes.size(); ++i) {
      const auto shape = air::node_shape(nodes[i]);
      if (shape.kind != air::NodeShape::leaf) continue;
      value_ids[i] = messages.size();
      messages.emplace_back(nodes[i].begin() + static_cast<ptrdiff_t>(shape.value_offset),
                            nodes[i].begin() + static_cast<ptrdiff_t>(shape.value_offset + shape.value_size));
    }
    if (tamper) messages.back()[3] ^= 0x10;
    for (size_t i = 0; i < nodes.size(); ++i) {
      air::ParsedMessage m{i, nodes[i]};
      if (value_ids[i] != SIZE_MAX) m.value_message = value_ids[i];
      parsed.push_back(m);
    }
    Tables t;
    std::vector<uint8_t> read(messages.size(), 1);
    t.keccak = air::build_keccak_tables(messages, {}, {read, {}});
    t.node = air::generate_node_bytes_traces(parsed);
    return check_all(t);
  };
  auto honest = check(false);
  INFO(honest.value_or("valid"));
  CHECK_FALSE(honest);
  auto tampered = check(true);
  REQUIRE(tampered);
  CHECK_THAT(*tampered, Catch::Contains("keccak.message_limb"));
}

TEST_CASE("node_bytes: the two tables' heights, one table unless two save rows") {
  // Below kSplitFrom rows: one table, the second two padding rows.
  const std::vector<size_t> few(10, 500);
  const auto small = air::node_bytes_layout(few);
  CHECK(small.heights == std::array<size_t, 2>{8192, 2});
  CHECK(std::count(small.table.begin(), small.table.end(), 1) == 0);
  // 157 messages of 500 bytes (78,500 rows, one table of 2^17): 131 fill 2^16 rows with a padding row
  // left, the other 26 (13,000 rows) take 2^14.
  const std::vector<size_t> sizes(157, 500);
  const auto split = air::node_bytes_layout(sizes);
  CHECK(split.heights == std::array<size_t, 2>{65536, 16384});
  CHECK(std::count(split.table.begin(), split.table.end(), 1) == 26);
  // First fit: a short message after the first table is full still goes to it.
  std::vector<size_t> with_short = sizes;
  with_short.push_back(30);
  CHECK(air::node_bytes_layout(with_short).table.back() == 0);
  // 236 messages (118,000 rows): two tables of 2^16 are no fewer rows than one of 2^17.
  const auto full = air::node_bytes_layout(std::vector<size_t>(236, 500));
  CHECK(full.heights == std::array<size_t, 2>{131072, 2});
  // No messages: two tables of two padding rows.
  CHECK(air::node_bytes_layout({}).heights == std::array<size_t, 2>{2, 2});
  // A message of more than half the single table cannot go into the first of two: one table.
  const std::vector<size_t> large{40000, 100};
  const auto one = air::node_bytes_layout(large);
  CHECK(one.heights == std::array<size_t, 2>{65536, 2});
  CHECK(one.table == std::vector<uint8_t>{0, 0});
}

namespace {
// Trie nodes of about 40 KB in all: one table would have 2^16 rows, so they go into 2^15 and a smaller one.
std::vector<eth::Bytes> split_nodes() {
  std::vector<eth::Bytes> nodes;
  size_t bytes = 0;
  for (uint64_t seed = 100; bytes < 40000; ++seed)
    for (auto& n : state_like_nodes(40, seed)) {
      bytes += n.size();
      nodes.push_back(std::move(n));
    }
  return nodes;
}
}  // namespace

TEST_CASE("node_bytes: messages split over two tables parse in each, and the buses balance over both") {
  const auto nodes = split_nodes();
  const auto t = make_tables(nodes);
  REQUIRE(t->node.node_bytes[0].height == 32768);
  REQUIRE(t->node.node_bytes[1].height < 32768);
  REQUIRE(t->node.node_bytes[1].at(0, nb::start) == Fp::one());
  CHECK(valid(*t));
}

TEST_CASE("node_bytes: across the two tables a message is neither cut nor parsed twice") {
  const auto nodes = split_nodes();
  SECTION("the second table's first row continuing a message from the first") {
    auto t = make_tables(nodes);
    t->node.node_bytes[1].at(0, nb::start) = Fp();
    CHECK(node_constraints(*t));
  }
  SECTION("a real last row in the first table, its message going on in the second") {
    auto t = make_tables(nodes);
    auto& first = t->node.node_bytes[0];
    const size_t last = first.height - 1;
    for (size_t c = 0; c < nb::width; ++c) first.at(last, c) = t->node.node_bytes[1].at(0, c);
    CHECK(node_constraints(*t));
  }
  SECTION("a message laid out in both tables receives its limbs twice") {
    std::vector<eth::Bytes> parsed = nodes;
    std::vector<size_t> ids(nodes.size());
    std::iota(ids.begin(), ids.end(), size_t{0});
    // The largest message again, last: it goes to the second table, its first copy is in the first.
    const size_t largest = static_cast<size_t>(
        std::max_element(nodes.begin(), nodes.end(), [](const auto& a, const auto& b) { return a.size() < b.size(); }) -
        nodes.begin());
    parsed.push_back(nodes[largest]);
    ids.push_back(largest);
    auto t = make_tables(nodes, &parsed, ids);
    REQUIRE(t->node.first_row.at(largest).table == 0);
    std::vector<size_t> sizes;
    for (const auto& m : parsed) sizes.push_back(m.size());
    REQUIRE(air::node_bytes_layout(sizes).table.back() == 1);
    CHECK_FALSE(node_constraints(*t));  // each copy parses
    CHECK(stark::check_lookups(t->instances()));
  }
}
