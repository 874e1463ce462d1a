// Fiat–Shamir transcript: a SHA-256 hash chain. Every message is absorbed with a one-byte tag and its
// length, so that distinct message sequences give distinct states; challenges are derived from the
// state and then absorbed themselves, so consecutive challenges differ.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "stark/field.hpp"
#include "stark/hash.hpp"

namespace witprove::stark {

class Transcript {
 public:
  explicit Transcript(std::string_view domain);

  void absorb_bytes(ByteView bytes);
  void absorb_u64(uint64_t x);
  void absorb(const Digest& d) { absorb_bytes(d); }
  void absorb(std::span<const Fp> values);
  void absorb(std::span<const Fp4> values);

  Fp4 challenge_ext();
  // Uniform index below 2^bits (bits <= 32).
  size_t challenge_index(unsigned bits);

  // Proof of work: the nonce must make SHA-256(state || nonce) start with `bits` zero bits.
  bool check_pow(uint64_t nonce, unsigned bits) const;
  uint64_t grind(unsigned bits) const;  // searches in parallel

  const Digest& state() const { return state_; }

 private:
  Digest squeeze();
  Digest state_;
};

}  // namespace witprove::stark
