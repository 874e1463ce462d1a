#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <random>
#include <string_view>

#include "stark/buffer.hpp"
#include "stark/merkle.hpp"
#include "stark/transcript.hpp"

using namespace witprove::stark;

TEST_CASE("SHA-256 known answers") {
  auto hex = [](const Digest& d) {
    std::string s;
    for (uint8_t b : d) s += "0123456789abcdef"[b >> 4], s += "0123456789abcdef"[b & 15];
    return s;
  };
  CHECK(hex(sha256({})) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const uint8_t abc[] = {'a', 'b', 'c'};
  CHECK(hex(sha256(abc)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

namespace {

// An independent SHA-256 compression function, written from FIPS 180-4 section 6.2.2, as the oracle for
// the engine's Merkle hashing.
using Words = std::array<uint32_t, 8>;
uint32_t rotr(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }
Words reference_compress(Words h, const uint8_t* block) {
  static constexpr uint32_t k[64] = {
      0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
      0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
      0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
      0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
      0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
      0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
      0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
      0xc67178f2};
  uint32_t w[64];
  for (int t = 0; t < 16; ++t)
    w[t] = uint32_t{block[4 * t]} << 24 | uint32_t{block[4 * t + 1]} << 16 | uint32_t{block[4 * t + 2]} << 8 |
           block[4 * t + 3];
  for (int t = 16; t < 64; ++t) {
    const uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
    const uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
    w[t] = w[t - 16] + s0 + w[t - 7] + s1;
  }
  auto [a, b, c, d, e, f, g, hh] = h;
  for (int t = 0; t < 64; ++t) {
    const uint32_t t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + k[t] + w[t];
    const uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    hh = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
  }
  const Words add = {a, b, c, d, e, f, g, hh};
  for (size_t i = 0; i < 8; ++i) h[i] += add[i];
  return h;
}

Words words_of(const Digest& d) {
  Words w;
  for (size_t i = 0; i < 8; ++i)
    w[i] = uint32_t{d[4 * i]} << 24 | uint32_t{d[4 * i + 1]} << 16 | uint32_t{d[4 * i + 2]} << 8 | d[4 * i + 3];
  return w;
}

Words label_words(std::string_view label) {
  return words_of(sha256({reinterpret_cast<const uint8_t*>(label.data()), label.size()}));
}

}  // namespace

TEST_CASE("the reference compression function gives SHA-256 of a one-block message") {
  // SHA-256("abc") is one compression of the padded block from the standard initial value.
  uint8_t block[64] = {'a', 'b', 'c', 0x80};
  block[63] = 24;  // the message length in bits
  const Words iv = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  const uint8_t abc[] = {'a', 'b', 'c'};
  CHECK(reference_compress(iv, block) == words_of(sha256(abc)));
}

TEST_CASE("Merkle nodes and leaves are SHA-256 compressions from their own initial values") {
  std::mt19937_64 rng(8);
  Digest left, right;
  for (auto& b : left) b = static_cast<uint8_t>(rng());
  for (auto& b : right) b = static_cast<uint8_t>(rng());
  uint8_t block[64];
  std::memcpy(block, left.data(), 32);
  std::memcpy(block + 32, right.data(), 32);
  CHECK(words_of(compress(left, right)) == reference_compress(label_words("witprove merkle node v1"), block));

  // Leaves of 0, 1, 15, 16, 17 and 67 elements: the bytes zero-padded to whole blocks, compressed in turn.
  for (size_t width : {0u, 1u, 15u, 16u, 17u, 67u}) {
    std::vector<Fp> row;
    for (size_t i = 0; i < width; ++i) row.push_back(Fp(rng() % Fp::P));
    std::vector<uint8_t> bytes(std::max<size_t>(1, (4 * width + 63) / 64) * 64, 0);
    if (width) std::memcpy(bytes.data(), row.data(), 4 * width);
    Words h = label_words("witprove merkle leaf v1");
    for (size_t b = 0; b < bytes.size(); b += 64) h = reference_compress(h, bytes.data() + b);
    CHECK(words_of(hash_elements(row)) == h);
  }

  // Sixteen elements have the same 64 bytes as a node's two children; the initial values keep them apart.
  std::vector<Fp> sixteen(16);
  std::memcpy(sixteen.data(), block, 64);
  CHECK(hash_elements(sixteen) != compress(left, right));
}

TEST_CASE("Merkle batch openings verify and detect tampering") {
  std::mt19937_64 rng(5);
  for (unsigned log_leaves : {0u, 1u, 4u, 10u}) {
    size_t n = size_t{1} << log_leaves;
    std::vector<Digest> leaves(n);
    for (size_t i = 0; i < n; ++i) leaves[i] = hash_elements(std::vector<Fp>{Fp(i), Fp(rng())});
    MerkleTree tree = build_merkle_tree(n, 4, [&](size_t first, size_t last, Digest* out) {
      std::copy(leaves.begin() + static_cast<ptrdiff_t>(first), leaves.begin() + static_cast<ptrdiff_t>(last), out);
    });
    for (int trial = 0; trial < 20; ++trial) {
      std::vector<size_t> idx;
      for (size_t k = 0, m = 1 + rng() % 12; k < m; ++k) idx.push_back(rng() % n);
      std::sort(idx.begin(), idx.end());
      idx.erase(std::unique(idx.begin(), idx.end()), idx.end());
      std::vector<Digest> opened;
      for (size_t i : idx) opened.push_back(leaves[i]);
      auto proof = open_merkle_batch(tree, idx);
      CHECK(proof.size() == merkle_batch_size(log_leaves, idx));
      CHECK(verify_merkle_batch(tree.root(), log_leaves, idx, opened, proof));
      if (!proof.empty()) {
        auto bad = proof;
        bad[rng() % bad.size()][0] ^= 1;
        CHECK_FALSE(verify_merkle_batch(tree.root(), log_leaves, idx, opened, bad));
        bad = proof;
        bad.pop_back();
        CHECK_FALSE(verify_merkle_batch(tree.root(), log_leaves, idx, opened, bad));
      }
      auto extra = proof;
      extra.push_back(Digest{});
      CHECK_FALSE(verify_merkle_batch(tree.root(), log_leaves, idx, opened, extra));
      auto wrong = opened;
      wrong[0][5] ^= 0x10;
      CHECK_FALSE(verify_merkle_batch(tree.root(), log_leaves, idx, wrong, proof));
    }
  }
}

TEST_CASE("transcript is deterministic and binds every message") {
  Transcript a("test"), b("test"), c("test");
  a.absorb_u64(1);
  b.absorb_u64(1);
  c.absorb_u64(2);
  Fp4 ca = a.challenge_ext(), cb = b.challenge_ext(), cc = c.challenge_ext();
  CHECK(ca == cb);
  CHECK(!(ca == cc));
  CHECK(!(a.challenge_ext() == ca));  // consecutive challenges differ
  Transcript d("other");
  d.absorb_u64(1);
  CHECK(!(d.challenge_ext() == cb));
}

TEST_CASE("proof-of-work grinding finds a nonce that checks") {
  Transcript t("pow");
  t.absorb_u64(42);
  uint64_t nonce = t.grind(10);
  CHECK(t.check_pow(nonce, 10));
  CHECK(t.grind(10) == nonce);  // deterministic: the least valid nonce
  for (uint64_t n = 0; n < nonce; ++n) CHECK_FALSE(t.check_pow(n, 10));
}

TEST_CASE("large blocks: a freed block serves a smaller request and keeps its tail, and a larger request is assembled from kept blocks") {
  constexpr size_t MiB = size_t{1} << 20;
  // Start with nothing kept: a request larger than every kept block together takes them all.
  const size_t all = kept_block_bytes() + 2 * MiB;
  void* everything = acquire_block(all);
  CHECK(kept_block_bytes() == 0);
  auto* a = static_cast<char*>(acquire_block(8 * MiB));
  std::memset(a, 1, 8 * MiB);
  release_block(a, 8 * MiB);
  CHECK(kept_block_bytes() == 8 * MiB);
  auto* b = static_cast<char*>(acquire_block(3 * MiB));
  CHECK(b == a);  // reused: already the process's pages
  CHECK(b[3 * MiB - 1] == 1);
  CHECK(kept_block_bytes() == 4 * MiB);  // the part past the request, rounded to 2 MiB, stays kept
  release_block(b, 3 * MiB);
  // No kept block holds 10 MiB: both halves of a move into the new block, the last 2 MiB are fresh.
  auto* c = static_cast<char*>(acquire_block(10 * MiB));
  CHECK(kept_block_bytes() == 0);
  CHECK(std::count(c, c + 8 * MiB, char{1}) == static_cast<ptrdiff_t>(8 * MiB));
  CHECK(std::count(c + 8 * MiB, c + 10 * MiB, char{0}) == static_cast<ptrdiff_t>(2 * MiB));
  release_block(c, 10 * MiB);
  // c is three mappings (two moved halves and a fresh part), kept as such: a larger request moves each.
  auto* d = static_cast<char*>(acquire_block(12 * MiB));
  CHECK(kept_block_bytes() == 0);
  CHECK(std::count(d, d + 12 * MiB, char{1}) == static_cast<ptrdiff_t>(8 * MiB));
  std::memset(d, 3, 12 * MiB);
  release_block(d, 12 * MiB);
  release_block(everything, all);
  CHECK(kept_block_bytes() == all + 12 * MiB);
}
