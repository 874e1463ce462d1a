// Soundness of the block state-transition statement against the tamperings of docs/statement.md: each
// named test tampers with a real processed block (the bundled generated block 1001, whose own and parent
// headers are bundled) and fails unless the tables' constraints or buses fail, or the public values fail
// the comparison with the real headers that verify-proof --header makes.
#include <catch2/catch.hpp>

#include <algorithm>

#include "air/node_bytes.hpp"
#include "eth/keccak.hpp"
#include "pipeline/block_prover.hpp"
#include "pipeline/verify.hpp"
#include "test_support.hpp"
#include "witness/header.hpp"
#include "witness/parse.hpp"

using namespace witprove;
using namespace witprove::pipeline;

namespace {

constexpr uint64_t kBlock = 1001;

std::filesystem::path block_file() { return test::testdata_dir() / "generated" / "combined.json"; }

witness::BlockWitness witness_of_block() {
  for (auto& parsed : witness::parse_witness_file(witness::make_json_file("combined.json", test::read_text(block_file())))) {
    REQUIRE(parsed.ok());
    if (witness::block_number(*parsed.witness) == kBlock) return std::move(*parsed.witness);
  }
  FAIL("block 1001 not in combined.json");
  return {};
}

const CheckedBlock& honest() {
  static const CheckedBlock block = check_block(witness_of_block());
  return block;
}

// What rejects a tampered block: its tables (nullopt when every constraint and bus holds), and the headers.
struct Verdict {
  std::optional<std::string> constraints, headers;
  bool caught() const { return constraints || headers; }
};

Verdict judge(const CheckedBlock& c) {
  Verdict v;
  try {
    v.constraints = air::check_block_transition(
        air::build_block_transition(c.witness, transition_public(c.public_values), 64));
  } catch (const std::exception& e) {  // the tables cannot even be laid out (e.g. a message that is no node)
    v.constraints = e.what();
  }
  static const auto headers = witness::read_headers((test::testdata_dir() / "generated" / "combined_header.json").string());
  const auto& pv = c.public_values;
  for (const auto& h : headers) {
    if (h.number == pv.block_number && !v.headers) v.headers = check_against_header(pv, h);
    if (h.number + 1 == pv.block_number && !v.headers) v.headers = check_against_parent_header(pv, h);
  }
  INFO("constraints: " << v.constraints.value_or("hold") << "; headers: " << v.headers.value_or("match"));
  CHECK(v.caught());
  return v;
}

void refresh_changes_digest(CheckedBlock& c) {
  air::sort_change_list(c.witness.changes);
  c.public_values.changes_digest = eth::keccak256(air::encode_change_list(c.witness.changes));
}

// The index of the first node whose shape satisfies `pick`.
template <class Pick>
size_t node_where(const CheckedBlock& c, Pick pick) {
  for (size_t i = 0; i < c.witness.nodes.size(); ++i)
    if (pick(c.witness.nodes[i], air::node_shape(c.witness.nodes[i]))) return i;
  FAIL("no such node");
  return 0;
}

size_t node_with_digest(const CheckedBlock& c, const eth::H256& digest) {
  return node_where(c, [&](const eth::Bytes& n, const air::NodeShape&) { return eth::keccak256(n) == digest; });
}

bool is_reference(const air::NodeShape::Child& child) { return child.cls == air::NodeShape::reference; }

// Swaps the 32-byte references of the first two referenced slots of a branch node.
bool swap_two_references(eth::Bytes& node) {
  const air::NodeShape shape = air::node_shape(node);
  if (shape.kind != air::NodeShape::branch) return false;
  std::vector<size_t> at;
  for (const auto& child : shape.children)
    if (is_reference(child)) at.push_back(child.header + 1);
  if (at.size() < 2) return false;
  std::swap_ranges(node.begin() + static_cast<ptrdiff_t>(at[0]), node.begin() + static_cast<ptrdiff_t>(at[0] + 32),
                   node.begin() + static_cast<ptrdiff_t>(at[1]));
  return true;
}

const air::ChangeEntry& first_storage_change(const CheckedBlock& c) {
  for (const auto& e : c.witness.changes)
    if (air::is_slot_entry(e) && e.new_value) return e;
  FAIL("block 1001 writes no storage slot");
  return c.witness.changes.front();
}

// Processes a tampered witness without the native check's verdict (prove-witness --unchecked).
CheckedBlock unchecked(const witness::BlockWitness& w) { return check_block(w, true); }

}  // namespace

