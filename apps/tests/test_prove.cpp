// End-to-end: prove-witness on real blocks, then verify-proof against their real headers.
#include <catch2/catch.hpp>

#include "test_prove_support.hpp"

using namespace witprove::test;

// The smallest real blocks with a header; scripts/prove-shared.sh sweeps all of them.
TEST_CASE("prove-witness then verify-proof --header on small real blocks") {
  if (!have_shared_witnesses()) return;
  auto dir = scratch_dir("prove");
  auto shared = shared_witnesses_dir();
  for (const char* name : {"b28_dev", "b19840104_main"}) {
    INFO(name);
    auto proof = dir / (std::string(name) + ".proof");
    auto metrics = dir / "metrics.jsonl";
    // Standard input, as the seed's `leader stdio`.
    auto r = run(fmt::format("{} --output {} --metrics {} --threads 2 < {}", app("prove-witness"), q(proof), q(metrics),
                             q(shared / (std::string(name) + ".json"))));
    REQUIRE(r.status == 0);
    CHECK(r.err.find("INFO prove: proving block") != std::string::npos);
    CHECK(r.err.find("took") != std::string::npos);
    CHECK(read_text(metrics).find("\"job\":\"prove-segment\"") != std::string::npos);
    auto v = run(fmt::format("{} --header {} {}", app("verify-proof"), q(shared / (std::string(name) + "_header.json")),
                             q(proof)));
    CHECK(v.status == 0);
    CHECK(v.out.find("valid") != std::string::npos);
  }
  // Another block's header is refused, naming what differs.
  auto v = run(fmt::format("{} --header {} {}", app("verify-proof"), q(shared / "b4_dev_header.json"),
                           q(dir / "b28_dev.proof")));
  CHECK(v.status == 1);
  CHECK(v.out.find("block number differs from the header") != std::string::npos);
}

TEST_CASE("prove-witness: an unprovable witness fails fast with the reason") {
  auto dir = scratch_dir("prove-bad");
  // A hand-made witness whose pre-image lacks the beacon-roots account: the native check names it.
  auto r = run(fmt::format("{} --witness {} --output {}", app("prove-witness"),
                           q(testdata_dir() / "witnesses" / "100.witness.json"), q(dir / "100.proof")));
  CHECK(r.status == 1);
  CHECK(r.err.find("ERROR prove: not provable:") != std::string::npos);
  CHECK(r.err.find("proving block") == std::string::npos);
  CHECK_FALSE(fs::exists(dir / "100.proof"));
}

TEST_CASE("prove-witness --parameter-set fast then verify-proof --header: a generated Prague block, and a Shanghai "
          "self-destruct that wipes a contract's storage") {
  auto dir = scratch_dir("prove-fast");
  for (const std::string name : {"prague", "selfdestruct"}) {
    INFO(name);
    const auto proof = dir / (name + ".proof");
    auto r = run(fmt::format("{} --witness {} {} --parameter-set fast --output {}", app("prove-witness"),
                             q(testdata_dir() / "generated" / (name + ".json")), name == "prague" ? "--block 22500000" : "",
                             q(proof)));
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.err.find(name == "prague" ? "under prague (mainnet schedule) rules"
                                                   : "under shanghai (mainnet schedule) rules") != std::string::npos);
    auto v = run(fmt::format("{} --header {} {}", app("verify-proof"),
                             q(testdata_dir() / "generated" / (name + "_header.json")), q(proof)));
    INFO(v.out << v.err);
    CHECK(v.status == 0);
  }
  auto json = run(fmt::format("{} --format json {}", app("verify-proof"), q(dir / "prague.proof")));
  CHECK(json.out.find("\"parameter_set\":\"fast\"") != std::string::npos);
  CHECK(run(app("prove-witness") + " --output x --parameter-set tiny < /dev/null").status == 2);
}

TEST_CASE("prove-witness --block: an unreadable file beside the block is a warning, and --format json says the outcome") {
  auto dir = scratch_dir("prove-unreadable");
  fs::create_directories(dir / "src");
  fs::copy_file(testdata_dir() / "generated" / "shanghai.json", dir / "src" / "shanghai.json");
  write_text(dir / "src" / "bad.json", "[{\"block_trace\": garbage");
  auto r = run(fmt::format("{} --witness {} --block 17000000 --format json --output {}", app("prove-witness"),
                           q(dir / "src"), q(dir / "ok.proof")));
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Catch::Contains("WARN read: skipped: bad.json: block 0:"));
  CHECK_THAT(r.out, Catch::StartsWith("{\"block\":17000000,\"outcome\":\"proved\""));
  auto missing = run(fmt::format("{} --witness {} --block 5 --format json --output {}", app("prove-witness"),
                                 q(dir / "src"), q(dir / "none.proof")));
  CHECK(missing.status == 1);
  CHECK_THAT(missing.out, Catch::Contains("\"outcome\":\"unprovable\"") &&
                              Catch::Contains("no witness for block 5 (1 unreadable entries)"));
}

TEST_CASE("prove-witness: usage errors exit 2") {
  CHECK(run(app("prove-witness") + " --help").status == 0);
  CHECK(run(app("prove-witness") + " < /dev/null").status == 2);  // no --output
  CHECK(run(app("prove-witness") + " --output x --max-memory lots").status == 2);
  CHECK(run(app("prove-witness") + " --output x --bogus").status == 2);
  auto r = run(app("prove-witness") + " --output x --witness " + q(testdata_dir() / "witnesses" / "300-302.witness.json"));
  CHECK(r.status == 1);
  CHECK(r.err.find("choose one with --block N") != std::string::npos);
}

