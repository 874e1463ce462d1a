#include <fmt/format.h>

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

std::optional<std::string> check_lookups(std::span<const TableInstance> tables) {
  // (bus, tuple) -> net multiplicity
  std::map<std::pair<uint32_t, std::vector<uint64_t>>, Fp> balance;
  std::map<uint32_t, std::string> names;
  for (const auto& t : tables) {
    const AirSummary& summary = t.air->summary();
    const RowProgram& program = summary.interaction_values;
    const Trace& fixed = fixed_for(*t.air, *t.trace);
    std::vector<Fp> scratch(program.nodes.size()), values(program.outputs.size());
    for (size_t r = 0; r < t.trace->height && !summary.interactions.empty(); ++r) {
      program.evaluate(*t.trace, fixed, r, t.public_values, scratch, values);
      for (const auto& in : summary.interactions) {
        Fp m = values[in.first_output + in.arity];
        if (m.is_zero()) continue;
        std::vector<uint64_t> key;
        key.reserve(in.arity);
        for (size_t j = 0; j < in.arity; ++j) key.push_back(values[in.first_output + j].value());
        balance[{in.bus, std::move(key)}] += m;
        names.emplace(in.bus, in.bus_name);
      }
    }
  }
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
  // The counted receives: (bus, tuple) -> the receiving table, row and column (first row holding it).
  struct Slot {
    size_t table, row;
    uint32_t column;
  };
  std::map<std::pair<uint32_t, std::vector<uint64_t>>, Slot> slots;
  std::map<uint32_t, bool> counted_bus;
  if (traces.size() != airs.size() || public_values.size() != airs.size())
    throw std::invalid_argument("count_multiplicities: one trace and one list of public values per table");
  for (size_t t = 0; t < airs.size(); ++t)
    if (traces[t].width != airs[t]->width() || traces[t].values.size() != traces[t].width * traces[t].height)
      throw std::invalid_argument(fmt::format("table {}: trace width {} does not match the AIR's {}", airs[t]->name(),
                                              traces[t].width, airs[t]->width()));
  auto for_each_lookup = [&](size_t t, auto&& on_lookup) {
    const AirSummary& summary = airs[t]->summary();
    const RowProgram& program = summary.interaction_values;
    const Trace& fixed = fixed_for(*airs[t], traces[t]);
    std::vector<Fp> scratch(program.nodes.size()), values(program.outputs.size());
    for (size_t r = 0; r < traces[t].height && !summary.interactions.empty(); ++r) {
      program.evaluate(traces[t], fixed, r, public_values[t], scratch, values);
      for (const auto& in : summary.interactions) {
        std::vector<uint64_t> key(in.arity);
        for (size_t j = 0; j < in.arity; ++j) key[j] = values[in.first_output + j].value();
        on_lookup(in, r, std::move(key), values[in.first_output + in.arity]);
      }
    }
  };
  for (size_t t = 0; t < airs.size(); ++t) {
    for (const auto& in : airs[t]->summary().interactions)
      if (in.kind.direction == Direction::receive_counted) {
        counted_bus[in.bus] = true;
        for (size_t r = 0; r < traces[t].height; ++r) traces[t].at(r, in.kind.counted_column) = Fp();
      }
    for_each_lookup(t, [&](const InteractionInfo& in, size_t r, std::vector<uint64_t> key, Fp) {
      if (in.kind.direction == Direction::receive_counted) slots.emplace(std::pair{in.bus, std::move(key)}, Slot{t, r, in.kind.counted_column});
    });
  }
  for (size_t t = 0; t < airs.size(); ++t)
    for_each_lookup(t, [&](const InteractionInfo& in, size_t, std::vector<uint64_t> key, Fp m) {
      if (in.kind.direction != Direction::send || m.is_zero() || !counted_bus.count(in.bus)) return;
      auto it = slots.find({in.bus, key});
      if (it == slots.end())
        throw std::invalid_argument(fmt::format("bus {}: table {} sends a tuple no table receives", in.bus_name,
                                                airs[t]->name()));
      traces[it->second.table].at(it->second.row, it->second.column) += m;
    });
}

}  // namespace witprove::stark
