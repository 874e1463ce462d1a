// End-to-end: prove-range past bad and missing blocks, resumed after SIGKILL; chained ranges and their checks.
#include <catch2/catch.hpp>
#include <signal.h>
#include <simdjson.h>

#include <map>

#include "test_prove_support.hpp"
#include "witness/parse.hpp"
#include "witness/tests/archive_writer.hpp"

using namespace witprove;
using namespace witprove::test;

namespace {

struct ReportBlock {
  std::string status, error;
  int64_t attempts;
};

std::map<uint64_t, ReportBlock> read_report(const fs::path& path) {
  simdjson::dom::parser parser;
  auto text = read_text(path);
  auto doc = parser.parse(text);
  REQUIRE(!doc.error());
  std::map<uint64_t, ReportBlock> out;
  for (auto b : doc["blocks"].get_array())
    out[uint64_t(b["block"])] = {std::string(std::string_view(b["status"])), std::string(std::string_view(b["error"])),
                                 int64_t(b["attempts"])};
  REQUIRE(!doc["summary"]["txs_per_hour"].error());
  REQUIRE(!doc["summary"]["wall_seconds"].error());
  return out;
}

// One file per block of a generated multi-block witness file.
void split_into_folder(const fs::path& file, const fs::path& dir) {
  auto text = read_text(file);
  std::string error;
  auto blocks = witness::split_blocks(text, error);
  REQUIRE(blocks);
  for (size_t i = 0; i < blocks->size(); ++i)
    write_text(dir / fmt::format("{}.witness.json", 1000 + i), fmt::format("[{}]", (*blocks)[i]));
}

const std::string stall_1001 = "WITPROVE_TEST_STALL_BLOCK=1001";


}  // namespace

TEST_CASE("prove-range: a corrupted and a missing block are reported, the rest proved, resumed after SIGKILL") {
  auto dir = scratch_dir("range");
  auto source = dir / "witnesses";
  auto out = dir / "proofs";
  fs::create_directories(source);
  split_into_folder(testdata_dir() / "generated" / "combined.json", source);  // blocks 1000, 1001, 1002
  auto damaged = read_text(source / "1001.witness.json");
  write_text(source / "1001.witness.json", damaged.substr(0, damaged.size() * 3 / 5));  // cut off mid-file
  // Block 1003 has no witness at all.

  // First run: killed with SIGKILL as soon as the first proof is written.
  const auto args = fmt::format("{} 1000 1003 --output-dir {} --jobs 1", q(source), q(out));
  const auto command = fmt::format("{} {}", app("prove-range"), args);
  start_range(dir, "", args);
  auto first_proof = out / "1000.proof";
  wait_for(first_proof);
  REQUIRE(wait_for(dir / "pid"));
  pid_t pid = std::stoi(read_text(dir / "pid"));
  ::kill(pid, SIGKILL);
  REQUIRE(fs::exists(first_proof));
  auto first_time = fs::last_write_time(first_proof);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  if (fs::exists(out / "report.json")) {  // the killed run's report holds only what was done
    auto partial = read_report(out / "report.json");
    CHECK((partial.count(1002) == 0 || partial[1002].status == "proved"));
  }

  // Resumed: the finished proof is kept, the rest is done, the two bad blocks are reported.
  auto r = run(command + " --resume");
  CHECK(r.status == 1);
  auto report = read_report(out / "report.json");
  REQUIRE(report.size() == 4);
  CHECK(report[1000].status == "skipped");
  CHECK(report[1001].status == "failed");
  CHECK(report[1001].error.find("1001.witness.json") != std::string::npos);
  CHECK(report[1002].status == "proved");
  CHECK(report[1002].attempts == 1);
  CHECK(report[1003].status == "missing");
  CHECK(fs::last_write_time(first_proof) == first_time);
  CHECK(r.out.find("proved 1, failed 1, missing 1, skipped 1 of 4 blocks") != std::string::npos);
  for (const auto& e : fs::directory_iterator(out)) CHECK(e.path().string().find(".tmp") == std::string::npos);
  auto v = run(fmt::format("{} {}", app("verify-proof"), q(out)));
  CHECK(v.status == 0);

  // Resuming a finished range reproves nothing.
  r = run(command + " --resume");
  CHECK(read_report(out / "report.json")[1002].status == "skipped");
  CHECK(r.status == 1);
}

