#include "asyncio/detail/pool.hpp"

#include <atomic>
#include <mutex>
#include <vector>

namespace asyncio::detail {
namespace {

constexpr std::size_t kSlabBytes = std::size_t{64} * 1024;

// Full batches given up by threads, per size class.
struct Depot {
  std::mutex mutex;
  std::vector<PoolList> batches;
};

Depot& depot(std::size_t cls) {
  // Never destroyed: a thread's cache may come back after static destructors
  // have run. A thread still ending while the process exits (an executor's
  // worker finishing as main returns) gives its cache back after them:
  // ThreadSanitizer saw that write into a freed depot (test_compilers'
  // to_thread test). And where the C++ runtime has no
  // __cxa_thread_atexit_impl (libc++abi's fallback, as in Emscripten's
  // pthreads builds) the main thread's thread_local destructors, ThreadExit's
  // among them, run from an atexit handler registered before the depots were
  // built, so after their destructor: it corrupted the heap at exit there.
  static Depot* depots = new Depot[kPoolClasses];
  return depots[cls];
}

std::atomic<std::size_t> g_slab_bytes{0};

// Every slab, for the life of the process (the pool never gives memory
// back). Besides the bookkeeping, this keeps the slabs reachable for
// LeakSanitizer, which does not find them through the thread caches alone.
void remember_slab(char* slab) {
  static std::mutex mutex;
  static std::vector<char*>* slabs = new std::vector<char*>();  // never destroyed: alive at exit
  std::lock_guard<std::mutex> lock(mutex);
  slabs->push_back(slab);
}

void give_to_depot(std::size_t cls, const PoolList& batch) {
  if (batch.count == 0) return;
  Depot& d = depot(cls);
  std::lock_guard<std::mutex> lock(d.mutex);
  d.batches.push_back(batch);
}

// Hands a thread's cached blocks to the depot when the thread exits, so
// they are reused instead of lost. A separate thread_local with a
// destructor, touched only on slow paths, keeps the fast path free of TLS
// guards.
struct ThreadExit {
  ~ThreadExit() {
    PoolCache& cache = tls_pool_cache;
    for (std::size_t c = 0; c < kPoolClasses; ++c) {
      give_to_depot(c, cache.list[c]);
      give_to_depot(c, cache.spare[c]);
      cache.list[c] = PoolList{};
      cache.spare[c] = PoolList{};
    }
  }
};

void register_thread_exit() {
  static thread_local ThreadExit hook;
  (void)&hook;
  tls_pool_cache.exit_hook_registered = true;
}

}  // namespace

void* ASYNCIO_POOL_SLOW(pool_refill)(std::size_t cls) {
  PoolCache& cache = tls_pool_cache;
  if (!cache.exit_hook_registered) register_thread_exit();
  PoolList& list = cache.list[cls];
  if (cache.spare[cls].count != 0) {
    list = cache.spare[cls];
    cache.spare[cls] = PoolList{};
  } else {
    Depot& d = depot(cls);
    std::unique_lock<std::mutex> lock(d.mutex);
    if (!d.batches.empty()) {
      list = d.batches.back();
      d.batches.pop_back();
    } else {
      lock.unlock();
      // Carve a new slab into blocks.
      const std::size_t block = (cls + 1) * kPoolGranule;
      const std::size_t blocks = kSlabBytes / block > 0 ? kSlabBytes / block : 1;
      auto* slab = static_cast<char*>(::operator new(blocks * block));
      remember_slab(slab);
      g_slab_bytes.fetch_add(blocks * block, std::memory_order_relaxed);
      PoolBlock* head = nullptr;
      for (std::size_t i = blocks; i-- > 0;) {
        auto* b = reinterpret_cast<PoolBlock*>(slab + i * block);
        pool_link_free(b, head, cls);
        head = b;
      }
      list = PoolList{head, reinterpret_cast<PoolBlock*>(slab + (blocks - 1) * block),
                      static_cast<std::uint32_t>(blocks)};
    }
  }
  PoolBlock* b = list.head;
  list.head = pool_next(b);
  --list.count;
  return b;  // pool_allocate() unpoisons what it hands out
}

void ASYNCIO_POOL_SLOW(pool_spill)(std::size_t cls) noexcept {
  // The list holds a full batch: it becomes the spare, and an older spare
  // goes to the depot.
  PoolCache& cache = tls_pool_cache;
  if (!cache.exit_hook_registered) register_thread_exit();
  if (cache.spare[cls].count != 0) {
    try {
      give_to_depot(cls, cache.spare[cls]);
    } catch (...) {
      return;  // could not grow the depot: keep caching in the list
    }
  }
  cache.spare[cls] = cache.list[cls];
  cache.list[cls] = PoolList{};
}

std::size_t pool_slab_bytes() noexcept { return g_slab_bytes.load(std::memory_order_relaxed); }

}  // namespace asyncio::detail
