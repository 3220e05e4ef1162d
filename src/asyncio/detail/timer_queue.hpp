// The loop's timers: a radix heap over the deadlines, with a 4-ary heap for
// deadlines earlier than the last one fired.
//
// Order: earliest deadline first; timers with equal deadlines fire in the
// order they were scheduled (FIFO). CPython keeps TimerHandles in a heapq
// keyed on `when` alone and documents the order of equal deadlines as
// undefined; FIFO is a refinement a user can rely on (docs/eventloop.md).
//
// Why not only a heap: with 100,000 pending timers a heap's entries (1.6 MB)
// do not fit in the L2 cache, and every pop walks its levels with a cache
// miss on each (bench/README.md, "Timers"). A radix heap never walks: each
// deadline is mapped to a 64-bit key whose order is the deadlines' order,
// and a timer sits in the bucket named by the highest byte in which its key
// differs from `last_` (the key of the last timer fired) and by its key's
// value in that byte: 8 levels of 256 buckets. Scheduling appends to a
// bucket. Firing takes the lowest non-empty bucket (found in bitmaps): a
// small one (at most kSortMax timers) is sorted by deadline into `run_`,
// and its largest key becomes `last_`; a larger one has its smallest key
// become `last_` and its timers move to lower levels, those with the
// smallest key into `run_`. Timers fire from the front of `run_`, whose
// next handles are prefetched. Each timer moves at most 8 times, in
// sequential passes over small arrays (about 3 times for 100,000 timers
// spread over a millisecond), instead of walking a heap's levels at random.
//
// FIFO among equal deadlines: each bucket holds its timers in scheduling
// order. Scheduling appends the newest timer; a redistribution only ever
// moves timers into lower levels and `run_`, which are empty then (it takes
// the lowest non-empty bucket, and only once `run_` is drained), so each
// receives a subsequence of an ordered bucket, and the sort is stable.
// Timers with equal deadlines have equal keys, so they are always in the
// same bucket, in order; one scheduled at `last_` is appended to `run_`.
//
// A deadline below `last_` (call_at() with a time already past, or a delay
// of 0 in the same clock tick as the fired timer; or any deadline below a
// cancelled timer the loop dropped from the head before its time) cannot
// enter the radix buckets: it goes to `early_`, a 4-ary heap keyed on
// (deadline, scheduling sequence). Its timers come before the buckets'
// (their keys are below `last_`, the buckets' above it); firing takes the
// smaller of its head and `run_`'s front by (deadline, sequence).
//
// Cancelled timers stay until fired, dropped from the head, or compacted
// (filter(): CPython's rebuild when more than half are cancelled), which
// keeps each bucket's order.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "asyncio/detail/timer_heap.hpp"

namespace asyncio::detail {

class TimerQueue {
 public:
  TimerQueue() = default;
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  bool empty() const noexcept { return size_ == 0; }
  /// Scheduled timers, cancelled ones included until they are removed.
  std::size_t size() const noexcept { return size_; }

  /// Adds a timer, after every pending timer with the same deadline.
  void push(double when, HandleNode* node) {
    set_timer_seq(node, next_seq_++);
    const std::uint64_t key = to_key(when);
    if (key < last_) {
      early_.push({when, node});
    } else if (key == last_) {
      run_.push_back({key, node});  // run_.back() has this key, if any
    } else {
      if (!levels_) [[unlikely]]
        levels_ = std::make_unique<Levels>();
      const unsigned level = level_of(key);
      const unsigned digit = digit_of(key, level);
      levels_->at(level)[digit].push_back({key, node});
      levels_->mark(level, digit);
      // A key below the cached minimum of the buckets is their new minimum
      // (an equal key is scheduled later: not the first to fire).
      if (bmin_valid_ && key < bmin_.key) bmin_ = {key, node};
    }
    ++size_;
  }

  /// The earliest timer's deadline. Precondition: !empty().
  double top_when() const noexcept {
    if (early_first()) return early_.top_when();
    if (run_head_ < run_.size()) return from_key(run_[run_head_].key);
    return from_key(bucket_min().key);
  }

  /// The earliest timer. Precondition: !empty().
  HandleNode* top_node() const noexcept {
    if (early_first()) return early_.top_node();
    if (run_head_ < run_.size()) return run_[run_head_].node;
    return bucket_min().node;
  }

