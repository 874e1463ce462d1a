#define OPENSSL_SUPPRESS_DEPRECATED  // the low-level SHA-256 calls avoid EVP's per-call fetch cost
#include <openssl/sha.h>

#include <cstring>
#include <string_view>

#include "stark/hash.hpp"

namespace witprove::stark {

Digest sha256(ByteView a, ByteView b) {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, a.data(), a.size());
  SHA256_Update(&ctx, b.data(), b.size());
  Digest out;
  SHA256_Final(out.data(), &ctx);
  return out;
}

Digest sha256(ByteView data) { return sha256(data, {}); }

namespace {

using State = std::array<uint32_t, 8>;
constexpr size_t kBlock = 64;

// The compression function applied to `blocks` whole blocks from `state` (OpenSSL's SHA-NI or vector
// code): SHA256_Transform is one block, and SHA256_Update on whole blocks with nothing buffered runs
// exactly the compressions, all blocks in one call.
void compress_blocks(State& state, const uint8_t* data, size_t blocks) {
  SHA256_CTX ctx{};
  std::memcpy(ctx.h, state.data(), sizeof(State));
  if (blocks == 1) SHA256_Transform(&ctx, data);
  else SHA256_Update(&ctx, data, blocks * kBlock);
  std::memcpy(state.data(), ctx.h, sizeof(State));
}

// SHA-256 words are big-endian.
State state_of(const Digest& d) {
  State s;
  for (size_t i = 0; i < s.size(); ++i)
    s[i] = uint32_t{d[4 * i]} << 24 | uint32_t{d[4 * i + 1]} << 16 | uint32_t{d[4 * i + 2]} << 8 | d[4 * i + 3];
  return s;
}

Digest digest_of(const State& s) {
  Digest d;
  for (size_t i = 0; i < s.size(); ++i)
    for (size_t k = 0; k < 4; ++k) d[4 * i + k] = static_cast<uint8_t>(s[i] >> (24 - 8 * k));
  return d;
}

State initial_value(std::string_view label) {
  return state_of(sha256({reinterpret_cast<const uint8_t*>(label.data()), label.size()}));
}

const State& leaf_initial_value() {
  static const State s = initial_value("witprove merkle leaf v1");
  return s;
}

const State& node_initial_value() {
  static const State s = initial_value("witprove merkle node v1");
  return s;
}

}  // namespace

Digest compress(const Digest& left, const Digest& right) {
  uint8_t block[kBlock];
  std::memcpy(block, left.data(), 32);
  std::memcpy(block + 32, right.data(), 32);
  State s = node_initial_value();
  compress_blocks(s, block, 1);
  return digest_of(s);
}

Digest hash_elements(std::span<const Fp> values) {
  static_assert(sizeof(Fp) == 4, "Fp must be a bare 32-bit word");
  // Each cell is hashed as its 4-byte Montgomery form, little-endian (x86-64 memory order); the form is
  // unique, and both sides hash what they hold without converting.
  const auto* bytes = reinterpret_cast<const uint8_t*>(values.data());
  const size_t size = values.size() * sizeof(Fp), whole = size / kBlock, tail = size % kBlock;
  State s = leaf_initial_value();
  if (whole) compress_blocks(s, bytes, whole);
  if (tail || size == 0) {
    uint8_t last[kBlock] = {};
    if (tail) std::memcpy(last, bytes + whole * kBlock, tail);  // no copy from an empty row's null data
    compress_blocks(s, last, 1);
  }
  return digest_of(s);
}

}  // namespace witprove::stark
