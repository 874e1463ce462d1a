// libFuzzer target: the compact pre-image decoder on arbitrary bytes (scripts/fuzz.sh compact).
#include <cstdint>

#include "witness/compact.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace witprove;
  try {
    (void)witness::decode_compact(eth::ByteView(data, size));
  } catch (const eth::DecodeError&) {
  }
  return 0;
}
