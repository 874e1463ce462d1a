// Keccak-256 over byte strings: the sponge table, the public-digests table, and the builder that makes
// them with the permutation table for a list of messages.
//
// Sponge table: two rows per absorbed 136-byte block (docs/keccak-air.md): an absorb row holding the
// state before absorbing and the permutation input, then a block row holding the padded block and the
// permutation output; the xor between them reads both rows.
//   message id, block index, permutation tag, is first block, is last block, is real   (equal on both rows)
//   block mult, digest mult              multiplicities on the block row (zero on the absorb row)
//   is absorb                            1 on absorb rows, 0 on block rows
//   permutation input/output mult        is real on absorb / block rows, else 0
//   is data[136]                         block row: 1 for the block's message bytes, then 0 (padding); absorb row: 0
//   bits[1088]                           absorb row: rate lanes 0..16 of the state (zero on a first block);
//                                        block row: the padded block (byte k = bits 8k..8k+7)
//   limbs[100]                           absorb row: 16-bit limbs of the permutation input (state xor block,
//                                        then capacity lanes 17..24); block row: limbs of its output
//   read                                 1 on every row of a message whose limbs go on message_limb
// 1,336 columns, constraint degree 3.
//
// Bus tuples (air/buses.hpp; 16-bit limbs are little-endian: limb j of a lane is bytes 2j, 2j+1 of it):
//   permutation_input   (tag, 100 input limbs)   sent by real absorb rows, received by the permutation table
//   permutation_output  (tag, 100 output limbs)  sent by real block rows, received likewise
//   message_block       (message id, block index, 68 limbs of the block's message bytes, zero past the message end)
//                       sent by block rows with the block multiplicity, for tables that own the message bytes
//   digest              (message id, length in bytes, 16 limbs of the digest: digest bytes 2j, 2j+1 in limb j)
//                       sent by a message's last block row with the digest multiplicity
//   message_limb        (message id, limb position, limb, has second byte), only with message_limbs set:
//                       sent once for each limb of a read message (multiplicity read x is data), so a table
//                       that receives every limb of a message with multiplicity one reads it exactly once
//                       and reads exactly its bytes: a limb past the end is never sent, and the last limb
//                       of an odd-length message says it has one byte
// Message ids are 0, 1, 2, ... in table order (the index in the list given to build_keccak_tables) and
// blocks of a message are consecutive, so a receiver that gets every block of message id m and the digest
// tuple of m knows that its bytes hash to that digest.
//
// Public-digests table: receives (message id, length, digest) once for each required digest, its digest
// limbs tied to the public values (16 per digest), so a proof shows each public digest is the Keccak-256 of
// some message it hashed.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "air/keccak_permutation.hpp"
#include "eth/bytes.hpp"
#include "stark/air.hpp"

namespace witprove::air {

namespace keccak_sponge {
inline constexpr size_t rate_bytes = 136;
inline constexpr size_t rate_lanes = 17;
using keccak_perm::limb_bits;
using keccak_perm::limbs_per_lane;
using keccak_perm::state_limb_count;
inline constexpr size_t rate_limbs = limbs_per_lane * rate_lanes;
inline constexpr size_t digest_limbs = 256 / limb_bits;
inline constexpr size_t message_id = 0;
inline constexpr size_t block_index = 1;
inline constexpr size_t tag = 2;
inline constexpr size_t is_first = 3;
inline constexpr size_t is_last = 4;
inline constexpr size_t is_real = 5;
inline constexpr size_t block_mult = 6;
inline constexpr size_t digest_mult = 7;
inline constexpr size_t is_absorb = 8;
inline constexpr size_t permutation_input_mult = 9;
inline constexpr size_t permutation_output_mult = 10;
inline constexpr size_t is_data = 11;
inline constexpr size_t bits = is_data + rate_bytes;
inline constexpr size_t limbs = bits + 64 * rate_lanes;
inline constexpr size_t read = limbs + state_limb_count;
inline constexpr size_t width = read + 1;
}  // namespace keccak_sponge

struct KeccakSpongeAir {
  bool message_limbs = false;  // send the limbs of read messages on message_limb

  std::string name() const { return "keccak_sponge"; }
  size_t width() const { return keccak_sponge::width; }
  size_t num_public_values() const { return 0; }
  template <class Folder>
  void eval(Folder& f) const;
};

// Receives `count` digests from the digest bus. Row r holds digests r..count-1 in shift registers that
// start from the public values on the first row; register 0 is the digest received on that row.
struct KeccakPublicDigestsAir {
  size_t count = 1;

