#include "stark/symbolic.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

#include "stark/folders.hpp"

namespace witprove::stark {
namespace {

using Op = SymbolicNode::Op;

// The arena of the symbolic evaluation running on this thread (summarize sets it for the duration of eval).
thread_local std::vector<SymbolicNode>* arena = nullptr;

std::vector<SymbolicNode>& current() {
  if (!arena) throw std::logic_error("symbolic expression used outside a symbolic evaluation");
  return *arena;
}

const SymbolicNode& node(Sym s) { return current()[s.index]; }

Sym push(SymbolicNode n) {
  auto& nodes = current();
  nodes.push_back(n);
  return Sym::at(static_cast<uint32_t>(nodes.size() - 1));
}

Sym constant(Fp v) {
  if (v.is_zero()) return Sym();
  return push({Op::constant, 0, 0, 0, v});
}

bool is_constant(Sym s, Fp* value) {
  const auto& n = node(s);
  if (n.op != Op::constant) return false;
  *value = n.value;
  return true;
}

Sym binary(Op op, Sym a, Sym b, unsigned degree) {
  return push({op, static_cast<uint8_t>(std::min(degree, 255u)), a.index, b.index, Fp()});
}

}  // namespace

Sym::Sym(Fp c) : index(constant(c).index) {}

unsigned Sym::degree() const { return node(*this).degree; }

Sym operator+(Sym a, Sym b) {
  Fp x, y;
  bool ca = is_constant(a, &x), cb = is_constant(b, &y);
  if (ca && cb) return constant(x + y);
  if (ca && x.is_zero()) return b;
  if (cb && y.is_zero()) return a;
  return binary(Op::add, a, b, std::max(a.degree(), b.degree()));
}

Sym operator-(Sym a, Sym b) {
  Fp x, y;
  bool ca = is_constant(a, &x), cb = is_constant(b, &y);
  if (ca && cb) return constant(x - y);
  if (cb && y.is_zero()) return a;
  return binary(Op::sub, a, b, std::max(a.degree(), b.degree()));
}

Sym operator*(Sym a, Sym b) {
  Fp x, y;
  bool ca = is_constant(a, &x), cb = is_constant(b, &y);
  if (ca && cb) return constant(x * y);
  if ((ca && x.is_zero()) || (cb && y.is_zero())) return Sym();
  if (ca && x == Fp::one()) return b;
  if (cb && y == Fp::one()) return a;
  return binary(Op::mul, a, b, a.degree() + b.degree());
}

Sym operator-(Sym a) {
  Fp x;
  if (is_constant(a, &x)) return constant(-x);
  return push({Op::neg, static_cast<uint8_t>(a.degree()), a.index, 0, Fp()});
}

Sym SymbolicFolder::leaf(Op op, uint32_t a, uint8_t degree) const { return push({op, degree, a, 0, Fp()}); }

Sym SymbolicFolder::cell(Op op, size_t c, size_t limit, const char* what) const {
  if (c >= limit) throw std::logic_error(fmt::format("{} column {} read, the table has {}", what, c, limit));
  return leaf(op, static_cast<uint32_t>(c), 1);
}

Sym SymbolicFolder::local(size_t c) const { return cell(Op::local, c, width_, "trace"); }
Sym SymbolicFolder::next(size_t c) const { return cell(Op::next, c, width_, "trace"); }
Sym SymbolicFolder::fixed(size_t c) const { return cell(Op::fixed, c, num_fixed_, "fixed"); }
Sym SymbolicFolder::fixed_next(size_t c) const { return cell(Op::fixed_next, c, num_fixed_, "fixed"); }

Sym SymbolicFolder::public_value(size_t i) const {
  if (i >= num_public_values_)
    throw std::logic_error(fmt::format("public value {} read, the table has {}", i, num_public_values_));
  return leaf(Op::public_value, static_cast<uint32_t>(i), 0);
}

void SymbolicFolder::interact(uint32_t bus, std::string_view name, std::span<const Sym> tuple, Sym multiplicity,
                              LookupKind kind) {
  if (kind.direction == Direction::receive_counted && kind.counted_column >= width_)
    throw std::logic_error(fmt::format("counted multiplicity column {}, the table has {}", kind.counted_column, width_));
  interactions.push_back({bus, std::string(name), {tuple.begin(), tuple.end()}, multiplicity, kind});
}

void RowProgram::evaluate(const Trace& trace, const Trace& fixed, size_t r, std::span<const Fp> public_values,
                          std::span<Fp> scratch, std::span<Fp> out) const {
  const size_t next_row = (r + 1) % trace.height;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const auto& n = nodes[i];
    Fp v;
    switch (n.op) {
      case Op::constant: v = n.value; break;
      case Op::local: v = trace.at(r, n.a); break;
      case Op::next: v = trace.at(next_row, n.a); break;
      case Op::fixed: v = fixed.at(r, n.a); break;
      case Op::fixed_next: v = fixed.at(next_row, n.a); break;
      case Op::public_value: v = public_values[n.a]; break;
      case Op::is_first_row: v = Fp(r == 0); break;
      case Op::is_last_row: v = Fp(r + 1 == trace.height); break;
      case Op::is_transition: v = Fp(r + 1 != trace.height); break;
      case Op::add: v = scratch[n.a] + scratch[n.b]; break;
      case Op::sub: v = scratch[n.a] - scratch[n.b]; break;
      case Op::mul: v = scratch[n.a] * scratch[n.b]; break;
      case Op::neg: v = -scratch[n.a]; break;
    }
    scratch[i] = v;
  }
  for (size_t o = 0; o < outputs.size(); ++o) out[o] = scratch[outputs[o]];
}

