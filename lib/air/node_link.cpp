#include "air/node_link.hpp"

#include <bit>

#include "stark/folders.hpp"

namespace witprove::air {

stark::Trace generate_node_link_trace(std::span<const LinkRow> rows) {
  using namespace node_link;
  using stark::Fp;
  stark::Trace t(width, stark::padded_height(rows.size()));
  for (size_t r = 0; r < rows.size(); ++r) {
    const LinkRow& in = rows[r];
    auto row = t.row(r);
    row[real] = Fp::one();
    row[parent] = Fp(in.parent);
    row[slot] = Fp(in.slot);
    row[header] = Fp(in.header);
    row[expanded] = Fp(in.expanded);
    row[child] = Fp(in.expanded ? in.child : 0);
    row[child_length] = Fp(in.expanded ? in.child_length : 0);
    for (size_t k = 0; k < 32; ++k) row[bytes + k] = Fp(in.reference[k]);
    row[mult] = Fp(in.mult);
  }
  return t;
}

}  // namespace witprove::air

template class witprove::stark::AirAdapter<witprove::air::NodeLinkAir>;