TEST_CASE("prove-range: chained proofs of witness_b3_b6.json link, and a wrong previous proof is refused before proving") {
  if (!have_shared_witnesses()) return;
  auto dir = scratch_dir("range-chained");
  auto source = shared_witnesses_dir() / "witness_b3_b6.json";
  auto r = run(fmt::format("{} {} 3 6 --mode chained --output-dir {}", app("prove-range"), q(source), q(dir)));
  REQUIRE(r.status == 0);
  auto report = read_report(dir / "report.json");
  for (uint64_t n = 3; n <= 6; ++n) CHECK(report[n].status == "proved");
  CHECK(run(fmt::format("{} --chain {}", app("verify-proof"), q(dir))).status == 0);

  // Proofs that do not link: a gap in the chain.
  auto v = run(fmt::format("{} --chain {} {} {}", app("verify-proof"), q(dir / "3.proof"), q(dir / "5.proof"),
                           q(dir / "6.proof")));
  CHECK(v.status == 1);
  CHECK(v.out.find("chain: block 5 does not follow block 3") != std::string::npos);

  auto w = run(fmt::format("{} --witness {} --block 5 --previous-proof {} --output {}", app("prove-witness"), q(source),
                           q(dir / "3.proof"), q(dir / "wrong.proof")));
  CHECK(w.status == 1);
  CHECK(w.err.find("is for block 3, not the parent of block 5") != std::string::npos);
  CHECK(w.err.find("proving block") == std::string::npos);
  CHECK_FALSE(fs::exists(dir / "wrong.proof"));
}

TEST_CASE("prove-range: running out of memory is retried, an unprovable witness is not") {
  auto dir = scratch_dir("range-retries");
  CommandResult r;
  if (memory_limits_apply()) {
    // 300 MB of address space: far too little to prove, enough to read the witness.
    r = run(fmt::format("ulimit -v 300000; {} {} 1000 1000 --retries 2 --threads 1 --output-dir {}", app("prove-range"),
                        q(testdata_dir() / "generated" / "combined.json"), q(dir / "oom")));
    CHECK(r.status == 1);
    auto oom = read_report(dir / "oom" / "report.json");
    CHECK(oom[1000].status == "failed");
    CHECK(oom[1000].attempts == 3);
    CHECK(oom[1000].error.find("out of memory") != std::string::npos);
  }

  r = run(fmt::format("{} {} 100 100 --retries 2 --output-dir {}", app("prove-range"), q(testdata_dir() / "witnesses"),
                      q(dir / "bad")));
  CHECK(r.status == 1);
  auto bad = read_report(dir / "bad" / "report.json");
  CHECK(bad[100].status == "failed");
  CHECK(bad[100].attempts == 1);
  CHECK(bad[100].error.find("not provable") != std::string::npos);
}

TEST_CASE("prove-range: a member claiming 1 TiB or above --max-witness-size fails alone, the range goes on") {
  auto dir = scratch_dir("range-sizes");
  std::string block100 = read_text(testdata_dir() / "witnesses" / "100.witness.json");  // read, then not provable
  test::write_compressed(dir / "claims.tar.xz",
                         test::tar_member("100.json", block100, block100.size()) +
                             test::tar_member("huge.json", std::string(100, '['), uint64_t{1} << 40) + test::tar_end(),
                         test::Compression::xz);
  auto r = run(fmt::format("{} {} 100 100 --output-dir {}", app("prove-range"), q(dir / "claims.tar.xz"), q(dir / "claims")));
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Catch::Contains("ERROR range: huge.json: larger than the 1 GiB limit (--max-witness-size)"));
  auto claims = read_report(dir / "claims" / "report.json");
  CHECK(claims[100].status == "failed");
  CHECK(claims[100].error.find("not provable") != std::string::npos);

  test::write_tar(dir / "capped.tar",
                  {{"100.json", block100}, {"300-302.json", read_text(testdata_dir() / "witnesses" / "300-302.witness.json")}},
                  test::Compression::none);
  r = run(fmt::format("{} {} 100 100 --max-witness-size 32K --output-dir {}", app("prove-range"), q(dir / "capped.tar"),
                      q(dir / "capped")));
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Catch::Contains("ERROR range: 300-302.json: larger than the 32 KiB limit (--max-witness-size)"));
  auto capped = read_report(dir / "capped" / "report.json");
  CHECK(capped[100].error.find("not provable") != std::string::npos);  // the prover was given the block
  CHECK(run(app("prove-range") + " src 1 2 --output-dir x --max-witness-size lots").status == 2);
}

TEST_CASE("prove-range: the same block twice is a warning naming both places") {
  auto dir = scratch_dir("range-duplicates");
  fs::create_directories(dir / "src");
  for (const char* name : {"a.json", "b.json"})
    fs::copy_file(testdata_dir() / "witnesses" / "100.witness.json", dir / "src" / name);
  auto r = run(fmt::format("{} {} 100 100 --output-dir {}", app("prove-range"), q(dir / "src"), q(dir / "out")));
  CHECK_THAT(r.err, Catch::Contains("block 100 appears twice: a.json block 0 and b.json block 0; the first one is used"));
}


