// The state-transition statement's tables from real processing: the bundled witnesses' blocks that process
// give tables whose constraints and buses hold.
#include <catch2/catch.hpp>

#include <filesystem>

#include "pipeline/transition.hpp"
#include "stark/stark.hpp"
#include "test_support/test_support.hpp"
#include "witness/parse.hpp"

using namespace witprove;

TEST_CASE("transition input: the bundled witnesses' processed blocks give tables whose constraints and buses hold") {
  size_t blocks = 0;
  for (const char* name : {"witnesses/100.witness.json", "witnesses/200.separate.witness.json", "generated/shanghai.json",
                           "generated/prague.json", "generated/combined.json", "generated/separate.json"}) {
    const auto path = test::testdata_dir() / name;
    for (auto& parsed : witness::parse_witness_file(witness::make_json_file(path.filename().string(), test::read_text(path)))) {
      REQUIRE(parsed.ok());
      const auto result =
          witness::process_block(*parsed.witness, {.record_keccak_preimages = true, .record_state_changes = true});
      INFO(name << " block " << result.block << ": " << result.error << result.state_changes_error);
      if (!result.ok) continue;  // the bundled set includes blocks that cannot be processed
      auto input = pipeline::transition_input(result);
      REQUIRE(std::holds_alternative<pipeline::TransitionInput>(input));
      const auto& in = std::get<pipeline::TransitionInput>(input);
      CHECK_FALSE(in.witness.changes.empty());
      const auto tables = air::build_block_transition(in.witness, in.pub);
      std::optional<std::string> problem;
      for (const auto& t : tables.instances())
        if (!problem)
          if (auto f = stark::check_constraints(*t.air, *t.trace, t.public_values)) problem = f->to_string();
      if (!problem) problem = stark::check_lookups(tables.instances());
      INFO(problem.value_or("valid"));
      CHECK_FALSE(problem);
      ++blocks;
    }
  }
  CHECK(blocks >= 3);
}
