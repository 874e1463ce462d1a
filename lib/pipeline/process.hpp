// Runs a child process with data on its stdin, relaying its stderr line by line and keeping its stdout.
// Used to prove each block of a range in its own process, so that a block killed for memory, stuck past its
// time limit or stopped with the run never takes the range down.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace witprove::pipeline {

struct ChildResult {
  int exit_code = -1;  // when the child exited
  int signal = 0;      // when it was killed (SIGKILL from the out-of-memory killer, or by us: below)
  bool timed_out = false;  // killed by us after the time limit
  bool stopped = false;    // killed by us because the run is stopping
  std::string stdout_text;  // what it wrote on stdout (its first 1 MiB)
  uint64_t peak_memory_bytes = 0;  // its peak resident memory

  bool ok() const { return signal == 0 && exit_code == 0; }
};

struct ChildLimits {
  double timeout_seconds = 0;                // 0: none
  const std::atomic<int>* stop = nullptr;    // non-zero (a signal number): kill the child and return
};

// argv[0] is the executable's path. The child runs in its own process group (a terminal's Ctrl-C reaches
// only this process, which decides), is killed with its group when a limit is hit, and is killed if this
// process dies. on_line sees each stderr line (without the newline).
ChildResult run_child(const std::vector<std::string>& argv, std::string_view stdin_data,
                      const std::function<void(std::string_view line)>& on_line, const ChildLimits& limits = {});

}  // namespace witprove::pipeline