TEST_CASE("prove-range: one run per output folder, a second run refuses at once naming the first's PID") {
  auto dir = scratch_dir("range-lock");
  auto out = dir / "proofs";
  const auto source = q(testdata_dir() / "generated" / "combined.json");
  start_range(dir, stall_1001, fmt::format("{} 1000 1002 --jobs 1 --output-dir {}", source, q(out)));
  REQUIRE(wait_for(out / "1000.proof"));  // the first run is now on block 1001, which does not finish
  REQUIRE(wait_for(dir / "pid"));
  const pid_t first = std::stoi(read_text(dir / "pid"));
  const auto proved_at = fs::last_write_time(out / "1000.proof");

  const auto started = std::chrono::steady_clock::now();
  auto second = run(fmt::format("{} {} 1000 1002 --output-dir {}", app("prove-range"), source, q(out)));
  CHECK(second.status == 1);
  CHECK_THAT(second.err, Catch::Contains(fmt::format("is in use by another prove-range run (PID {}); one run per output folder", first)));
  CHECK(second.err.find(": proving, attempt") == std::string::npos);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
  CHECK(fs::last_write_time(out / "1000.proof") == proved_at);  // nothing proved twice
  ::kill(first, SIGKILL);
  REQUIRE(wait_for(dir / "rc"));
  // The lock goes with its holder, however it ended.
  auto third = run(fmt::format("{} {} 1000 1000 --resume --output-dir {}", app("prove-range"), source, q(out)));
  CHECK(third.status == 0);
}

TEST_CASE("prove-range: SIGTERM stops the provers, writes the report and summary, and --resume finishes the range") {
  auto dir = scratch_dir("range-sigterm");
  auto out = dir / "proofs";
  const auto args = fmt::format("{} 1000 1002 --jobs 1 --output-dir {}", q(testdata_dir() / "generated" / "combined.json"), q(out));
  start_range(dir, stall_1001, args);
  REQUIRE(wait_for(out / "1000.proof"));
  REQUIRE(wait_for(dir / "pid"));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // block 1001's prover has started
  ::kill(std::stoi(read_text(dir / "pid")), SIGTERM);
  REQUIRE(wait_for(dir / "rc", std::chrono::seconds(30)));
  CHECK(std::stoi(read_text(dir / "rc")) == 143);
  const auto err = read_text(dir / "err.txt");
  CHECK_THAT(err, Catch::Contains("stopped by SIGTERM: 2 blocks interrupted; rerun with --resume to prove them"));
  CHECK_THAT(read_text(dir / "out.txt"), Catch::Contains("proved 1, failed 0, missing 0, skipped 0, interrupted 2 of 3 blocks"));
  auto report = read_report(out / "report.json");
  CHECK(report[1000].status == "proved");
  CHECK(report[1001].status == "interrupted");
  CHECK(report[1002].status == "interrupted");
  for (const auto& e : fs::directory_iterator(out)) CHECK(e.path().string().find(".tmp") == std::string::npos);

  auto resumed = run(fmt::format("{} {} --resume", app("prove-range"), args));
  INFO(resumed.err);
  CHECK(resumed.status == 0);
  report = read_report(out / "report.json");
  CHECK(report[1000].status == "skipped");
  CHECK(report[1001].status == "proved");
  CHECK(report[1002].status == "proved");
}

TEST_CASE("prove-range --block-timeout: a block that never finishes is killed, recorded as timeout and retried, and the "
          "rest is proved") {
  auto dir = scratch_dir("range-timeout");
  auto out = dir / "proofs";
  // Long enough for the other blocks to prove (a sanitized build is several times slower).
  const int limit = kSanitizedBuild ? 60 : 3;
  auto r = run(fmt::format("{} {} {} 1000 1002 --block-timeout {}s --retries 1 --output-dir {}", stall_1001,
                           app("prove-range"), q(testdata_dir() / "generated" / "combined.json"), limit, q(out)));
  CHECK(r.status == 1);
  auto report = read_report(out / "report.json");
  CHECK(report[1000].status == "proved");
  CHECK(report[1002].status == "proved");
  CHECK(report[1001].status == "failed");
  CHECK(report[1001].attempts == 2);
  CHECK_THAT(report[1001].error, Catch::Contains(fmt::format("--block-timeout ({}s)", limit)));
  CHECK_THAT(read_text(out / "report.json"), Catch::Contains("\"failures_by_class\":{\"timeout\":1}"));
  CHECK_THAT(r.out, Catch::Contains("failures by class: timeout 1"));
  const auto metrics = read_text(out / "metrics.jsonl");
  size_t timeouts = 0;
  for (size_t at = 0; (at = metrics.find("\"job\":\"prove-attempt\"", at)) != std::string::npos; ++at)
    timeouts += metrics.find("\"outcome\":\"timeout\"", at) < metrics.find('\n', at);
  CHECK(timeouts == 2);
  CHECK(run(app("prove-range") + " src 1 2 --output-dir x --block-timeout soon").status == 2);
}

