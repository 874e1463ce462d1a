// The prover's and verifier's constraint folders. Both fold the constraints of a row into one value
// sum(alpha^i * C_i) with powers of a transcript challenge alpha, in evaluation order: the AIR's constraints
// and, as its lookups are met, the LogUp constraints (stark/logup.hpp), the running sum's last.
#pragma once

#include <cassert>
#include <span>
#include <vector>

#include "stark/air.hpp"
#include "stark/logup.hpp"
#include "stark/symbolic.hpp"

namespace witprove::stark {

// What the LogUp constraints of a table need besides the auxiliary values: the layout, the challenges and
// the table's sum divided by the trace height.
struct LookupContext {
  const logup::Layout* layout;
  Fp2 gamma;
  std::span<const Fp2> beta_powers;
  Fp2 sum_step;
};

// Evaluates constraints at one point of the quotient domain; trace cells are base-field values.
class ProverFolder : public FolderShorthands<ProverFolder> {
 public:
  using Var = Fp;
  struct Selectors {
    Fp first, last, transition;
  };

  ProverFolder(std::span<const Fp> public_values, std::span<const Fp2> alpha_powers, const LookupContext& lookups)
      : publics_(public_values), alpha_powers_(alpha_powers), sum_step_(lookups.sum_step),
        logup_(*lookups.layout, lookups.gamma, lookups.beta_powers), h_(lookups.layout->num_groups()) {}

  // Rows at this point and the next: main, fixed (ignored without fixed columns) and auxiliary (ignored
  // without lookups).
  void set_point(const Fp* local, const Fp* next, const Fp* fixed, const Fp* fixed_next, Selectors s, const Fp* aux,
                 const Fp* aux_next) {
    local_ = local;
    next_ = next;
    fixed_ = fixed;
    fixed_next_ = fixed_next;
    sel_ = s;
    base_c0_ = LazySum();
    base_c1_ = LazySum();
    ext_acc_ = Fp2();
    index_ = 0;
    if (const size_t g = h_.size()) {
      for (size_t k = 0; k < g; ++k) h_[k] = Fp2(aux[2 * k], aux[2 * k + 1]);
      logup_.start(h_, Fp2(aux[2 * g], aux[2 * g + 1]), Fp2(aux_next[2 * g], aux_next[2 * g + 1]));
    }
  }
  Var local(size_t c) const { return local_[c]; }
  Var next(size_t c) const { return next_[c]; }
  Var fixed(size_t c) const { return fixed_[c]; }
  Var fixed_next(size_t c) const { return fixed_next_[c]; }
  Fp is_first_row() const { return sel_.first; }
  Fp is_last_row() const { return sel_.last; }
  Fp is_transition() const { return sel_.transition; }
  Fp public_value(size_t i) const { return publics_[i]; }
  void assert_zero(Fp e) {
    assert(index_ < alpha_powers_.size());
    const Fp2& a = alpha_powers_[index_++];
    base_c0_.add_product(a.c0, e);
    base_c1_.add_product(a.c1, e);
  }
  void interact(uint32_t bus, std::string_view, std::span<const Fp> tuple, Fp multiplicity, LookupKind) {
    if (auto c = logup_.add(bus, tuple, multiplicity)) assert_zero_ext(*c);
  }
  void finish_lookups() {
    if (!h_.empty()) assert_zero_ext(logup_.running_sum(sum_step_));
  }
  Fp2 folded() const { return Fp2(base_c0_.value(), base_c1_.value()) + ext_acc_; }

 private:
  void assert_zero_ext(Fp2 e) {
    assert(index_ < alpha_powers_.size());
    ext_acc_ += alpha_powers_[index_++] * e;
  }

  std::span<const Fp> publics_;
  std::span<const Fp2> alpha_powers_;
  Fp2 sum_step_;
  logup::RowConstraints<Fp> logup_;
  std::vector<Fp2> h_;
  const Fp* local_ = nullptr;
  const Fp* next_ = nullptr;
  const Fp* fixed_ = nullptr;
  const Fp* fixed_next_ = nullptr;
  Selectors sel_{};
  LazySum base_c0_, base_c1_;
  Fp2 ext_acc_;
  size_t index_ = 0;
};

// Evaluates constraints at the out-of-domain point zeta from the opened values there. Auxiliary columns
// are opened per base column; an extension value is c0 + x c1.
class VerifierFolder : public FolderShorthands<VerifierFolder> {
 public:
  using Var = Fp2;
  struct Selectors {
    Fp2 first, last, transition;
  };

  // Opened values at zeta and zeta·w of the main, fixed and auxiliary columns.
  struct Openings {
    std::span<const Fp2> local, next, fixed, fixed_next, aux, aux_next;
  };
  VerifierFolder(const Openings& o, Selectors s, std::span<const Fp> public_values, Fp2 alpha,
                 const LookupContext& lookups)
      : local_(o.local), next_(o.next), fixed_(o.fixed), fixed_next_(o.fixed_next), sel_(s), publics_(public_values),
        alpha_(alpha), sum_step_(lookups.sum_step), logup_(*lookups.layout, lookups.gamma, lookups.beta_powers), h_(lookups.layout->num_groups()) {
    if (const size_t g = h_.size()) {
      const Fp2 x(Fp(), Fp::one());
      for (size_t k = 0; k < g; ++k) h_[k] = o.aux[2 * k] + x * o.aux[2 * k + 1];
      logup_.start(h_, o.aux[2 * g] + x * o.aux[2 * g + 1], o.aux_next[2 * g] + x * o.aux_next[2 * g + 1]);
    }
  }

  Var local(size_t c) const { return local_[c]; }
  Var next(size_t c) const { return next_[c]; }
  Var fixed(size_t c) const { return fixed_[c]; }
  Var fixed_next(size_t c) const { return fixed_next_[c]; }
  Fp2 is_first_row() const { return sel_.first; }
  Fp2 is_last_row() const { return sel_.last; }
  Fp2 is_transition() const { return sel_.transition; }
  Fp public_value(size_t i) const { return publics_[i]; }
  void assert_zero(Fp2 e) {
    acc_ += power_ * e;
    power_ *= alpha_;
  }
  void interact(uint32_t bus, std::string_view, std::span<const Fp2> tuple, Fp2 multiplicity, LookupKind) {
    if (auto c = logup_.add(bus, tuple, multiplicity)) assert_zero(*c);
  }
  void finish_lookups() {
    if (!h_.empty()) assert_zero(logup_.running_sum(sum_step_));
  }
  Fp2 folded() const { return acc_; }

 private:
  std::span<const Fp2> local_, next_, fixed_, fixed_next_;
  Selectors sel_;
  std::span<const Fp> publics_;
  Fp2 alpha_;
  Fp2 sum_step_;
  logup::RowConstraints<Fp2> logup_;
  std::vector<Fp2> h_;
  Fp2 power_ = Fp2::one();
  Fp2 acc_;
};

// A table's constraints at one point, AIR and LogUp, folded in the order prover and verifier share.
template <class Folder>
void eval_all_constraints(const Air& air, Folder& f) {
  air.eval(f);
  f.finish_lookups();
}

}  // namespace witprove::stark