TEST_CASE("tampering: the untampered block passes both the constraints and the headers") {
  const Verdict v = [] {
    Verdict out;
    const auto& c = honest();
    out.constraints = air::check_block_transition(
        air::build_block_transition(c.witness, transition_public(c.public_values), 64));
    return out;
  }();
  CHECK_FALSE(v.constraints);
  REQUIRE(honest().public_values.tx_count >= 2);
  const auto headers = witness::read_headers((test::testdata_dir() / "generated" / "combined_header.json").string());
  for (const auto& h : headers) {
    if (h.number == kBlock) CHECK_FALSE(check_against_header(honest().public_values, h));
    if (h.number + 1 == kBlock) CHECK_FALSE(check_against_parent_header(honest().public_values, h));
  }
}

TEST_CASE("tampering: the audit's forgery, an arbitrary pre-state root over a few hashed strings, is refused") {
  CheckedBlock c = honest();
  const eth::Bytes any = {'a', 'n', 'y', ' ', 's', 't', 'r', 'i', 'n', 'g'};
  std::vector<eth::Bytes> nodes = {any};
  for (const auto* root : {&c.public_values.post_state_root, &c.public_values.transactions_root,
                           &c.public_values.receipts_root})
    nodes.push_back(c.witness.nodes[node_with_digest(c, *root)]);
  c.witness.nodes = nodes;
  c.public_values.pre_state_root = eth::keccak256(any);
  c.public_values.chain_id = 1;
  c.witness.changes.clear();
  refresh_changes_digest(c);
  CHECK(judge(c).constraints);
  c.public_values.tx_count = 999999;
  CHECK(judge(c).constraints);
  CHECK_THROWS_WITH(air::block_transition_verifier(transition_public(c.public_values)),
                    Catch::Contains("999999 transactions: the statement proves at most 65535"));
  // The arbitrary string a trie node: a leaf of the block's own (a one-leaf pre-state trie).
  c = honest();
  const size_t leaf = node_where(c, [](const eth::Bytes&, const air::NodeShape& s) { return s.kind == air::NodeShape::leaf; });
  c.public_values.pre_state_root = eth::keccak256(c.witness.nodes[leaf]);
  CHECK(judge(c).constraints);
}

TEST_CASE("tampering: a changed storage value read") {
  CheckedBlock c = honest();
  // A storage leaf (a short value) of the pre-state: its last value byte changed, kept nonzero.
  const size_t leaf = node_where(c, [](const eth::Bytes& n, const air::NodeShape& s) {
    return s.kind == air::NodeShape::leaf && s.value_size <= 33 && n.back() != 0x01;
  });
  c.witness.nodes[leaf].back() ^= 0x01;
  CHECK(judge(c).constraints);
}

TEST_CASE("tampering: a changed storage write") {
  CheckedBlock c = honest();
  auto& e = const_cast<air::ChangeEntry&>(first_storage_change(c));
  (*e.new_value)[31] ^= 0x01;
  if (*e.new_value == eth::H256{}) (*e.new_value)[30] = 1;
  refresh_changes_digest(c);
  CHECK(judge(c).constraints);
}

TEST_CASE("tampering: a dropped storage write") {
  CheckedBlock c = honest();
  const auto& e = first_storage_change(c);
  c.witness.changes.erase(c.witness.changes.begin() + (&e - c.witness.changes.data()));
  refresh_changes_digest(c);
  CHECK(judge(c).constraints);
}

