#include "stark/buffer.hpp"

#include <sys/mman.h>

#include <mutex>
#include <new>
#include <utility>
#include <vector>

namespace witprove::stark {
namespace {

struct BlockCache {
  std::mutex mutex;
  std::vector<std::pair<void*, size_t>> blocks;  // freed, still mapped
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
    for (size_t i = 0; i < c.blocks.size(); ++i)
      if (c.blocks[i].second == bytes) {
        void* p = c.blocks[i].first;
        c.blocks[i] = c.blocks.back();
        c.blocks.pop_back();
        return p;
      }
    for (auto [p, size] : c.blocks) munmap(p, size);
    c.blocks.clear();
  }
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  madvise(p, bytes, MADV_HUGEPAGE);  // advisory: without transparent huge pages this changes nothing
  return p;
}

void release_block(void* p, size_t bytes) noexcept {
  auto& c = cache();
  std::lock_guard lock(c.mutex);
  try {
    c.blocks.emplace_back(p, bytes);
  } catch (...) {
    munmap(p, bytes);  // no room to remember it: give it back
  }
}

}  // namespace witprove::stark
