#include "asyncio/detail/stream_buffer.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

namespace asyncio::detail {

namespace {

// A chunk head with this many unread bytes or fewer, and nothing after
// it, moves into a string: a reader left waiting holds a 64 KiB chunk
// only for at least 4 KiB of unread bytes.
constexpr std::size_t kSmallRest = kChunkSize / 16;

}  // namespace

std::string_view StreamBuffer::piece(std::size_t i) const noexcept {
  if (i == 0) {
    if (chunk_) return {chunk_.get() + start_, end_ - start_};
    return std::string_view(data_).substr(start_);
  }
  const Chunk& c = more_[more_front_ + i - 1];
  return {c.chunk.get(), c.end};
}

void StreamBuffer::append(std::string_view s, std::size_t cap) {
  if (s.empty()) return;
  if (empty()) {
    // Empty: no chunk and no further pieces (consume() and clear() see to it).
    data_.clear();
    start_ = 0;
    if (data_.capacity() < s.size()) data_.reserve(std::max(s.size(), std::min(2 * s.size(), cap)));
    data_.append(s.data(), s.size());
    size_ = s.size();
    return;
  }
  if (has_more()) {
    Chunk& last = more_.back();
    if (s.size() <= kChunkSize - last.end) {
      std::memcpy(last.chunk.get() + last.end, s.data(), s.size());
      last.end += s.size();
      size_ += s.size();
      return;
    }
  } else if (chunk_) {
    if (s.size() <= kChunkSize - end_) {  // after the chunk's bytes
      std::memcpy(chunk_.get() + end_, s.data(), s.size());
      end_ += s.size();
      size_ += s.size();
      return;
    }
  } else if (data_.size() + s.size() <= data_.capacity()) {
    data_.append(s.data(), s.size());
    size_ += s.size();
    return;
  } else if (size_ + s.size() <= kChunkSize) {
    // Grown by hand: std::string's own growth (also through reserve())
    // doubles the room, past a chunk's size.
    std::string grown;
    grown.reserve(std::min(std::max(size_ + s.size(), 2 * size_), kChunkSize));
    grown.append(data_, start_, std::string::npos);
    grown.append(s.data(), s.size());
    data_ = std::move(grown);
    start_ = 0;
    size_ += s.size();
    return;
  }
  append_chunks(s);
}

void StreamBuffer::append_chunks(std::string_view s) {
  // The last chunk's room first (none after a string head).
  const std::size_t room = has_more() ? kChunkSize - more_.back().end : (chunk_ ? kChunkSize - end_ : 0);
  const std::size_t first = std::min(room, s.size());
  const std::size_t rest = s.size() - first;
  const std::size_t count = (rest + kChunkSize - 1) / kChunkSize;
  // Take everything that can fail before changing anything.
  reserve_more(count);
  const std::size_t old = more_.size();
  try {
    for (std::size_t i = 0; i < count; ++i) more_.push_back(Chunk{OwnedChunk(take_chunk()), 0});
  } catch (...) {
    more_.erase(more_.begin() + static_cast<std::ptrdiff_t>(old), more_.end());
    throw;
  }
  if (first > 0) {
    if (old > more_front_) {
      Chunk& last = more_[old - 1];
      std::memcpy(last.chunk.get() + last.end, s.data(), first);
      last.end += first;
    } else {
      std::memcpy(chunk_.get() + end_, s.data(), first);
      end_ += first;
    }
  }
  std::size_t at = first;
  for (std::size_t i = old; i < more_.size(); ++i) {
    const std::size_t k = std::min(kChunkSize, s.size() - at);
    std::memcpy(more_[i].chunk.get(), s.data() + at, k);
    more_[i].end = k;
    at += k;
  }
  size_ += s.size();
}

void StreamBuffer::reserve_more(std::size_t count) {
  if (more_.size() + count <= more_.capacity()) return;
  if (more_front_ > 0) {
    // Dead pieces at the front: move the live ones down rather than grow.
    more_.erase(more_.begin(), more_.begin() + static_cast<std::ptrdiff_t>(more_front_));
    more_front_ = 0;
  }
  more_.reserve(std::max(more_.size() + count, 2 * more_.size()));
}

bool StreamBuffer::adopt_chunk(char*& chunk, std::size_t n, std::size_t cap) {
  // Kept: more than kSmallRest bytes (what a kept chunk must hold, see
  // consume()), unless they fit after the last chunk's bytes and fill less
  // than half a chunk (then copied there rather than holding a second
  // chunk); also fewer, if the last chunk has no room left for them (the
  // alternative being a fresh chunk to copy them into). Copying a read of
  // a few KiB into a string instead allocates in the loop's callback phase,
  // where every readable connection's read is delivered before any task
  // frees what it read: glibc grows the heap, trims it as the tasks free
  // their strings, and faults the pages in again on the next round
  // (bench/README.md, issue 17, "A reader's buffer of chunks").
  bool keep = n > kSmallRest;
  if (!empty() && (has_more() || chunk_)) {
    const std::size_t room = kChunkSize - (has_more() ? more_.back().end : end_);
    keep = n > room || 2 * n >= kChunkSize;
  }
  if (n == 0 || !keep) {
    append(std::string_view(chunk, n), cap);
    return false;
  }
  if (empty()) {
    data_.clear();
    chunk_.reset(std::exchange(chunk, nullptr));
    start_ = 0;
    end_ = n;
  } else {
    reserve_more(1);
    more_.push_back(Chunk{OwnedChunk(std::exchange(chunk, nullptr)), n});  // cannot throw: reserved
  }
  size_ += n;
  return true;
}

std::string StreamBuffer::take(std::size_t n) {
  n = std::min(n, size_);
  if (n == 0) return {};
  if (!has_more() && !chunk_) {
    // One string.
    if (n == size_) {
      std::string out;
      if (start_ == 0) {
        out = std::move(data_);  // no copy: the whole buffer changes hands
      } else {
        out.assign(data_, start_, std::string::npos);
      }
      clear();
      return out;
    }
    if (start_ == 0 && size_ - n <= n && data_.capacity() <= 2 * n && data_.capacity() <= kChunkSize) {
      // Most of a buffer of at most one read chunk is asked for: hand the
      // buffer out and copy the (smaller) rest into a new one. The caller's
      // string has at most twice the room it needs, as with a whole buffer.
      std::string out = std::move(data_);
      data_.assign(out, n, std::string::npos);
      out.resize(n);
      size_ -= n;
      return out;
    }
  }
  // Copied out of the pieces once, into a string of the right size.
  std::string out;
  out.reserve(n);
  while (out.size() < n) {
    const std::string_view head = piece(0);
    const std::size_t k = std::min(head.size(), n - out.size());
    out.append(head.substr(0, k));
    consume(k);
  }
  return out;
}

void StreamBuffer::consume(std::size_t n) noexcept {
  n = std::min(n, size_);
  size_ -= n;
  while (n > 0) {
    const std::size_t h = head_size();
    if (n < h) {
      start_ += n;
      break;
    }
    n -= h;
    pop_head();
  }
  if (size_ == 0) {
    clear();
    return;
  }
  if (chunk_) {
    if (!has_more() && end_ - start_ <= kSmallRest) {
      try {
        spill();
      } catch (...) {  // NOLINT(bugprone-empty-catch): out of memory: the chunk keeps the bytes
      }
    }
  } else if (start_ > kChunkSize && start_ > data_.size() / 2) {
    // A string head larger than a chunk (one large feed_data()): drop the
    // read part once it is most of the string.
    data_.erase(0, start_);
    start_ = 0;
  }
}

void StreamBuffer::pop_head() noexcept {
  if (!has_more()) {
    clear();
    return;
  }
  Chunk& next = more_[more_front_];
  chunk_ = std::move(next.chunk);  // the old head chunk, if any, goes back to the pool
  end_ = next.end;
  start_ = 0;
  data_.clear();
  if (++more_front_ == more_.size()) {
    more_.clear();  // keeps the room for the next pieces
    more_front_ = 0;
  }
}

void StreamBuffer::spill() {
  std::string d(piece(0));
  data_ = std::move(d);
  chunk_.reset();
  start_ = 0;
  end_ = 0;
}

void StreamBuffer::clear() noexcept {
  chunk_.reset();
  end_ = 0;
  data_.clear();
  start_ = 0;
  more_.clear();
  more_front_ = 0;
  size_ = 0;
}

bool StreamBuffer::matches_at(std::size_t i, std::size_t at, std::string_view sep) const noexcept {
  const std::size_t count = pieces();
  for (; i < count && !sep.empty(); ++i, at = 0) {
    const std::string_view p = piece(i).substr(at);
    const std::size_t k = std::min(p.size(), sep.size());
    if (p.compare(0, k, sep.substr(0, k)) != 0) return false;
    sep.remove_prefix(k);
  }
  return sep.empty();
}

std::size_t StreamBuffer::find(std::string_view sep, std::size_t from) const noexcept {
  const std::size_t m = sep.size();
  const std::size_t count = pieces();
  std::size_t base = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string_view p = piece(i);
    const std::size_t end = base + p.size();
    if (end > from) {
      const std::size_t local = from > base ? from - base : 0;
      const std::size_t found = m == 1 ? p.find(sep[0], local) : p.find(sep, local);
      if (found != npos) return base + found;
      // A match starting in the last m - 1 bytes runs on into the next pieces.
      if (i + 1 < count) {
        for (std::size_t at = std::max(local, p.size() >= m ? p.size() - m + 1 : 0); at < p.size(); ++at) {
          if (matches_at(i, at, sep)) return base + at;
        }
      }
    }
    base = end;
  }
  return npos;
}

char StreamBuffer::at(std::size_t i) const noexcept {
  for (std::size_t k = 0;; ++k) {
    const std::string_view p = piece(k);
    if (i < p.size()) return p[i];
    i -= p.size();
  }
}

}  // namespace asyncio::detail
