// Ethereum forks from Shanghai on, as far as they change what a block does to the state outside its
// transactions, and when each activates on the public chains (by block timestamp, EIP-6122 style).
// Sources: the execution-specs fork criteria and each network's published schedule.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace witprove::eth {

// In activation order. Osaka (EIP-7607) and the blob-parameter forks add no system-level state writes, so
// their blocks follow Prague's rules; Osaka is named so that reports say which fork a block is in.
enum class Fork : uint8_t {
  before_shanghai,  // Paris or earlier: not supported (no withdrawals; proof-of-work rewards before Paris)
  shanghai,         // EIP-4895 withdrawals
  cancun,           // EIP-4788 beacon roots write; EIP-4844 blob fields in the header
  prague,           // EIP-2935 history write; EIP-7002 / EIP-7251 request queue system calls
  osaka,            // no change to the state rules
};

std::string_view fork_name(Fork fork);

// Activation timestamps (seconds) of the forks on one chain.
struct ForkSchedule {
  uint64_t chain_id = 0;
  std::string_view chain_name;
  uint64_t shanghai = 0;
  uint64_t cancun = 0;
  uint64_t prague = 0;
  uint64_t osaka = 0;
};

// Mainnet (1), Sepolia (11155111), Holesky (17000) and Hoodi (560048); nullopt for any other chain.
std::optional<ForkSchedule> known_fork_schedule(uint64_t chain_id);

// The fork in force at `timestamp` under `schedule`.
Fork fork_at(const ForkSchedule& schedule, uint64_t timestamp);

}  // namespace witprove::eth
