// LogUp (Haböck, "Multivariate lookups based on logarithmic derivatives", ePrint 2022/1530), as prover and
// verifier both compute it. Internal to lib/stark.
//
// Every lookup k of a table contributes the fraction m_k / d_k per row, with the fingerprint
//   d_k = gamma - (sum_j beta^j v_j + beta^J (bus + 1))      for the tuple v_0..v_(J-1)
// (the bus term ends the tuple, so tuples of different lengths or buses do not collide). Fractions are
// grouped: one auxiliary extension column h_g per group holds the sum of its fractions, constrained by
//   h_g · prod_(k in g) d_k - sum_(k in g) m_k prod_(l in g, l != k) d_l = 0,
// and one running-sum column S with S[i+1] = S[i] + sum_g h_g[i] - L/n wraps around to S[0], where L is the
// table's sum (in the proof); all tables' L add to zero. A group takes as many consecutive lookups as the
// table's degree allows, at least one.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "stark/field.hpp"
#include "stark/packed.hpp"
#include "stark/symbolic.hpp"

namespace witprove::stark::logup {

struct Layout {
  std::vector<uint32_t> group_end;  // group g holds lookups [group_end[g-1], group_end[g])
  unsigned degree = 0;              // highest degree of the LogUp constraints (0 without lookups)

  size_t num_groups() const { return group_end.size(); }
  // Auxiliary base columns: the D coordinates of each h_g, then of S.
  size_t aux_width() const { return group_end.empty() ? 0 : Fp4::D * (group_end.size() + 1); }
  size_t num_constraints() const { return group_end.empty() ? 0 : group_end.size() + 1; }
};

// Groups consecutive lookups while the group constraint stays within max(max_degree, the degree a single
// lookup needs).
Layout layout(std::span<const InteractionInfo> interactions, unsigned max_degree);

// The table's degree: its AIR constraints' and its LogUp constraints', at least 2.
inline unsigned table_degree(const AirSummary& s, const Layout& l) { return std::max({s.constraint_degree, l.degree, 2u}); }

// Layout for a table: groups sized to the AIR's own degree (so lookups never raise it when avoidable).
inline Layout layout(const AirSummary& s) { return layout(s.interactions, std::max(s.constraint_degree, 2u)); }

// Why the tables' buses disagree (one id with two names or tuple lengths), if they do.
std::optional<std::string> check_buses(std::span<const AirSummary* const> tables);

template <class V>
Fp4 fingerprint(uint32_t bus, std::span<const V> tuple, Fp4 gamma, std::span<const Fp4> beta_powers) {
  Fp4 acc = gamma - beta_powers[tuple.size()] * Fp(uint64_t{bus} + 1);
  for (size_t j = 0; j < tuple.size(); ++j) acc -= beta_powers[j] * tuple[j];
  return acc;
}

// The same on a vector of points at once (the prover's quotient).
// The tuple's terms are summed before they are reduced (PackedFp4Dot).
inline PackedFp4 fingerprint(uint32_t bus, std::span<const PackedFp> tuple, Fp4 gamma, std::span<const Fp4> beta_powers) {
  PackedFp4Dot sum;
  for (size_t j = 0; j < tuple.size(); ++j) sum.add(beta_powers[j], tuple[j]);
  return PackedFp4(gamma - beta_powers[tuple.size()] * Fp(uint64_t{bus} + 1)) - sum.value();
}

// Powers of beta for the longest tuple of the tables, plus one for the bus term.
std::vector<Fp4> beta_powers(std::span<const AirSummary* const> tables, Fp4 beta);

// The LogUp constraints of one row in the order both folders emit them: a group's constraint when its last
// lookup is added, the running-sum constraint at the end. V: the tuples' values, E: extension values (the
// verifier: Fp4 and Fp4 at one point; the prover: PackedFp and PackedFp4 on a vector of points at once).
template <class V, class E = Fp4>
class RowConstraints {
 public:
  RowConstraints(const Layout& layout, Fp4 gamma, std::span<const Fp4> beta_powers)
      : layout_(&layout), gamma_(gamma), beta_powers_(beta_powers) {}

  // h: the groups' auxiliary values at this point; s, s_next: the running sum here and on the next row.
  void start(std::span<const E> h, E s, E s_next) {
    h_ = h;
    s_ = s;
    s_next_ = s_next;
    lookup_ = group_ = 0;
    num_ = E();
    den_ = E(Fp4::one());
  }

  // Adds lookup m / d(tuple); returns the group's constraint when this lookup closes it.
  std::optional<E> add(uint32_t bus, std::span<const V> tuple, const V& multiplicity) {
    return add_fraction(fingerprint(bus, tuple, gamma_, beta_powers_), multiplicity);
  }
  // The same with the fingerprint d already computed.
  std::optional<E> add_fraction(const E& d, const V& multiplicity) {
    num_ = num_ * d + den_ * multiplicity;
    den_ = den_ * d;
    if (++lookup_ != layout_->group_end[group_]) return std::nullopt;
    E c = h_[group_] * den_ - num_;
    ++group_;
    num_ = E();
    den_ = E(Fp4::one());
    return c;
  }

  // S' - S - sum_g h_g + L/n, given sum_step = L/n.
  E running_sum(Fp4 sum_step) const {
    E c = s_next_ - s_ + E(sum_step);
    for (const E& h : h_) c = c - h;
    return c;
  }

 private:
  const Layout* layout_;
  Fp4 gamma_;
  std::span<const Fp4> beta_powers_;
  std::span<const E> h_;
  E s_, s_next_, num_, den_ = E(Fp4::one());
  size_t lookup_ = 0, group_ = 0;
};

}  // namespace witprove::stark::logup