namespace {

// The nodes `roots` depend on, renumbered densely (arena order is already children first).
RowProgram compile(const std::vector<SymbolicNode>& nodes, std::span<const Sym> roots) {
  std::vector<uint8_t> needed(nodes.size(), 0);
  for (Sym r : roots) needed[r.index] = 1;
  for (size_t i = nodes.size(); i-- > 0;) {
    if (!needed[i]) continue;
    const auto& n = nodes[i];
    if (n.op == Op::add || n.op == Op::sub || n.op == Op::mul) needed[n.a] = needed[n.b] = 1;
    if (n.op == Op::neg) needed[n.a] = 1;
  }
  RowProgram p;
  std::vector<uint32_t> renumber(nodes.size(), 0);
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (!needed[i]) continue;
    SymbolicNode n = nodes[i];
    if (n.op == Op::add || n.op == Op::sub || n.op == Op::mul) n.a = renumber[n.a], n.b = renumber[n.b];
    if (n.op == Op::neg) n.a = renumber[n.a];
    renumber[i] = static_cast<uint32_t>(p.nodes.size());
    p.nodes.push_back(n);
  }
  for (Sym r : roots) p.outputs.push_back(renumber[r.index]);
  return p;
}

// Sets the thread's arena for the lifetime of the object.
class ArenaScope {
 public:
  explicit ArenaScope(std::vector<SymbolicNode>& nodes) : saved_(arena) { arena = &nodes; }
  ~ArenaScope() { arena = saved_; }
  ArenaScope(const ArenaScope&) = delete;
  ArenaScope& operator=(const ArenaScope&) = delete;

 private:
  std::vector<SymbolicNode>* saved_;
};

}  // namespace

AirSummary summarize(const Air& air) {
  std::vector<SymbolicNode> nodes{SymbolicNode{}};  // node 0: the constant zero
  ArenaScope scope(nodes);
  SymbolicFolder f(air.width(), air.num_fixed(), air.num_public_values());
  try {
    air.eval(f);
  } catch (const std::logic_error& e) {
    throw std::logic_error(fmt::format("table {}: {}", air.name(), e.what()));
  }

  AirSummary s;
  s.num_constraints = f.constraints.size();
  for (Sym c : f.constraints) s.constraint_degree = std::max(s.constraint_degree, c.degree());
  std::map<uint32_t, std::pair<std::string, size_t>> buses;
  std::vector<Sym> roots;
  for (const auto& in : f.interactions) {
    auto [it, inserted] = buses.emplace(in.bus, std::pair{in.name, in.tuple.size()});
    if (!inserted && (it->second.first != in.name || it->second.second != in.tuple.size()))
      throw std::logic_error(fmt::format("table {}: bus {} is used as {} with {} values and as {} with {}", air.name(),
                                         in.bus, it->second.first, it->second.second, in.name, in.tuple.size()));
    InteractionInfo info{in.bus, in.name, static_cast<uint32_t>(in.tuple.size()), 0, in.multiplicity.degree(),
                         roots.size(), in.kind};
    for (Sym v : in.tuple) {
      info.fingerprint_degree = std::max(info.fingerprint_degree, v.degree());
      roots.push_back(v);
    }
    roots.push_back(in.multiplicity);
    s.interactions.push_back(std::move(info));
  }
  s.interaction_values = compile(nodes, roots);
  // Every next-row cell eval created, used or folded away: a superset only opens a column more.
  std::set<uint32_t> next, fixed_next;
  for (const auto& n : nodes) {
    if (n.op == Op::next) next.insert(n.a);
    if (n.op == Op::fixed_next) fixed_next.insert(n.a);
  }
  s.next_columns.assign(next.begin(), next.end());
  s.fixed_next_columns.assign(fixed_next.begin(), fixed_next.end());
  return s;
}

std::vector<LookupValues> lookups_at(const Air& air, const Trace& trace, size_t r, std::span<const Fp> public_values) {
  const AirSummary& s = air.summary();
  std::vector<Fp> scratch(s.interaction_values.nodes.size()), values(s.interaction_values.outputs.size());
  s.interaction_values.evaluate(trace, air.fixed(), r, public_values, scratch, values);
  std::vector<LookupValues> out;
  for (const auto& in : s.interactions) {
    auto first = values.begin() + static_cast<ptrdiff_t>(in.first_output);
    out.push_back({in.bus, {first, first + in.arity}, values[in.first_output + in.arity]});
  }
  return out;
}

Air::Air() = default;
Air::~Air() = default;

const AirSummary& Air::summary() const {
  std::call_once(summary_once_, [&] { summary_ = std::make_unique<AirSummary>(summarize(*this)); });
  return *summary_;
}

const Trace& Air::fixed() const {
  std::call_once(fixed_once_, [&] {
    auto t = std::make_unique<Trace>(num_fixed() ? fixed_trace() : Trace());
    const size_t h = t->height;
    if (num_fixed() && (t->width != num_fixed() || h < 2 || (h & (h - 1)) || t->values.size() != t->width * h))
      throw std::logic_error(fmt::format("table {}: fixed trace is {} x {}, expected {} columns and a power-of-two "
                                         "height",
                                         name(), t->width, h, num_fixed()));
    fixed_ = std::move(t);
  });
  return *fixed_;
}

}  // namespace witprove::stark
