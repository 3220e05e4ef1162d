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

// The same for string chunks. A chunk a protocol kept is replaced by a new
// one on the next take: `std::string(kChunkSize, '\0')` writes the bytes
// once (C++20 has no uninitialised resize), into memory the socket read
// overwrites next, so the lines are in cache when the kernel copies.
class StringChunkPool {
 public:
  std::string get() {
    if (free_.empty()) return std::string(kChunkSize, '\0');
    std::string c = std::move(free_.back());
    free_.pop_back();
    return c;
  }
  void put(std::string& c) noexcept {
    if (c.size() == kChunkSize && free_.size() < kKeep) {
      try {
        free_.push_back(std::move(c));
      } catch (...) {  // NOLINT(bugprone-empty-catch): no room to cache the chunk: freed below
      }
    }
    std::string().swap(c);  // frees what was not kept (assigning "" would keep the capacity)
  }
  void refill(std::size_t n) noexcept {
    try {
      for (; n > 0 && free_.size() < kKeep; --n) free_.emplace_back(kChunkSize, '\0');
    } catch (...) {  // NOLINT(bugprone-empty-catch): out of memory: take_string_chunk() tries again
    }
  }

 private:
  static constexpr std::size_t kKeep = 1024;
  std::vector<std::string> free_;
};

thread_local StringChunkPool tls_string_chunks;

}  // namespace

std::string take_string_chunk() { return tls_string_chunks.get(); }

void give_string_chunk(std::string& chunk) noexcept { tls_string_chunks.put(chunk); }

void refill_string_chunks(std::size_t n) noexcept { tls_string_chunks.refill(n); }

char* take_chunk() { return tls_chunks.get(); }

void give_chunk(char* chunk) noexcept { tls_chunks.put(chunk); }

}  // namespace asyncio::detail
