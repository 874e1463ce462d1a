#include <catch2/catch.hpp>

#include <numeric>
#include <random>

#include "air/keccak_permutation.hpp"
#include "eth/keccak.hpp"
#include "keccak_test_util.hpp"
#include "stark/folders.hpp"
#include "stark/symbolic.hpp"

using namespace witprove;
using air::keccak_perm::rounds;
using stark::Fp;

namespace {

std::vector<eth::KeccakState> random_states(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<eth::KeccakState> states(n);
  for (auto& s : states)
    for (auto& lane : s) lane = rng();
  return states;
}

// The 100 16-bit limbs of a lane-array state, least significant first.
std::vector<uint64_t> limbs(const eth::KeccakState& s) {
  std::vector<uint64_t> out;
  for (uint64_t lane : s)
    for (unsigned l = 0; l < 4; ++l) out.push_back((lane >> (16 * l)) & 0xffff);
  return out;
}

// The limbs of a permutation tuple (tag first).
std::vector<uint64_t> limbs_of(const stark::LookupValues& lookup) {
  std::vector<uint64_t> values;
  for (size_t i = 1; i < lookup.tuple.size(); ++i) values.push_back(lookup.tuple[i].value());
  return values;
}

}  // namespace

TEST_CASE("keccak_perm: round constants only use the bits the table keeps") {
  uint64_t used = 0;
  for (uint64_t rc : eth::keccak_round_constants) used |= rc;
  uint64_t kept = 0;
  for (unsigned z : air::keccak_perm::round_constant_bits) kept |= uint64_t{1} << z;
  CHECK(used == kept);
}

TEST_CASE("keccak_perm: rho and pi tables match the standard offsets") {
  // rho offsets of lanes (1,0), (0,1), (4,4) from the Keccak reference.
  CHECK(air::keccak_perm::rho_offsets[1] == 1);
  CHECK(air::keccak_perm::rho_offsets[5] == 36);
  CHECK(air::keccak_perm::rho_offsets[24] == 14);
  CHECK(air::keccak_perm::rho_offsets[0] == 0);
}

TEST_CASE("keccak_perm: traces of several sizes satisfy the constraints and expose keccak_f1600") {
  const air::KeccakPermutationAir air_struct;
  const stark::AirAdapter<air::KeccakPermutationAir> air(air_struct);
  for (size_t n : {0, 1, 2, 5, 11}) {
    auto inputs = random_states(n, 1000 + n);
    const uint64_t first_tag = n % 2 ? air::kPermutationTagStride * 3 : 0;
    const std::vector<Fp> publics = {Fp(first_tag)};
    auto trace = air::generate_keccak_permutation_trace(inputs, first_tag);
    CHECK(trace.width == air::keccak_perm::width);
    CHECK(trace.height == air::keccak_permutation_height(n));
    auto failure = stark::check_constraints(air, trace, publics);
    INFO((failure ? failure->to_string() : "ok"));
    CHECK_FALSE(failure);

    REQUIRE(air.summary().interactions.size() == 2);
    // Read on the next row, so opened at zeta·w: the round flags, the tag and the state limbs (125 of 2,474).
    std::vector<uint32_t> next(air::keccak_perm::tag + 1);
    std::iota(next.begin(), next.end(), 0u);
    for (size_t l = 0; l < air::keccak_perm::state_limb_count; ++l) next.push_back(static_cast<uint32_t>(air::keccak_perm::state_limbs + l));
    CHECK(air.summary().next_columns == next);
    CHECK(next.size() == 125);
    for (size_t p = 0; p < n; ++p) {
      eth::KeccakState expected = inputs[p];
      eth::keccak_f1600(expected);
      auto input = stark::lookups_at(air, trace, rounds * p, publics)[0];
      auto output = stark::lookups_at(air, trace, rounds * p + rounds - 1, publics)[1];
      CHECK(input.bus == air::bus::permutation_input.id);
      CHECK(output.bus == air::bus::permutation_output.id);
      CHECK(input.tuple[0] == Fp(first_tag + p));
      CHECK(output.tuple[0] == Fp(first_tag + p));
      CHECK(limbs_of(input) == limbs(inputs[p]));
      CHECK(limbs_of(output) == limbs(expected));
      CHECK(input.multiplicity == -Fp::one());
      CHECK(output.multiplicity == -Fp::one());
    }
    // The first tag is the public value.
    CHECK(stark::check_constraints(air, trace, std::vector<Fp>{Fp(first_tag + 1)}).has_value());
  }
}

TEST_CASE("keccak_perm: one wrong cell anywhere fails the constraints or the lookups") {
  const stark::AirAdapter<air::KeccakPermutationAir> air(air::KeccakPermutationAir{});
  const auto inputs = random_states(3, 7);
  // Multiplicity 0: any nonzero multiplicity is an unbalanced receive.
  auto honest = air::generate_keccak_permutation_trace(inputs);
  for (size_t r = 0; r < honest.height; ++r)
    honest.at(r, air::keccak_perm::input_mult) = honest.at(r, air::keccak_perm::output_mult) = Fp();
  const std::vector<Fp> publics = {Fp()};
  REQUIRE_FALSE(stark::check_constraints(air, honest, publics));

  std::mt19937_64 rng(42);
  const size_t trials = 3000;
  size_t caught_by_constraints = 0, caught_by_lookups = 0;
  stark::Trace trace = honest;
  const stark::TableInstance instance{&air, &trace, publics};
  for (size_t t = 0; t < trials; ++t) {
    // Bias towards the narrow column groups so that every kind of cell is hit many times, and one trial in
    // eight at a multiplicity where it may be nonzero (round 0 for the input, round 23 for the output).
    size_t row = rng() % trace.height;
    size_t column = (t % 4 == 0) ? rng() % air::keccak_perm::theta_bits
                    : (t % 4 == 1) ? air::keccak_perm::chi_limbs + rng() % (air::keccak_perm::width - air::keccak_perm::chi_limbs)
                                   : rng() % trace.width;
    if (t % 8 == 2) {
      const bool input = rng() & 1;
      row = rounds * (rng() % (trace.height / rounds)) + (input ? 0 : rounds - 1);
      column = input ? air::keccak_perm::input_mult : air::keccak_perm::output_mult;
    }
    const Fp original = trace.at(row, column);
    trace.at(row, column) = air::test::tampered(original, rng);
    const bool by_constraints = air::test::failure_around(air, trace, publics, row).has_value();
    const bool by_lookups = !by_constraints && stark::check_lookups(std::span(&instance, 1)).has_value();
    trace.at(row, column) = original;
    caught_by_constraints += by_constraints;
    caught_by_lookups += by_lookups;
    if (!by_constraints && !by_lookups)
      FAIL("tampered cell at row " << row << " column " << column << " passed every check");
  }
  CHECK(caught_by_constraints + caught_by_lookups == trials);
  CHECK(caught_by_lookups > 0);  // the multiplicity columns are only checked by the bus
}
