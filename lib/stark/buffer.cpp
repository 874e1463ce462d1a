#include "stark/buffer.hpp"

#include <sys/mman.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstring>
#include <cstdint>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

namespace witprove::stark {
namespace {

size_t round_up(size_t bytes, size_t unit) { return (bytes + unit - 1) / unit * unit; }

// A range of memory inside one mapping of ours. Blocks assembled by mremap are several mappings (a moved
// range keeps its own identity and need not merge with its neighbours), and kernels before 6.17 refuse to
// move a range across mappings, so blocks are remembered as their pieces and only pieces are moved.
struct Piece {
  char* at;
  size_t length;
};

struct BlockCache {
  std::mutex mutex;
  std::vector<Piece> kept;                                // freed, still mapped
  std::unordered_map<void*, std::vector<Piece>> in_use;  // handed out: the pieces each block is made of
};

BlockCache& cache() {
  static BlockCache& c = *new BlockCache;  // never destroyed: blocks may be released during static destruction
  return c;
}

void unmap(const Piece& piece) { munmap(piece.at, piece.length); }

// Maps `length` bytes (a multiple of kLargeBlock) at an address aligned to kLargeBlock, so that huge pages
// cover the block from its first byte and mremap can move whole page-table entries between blocks.
// Returns nullptr when the system has no room.
char* map_aligned(size_t length) {
  const size_t slack = kLargeBlock;
  void* raw = mmap(nullptr, length + slack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  const auto start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = round_up(start, kLargeBlock);
  if (aligned > start) munmap(raw, aligned - start);
  if (const size_t tail = start + length + slack - (aligned + length)) munmap(reinterpret_cast<void*>(aligned + length), tail);
  char* p = reinterpret_cast<char*>(aligned);
  madvise(p, length, MADV_HUGEPAGE);  // advisory: without transparent huge pages this changes nothing
  return p;
}

// Moves the largest kept pieces, in turn, to the front of the fresh block [p, p + length) and lists its
// pieces in `pieces` (its capacity at least the kept pieces and two, so nothing here allocates). A move
// that fails leaves the rest of the block fresh: the range it was to fill is mapped anew (a failed mremap
// may already have unmapped it). Throws std::bad_alloc, with the block unmapped, when even that fails.
void fill_from_kept(BlockCache& c, char* p, size_t length, std::vector<Piece>& pieces) {
  std::sort(c.kept.begin(), c.kept.end(), [](const Piece& a, const Piece& b) { return a.length < b.length; });
  size_t filled = 0;
  while (filled < length && !c.kept.empty()) {
    Piece& source = c.kept.back();
    const size_t part = std::min(source.length, length - filled);
    char* to = p + filled;
    if (mremap(source.at, part, part, MREMAP_MAYMOVE | MREMAP_FIXED, to) == MAP_FAILED) {
      if (mmap(to, part, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) {
        munmap(p, length);
        throw std::bad_alloc();
      }
      madvise(to, part, MADV_HUGEPAGE);
      pieces.push_back({to, part});
      filled += part;
      break;
    }
    pieces.push_back({to, part});
    filled += part;
    if (part < source.length) {
      source.at += part;
      source.length -= part;
    } else {
      c.kept.pop_back();
    }
  }
  if (filled < length) pieces.push_back({p + filled, length - filled});
}

}  // namespace

void* acquire_block(size_t bytes) {
  auto& c = cache();
  const size_t length = round_up(bytes, kLargeBlock);
  std::lock_guard lock(c.mutex);
  // The smallest kept piece that holds the request: its pages are already the process's (no fault, no
  // zeroing by the kernel, no memory asked of a host that took freed pages back). The rest stays kept.
  size_t best = c.kept.size();
  for (size_t i = 0; i < c.kept.size(); ++i)
    if (c.kept[i].length >= length && (best == c.kept.size() || c.kept[i].length < c.kept[best].length)) best = i;
  if (best < c.kept.size()) {
    const Piece piece = c.kept[best];
    c.in_use.emplace(piece.at, std::vector<Piece>{{piece.at, length}});  // first: it may throw
    if (piece.length > length) {
      c.kept[best] = {piece.at + length, piece.length - length};
    } else {
      c.kept[best] = c.kept.back();
      c.kept.pop_back();
    }
    return piece.at;
  }
  // No kept piece holds it: a fresh mapping whose front is made of kept pieces moved there by mremap (pages
  // move with their page tables: nothing is zeroed or copied); only the rest is faulted in fresh. So the
  // process maps at most the most it had in use at once, unless a move fails. Where the system refuses the
  // fresh mapping beside the kept pieces, they are given back and it is tried once more.
  std::vector<Piece> pieces;
  pieces.reserve(c.kept.size() + 2);
  char* p = map_aligned(length);
  if (!p) {
    for (const Piece& piece : c.kept) unmap(piece);
    c.kept.clear();
    p = map_aligned(length);
    if (!p) throw std::bad_alloc();
  }
  fill_from_kept(c, p, length, pieces);
  try {
    c.in_use.emplace(p, std::move(pieces));
  } catch (...) {
    munmap(p, length);
    throw std::bad_alloc();
  }
  return p;
}

void release_block(void* p, size_t) noexcept {
  auto& c = cache();
  std::lock_guard lock(c.mutex);
  const auto it = c.in_use.find(p);
  if (it == c.in_use.end()) return;  // not a block in use (cannot happen through LargeBlockAllocator): left alone
  try {
    c.kept.insert(c.kept.end(), it->second.begin(), it->second.end());
  } catch (...) {
    for (const Piece& piece : it->second) unmap(piece);  // no room to remember them: give them back
  }
  c.in_use.erase(it);
}

size_t kept_block_bytes() noexcept {
  auto& c = cache();
  std::lock_guard lock(c.mutex);
  size_t total = 0;
  for (const Piece& piece : c.kept) total += piece.length;
  return total;
}

void parallel_zero(void* p, size_t bytes) {
  char* const at = static_cast<char*>(p);
  tbb::parallel_for(size_t{0}, (bytes + kLargeBlock - 1) / kLargeBlock, [&](size_t k) {
    const size_t first = k * kLargeBlock;
    std::memset(at + first, 0, std::min(kLargeBlock, bytes - first));
  });
}

}  // namespace witprove::stark
