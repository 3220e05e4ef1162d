#include "asyncio/detail/chunk_pool.hpp"

#include <algorithm>
#include <chrono>
#include <new>
#include <vector>

#include "asyncio/detail/os.hpp"

namespace asyncio::detail {

namespace {

double monotonic_seconds() noexcept {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Set once this thread's pool is destroyed (thread exit): a chunk given
// back later (a StreamReader holding one, destroyed by a thread_local or
// static destructor that runs after the pool's) is freed directly.
thread_local bool tls_chunks_gone = false;

// Chunks of idle connections go back here, up to kKeep of them per thread.
// Trimming: `low_` is the fewest idle chunks the pool held since the
// current period began; that many were not needed during the whole period,
// so all of them but the reserve can go when it ends.
class ChunkPool {
 public:
  ~ChunkPool() {
    for (char* c : free_) free_pages(c, kChunkSize);
    tls_chunks_gone = true;
  }
  char* get() {
    if (free_.empty()) {
      void* p = alloc_pages(kChunkSize);
      if (p == nullptr) throw std::bad_alloc();
      return static_cast<char*>(p);
    }
    char* c = free_.back();
    free_.pop_back();
    low_ = std::min(low_, free_.size());
    return c;
  }
  void put(char* c) noexcept {
    if (free_.size() < kKeep) {
      try {
        free_.push_back(c);
        return;
      } catch (...) {  // NOLINT(bugprone-empty-catch): no room to cache the chunk: it is freed below
      }
    }
    free_pages(c, kChunkSize);
  }
  bool has_excess() const noexcept { return free_.size() > kChunkReserve; }
  double trim(double timeout) noexcept {
    const double now = monotonic_seconds();
    if (period_start_ < 0) {  // a new period: count from now
      period_start_ = now;
      low_ = free_.size();
    } else if (now - period_start_ >= kChunkTrimPeriod) {
      const std::size_t unused = std::min(low_, free_.size());
      if (unused > kChunkReserve) {
        // The oldest first: the back of the list is what get() reuses.
        const std::size_t n = unused - kChunkReserve;
        for (std::size_t i = 0; i < n; ++i) free_pages(free_[i], kChunkSize);
        free_.erase(free_.begin(), free_.begin() + static_cast<std::ptrdiff_t>(n));
      }
      period_start_ = now;
      low_ = free_.size();
    }
    if (!has_excess()) {
      period_start_ = -1;
      return timeout;
    }
    const double due = std::max(0.0, period_start_ + kChunkTrimPeriod - now);
    return timeout < 0 ? due : std::min(timeout, due);
  }
  std::size_t idle() const noexcept { return free_.size(); }

 private:
  static constexpr std::size_t kKeep = 1024;
  std::vector<char*> free_;
  std::size_t low_ = 0;
  double period_start_ = -1;
};

thread_local ChunkPool tls_chunks;
// Whether this thread ever took a chunk. The loop asks about excess every
// iteration; answering from this flag keeps threads that never read a
// socket from constructing a pool (and running its destructor at thread
// exit, which crashed test threads under mingw-w64's winpthreads).
thread_local bool tls_chunks_used = false;

}  // namespace

char* take_chunk() {
  tls_chunks_used = true;
  return tls_chunks.get();
}

void give_chunk(char* chunk) noexcept {
  if (tls_chunks_gone) {
    free_pages(chunk, kChunkSize);
    return;
  }
  tls_chunks_used = true;
  tls_chunks.put(chunk);
}

bool chunk_pool_has_excess() noexcept { return tls_chunks_used && tls_chunks.has_excess(); }

double trim_chunk_pool(double timeout) noexcept { return tls_chunks.trim(timeout); }

std::size_t idle_chunks() noexcept { return tls_chunks_used ? tls_chunks.idle() : 0; }

}  // namespace asyncio::detail
