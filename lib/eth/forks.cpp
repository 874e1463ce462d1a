#include "eth/forks.hpp"

namespace witprove::eth {

namespace {

constexpr ForkSchedule known_schedules[] = {
    {1, "mainnet", 1681338455, 1710338135, 1746612311, 1764798551},
    {11155111, "sepolia", 1677557088, 1706655072, 1741159776, 1760427360},
    {17000, "holesky", 1696000704, 1707305664, 1740434112, 1759308480},
    {560048, "hoodi", 0, 0, 1742999832, 1761677592},  // Shanghai and Cancun from genesis
};

}  // namespace

std::string_view fork_name(Fork fork) {
  switch (fork) {
    case Fork::before_shanghai: return "before-shanghai";
    case Fork::shanghai: return "shanghai";
    case Fork::cancun: return "cancun";
    case Fork::prague: return "prague";
    case Fork::osaka: return "osaka";
  }
  return "unknown";
}

std::optional<ForkSchedule> known_fork_schedule(uint64_t chain_id) {
  for (const ForkSchedule& s : known_schedules)
    if (s.chain_id == chain_id) return s;
  return std::nullopt;
}

Fork fork_at(const ForkSchedule& schedule, uint64_t timestamp) {
  if (timestamp >= schedule.osaka) return Fork::osaka;
  if (timestamp >= schedule.prague) return Fork::prague;
  if (timestamp >= schedule.cancun) return Fork::cancun;
  if (timestamp >= schedule.shanghai) return Fork::shanghai;
  return Fork::before_shanghai;
}

}  // namespace witprove::eth
