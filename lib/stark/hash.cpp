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

Digest compress(const Digest& left, const Digest& right) { return sha256(left, right); }

Digest hash_elements(std::span<const Fp> values) {
  static_assert(sizeof(Fp) == 8, "Fp must be a bare 64-bit word");
  // x86-64 is little-endian, so the words' memory is their serialization.
  return sha256({reinterpret_cast<const uint8_t*>(values.data()), values.size() * sizeof(Fp)});
}

}  // namespace witprove::stark
