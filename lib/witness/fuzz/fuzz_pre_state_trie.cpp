// libFuzzer target: the tries built from a decoded compact pre-image (scripts/fuzz.sh pre_state_trie): their
// roots, every leaf, every account decoded, and lookups, inserts and deletes of keys taken from the input,
// as the native processing does them.
#include <cstdint>

#include "eth/account.hpp"
#include "witness/compact.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace witprove;
  witness::PreState state;
  try {
    state = witness::decode_compact(eth::ByteView(data, size));
  } catch (const eth::DecodeError&) {
    return 0;
  }
  try {
    (void)state.state.root_hash();
    eth::for_each_leaf(state.state, [](const eth::Nibbles&, const eth::Bytes& value) {
      try {
        (void)eth::decode_account(value);
      } catch (const eth::DecodeError&) {
      }
    });
    for (auto& [key, trie] : state.storage) (void)trie.root_hash();
    (void)witness::pre_image_stats(state);
    // Keys from the input's tail: lookups, then an insert and a delete, then the root again.
    if (size >= 32) {
      eth::H256 key;
      std::copy(data + size - 32, data + size, key.begin());
      (void)state.state.get(key);
      state.state.put(key, eth::Bytes{0x01});
      state.state.erase(key);
      (void)state.state.root_hash();
    }
  } catch (const std::exception&) {  // a key the pre-image hashes out: the processing's error too
  }
  return 0;
}
