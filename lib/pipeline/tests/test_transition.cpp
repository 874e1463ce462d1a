// The state-transition statement's tables from real processing: the bundled witnesses' blocks that process
// give tables whose constraints and buses hold.
#include <catch2/catch.hpp>

#include <filesystem>

#include "pipeline/transition.hpp"
#include "stark/stark.hpp"
#include "test_support/test_support.hpp"
#include "eth/bytes.hpp"
#include "witness/parse.hpp"

using namespace witprove;

namespace {

// Builds the transition tables of a processed block; returns the first failed constraint or bus, if any.
std::optional<std::string> transition_problem(const pipeline::TransitionInput& in) {
  return air::check_block_transition(air::build_block_transition(in.witness, in.pub));
}

std::vector<witness::BlockWitness> blocks_of(const std::filesystem::path& path) {
  std::vector<witness::BlockWitness> out;
  for (auto& parsed : witness::parse_witness_file(witness::make_json_file(path.filename().string(), test::read_text(path)))) {
    REQUIRE(parsed.ok());
    out.push_back(std::move(*parsed.witness));
  }
  return out;
}

constexpr witness::ProcessOptions kRecord{.record_keccak_preimages = true, .record_state_changes = true};

}  // namespace

TEST_CASE("transition input: the bundled witnesses' processed blocks give tables whose constraints and buses hold") {
  size_t blocks = 0, wipes = 0;
  for (const char* name : {"witnesses/100.witness.json", "witnesses/200.separate.witness.json", "generated/shanghai.json",
                           "generated/selfdestruct.json", "generated/prague.json", "generated/combined.json", "generated/separate.json"}) {
    const auto path = test::testdata_dir() / name;
    for (const auto& block : blocks_of(path)) {
      const auto result = witness::process_block(block, kRecord);
      INFO(name << " block " << result.block << ": " << result.error);
      if (!result.ok) continue;  // the bundled set includes blocks that cannot be processed
      auto input = pipeline::transition_input(result);
      REQUIRE(std::holds_alternative<pipeline::TransitionInput>(input));
      const auto& in = std::get<pipeline::TransitionInput>(input);
      CHECK_FALSE(in.witness.changes.empty());
      for (const auto& e : in.witness.changes) wipes += e.kind == air::ChangeKind::storage_wiped;
      auto problem = transition_problem(in);
      INFO(problem.value_or("valid"));
      CHECK_FALSE(problem);
      ++blocks;
    }
  }
  CHECK(blocks >= 3);
  CHECK(wipes >= 1);  // selfdestruct.json: a Shanghai self-destruct of a contract with storage
}

TEST_CASE("transition input: real blocks with headers give the headers' roots and tables that hold",
          "[shared]") {
  if (!test::have_shared_witnesses()) return;
  size_t checked = 0;
  for (const auto& row : test::read_manifest()) {
    if (row.header_file.empty() || row.txs > 10) continue;  // the larger blocks take minutes in the debug checker
    const auto blocks = blocks_of(test::shared_witnesses_dir() / row.file);
    REQUIRE(row.index < blocks.size());
    const auto result = witness::process_block(blocks[row.index], kRecord);
    INFO(row.file << " block " << row.block << ": " << result.error);
    REQUIRE(result.ok);
    auto input = pipeline::transition_input(result);
    REQUIRE(std::holds_alternative<pipeline::TransitionInput>(input));
    const auto& in = std::get<pipeline::TransitionInput>(input);
    CHECK(eth::to_hex(in.pub.post_root) == row.state_root);
    CHECK(eth::to_hex(in.pub.transactions_root) == row.transactions_root);
    CHECK(eth::to_hex(in.pub.receipts_root) == row.receipts_root);
    CHECK(in.pub.transaction_count == row.txs);
    CHECK(in.pub.gas_used == row.gas_used);
    auto problem = transition_problem(in);
    INFO(problem.value_or("valid"));
    CHECK_FALSE(problem);
    ++checked;
  }
  CHECK(checked >= 4);
}
