// libFuzzer target: RLP decoding of arbitrary bytes (scripts/fuzz.sh rlp). Every item is walked to the
// bottom; a decoded item re-encodes to exactly its input (the decoder accepts canonical encodings only).
#include <cstdint>
#include <cstdlib>

#include "eth/rlp.hpp"

using namespace witprove::eth;

namespace {
void walk(const RlpItem& item, int depth) {
  if (depth > 64) return;
  if (!item.is_list) {
    try {
      (void)rlp_to_u64(item);
    } catch (const DecodeError&) {
    }
    return;
  }
  for (const RlpItem& child : rlp_items(item)) walk(child, depth + 1);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const RlpItem item = rlp_decode(ByteView(data, size));
    walk(item, 0);
    Bytes again;
    if (item.is_list) {
      rlp_append_list_header(again, item.payload.size());
      rlp_append_raw(again, item.payload);
    } else {
      rlp_append_string(again, item.payload);
    }
    if (again != Bytes(data, data + size)) std::abort();
  } catch (const DecodeError&) {
  }
  return 0;
}
