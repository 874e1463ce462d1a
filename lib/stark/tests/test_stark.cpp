#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <filesystem>

#include <random>

#include "stark/pcs.hpp"
#include "stark/protocol.hpp"
#include "stark/symbolic.hpp"
#include "test_airs.hpp"

using namespace witprove::stark;
using namespace witprove::stark::test;

namespace {

ByteView bytes_of(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

StarkParams test_params() {
  StarkParams p;
  p.num_queries = 12;  // small proofs keep the byte-flipping test fast; soundness does not depend on it here
  p.grinding_bits = 4;
  p.check_trace = true;
  return p;
}

struct Fixture {
  AirAdapter<CubeSenderAir> sender{CubeSenderAir{}};
  AirAdapter<CubeTableAir> table{CubeTableAir{}};
  AirAdapter<FibonacciAir> fib{FibonacciAir{}};
  CubePair pair;
  Trace fib_trace;
  std::vector<Fp> fib_publics;
  std::vector<const Air*> airs;
  std::vector<std::vector<Fp>> publics;

  explicit Fixture(size_t sender_height = 64, size_t table_height = 16, size_t fib_height = 32)
      : pair(cube_pair(sender_height, table_height, 6, 9)) {
    fib_trace = fibonacci_trace(fib_height, fib_publics);
    airs = {&sender, &table, &fib};
    publics = {{}, {}, fib_publics};
  }
  std::vector<TableInstance> instances() const {
    return {{&sender, &pair.sender, {}}, {&table, &pair.table, {}}, {&fib, &fib_trace, fib_publics}};
  }
  Proof prove(const StarkParams& p, std::string_view statement = "test") const {
    auto in = instances();
    return witprove::stark::prove(in, p, bytes_of(statement));
  }
  std::optional<std::string> verify(const Proof& proof, const StarkParams& p, std::string_view statement = "test") const {
    return witprove::stark::verify(airs, publics, proof, p, bytes_of(statement));
  }
};

}  // namespace

TEST_CASE("Fibonacci proves and verifies at several sizes and parameters") {
  AirAdapter<FibonacciAir> fib{FibonacciAir{}};
  const Air* airs[] = {&fib};
  for (size_t log_h : {1u, 2u, 5u, 10u}) {
    for (auto [log_blowup, log_arity, log_final] : {std::tuple{1u, 1u, 0u}, {2u, 2u, 1u}, {3u, 3u, 3u}, {2u, 4u, 2u}}) {
      StarkParams p = test_params();
      p.log_blowup = log_blowup;
      p.log_fri_arity = log_arity;
      p.log_final_poly_len = log_final;
      std::vector<Fp> publics;
      Trace t = fibonacci_trace(size_t{1} << log_h, publics);
      std::vector<TableInstance> in{{&fib, &t, publics}};
      Proof proof = prove(in, p, bytes_of("fib"));
      std::vector<std::vector<Fp>> pv{publics};
      INFO("log_h " << log_h << " blowup " << log_blowup << " arity " << log_arity);
      CHECK(verify(airs, pv, proof, p, bytes_of("fib")) == std::nullopt);
      auto decoded = deserialize(serialize(proof), p);
      REQUIRE(std::holds_alternative<Proof>(decoded));
      CHECK(serialize(std::get<Proof>(decoded)) == serialize(proof));
    }
  }
}

TEST_CASE("heights whose LDE would not fit the field's 2^24-point subgroup are refused by prover and verifier") {
  AirAdapter<FibonacciAir> fib{FibonacciAir{}};
  const Air* airs[] = {&fib};
  StarkParams p = test_params();
  p.log_blowup = 3;
  p.check_trace = false;
  const unsigned too_high = kTwoAdicity - p.log_blowup + 1;  // 2^22 rows: an LDE of 2^25 points
  // The prover refuses the trace before committing anything.
  std::vector<Fp> publics;
  Trace t = fibonacci_trace(size_t{1} << too_high, publics);
  std::vector<TableInstance> in{{&fib, &t, publics}};
  CHECK_THROWS_WITH(prove(in, p, bytes_of("fib")), Catch::Contains("is not a power of two in [2, 2^21]"));
  // The verifier and the decoder refuse a proof that claims that height.
  Trace small = fibonacci_trace(32, publics);
  std::vector<TableInstance> ok{{&fib, &small, publics}};
  Proof proof = prove(ok, p, bytes_of("fib"));
  std::vector<std::vector<Fp>> pv{publics};
  REQUIRE(verify(airs, pv, proof, p, bytes_of("fib")) == std::nullopt);
  proof.tables[0].log_height = too_high;
  CHECK_THAT(verify(airs, pv, proof, p, bytes_of("fib")).value_or(""), Catch::Contains("height 2^22 out of range"));
  CHECK_THAT(std::get<std::string>(deserialize(serialize(proof), p)), Catch::Contains("table height 2^22 out of range"));
}

TEST_CASE("multi-table proof with lookups at mixed heights verifies") {
  for (auto [s, t, f] : {std::tuple{size_t{64}, size_t{16}, size_t{32}}, {size_t{8}, size_t{256}, size_t{4}},
                         {size_t{1024}, size_t{64}, size_t{1024}}}) {
    Fixture fx(s, t, f);
    Proof proof = fx.prove(test_params());
    INFO("heights " << s << " " << t << " " << f);
    CHECK(fx.verify(proof, test_params()) == std::nullopt);
    CHECK(proof.tables[0].aux_root.has_value());
    CHECK_FALSE(proof.tables[2].aux_root.has_value());
    CHECK(proof.tables[0].lookup_sum + proof.tables[1].lookup_sum == Fp4());
  }
}

TEST_CASE("proving is deterministic") {
  Fixture fx;
  CHECK(serialize(fx.prove(test_params())) == serialize(fx.prove(test_params())));
}

TEST_CASE("a fixed statement's proof has the same bytes in every build (AVX-512, AVX2 or portable)") {
  // The arithmetic is exact, so the lane width, the thread count and the compiler must not change a byte.
  // CI checks this digest in its release build (the machine's level: x86-64-v4 where it has AVX-512) and
  // in its sanitized build (x86-64-v3); the portable build (-DWITPROVE_PORTABLE=ON) gave it too when last
  // run. A change of the proof format or the transcript changes it on purpose.
  const std::vector<uint8_t> bytes = serialize(Fixture().prove(test_params()));
  const Digest d = sha256(bytes);
  std::string hex;
  for (uint8_t b : d) hex += fmt::format("{:02x}", b);
  INFO(bytes.size() << " proof bytes");
  CHECK(hex == "e9e0e1f7d9c13fe1e83a0464747060da76f8c863e1789a0719ab99e20933914e");
}

TEST_CASE("one wrong cell fails the check and does not yield a verifying proof") {
  std::mt19937_64 rng(11);
  StarkParams unchecked = test_params();
  unchecked.check_trace = false;
  for (int trial = 0; trial < 24; ++trial) {
    Fixture fx;
    // Corrupt one cell of one table (any column: values, cubes, multiplicities, Fibonacci state).
    int which = trial % 3;
    Trace& t = which == 0 ? fx.pair.sender : which == 1 ? fx.pair.table : fx.fib_trace;
    size_t r = rng() % t.height, c = rng() % t.width;
    t.at(r, c) += Fp(1 + rng() % 1000);
    auto in = fx.instances();
    bool constraint_fail = check_constraints(*in[which].air, t, in[which].public_values).has_value();
    bool lookup_fail = check_lookups(in).has_value();
    INFO("table " << which << " row " << r << " column " << c);
    CHECK((constraint_fail || lookup_fail));
    CHECK_THROWS_AS(fx.prove(test_params()), ProveError);
    Proof bad = fx.prove(unchecked);
    CHECK(fx.verify(bad, unchecked).has_value());
  }
}

TEST_CASE("check_constraints names the table, row and constraint") {
  Fixture fx;
  fx.fib_trace.at(5, 1) += Fp::one();
  auto f = check_constraints(fx.fib, fx.fib_trace, fx.fib_publics);
  REQUIRE(f);
  CHECK(f->table == "fibonacci");
  CHECK(f->row == 4);         // row 4's transition to row 5 breaks first
  CHECK(f->constraint == 3);  // b' = a + b
}

TEST_CASE("changed public values, parameters or statement are rejected") {
  Fixture fx;
  StarkParams p = test_params();
  Proof proof = fx.prove(p);
  REQUIRE(fx.verify(proof, p) == std::nullopt);
  CHECK(fx.verify(proof, p, "other statement").has_value());
  for (size_t i = 0; i < 3; ++i) {
    auto saved = fx.publics[2][i];
    fx.publics[2][i] += Fp::one();
    CHECK(fx.verify(proof, p).has_value());
    fx.publics[2][i] = saved;
  }
  for (int k = 0; k < 5; ++k) {
    StarkParams q = p;
    if (k == 0) q.log_blowup = 2;
    if (k == 1) q.num_queries = 13;
    if (k == 2) q.grinding_bits = 3;
    if (k == 3) q.log_fri_arity = 2;
    if (k == 4) q.log_final_poly_len = 2;
    CHECK(fx.verify(proof, q).has_value());
  }
  // Tables in another order, or an AIR missing.
  std::vector<const Air*> swapped{fx.airs[1], fx.airs[0], fx.airs[2]};
  CHECK(verify(swapped, fx.publics, proof, p, bytes_of("test")).has_value());
  std::vector<const Air*> fewer{fx.airs[0], fx.airs[1]};
  std::vector<std::vector<Fp>> fewer_publics{{}, {}};
  CHECK(verify(fewer, fewer_publics, proof, p, bytes_of("test")).has_value());
}

TEST_CASE("flipping any byte of a serialized proof makes it rejected") {
  Fixture fx(32, 16, 16);
  StarkParams p = test_params();
  std::vector<uint8_t> bytes = serialize(fx.prove(p));
  std::mt19937_64 rng(12);
  size_t rejected = 0, trials = 3000;
  for (size_t i = 0; i < trials; ++i) {
    auto copy = bytes;
    size_t pos = i < bytes.size() && i < 500 ? i : rng() % bytes.size();
    copy[pos] ^= static_cast<uint8_t>(1 + rng() % 255);
    auto decoded = deserialize(copy, p);
    if (auto* err = std::get_if<std::string>(&decoded)) {
      CHECK(!err->empty());
      ++rejected;
    } else if (fx.verify(std::get<Proof>(decoded), p)) {
      ++rejected;
    } else {
      FAIL("a proof with byte " << pos << " changed still verifies");
    }
  }
  CHECK(rejected == trials);
}

TEST_CASE("malformed proofs are rejected with an error, never a crash") {
  Fixture fx(16, 8, 8);
  StarkParams p = test_params();
  std::vector<uint8_t> bytes = serialize(fx.prove(p));
  // Every truncation.
  for (size_t len = 0; len < bytes.size(); len += 1 + len / 64) {
    auto r = deserialize(ByteView(bytes.data(), len), p);
    REQUIRE(std::holds_alternative<std::string>(r));
  }
  // Trailing bytes.
  auto longer = bytes;
  longer.push_back(0);
  CHECK(std::get<std::string>(deserialize(longer, p)).find("trailing") != std::string::npos);
  // A non-canonical field element (the first table's lookup sum).
  auto noncanonical = bytes;
  size_t lookup_sum_at = 4 + 4 + 32 + 1 + 32;
  for (size_t i = 0; i < 8; ++i) noncanonical[lookup_sum_at + i] = 0xFF;
  CHECK(std::get<std::string>(deserialize(noncanonical, p)).find("non-canonical") != std::string::npos);
  // Huge counts do not allocate.
  std::vector<uint8_t> huge{0xFF, 0xFF, 0xFF, 0x7F};
  CHECK(std::holds_alternative<std::string>(deserialize(huge, p)));
  // Random garbage.
  std::mt19937_64 rng(13);
  for (int i = 0; i < 200; ++i) {
    std::vector<uint8_t> junk(rng() % 2000);
    for (auto& b : junk) b = static_cast<uint8_t>(rng());
    if (!junk.empty()) junk[0] = static_cast<uint8_t>(rng() % 4);
    auto r = deserialize(junk, p);
    if (auto* proof = std::get_if<Proof>(&r)) CHECK(fx.verify(*proof, p).has_value());
  }
  // Structurally valid but wrong shapes.
  Proof proof = std::get<Proof>(deserialize(bytes, p));
  auto mutate = [&](auto&& f) {
    Proof q = proof;
    f(q);
    CHECK(fx.verify(q, p).has_value());
  };
  mutate([](Proof& q) { q.tables.pop_back(); });
  mutate([](Proof& q) { q.tables[0].main_local.pop_back(); });
  mutate([](Proof& q) { q.tables[0].main_opening.rows[0].pop_back(); });
  mutate([](Proof& q) { q.tables[0].main_opening.rows.pop_back(); });
  mutate([](Proof& q) { q.tables[1].log_height += 1; });
  mutate([](Proof& q) { q.tables[1].log_height = 40; });
  mutate([](Proof& q) { q.tables[2].aux_root = Digest{}; });
  mutate([](Proof& q) { q.tables[0].aux_root.reset(); });
  mutate([](Proof& q) { q.fri.final_poly.push_back(Fp4()); });
  mutate([](Proof& q) { q.fri.layer_openings.pop_back(); });
  mutate([](Proof& q) { q.fri.layer_roots.clear(); });
}

TEST_CASE("parameters are validated and the default meets 100 bits") {
  StarkParams p;
  CHECK(p.conjectured_security_bits() >= 100);
  CHECK(validate(p) == std::nullopt);
  p.log_blowup = 0;
  CHECK(validate(p).has_value());
  Fixture fx;
  auto in = fx.instances();
  StarkParams low;
  low.log_blowup = 1;
  low.check_trace = false;
  // Degree-3 constraints need two quotient chunks: the quotient domain is then the whole LDE.
  Proof proof = prove(in, low, bytes_of("x"));
  CHECK(verify(fx.airs, fx.publics, proof, low, bytes_of("x")) == std::nullopt);
}

namespace {
// Sends (x) on bus 7 from every row; another table receives (x, 0) on bus 7, a tuple of another length.
struct SendOneAir {
  std::string name() const { return "send-one"; }
  size_t width() const { return 1; }
  size_t num_public_values() const { return 0; }
  template <class F>
  void eval(F& f) const {
    f.send(Bus<1>{7, "test.seven"}, std::array{f.local(0)}, Fp::one());
  }
};
struct ReceiveTwoAir {
  std::string name() const { return "receive-two"; }
  size_t width() const { return 2; }
  size_t num_public_values() const { return 0; }
  template <class F>
  void eval(F& f) const {
    using Var = typename F::Var;
    f.receive(Bus<2>{7, "test.seven"}, std::array{f.local(0), Var(Fp())}, f.local(1));
  }
};
}  // namespace

TEST_CASE("one bus id with two tuple lengths is refused by prover and verifier") {
  AirAdapter<SendOneAir> send{SendOneAir{}};
  AirAdapter<ReceiveTwoAir> receive{ReceiveTwoAir{}};
  Trace s(1, 8), r(2, 8);
  for (size_t i = 0; i < 8; ++i) {
    s.at(i, 0) = Fp(i * 3);
    r.at(i, 0) = Fp(i * 3);
    r.at(i, 1) = Fp::one();
  }
  std::vector<TableInstance> in{{&send, &s, {}}, {&receive, &r, {}}};
  StarkParams p = test_params();
  p.check_trace = false;
  CHECK_THROWS_WITH(prove(in, p, bytes_of("t")), Catch::Contains("bus 7 is used as test.seven with 1 values"));
  // The verifier refuses the pair from the AIRs alone, whatever the proof.
  const Air* airs[] = {&send, &receive};
  std::vector<std::vector<Fp>> publics(2);
  Proof proof;
  proof.tables.resize(2);
  auto error = verify(airs, publics, proof, p, bytes_of("t"));
  REQUIRE(error.has_value());
  CHECK_THAT(*error, Catch::Contains("bus 7 is used as test.seven with 1 values and as test.seven with 2"));
}

TEST_CASE("symbolic evaluation derives each table's constraints, degree and lookups") {
  Fixture fx;
  const AirSummary& fib = fx.fib.summary();
  CHECK(fib.num_constraints == 5);
  CHECK(fib.constraint_degree == 2);  // selector times a cell
  CHECK(fib.interactions.empty());

  const AirSummary& sender = fx.sender.summary();
  CHECK(sender.num_constraints == 2 + 6);
  CHECK(sender.constraint_degree == 3);  // x^3
  REQUIRE(sender.interactions.size() == 2);
  CHECK(sender.interactions[0].bus == cube_bus.id);
  CHECK(sender.interactions[0].bus_name == "test.cube");
  CHECK(sender.interactions[0].arity == 2);
  CHECK(sender.interactions[0].fingerprint_degree == 1);
  CHECK(sender.interactions[0].multiplicity_degree == 0);
  // Two fractions share one auxiliary column: h d1 d2 - d2 - d1 has degree 3, within the table's.
  auto shape = protocol::table_shape(fx.sender);
  CHECK(shape.layout.group_end == std::vector<uint32_t>{2});
  CHECK(shape.aux_width == 2 * Fp4::D);
  CHECK(shape.num_constraints == sender.num_constraints + 2);
  // The next-row masks: the columns each table's constraints read on the next row, and the running sum.
  CHECK(fib.next_columns == std::vector<uint32_t>{0, 1});
  CHECK(sender.next_columns.empty());
  CHECK(fx.table.summary().next_columns == std::vector<uint32_t>{0});
  CHECK(shape.aux_next == std::vector<uint32_t>{4, 5, 6, 7});

  // Each table emits the same constraints and lookups on every row.
  for (const auto& t : fx.instances()) CHECK(check_uniform(*t.air, *t.trace, t.public_values) == std::nullopt);
}

TEST_CASE("at zeta·w only the columns read on the next row are opened, and changing any one is rejected") {
  Fixture fx(16, 8, 8);
  const StarkParams p = test_params();
  const Proof proof = fx.prove(p);
  CHECK(proof.tables[0].main_next.empty());  // the sender reads no next row
  CHECK(proof.tables[1].main_next.size() == 1);
  CHECK(proof.tables[2].main_next.size() == 2);
  CHECK(proof.tables[0].aux_next.size() == Fp4::D);  // the running sum
  REQUIRE(fx.verify(proof, p) == std::nullopt);
  // A value for every column (the layout of format version 6) is refused by its shape.
  Proof every = proof;
  every.tables[2].main_next.push_back(Fp4());
  auto error = fx.verify(every, p);
  REQUIRE(error.has_value());
  CHECK_THAT(*error, Catch::Contains("wrong number of out-of-domain values"));
  // Changing any opened next-row value is rejected (its DEEP term binds it: tested in test_pcs.cpp).
  for (size_t t = 0; t < proof.tables.size(); ++t)
    for (auto member : {&TableProof::main_next, &TableProof::aux_next})
      for (size_t j = 0; j < (proof.tables[t].*member).size(); ++j) {
        Proof q = proof;
        (q.tables[t].*member)[j] += Fp4::one();
        CHECK(fx.verify(q, p).has_value());
      }
}

namespace {
// Claims (x, y) with y = x^3 by sending it to the cube table, y itself unconstrained: by the LogUp
// soundness rule the multiplicity must then be constrained, here to be boolean.
struct ClaimAir {
  bool constrain_multiplicity = true;
  std::string name() const { return "claims"; }
  size_t width() const { return 3; }
  size_t num_public_values() const { return 0; }
  template <class F>
  void eval(F& f) const {
    if (constrain_multiplicity) f.assert_bool(f.local(2));
    f.send(cube_bus, std::array{f.local(0), f.local(1)}, f.local(2));
  }
};

// A forged claim (2, 9) sent with multiplicity 1 on one row and -1 on the next: the bus balances without
// the cube table ever receiving it. Returns the verifier's answer on the proof of it.
std::optional<std::string> forged_claim_verdict(bool constrain_multiplicity) {
  AirAdapter<ClaimAir> claims{ClaimAir{constrain_multiplicity}};
  AirAdapter<CubeTableAir> table{CubeTableAir{}};
  Trace c(3, 8), t(4, 16);
  c.at(0, 0) = c.at(1, 0) = Fp(2);
  c.at(0, 1) = c.at(1, 1) = Fp(9);
  c.at(0, 2) = Fp::one();
  c.at(1, 2) = -Fp::one();
  for (size_t r = 0; r < t.height; ++r) {
    t.at(r, 0) = Fp(r);
    t.at(r, 1) = Fp(r) * Fp(r) * Fp(r);
  }
  std::vector<TableInstance> in{{&claims, &c, {}}, {&table, &t, {}}};
  REQUIRE(check_lookups(in) == std::nullopt);  // the forgery balances
  StarkParams p = test_params();
  p.check_trace = false;
  Proof proof = prove(in, p, bytes_of("claims"));
  const Air* airs[] = {&claims, &table};
  std::vector<std::vector<Fp>> publics(2);
  return verify(airs, publics, proof, p, bytes_of("claims"));
}
}  // namespace

TEST_CASE("LogUp: a constrained multiplicity stops m and -m from carrying a forged tuple") {
  auto verdict = forged_claim_verdict(true);
  REQUIRE(verdict.has_value());
  CHECK_THAT(*verdict, Catch::Contains("claims: constraints do not match the quotient"));
}

TEST_CASE("LogUp: with a free multiplicity m and -m carry a forged tuple (why the rule exists)") {
  // The engine cannot tell which tuples a table constrains: the rule is the AIR author's to follow.
  CHECK(forged_claim_verdict(false) == std::nullopt);
}

TEST_CASE("count_multiplicities fills a lookup table's counts from what the senders sent") {
  Fixture fx;
  std::vector<Trace> traces{fx.pair.sender, fx.pair.table};
  for (size_t r = 0; r < traces[1].height; ++r) traces[1].at(r, 2) = traces[1].at(r, 3) = Fp(12345);  // stale
  const Air* airs[] = {&fx.sender, &fx.table};
  std::vector<std::vector<Fp>> publics(2);
  count_multiplicities(airs, traces, publics);
  CHECK(traces[1].values == fx.pair.table.values);  // the counts cube_pair made by hand

  // A sent tuple that no row receives is named.
  traces[0].at(3, 0) = Fp(1000);
  traces[0].at(3, 1) = Fp(1000) * Fp(1000) * Fp(1000);
  CHECK_THROWS_WITH(count_multiplicities(airs, traces, publics),
                    Catch::Contains("bus test.cube: table cube-sender sends a tuple no table receives"));
}

namespace {
inline constexpr Bus<1> byte_bus{3, "test.byte"};

// The bytes 0..255 as a fixed column (so the table has 256 rows), received with counted multiplicities: a
// value sent on byte_bus is a byte. `offset` makes a forged variant whose fixed column is shifted.
struct ByteRangeAir {
  uint64_t offset = 0;
  std::string name() const { return "byte-range"; }
  size_t width() const { return 1; }
  size_t num_public_values() const { return 0; }
  size_t num_fixed() const { return 1; }
  Trace fixed_trace() const {
    Trace t(1, 256);
    for (size_t r = 0; r < 256; ++r) t.at(r, 0) = Fp(r + offset);
    return t;
  }
  template <class F>
  void eval(F& f) const {
    f.receive_counted(byte_bus, std::array{f.fixed(0)}, 0);
  }
};

// Sends every value of its column as a byte, or (on_transitions) every value but the last row's, with the
// transition selector as multiplicity.
struct ByteSenderAir {
  bool on_transitions = false;
  std::string name() const { return on_transitions ? "transition-sender" : "byte-sender"; }
  size_t width() const { return 1; }
  size_t num_public_values() const { return 0; }
  template <class F>
  void eval(F& f) const {
    using Var = typename F::Var;
    f.send(byte_bus, std::array{f.local(0)}, on_transitions ? Var(f.is_transition()) : Var(Fp::one()));
  }
};

struct ByteFixture {
  AirAdapter<ByteRangeAir> range{ByteRangeAir{}};
  AirAdapter<ByteSenderAir> sender{ByteSenderAir{}};
  std::vector<Trace> traces{Trace(1, 64), Trace(1, 256)};
  std::vector<std::vector<Fp>> publics{{}, {}};

