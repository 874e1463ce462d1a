// Helpers shared by the end-to-end tests of prove-witness, verify-proof, prove-range and the scripts.
#pragma once

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "test_support.hpp"

namespace witprove::test {

namespace fs = std::filesystem;

inline void write_text(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

inline std::string app(const std::string& name) { return fmt::format("'{}'", (binary_dir() / "apps" / name).string()); }
inline std::string q(const fs::path& p) { return fmt::format("'{}'", p.string()); }

// The end-to-end tests' shell command lines: stdin from /dev/null, stdout and stderr captured.
inline CommandResult run(const std::string& command) { return run_command(command); }

// Starts prove-range in the background with `env` before it, its PID in DIR/pid and, once it ends, its exit
// status in DIR/rc; its stdout and stderr go to DIR/out.txt and DIR/err.txt.
inline void start_range(const fs::path& dir, const std::string& env, const std::string& args) {
  const auto command = fmt::format("{} {} {} > {} 2> {}", env, app("prove-range"), args, q(dir / "out.txt"), q(dir / "err.txt"));
  const auto script = fmt::format("{} & echo $! > {}; wait $!; echo $? > {}", command, q(dir / "pid"), q(dir / "rc"));
  if (std::system(fmt::format("sh -c {} > /dev/null 2>&1 &", q(script)).c_str()) != 0)
    throw std::runtime_error("cannot start prove-range in the background");
}

// Waits until `path` exists and is not empty; false past `limit`.
inline bool wait_for(const fs::path& path, std::chrono::seconds limit = std::chrono::seconds(300)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!fs::exists(path) || fs::file_size(path) == 0) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

}  // namespace witprove::test