TEST_CASE("prove-range: a report that cannot be written is an error line, and every block is still proved") {
  auto dir = scratch_dir("range-report-fault");
  auto out = dir / "proofs";
  fs::create_directories(out / "report.json");  // a directory where the report goes: every write fails
  write_text(out / "report.json" / "keep", "x");
  auto r = run(fmt::format("{} {} 1000 1001 --output-dir {}", app("prove-range"),
                           q(testdata_dir() / "generated" / "combined.json"), q(out)));
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Catch::Contains("ERROR range: cannot write report.json:"));
  CHECK(fs::exists(out / "1000.proof"));
  CHECK(fs::exists(out / "1001.proof"));
  CHECK_THAT(r.out, Catch::Contains("proved 2, failed 0"));
  CHECK_THAT(read_text(out / "metrics.jsonl"), Catch::Contains("\"job\":\"prove-attempt\""));
}

TEST_CASE("prove-range: usage errors exit 2") {
  CHECK(run(app("prove-range") + " --help").status == 0);
  CHECK(run(app("prove-range") + " src 1 2").status == 2);
  CHECK(run(app("prove-range") + " src 5 2 --output-dir x").status == 2);
  CHECK(run(app("prove-range") + " src 1 2 --output-dir x --mode sideways").status == 2);
  CHECK(run(app("prove-range") + " /nonexistent 1 2 --output-dir " + q(scratch_dir("range-usage"))).status == 2);
}

TEST_CASE("prove-range: chained, a block known missing stays missing when the run is stopped later") {
  auto dir = scratch_dir("range-chained-missing-sigterm");
  auto folder = dir / "witnesses";
  fs::create_directories(folder);
  split_into_folder(testdata_dir() / "generated" / "combined.json", folder);
  fs::remove(folder / "1000.witness.json");  // 1000 missing; 1001 stalls; 1002 not reached
  auto out = dir / "proofs";
  start_range(dir, stall_1001, fmt::format("{} 1000 1002 --mode chained --output-dir {}", q(folder), q(out)));
  REQUIRE(wait_for(dir / "pid"));
  REQUIRE(wait_for(out / "report.json"));  // 1000 settled as missing
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ::kill(std::stoi(read_text(dir / "pid")), SIGTERM);
  REQUIRE(wait_for(dir / "rc", std::chrono::seconds(30)));
  CHECK(std::stoi(read_text(dir / "rc")) == 143);
  auto report = read_report(out / "report.json");
  CHECK(report[1000].status == "missing");
  CHECK(report[1001].status == "interrupted");
  CHECK(report[1002].status == "interrupted");
}

TEST_CASE("prove-range --collect: proofs made standalone do not hold as a chain, and say what to do") {
  auto dir = scratch_dir("range-collect");
  auto out = dir / "proofs";
  const auto source = q(testdata_dir() / "generated" / "combined.json");
  REQUIRE(run(fmt::format("{} {} 1000 1002 --output-dir {}", app("prove-range"), source, q(out))).status == 0);
  auto standalone = run(fmt::format("{} {} 999 1003 --output-dir {} --collect", app("prove-range"), source, q(out)));
  CHECK(standalone.status == 1);  // 999 and 1003 missing
  auto report = read_report(out / "report.json");
  CHECK(report[999].status == "missing");
  for (uint64_t n : {1000, 1001, 1002}) CHECK(report[n].status == "proved");
  CHECK(report[1003].status == "missing");

  auto chained = run(fmt::format("{} {} 1000 1002 --output-dir {} --collect --mode chained", app("prove-range"), source, q(out)));
  CHECK(chained.status == 1);
  report = read_report(out / "report.json");
  CHECK(report[1000].status == "proved");
  CHECK(report[1001].status == "failed");
  CHECK_THAT(report[1001].error, Catch::Contains("does not sit on block 1000's proof: prove it again"));
  CHECK(report[1002].status == "proved");  // its parent failed: the chain restarts here

  // A result line of a killed attempt, and no proof: failed as killed.
  fs::remove(out / "1002.proof");
  fs::create_directories(out / "results");
  write_text(out / "results" / "1002.jsonl",
             "{\"block\":1002,\"outcome\":\"killed\",\"seconds\":3.5,\"proof_bytes\":0,\"error\":\"the prover was killed by signal 15\"}\n");
  run(fmt::format("{} {} 1000 1002 --output-dir {} --collect", app("prove-range"), source, q(out)));
  report = read_report(out / "report.json");
  CHECK(report[1002].status == "failed");
  CHECK(report[1002].attempts == 1);
  CHECK_THAT(report[1002].error, Catch::Contains("killed by signal 15"));
}