  /// Removes and returns the earliest timer. Precondition: !empty().
  HandleNode* pop() noexcept {
    --size_;
    if (early_first()) return early_.pop().node;
    if (run_head_ == run_.size()) advance();
    // Start loading a handle the loop will touch a few pops from now (an
    // index clamped rather than tested: g++ 12 drops a prefetch under a
    // branch when its address needs a load).
    const std::size_t ahead = run_head_ + kPrefetch < run_.size() ? run_head_ + kPrefetch : run_.size() - 1;
    __builtin_prefetch(run_[ahead].node);
    HandleNode* node = run_[run_head_++].node;
    if (run_head_ == run_.size()) {
      run_.clear();
      run_head_ = 0;
    }
    return node;
  }

  /// Keeps the timers for which keep(node) is true, in their order.
  template <class Keep>
  void filter(Keep keep) {
    early_.filter_and_heapify(keep);
    std::size_t kept = 0;
    for (std::size_t i = run_head_; i < run_.size(); ++i)
      if (keep(run_[i].node)) run_[kept++] = run_[i];
    run_.resize(kept);
    run_head_ = 0;
    size_ = early_.size() + kept;
    bmin_valid_ = false;
    if (!levels_) return;
    for (unsigned level = 0; level < kLevels; ++level) {
      for (unsigned digit = 0; digit < kDigits; ++digit) {
        if (!levels_->marked(level, digit)) continue;
        std::vector<Entry>& b = levels_->bucket[level][digit];
        std::size_t n = 0;
        for (const Entry& e : b)
          if (keep(e.node)) b[n++] = e;
        b.resize(n);
        if (n == 0) levels_->unmark(level, digit);
        size_ += n;
      }
    }
  }

  /// Calls f(node) for every scheduled timer, in no particular order.
  template <class F>
  void for_each(F f) const {
    for (std::size_t i = 0; i < early_.size(); ++i) f(early_.at(i).node);
    for (std::size_t i = run_head_; i < run_.size(); ++i) f(run_[i].node);
    if (!levels_) return;
    for (unsigned level = 0; level < kLevels; ++level)
      for (unsigned digit = 0; digit < kDigits; ++digit)
        if (levels_->marked(level, digit))
          for (const Entry& e : levels_->bucket[level][digit]) f(e.node);
  }

  /// Forgets every timer (the caller has released them).
  void clear() noexcept {
    early_.clear();
    run_.clear();
    run_head_ = 0;
    if (levels_) levels_->clear();
    size_ = 0;
    bmin_valid_ = false;
  }

  /// The order-preserving 64-bit key of a deadline (not NaN): the IEEE bits
  /// with the sign bit flipped for positive numbers, all bits flipped for
  /// negative ones; -0.0 becomes +0.0 first, as the two compare equal.
  static std::uint64_t to_key(double when) noexcept {
    when += 0.0;
    std::uint64_t bits;
    std::memcpy(&bits, &when, sizeof bits);
    return (bits >> 63) != 0 ? ~bits : bits | kSign;
  }
  static double from_key(std::uint64_t key) noexcept {
    const std::uint64_t bits = (key >> 63) != 0 ? key & ~kSign : ~key;
    double when;
    std::memcpy(&when, &bits, sizeof when);
    return when;
  }

 private:
  static constexpr std::uint64_t kSign = std::uint64_t{1} << 63;
  static constexpr unsigned kLevels = 8;
  static constexpr unsigned kDigits = 256;
  // A bucket this small is sorted into run_ rather than redistributed.
  static constexpr std::size_t kSortMax = 64;
  // How many pops ahead a handle is prefetched.
  static constexpr std::size_t kPrefetch = 4;

  struct Entry {
    std::uint64_t key;
    HandleNode* node;
  };

  struct Levels {
    // A level's 256 buckets are allocated when a timer first enters it
    // (6 KiB on 64-bit targets, 3 KiB on 32-bit): deadlines a few seconds
    // apart use about five levels, and a small target's RAM counts.
    std::unique_ptr<std::vector<Entry>[]> bucket[kLevels];

    std::vector<Entry>* at(unsigned l) {
      if (!bucket[l]) [[unlikely]]
        bucket[l] = std::make_unique<std::vector<Entry>[]>(kDigits);
      return bucket[l].get();
    }
    std::uint64_t bits[kLevels][kDigits / 64] = {};
    unsigned level_mask = 0;  // bit l: level l has a non-empty bucket

