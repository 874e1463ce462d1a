// The x86-64 level the engine is built for, checked against the CPU before main.
#pragma once

namespace witprove::stark {

// "x86-64-v4" (AVX-512: PackedFp on sixteen lanes), "x86-64-v3" (AVX2: eight lanes), another -march value
// given as WITPROVE_ARCH, or "" (the compiler's default target: the lanes are looped over).
const char* target_arch();

// Whether this CPU has the instructions of the x86-64 level `arch` ("x86-64-v3" or "x86-64-v4"; true for
// any other: not checked). The build picks its default level with it (cmake/host_has_avx512.cpp).
bool cpu_has(const char* arch);

// Whether this CPU has the instructions of target_arch() (true for a level not listed above: not checked).
// A process of this library built for a level its CPU lacks stops before main with a one-line error on
// stderr and exit status 1, instead of an illegal instruction somewhere later.
bool cpu_has_target_arch();

}  // namespace witprove::stark
