#define OPENSSL_SUPPRESS_DEPRECATED  // the low-level SHA-256 calls avoid EVP's per-call fetch cost
#include <openssl/sha.h>

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

// Domain separation: a leaf's preimage starts with 0x00 and a node's with 0x01, so no 64-byte leaf can be
// passed off as an inner node or the other way round (RFC 6962 section 2.1 does the same).
constexpr uint8_t leaf_tag = 0x00, node_tag = 0x01;

Digest tagged_sha256(uint8_t tag, ByteView a, ByteView b) {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, &tag, 1);
  SHA256_Update(&ctx, a.data(), a.size());
  SHA256_Update(&ctx, b.data(), b.size());
  Digest out;
  SHA256_Final(out.data(), &ctx);
  return out;
}

}  // namespace

Digest compress(const Digest& left, const Digest& right) { return tagged_sha256(node_tag, left, right); }

Digest hash_elements(std::span<const Fp> values) {
  static_assert(sizeof(Fp) == 4, "Fp must be a bare 32-bit word");
  // Each cell is hashed as its 4-byte Montgomery form, little-endian (x86-64 memory order); the form is
  // unique, and both sides hash what they hold without converting.
  return tagged_sha256(leaf_tag, {reinterpret_cast<const uint8_t*>(values.data()), values.size() * sizeof(Fp)}, {});
}

}  // namespace witprove::stark
