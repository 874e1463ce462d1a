// Reading optional fields of the JSON lines and reports this layer writes.
#pragma once

#include <simdjson.h>

#include <string_view>

namespace witprove::pipeline {

// Sets `out` from field `key` of `o` when it is there with T's type; leaves `out` as it is otherwise.
template <class T>
void read_optional(const simdjson::dom::object& o, std::string_view key, T& out) {
  T value;
  if (o[key].get(value) == simdjson::SUCCESS) out = value;
}

}  // namespace witprove::pipeline
