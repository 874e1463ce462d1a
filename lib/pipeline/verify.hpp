// Checks of block proofs: the proof itself, against a real header, and as links of a chain.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "proof/proof_file.hpp"
#include "witness/header.hpp"

namespace witprove::pipeline {

// The digests a block proof must prove: its pre-state, post-state, transactions and receipts roots.
std::vector<proof::Hash32> required_digests(const proof::PublicValues& v);

// Verifies every segment of the proof against its statement bytes and checks that the segments prove
// exactly the required digests. The STARK parameters must be exactly one of stark::parameter_sets(); any
// other values are refused whatever security they would claim. nullopt when valid, else the reason.
std::optional<std::string> verify_proof(const proof::ProofFile& file);

// The public values equal the real block's number, hashes, roots and gas used.
std::optional<std::string> check_against_header(const proof::PublicValues& v, const witness::BlockHeader& header);

// `child` continues `parent`: consecutive numbers, child's pre-state root is parent's post-state root,
// child's parent hash is parent's block hash, and child's previous-proof digest is parent's digest.
std::optional<std::string> check_link(const proof::ProofFile& parent, const proof::PublicValues& child);

}  // namespace witprove::pipeline
