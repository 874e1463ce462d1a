#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <filesystem>

#include "air/block_transition.hpp"
#include "pipeline/block_prover.hpp"
#include "pipeline/verify.hpp"
#include "test_support.hpp"
#include "witness/parse.hpp"

using namespace witprove;
using namespace witprove::pipeline;

namespace {

// The bundled shanghai block (generated, with its header), checked natively.
const CheckedBlock& checked_block() {
  static const CheckedBlock block = [] {
    const auto path = test::testdata_dir() / "generated" / "shanghai.json";
    auto parsed = witness::parse_witness_file(witness::make_json_file(path.filename().string(), test::read_text(path)));
    REQUIRE(parsed.size() == 1);
    REQUIRE(parsed[0].ok());
    return check_block(*parsed[0].witness);
  }();
  return block;
}

// Permutation tables of 16 permutations, several segments.
ProveSettings small_tables() {
  ProveSettings settings;
  settings.parameters.permutations_per_table = 16;
  return settings;
}

const proof::ProofFile& proved_block() {
  static const proof::ProofFile file = [] {
    MetricsLog metrics;
    return prove_block(checked_block(), small_tables(), metrics);
  }();
  return file;
}

}  // namespace

TEST_CASE("verify: a proved block verifies, its tables in several segments") {
  const auto& f = proved_block();
  CHECK(f.statement_id == "witprove.block-transition");
  CHECK(f.permutation_tables > 1);
  CHECK(f.segments.size() == 1);  // the machine's memory holds every table at once
  CHECK_FALSE(verify_proof(f));
  CHECK(proof::decode(proof::encode(f)) == f);
}

TEST_CASE("prove: a memory budget below the tables' estimate splits them into segments that fit") {
  ProveSettings settings = small_tables();
  MetricsLog metrics;
  // Room for the largest table's segment and a little more, beside the tables held throughout.
  settings.max_memory_bytes = 80'000'000;
  auto f = prove_block(checked_block(), settings, metrics);
  CHECK(f.segments.size() > 2);
  CHECK_FALSE(verify_proof(f));
}

TEST_CASE("prove: a segmented block's first passes kept on disk give the proof that hashing again gives") {
  ProveSettings settings = small_tables();
  settings.max_memory_bytes = 80'000'000;
  MetricsLog metrics;
  settings.spill_dir = "none";
  const auto again = prove_block(checked_block(), settings, metrics);
  settings.spill_dir = std::filesystem::temp_directory_path().string();
  const auto kept = prove_block(checked_block(), settings, metrics);
  CHECK(again.segments.size() > 2);
  CHECK(proof::encode(kept) == proof::encode(again));
  CHECK_FALSE(verify_proof(kept));
}

TEST_CASE("prove: a memory budget too small for the largest table refuses the block with the reason") {
  ProveSettings settings;
  settings.max_memory_bytes = 1'000'000;
  MetricsLog metrics;
  try {
    (void)prove_block(checked_block(), settings, metrics);
    FAIL("proved over the memory budget");
  } catch (const BlockFailure& e) {
    CHECK_THAT(e.what(), Catch::Contains("not provable within the") && Catch::Contains("memory budget"));
    CHECK_FALSE(e.transient);
  }
}

TEST_CASE("prove: the same block and parameters give byte-identical proofs") {
  MetricsLog metrics;
  CHECK(proof::encode(prove_block(checked_block(), small_tables(), metrics)) == proof::encode(proved_block()));
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
  f.public_values.tx_count += 1;
  CHECK(rejects(f));
  f = good;
  f.public_values.changes_digest[7] ^= 1;
  CHECK(rejects(f));
  f = good;
  f.public_values.pre_state_root[0] ^= 1;
  CHECK(rejects(f));
  f = good;
  f.permutation_tables += 1;
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
    ProveSettings settings = small_tables();
    settings.parameters.stark = set.params;
    MetricsLog metrics;
    proof::ProofFile file = prove_block(checked_block(), settings, metrics);
    CHECK_FALSE(verify_proof(file));
  }
  CHECK(names == std::vector<std::string_view>{"compact", "fast"});
  CHECK(stark::parameter_set_of(stark::StarkParams{}) == stark::find_parameter_set("compact"));  // the default
}

TEST_CASE("verify: unknown statements, older versions and the retired interim statement are refused") {
  auto f = proved_block();
  f.statement_version = 1;  // before wiped storage
  CHECK_THAT(*verify_proof(f), Catch::Contains(fmt::format("a proof of statement witprove.block-transition version 1, "
                                                           "which this build does not verify (it verifies "
                                                           "witprove.block-transition version {})",
                                                           air::kBlockTransitionVersion)));
  f.statement_id = "something else";
  CHECK_THAT(*verify_proof(f), Catch::Contains("a proof of statement something else version 1, which this build does "
                                               "not verify"));
  f.statement_id = "witprove.block-keccak";
  CHECK_THAT(*verify_proof(f), Catch::Contains("which this build does not verify"));
}

TEST_CASE("verify: chain links and headers") {
  const auto& parent = proved_block();
  auto child = parent.public_values;
  child.block_number += 1;
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
  other.number += 1;
  CHECK_THAT(*check_against_header(v, other), Catch::Contains("block number"));

  witness::BlockHeader parent_header{"parent.json", v.block_number - 1, v.parent_hash, {}, v.pre_state_root, {}, {}, 0};
  CHECK_FALSE(check_against_parent_header(v, parent_header));
  other = parent_header;
  other.state_root[0] ^= 1;
  CHECK_THAT(*check_against_parent_header(v, other), Catch::Contains("pre-state root differs from the parent header"));
  other = parent_header;
  other.hash[0] ^= 1;
  CHECK_THAT(*check_against_parent_header(v, other), Catch::Contains("parent hash differs"));
  other = parent_header;
  other.number += 1;
  CHECK_THAT(*check_against_parent_header(v, other), Catch::Contains("not of block"));
}