  explicit ByteFixture(uint64_t seed) {
    std::mt19937_64 rng(seed);
    for (size_t r = 0; r < 64; ++r) traces[0].at(r, 0) = Fp(rng() % 256);
  }
  std::vector<const Air*> airs() const { return {&sender, &range}; }
  std::vector<TableInstance> instances(const Air& range_air) const {
    return {{&sender, &traces[0], {}}, {&range_air, &traces[1], {}}};
  }
};
}  // namespace

TEST_CASE("fixed columns: a byte range table proves every sent value is a byte") {
  ByteFixture fx(5);
  count_multiplicities(fx.airs(), fx.traces, fx.publics);
  auto in = fx.instances(fx.range);
  CHECK(check_lookups(in) == std::nullopt);
  CHECK(check_uniform(fx.range, fx.traces[1], {}) == std::nullopt);
  CHECK(fx.range.summary().interactions[0].fingerprint_degree == 1);
  Proof proof = prove(in, test_params(), bytes_of("bytes"));
  CHECK(proof.tables[1].fixed_local.size() == 1);
  CHECK(verify(fx.airs(), fx.publics, proof, test_params(), bytes_of("bytes")) == std::nullopt);
  CHECK(deserialize(serialize(proof), test_params()).index() == 0);
}

namespace {
// Fixed columns: the row index and its square. Main column 0 holds the next row's square (read through
// fixed_next), column 1 is unconstrained. Only fixed column 1 is read on the next row.
struct NextSquareAir {
  std::string name() const { return "next-square"; }
  size_t width() const { return 2; }
  size_t num_public_values() const { return 0; }
  size_t num_fixed() const { return 2; }
  Trace fixed_trace() const {
    Trace t(2, 32);
    for (size_t r = 0; r < 32; ++r) {
      t.at(r, 0) = Fp(r);
      t.at(r, 1) = Fp(r * r);
    }
    return t;
  }
  template <class F>
  void eval(F& f) const {
    f.assert_zero(f.is_transition() * (f.local(0) - f.fixed_next(1)));
  }
};
}  // namespace

TEST_CASE("fixed columns: a fixed column read on the next row is opened there, and bound") {
  AirAdapter<NextSquareAir> air{NextSquareAir{}};
  CHECK(air.summary().fixed_next_columns == std::vector<uint32_t>{1});
  CHECK(air.summary().next_columns.empty());
  Trace t(2, 32);
  for (size_t r = 0; r < 32; ++r) {
    t.at(r, 0) = Fp((r + 1) * (r + 1));
    t.at(r, 1) = Fp(7 * r);
  }
  const std::vector<TableInstance> in{{&air, &t, {}}};
  const Proof proof = prove(in, test_params(), bytes_of("squares"));
  REQUIRE(proof.tables[0].fixed_next.size() == 1);
  CHECK(proof.tables[0].fixed_local.size() == 2);
  CHECK(proof.tables[0].main_next.empty());
  const Air* airs[] = {&air};
  const std::vector<std::vector<Fp>> publics(1);
  REQUIRE(verify(airs, publics, proof, test_params(), bytes_of("squares")) == std::nullopt);
  Proof changed = proof;
  changed.tables[0].fixed_next[0] += Fp4::one();
  CHECK(verify(airs, publics, changed, test_params(), bytes_of("squares")).has_value());
  Proof longer = proof;
  longer.tables[0].fixed_next.push_back(Fp4());
  CHECK_THAT(*verify(airs, publics, longer, test_params(), bytes_of("squares")),
             Catch::Contains("wrong number of out-of-domain values"));
}

TEST_CASE("fixed columns: a value past the range cannot be sent") {
  ByteFixture fx(6);
  fx.traces[0].at(7, 0) = Fp(256);
  CHECK_THROWS_WITH(count_multiplicities(fx.airs(), fx.traces, fx.publics),
                    Catch::Contains("bus test.byte: table byte-sender sends a tuple no table receives"));
  // Counts that balance everything else still leave the bus unbalanced, and the proof does not verify.
  fx.traces[0].at(7, 0) = Fp(3);
  count_multiplicities(fx.airs(), fx.traces, fx.publics);
  fx.traces[0].at(7, 0) = Fp(256);
  StarkParams p = test_params();
  p.check_trace = false;
  Proof proof = prove(fx.instances(fx.range), p, bytes_of("bytes"));
  CHECK(verify(fx.airs(), fx.publics, proof, p, bytes_of("bytes")).has_value());
}

TEST_CASE("fixed columns: a proof made with other fixed values is rejected") {
  // The forger's range table holds 1..256, so 256 balances; the verifier computes the real fixed column.
  ByteFixture fx(7);
  AirAdapter<ByteRangeAir> forged{ByteRangeAir{1}};
  fx.traces[0].at(0, 0) = Fp(256);
  std::vector<const Air*> forged_airs{&fx.sender, &forged};
  for (size_t r = 1; r < 64; ++r) fx.traces[0].at(r, 0) = Fp(1 + r % 200);
  count_multiplicities(forged_airs, fx.traces, fx.publics);
  auto in = fx.instances(forged);
  REQUIRE(check_lookups(in) == std::nullopt);
  Proof proof = prove(in, test_params(), bytes_of("bytes"));
  REQUIRE(verify(forged_airs, fx.publics, proof, test_params(), bytes_of("bytes")) == std::nullopt);
  auto error = verify(fx.airs(), fx.publics, proof, test_params(), bytes_of("bytes"));
  REQUIRE(error.has_value());
}

TEST_CASE("selectors are 0 or 1 on every row in the proof as in the checker (is_transition as a multiplicity)") {
  AirAdapter<ByteSenderAir> sender{ByteSenderAir{.on_transitions = true}};
  AirAdapter<ByteRangeAir> range{ByteRangeAir{}};
  std::vector<Trace> traces{Trace(1, 64), Trace(1, 256)};
  for (size_t r = 0; r < 64; ++r) traces[0].at(r, 0) = Fp(r * 3 % 256);
  traces[0].at(63, 0) = Fp(1000);  // the last row sends nothing, so 1000 need not be a byte
  std::vector<std::vector<Fp>> publics{{}, {}};
  std::vector<const Air*> airs{&sender, &range};
  count_multiplicities(airs, traces, publics);
  std::vector<TableInstance> in{{&sender, &traces[0], {}}, {&range, &traces[1], {}}};
  REQUIRE(check_lookups(in) == std::nullopt);
  Proof proof = prove(in, test_params(), bytes_of("t"));
  CHECK(verify(airs, publics, proof, test_params(), bytes_of("t")) == std::nullopt);
}

TEST_CASE("fixed columns: a table at another height than its fixed columns is refused, before any work") {
  ByteFixture fx(5);
  count_multiplicities(fx.airs(), fx.traces, fx.publics);
  Proof proof = prove(fx.instances(fx.range), test_params(), bytes_of("bytes"));
  // A forger claims 2^20 rows for the range table (so that the verifier would commit 2^20 fixed rows).
  // The shape check refuses it, and it runs before the fixed columns are committed.
  proof.tables[1].log_height = 20;
  auto verdict = verify(fx.airs(), fx.publics, proof, test_params(), bytes_of("bytes"));
  REQUIRE(verdict.has_value());
  CHECK_THAT(*verdict, Catch::Contains("byte-range: height 2^20, its fixed columns have 256 rows"));
  // The prover refuses a trace of another height.
  fx.traces[1] = Trace(1, 512);
  StarkParams p = test_params();
  p.check_trace = false;
  CHECK_THROWS_WITH(prove(fx.instances(fx.range), p, bytes_of("bytes")),
                    Catch::Contains("byte-range: 512 rows, its fixed columns have 256"));
}

namespace {

// The Fixture's statement as two segments: the sender and the Fibonacci table in one, the cube table in the
// other, proved and verified with shared challenges.
struct SegmentedProof {
  std::vector<TableInstance> first, second;
  std::vector<const Air*> first_airs, second_airs;
  std::vector<std::vector<Fp>> first_publics, second_publics;
  Proof p0, p1;
  explicit SegmentedProof(const Fixture& fx, const StarkParams& params) {
    auto in = fx.instances();
    first = {in[0], in[2]};
    second = {in[1]};
    first_airs = {in[0].air, in[2].air};
    second_airs = {in[1].air};
    first_publics = {{}, fx.fib_publics};
    second_publics = {{}};
    const Digest commitments[] = {commit_segment(first, params, bytes_of("s0")),
                                  commit_segment(second, params, bytes_of("s1"))};
    const SharedChallenges shared = shared_challenges(commitments, bytes_of("whole"));
    p0 = prove(first, params, bytes_of("s0"), nullptr, &shared);
    p1 = prove(second, params, bytes_of("s1"), nullptr, &shared);
  }
  // nullopt when both segments verify and their lookup sums add to zero.
  std::optional<std::string> verify(const StarkParams& params) const {
    auto c0 = segment_commitment(first_airs, first_publics, p0, params, bytes_of("s0"));
    auto c1 = segment_commitment(second_airs, second_publics, p1, params, bytes_of("s1"));
    if (auto* e = std::get_if<std::string>(&c0)) return *e;
    if (auto* e = std::get_if<std::string>(&c1)) return *e;
    const Digest commitments[] = {std::get<Digest>(c0), std::get<Digest>(c1)};
    const SharedChallenges shared = shared_challenges(commitments, bytes_of("whole"));
    Fp4 s0, s1;
    if (auto e = witprove::stark::verify(first_airs, first_publics, p0, params, bytes_of("s0"), &shared, &s0)) return e;
    if (auto e = witprove::stark::verify(second_airs, second_publics, p1, params, bytes_of("s1"), &shared, &s1)) return e;
    if (!(s0 + s1).is_zero()) return std::string("segments' lookup sums do not add to zero");
    return std::nullopt;
  }
};

}  // namespace

TEST_CASE("segments: a statement split in two proves with shared challenges, and each segment's sum is not zero alone") {
  Fixture fx;
  SegmentedProof sp(fx, test_params());
  CHECK(sp.verify(test_params()) == std::nullopt);
  CHECK_FALSE(sp.p0.tables[0].lookup_sum.is_zero());
  // A segment alone is not a whole statement: verified without the shared challenges, it is rejected.
  CHECK(verify(sp.second_airs, sp.second_publics, sp.p1, test_params(), bytes_of("s1")) != std::nullopt);
  // With shared challenges the caller must take the segment's sum, to check the total.
  const Digest none[] = {Digest{}};
  const SharedChallenges any = shared_challenges(none, bytes_of("whole"));
  CHECK_THAT(verify(sp.second_airs, sp.second_publics, sp.p1, test_params(), bytes_of("s1"), &any).value_or(""),
             Catch::Contains("lookup sum must be returned"));
}

TEST_CASE("segments: the prover's first pass binds the same commitment as its proof") {
  Fixture fx;
  SegmentedProof sp(fx, test_params());
  auto from_proof = segment_commitment(sp.first_airs, sp.first_publics, sp.p0, test_params(), bytes_of("s0"));
  REQUIRE(std::holds_alternative<Digest>(from_proof));
  CHECK(std::get<Digest>(from_proof) == commit_segment(sp.first, test_params(), bytes_of("s0")));
}

// Both segments' first passes, kept as `how` says, and the challenges their commitments give.
struct KeptPasses {
  KeptCommitment first, second;
  SharedChallenges shared;
};
KeptPasses keep_first_passes(const SegmentedProof& sp, const StarkParams& params, const KeptCommitment& how) {
  KeptPasses k{how, how, {}};
  commit_segment(sp.first, params, bytes_of("s0"), nullptr, &k.first);
  commit_segment(sp.second, params, bytes_of("s1"), nullptr, &k.second);
  const Digest commitments[] = {k.first.commitment, k.second.commitment};
  k.shared = shared_challenges(commitments, bytes_of("whole"));
  return k;
}

TEST_CASE("segments: a first pass kept in a file gives the same proof, and another segment's is refused") {
  Fixture fx;
  const StarkParams params = test_params();
  SegmentedProof sp(fx, params);
  const std::string dir = std::filesystem::temp_directory_path().string();
  KeptCommitment in_file;
  in_file.directory = dir;
  KeptPasses k = keep_first_passes(sp, params, in_file);
  REQUIRE(k.first.file);
  CHECK(k.first.error.empty());
  const Digest commitment = commit_segment(sp.first, params, bytes_of("s0"));
  CHECK(k.first.commitment == commitment);

  ProveTimings t;
  CHECK(serialize(prove(sp.first, params, bytes_of("s0"), &t, &k.shared, &k.first)) == serialize(sp.p0));
  CHECK(t.kept > 0);
  CHECK_THROWS_AS(prove(sp.first, params, bytes_of("s0"), nullptr, &k.shared, &k.second), KeptCommitmentError);
  CHECK_THROWS_WITH(prove(sp.first, params, bytes_of("s0"), nullptr, &k.shared, &k.second),
                    Catch::Contains("kept first pass"));

  // Nowhere to write: nothing is kept, the reason is given, the commitment stands.
  KeptCommitment nowhere;
  nowhere.directory = dir + "/no-such-directory";
  CHECK(commit_segment(sp.first, params, bytes_of("s0"), nullptr, &nowhere) == commitment);
  CHECK_FALSE(nowhere.file);
  CHECK_THAT(nowhere.error, Catch::Contains("no-such-directory"));
}

TEST_CASE("segments: a first pass kept in memory gives the same proof, is taken by it, and another segment's is refused") {
  Fixture fx;
  const StarkParams params = test_params();
  SegmentedProof sp(fx, params);
  KeptCommitment in_memory;
  in_memory.in_memory = true;
  KeptPasses k = keep_first_passes(sp, params, in_memory);
  REQUIRE(k.first.extensions);
  REQUIRE_FALSE(k.first.extensions->committed.empty());
  CHECK_FALSE(k.first.file);
  CHECK(k.first.error.empty());
  CHECK(k.first.commitment == commit_segment(sp.first, params, bytes_of("s0")));

  CHECK(serialize(prove(sp.first, params, bytes_of("s0"), nullptr, &k.shared, &k.first)) == serialize(sp.p0));
  // Taken, not copied: the kept list holds only emptied entries.
  for (const pcs::Committed& c : k.first.extensions->committed) CHECK(c.lde.width == 0);
  // Used once: a second proof from the same first pass finds its extensions taken.
  CHECK_THROWS_AS(prove(sp.first, params, bytes_of("s0"), nullptr, &k.shared, &k.first), KeptCommitmentError);
  // Another segment's extensions: of another shape, or not giving this segment's commitment.
  CHECK_THROWS_WITH(prove(sp.first, params, bytes_of("s0"), nullptr, &k.shared, &k.second),
                    Catch::Contains("kept first pass"));
}

TEST_CASE("segments: an unbalanced bus across segments, or challenges not drawn from every segment, is rejected") {
  StarkParams unchecked = test_params();
  unchecked.check_trace = false;
  {
    // A sender row changed: the cube table no longer receives what is sent, across the segment boundary.
    Fixture fx;
    fx.pair.sender.at(5, 0) += Fp(1);
    fx.pair.sender.at(5, 1) = fx.pair.sender.at(5, 0) * fx.pair.sender.at(5, 0) * fx.pair.sender.at(5, 0);
    fx.pair.sender.at(5, 2) = fx.pair.sender.at(5, 0) * fx.pair.sender.at(5, 1);
    for (size_t c = 0; c < 6; ++c) fx.pair.sender.at(5, 3 + c) = fx.pair.sender.at(5, 0) * Fp(c + 1);
    SegmentedProof sp(fx, unchecked);
    CHECK_THAT(sp.verify(unchecked).value_or(""), Catch::Contains("do not add to zero"));
  }
  {
    // Segment proofs made with challenges drawn from other commitments (the second segment left out).
    Fixture fx;
    SegmentedProof sp(fx, test_params());
    auto in = fx.instances();
    std::vector<TableInstance> first = {in[0], in[2]};
    const Digest only_first[] = {commit_segment(first, test_params(), bytes_of("s0"))};
    const SharedChallenges other = shared_challenges(only_first, bytes_of("whole"));
    sp.p0 = prove(first, test_params(), bytes_of("s0"), nullptr, &other);
    CHECK(sp.verify(test_params()) != std::nullopt);
  }
}

TEST_CASE("the prover's memory estimate grows with the height and the blowup, and counts the lookup columns") {
  AirAdapter<CubeSenderAir> sender{CubeSenderAir{}};
  AirAdapter<FibonacciAir> fib{FibonacciAir{}};
  StarkParams p = test_params();
  const uint64_t base = estimated_prover_bytes(sender, 1024, p);
  CHECK(estimated_prover_bytes(sender, 2048, p) > base);
  p.log_blowup += 1;
  CHECK(estimated_prover_bytes(sender, 1024, p) > base);
  // At least the extension of its main and lookup columns (two lookups: at least one auxiliary group).
  CHECK(base > uint64_t{1024} * 8 * (sender.width() + 2 * Fp4::D) * sizeof(Fp));
  CHECK(estimated_prover_bytes(fib, 1024, test_params()) > uint64_t{1024} * 8 * fib.width() * sizeof(Fp));
}
