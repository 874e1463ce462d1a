#include <catch2/catch.hpp>

#include "eth/forks.hpp"

using namespace witprove::eth;

TEST_CASE("Fork schedules: mainnet activation boundaries") {
  auto mainnet = known_fork_schedule(1);
  REQUIRE(mainnet);
  // Each fork's activation timestamp on mainnet (execution-specs fork criteria).
  CHECK(fork_at(*mainnet, 1681338455 - 1) == Fork::before_shanghai);
  CHECK(fork_at(*mainnet, 1681338455) == Fork::shanghai);
  CHECK(fork_at(*mainnet, 1710338135 - 1) == Fork::shanghai);
  CHECK(fork_at(*mainnet, 1710338135) == Fork::cancun);
  CHECK(fork_at(*mainnet, 1746612311 - 1) == Fork::cancun);
  CHECK(fork_at(*mainnet, 1746612311) == Fork::prague);
  CHECK(fork_at(*mainnet, 1764798551 - 1) == Fork::prague);
  CHECK(fork_at(*mainnet, 1764798551) == Fork::osaka);
}

TEST_CASE("Fork schedules: the public testnets are known, other chains are not") {
  for (uint64_t id : {11155111ull, 17000ull, 560048ull}) CHECK(known_fork_schedule(id));
  CHECK(fork_at(*known_fork_schedule(560048), 0) == Fork::cancun);  // Hoodi starts at Cancun
  CHECK_FALSE(known_fork_schedule(3151908));
  CHECK(fork_name(Fork::prague) == "prague");
}
