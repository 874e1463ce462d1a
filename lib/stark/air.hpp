// The AIR interface: what a table of the statement gives the STARK engine.
//
// A table is a row-major trace of field elements plus one template
// `template <class Folder> void eval(Folder& f) const` that states, next to each other,
//  - its polynomial constraints over the current and next row (f.assert_zero), and
//  - its lookups: tuples it sends to or receives from a bus, with a multiplicity (f.send, f.receive).
// The engine evaluates eval on several folders: symbolically once (constraint count and degree, the
// lookups and their degrees: stark/symbolic.hpp), on the prover's LDE, at the verifier's out-of-domain
// point, and on trace rows in the debug checker. Across the tables of one proof every bus must balance;
// the engine builds the LogUp auxiliary columns and their constraints itself (stark/logup.hpp).
//
// Folder requirements (duck-typed):
//   using Var;                      // an expression: PackedFp (kLanes points) in the prover, Fp in the
//                                   // checker, Fp4 in the verifier, Sym in the symbolic folder;
//                                   // arithmetic with Fp constants gives Var
//   Var local(size_t column) const; // current row
//   Var next(size_t column) const;  // next row (the last row's next is row 0)
//   Var fixed(size_t c) const; Var fixed_next(size_t c) const;  // fixed columns (Air::fixed_trace)
//   Var is_first_row() const; Var is_last_row() const; Var is_transition() const;  // selectors, degree 1:
//                                   // 1 on the first / last / every row but the last, 0 elsewhere
//   public_value(size_t i) const;   // usable in expressions with Var
//   void assert_zero(const Var& e);
//   void assert_eq(a, b); void assert_bool(x);  // shorthands for assert_zero(a - b), assert_zero(x * (x - 1))
//   void send(const Bus<N>&, const std::array<Var, N>& tuple, multiplicity); receive(...) likewise
// eval must be straight-line: the same constraints and lookups, in the same order, on every row
// (a test per table checks this).
//
// Soundness rule for lookups (docs/stark.md): a sender whose tuple is not fully constrained by its own
// table must have a constrained multiplicity (for example boolean, or a selector); otherwise the prover can
// send a tuple with m on one row and -m on another and the bus still balances.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "stark/buffer.hpp"
#include "stark/field.hpp"

namespace witprove::stark {

// Row-major trace; height is a power of two. Zero when made; held on large blocks (stark/buffer.hpp).
struct Trace {
  size_t width = 0;
  size_t height = 0;
  std::vector<Fp, LargeBlockAllocator<Fp>> values;

  Trace() = default;
  Trace(size_t w, size_t h) : width(w), height(h), values(w * h) { parallel_zero(values.data(), values.size() * sizeof(Fp)); }
  Fp& at(size_t row, size_t column) { return values[row * width + column]; }
  Fp at(size_t row, size_t column) const { return values[row * width + column]; }
  std::span<Fp> row(size_t r) { return {values.data() + r * width, width}; }
  std::span<const Fp> row(size_t r) const { return {values.data() + r * width, width}; }
};

// The height of a table holding `rows` rows and at least one padding row after them: a power of two, at
// least 2.
inline size_t padded_height(size_t rows) { return std::bit_ceil(std::max<size_t>(rows + 1, 2)); }

// A bus: a channel on which tables send and receive tuples of N field elements, balanced with LogUp
// (docs/stark.md). Each bus is declared once as a constant, its id and tuple length together; ids come from
// one enumeration per statement so that they are unique by construction, and the engine refuses a proof
// whose tables use one id with two names or lengths.
template <size_t N>
struct Bus {
  uint32_t id;
  std::string_view name;
  static constexpr size_t arity = N;
};

class SymbolicFolder;
class CheckFolder;
class ProverFolder;
class VerifierFolder;
struct AirSummary;

// A table as the engine sees it. Implemented by AirAdapter<T> around a plain struct T. Everything else the
// engine needs (constraint count and degree, the lookups) comes from a symbolic evaluation of eval,
// computed once per Air object (summary()).
class Air {
 public:
  Air();
  virtual ~Air();
  Air(const Air&) = delete;
  Air& operator=(const Air&) = delete;

