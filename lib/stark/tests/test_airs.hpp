// Small AIRs for the engine's tests and benchmark.
#pragma once

#include <random>

#include "stark/folders.hpp"
#include "stark/stark.hpp"

namespace witprove::stark::test {

// Fibonacci: columns (a, b); a' = b, b' = a + b; publics: first a, first b, last b.
struct FibonacciAir {
  std::string name() const { return "fibonacci"; }
  size_t width() const { return 2; }
  size_t num_public_values() const { return 3; }
  template <class F>
  void eval(F& f) const {
    auto a = f.local(0), b = f.local(1);
    f.assert_zero(f.is_first_row() * (a - f.public_value(0)));
    f.assert_zero(f.is_first_row() * (b - f.public_value(1)));
    f.assert_zero(f.is_transition() * (f.next(0) - b));
    f.assert_zero(f.is_transition() * (f.next(1) - a - b));
    f.assert_zero(f.is_last_row() * (b - f.public_value(2)));
  }
};

inline Trace fibonacci_trace(size_t height, std::vector<Fp>& publics) {
  Trace t(2, height);
  t.at(0, 0) = Fp(1);
  t.at(0, 1) = Fp(1);
  for (size_t r = 1; r < height; ++r) {
    t.at(r, 0) = t.at(r - 1, 1);
    t.at(r, 1) = t.at(r - 1, 0) + t.at(r - 1, 1);
  }
  publics = {Fp(1), Fp(1), t.at(height - 1, 1)};
  return t;
}

inline constexpr Bus<2> cube_bus{1, "test.cube"};
inline constexpr Bus<1> value_bus{2, "test.value"};

// Sends (x, x^3) on cube_bus and x on value_bus for every row; x < 2^bits. Columns: x, y = x^3, z = x*y (degree 3
// constraints so the quotient has two chunks), plus a wide block of columns that repeat x * (c + 1)
// to exercise wider traces.
struct CubeSenderAir {
  size_t extra = 6;
  std::string name() const { return "cube-sender"; }
  size_t width() const { return 3 + extra; }
  size_t num_public_values() const { return 0; }
  template <class F>
  void eval(F& f) const {
    auto x = f.local(0);
    f.assert_zero(f.local(1) - x * x * x);
    f.assert_eq(f.local(2), x * f.local(1));
    for (size_t c = 0; c < extra; ++c) f.assert_eq(f.local(3 + c), x * Fp(c + 1));
    f.send(cube_bus, std::array{x, f.local(1)}, Fp::one());
    f.send(value_bus, std::array{x}, Fp::one());
  }
};

// Receives (v, v^3) on cube_bus with multiplicity m0 and v on value_bus with multiplicity m1, v = row index;
// m0 and m1 are counted columns (count_multiplicities fills them; cube_pair counts them by hand).
// Columns: v, w = v^3, m0, m1.
struct CubeTableAir {
  std::string name() const { return "cube-table"; }
  size_t width() const { return 4; }
  size_t num_public_values() const { return 0; }
  template <class F>
  void eval(F& f) const {
    auto v = f.local(0);
    f.assert_zero(f.is_first_row() * v);
    f.assert_zero(f.is_transition() * (f.next(0) - v - Fp::one()));
    f.assert_eq(f.local(1), v * v * v);
    f.receive_counted(cube_bus, std::array{v, f.local(1)}, 2);
    f.receive_counted(value_bus, std::array{v}, 3);
  }
};

struct CubePair {
  Trace sender, table;
};

inline CubePair cube_pair(size_t sender_height, size_t table_height, size_t extra, uint64_t seed) {
  std::mt19937_64 rng(seed);
  CubePair p{Trace(3 + extra, sender_height), Trace(4, table_height)};
  for (size_t r = 0; r < table_height; ++r) {
    Fp v(r);
    p.table.at(r, 0) = v;
    p.table.at(r, 1) = v * v * v;
  }
  for (size_t r = 0; r < sender_height; ++r) {
    Fp x(rng() % table_height);
    p.sender.at(r, 0) = x;
    p.sender.at(r, 1) = x * x * x;
    p.sender.at(r, 2) = x * x * x * x;
    for (size_t c = 0; c < extra; ++c) p.sender.at(r, 3 + c) = x * Fp(c + 1);
    p.table.at(x.value(), 2) += Fp::one();
    p.table.at(x.value(), 3) += Fp::one();
  }
  return p;
}

}  // namespace witprove::stark::test
