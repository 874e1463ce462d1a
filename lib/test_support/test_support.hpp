// Helpers shared by the test executables.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

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

}  // namespace witprove::test