  virtual std::string name() const = 0;
  virtual size_t width() const = 0;
  virtual size_t num_public_values() const = 0;
  // Fixed (preprocessed) columns: the same in every proof, computed by prover and verifier alike and never
  // taken from the prover (for example a byte range or round constants). Read in eval with f.fixed(c)
  // and f.fixed_next(c). Their height is the table's: a table with fixed columns always has
  // fixed_trace().height rows (a power of two), so a prover cannot pick other fixed values by picking
  // another height. fixed_trace is not called when num_fixed() is 0.
  virtual size_t num_fixed() const = 0;
  virtual Trace fixed_trace() const = 0;

  virtual void eval(SymbolicFolder& f) const = 0;
  virtual void eval(CheckFolder& f) const = 0;
  virtual void eval(ProverFolder& f) const = 0;
  virtual void eval(VerifierFolder& f) const = 0;

  // Constraint count and degree and the interactions, from a symbolic evaluation (stark/symbolic.hpp).
  // Throws std::logic_error when eval is malformed (e.g. a bus with two tuple lengths).
  const AirSummary& summary() const;

  // The fixed trace, computed once (0 x 0 without fixed columns). Throws std::logic_error when
  // fixed_trace() has not num_fixed() columns or its height is not a power of two of at least 2.
  const Trace& fixed() const;

 private:
  mutable std::once_flag summary_once_;
  mutable std::unique_ptr<AirSummary> summary_;
  mutable std::once_flag fixed_once_;
  mutable std::unique_ptr<Trace> fixed_;
};

// First constraint violation found by the debug checker.
struct ConstraintFailure {
  std::string table;
  size_t row;
  size_t constraint;  // index in evaluation order
  std::string to_string() const;
};

// Which way a lookup goes; a counted receive names the multiplicity column the engine fills.
enum class Direction : uint8_t { send, receive, receive_counted };
struct LookupKind {
  Direction direction;
  uint32_t counted_column;
};

// Shorthands shared by every folder, and the lookup calls. send and receive take the tuple as an array of
// the folder's Var (expressions over the current row, the next row and public values) and a multiplicity
// expression; receive(bus, t, m) is send(bus, t, -m). Across the tables of one proof every bus must balance.
template <class Folder>
struct FolderShorthands {
  template <class A, class B>
  void assert_eq(const A& a, const B& b) { self().assert_zero(a - b); }
  template <class A>
  void assert_bool(const A& a) { self().assert_zero(a * (a - Fp::one())); }

  template <size_t N, class T, class M>
  void send(const Bus<N>& bus, const std::array<T, N>& tuple, const M& multiplicity) {
    add_lookup(bus, tuple, multiplicity, Direction::send);
  }
  template <size_t N, class T, class M>
  void receive(const Bus<N>& bus, const std::array<T, N>& tuple, const M& multiplicity) {
    using Var = typename Folder::Var;
    add_lookup(bus, tuple, -Var(multiplicity), Direction::receive);
  }
  // Receives with multiplicity column `column`, which count_multiplicities fills from what the tables
  // send on the bus: for lookup tables whose rows hold distinct tuples. Constraints that say where the
  // column may be nonzero stay the table's to write.
  template <size_t N, class T>
  void receive_counted(const Bus<N>& bus, const std::array<T, N>& tuple, size_t column) {
    using Var = typename Folder::Var;
    add_lookup(bus, tuple, -Var(self().local(column)), Direction::receive_counted, column);
  }

 private:
  template <size_t N, class T, class M>
  void add_lookup(const Bus<N>& bus, const std::array<T, N>& tuple, const M& multiplicity, Direction direction,
                  size_t counted_column = 0) {
    using Var = typename Folder::Var;
    static_assert(std::is_same_v<T, Var>, "a bus tuple holds the folder's Var");
    self().interact(bus.id, bus.name, std::span<const Var>(tuple), Var(multiplicity),
                    LookupKind{direction, static_cast<uint32_t>(counted_column)});
  }

  Folder& self() { return *static_cast<Folder*>(this); }
};

// Debug folder: evaluates every constraint on one row of a concrete trace.
class CheckFolder : public FolderShorthands<CheckFolder> {
 public:
  using Var = Fp;
  CheckFolder(const Trace& trace, std::span<const Fp> public_values, const Trace& fixed)
      : trace_(trace), publics_(public_values), fixed_(fixed) {}

