// End-to-end: the operator scripts, run for real, and shellcheck-clean.
#include <catch2/catch.hpp>

#include "test_prove_support.hpp"

using namespace witprove::test;

namespace {
std::string script(const std::string& name) {
  return fmt::format("WITPROVE_BIN={} {}", q(binary_dir() / "apps"), q(source_dir() / "scripts" / name));
}
}  // namespace

TEST_CASE("scripts: shellcheck clean") {
  if (std::system("command -v shellcheck > /dev/null") != 0) {
    std::printf("SKIPPED: shellcheck not installed\n");
    return;
  }
  auto r = run(fmt::format("cd {} && shellcheck scripts/*.sh scripts/*/*.sh benchmarks/*.sh .ci/run", q(source_dir())));
  INFO(r.out);
  CHECK(r.status == 0);
}

TEST_CASE("scripts: prove-archive.sh analyzes, proves a chained range from a tar.xz, verifies the chain") {
  auto dir = scratch_dir("scripts");
  auto folder = dir / "witnesses";
  fs::create_directories(folder);
  // A folder of two consecutive generated blocks, archived as an operator receives them.
  auto split = run(fmt::format("cd {} && jq -c '.[0:1]' {} > 1000.witness.json && jq -c '.[1:2]' {} > 1001.witness.json",
                               q(folder), q(testdata_dir() / "generated" / "combined.json"),
                               q(testdata_dir() / "generated" / "combined.json")));
  if (split.status != 0) {
    std::printf("SKIPPED: jq not installed; the archive could not be made\n");
    return;
  }
  REQUIRE(run(fmt::format("tar -cJf {} -C {} .", q(dir / "range.tar.xz"), q(folder))).status == 0);
  auto r = run(fmt::format("{} --mode chained {} 1000 1001 {}", script("prove-archive.sh"), q(dir / "range.tar.xz"),
                           q(dir / "out")));
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(r.out.find("all blocks proved and verified") != std::string::npos);
  CHECK(fs::exists(dir / "out" / "1000.proof"));
  CHECK(fs::exists(dir / "out" / "1001.proof"));
  CHECK(r.err.find("(chain checked)") != std::string::npos);

  // A range with nothing in it: reported, exit 1.
  r = run(fmt::format("{} {} 1005 1005 {}", script("prove-archive.sh"), q(dir / "range.tar.xz"), q(dir / "none")));
  CHECK(r.status == 1);
  CHECK(r.out.find("some blocks failed") != std::string::npos);
}

TEST_CASE("scripts: prove-archive.sh checks its arguments") {
  CHECK(run(script("prove-archive.sh")).status == 2);
  CHECK(run(script("prove-archive.sh") + " --help").status == 2);
  CHECK(run(script("prove-archive.sh") + " /nonexistent 1 2 out").status == 2);
  CHECK(run(script("prove-archive.sh") + " . one 2 out").status == 2);
  CHECK(run(script("prove-archive.sh") + " --mode sideways . 1 2 out").status == 2);
}

TEST_CASE("scripts: fuzz.sh and sanitize.sh check their arguments before building anything") {
  for (const char* args : {"", "rlp", "rlp soon", "nothing 5"}) {
    INFO(args);
    auto r = run(fmt::format("{} {}", q(source_dir() / "scripts" / "fuzz.sh"), args));
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Catch::Contains("fuzz.sh") || Catch::Contains("usage"));
  }
  auto r = run(fmt::format("{} msan", q(source_dir() / "scripts" / "sanitize.sh")));
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Catch::Contains("usage: scripts/sanitize.sh asan|tsan"));
}
