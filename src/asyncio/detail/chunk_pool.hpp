// Read buffers of kChunkSize bytes, kept per thread for reuse: a transport
// takes one when bytes arrive and gives it back once they are handled, so a
// busy loop reuses a few warm chunks and an idle connection holds none.
// Used by SocketTransport and ReadPipeTransport (plain reads) and the TLS
// layer (ciphertext in, plaintext out). A StreamReader may keep the chunk
// a read filled as a piece of its buffer (ChunkAdoptingProtocol,
// stream_buffer.hpp) instead of copying it, and gives it back here once its
// bytes are read (OwnedChunk).
//
// Bounded: a burst of reads (one poll reporting many readable connections)
// takes one chunk each, and the pool keeps them for the next burst, but
// only while they are used: chunks beyond a small reserve that stayed idle
// for a whole trim period are given back to the OS (they are mapped pages,
// not heap blocks, so the resident set shrinks at once). The loop calls
// trim_chunk_pool() before it polls, and wakes up for it while the pool
// holds more than the reserve (bench/README.md, "Memory per connection").
#pragma once

#include <cstddef>
#include <memory>

namespace asyncio::detail {

/// The size of a pooled chunk.
inline constexpr std::size_t kChunkSize = std::size_t{64} * 1024;
/// Idle chunks a thread's pool always keeps.
inline constexpr std::size_t kChunkReserve = 16;
/// Seconds an idle chunk beyond the reserve is kept unused before it goes.
inline constexpr double kChunkTrimPeriod = 1.0;

/// A chunk of kChunkSize bytes from this thread's pool (or new).
/// std::bad_alloc if memory is exhausted.
char* take_chunk();
/// Gives a chunk from take_chunk() back (freed if the pool is full).
void give_chunk(char* chunk) noexcept;

/// True if this thread's pool holds more than kChunkReserve idle chunks.
bool chunk_pool_has_excess() noexcept;
/// Frees the idle chunks beyond the reserve that went unused for a trim
/// period, and returns the poll timeout that wakes the loop for the next
/// trim: `timeout` (seconds, < 0 for none) or less.
double trim_chunk_pool(double timeout) noexcept;
/// Idle chunks in this thread's pool (tests).
std::size_t idle_chunks() noexcept;

/// Gives a chunk back to the pool of the thread that drops it.
struct ChunkReturner {
  void operator()(char* chunk) const noexcept { give_chunk(chunk); }
};
/// A chunk from take_chunk() owned beyond one read (a StreamReader's buffer).
using OwnedChunk = std::unique_ptr<char, ChunkReturner>;

/// Borrows a chunk for a scope.
class ScopedChunk {
 public:
  ScopedChunk() : p_(take_chunk()) {}
  ScopedChunk(const ScopedChunk&) = delete;
  ScopedChunk& operator=(const ScopedChunk&) = delete;
  ~ScopedChunk() { give_chunk(p_); }
  char* get() const noexcept { return p_; }

 private:
  char* p_;
};

}  // namespace asyncio::detail
