// Certified references: the `node_link` table (docs/state-transition.md, "node and link").
//
// One row per reference slot of a hashed node that a walk uses: it receives the slot's child_ref (class
// reference, header offset o) and the 32 bytes at o + 1 .. o + 32 (node_byte), and sends
//   slot_ref (message id, slot, 16 limbs of the reference, expanded, child message id)
// with a multiplicity the prover fills, zero on padding rows. An expanded row also receives the sponge's
// digest tuple of the child message, whose digest limbs are the reference's limbs: the child's bytes hash
// to the reference. A row that is not expanded has child message 0 and serves a hashed-out subtree. Limbs
// are little-endian 16-bit, reference bytes 2j and 2j + 1 in limb j, as the sponge's digest limbs.
#pragma once

#include <array>
#include <span>
#include <string>
#include <vector>

#include "air/buses.hpp"
#include "stark/air.hpp"

namespace witprove::air {

namespace node_link {
inline constexpr size_t real = 0, parent = 1, slot = 2, header = 3, expanded = 4, child = 5, child_length = 6;
inline constexpr size_t bytes = 7;  // 32 reference bytes
inline constexpr size_t mult = bytes + 32;
inline constexpr size_t width = mult + 1;
}  // namespace node_link

struct NodeLinkAir {
  std::string name() const { return "node_link"; }
  size_t width() const { return node_link::width; }
  size_t num_public_values() const { return 0; }
  template <class Folder>
  void eval(Folder& f) const;
};

struct LinkRow {
  size_t parent = 0, slot = 0, header = 0;
  std::array<uint8_t, 32> reference{};
  bool expanded = false;
  size_t child = 0, child_length = 0;
  uint32_t mult = 0;  // slot_ref lookups of this row
};

// The rows, then padding to a power of two (at least one padding row).
stark::Trace generate_node_link_trace(std::span<const LinkRow> rows);

template <class Folder>
void NodeLinkAir::eval(Folder& f) const {
  using namespace node_link;
  using stark::Fp;
  const Fp one = Fp::one();
  auto L = [&](size_t c) { return f.local(c); };
  using Expr = decltype(L(0) + L(0));
  f.assert_zero(L(real) * (L(real) - one));
  f.assert_zero(L(expanded) * (L(expanded) - one));
  f.assert_zero(L(expanded) * (one - L(real)));
  f.assert_zero(L(mult) * (one - L(real)));
  // Padding rows and the child columns of a hashed-out row are zero, so every tuple sent is pinned.
  for (size_t c = parent; c <= header; ++c) f.assert_zero((one - L(real)) * L(c));
  for (size_t k = 0; k < 32; ++k) f.assert_zero((one - L(real)) * L(bytes + k));
  f.assert_zero((one - L(expanded)) * L(child));
  f.assert_zero((one - L(expanded)) * L(child_length));

  f.receive(bus::child_ref, std::array<Expr, 4>{L(parent), L(slot), one, L(header)}, L(real));
  for (size_t k = 0; k < 32; ++k)
    f.receive(bus::node_byte, std::array<Expr, 3>{L(parent), L(header) + Fp(1 + k), L(bytes + k)}, L(real));
  std::array<Expr, 18> digest;
  std::array<Expr, 20> ref;
  digest[0] = L(child);
  digest[1] = L(child_length);
  ref[0] = L(parent);
  ref[1] = L(slot);
  for (size_t j = 0; j < 16; ++j) {
    digest[2 + j] = ref[2 + j] = L(bytes + 2 * j) + L(bytes + 2 * j + 1) * Fp(256);
  }
  ref[18] = L(expanded);
  ref[19] = L(child);
  f.receive(bus::digest, digest, L(expanded));
  f.send(bus::slot_ref, ref, L(mult));
}

}  // namespace witprove::air

// Each table's constraints are compiled once, in node_link.cpp, not in every file that includes this one.
extern template class witprove::stark::AirAdapter<witprove::air::NodeLinkAir>;