TEST_CASE("tampering: an extra storage write") {
  CheckedBlock c = honest();
  air::ChangeEntry extra = first_storage_change(c);
  extra.slot[0] ^= 0x5a;  // a slot the block does not touch
  extra.old_value.reset();
  extra.new_value = eth::H256{};
  (*extra.new_value)[31] = 7;
  c.witness.changes.push_back(extra);
  refresh_changes_digest(c);
  CHECK(judge(c).constraints);
}

TEST_CASE("tampering: a node byte changed in the pre-image") {
  CheckedBlock c = honest();
  // A byte of a child reference in a branch below the root.
  const size_t branch = node_where(c, [&](const eth::Bytes& n, const air::NodeShape& s) {
    return s.kind == air::NodeShape::branch && eth::keccak256(n) != c.public_values.pre_state_root &&
           std::any_of(s.children.begin(), s.children.end(), is_reference);
  });
  const auto shape = air::node_shape(c.witness.nodes[branch]);
  const auto ref = std::find_if(shape.children.begin(), shape.children.end(), is_reference);
  c.witness.nodes[branch][ref->header + 5] ^= 0x10;
  CHECK(judge(c).constraints);
}

TEST_CASE("tampering: a wrong pre-state root") {
  CheckedBlock c = honest();
  c.public_values.pre_state_root = c.public_values.post_state_root;
  CHECK(judge(c).constraints);
  c = honest();
  c.public_values.pre_state_root[0] ^= 1;
  CHECK(judge(c).constraints);
}

TEST_CASE("tampering: a child hash swapped between two branch slots") {
  // Swapped in the pre-state root node only: the pre walk's items move to other prefixes and no longer
  // balance with the post walk's.
  CheckedBlock c = honest();
  eth::Bytes pre_root = c.witness.nodes[node_with_digest(c, c.public_values.pre_state_root)];
  REQUIRE(swap_two_references(pre_root));
  c.witness.nodes.push_back(pre_root);
  c.public_values.pre_state_root = eth::keccak256(pre_root);
  CHECK(judge(c).caught());
  // Swapped alike in the pre and post root nodes: the tries agree outside the changes, so only the real
  // headers' roots tell.
  eth::Bytes post_root = c.witness.nodes[node_with_digest(c, c.public_values.post_state_root)];
  REQUIRE(swap_two_references(post_root));
  c.witness.nodes.push_back(post_root);
  c.public_values.post_state_root = eth::keccak256(post_root);
  CHECK(judge(c).headers);
}

TEST_CASE("tampering: a transaction's bytes changed") {
  witness::BlockWitness w = witness_of_block();
  w.block_trace.txn_info[0].meta.byte_code.back() ^= 0x01;  // the signature's last byte
  const Verdict v = judge(unchecked(w));
  CHECK_THAT(v.headers.value_or(""), Catch::Contains("transactions root differs"));
}

TEST_CASE("tampering: a receipt changed") {
  witness::BlockWitness w = witness_of_block();
  w.block_trace.txn_info[0].meta.new_receipt_trie_node_byte.back() ^= 0x01;
  const Verdict v = judge(unchecked(w));
  CHECK_THAT(v.headers.value_or(""), Catch::Contains("receipts root differs"));
}

TEST_CASE("tampering: two transactions swapped") {
  witness::BlockWitness w = witness_of_block();
  std::swap(w.block_trace.txn_info[0], w.block_trace.txn_info[1]);
  const Verdict v = judge(unchecked(w));
  CHECK(v.headers);
}

TEST_CASE("tampering: gas used changed") {
  CheckedBlock c = honest();
  c.public_values.gas_used += 1;
  CHECK(judge(c).constraints);
  c.public_values.gas_used -= 2;
  CHECK(judge(c).constraints);
}

TEST_CASE("tampering: transaction count changed") {
  CheckedBlock c = honest();
  c.public_values.tx_count += 1;
  CHECK(judge(c).constraints);
  c.public_values.tx_count -= 2;
  CHECK(judge(c).constraints);
}
