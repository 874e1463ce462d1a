// Helpers shared by the test executables.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace witprove::test {

inline std::filesystem::path source_dir() { return WITPROVE_SOURCE_DIR; }
inline std::filesystem::path binary_dir() { return WITPROVE_BINARY_DIR; }
inline std::filesystem::path testdata_dir() { return source_dir() / "testdata"; }

// The real witnesses beside the project (../shared/witnesses), or WITPROVE_SHARED_WITNESSES.
inline std::filesystem::path shared_witnesses_dir() {
  if (const char* env = std::getenv("WITPROVE_SHARED_WITNESSES")) return env;
  return source_dir().parent_path() / "shared" / "witnesses";
}

// True when the shared witnesses exist; otherwise prints a visible skip line that ctest reports as skipped.
inline bool have_shared_witnesses() {
  if (std::filesystem::exists(shared_witnesses_dir() / "MANIFEST.tsv")) return true;
  std::printf("SKIPPED: %s not found; tests on the real witnesses did not run\n",
              shared_witnesses_dir().string().c_str());
  return false;
}

// Small inputs beside the project, each exercising one kind of fault (../shared/cases).
inline std::filesystem::path shared_cases_dir() { return source_dir().parent_path() / "shared" / "cases"; }

// A sanitized build (WITPROVE_SANITIZED): several times slower, so time limits in tests are wider there.
#ifdef WITPROVE_SANITIZED
inline constexpr bool kSanitizedBuild = true;
#else
inline constexpr bool kSanitizedBuild = false;
#endif

// False in sanitized builds (WITPROVE_SANITIZED), where memory limits cannot apply: the sanitizers reserve
// terabytes of address space (ulimit -v) and hold freed memory in quarantine (peak resident memory). Prints
// a visible skip line then.
inline bool memory_limits_apply() {
#ifdef WITPROVE_SANITIZED
  std::printf("SKIPPED: a sanitized build reserves address space and holds extra memory; memory limits not checked\n");
  return false;
#else
  return true;
#endif
}

// True when the shared cases exist; otherwise prints a visible skip line that ctest reports as skipped.
inline bool have_shared_cases() {
  if (std::filesystem::is_directory(shared_cases_dir())) return true;
  std::printf("SKIPPED: %s not found; tests on the shared cases did not run\n", shared_cases_dir().string().c_str());
  return false;
}

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A fresh empty folder named `name` for this test process, removed at exit. The process id keeps it apart
// from the same test's folder in other processes (ctest runs the test cases of one executable in parallel).
inline std::filesystem::path scratch_dir(std::string_view name) {
  struct RemoveAtExit {
    std::vector<std::filesystem::path> dirs;
    ~RemoveAtExit() {
      std::error_code ec;
      for (const auto& dir : dirs) std::filesystem::remove_all(dir, ec);
    }
  };
  static RemoveAtExit created;
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("witprove-test-" + std::string(name) + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);  // a leftover of an earlier process with the same id
  std::filesystem::create_directories(dir);
  created.dirs.push_back(dir);
  return dir;
}

struct CommandResult {
  int status = -1;  // exit status, -1 when the command did not exit normally
  std::string out, err;
};

// Runs a shell command line with stdin from `stdin_file`, capturing stdout and stderr.
inline CommandResult run_command(const std::string& shell_command,
                                 const std::filesystem::path& stdin_file = "/dev/null") {
  static const std::filesystem::path dir = scratch_dir("command-output");
  static int calls = 0;
  std::string base = (dir / std::to_string(calls++)).string();
  std::string full =
      "( " + shell_command + " ) < '" + stdin_file.string() + "' > '" + base + ".out' 2> '" + base + ".err'";
  int rc = std::system(full.c_str());
  CommandResult result{WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, read_text(base + ".out"), read_text(base + ".err")};
  std::filesystem::remove(base + ".out");
  std::filesystem::remove(base + ".err");
  return result;
}

// One row of the shared witnesses' MANIFEST.tsv: a block, where it is, and its header's roots (empty
// when the block has no header file).
struct ManifestRow {
  std::string file;
  uint64_t index = 0, block = 0, txs = 0, gas_used = 0;
  std::string header_file, state_root, receipts_root, transactions_root;
};

inline std::vector<ManifestRow> read_manifest() {
  std::ifstream in(shared_witnesses_dir() / "MANIFEST.tsv");
  std::string line;
  std::getline(in, line);  // column names
  std::vector<ManifestRow> rows;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, '\t');) cells.push_back(cell);
    if (cells.size() < 6) throw std::runtime_error("MANIFEST.tsv: short row: " + line);
    cells.resize(12);
    rows.push_back({cells[0], std::stoull(cells[1]), std::stoull(cells[2]), std::stoull(cells[3]),
                    std::stoull(cells[5]), cells[7], cells[9], cells[10], cells[11]});
  }
  return rows;
}

}  // namespace witprove::test