    bool marked(unsigned l, unsigned d) const noexcept { return (bits[l][d / 64] >> (d % 64) & 1) != 0; }
    void mark(unsigned l, unsigned d) noexcept {
      bits[l][d / 64] |= std::uint64_t{1} << (d % 64);
      level_mask |= 1u << l;
    }
    void unmark(unsigned l, unsigned d) noexcept {
      bits[l][d / 64] &= ~(std::uint64_t{1} << (d % 64));
      if ((bits[l][0] | bits[l][1] | bits[l][2] | bits[l][3]) == 0) level_mask &= ~(1u << l);
    }
    /// The lowest non-empty bucket's level and digit. Precondition: one is.
    void lowest(unsigned& l, unsigned& d) const noexcept {
      l = static_cast<unsigned>(std::countr_zero(level_mask));
      unsigned w = 0;
      while (bits[l][w] == 0) ++w;
      d = 64 * w + static_cast<unsigned>(std::countr_zero(bits[l][w]));
    }
    void clear() noexcept {
      for (unsigned l = 0; l < kLevels; ++l)
        for (unsigned d = 0; d < kDigits; ++d)
          if (marked(l, d)) bucket[l][d].clear();
      std::memset(bits, 0, sizeof bits);
      level_mask = 0;
    }
  };

  /// The byte in which key (> last_) first differs from last_.
  unsigned level_of(std::uint64_t key) const noexcept {
    return static_cast<unsigned>(63 - std::countl_zero(key ^ last_)) / 8;
  }
  static unsigned digit_of(std::uint64_t key, unsigned level) noexcept {
    return static_cast<unsigned>(key >> (8 * level)) & 0xff;
  }

  /// The buckets' earliest timer (cached). Precondition: a bucket is non-empty.
  const Entry& bucket_min() const noexcept {
    if (!bmin_valid_) {
      unsigned l, d;
      levels_->lowest(l, d);
      const std::vector<Entry>& b = levels_->bucket[l][d];
      const Entry* best = &b[0];
      for (const Entry& e : b)
        if (e.key < best->key) best = &e;  // strict: the first of equal keys
      bmin_ = *best;
      bmin_valid_ = true;
    }
    return bmin_;
  }

  /// Whether early_'s head fires before run_'s front and the buckets.
  bool early_first() const noexcept {
    if (early_.empty()) return false;
    if (run_head_ == run_.size()) return true;  // the buckets' keys are above last_
    const double w = from_key(run_[run_head_].key);
    const double e = early_.top_when();
    if (e != w) return e < w;
    return static_cast<std::int32_t>(timer_seq_of(early_.top_node()) - timer_seq_of(run_[run_head_].node)) < 0;
  }

  /// Fills run_ (empty) from the lowest bucket: all of it, sorted, if it is
  /// small; else its earliest timers, the others moving to lower levels.
  void advance() noexcept {
    unsigned l, d;
    levels_->lowest(l, d);
    std::vector<Entry>& b = levels_->bucket[l][d];
    levels_->unmark(l, d);
    if (b.size() <= kSortMax) {
      // Insertion sort: stable (b is in scheduling order) and quick at this size.
      run_.assign(b.begin(), b.end());
      for (std::size_t i = 1; i < run_.size(); ++i) {
        const Entry e = run_[i];
        std::size_t j = i;
        for (; j > 0 && run_[j - 1].key > e.key; --j) run_[j] = run_[j - 1];
        run_[j] = e;
      }
      last_ = run_.back().key;
      bmin_valid_ = false;
      b.clear();
      return;
    }
    last_ = bucket_min().key;
    bmin_valid_ = false;
    for (const Entry& e : b) {
      if (e.key == last_) {
        run_.push_back(e);
      } else {
        const unsigned level = level_of(e.key);  // below l: e shares byte l with last_
        const unsigned digit = digit_of(e.key, level);
        levels_->at(level)[digit].push_back(e);
        levels_->mark(level, digit);
      }
    }
    b.clear();
  }

  TimerHeap early_;  // deadlines below last_
  std::vector<Entry> run_;  // from run_head_: sorted by (deadline, sequence), the last at last_
  std::size_t run_head_ = 0;
  std::unique_ptr<Levels> levels_;  // allocated for the first timer after last_
  std::uint64_t last_ = 0;  // below every deadline's key until a timer fires
  std::size_t size_ = 0;
  std::uint32_t next_seq_ = 0;  // wraps; the early_ heap compares modulo 2^32
  mutable Entry bmin_{};
  mutable bool bmin_valid_ = false;
};

}  // namespace asyncio::detail