  void set_row(size_t r) { row_ = r; index_ = lookups_ = 0; first_failure_.reset(); }
  Var local(size_t c) const { return trace_.at(row_, c); }
  Var next(size_t c) const { return trace_.at((row_ + 1) % trace_.height, c); }
  Var fixed(size_t c) const { return fixed_.at(row_, c); }
  Var fixed_next(size_t c) const { return fixed_.at((row_ + 1) % trace_.height, c); }
  Fp is_first_row() const { return row_ == 0 ? Fp::one() : Fp(); }
  Fp is_last_row() const { return row_ + 1 == trace_.height ? Fp::one() : Fp(); }
  Fp is_transition() const { return row_ + 1 == trace_.height ? Fp() : Fp::one(); }
  Fp public_value(size_t i) const { return publics_[i]; }
  void assert_zero(Fp e) {
    if (!e.is_zero() && !first_failure_) first_failure_ = index_;
    ++index_;
  }
  void interact(uint32_t, std::string_view, std::span<const Fp>, Fp, LookupKind) { ++lookups_; }  // balance: check_lookups
  std::optional<size_t> first_failure() const { return first_failure_; }
  size_t num_constraints() const { return index_; }  // after eval on a row
  size_t num_lookups() const { return lookups_; }

 private:
  const Trace& trace_;
  std::span<const Fp> publics_;
  const Trace& fixed_;
  size_t row_ = 0;
  size_t index_ = 0, lookups_ = 0;
  std::optional<size_t> first_failure_;
};

// Evaluates every constraint of `air` on every row; returns the first failure (lowest row), if any.
std::optional<ConstraintFailure> check_constraints(const Air& air, const Trace& trace,
                                                   std::span<const Fp> public_values);

// Checks that eval is straight-line on this trace: every row emits as many constraints and lookups as the
// symbolic evaluation found. Returns the first row that does not, described.
std::optional<std::string> check_uniform(const Air& air, const Trace& trace, std::span<const Fp> public_values);

// Fills the multiplicity columns of counted receives (receive_counted): each row's count of the tuples
// the tables send on that bus with that row's tuple (a tuple several rows hold is counted on the first).
// Only sends are counted: on a counted bus every receive should be counted, and no tuple or multiplicity
// should read a counted column. Throws std::invalid_argument naming the bus and table when a sent tuple
// has no receiving row, or when a trace does not match its AIR.
void count_multiplicities(std::span<const Air* const> airs, std::span<Trace> traces,
                          std::span<const std::vector<Fp>> public_values);

// One table of a multi-table statement, as given to the debug lookup checker and the prover.
struct TableInstance {
  const Air* air;
  const Trace* trace;
  std::vector<Fp> public_values;
};

// Checks that every bus balances: for each bus, the multiset of tuples sent equals the multiset
// received. Returns a description of the first imbalance, if any.
std::optional<std::string> check_lookups(std::span<const TableInstance> tables);

// Wraps a plain AIR struct T (with name(), width(), num_public_values() and a template eval(Folder&), and
// optionally num_fixed() and fixed_trace()) as an Air. The folder types must be complete where this is
// instantiated: include "stark/folders.hpp" (symbolic, prover and verifier folders) before using it.
template <class T>
class AirAdapter final : public Air {
 public:
  explicit AirAdapter(T t) : t_(std::move(t)) {}
  std::string name() const override { return t_.name(); }
  size_t width() const override { return t_.width(); }
  size_t num_public_values() const override { return t_.num_public_values(); }
  size_t num_fixed() const override {
    if constexpr (requires { t_.num_fixed(); }) return t_.num_fixed();
    else return 0;
  }
  Trace fixed_trace() const override {
    if constexpr (requires { t_.fixed_trace(); }) return t_.fixed_trace();
    else return Trace();
  }
  void eval(SymbolicFolder& f) const override;
  void eval(CheckFolder& f) const override;
  void eval(ProverFolder& f) const override;
  void eval(VerifierFolder& f) const override;

 private:
  T t_;
};

// Defined outside the class so that they are not inline: a table's header can then declare
// `extern template class AirAdapter<T>;` and one .cpp instantiate it, so the constraints of a large table
// are compiled once rather than in every file that builds a statement.
template <class T>
void AirAdapter<T>::eval(SymbolicFolder& f) const {
  t_.eval(f);
}
template <class T>
void AirAdapter<T>::eval(CheckFolder& f) const {
  t_.eval(f);
}
template <class T>
[[gnu::flatten]] void AirAdapter<T>::eval(ProverFolder& f) const {  // the hot loop: every row of the LDE
  t_.eval(f);
}
template <class T>
void AirAdapter<T>::eval(VerifierFolder& f) const {
  t_.eval(f);
}

}  // namespace witprove::stark
