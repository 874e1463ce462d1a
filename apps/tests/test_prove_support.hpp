// Helpers shared by the end-to-end tests of prove-witness, verify-proof, prove-range and the scripts.
#pragma once

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace witprove::test {

namespace fs = std::filesystem;

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_text(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// A fresh folder of this test process (ctest runs test cases in parallel processes), removed at exit.
inline fs::path fresh_dir(const std::string& name) {
  struct Cleanup {
    std::vector<fs::path> dirs;
    ~Cleanup() {
      std::error_code ec;
      for (const auto& d : dirs) fs::remove_all(d, ec);
    }
  };
  static Cleanup cleanup;
  fs::path dir = fs::temp_directory_path() / fmt::format("witprove-e2e-{}-{}", name, ::getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  cleanup.dirs.push_back(dir);
  return dir;
}

inline std::string app(const std::string& name) { return fmt::format("'{}'", (binary_dir() / "apps" / name).string()); }
inline std::string q(const fs::path& p) { return fmt::format("'{}'", p.string()); }

struct Run {
  int status = -1;
  std::string out, err;
};

// Runs a shell command line, capturing stdout and stderr.
inline Run run(const std::string& command) {
  static int counter = 0;
  fs::path base = fs::temp_directory_path() / fmt::format("witprove-e2e-run-{}-{}", ::getpid(), counter++);
  std::string full = fmt::format("( {} ) > '{}.out' 2> '{}.err'", command, base.string(), base.string());
  int rc = std::system(full.c_str());
  Run r{WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, read_text(base.string() + ".out"), read_text(base.string() + ".err")};
  fs::remove(base.string() + ".out");
  fs::remove(base.string() + ".err");
  return r;
}

}  // namespace witprove::test
