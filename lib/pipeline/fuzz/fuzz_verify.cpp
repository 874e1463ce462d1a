// libFuzzer target: the verifier fed arbitrary proof bytes (scripts/fuzz.sh verify). The file's checksum is
// set over the input first, so that mutations of a real proof (the seeds) reach the STARK verifier instead of
// stopping at the checksum. Any input must be refused or accepted without a crash, a sanitizer report, an
// unbounded allocation or a hang.
#include <cstdint>
#include <vector>

#include "pipeline/verify.hpp"
#include "proof/proof_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace witprove;
  if (size < 8) return 0;
  std::vector<uint8_t> bytes(data, data + size);
  proof::seal(bytes);
  try {
    const proof::ProofFile file = proof::decode(bytes);
    (void)pipeline::verify_proof(file);
  } catch (const proof::FormatError&) {
  }
  return 0;
}
