// Exits 0 where the building machine has x86-64-v4 (AVX-512), checked as the tools check it at start:
// CMakeLists.txt then builds for that level.
#include "stark/cpu.hpp"

int main() { return witprove::stark::cpu_has("x86-64-v4") ? 0 : 1; }
