// libFuzzer target: the witness JSON parser on arbitrary text (scripts/fuzz.sh witness_json): splitting a
// file into blocks and parsing each block, with the same padding the sources give it.
#include <cstdint>
#include <string>

#include "witness/parse.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace witprove::witness;
  const auto blocks = parse_witness_file(make_json_file("fuzz.json", std::string(reinterpret_cast<const char*>(data), size)));
  for (const BlockParse& b : blocks)
    if (b.ok()) (void)block_number(*b.witness);
  return 0;
}
