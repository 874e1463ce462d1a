#include "stark/logup.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "stark/ntt.hpp"

namespace witprove::stark::logup {
namespace {

// Degree of h · prod d_k - sum_k m_k prod_(l != k) d_l over lookups [first, last).
unsigned group_degree(std::span<const InteractionInfo> in, size_t first, size_t last) {
  unsigned sum_d = 0;
  for (size_t k = first; k < last; ++k) sum_d += std::max(in[k].fingerprint_degree, 1u);
  unsigned degree = 1 + sum_d;
  for (size_t k = first; k < last; ++k)
    degree = std::max(degree, in[k].multiplicity_degree + sum_d - std::max(in[k].fingerprint_degree, 1u));
  return degree;
}

}  // namespace

Layout layout(std::span<const InteractionInfo> interactions, unsigned max_degree) {
  Layout l;
  size_t first = 0;
  while (first < interactions.size()) {
    size_t last = first + 1;
    while (last < interactions.size() && group_degree(interactions, first, last + 1) <= max_degree) ++last;
    l.degree = std::max(l.degree, group_degree(interactions, first, last));
    l.group_end.push_back(static_cast<uint32_t>(last));
    first = last;
  }
  return l;
}

std::optional<std::string> check_buses(std::span<const AirSummary* const> tables) {
  std::map<uint32_t, const InteractionInfo*> seen;
  for (const AirSummary* t : tables)
    for (const auto& in : t->interactions) {
      auto [it, inserted] = seen.emplace(in.bus, &in);
      if (!inserted && (it->second->bus_name != in.bus_name || it->second->arity != in.arity))
        return fmt::format("bus {} is used as {} with {} values and as {} with {}", in.bus, it->second->bus_name,
                           it->second->arity, in.bus_name, in.arity);
    }
  return std::nullopt;
}

std::vector<Fp4> beta_powers(std::span<const AirSummary* const> tables, Fp4 beta) {
  size_t longest = 0;
  for (const AirSummary* t : tables)
    for (const auto& in : t->interactions) longest = std::max<size_t>(longest, in.arity);
  return powers(beta, longest + 1);
}

}  // namespace witprove::stark::logup
