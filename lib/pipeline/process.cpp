#include "pipeline/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace witprove::pipeline {

namespace {
constexpr size_t kMaxStdout = size_t{1} << 20;
}  // namespace

ChildResult run_child(const std::vector<std::string>& argv, std::string_view stdin_data,
                      const std::function<void(std::string_view line)>& on_line, const ChildLimits& limits) {
  int in_pipe[2], err_pipe[2], out_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error(fmt::format("pipe: {}", std::strerror(errno)));
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(fmt::format("fork: {}", std::strerror(errno)));
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::setpgid(0, 0);
    ::dup2(in_pipe[0], 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    ::execv(args[0], args.data());
    const char msg[] = "ERROR cannot execute the prover\n";
    [[maybe_unused]] auto n = ::write(2, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also here: no race with a kill of the group before the child ran
  ::close(in_pipe[0]);
  ::close(err_pipe[1]);
  ::close(out_pipe[1]);
  ::signal(SIGPIPE, SIG_IGN);  // a child that dies early must not kill us through its stdin

  ChildResult result;
  std::string pending;
  size_t written = 0;
  int in_fd = in_pipe[1], out_fd = out_pipe[0];
  ::fcntl(in_fd, F_SETFL, O_NONBLOCK);
  if (stdin_data.empty()) { ::close(in_fd); in_fd = -1; }
  const auto start = std::chrono::steady_clock::now();
  bool killed = false;
  char buf[8192];
  for (;;) {
    // Limits are checked every 100 ms; the child's whole group goes, so nothing it started lingers.
    if (!killed) {
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      result.timed_out = limits.timeout_seconds > 0 && elapsed > limits.timeout_seconds;
      result.stopped = limits.stop && limits.stop->load() != 0;
      if (result.timed_out || result.stopped) {
        ::kill(-pid, SIGKILL);
        killed = true;
      }
    }
    pollfd fds[3] = {{err_pipe[0], POLLIN, 0}, {out_fd, POLLIN, 0}, {in_fd, POLLOUT, 0}};
    int n = ::poll(fds, 3, 100);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (out_fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t r = ::read(out_fd, buf, sizeof buf);
      if (r > 0 && result.stdout_text.size() < kMaxStdout)
        result.stdout_text.append(buf, std::min(static_cast<size_t>(r), kMaxStdout - result.stdout_text.size()));
      if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
        ::close(out_fd);
        out_fd = -1;
      }
    }
    if (in_fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w = ::write(in_fd, stdin_data.data() + written, stdin_data.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      if (w < 0 && errno != EAGAIN && errno != EINTR) written = stdin_data.size();  // child stopped reading
      if (written == stdin_data.size()) { ::close(in_fd); in_fd = -1; }
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t r = ::read(err_pipe[0], buf, sizeof buf);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      pending.append(buf, static_cast<size_t>(r));
      size_t start = 0;
      for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1)
        on_line(std::string_view(pending.data() + start, nl - start));
      pending.erase(0, start);
    }
  }
  if (!pending.empty()) on_line(pending);
  if (in_fd >= 0) ::close(in_fd);
  if (out_fd >= 0) {  // what is left on stdout after stderr closed
    for (ssize_t r; (r = ::read(out_fd, buf, sizeof buf)) > 0;)
      if (result.stdout_text.size() < kMaxStdout)
        result.stdout_text.append(buf, std::min(static_cast<size_t>(r), kMaxStdout - result.stdout_text.size()));
    ::close(out_fd);
  }
  ::close(err_pipe[0]);
  int status = 0;
  rusage usage{};
  while (::wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {}
  result.peak_memory_bytes = static_cast<uint64_t>(usage.ru_maxrss) * 1024;
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

}  // namespace witprove::pipeline
