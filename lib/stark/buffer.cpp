#include "stark/buffer.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <mutex>
#include <new>
#include <unordered_map>
#include <utility>
#include <vector>

namespace witprove::stark {
namespace {

size_t round_up(size_t bytes, size_t unit) { return (bytes + unit - 1) / unit * unit; }

struct BlockCache {
  std::mutex mutex;
  std::vector<std::pair<void*, size_t>> kept;  // freed, still mapped: address and mapped length
  std::unordered_map<void*, size_t> in_use;    // handed out: address and mapped length
};

BlockCache& cache() {
  static BlockCache c;
  return c;
}

}  // namespace

void* acquire_block(size_t bytes) {
  auto& c = cache();
  {
    std::lock_guard lock(c.mutex);
    // The smallest kept block that holds the request: its pages are already the process's (no fault, no
    // zeroing by the kernel); the part past the request goes back to the system.
    size_t best = c.kept.size();
    for (size_t i = 0; i < c.kept.size(); ++i)
      if (c.kept[i].second >= bytes && (best == c.kept.size() || c.kept[i].second < c.kept[best].second)) best = i;
    if (best < c.kept.size()) {
      const auto [p, length] = c.kept[best];
      const size_t keep = std::min(length, round_up(bytes, kLargeBlock));
      c.in_use.emplace(p, keep);  // first: it may throw, and then nothing has changed
      c.kept[best] = c.kept.back();
      c.kept.pop_back();
      if (keep < length) munmap(static_cast<char*>(p) + keep, length - keep);
      return p;
    }
    for (auto [p, length] : c.kept) munmap(p, length);
    c.kept.clear();
  }
  const size_t length = round_up(bytes, kLargeBlock);
  void* p = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  madvise(p, length, MADV_HUGEPAGE);  // advisory: without transparent huge pages this changes nothing
  std::lock_guard lock(c.mutex);
  try {
    c.in_use.emplace(p, length);
  } catch (...) {
    munmap(p, length);
    throw std::bad_alloc();
  }
  return p;
}

void release_block(void* p, size_t bytes) noexcept {
  auto& c = cache();
  std::lock_guard lock(c.mutex);
  const auto it = c.in_use.find(p);
  const size_t length = it == c.in_use.end() ? round_up(bytes, kLargeBlock) : it->second;
  if (it != c.in_use.end()) c.in_use.erase(it);
  try {
    c.kept.emplace_back(p, length);
  } catch (...) {
    munmap(p, length);  // no room to remember it: give it back
  }
}

}  // namespace witprove::stark
