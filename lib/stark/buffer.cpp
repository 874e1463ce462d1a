#include "stark/buffer.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
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

// Maps `length` bytes (a multiple of kLargeBlock) at an address aligned to kLargeBlock, so that huge pages
// cover the block from its first byte and mremap can move whole page-table entries between blocks.
void* map_aligned(size_t length) {
  const size_t slack = kLargeBlock;
  void* raw = mmap(nullptr, length + slack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = round_up(start, kLargeBlock);
  if (aligned > start) munmap(raw, aligned - start);
  if (const size_t tail = start + length + slack - (aligned + length)) munmap(reinterpret_cast<void*>(aligned + length), tail);
  void* p = reinterpret_cast<void*>(aligned);
  madvise(p, length, MADV_HUGEPAGE);  // advisory: without transparent huge pages this changes nothing
  return p;
}

}  // namespace

void* acquire_block(size_t bytes) {
  auto& c = cache();
  const size_t length = round_up(bytes, kLargeBlock);
  std::lock_guard lock(c.mutex);
  c.kept.reserve(c.kept.size() + 1);  // the splits below then cannot throw
  // The smallest kept block that holds the request: its pages are already the process's (no fault, no
  // zeroing by the kernel, no memory asked of a host that took freed pages back). The part past the request
  // stays kept.
  size_t best = c.kept.size();
  for (size_t i = 0; i < c.kept.size(); ++i)
    if (c.kept[i].second >= length && (best == c.kept.size() || c.kept[i].second < c.kept[best].second)) best = i;
  if (best < c.kept.size()) {
    const auto [p, kept_length] = c.kept[best];
    c.in_use.emplace(p, length);  // first: it may throw, and then nothing has changed
    if (kept_length > length) {
      c.kept[best] = {static_cast<char*>(p) + length, kept_length - length};
    } else {
      c.kept[best] = c.kept.back();
      c.kept.pop_back();
    }
    return p;
  }
  // No kept block holds it: a fresh mapping whose front is made of kept blocks, largest first, moved there
  // by mremap (pages move with their page tables: nothing is zeroed or copied); only the rest is faulted in
  // fresh. So the process never maps more than the most it had in use at once.
  char* p = static_cast<char*>(map_aligned(length));
  try {
    c.in_use.emplace(p, length);
  } catch (...) {
    munmap(p, length);
    throw std::bad_alloc();
  }
  std::sort(c.kept.begin(), c.kept.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  for (size_t filled = 0; filled < length && !c.kept.empty();) {
    auto& [q, kept_length] = c.kept.back();
    const size_t part = std::min(kept_length, length - filled);
    if (mremap(q, part, part, MREMAP_MAYMOVE | MREMAP_FIXED, p + filled) == MAP_FAILED) break;  // rest: fresh
    filled += part;
    if (part < kept_length) {
      q = static_cast<char*>(q) + part;
      kept_length -= part;
    } else {
      c.kept.pop_back();
    }
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

size_t kept_block_bytes() noexcept {
  auto& c = cache();
  std::lock_guard lock(c.mutex);
  size_t total = 0;
  for (const auto& [p, length] : c.kept) total += length;
  return total;
}

}  // namespace witprove::stark
