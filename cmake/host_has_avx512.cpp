// Exits 0 where the building machine has the AVX-512 subsets of x86-64-v4 (CMakeLists.txt picks the
// vector instruction set with it).
int main() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                 __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")
             ? 0
             : 1;
}
