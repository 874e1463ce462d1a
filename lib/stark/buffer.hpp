// Large blocks of memory for traces and the prover's matrices. Blocks of 2 MiB and more are mapped
// directly at 2 MiB-aligned addresses, marked for transparent huge pages (the kernel then hands out and
// zeroes memory 2 MiB at a time instead of faulting in 4 KiB pages, and walking a matrix across rows stops
// missing the TLB on every row), and kept mapped when freed: the next proof (the next segment of a block)
// reuses them instead of having the kernel zero fresh pages again, which on a virtual machine that returns
// freed memory to its host (free page reporting) also costs a host fault per page, about 1-2.5 s per GB
// measured. A request takes the smallest kept block that holds it (the rest stays kept); one that no kept
// block holds is assembled from kept blocks moved by mremap (page tables move, nothing is zeroed or copied;
// a block is remembered as the mappings it is made of, since older kernels move only within one mapping)
// and fresh pages for the rest. So a process maps at most the most it had in use at once (unless the system
// refuses a move, and then the rest of that block is fresh), and keeps it: kept blocks go back to the
// system only when it refuses a fresh mapping beside them.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <utility>

namespace witprove::stark {

inline constexpr size_t kLargeBlock = size_t{1} << 21;
void* acquire_block(size_t bytes);  // throws std::bad_alloc
void release_block(void* p, size_t bytes) noexcept;  // p from acquire_block; anything else is ignored
// Bytes held in kept blocks: mapped, not in use.
size_t kept_block_bytes() noexcept;
// Zeroes `bytes` bytes at p on all threads (oneTBB), 2 MiB at a time: the first write to fresh memory is
// where the kernel (and, on a virtual machine, the host) faults its pages in, and that work then runs on
// every core instead of one.
void parallel_zero(void* p, size_t bytes);

// Allocator on large blocks. Elements are left uninitialised when a vector is sized (a matrix that is
// fully written right after it is allocated would otherwise cost a pass over memory for nothing); smaller
// vectors use the standard allocator.
template <class T>
struct LargeBlockAllocator {
  using value_type = T;
  LargeBlockAllocator() = default;
  template <class U>
  LargeBlockAllocator(const LargeBlockAllocator<U>&) noexcept {}  // NOLINT: rebinding
  T* allocate(size_t n) {
    const size_t bytes = n * sizeof(T);
    if (bytes < kLargeBlock) return std::allocator<T>().allocate(n);
    return static_cast<T*>(acquire_block(bytes));
  }
  void deallocate(T* p, size_t n) noexcept {
    const size_t bytes = n * sizeof(T);
    if (bytes < kLargeBlock) return std::allocator<T>().deallocate(p, n);
    release_block(p, bytes);
  }
  template <class U>
  void construct(U*) noexcept {}  // default-initialisation: left as is (trivial element types only)
  template <class U, class... A>
  void construct(U* p, A&&... a) { ::new (static_cast<void*>(p)) U(std::forward<A>(a)...); }
  friend bool operator==(const LargeBlockAllocator&, const LargeBlockAllocator&) { return true; }
};

}  // namespace witprove::stark
