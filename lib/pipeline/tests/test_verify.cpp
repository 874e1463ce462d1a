#include <catch2/catch.hpp>

#include "eth/keccak.hpp"
#include "pipeline/block_prover.hpp"
#include "pipeline/verify.hpp"

using namespace witprove;
using namespace witprove::pipeline;

namespace {

// A block whose four roots are the hashes of some of its messages (no native processing involved).
CheckedBlock synthetic_block(uint64_t number) {
  CheckedBlock b;
  for (size_t i = 0; i < 9; ++i) {
    eth::Bytes m(40 + 60 * i);
    for (size_t k = 0; k < m.size(); ++k) m[k] = static_cast<uint8_t>(number + i * 31 + k);
    b.messages.push_back(std::move(m));
  }
  auto& v = b.public_values;
  v.chain_id = 1;
  v.block_number = number;
  v.block_hash[0] = static_cast<uint8_t>(number);
  v.parent_hash[0] = static_cast<uint8_t>(number - 1);
  v.pre_state_root = eth::keccak256(b.messages[0]);
  v.post_state_root = eth::keccak256(b.messages[8]);
  v.transactions_root = eth::keccak256(b.messages[3]);
  v.receipts_root = eth::keccak256(b.messages[5]);
  v.gas_used = 21000;
  v.tx_count = 1;
  return b;
}

const proof::ProofFile& proved_block() {
  static const proof::ProofFile file = [] {
    ProveSettings settings;
    settings.parameters.segment_permutations = 8;  // several segments
    settings.max_memory_bytes = segment_memory_bytes(8, settings.parameters.stark);  // one at a time
    MetricsLog metrics;
    return prove_block(synthetic_block(5), settings, metrics);
  }();
  return file;
}

}  // namespace

TEST_CASE("verify: a proved block verifies, in several segments") {
  const auto& f = proved_block();
  CHECK(f.segments.size() > 1);
  CHECK_FALSE(verify_proof(f));
  CHECK(proof::decode(proof::encode(f)) == f);
}

TEST_CASE("prove: a memory budget below a segment's estimate shrinks the segments to fit") {
  ProveSettings settings;
  settings.parameters.segment_permutations = 8;
  const auto& stark_params = settings.parameters.stark;
  settings.max_memory_bytes = segment_memory_bytes(4, stark_params);
  const uint64_t fitting = segment_permutations_within(settings.max_memory_bytes, 8, stark_params);
  CHECK(fitting >= 4);
  CHECK(fitting < 8);
  CHECK(segment_memory_bytes(fitting, stark_params) <= settings.max_memory_bytes);
  CHECK(segment_memory_bytes(fitting + 1, stark_params) > settings.max_memory_bytes);
  MetricsLog metrics;
  auto f = prove_block(synthetic_block(5), settings, metrics);
  CHECK(f.parameters.segment_permutations == fitting);
  for (const auto& s : f.segments) CHECK(s.permutations <= fitting);
  CHECK_FALSE(verify_proof(f));
}

TEST_CASE("prove: a memory budget too small for any segment refuses the block with the reason") {
  ProveSettings settings;
  settings.max_memory_bytes = segment_memory_bytes(1, settings.parameters.stark) - 1;
  CHECK(segment_permutations_within(settings.max_memory_bytes, 682, settings.parameters.stark) == 0);
  MetricsLog metrics;
  try {
    (void)prove_block(synthetic_block(5), settings, metrics);
    FAIL("proved over the memory budget");
  } catch (const BlockFailure& e) {
    CHECK_THAT(e.what(), Catch::Contains("not provable within the") && Catch::Contains("memory budget"));
    CHECK_FALSE(e.transient);
  }
}

TEST_CASE("prove: the same block and parameters give byte-identical proofs") {
  ProveSettings settings;
  settings.parameters.segment_permutations = 8;
  MetricsLog metrics;
  CHECK(proof::encode(prove_block(synthetic_block(5), settings, metrics)) == proof::encode(proved_block()));
}

