// Keccak-f[1600] permutations per second on one core, and Keccak-256 throughput on trie-node-sized inputs.
// The reference figure is the per-core rate that optimised x86-64 implementations exceed (1e6/s).
#include <chrono>
#include <cstdio>

#include "eth/keccak.hpp"

using namespace witprove::eth;

namespace {
template <class F>
double seconds_for(F&& f) {
  auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}
}  // namespace

int main() {
  constexpr int permutations = 2'000'000;
  KeccakState state{};
  double perm_seconds = seconds_for([&] {
    for (int i = 0; i < permutations; ++i) keccak_f1600(state);
  });

  constexpr int hashes = 1'000'000;
  Bytes node(532, 0x5a);  // a full branch node encoding: 4 permutations
  H256 sink{};
  double hash_seconds = seconds_for([&] {
    for (int i = 0; i < hashes; ++i) {
      node[0] = sink[0];
      sink = keccak256(node);
    }
  });
  std::printf(
      "{\"benchmark\":\"keccak\",\"permutations_per_second\":%.0f,\"ns_per_permutation\":%.1f,"
      "\"single_core_reference_permutations_per_second\":1000000,\"keccak256_532_bytes_per_second\":%.0f,"
      "\"keccak256_megabytes_per_second\":%.1f,\"check\":%u}\n",
      permutations / perm_seconds, 1e9 * perm_seconds / permutations, hashes / hash_seconds,
      hashes * 532.0 / hash_seconds / 1e6, static_cast<unsigned>((state[0] ^ sink[0]) & 1));
}
