// A 4-ary min-heap of timers keyed on (deadline, sequence): TimerQueue's
// heap for deadlines below the last one fired (detail/timer_queue.hpp).
//
// Order: earliest deadline first; timers with equal deadlines fire in the
// order they were scheduled (FIFO). CPython keeps TimerHandles in a heapq
// keyed on `when` alone and documents the order of equal deadlines as
// undefined; FIFO is a refinement a user can rely on (docs/eventloop.md).
// The sequence number lives in the timer's node (HandleNode::timer_seq) and
// is read only when two deadlines are equal, so entries stay 16 bytes.
//
// Why 4-ary: with 100,000 pending timers a binary heap's pop walks 17
// levels, most of them out of cache. Four 16-byte children fill one 64-byte
// cache line (the array is offset so each group starts on a line), so a pop
// touches about 8 lines instead of 17.
//
// Layout: entries keep the deadline next to the node, so comparisons never
// chase pointers (except for ties, see above).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>

namespace asyncio::detail {

class HandleNode;
// Defined in handles.hpp (events.hpp, the heap's user, includes both): a
// timer node's scheduling sequence number.
inline std::uint32_t timer_seq_of(const HandleNode* node) noexcept;
inline void set_timer_seq(HandleNode* node, std::uint32_t seq) noexcept;

struct TimerEntry {
  double when;
  HandleNode* node;  // a timer handle (HandleNode::Kind::timer)
};

class TimerHeap {
 public:
  TimerHeap() = default;
  TimerHeap(const TimerHeap&) = delete;
  TimerHeap& operator=(const TimerHeap&) = delete;
  ~TimerHeap() { release(buf_); }

  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }
  double top_when() const noexcept { return h()[0].when; }
  HandleNode* top_node() const noexcept { return h()[0].node; }
  TimerEntry at(std::size_t i) const noexcept { return h()[i]; }

  /// Adds a timer whose sequence number the caller set (set_timer_seq).
  void push(TimerEntry e) {
    if (size_ == capacity_) grow();
    sift_up(size_++, e);
  }

  /// Removes and returns the earliest timer. Precondition: !empty().
  TimerEntry pop() noexcept {
    TimerEntry* a = h();
    const TimerEntry top = a[0];
    const TimerEntry last = a[--size_];
    if (size_ > 0) {
      // Bottom-up: walk the hole down the smallest children to a leaf,
      // then put the last entry there and sift it up (it usually belongs
      // near the bottom, so this saves a comparison per level).
      std::size_t hole = 0;
      for (std::size_t child = 1; child < size_; child = 4 * hole + 1) {
        if (4 * child + 1 < size_) __builtin_prefetch(a + 4 * child + 1);
        std::size_t best = child;
        const std::size_t end = child + 4 < size_ ? child + 4 : size_;
        for (std::size_t c = child + 1; c < end; ++c)
          if (less(a[c], a[best])) best = c;
        a[hole] = a[best];
        hole = best;
      }
      sift_up(hole, last);
    }
    return top;
  }

  /// Keeps the entries for which keep(node) is true, then re-heaps them.
  template <class Keep>
  void filter_and_heapify(Keep keep) {
    if (size_ == 0) return;
    TimerEntry* a = h();
    std::size_t kept = 0;
    for (std::size_t i = 0; i < size_; ++i)
      if (keep(a[i].node)) a[kept++] = a[i];
    size_ = kept;
    if (size_ > 1)
      for (std::size_t i = (size_ - 2) / 4 + 1; i-- > 0;) sift_down(i);
  }

  void clear() noexcept { size_ = 0; }

  /// Whether a fires before b: earlier deadline, or equal deadline and
  /// scheduled first (sequence numbers compared modulo 2^32).
  static bool less(const TimerEntry& a, const TimerEntry& b) noexcept {
    if (a.when != b.when) return a.when < b.when;
    return static_cast<std::int32_t>(timer_seq_of(a.node) - timer_seq_of(b.node)) < 0;
  }

 private:
  // Three unused entries before the root put every group of four children
  // (indices 4i+1 .. 4i+4, i.e. slots 4i+4 .. 4i+7) on one cache line.
  static constexpr std::size_t kPad = 3;
  static constexpr std::size_t kLine = 64;

  TimerEntry* h() const noexcept { return buf_ + kPad; }

  void sift_up(std::size_t pos, TimerEntry item) noexcept {
    TimerEntry* a = h();
    while (pos > 0) {
      const std::size_t parent = (pos - 1) / 4;
      if (!less(item, a[parent])) break;
      a[pos] = a[parent];
      pos = parent;
    }
    a[pos] = item;
  }

  void sift_down(std::size_t pos) noexcept {
    TimerEntry* a = h();
    const TimerEntry item = a[pos];
    for (std::size_t child = 4 * pos + 1; child < size_; child = 4 * pos + 1) {
      std::size_t best = child;
      const std::size_t end = child + 4 < size_ ? child + 4 : size_;
      for (std::size_t c = child + 1; c < end; ++c)
        if (less(a[c], a[best])) best = c;
      if (!less(a[best], item)) break;
      a[pos] = a[best];
      pos = best;
    }
    a[pos] = item;
  }

  void grow() {
    const std::size_t cap = capacity_ == 0 ? 61 : 2 * (capacity_ + kPad) - kPad;
    const std::size_t bytes = ((cap + kPad) * sizeof(TimerEntry) + kLine - 1) / kLine * kLine;
    // Aligned operator new: std::aligned_alloc is missing from Windows' CRT.
    auto* bigger = static_cast<TimerEntry*>(::operator new(bytes, std::align_val_t{kLine}));
    if (buf_ != nullptr) std::memcpy(bigger + kPad, h(), size_ * sizeof(TimerEntry));
    release(buf_);
    buf_ = bigger;
    capacity_ = cap;
  }

  static void release(TimerEntry* p) noexcept {
    if (p != nullptr) ::operator delete(p, std::align_val_t{kLine});
  }

  TimerEntry* buf_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace asyncio::detail
