// Symbolic evaluation of an AIR: eval run once on expression nodes instead of numbers. It gives what the
// engine needs to know about a table without the table declaring it by hand: how many constraints eval
// emits and their highest degree, and every lookup (bus, tuple length, the degrees of its fingerprint and
// multiplicity, and a small program computing its tuple and multiplicity on a trace row).
//
// Degrees count trace cells and selectors (is_first_row, is_last_row, is_transition) as 1 and public
// values and constants as 0. Constants are folded (c + c', x * 0, x * 1) so degrees are not overstated.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "stark/air.hpp"
#include "stark/field.hpp"

namespace witprove::stark {

struct SymbolicNode {
  enum class Op : uint8_t {
    constant, local, next, fixed, fixed_next, public_value, is_first_row, is_last_row, is_transition, add, sub, mul, neg
  };
  Op op = Op::constant;
  uint8_t degree = 0;
  uint32_t a = 0, b = 0;  // operands (node indices); for cells and public values, a is the column or index
  Fp value;               // constants
};

// A node of the symbolic evaluation running on this thread. Node 0 of every evaluation is the constant 0,
// so a default Sym is zero.
struct Sym {
  uint32_t index = 0;

  Sym() = default;
  static Sym at(uint32_t node) { Sym s; s.index = node; return s; }
  Sym(Fp constant);  // NOLINT: constants mix with expressions as in the numeric folders
  unsigned degree() const;

  friend Sym operator+(Sym a, Sym b);
  friend Sym operator-(Sym a, Sym b);
  friend Sym operator*(Sym a, Sym b);
  friend Sym operator-(Sym a);
  Sym& operator+=(Sym b) { return *this = *this + b; }
  Sym& operator-=(Sym b) { return *this = *this - b; }
  Sym& operator*=(Sym b) { return *this = *this * b; }
};

// Evaluates chosen expressions of a symbolic evaluation on concrete trace rows: the nodes they need,
// children before parents.
struct RowProgram {
  std::vector<SymbolicNode> nodes;
  std::vector<uint32_t> outputs;  // node per output

  // Values of the outputs on row r (its next row is r + 1, wrapping) of the trace and the fixed trace.
  // scratch: nodes.size() elements.
  void evaluate(const Trace& trace, const Trace& fixed, size_t r, std::span<const Fp> public_values,
                std::span<Fp> scratch, std::span<Fp> out) const;
};

struct InteractionInfo {
  uint32_t bus;
  std::string bus_name;
  uint32_t arity;                // tuple length
  unsigned fingerprint_degree;   // highest degree among the tuple's entries
  unsigned multiplicity_degree;
  size_t first_output;           // the tuple, then the multiplicity, in RowProgram outputs from here
  LookupKind kind;               // send, receive, or receive counted into a column
};

// What the symbolic evaluation of one table found.
struct AirSummary {
  size_t num_constraints = 0;      // AIR constraints (the engine's LogUp constraints come on top)
  unsigned constraint_degree = 0;  // highest degree among them
  std::vector<InteractionInfo> interactions;  // in eval order
  RowProgram interaction_values;   // every interaction's tuple and multiplicity
  // The next-row mask: the main and fixed columns eval reads on the next row, sorted. Only these are
  // opened at zeta·w.
  std::vector<uint32_t> next_columns, fixed_next_columns;
};

// Runs eval symbolically. Throws std::logic_error naming the table when eval uses one bus id with two
// names or tuple lengths, a column past the width or a public value past the count.
AirSummary summarize(const Air& air);

// What a table sends on row r of its trace: per lookup in eval order, its bus, tuple and multiplicity
// (negative for a receive). For tests and diagnostics.
struct LookupValues {
  uint32_t bus;
  std::vector<Fp> tuple;
  Fp multiplicity;
};
std::vector<LookupValues> lookups_at(const Air& air, const Trace& trace, size_t r, std::span<const Fp> public_values);

// The folder of a symbolic evaluation.
class SymbolicFolder : public FolderShorthands<SymbolicFolder> {
 public:
  using Var = Sym;
  SymbolicFolder(size_t width, size_t num_fixed, size_t num_public_values)
      : width_(width), num_fixed_(num_fixed), num_public_values_(num_public_values) {}

  Sym local(size_t c) const;
  Sym next(size_t c) const;
  Sym fixed(size_t c) const;
  Sym fixed_next(size_t c) const;
  Sym is_first_row() const { return leaf(SymbolicNode::Op::is_first_row, 0, 1); }
  Sym is_last_row() const { return leaf(SymbolicNode::Op::is_last_row, 0, 1); }
  Sym is_transition() const { return leaf(SymbolicNode::Op::is_transition, 0, 1); }
  Sym public_value(size_t i) const;
  void assert_zero(Sym e) { constraints.push_back(e); }
  void interact(uint32_t bus, std::string_view name, std::span<const Sym> tuple, Sym multiplicity, LookupKind kind);

  struct Interaction {
    uint32_t bus;
    std::string name;
    std::vector<Sym> tuple;
    Sym multiplicity;
    LookupKind kind;
  };
  std::vector<Sym> constraints;
  std::vector<Interaction> interactions;

 private:
  Sym leaf(SymbolicNode::Op op, uint32_t a, uint8_t degree) const;
  Sym cell(SymbolicNode::Op op, size_t c, size_t limit, const char* what) const;
  size_t width_, num_fixed_, num_public_values_;
};

}  // namespace witprove::stark
