#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <stdexcept>

#include "stark/air.hpp"
#include "stark/symbolic.hpp"

namespace witprove::stark {
namespace {

// The fixed trace of `air` for a trace of `trace`'s height; throws std::invalid_argument when the heights
// differ.
const Trace& fixed_for(const Air& air, const Trace& trace) {
  const Trace& fixed = air.fixed();
  if (air.num_fixed() && fixed.height != trace.height)
    throw std::invalid_argument(fmt::format("table {}: {} rows, its fixed columns have {}", air.name(), trace.height,
                                            fixed.height));
  return fixed;
}

}  // namespace

std::string ConstraintFailure::to_string() const {
  return fmt::format("table {}: constraint {} fails at row {}", table, constraint, row);
}

std::optional<ConstraintFailure> check_constraints(const Air& air, const Trace& trace,
                                                   std::span<const Fp> public_values) {
  CheckFolder folder(trace, public_values, fixed_for(air, trace));
  for (size_t r = 0; r < trace.height; ++r) {
    folder.set_row(r);
    air.eval(folder);
    if (auto c = folder.first_failure()) return ConstraintFailure{air.name(), r, *c};
  }
  return std::nullopt;
}

std::optional<std::string> check_uniform(const Air& air, const Trace& trace, std::span<const Fp> public_values) {
  const AirSummary& summary = air.summary();
  CheckFolder folder(trace, public_values, fixed_for(air, trace));
  for (size_t r = 0; r < trace.height; ++r) {
    folder.set_row(r);
    air.eval(folder);
    if (folder.num_constraints() != summary.num_constraints || folder.num_lookups() != summary.interactions.size())
      return fmt::format("table {}: row {} emits {} constraints and {} lookups, the symbolic evaluation {} and {}",
                         air.name(), r, folder.num_constraints(), folder.num_lookups(), summary.num_constraints,
                         summary.interactions.size());
  }
  return std::nullopt;
}

namespace {

// Calls on_lookup(lookup, row, tuple, multiplicity) for every lookup of every row of a table's trace.
template <class OnLookup>
void for_each_lookup(const Air& air, const Trace& trace, std::span<const Fp> public_values, OnLookup&& on_lookup) {
  const AirSummary& summary = air.summary();
  if (summary.interactions.empty()) return;
  const RowProgram& program = summary.interaction_values;
  const Trace& fixed = fixed_for(air, trace);
  std::vector<Fp> scratch(program.nodes.size()), values(program.outputs.size());
  for (size_t r = 0; r < trace.height; ++r) {
    program.evaluate(trace, fixed, r, public_values, scratch, values);
    for (const auto& in : summary.interactions)
      on_lookup(in, r, std::span<const Fp>(values.data() + in.first_output, in.arity),
                values[in.first_output + in.arity]);
  }
}

using TupleKey = std::pair<uint32_t, std::vector<uint64_t>>;  // bus, tuple

TupleKey key_of(uint32_t bus, std::span<const Fp> tuple) {
  TupleKey key{bus, std::vector<uint64_t>(tuple.size())};
  for (size_t j = 0; j < tuple.size(); ++j) key.second[j] = tuple[j].value();
  return key;
}

}  // namespace

std::optional<std::string> check_lookups(std::span<const TableInstance> tables) {
  std::map<TupleKey, Fp> balance;  // net multiplicity
  std::map<uint32_t, std::string> names;
  for (const auto& t : tables)
    for_each_lookup(*t.air, *t.trace, t.public_values,
                    [&](const InteractionInfo& in, size_t, std::span<const Fp> tuple, Fp m) {
                      if (m.is_zero()) return;
                      balance[key_of(in.bus, tuple)] += m;
                      names.emplace(in.bus, in.bus_name);
                    });
  for (const auto& [key, m] : balance) {
    if (m.is_zero()) continue;
    std::string tuple;
    for (size_t i = 0; i < key.second.size() && i < 8; ++i) tuple += fmt::format("{}{}", i ? "," : "", key.second[i]);
    return fmt::format("bus {} does not balance: tuple ({}{}) has net multiplicity {}", names[key.first], tuple,
                       key.second.size() > 8 ? ",..." : "", m.value());
  }
  return std::nullopt;
}

void count_multiplicities(std::span<const Air* const> airs, std::span<Trace> traces,
                          std::span<const std::vector<Fp>> public_values) {
  if (traces.size() != airs.size() || public_values.size() != airs.size())
    throw std::invalid_argument("count_multiplicities: one trace and one list of public values per table");
  for (size_t t = 0; t < airs.size(); ++t)
    if (traces[t].width != airs[t]->width() || traces[t].values.size() != traces[t].width * traces[t].height)
      throw std::invalid_argument(fmt::format("table {}: trace width {} does not match the AIR's {}", airs[t]->name(),
                                              traces[t].width, airs[t]->width()));
  auto has = [&](size_t t, auto&& pred) {
    const auto& lookups = airs[t]->summary().interactions;
    return std::any_of(lookups.begin(), lookups.end(), pred);
  };

  // The counted receives: (bus, tuple) -> the receiving table, row and column (first row holding it).
  struct Slot {
    size_t table, row;
    uint32_t column;
  };
  std::map<TupleKey, Slot> slots;
  std::map<uint32_t, bool> counted_bus;
  for (size_t t = 0; t < airs.size(); ++t) {
    if (!has(t, [](const InteractionInfo& in) { return in.kind.direction == Direction::receive_counted; })) continue;
    for (const auto& in : airs[t]->summary().interactions)
      if (in.kind.direction == Direction::receive_counted) {
        counted_bus[in.bus] = true;
        for (size_t r = 0; r < traces[t].height; ++r) traces[t].at(r, in.kind.counted_column) = Fp();
      }
    for_each_lookup(*airs[t], traces[t], public_values[t],
                    [&](const InteractionInfo& in, size_t r, std::span<const Fp> tuple, Fp) {
                      if (in.kind.direction == Direction::receive_counted)
                        slots.emplace(key_of(in.bus, tuple), Slot{t, r, in.kind.counted_column});
                    });
  }
  // The sends on those buses, counted into the slots.
  auto counted_send = [&](const InteractionInfo& in) {
    return in.kind.direction == Direction::send && counted_bus.count(in.bus);
  };
  for (size_t t = 0; t < airs.size(); ++t) {
    if (!has(t, counted_send)) continue;
    for_each_lookup(*airs[t], traces[t], public_values[t],
                    [&](const InteractionInfo& in, size_t, std::span<const Fp> tuple, Fp m) {
                      if (!counted_send(in) || m.is_zero()) return;
                      auto it = slots.find(key_of(in.bus, tuple));
                      if (it == slots.end())
                        throw std::invalid_argument(fmt::format("bus {}: table {} sends a tuple no table receives",
                                                                in.bus_name, airs[t]->name()));
                      traces[it->second.table].at(it->second.row, it->second.column) += m;
                    });
  }
}

}  // namespace witprove::stark
