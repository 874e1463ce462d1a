// Helpers shared by the Keccak table tests.
#pragma once

#include <optional>
#include <random>
#include <span>
#include <string>

#include "stark/air.hpp"

namespace witprove::air::test {

// First constraint failure of rows `from` and `from + 1` (mod height): the only rows whose constraints
// read row from + 1.
inline std::optional<size_t> failure_around(const stark::Air& air, const stark::Trace& trace,
                                            std::span<const stark::Fp> public_values, size_t row) {
  stark::CheckFolder folder(trace, public_values, air.fixed());
  for (size_t r : {(row + trace.height - 1) % trace.height, row}) {
    folder.set_row(r);
    air.eval(folder);
    if (folder.first_failure()) return r;
  }
  return std::nullopt;
}

// A different value for a cell: a flipped bit for 0/1 cells, otherwise a random nonzero offset.
inline stark::Fp tampered(stark::Fp v, std::mt19937_64& rng) {
  if (v.value() <= 1 && (rng() & 1)) return stark::Fp(1 - v.value());
  uint64_t delta = rng() % 3 == 0 ? 1 + rng() % 4 : rng();
  stark::Fp d(delta);
  if (d.is_zero()) d = stark::Fp::one();
  return v + d;
}

}  // namespace witprove::air::test
