// Built for baseline x86-64 whatever the rest of the library is built for (lib/stark/CMakeLists.txt), so
// that it runs on any CPU and can refuse one that lacks the target's instructions.
#include "stark/cpu.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#ifndef WITPROVE_TARGET_ARCH
#define WITPROVE_TARGET_ARCH ""  // the configure-time probe (cmake/host_has_avx512.cpp) builds it without one
#endif

namespace witprove::stark {

const char* target_arch() { return WITPROVE_TARGET_ARCH; }

bool cpu_has(const char* arch) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  const bool v3 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") &&
                  __builtin_cpu_supports("fma");
  if (std::strcmp(arch, "x86-64-v3") == 0) return v3;
  if (std::strcmp(arch, "x86-64-v4") == 0)
    return v3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512cd");
#endif
  return true;
}

bool cpu_has_target_arch() { return cpu_has(target_arch()); }

namespace {

// Before main and the other static initializers (101 is the first priority not reserved): code built for
// the target may use its instructions anywhere from there on.
[[gnu::constructor(101)]] void refuse_a_cpu_without_the_target() {
  if (cpu_has_target_arch()) return;
  const bool v4 = std::strcmp(target_arch(), "x86-64-v4") == 0;
  std::fprintf(stderr, "%s: built for %s, whose instructions this CPU lacks: rebuild with %s\n",
               program_invocation_short_name, target_arch(), v4 ? "-DWITPROVE_ARCH=x86-64-v3" : "-DWITPROVE_PORTABLE=ON");
  std::_Exit(1);
}

}  // namespace
}  // namespace witprove::stark
