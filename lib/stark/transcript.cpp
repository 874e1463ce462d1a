#include "stark/transcript.hpp"

#include <tbb/parallel_for.h>

#include <atomic>
#include <cstring>

namespace witprove::stark {
namespace {

enum Tag : uint8_t { kBytes = 1, kSqueeze = 2, kPow = 3 };

Digest chain(const Digest& state, Tag tag, ByteView body) {
  uint8_t prefix[32 + 1 + 8];
  std::memcpy(prefix, state.data(), 32);
  prefix[32] = tag;
  uint64_t len = body.size();
  std::memcpy(prefix + 33, &len, 8);
  return sha256(prefix, body);
}

uint64_t load_u64(const uint8_t* p) {
  uint64_t x;
  std::memcpy(&x, p, 8);
  return x;
}

}  // namespace

Transcript::Transcript(std::string_view domain)
    : state_(sha256({reinterpret_cast<const uint8_t*>(domain.data()), domain.size()})) {}

void Transcript::absorb_bytes(ByteView bytes) { state_ = chain(state_, kBytes, bytes); }

void Transcript::absorb_u64(uint64_t x) {
  uint8_t b[8];
  std::memcpy(b, &x, 8);
  absorb_bytes(b);
}

void Transcript::absorb(std::span<const Fp> values) {
  absorb_bytes({reinterpret_cast<const uint8_t*>(values.data()), values.size() * sizeof(Fp)});
}

void Transcript::absorb(std::span<const Fp4> values) {
  static_assert(sizeof(Fp4) == 4 * sizeof(Fp));
  absorb_bytes({reinterpret_cast<const uint8_t*>(values.data()), values.size() * sizeof(Fp4)});
}

Digest Transcript::squeeze() {
  Digest out = chain(state_, kSqueeze, {});
  state_ = out;
  return out;
}

Fp4 Transcript::challenge_ext() {
  Digest d = squeeze();
  // 64 bits reduced mod p per coordinate: each value has probability at most (1 + 2^-33) / p, so the bias
  // scales any soundness error by less than 1 + 2^-31.
  auto coord = [&](size_t off) { return Fp(load_u64(d.data() + off)); };
  return Fp4(coord(0), coord(8), coord(16), coord(24));
}

size_t Transcript::challenge_index(unsigned bits) {
  Digest d = squeeze();
  return static_cast<size_t>(load_u64(d.data()) & ((uint64_t{1} << bits) - 1));
}

bool Transcript::check_pow(uint64_t nonce, unsigned bits) const {
  uint8_t b[8];
  std::memcpy(b, &nonce, 8);
  Digest d = chain(state_, kPow, b);
  for (unsigned i = 0; i < bits; ++i)
    if (d[i / 8] & (0x80 >> (i % 8))) return false;
  return true;
}

uint64_t Transcript::grind(unsigned bits) const {
  if (bits == 0) return 0;
  std::atomic<uint64_t> best{UINT64_MAX};
  constexpr uint64_t kChunk = uint64_t{1} << 12;
  for (uint64_t base = 0;; base += 64 * kChunk) {
    tbb::parallel_for(uint64_t{0}, uint64_t{64}, [&](uint64_t c) {
      for (uint64_t n = base + c * kChunk, end = n + kChunk; n < end && n < best.load(); ++n) {
        if (check_pow(n, bits)) {
          uint64_t cur = best.load();
          while (n < cur && !best.compare_exchange_weak(cur, n)) {}
          return;
        }
      }
    });
    if (best.load() != UINT64_MAX) return best.load();
  }
}

}  // namespace witprove::stark
