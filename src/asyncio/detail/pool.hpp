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
// Sanitizers: the pool that ships is the pool that runs under them.
// ThreadSanitizer needs nothing: a block changes threads only through the
// depot's mutex (or whatever synchronization handed its object over).
// AddressSanitizer cannot see inside a slab, so the pool tells it: a free
// block is poisoned (the word holding the free-list link is unpoisoned
// while the list reads or writes it) and an allocated block is unpoisoned
// for the bytes asked for, so a use after free through the pool is reported
// ("use-after-poison"), as is an overflow past the requested size.
// Whether the pool does this is one property of the built library, not of
// each file that includes this header: the library's CMake target exports
// ASYNCIO_POOL_ASAN (1 when it was built with ASYNCIO_SANITIZE=address...),
// and the slow paths' names carry it, so code compiled with the other
// setting fails to link ("undefined reference to ...pool_refill_asan")
// instead of mixing a poisoning and a non-poisoning pool.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>

#if !defined(ASYNCIO_POOL_ASAN)
#define ASYNCIO_POOL_ASAN 0
#endif
#if ASYNCIO_POOL_ASAN
#include <sanitizer/asan_interface.h>
#define ASYNCIO_POOL_SLOW(name) name##_asan
#else
#define ASYNCIO_POOL_SLOW(name) name
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
// (Named after the pool's ASan setting: see the top of this file.)
void* ASYNCIO_POOL_SLOW(pool_refill)(std::size_t cls);
void ASYNCIO_POOL_SLOW(pool_spill)(std::size_t cls) noexcept;

// ASan annotations (no code unless the library was built with ASan).
// Reads the link of free block `b`.
inline PoolBlock* pool_next(PoolBlock* b) noexcept {
#if ASYNCIO_POOL_ASAN
  __asan_unpoison_memory_region(b, sizeof(PoolBlock));
#endif
  return b->next;
}
// Links free block `b` (of class `cls`) to `next` and poisons it whole.
inline void pool_link_free(PoolBlock* b, PoolBlock* next, std::size_t cls) noexcept {
#if ASYNCIO_POOL_ASAN
  __asan_unpoison_memory_region(b, sizeof(PoolBlock));
#endif
  b->next = next;
#if ASYNCIO_POOL_ASAN
  __asan_poison_memory_region(b, (cls + 1) * kPoolGranule);
#else
  (void)cls;
#endif
}
// Block `b` (its link read) is handed out for `n` bytes.
inline void* pool_hand_out(PoolBlock* b, std::size_t n) noexcept {
#if ASYNCIO_POOL_ASAN
  __asan_poison_memory_region(b, sizeof(PoolBlock));
  __asan_unpoison_memory_region(b, n);
#else
  (void)n;
#endif
  return b;
}

// ASYNCIO_NO_POOL (the cortex-m backend sets it for the library and its
// users alike, docs/platforms.md): every block comes from operator new.
#if defined(ASYNCIO_NO_POOL)
inline constexpr bool kPoolEnabled = false;
#else
inline constexpr bool kPoolEnabled = true;
#endif

inline void* pool_allocate(std::size_t n) {
  if (kPoolEnabled && n - 1 < kPoolMaxBlock) {  // 1..kPoolMaxBlock
    const std::size_t c = (n - 1) / kPoolGranule;
    PoolList& list = tls_pool_cache.list[c];
    if (PoolBlock* b = list.head) {
      list.head = pool_next(b);
      --list.count;
      // The next allocation reads the new head's link: after many frees
      // in an order unlike the allocations' (timers firing by deadline)
      // it is a cache miss; start it now.
      __builtin_prefetch(list.head);
      return pool_hand_out(b, n);
    }
    return pool_hand_out(static_cast<PoolBlock*>(ASYNCIO_POOL_SLOW(pool_refill)(c)), n);
  }
  return ::operator new(n);
}

inline void pool_deallocate(void* p, std::size_t n) noexcept {
  if (p == nullptr) return;
  if (kPoolEnabled && n - 1 < kPoolMaxBlock) {
    const std::size_t c = (n - 1) / kPoolGranule;
    PoolList& list = tls_pool_cache.list[c];
    auto* b = static_cast<PoolBlock*>(p);
    if (list.head == nullptr) list.tail = b;
    pool_link_free(b, list.head, c);
    list.head = b;
    if (++list.count == kPoolBatch) ASYNCIO_POOL_SLOW(pool_spill)(c);
    return;
  }
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
