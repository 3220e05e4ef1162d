// Read buffers of kChunkSize bytes, kept per thread for reuse: a transport
// takes one when bytes arrive and gives it back once they are handled, so a
// busy loop reuses a few warm chunks and an idle connection holds none.
// Used by SocketTransport (plain reads) and the TLS layer (ciphertext in,
// plaintext out).
#pragma once

#include <cstddef>

namespace asyncio::detail {

/// The size of a pooled chunk.
inline constexpr std::size_t kChunkSize = std::size_t{64} * 1024;

/// A chunk of kChunkSize bytes from this thread's pool (or new).
/// std::bad_alloc if memory is exhausted.
char* take_chunk();
/// Gives a chunk from take_chunk() back (freed if the pool is full).
void give_chunk(char* chunk) noexcept;

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
