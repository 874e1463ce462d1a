// Checks of block proofs: the proof itself, against a real header, and as links of a chain.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "proof/proof_file.hpp"
#include "witness/header.hpp"

namespace witprove::pipeline {

// Verifies the proof of the block state-transition statement (air::verify_block_transition) for its public
// values: a proof of another statement is refused, and the STARK parameters must be exactly one of
// stark::parameter_sets(); any other values are refused whatever security they would claim. nullopt when
// valid, else the reason.
std::optional<std::string> verify_proof(const proof::ProofFile& file);

// The public values equal the real block's number, hashes, post-state root, transactions and receipts roots
// and gas used.
std::optional<std::string> check_against_header(const proof::PublicValues& v, const witness::BlockHeader& header);

// The parent's header: its number is one less, its hash is the parent hash and its state root is the
// pre-state root.
std::optional<std::string> check_against_parent_header(const proof::PublicValues& v,
                                                        const witness::BlockHeader& parent);

// `child` continues `parent`: consecutive numbers, child's pre-state root is parent's post-state root,
// child's parent hash is parent's block hash, and child's previous-proof digest is parent's digest.
std::optional<std::string> check_link(const proof::ProofFile& parent, const proof::PublicValues& child);

}  // namespace witprove::pipeline
