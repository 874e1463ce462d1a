// The prover's and verifier's constraint folders. Both fold the constraints of a row into one value
// sum(alpha^i * C_i) with powers of a transcript challenge alpha, in evaluation order: the AIR's constraints
// and, as its lookups are met, the LogUp constraints (stark/logup.hpp), the running sum's last.
#pragma once

#include <array>
#include <cassert>
#include <span>
#include <vector>

#include "stark/air.hpp"
#include "stark/logup.hpp"
#include "stark/packed.hpp"
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

// Evaluates constraints on PackedFp::kLanes points of the quotient domain at once (stark/packed.hpp), reading the
// committed LDE matrices column by column where they lie: no rows are copied. The AIR's constraints are
// folded on packed values (PackedFp4Dot: products summed before they are reduced), and so are the LogUp
// constraints.
class ProverFolder : public FolderShorthands<ProverFolder> {
 public:
  using Var = PackedFp;
  static constexpr size_t kLanes = PackedFp::kLanes;
  // A committed matrix's columns (column c at data + c * height), or none.
  struct Columns {
    const Fp* data = nullptr;
    size_t height = 0;
  };
  // The block's points: their rows and their next rows (positions in the matrices), and the selectors.
  struct Block {
    std::array<uint32_t, kLanes> rows, next_rows;
    PackedFp first, last, transition;
  };

  ProverFolder(Columns main, Columns fixed, Columns aux, std::span<const Fp> public_values,
               std::span<const Fp4> alpha_powers, const LookupContext& lookups)
      : main_(main), fixed_(fixed), aux_(aux), publics_(public_values), alpha_powers_(alpha_powers),
        sum_step_(lookups.sum_step), gamma_(lookups.gamma), beta_powers_(lookups.beta_powers),
        groups_(lookups.layout->num_groups()), logup_(*lookups.layout, lookups.gamma, lookups.beta_powers),
        h_(groups_) {}

  void set_block(const Block& b) {
    block_ = &b;
    rows_contiguous_ = contiguous(b.rows);
    next_contiguous_ = contiguous(b.next_rows);
    base_ = PackedFp4Dot();
    ext_acc_ = PackedFp4();
    index_ = 0;
    if (!groups_) return;
    // Auxiliary values: h_g, then S here and on the next row.
    auto ext = [&](size_t g, bool at_next) {
      PackedFp4 v;
      for (size_t c = 0; c < Fp4::D; ++c) v.c[c] = read(aux_, Fp4::D * g + c, at_next);
      return v;
    };
    for (size_t g = 0; g < groups_; ++g) h_[g] = ext(g, false);
    logup_.start(h_, ext(groups_, false), ext(groups_, true));
  }
  Var local(size_t c) const { return read(main_, c, false); }
  Var next(size_t c) const { return read(main_, c, true); }
  Var fixed(size_t c) const { return read(fixed_, c, false); }
  Var fixed_next(size_t c) const { return read(fixed_, c, true); }
  Var is_first_row() const { return block_->first; }
  Var is_last_row() const { return block_->last; }
  Var is_transition() const { return block_->transition; }
  Fp public_value(size_t i) const { return publics_[i]; }
  void assert_zero(PackedFp e) {
    assert(index_ < alpha_powers_.size());
    base_.add(alpha_powers_[index_++], e);
  }
  void interact(uint32_t bus, std::string_view, std::span<const PackedFp> tuple, PackedFp multiplicity, LookupKind) {
    if (auto c = logup_.add_fraction(logup::fingerprint(bus, tuple, gamma_, beta_powers_), multiplicity))
      ext_acc_ += alpha_powers_[index_++] * *c;
  }
  void finish_lookups() {
    if (!groups_) return;
    ext_acc_ += alpha_powers_[index_++] * logup_.running_sum(sum_step_);
  }
  // sum(alpha^i C_i) at each of the block's points.
  std::array<Fp4, kLanes> folded() { return (base_.value() + ext_acc_).unpack(); }

 private:
  static bool contiguous(const std::array<uint32_t, kLanes>& rows) {
    for (size_t l = 1; l < kLanes; ++l)
      if (rows[l] != rows[0] + l) return false;
    return true;
  }
  PackedFp read(const Columns& m, size_t c, bool at_next) const {
    const Fp* column = m.data + c * m.height;
    const auto& rows = at_next ? block_->next_rows : block_->rows;
    return (at_next ? next_contiguous_ : rows_contiguous_) ? PackedFp::load(column + rows[0])
                                                           : PackedFp::gather(column, rows.data());
  }

  Columns main_, fixed_, aux_;
  std::span<const Fp> publics_;
  std::span<const Fp4> alpha_powers_;
  Fp4 sum_step_, gamma_;
  std::span<const Fp4> beta_powers_;
  size_t groups_;
  logup::RowConstraints<PackedFp, PackedFp4> logup_;
  std::vector<PackedFp4> h_;
  const Block* block_ = nullptr;
  bool rows_contiguous_ = false, next_contiguous_ = false;
  PackedFp4Dot base_;
  PackedFp4 ext_acc_;
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