TEST_CASE("verify: every public value is bound") {
  const auto& good = proved_block();
  auto rejects = [](proof::ProofFile f) { return verify_proof(f).has_value(); };
  auto f = good;
  f.public_values.gas_used += 1;
  CHECK(rejects(f));
  f = good;
  f.public_values.chain_id = 5;
  CHECK(rejects(f));
  f = good;
  f.public_values.tx_count = 2;
  CHECK(rejects(f));
  f = good;
  f.public_values.block_hash[3] ^= 1;
  CHECK(rejects(f));
  f = good;
  f.public_values.previous_proof_digest[0] = 1;
  CHECK(rejects(f));
  f = good;
  f.public_values.post_state_root[0] ^= 1;
  CHECK(rejects(f));
  f = good;
  f.segments.pop_back();
  CHECK(rejects(f));
  f = good;
  f.segments[0].stark_proof[100] ^= 1;
  CHECK(rejects(f));
}

TEST_CASE("verify: parameters other than a known set are refused, whatever bits they claim") {
  auto f = proved_block();
  f.parameters.stark.num_queries = 4;
  CHECK_THAT(*verify_proof(f), Catch::Contains("are not a known parameter set (compact, fast)"));
  // Blowup 64, 17 queries, no grinding: 102 bits by the conjectured formula, but not a set the verifier knows.
  f = proved_block();
  f.parameters.stark.log_blowup = 6;
  f.parameters.stark.num_queries = 17;
  f.parameters.stark.grinding_bits = 0;
  REQUIRE(f.parameters.stark.conjectured_security_bits() >= 100);
  CHECK_THAT(*verify_proof(f), Catch::Contains("(log blowup 6, 17 queries, 0 grinding bits, log FRI arity 3, log final "
                                               "polynomial length 3) are not a known parameter set"));
  // One more query than the set: still refused.
  f = proved_block();
  f.parameters.stark.num_queries += 1;
  CHECK_THAT(*verify_proof(f), Catch::Contains("not a known parameter set"));
}

TEST_CASE("verify: every parameter set proves and verifies, and gives at least 100 conjectured bits") {
  std::vector<std::string_view> names;
  for (const stark::ParameterSet& set : stark::parameter_sets()) {
    INFO(set.name);
    names.push_back(set.name);
    CHECK_FALSE(stark::validate(set.params));
    CHECK(set.params.conjectured_security_bits() >= 100);
    CHECK(stark::find_parameter_set(set.name) == &set);
    CHECK(stark::parameter_set_of(set.params) == &set);
    ProveSettings settings;
    settings.parameters.stark = set.params;
    settings.parameters.segment_permutations = 8;
    MetricsLog metrics;
    proof::ProofFile file = prove_block(synthetic_block(5), settings, metrics);
    CHECK_FALSE(verify_proof(file));
  }
  CHECK(names == std::vector<std::string_view>{"compact", "fast"});
  CHECK(stark::parameter_set_of(stark::StarkParams{}) == stark::find_parameter_set("compact"));  // the default
}

TEST_CASE("verify: unknown statements are refused") {
  auto f = proved_block();
  f = proved_block();
  f.statement_id = "something else";
  CHECK_THAT(*verify_proof(f), Catch::Contains("statement"));
}

TEST_CASE("verify: chain links and headers") {
  const auto& parent = proved_block();
  auto child = synthetic_block(6).public_values;
  child.pre_state_root = parent.public_values.post_state_root;
  child.parent_hash = parent.public_values.block_hash;
  child.previous_proof_digest = proof::digest(parent);
  CHECK_FALSE(check_link(parent, child));
  auto c = child;
  c.block_number = 7;
  CHECK_THAT(*check_link(parent, c), Catch::Contains("does not follow"));
  c = child;
  c.pre_state_root[0] ^= 1;
  CHECK_THAT(*check_link(parent, c), Catch::Contains("starts from state root"));
  c = child;
  c.previous_proof_digest[0] ^= 1;
  CHECK_THAT(*check_link(parent, c), Catch::Contains("proved on top of proof"));

  const auto& v = parent.public_values;
  witness::BlockHeader h{"header.json", v.block_number, v.block_hash, v.parent_hash, v.post_state_root,
                         v.receipts_root, v.transactions_root, v.gas_used};
  CHECK_FALSE(check_against_header(v, h));
  auto other = h;
  other.receipts_root[0] ^= 1;
  CHECK_THAT(*check_against_header(v, other), Catch::Contains("receipts root differs from the header header.json"));
  other = h;
  other.number = 4;
  CHECK_THAT(*check_against_header(v, other), Catch::Contains("block number"));
}

TEST_CASE("prove: the memory estimate grows with the segment") {
  stark::StarkParams params;
  CHECK(segment_memory_bytes(682, params) > segment_memory_bytes(100, params));
  CHECK(segment_memory_bytes(1, params) > 0);
}
