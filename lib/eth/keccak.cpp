#include "eth/keccak.hpp"

#include <bit>
#include <cstring>

namespace witprove::eth {

const std::array<uint64_t, 24> keccak_round_constants = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL};

namespace {

// Rotation offsets of the rho step, indexed like the state.
constexpr std::array<int, 25> rho_offsets = {0,  1,  62, 28, 27, 36, 44, 6,  55, 20, 3,  10, 43,
                                             25, 39, 41, 45, 15, 21, 8,  18, 2,  61, 56, 14};

// One round from `in` to `out`: theta, then row by row of the output rho and pi as a gather of its five lanes
// and chi on them, then iota. Working a row at a time keeps few values live, and alternating two buffers
// saves copying back; the loops have constant bounds so the compiler unrolls them fully.
inline void keccak_round(const uint64_t (&in)[25], uint64_t (&out)[25], uint64_t round_constant) {
  uint64_t c[5], d[5];
  for (int x = 0; x < 5; ++x) c[x] = in[x] ^ in[x + 5] ^ in[x + 10] ^ in[x + 15] ^ in[x + 20];
  for (int x = 0; x < 5; ++x) d[x] = c[(x + 4) % 5] ^ std::rotl(c[(x + 1) % 5], 1);
  for (int y = 0; y < 5; ++y) {
    // pi moves lane (x', y') to (y', 2x' + 3y'): output (x, y) comes from (x + 3y, x).
    uint64_t b[5];
    for (int x = 0; x < 5; ++x) {
      int from_x = (x + 3 * y) % 5, from = from_x + 5 * x;
      b[x] = std::rotl(in[from] ^ d[from_x], rho_offsets[from]);
    }
    for (int x = 0; x < 5; ++x) out[x + 5 * y] = b[x] ^ (~b[(x + 1) % 5] & b[(x + 2) % 5]);
  }
  out[0] ^= round_constant;
}

}  // namespace

void keccak_f1600(KeccakState& state) {
  uint64_t a[25], b[25];
  std::memcpy(a, state.data(), sizeof a);
  for (size_t round = 0; round < keccak_round_constants.size(); round += 2) {
    keccak_round(a, b, keccak_round_constants[round]);
    keccak_round(b, a, keccak_round_constants[round + 1]);
  }
  std::memcpy(state.data(), a, sizeof a);
}

H256 keccak256(ByteView data) {
  static_assert(std::endian::native == std::endian::little, "lanes are read as little-endian words");
  constexpr size_t rate = 136;
  KeccakState state{};
  size_t offset = 0;
  for (; data.size() - offset >= rate; offset += rate) {
    uint64_t lanes[rate / 8];
    std::memcpy(lanes, data.data() + offset, rate);
    for (size_t i = 0; i < rate / 8; ++i) state[i] ^= lanes[i];
    keccak_f1600(state);
  }
  uint8_t last[rate] = {};
  size_t rest = data.size() - offset;
  if (rest) std::memcpy(last, data.data() + offset, rest);
  last[rest] ^= 0x01;
  last[rate - 1] ^= 0x80;
  uint64_t lanes[rate / 8];
  std::memcpy(lanes, last, rate);
  for (size_t i = 0; i < rate / 8; ++i) state[i] ^= lanes[i];
  keccak_f1600(state);
  H256 out;
  std::memcpy(out.data(), state.data(), out.size());
  return out;
}

}  // namespace witprove::eth
