#include "asyncio/detail/chunk_pool.hpp"

#include <vector>

namespace asyncio::detail {

namespace {

// Chunks of idle connections go back here, up to kKeep of them per thread.
class ChunkPool {
 public:
  ~ChunkPool() {
    for (char* c : free_) delete[] c;
  }
  char* get() {
    if (free_.empty()) return new char[kChunkSize];
    char* c = free_.back();
    free_.pop_back();
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
    delete[] c;
  }

 private:
  static constexpr std::size_t kKeep = 1024;
  std::vector<char*> free_;
};

thread_local ChunkPool tls_chunks;

}  // namespace

char* take_chunk() { return tls_chunks.get(); }

void give_chunk(char* chunk) noexcept { tls_chunks.put(chunk); }

}  // namespace asyncio::detail
