// Helpers shared by the end-to-end tests of prove-witness, verify-proof, prove-range and the scripts.
#pragma once

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <string>

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

}  // namespace witprove::test
