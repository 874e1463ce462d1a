#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <random>

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

TEST_CASE("Merkle leaves and nodes are hashed with domain separation") {
  // A leaf of sixteen elements (each hashed as its 4-byte Montgomery form, little-endian) has the same 64 bytes
  // as a node's two children; their digests must differ, and each is SHA-256 of its tag byte (0x00 leaf,
  // 0x01 node) and the bytes.
  std::vector<Fp> elements;
  std::vector<uint8_t> bytes;
  for (uint64_t i = 0; i < 16; ++i) {
    elements.push_back(Fp(0x01010101ull * (i + 1)));
    for (unsigned k = 0; k < 4; ++k) bytes.push_back(static_cast<uint8_t>(elements.back().monty() >> (8 * k)));
  }
  Digest left, right;
  std::memcpy(left.data(), bytes.data(), 32);
  std::memcpy(right.data(), bytes.data() + 32, 32);
  std::vector<uint8_t> leaf_bytes = {0x00}, node_bytes = {0x01};
  for (const Digest* d : {&left, &right}) {
    leaf_bytes.insert(leaf_bytes.end(), d->begin(), d->end());
    node_bytes.insert(node_bytes.end(), d->begin(), d->end());
  }
  CHECK(hash_elements(elements) == sha256(leaf_bytes));
  CHECK(compress(left, right) == sha256(node_bytes));
  CHECK(hash_elements(elements) != compress(left, right));
}

TEST_CASE("Merkle batch openings verify and detect tampering") {
  std::mt19937_64 rng(5);
  for (unsigned log_leaves : {0u, 1u, 4u, 10u}) {
    size_t n = size_t{1} << log_leaves;
    std::vector<Digest> leaves(n);
    for (size_t i = 0; i < n; ++i) leaves[i] = hash_elements(std::vector<Fp>{Fp(i), Fp(rng())});
    MerkleTree tree = build_merkle_tree(leaves);
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
