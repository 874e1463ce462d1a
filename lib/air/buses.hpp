// The buses between the statement's tables, each declared once with its tuple length. Ids come from one
// enumeration, so they are unique by construction; the engine also refuses a proof whose tables use an id
// with two names or lengths.
#pragma once

#include <cstdint>

#include "stark/air.hpp"

namespace witprove::air {

enum class BusId : uint32_t {
  keccak_permutation_input = 1,
  keccak_permutation_output,
  keccak_message_block,
  keccak_digest,
  keccak_message_limb,
  rlp_byte,
  node_byte,
  node_child_ref,
  node_path_nibble,
  node_value_byte,
  node_end,
  node_slot_ref,
  node_value_message,
  walk_edge,
  walk_root,
  walk_leaf,
  trie_item,
  key_digest,
  byte_range,
};

namespace bus {
constexpr uint32_t id(BusId b) { return static_cast<uint32_t>(b); }
// (permutation tag, 100 little-endian 16-bit limbs of the state: lane i at limbs 4i..4i+3)
inline constexpr stark::Bus<101> permutation_input{id(BusId::keccak_permutation_input), "keccak.permutation_input"};
inline constexpr stark::Bus<101> permutation_output{id(BusId::keccak_permutation_output), "keccak.permutation_output"};
// (message id, block index, 68 limbs of the block's message bytes, zero past the message end: bytes 2j, 2j+1
// in limb j)
inline constexpr stark::Bus<70> message_block{id(BusId::keccak_message_block), "keccak.message_block"};
// (message id, length in bytes, 16 limbs of the digest: digest bytes 2j, 2j+1 in limb j)
inline constexpr stark::Bus<18> digest{id(BusId::keccak_digest), "keccak.digest"};
// (message id, limb position p, bytes 2p and 2p+1 as one 16-bit value, 1 if byte 2p+1 is in the message):
// each limb of a message the sponge marks as read, sent exactly once (air/keccak_sponge.hpp)
inline constexpr stark::Bus<4> message_limb{id(BusId::keccak_message_limb), "keccak.message_limb"};
// (byte, RLP class, length or length-of-length, high nibble, low nibble, child code, is 0x81, is nonzero,
// is at least 56): the fixed table of byte facts (air/node_bytes.hpp)
inline constexpr stark::Bus<9> rlp_byte{id(BusId::rlp_byte), "rlp.byte"};
// Trie node facts from the parsed node bytes (air/node_bytes.hpp); a node id is (message id, offset of its
// list header): offset 0 for a hashed node.
// (message id, offset, byte)
inline constexpr stark::Bus<3> node_byte{id(BusId::node_byte), "node.byte"};
// (message id, slot, class: 0 empty / 1 reference / 2 embedded node, offset of the slot's RLP header)
inline constexpr stark::Bus<4> child_ref{id(BusId::node_child_ref), "node.child_ref"};
// (message id, node offset, nibble index in the path, nibble)
inline constexpr stark::Bus<4> path_nibble{id(BusId::node_path_nibble), "node.path_nibble"};
// (message id, node offset, offset in the leaf value, byte)
inline constexpr stark::Bus<4> value_byte{id(BusId::node_value_byte), "node.value_byte"};
// (message id, node offset, kind: 0 branch / 1 extension / 2 leaf, path length in nibbles, value length)
inline constexpr stark::Bus<5> node_end{id(BusId::node_end), "node.end"};
// (message id, node offset, value message id, value length): a leaf whose value bytes are also the bytes of
// the value message, so its digest is the value's Keccak-256 (air/node_bytes.hpp)
inline constexpr stark::Bus<4> value_message{id(BusId::node_value_message), "node.value_message"};
// (message id, slot, 16 limbs of the 32-byte reference, expanded, child message id): a reference slot of a
// hashed node, with its child's message when expanded (0 when not) (air/node_link.hpp)
inline constexpr stark::Bus<20> slot_ref{id(BusId::node_slot_ref), "node.slot_ref"};
// Trie walks (air/trie_walk.hpp). A walk is (trie kind: 0 state / 1 storage / 2 transactions / 3 receipts,
// post: 0 pre-state / 1 post-state, 16 account-key limbs: zero but for storage); prefixes and keys are 16
// limbs packed like digest limbs (nibble 2i is the high half of byte i), with their length in nibbles.
// (walk[18], message id, node offset, prefix length, prefix[16]): a node's position in a walk
inline constexpr stark::Bus<37> edge{id(BusId::walk_edge), "walk.edge"};
// (walk[18], root digest[16])
inline constexpr stark::Bus<34> root{id(BusId::walk_root), "walk.root"};
// (walk[18], message id, node offset, key length, key[16], value length): a leaf a walk reaches
inline constexpr stark::Bus<38> leaf{id(BusId::walk_leaf), "walk.leaf"};
// (trie kind, account key[16], item kind: 0 leaf / 1 hashed-out node, prefix length, prefix[16], value[16]):
// pre-state walks send their items, post-state walks receive theirs
inline constexpr stark::Bus<51> item{id(BusId::trie_item), "trie.item"};
// (is slot: 0 address / 1 slot, 16 preimage limbs (an address fills 10), 16 digest limbs): a hashed key
// (air/change_list.hpp)
inline constexpr stark::Bus<33> key_digest{id(BusId::key_digest), "change.key_digest"};
// (byte): a value below 256 (the fixed byte_range table)
inline constexpr stark::Bus<1> byte{id(BusId::byte_range), "byte"};
}  // namespace bus

}  // namespace witprove::air
