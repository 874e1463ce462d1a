// libFuzzer target: the proof file reader on arbitrary bytes (scripts/fuzz.sh proof_file): the binary
// codec, and the JSON form of whatever decodes.
#include <cstdint>
#include <string_view>

#include "proof/proof_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace witprove::proof;
  try {
    const ProofFile file = decode(std::span(data, size));
    (void)from_json(to_json(file));
  } catch (const FormatError&) {
  }
  try {
    (void)from_json(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const FormatError&) {
  }
  return 0;
}
