// FRI (Ben-Sasson, Bentov, Horesh, Riabzev, "Fast Reed-Solomon Interactive Oracle Proofs of Proximity",
// ICALP 2018) over the DEEP codewords of the tables: the commit phase folds 2^log_arity points into one per
// round, adding each table's codeword in when the layer reaches its size, down to a final polynomial; the
// query phase opens every layer at the queried positions. Prover and verifier sides sit together, and the
// transcript order (layer roots and folding challenges, final polynomial, proof of work, queries) is
// written once here. Internal to lib/stark.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "stark/merkle.hpp"
#include "stark/protocol.hpp"
#include "stark/stark.hpp"
#include "stark/transcript.hpp"

namespace witprove::stark::fri {

struct Layer {
  std::vector<Fp4> values;  // bit-reversed order
  MerkleTree tree;
  unsigned log_arity;
};

// Prover: the commit phase. `codewords[i]` is table i's DEEP codeword, of size 2^log_lde[i] (bit-reversed).
// Fills proof.layer_roots and proof.final_poly; returns the layers for the query phase.
std::vector<Layer> commit(const protocol::FriSchedule& schedule, std::span<const unsigned> log_lde,
                          std::span<const std::vector<Fp4>> codewords, unsigned log_blowup, Transcript& transcript,
                          FriProof& proof);

// Both sides, after the commit phase and the prover's grinding (Transcript::grind): checks the proof-of-work
// nonce (nullopt when it fails), absorbs it and draws the query positions in the top layer.
std::optional<std::vector<size_t>> draw_queries(Transcript& transcript, uint64_t nonce, const StarkParams& params,
                                                unsigned log_top);

// Both sides: the distinct positions (sorted) that queries reach in a domain of 2^log_size, grouped by
// 2^log_arity (0: single points).
std::vector<size_t> query_positions(std::span<const size_t> queries, unsigned log_top, unsigned log_size,
                                    unsigned log_arity = 0);

// Prover: the query phase, one opening per layer.
void open(std::span<const Layer> layers, std::span<const size_t> queries, unsigned log_top, FriProof& proof);

// Verifier: replays the commit phase, returning the folding challenges. Shapes must have been checked.
std::vector<Fp4> replay_commit(const FriProof& proof, Transcript& transcript);

// Verifier: checks every layer opening and folds each query down to the final polynomial. tables_at(log_size,
// q) is the sum of the DEEP values at query q of the tables whose LDE has 2^log_size points (zero if none).
std::optional<std::string> verify_queries(const FriProof& proof, const protocol::FriSchedule& schedule,
                                          std::span<const Fp4> betas, std::span<const size_t> queries,
                                          const std::function<Fp4(unsigned, size_t)>& tables_at);

}  // namespace witprove::stark::fri
