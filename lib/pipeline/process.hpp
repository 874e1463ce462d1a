// Runs a child process with data on its stdin, relaying its stderr line by line. Used to prove each
// block of a range in its own process, so that a block killed for memory never takes the range down.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace witprove::pipeline {

struct ChildResult {
  int exit_code = -1;  // when the child exited
  int signal = 0;      // when it was killed (SIGKILL from the out-of-memory killer, …)
  std::string last_error;  // its last stderr line containing "ERROR", if any

  bool ok() const { return signal == 0 && exit_code == 0; }
};

// argv[0] is the executable's path. The child's stdout goes to this process's stderr, and the child
// is killed if this process dies. on_line sees each stderr line (without the newline).
ChildResult run_child(const std::vector<std::string>& argv, std::string_view stdin_data,
                      const std::function<void(std::string_view line)>& on_line);

}  // namespace witprove::pipeline
