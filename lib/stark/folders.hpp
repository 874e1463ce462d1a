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
  Fp4 gamma;
  std::span<const Fp4> beta_powers;
  Fp4 sum_step;
};

// Evaluates constraints at one point of the quotient domain; trace cells are base-field values.
class ProverFolder : public FolderShorthands<ProverFolder> {
 public:
  using Var = Fp;
  struct Selectors {
    Fp first, last, transition;
  };

  ProverFolder(std::span<const Fp> public_values, std::span<const Fp4> alpha_powers, const LookupContext& lookups)
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
    base_ = ExtLazySum();
    ext_acc_ = Fp4();
    index_ = 0;
    if (const size_t g = h_.size()) {
      for (size_t k = 0; k < g; ++k) h_[k] = from_coordinates(aux + Fp4::D * k);
      logup_.start(h_, from_coordinates(aux + Fp4::D * g), from_coordinates(aux_next + Fp4::D * g));
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
    base_.add_product(alpha_powers_[index_++], e);
  }
  void interact(uint32_t bus, std::string_view, std::span<const Fp> tuple, Fp multiplicity, LookupKind) {
    if (auto c = logup_.add(bus, tuple, multiplicity)) assert_zero_ext(*c);
  }
  void finish_lookups() {
    if (!h_.empty()) assert_zero_ext(logup_.running_sum(sum_step_));
  }
  Fp4 folded() const { return base_.value() + ext_acc_; }

 private:
  void assert_zero_ext(Fp4 e) {
    assert(index_ < alpha_powers_.size());
    ext_acc_ += alpha_powers_[index_++] * e;
  }

  std::span<const Fp> publics_;
  std::span<const Fp4> alpha_powers_;
  Fp4 sum_step_;
  logup::RowConstraints<Fp> logup_;
  std::vector<Fp4> h_;
  const Fp* local_ = nullptr;
  const Fp* next_ = nullptr;
  const Fp* fixed_ = nullptr;
  const Fp* fixed_next_ = nullptr;
  Selectors sel_{};
  ExtLazySum base_;
  Fp4 ext_acc_;
  size_t index_ = 0;
};

// Evaluates constraints at the out-of-domain point zeta from the opened values there. Auxiliary columns
// are opened per base column; an extension value is sum_i x^i c_i over its D coordinate columns.
class VerifierFolder : public FolderShorthands<VerifierFolder> {
 public:
  using Var = Fp4;
  struct Selectors {
    Fp4 first, last, transition;
  };

  // Opened values at zeta and zeta·w of the main, fixed and auxiliary columns.
  struct Openings {
    std::span<const Fp4> local, next, fixed, fixed_next, aux, aux_next;
  };
  VerifierFolder(const Openings& o, Selectors s, std::span<const Fp> public_values, Fp4 alpha,
                 const LookupContext& lookups)
      : local_(o.local), next_(o.next), fixed_(o.fixed), fixed_next_(o.fixed_next), sel_(s), publics_(public_values),
        alpha_(alpha), sum_step_(lookups.sum_step), logup_(*lookups.layout, lookups.gamma, lookups.beta_powers), h_(lookups.layout->num_groups()) {
    if (const size_t g = h_.size()) {
      for (size_t k = 0; k < g; ++k) h_[k] = compose(o.aux.data() + Fp4::D * k);
      logup_.start(h_, compose(o.aux.data() + Fp4::D * g), compose(o.aux_next.data() + Fp4::D * g));
    }
  }

  Var local(size_t c) const { return local_[c]; }
  Var next(size_t c) const { return next_[c]; }
  Var fixed(size_t c) const { return fixed_[c]; }
  Var fixed_next(size_t c) const { return fixed_next_[c]; }
  Fp4 is_first_row() const { return sel_.first; }
  Fp4 is_last_row() const { return sel_.last; }
  Fp4 is_transition() const { return sel_.transition; }
  Fp public_value(size_t i) const { return publics_[i]; }
  void assert_zero(Fp4 e) {
    acc_ += power_ * e;
    power_ *= alpha_;
  }
  void interact(uint32_t bus, std::string_view, std::span<const Fp4> tuple, Fp4 multiplicity, LookupKind) {
    if (auto c = logup_.add(bus, tuple, multiplicity)) assert_zero(*c);
  }
  void finish_lookups() {
    if (!h_.empty()) assert_zero(logup_.running_sum(sum_step_));
  }
  Fp4 folded() const { return acc_; }

 private:
  std::span<const Fp4> local_, next_, fixed_, fixed_next_;
  Selectors sel_;
  std::span<const Fp> publics_;
  Fp4 alpha_;
  Fp4 sum_step_;
  logup::RowConstraints<Fp4> logup_;
  std::vector<Fp4> h_;
  Fp4 power_ = Fp4::one();
  Fp4 acc_;
};

// A table's constraints at one point, AIR and LogUp, folded in the order prover and verifier share.
template <class Folder>
void eval_all_constraints(const Air& air, Folder& f) {
  air.eval(f);
  f.finish_lookups();
}

}  // namespace witprove::stark