  static constexpr size_t message_id = 0;
  static constexpr size_t length = 1;
  static constexpr size_t limbs = keccak_sponge::digest_limbs;
  static constexpr size_t registers = 2;  // digest j limb l at registers + limbs j + l, then `count` active flags

  std::string name() const { return "keccak_public_digests"; }
  size_t width() const { return registers + (limbs + 1) * count; }
  size_t num_public_values() const { return limbs * count; }
  template <class Folder>
  void eval(Folder& f) const;
};

// The 16 public values of a digest: little-endian 16-bit limbs.
std::vector<stark::Fp> digest_public_values(std::span<const eth::H256> digests);

// The Keccak tables of one proof, in proving order: the permutation table(s), the sponge, and public
// digests when any are required.
struct KeccakTables {
  std::vector<std::unique_ptr<stark::Air>> airs;
  std::vector<stark::Trace> traces;
  std::vector<std::vector<stark::Fp>> public_values;
  // With the permutations split over several tables (KeccakRequests::permutations_per_table), their traces
  // are made on demand, one table at a time (permutation_trace): `traces` starts at the sponge's.
  size_t permutation_tables = 1;
  std::vector<eth::KeccakState> permutation_inputs;

  std::vector<stark::TableInstance> instances() const;  // empty for the verifier's tables (no traces)
  std::vector<const stark::Air*> air_pointers() const;
};

// Permutation table k of permutations split over tables of `per_table`: its share of the inputs, tagged
// from k * kPermutationTagStride.
stark::Trace split_permutation_trace(std::span<const eth::KeccakState> inputs, size_t per_table, size_t k);

// What other tables ask of the sponge, per message (each span empty, or one entry per message): whether
// its limbs go on message_limb, and how many times its digest tuple is received besides the public digests.
// permutations_per_table > 0 splits the permutations over tables of at most that many (block b in table
// b / n with tag (b / n) * kPermutationTagStride + b % n); 0 keeps one table, built with the others.
struct KeccakRequests {
  std::span<const uint8_t> read;
  std::span<const uint32_t> digest_lookups;
  size_t permutations_per_table = 0;
};

// Builds the traces hashing every message (each once per entry, in order) and requiring each public
// digest to be among their digests; with `requests.read` the sponge sends the limbs of the flagged
// messages. Throws std::invalid_argument naming a public digest no message has, or requests of another
// length than the messages.
KeccakTables build_keccak_tables(std::span<const eth::Bytes> messages, std::span<const eth::H256> public_digests,
                                 const KeccakRequests& requests = {});

// The verifier's side: the same AIRs and public values from the public digests alone (traces empty).
KeccakTables keccak_verifier_tables(std::span<const eth::H256> public_digests, bool message_limbs = false,
                                    size_t permutation_tables = 1);

// ---------------------------------------------------------------------------------------------------------

template <class Folder>
void KeccakSpongeAir::eval(Folder& f) const {
  using namespace keccak_sponge;
  using stark::Fp;
  const Fp one = Fp::one();
  auto col = [&](size_t c) { return f.local(c); };
  auto nxt = [&](size_t c) { return f.next(c); };
  using Expr = decltype(col(0) + col(0));
  const auto transition = f.is_transition();
  const Expr absorb = col(is_absorb);
  const Expr block_row = one - col(is_absorb);

  auto boolean = [&](size_t c) { f.assert_zero(col(c) * (col(c) - one)); };
  boolean(is_first);
  boolean(is_last);
  boolean(is_real);
  boolean(read);
  for (size_t k = 0; k < rate_bytes; ++k) boolean(is_data + k);
  for (size_t i = 0; i < 64 * rate_lanes; ++i) boolean(bits + i);

  // Rows alternate absorb, block, starting with absorb; the height is even, so the last row is a block row.
  f.assert_zero(f.is_first_row() * (absorb - one));
  f.assert_zero(transition * (nxt(is_absorb) + absorb - one));
  // The two rows of a block agree on what describes the block.
  for (size_t c : {message_id, block_index, tag, is_first, is_last, is_real, read})
    f.assert_zero(absorb * (nxt(c) - col(c)));

  // From a block row to the next block: a message starts on the first row and after every last block;
  // block indices count from 0; message ids count up by one per message; a message is real or not as a
  // whole. Constraints without the transition selector also hold across the wrap to row 0 (a first block).
  const Expr continues = one - nxt(is_first);
  f.assert_zero(f.is_first_row() * (col(is_first) - one));
  f.assert_zero(f.is_first_row() * col(message_id));  // message ids are the messages' indices
  f.assert_zero(col(is_first) * col(block_index));
  f.assert_zero(transition * block_row * (nxt(is_first) - col(is_last)));
  f.assert_zero(block_row * (nxt(block_index) - continues * (col(block_index) + one)));
  f.assert_zero(transition * block_row * (nxt(message_id) - col(message_id) - col(is_last)));
  f.assert_zero(block_row * continues * (nxt(is_real) - col(is_real)));
  f.assert_zero(block_row * continues * (nxt(read) - col(read)));
  f.assert_zero((one - col(is_real)) * col(read));

  // Multiplicities.
  f.assert_zero(col(permutation_input_mult) - absorb * col(is_real));
  f.assert_zero(col(permutation_output_mult) - block_row * col(is_real));
  f.assert_zero(absorb * col(block_mult));
  f.assert_zero((one - col(is_real)) * col(block_mult));
  f.assert_zero(absorb * col(digest_mult));
  f.assert_zero((one - col(is_last) * col(is_real)) * col(digest_mult));

  // Padding, on block rows: is_data is 1...1 0...0; only a last block has zeros, and it has at least one
  // (pad10*1 needs a byte). Past the data: 0x01 on the first padding byte, 0x80 added on byte 135, zero
  // elsewhere. Absorb rows have is_data zero.
  for (size_t k = 0; k < rate_bytes; ++k) f.assert_zero(absorb * col(is_data + k));
  for (size_t k = 0; k + 1 < rate_bytes; ++k) f.assert_zero(col(is_data + k + 1) * (one - col(is_data + k)));
  f.assert_zero(block_row * (one - col(is_last)) * (one - col(is_data + rate_bytes - 1)));
  f.assert_zero(block_row * col(is_last) * col(is_data + rate_bytes - 1));
  for (size_t k = 0; k < rate_bytes; ++k) {
    Expr byte = col(bits + 8 * k + 7);
    for (size_t j = 7; j-- > 0;) byte = byte + byte + col(bits + 8 * k + j);
    Expr pad_start = (k == 0 ? Expr(one - col(is_data)) : Expr(col(is_data + k - 1) - col(is_data + k)));
    if (k + 1 == rate_bytes) byte = byte - Fp(0x80);
    f.assert_zero(block_row * (one - col(is_data + k)) * (byte - pad_start));
  }

  // Absorb: on an absorb row, input limbs = state bits (this row) xor block bits (next row); a first block
  // starts from the zero state. A block row's output is the next block's state when the message goes on.
  constexpr size_t top = limb_bits - 1;
  for (size_t limb = 0; limb < rate_limbs; ++limb) {
    auto s = [&](size_t k) { return col(bits + limb_bits * limb + k); };
    auto m = [&](size_t k) { return nxt(bits + limb_bits * limb + k); };
    auto absorbed = [&](size_t k) {
      auto sm = s(k) * m(k);
      return s(k) + m(k) - sm - sm;
    };
    Expr in_limb = absorbed(top), state_limb = s(top), next_state_limb = m(top);
    for (size_t k = top; k-- > 0;) {  // Horner: doublings, no products
      in_limb = in_limb + in_limb + absorbed(k);
      state_limb = state_limb + state_limb + s(k);
      next_state_limb = next_state_limb + next_state_limb + m(k);
    }
    f.assert_zero(absorb * (in_limb - col(limbs + limb)));
    f.assert_zero(absorb * col(is_first) * state_limb);
    f.assert_zero(block_row * continues * (next_state_limb - col(limbs + limb)));
  }
  for (size_t i = rate_limbs; i < state_limb_count; ++i) {
    f.assert_zero(absorb * col(is_first) * col(limbs + i));
    f.assert_zero(block_row * continues * (nxt(limbs + i) - col(limbs + i)));
  }

  // Lookups. Every tuple is fully constrained by this table; the permutation multiplicities are the
  // constrained is_real flags, the block and digest multiplicities count the receivers' requests.
  std::array<Expr, 1 + state_limb_count> perm;
  perm[0] = col(tag);
  for (size_t i = 0; i < state_limb_count; ++i) perm[1 + i] = col(limbs + i);
  f.send(bus::permutation_input, perm, col(permutation_input_mult));
  f.send(bus::permutation_output, perm, col(permutation_output_mult));

  // Message bytes (block rows): the padded block minus its padding (0x01 on the first padding byte, 0x80
  // on byte 135). The first padding byte is where is_data falls: is_data[k-1] - is_data[k] (1 - is_data[0]).
  std::array<Expr, 2 + rate_limbs> block;
  block[0] = col(message_id);
  block[1] = col(block_index);
  for (size_t limb = 0; limb < rate_limbs; ++limb) {
    Expr value;
    for (size_t b = limb_bits / 8; b-- > 0;) {
      const size_t k = limb_bits / 8 * limb + b;  // byte index in the block
      Expr byte = col(bits + 8 * k + 7);
      for (size_t j = 7; j-- > 0;) byte = byte + byte + col(bits + 8 * k + j);
      byte = byte - (k == 0 ? Expr(one - col(is_data)) : Expr(col(is_data + k - 1) - col(is_data + k)));
      if (k + 1 == rate_bytes) byte = byte - (one - col(is_data + k)) * Fp(0x80);
      value = value * Fp(256) + byte;
    }
    block[2 + limb] = value;
  }
  f.send(bus::message_block, block, col(block_mult));

  // Limbs of a read message, each once: limb j of block b is limb 68 b + j of the message; it is sent when
  // its first byte is data, and says whether its second byte is (absorb rows have no data).
  if (message_limbs) {
    for (size_t limb = 0; limb < rate_limbs; ++limb) {
      const std::array<Expr, 4> tuple = {col(message_id), col(block_index) * Fp(rate_limbs) + Fp(limb), block[2 + limb],
                                         col(is_data + 2 * limb + 1)};
      f.send(bus::message_limb, tuple, col(read) * col(is_data + 2 * limb));
    }
  }

  // Digest (last block row): length = 136 * block index + data bytes of the block; digest = output lanes 0..3.
  Expr length = col(block_index) * Fp(rate_bytes);
  for (size_t k = 0; k < rate_bytes; ++k) length = length + col(is_data + k);
  std::array<Expr, 2 + digest_limbs> digest;
  digest[0] = col(message_id);
  digest[1] = length;
  for (size_t i = 0; i < digest_limbs; ++i) digest[2 + i] = col(limbs + i);
  f.send(bus::digest, digest, col(digest_mult));
}

template <class Folder>
void KeccakPublicDigestsAir::eval(Folder& f) const {
  using stark::Fp;
  const auto first = f.is_first_row();
  const auto transition = f.is_transition();
  const size_t active = registers + limbs * count;
  for (size_t i = 0; i < limbs * count; ++i) f.assert_zero(first * (f.local(registers + i) - f.public_value(i)));
  for (size_t j = 0; j < count; ++j) f.assert_zero(first * (f.local(active + j) - Fp::one()));
  // Every digest reaches register 0 before the table ends: at most one is still waiting on the last row.
  for (size_t j = 1; j < count; ++j) f.assert_zero(f.is_last_row() * f.local(active + j));
  // Shift every register down by one digest per row; zeros come in at the top.
  for (size_t i = 0; i < limbs * count; ++i) {
    if (i + limbs < limbs * count)
      f.assert_zero(transition * (f.next(registers + i) - f.local(registers + i + limbs)));
    else
      f.assert_zero(transition * f.next(registers + i));
  }
  for (size_t j = 0; j < count; ++j) {
    if (j + 1 < count)
      f.assert_zero(transition * (f.next(active + j) - f.local(active + j + 1)));
    else
      f.assert_zero(transition * f.next(active + j));
  }
  // Register 0 is received while its digest is active.
  using Expr = decltype(f.local(0) + f.local(0));
  std::array<Expr, 2 + limbs> digest;
  digest[0] = f.local(message_id);
  digest[1] = f.local(length);
  for (size_t l = 0; l < limbs; ++l) digest[2 + l] = f.local(registers + l);
  f.receive(bus::digest, digest, f.local(active));
}

}  // namespace witprove::air

// Each table's constraints are compiled once, in keccak_sponge.cpp, not in every file that includes this one.
extern template class witprove::stark::AirAdapter<witprove::air::KeccakSpongeAir>;
extern template class witprove::stark::AirAdapter<witprove::air::KeccakPublicDigestsAir>;
