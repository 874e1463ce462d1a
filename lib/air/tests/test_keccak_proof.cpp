// The Keccak tables through the real prover and verifier.
#include <catch2/catch.hpp>

#include <random>

#include "air/keccak_sponge.hpp"
#include "eth/keccak.hpp"
#include "stark/stark.hpp"

using namespace witprove;
using stark::Fp;

namespace {

eth::ByteView statement() { return {reinterpret_cast<const uint8_t*>("keccak-test"), 11}; }

stark::StarkParams small_params() {
  stark::StarkParams p;
  p.num_queries = 12;  // fewer queries keep the test fast; soundness here comes from the constraints failing
  p.grinding_bits = 4;
  p.check_trace = false;  // a tampered trace must reach the verifier
  return p;
}

std::vector<eth::Bytes> messages() {
  std::mt19937_64 rng(3);
  std::vector<eth::Bytes> out;
  for (size_t size : {0, 50, 140}) {
    eth::Bytes m(size);
    for (auto& b : m) b = static_cast<uint8_t>(rng());
    out.push_back(std::move(m));
  }
  return out;
}

std::optional<std::string> prove_and_verify(const air::KeccakTables& prover_side, std::span<const eth::H256> pub) {
  const auto params = small_params();
  auto proof = stark::prove(prover_side.instances(), params, statement());
  auto verifier_side = air::keccak_verifier_tables(pub);
  return stark::verify(verifier_side.air_pointers(), verifier_side.public_values, proof, params, statement());
}

}  // namespace

TEST_CASE("keccak proof: hashed messages with a public digest prove and verify") {
  auto msgs = messages();
  std::vector<eth::H256> pub = {eth::keccak256(msgs[2])};
  auto tables = air::build_keccak_tables(msgs, pub);
  auto params = small_params();
  params.check_trace = true;
  auto proof = stark::prove(tables.instances(), params, statement());
  auto verifier_side = air::keccak_verifier_tables(pub);
  CHECK(stark::verify(verifier_side.air_pointers(), verifier_side.public_values, proof, params, statement()) ==
        std::nullopt);

  // The same proof against another public digest is rejected.
  std::vector<eth::H256> other = {eth::keccak256(msgs[1])};
  auto wrong = air::keccak_verifier_tables(other);
  CHECK(stark::verify(wrong.air_pointers(), wrong.public_values, proof, params, statement()) != std::nullopt);
}

TEST_CASE("keccak proof: a trace with one wrong cell does not give a proof that verifies") {
  auto msgs = messages();
  std::vector<eth::H256> pub = {eth::keccak256(msgs[1])};
  const auto honest = air::build_keccak_tables(msgs, pub);
  REQUIRE(prove_and_verify(honest, pub) == std::nullopt);

  std::mt19937_64 rng(5);
  // One cell of each kind: a theta bit, a state limb, a round flag, an input multiplicity, a padding byte
  // bit, an absorbed state bit, and a public-digest register.
  struct Cell {
    size_t table, row, column;
  };
  const size_t last_block_row = 7;  // blocks 0..3, two rows each
  std::vector<Cell> cells = {
      {0, 1 + rng() % 20, air::keccak_perm::theta_bits + rng() % 1600},
      {0, 30, air::keccak_perm::state_limbs + 7},
      {0, 5, air::keccak_perm::round_flags + 5},
      {0, 24, air::keccak_perm::input_mult},
      {1, last_block_row, air::keccak_sponge::bits + 8 * 135 + 7},
      {1, last_block_row - 1, air::keccak_sponge::bits + 100},
      {2, 0, air::KeccakPublicDigestsAir::registers + 3},
  };
  // And cells anywhere: two in each table (every sponge row is a real block here; the public-digests
  // table's second row receives nothing, so only its first row counts).
  for (size_t table = 0; table < 3; ++table)
    for (size_t i = 0; i < 2; ++i) {
      const auto& trace = honest.traces[table];
      cells.push_back({table, table == 2 ? 0 : rng() % trace.height, rng() % trace.width});
    }
  for (const auto& c : cells) {
    air::KeccakTables tampered = air::build_keccak_tables(msgs, pub);
    Fp& cell = tampered.traces[c.table].at(c.row, c.column);
    cell = cell + Fp(1 + rng() % 1000);
    INFO("table " << c.table << " row " << c.row << " column " << c.column);
    std::optional<std::string> result;
    try {
      result = prove_and_verify(tampered, pub);
    } catch (const stark::ProveError& e) {
      result = e.what();  // refusing to prove is also a rejection
    }
    CHECK(result != std::nullopt);
  }
}
