// A small-object allocator for coroutine frames, tasks and callback handles.
//
// Why: every create_task allocates a frame and a task, every call_soon a
// handle. A thread-local free list per size class makes those allocations a
// few instructions and, once warm, makes call_soon and task steps
// allocation-free (DESIGN.md's performance principles). Blocks are carved
// from 64 KiB slabs, so they carry no malloc header: a pending task costs
// exactly its frame and its state.
//
// Size classes are multiples of 16 bytes up to 1 KiB (16 keeps every block
// aligned for any fundamental type, as operator new must). Larger requests
// go to operator new.
//
// Threads: each thread caches freed blocks per class, in a list of up to
// kPoolBatch blocks plus one spare full batch. Full batches move whole
// (O(1), no list walking) to and from a central depot (one mutex per
// class), so blocks migrate between threads (a coroutine created in one
// thread and finished in the loop's) without unbounded growth.
// Memory is kept for reuse, never returned to the system (like an arena):
// a program's footprint is its peak number of live small objects.
//
// Under AddressSanitizer or ThreadSanitizer the pool is bypassed so that the
// sanitizers see every allocation and free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ASYNCIO_POOL_DISABLED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define ASYNCIO_POOL_DISABLED 1
#endif
#endif
#if defined(ASYNCIO_NO_POOL)
#define ASYNCIO_POOL_DISABLED 1
#endif

namespace asyncio::detail {

inline constexpr std::size_t kPoolGranule = 16;
inline constexpr std::size_t kPoolMaxBlock = 1024;
inline constexpr std::size_t kPoolClasses = kPoolMaxBlock / kPoolGranule;
inline constexpr std::uint32_t kPoolBatch = 2048;

struct PoolBlock {
  PoolBlock* next;
};

// A list of blocks whose last block is known, so it can be spliced whole.
struct PoolList {
  PoolBlock* head;
  PoolBlock* tail;
  std::uint32_t count;
};

// Plain data, constant-initialized: reaching it costs no TLS guard.
struct PoolCache {
  PoolList list[kPoolClasses];   // allocations pop here, frees push here
  PoolList spare[kPoolClasses];  // empty, or exactly kPoolBatch blocks
  bool exit_hook_registered;
};

inline thread_local PoolCache tls_pool_cache{};

// Slow paths (pool.cpp): refill an empty class, spill an overfull one.
void* pool_refill(std::size_t cls);
void pool_spill(std::size_t cls) noexcept;

inline void* pool_allocate(std::size_t n) {
#if !defined(ASYNCIO_POOL_DISABLED)
  if (n - 1 < kPoolMaxBlock) {  // 1..kPoolMaxBlock
    const std::size_t c = (n - 1) / kPoolGranule;
    PoolList& list = tls_pool_cache.list[c];
    if (PoolBlock* b = list.head) {
      list.head = b->next;
      --list.count;
      // The next allocation reads the new head's link: after many frees
      // in an order unlike the allocations' (timers firing by deadline)
      // it is a cache miss; start it now.
      __builtin_prefetch(list.head);
      return b;
    }
    return pool_refill(c);
  }
#endif
  return ::operator new(n);
}

inline void pool_deallocate(void* p, std::size_t n) noexcept {
  if (p == nullptr) return;
#if !defined(ASYNCIO_POOL_DISABLED)
  if (n - 1 < kPoolMaxBlock) {
    const std::size_t c = (n - 1) / kPoolGranule;
    PoolList& list = tls_pool_cache.list[c];
    auto* b = static_cast<PoolBlock*>(p);
    if (list.head == nullptr) list.tail = b;
    b->next = list.head;
    list.head = b;
    if (++list.count == kPoolBatch) pool_spill(c);
    return;
  }
#else
  (void)n;
#endif
  ::operator delete(p);
}

/// Bytes the pool holds in slabs (all threads), for tests and benchmarks.
std::size_t pool_slab_bytes() noexcept;

// Mix-in giving a class pooled operator new/delete (sized delete tells the
// pool the block's class, so blocks carry no header).
struct Pooled {
  static void* operator new(std::size_t n) { return pool_allocate(n); }
  static void operator delete(void* p, std::size_t n) noexcept { pool_deallocate(p, n); }
};

}  // namespace asyncio::detail
