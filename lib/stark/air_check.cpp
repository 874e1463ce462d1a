#include <fmt/format.h>

#include <map>

#include "stark/air.hpp"

namespace witprove::stark {

std::string ConstraintFailure::to_string() const {
  return fmt::format("table {}: constraint {} fails at row {}", table, constraint, row);
}

std::optional<ConstraintFailure> check_constraints(const Air& air, const Trace& trace,
                                                   std::span<const Fp> public_values) {
  CheckFolder folder(trace, public_values);
  for (size_t r = 0; r < trace.height; ++r) {
    folder.set_row(r);
    air.eval(folder);
    if (auto c = folder.first_failure()) return ConstraintFailure{air.name(), r, *c};
  }
  return std::nullopt;
}

std::optional<std::string> check_lookups(std::span<const TableInstance> tables) {
  // (bus, tuple) -> net multiplicity
  std::map<std::pair<uint32_t, std::vector<uint64_t>>, Fp> balance;
  for (const auto& t : tables) {
    for (const auto& inter : t.air->interactions()) {
      for (size_t r = 0; r < t.trace->height; ++r) {
        auto row = t.trace->row(r);
        Fp m = inter.multiplicity.evaluate(row);
        if (m.is_zero()) continue;
        std::vector<uint64_t> key;
        key.reserve(inter.values.size());
        for (const auto& v : inter.values) key.push_back(v.evaluate(row).value());
        balance[{inter.bus, std::move(key)}] += m;
      }
    }
  }
  for (const auto& [key, m] : balance) {
    if (m.is_zero()) continue;
    std::string tuple;
    for (size_t i = 0; i < key.second.size() && i < 8; ++i) tuple += fmt::format("{}{}", i ? "," : "", key.second[i]);
    return fmt::format("bus {} does not balance: tuple ({}{}) has net multiplicity {}", key.first, tuple,
                       key.second.size() > 8 ? ",..." : "", m.value());
  }
  return std::nullopt;
}

}  // namespace witprove::stark