TEST_CASE("prove-witness --max-memory is a cap: tables and segments shrink to fit, a block that cannot fit is refused") {
  auto dir = scratch_dir("prove-cap");
  const auto witness = testdata_dir() / "generated" / "prague.json";
  auto metrics = dir / "metrics.jsonl";
  auto r = run(fmt::format("{} --witness {} --block 22500000 --parameter-set fast --max-memory 256M --metrics {} "
                           "--output {}",
                           app("prove-witness"), q(witness), q(metrics), q(dir / "capped.proof")));
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.err.find("permutation tables of 170 permutations instead of 5461") != std::string::npos);
  // Every job's peak (the process's peak resident memory) stays within the cap.
  const std::string text = read_text(metrics);
  size_t jobs = 0;
  const bool limits_apply = memory_limits_apply();
  for (size_t at = text.find("\"peak_memory_bytes\":"); at != std::string::npos;
       at = text.find("\"peak_memory_bytes\":", at + 1), ++jobs)
    if (limits_apply) CHECK(std::stoull(text.substr(at + 20)) <= (uint64_t{256} << 20));
  CHECK(jobs > 0);
  CHECK(run(fmt::format("{} {}", app("verify-proof"), q(dir / "capped.proof"))).status == 0);

  // Its segments' first passes are kept in the temporary directory; where they cannot be kept the trees are
  // hashed again, which gives the same proof.
  CHECK(r.err.find("first passes kept in") != std::string::npos);
  auto again = run(fmt::format("{} --witness {} --block 22500000 --max-memory 256M --spill-dir {} --output {}",
                               app("prove-witness"), q(witness), q(dir / "no-such-directory"), q(dir / "again.proof")));
  INFO(again.err);
  REQUIRE(again.status == 0);
  CHECK(again.err.find("first passes not kept (" + (dir / "no-such-directory").string() + " cannot be used)") !=
        std::string::npos);
  CHECK(read_text(dir / "again.proof") == read_text(dir / "capped.proof"));

  auto refused = run(fmt::format("{} --witness {} --block 22500000 --max-memory 1M --output {}", app("prove-witness"),
                                 q(witness), q(dir / "refused.proof")));
  CHECK(refused.status == 1);
  CHECK(refused.err.find("not provable within the 1 MB memory budget: its largest table needs about") !=
        std::string::npos);
  CHECK_FALSE(fs::exists(dir / "refused.proof"));
}

TEST_CASE("prove-witness --unchecked (hidden): a witness with a changed transaction proves, verify-proof --header refuses it") {
  auto dir = scratch_dir("prove-unchecked");
  const auto headers = testdata_dir() / "generated" / "combined_header.json";
  CHECK(run(app("prove-witness") + " --help").out.find("unchecked") == std::string::npos);

  // The honest block 1001: valid against its header, and against its parent's (block 1000, among the
  // headers) for the pre-state root.
  auto honest = run(fmt::format("{} --witness {} --block 1001 --output {}", app("prove-witness"),
                                q(testdata_dir() / "generated" / "combined.json"), q(dir / "honest.proof")));
  INFO(honest.err);
  REQUIRE(honest.status == 0);
  auto v = run(fmt::format("{} --header {} {}", app("verify-proof"), q(headers), q(dir / "honest.proof")));
  CHECK(v.status == 0);
  v = run(fmt::format("{} --parent-header {} {}", app("verify-proof"), q(headers), q(dir / "honest.proof")));
  CHECK(v.status == 0);
  v = run(fmt::format("{} --parent-header {} {}", app("verify-proof"),
                      q(testdata_dir() / "generated" / "shanghai_header.json"), q(dir / "honest.proof")));
  CHECK(v.status == 1);
  CHECK(v.out.find("no header for block 1000 (the parent)") != std::string::npos);

  // The first transaction's last byte changed (its signature): the processing does not object, the proof
  // is valid for the roots it computed, and the real header's transactions root refuses it.
  std::string text = read_text(testdata_dir() / "generated" / "combined.json");
  // Block 1001 is the second of the file's three blocks.
  const size_t tx = text.find("\"byte_code\":\"0x", text.find("\"block_trace\"", text.find("\"block_trace\"") + 1));
  REQUIRE(tx != std::string::npos);
  const size_t end = text.find('"', tx + 15);
  text[end - 1] = text[end - 1] == '0' ? '1' : '0';
  write_text(dir / "tampered.json", text);
  auto r = run(fmt::format("{} --unchecked --witness {} --block 1001 --output {}", app("prove-witness"),
                           q(dir / "tampered.json"), q(dir / "tampered.proof")));
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.err.find("--unchecked") != std::string::npos);
  CHECK(run(fmt::format("{} {}", app("verify-proof"), q(dir / "tampered.proof"))).status == 0);
  v = run(fmt::format("{} --header {} {}", app("verify-proof"), q(headers), q(dir / "tampered.proof")));
  CHECK(v.status == 1);
  CHECK(v.out.find("transactions root differs from the header") != std::string::npos);
}
