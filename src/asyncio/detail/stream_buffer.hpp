// The byte buffer of a StreamReader (streams.cpp): appended at the back,
// consumed from the front, and never grown as one contiguous block.
//
// The bytes are a sequence of pieces. The first (the head) is a
// std::string or a pooled read chunk (detail/chunk_pool.hpp); the rest are
// pooled chunks. A read of more than 4 KiB is kept as the chunk the
// transport read it into, at any position in the sequence, so its bytes
// are copied once in user space: out of the chunk, into the string a read
// returns. Smaller data (and feed_data()) is copied into the room after the
// last chunk's bytes, or into the head string while that fits in a chunk's
// size, else into fresh pooled chunks. Nothing grows past a chunk: a reader that keeps
// receiving while its task waits (a server in drain()) holds a queue of
// chunks instead of a string that grows through sizes malloc maps and
// unmaps (bench/README.md, "Streams at parity", issue 17 target 1).
//
// A search (readuntil, readline) runs piece by piece; a separator that
// straddles pieces is checked byte by byte at each boundary.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "asyncio/detail/chunk_pool.hpp"

namespace asyncio::detail {

class StreamBuffer {
 public:
  static constexpr std::size_t npos = std::string_view::npos;

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  /// Appends a copy of `s`. A fresh buffer gets room for a second piece
  /// like `s` (at most `cap` bytes), so a message arriving in two pieces is
  /// not reallocated; not more, as every byte of room goes to the caller
  /// with the string. std::bad_alloc leaves the buffer as it was.
  void append(std::string_view s, std::size_t cap);
  /// Appends the first `n` bytes of `chunk` (from take_chunk()), keeping
  /// the chunk as a piece (then `chunk` is set to null) when it holds more
  /// than 4 KiB, unless they fit after the last chunk's bytes; a few bytes
  /// are copied, as an idle reader should not hold 64 KiB for them. True if
  /// it took the chunk.
  bool adopt_chunk(char*& chunk, std::size_t n, std::size_t cap);
  /// Removes and returns the first `n` bytes (all of them if fewer).
  std::string take(std::size_t n);
  /// Drops the first `n` bytes (at most size()).
  void consume(std::size_t n) noexcept;
  /// Drops everything (chunks go back to the pool).
  void clear() noexcept;

  /// The position of the first `sep` (not empty) starting at or after
  /// `from`, or npos; the match may span pieces.
  std::size_t find(std::string_view sep, std::size_t from) const noexcept;
  /// The byte at `i` (< size()).
  char at(std::size_t i) const noexcept;
  /// The pieces the bytes are in (tests).
  std::size_t pieces() const noexcept { return empty() ? 0 : 1 + (more_.size() - more_front_); }
  /// Piece `i` (< pieces()).
  std::string_view piece(std::size_t i) const noexcept;

 private:
  // A pooled chunk after the head, holding bytes [0, end).
  struct Chunk {
    OwnedChunk chunk;
    std::size_t end = 0;
  };

  std::size_t head_size() const noexcept { return (chunk_ ? end_ : data_.size()) - start_; }
  bool has_more() const noexcept { return more_front_ < more_.size(); }
  // Copies `s` into the room after the last chunk's bytes and into new
  // pooled chunks.
  void append_chunks(std::string_view s);
  // Makes room at the back of more_ for `count` pieces (moving the live
  // pieces down first when the front has dead ones).
  void reserve_more(std::size_t count);
  // The head's bytes are gone: the next piece becomes the head.
  void pop_head() noexcept;
  // Moves a chunk head's bytes into data_ and gives the chunk back.
  void spill();
  // Whether `sep` is at offset `at` of piece `i`, maybe running on into
  // the next pieces.
  bool matches_at(std::size_t i, std::size_t at, std::string_view sep) const noexcept;

  // The head: bytes [start_, end_) of chunk_, or, without a chunk,
  // [start_, data_.size()) of data_ (reads advance start_ instead of moving
  // the rest down, as Python's `del buffer[:n]` does every time).
  std::string data_;
  std::size_t start_ = 0;
  OwnedChunk chunk_;
  std::size_t end_ = 0;
  // The pieces after the head: more_[more_front_], more_[more_front_ + 1], ...
  std::vector<Chunk> more_;
  std::size_t more_front_ = 0;
  std::size_t size_ = 0;
};

}  // namespace asyncio::detail
