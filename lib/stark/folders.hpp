// The prover's and verifier's constraint folders. Both fold the constraints of a row into one value
// sum(alpha^i * C_i) with powers of a transcript challenge alpha, in evaluation order.
#pragma once

#include <cassert>
#include <span>

#include "stark/air.hpp"

namespace witprove::stark {

// Evaluates constraints at one point of the quotient domain; trace cells are base-field values.
class ProverFolder : public FolderShorthands<ProverFolder> {
 public:
  using Var = Fp;
  struct Selectors {
    Fp first, last, transition;
  };

  ProverFolder(std::span<const Fp> public_values, std::span<const Fp2> alpha_powers)
      : publics_(public_values), alpha_powers_(alpha_powers) {}

  void set_point(const Fp* local, const Fp* next, Selectors s) {
    local_ = local;
    next_ = next;
    sel_ = s;
    acc_ = Fp2();
    index_ = 0;
  }
  Var local(size_t c) const { return local_[c]; }
  Var next(size_t c) const { return next_[c]; }
  Fp is_first_row() const { return sel_.first; }
  Fp is_last_row() const { return sel_.last; }
  Fp is_transition() const { return sel_.transition; }
  Fp public_value(size_t i) const { return publics_[i]; }
  void assert_zero(Fp e) {
    assert(index_ < alpha_powers_.size());
    acc_ += alpha_powers_[index_++] * e;
  }
  // Engine constraints over extension-field auxiliary columns.
  void assert_zero_ext(Fp2 e) {
    assert(index_ < alpha_powers_.size());
    acc_ += alpha_powers_[index_++] * e;
  }
  Fp2 folded() const { return acc_; }

 private:
  std::span<const Fp> publics_;
  std::span<const Fp2> alpha_powers_;
  const Fp* local_ = nullptr;
  const Fp* next_ = nullptr;
  Selectors sel_{};
  Fp2 acc_;
  size_t index_ = 0;
};

// Evaluates constraints at the out-of-domain point zeta from the opened values there.
class VerifierFolder : public FolderShorthands<VerifierFolder> {
 public:
  using Var = Fp2;
  struct Selectors {
    Fp2 first, last, transition;
  };

  VerifierFolder(std::span<const Fp2> local, std::span<const Fp2> next, Selectors s,
                 std::span<const Fp> public_values, Fp2 alpha)
      : local_(local), next_(next), sel_(s), publics_(public_values), alpha_(alpha) {}

  Var local(size_t c) const { return local_[c]; }
  Var next(size_t c) const { return next_[c]; }
  Fp2 is_first_row() const { return sel_.first; }
  Fp2 is_last_row() const { return sel_.last; }
  Fp2 is_transition() const { return sel_.transition; }
  Fp public_value(size_t i) const { return publics_[i]; }
  void assert_zero(Fp2 e) {
    acc_ += power_ * e;
    power_ *= alpha_;
  }
  Fp2 folded() const { return acc_; }

 private:
  std::span<const Fp2> local_, next_;
  Selectors sel_;
  std::span<const Fp> publics_;
  Fp2 alpha_;
  Fp2 power_ = Fp2::one();
  Fp2 acc_;
};

}  // namespace witprove::stark
