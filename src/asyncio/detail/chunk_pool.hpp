// Read buffers of kChunkSize bytes, kept per thread for reuse: a transport
// takes one when bytes arrive and gives it back once they are handled, so a
// busy loop reuses a few warm chunks and an idle connection holds none.
// Raw chunks serve the TLS layer (ciphertext in, plaintext out); string
// chunks serve SocketTransport's plain reads, because a protocol may keep
// one instead of copying from it (a StreamReader makes it its buffer and
// read() hands it to the caller as the std::string it returns).
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
#include <string>

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

/// A std::string of size kChunkSize from this thread's pool (or new).
/// std::bad_alloc if memory is exhausted.
std::string take_string_chunk();
/// Gives a string chunk back (freed if the pool is full, or if it is not
/// kChunkSize bytes long any more); `chunk` is left empty, holding no memory.
void give_string_chunk(std::string& chunk) noexcept;

/// Puts `n` new string chunks into this thread's pool (fewer if it is full
/// or memory is short): the replacements for chunks a protocol kept. A
/// StreamReader asks for them when its task next waits for data, after the
/// task has dropped the string it read, so that the allocator hands back
/// that memory instead of growing the heap (see bench/README.md, "Streams
/// at parity").
void refill_string_chunks(std::size_t n) noexcept;

/// True if this thread's pool holds more than kChunkReserve idle chunks.
bool chunk_pool_has_excess() noexcept;
/// Frees the idle chunks beyond the reserve that went unused for a trim
/// period, and returns the poll timeout that wakes the loop for the next
/// trim: `timeout` (seconds, < 0 for none) or less.
double trim_chunk_pool(double timeout) noexcept;
/// Idle chunks in this thread's pool (tests).
std::size_t idle_chunks() noexcept;

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
