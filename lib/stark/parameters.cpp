// The parameter sets a verifier accepts, and the checks any parameters must pass.
#include <fmt/format.h>

#include "stark/protocol.hpp"
#include "stark/stark.hpp"

namespace witprove::stark {

namespace {
constexpr ParameterSet known_parameter_sets[] = {
    {"compact", {.log_blowup = 3, .num_queries = 27, .grinding_bits = 19, .log_fri_arity = 3, .log_final_poly_len = 3}},
    {"fast", {.log_blowup = 1, .num_queries = 84, .grinding_bits = 16, .log_fri_arity = 3, .log_final_poly_len = 3}},
};
}  // namespace

std::span<const ParameterSet> parameter_sets() { return known_parameter_sets; }

const ParameterSet* find_parameter_set(std::string_view name) {
  for (const ParameterSet& set : known_parameter_sets)
    if (set.name == name) return &set;
  return nullptr;
}

const ParameterSet* parameter_set_of(const StarkParams& params) {
  for (const ParameterSet& set : known_parameter_sets)
    if (set.params == params) return &set;
  return nullptr;
}

std::optional<std::string> validate(const StarkParams& p) {
  if (p.log_blowup < 1 || p.log_blowup > 6) return fmt::format("log_blowup {} is outside [1, 6]", p.log_blowup);
  if (p.num_queries < 1 || p.num_queries > 255) return fmt::format("num_queries {} is outside [1, 255]", p.num_queries);
  if (p.grinding_bits > 30) return fmt::format("grinding_bits {} is above 30", p.grinding_bits);
  if (p.log_fri_arity < 1 || p.log_fri_arity > protocol::kMaxLogArity)
    return fmt::format("log_fri_arity {} is outside [1, {}]", p.log_fri_arity, protocol::kMaxLogArity);
  if (p.log_final_poly_len > 10) return fmt::format("log_final_poly_len {} is above 10", p.log_final_poly_len);
  return std::nullopt;
}

}  // namespace witprove::stark
