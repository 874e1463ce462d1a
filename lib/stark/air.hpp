// The AIR interface: what a table of the statement gives the STARK engine.
//
// A table is a row-major trace of field elements plus
//  - polynomial constraints over the current and next row, written once as a template
//    `template <class Folder> void eval(Folder& f) const` and evaluated by the engine on several
//    folders (the prover's LDE, the verifier's out-of-domain point, the debug checker);
//  - LogUp interactions: tuples of linear combinations of columns that the table sends to
//    (positive multiplicity) or receives from (negative multiplicity) a bus. Across the tables of one
//    proof every bus must balance; the engine builds the auxiliary running-sum columns itself.
//
// Folder requirements (duck-typed):
//   using Var;                      // a trace cell: Fp in the prover and checker, Fp2 in the verifier
//   Var local(size_t column) const; // current row
//   Var next(size_t column) const;  // next row (the last row's next is row 0)
//   auto is_first_row() const; auto is_last_row() const; auto is_transition() const;  // selectors
//   Fp public_value(size_t i) const;
//   void assert_zero(const Expr& e);  // Expr: Var, or any arithmetic of Var, Fp and selectors
//   void assert_eq(a, b); void assert_bool(x);  // shorthands for assert_zero(a - b), assert_zero(x * (x - 1))
// eval must emit the same number of constraints on every row (the engine counts them once).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <type_traits>
#include <span>
#include <string>
#include <vector>

#include "stark/field.hpp"

namespace witprove::stark {

// Row-major trace; height is a power of two.
struct Trace {
  size_t width = 0;
  size_t height = 0;
  std::vector<Fp> values;

  Trace() = default;
  Trace(size_t w, size_t h) : width(w), height(h), values(w * h) {}
  Fp& at(size_t row, size_t column) { return values[row * width + column]; }
  Fp at(size_t row, size_t column) const { return values[row * width + column]; }
  std::span<Fp> row(size_t r) { return {values.data() + r * width, width}; }
  std::span<const Fp> row(size_t r) const { return {values.data() + r * width, width}; }
};

struct ColumnTerm {
  uint32_t column;
  Fp coefficient;
};

// sum(coefficient * column) + constant over the current row's main columns.
struct LinearCombination {
  std::vector<ColumnTerm> terms;
  Fp constant{};

  static LinearCombination column(uint32_t c) { return {{{c, Fp::one()}}, Fp()}; }
  static LinearCombination constant_value(Fp v) { return {{}, v}; }
  template <class Row>
  auto evaluate(const Row& row) const {
    using V = std::decay_t<decltype(row[0])>;
    V acc = V(constant);
    for (const auto& t : terms) acc = acc + row[t.column] * t.coefficient;
    return acc;
  }
};

struct Interaction {
  uint32_t bus;
  std::vector<LinearCombination> values;
  LinearCombination multiplicity;  // > 0 sends, < 0 receives (as field elements: -m)
};

class CheckFolder;
class ProverFolder;
class VerifierFolder;

// A table as the engine sees it. Implemented by AirAdapter<T> around a plain struct T.
class Air {
 public:
  virtual ~Air() = default;
  virtual std::string name() const = 0;
  virtual size_t width() const = 0;
  virtual size_t num_public_values() const = 0;
  // Highest total degree of any constraint, counting selectors (is_transition etc.) as degree 1.
  virtual unsigned constraint_degree() const = 0;
  virtual std::vector<Interaction> interactions() const = 0;

  virtual void eval(CheckFolder& f) const = 0;
  virtual void eval(ProverFolder& f) const = 0;
  virtual void eval(VerifierFolder& f) const = 0;
};

// First constraint violation found by the debug checker.
struct ConstraintFailure {
  std::string table;
  size_t row;
  size_t constraint;  // index in evaluation order
  std::string to_string() const;
};

// Shorthands shared by every folder.
template <class Folder>
struct FolderShorthands {
  template <class A, class B>
  void assert_eq(const A& a, const B& b) { static_cast<Folder*>(this)->assert_zero(a - b); }
  template <class A>
  void assert_bool(const A& a) { static_cast<Folder*>(this)->assert_zero(a * (a - Fp::one())); }
};

// Debug folder: evaluates every constraint on one row of a concrete trace.
class CheckFolder : public FolderShorthands<CheckFolder> {
 public:
  using Var = Fp;
  CheckFolder(const Trace& trace, std::span<const Fp> public_values)
      : trace_(trace), publics_(public_values) {}

  void set_row(size_t r) { row_ = r; index_ = 0; first_failure_.reset(); }
  Var local(size_t c) const { return trace_.at(row_, c); }
  Var next(size_t c) const { return trace_.at((row_ + 1) % trace_.height, c); }
  Fp is_first_row() const { return row_ == 0 ? Fp::one() : Fp(); }
  Fp is_last_row() const { return row_ + 1 == trace_.height ? Fp::one() : Fp(); }
  Fp is_transition() const { return row_ + 1 == trace_.height ? Fp() : Fp::one(); }
  Fp public_value(size_t i) const { return publics_[i]; }
  void assert_zero(Fp e) {
    if (!e.is_zero() && !first_failure_) first_failure_ = index_;
    ++index_;
  }
  std::optional<size_t> first_failure() const { return first_failure_; }
  size_t num_constraints() const { return index_; }  // after eval on a row

 private:
  const Trace& trace_;
  std::span<const Fp> publics_;
  size_t row_ = 0;
  size_t index_ = 0;
  std::optional<size_t> first_failure_;
};

// Evaluates every constraint of `air` on every row; returns the first failure (lowest row), if any.
std::optional<ConstraintFailure> check_constraints(const Air& air, const Trace& trace,
                                                   std::span<const Fp> public_values);

// One table of a multi-table statement, as given to the debug lookup checker and the prover.
struct TableInstance {
  const Air* air;
  const Trace* trace;
  std::vector<Fp> public_values;
};

// Checks that every bus balances: for each bus, the multiset of tuples sent equals the multiset
// received. Returns a description of the first imbalance, if any.
std::optional<std::string> check_lookups(std::span<const TableInstance> tables);

// Wraps a plain AIR struct T (with name(), width(), num_public_values(), constraint_degree(),
// interactions() and a template eval(Folder&)) as an Air. The folder types must be complete where
// this is instantiated: include "stark/folders.hpp" (prover and verifier folders) before using it.
template <class T>
class AirAdapter final : public Air {
 public:
  explicit AirAdapter(T t) : t_(std::move(t)) {}
  const T& inner() const { return t_; }
  std::string name() const override { return t_.name(); }
  size_t width() const override { return t_.width(); }
  size_t num_public_values() const override { return t_.num_public_values(); }
  unsigned constraint_degree() const override { return t_.constraint_degree(); }
  std::vector<Interaction> interactions() const override { return t_.interactions(); }
  void eval(CheckFolder& f) const override { t_.eval(f); }
  void eval(ProverFolder& f) const override { t_.eval(f); }
  void eval(VerifierFolder& f) const override { t_.eval(f); }

 private:
  T t_;
};

}  // namespace witprove::stark
