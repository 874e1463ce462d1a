#include <catch2/catch.hpp>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "pipeline/cli.hpp"

using namespace witprove::pipeline;
namespace po = boost::program_options;

TEST_CASE("output formats", "[pipeline][cli]") {
  CHECK(parse_output_format("table") == OutputFormat::table);
  CHECK(parse_output_format("json") == OutputFormat::json);
  CHECK(parse_output_format("csv") == OutputFormat::csv);
  CHECK_FALSE(parse_output_format("JSON"));
  CHECK_FALSE(parse_output_format(""));
}

TEST_CASE("command line: common options, positional arguments, usage errors", "[pipeline][cli]") {
  auto parse = [](std::vector<const char*> argv, CommonOptions& common, std::vector<std::string>* args) {
    po::options_description options;
    add_common_options(options, common);
    argv.insert(argv.begin(), "tool");
    return parse_command_line(static_cast<int>(argv.size()), argv.data(), "tool", options, common, args);
  };
  CommonOptions common;
  std::vector<std::string> args;
  CHECK(parse({"--threads", "3", "dir", "-", "7"}, common, &args) == std::nullopt);
  CHECK(common.threads == 3);
  CHECK_FALSE(common.help);
  CHECK(args == std::vector<std::string>{"dir", "-", "7"});

  CommonOptions help;
  std::vector<std::string> none;
  CHECK(parse({"-h"}, help, &none) == exit_ok);
  CHECK(help.help);

  CommonOptions bad;
  CHECK(parse({"--threads", "many"}, bad, &none) == exit_usage);
  CHECK(parse({"--no-such-option"}, bad, &none) == exit_usage);
  CHECK(parse({"--thr", "2"}, bad, &none) == exit_usage);  // no guessing of abbreviated options
  CHECK(parse({"stray"}, bad, nullptr) == exit_usage);     // a tool without positional arguments refuses them
  CHECK(usage_error("tool", "expected SOURCE") == exit_usage);
  CHECK(exit_ok == 0);
  CHECK(exit_failed == 1);
  CHECK(exit_usage == 2);
}

TEST_CASE("thread limit through tbb::global_control", "[pipeline][cli]") {
  CHECK(limit_threads(0) == nullptr);
  {
    auto limit = limit_threads(1);
    REQUIRE(limit);
    CHECK(tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism) == 1);
  }
  bool lifted = tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism) > 1 ||
                std::thread::hardware_concurrency() == 1;
  CHECK(lifted);
}

TEST_CASE("log timestamps are UTC ISO 8601 with milliseconds", "[pipeline][cli]") {
  CHECK_THAT(utc_timestamp(), Catch::Matches(R"(20\d\d-[01]\d-[0-3]\dT[0-2]\d:[0-5]\d:[0-6]\d\.\d{3}Z)"));
  Stopwatch watch;
  CHECK(watch.seconds() >= 0);
  CHECK(watch.seconds() < 60);
}

TEST_CASE("tables: aligned text and CSV", "[pipeline][cli]") {
  Table t{{"block", "source", "txs"}, {{"7", "a.json", "12"}, {"1000", "long-name.json", "3"}}};
  CHECK(format_table(t) ==
        "block  source          txs\n"
        "    7  a.json           12\n"
        " 1000  long-name.json    3\n");
  Table quoted{{"error"}, {{"a, \"b\""}, {"plain"}}};
  CHECK(format_csv(quoted) == "error\n\"a, \"\"b\"\"\"\nplain\n");
  Table last_text{{"n", "status"}, {{"1", "ok"}, {"22", "error"}}};
  CHECK(format_table(last_text) == "n   status\n 1  ok\n22  error\n");  // no trailing spaces
}

TEST_CASE("progress line is silent when stderr is not a terminal", "[pipeline][cli]") {
  std::FILE* capture = std::tmpfile();
  REQUIRE(capture);
  std::fflush(stderr);
  int saved = dup(STDERR_FILENO);
  dup2(fileno(capture), STDERR_FILENO);
  {
    ProgressLine progress;
    progress.update("working 1");
    progress.update("working 2");
  }
  log(LogLevel::info, "test", "a log line still goes out");
  std::fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  std::fseek(capture, 0, SEEK_END);
  long size = std::ftell(capture);
  std::rewind(capture);
  std::string written(static_cast<size_t>(size), '\0');
  CHECK(std::fread(written.data(), 1, written.size(), capture) == written.size());
  std::fclose(capture);
  CHECK(written.find("working") == std::string::npos);
  CHECK_THAT(written, Catch::EndsWith(" INFO test: a log line still goes out\n"));
}
