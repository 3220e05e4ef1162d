// The loop's timer heap: Python's heapq, operation for operation.
//
// asyncio keeps TimerHandles in a heapq ordered by `when` alone, so timers
// with equal deadlines fire in heapq's order, which is not FIFO (eight
// call_at()s with one deadline fire as 0 2 6 5 7 1 3 4). Reproducing heapq's
// exact sift algorithms makes our order identical to CPython's.
//
// Layout: entries keep the deadline next to the node, so comparisons never
// chase pointers. (Measured: parallel arrays of deadlines and nodes are
// slower here, since every sift step moves both.)
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace asyncio::detail {

class HandleNode;

struct TimerEntry {
  double when;
  HandleNode* node;  // a timer handle (HandleNode::Kind::timer)
};

class TimerHeap {
 public:
  bool empty() const noexcept { return heap_.empty(); }
  std::size_t size() const noexcept { return heap_.size(); }
  double top_when() const noexcept { return heap_.front().when; }
  HandleNode* top_node() const noexcept { return heap_.front().node; }
  TimerEntry at(std::size_t i) const noexcept { return heap_[i]; }

  // heapq.heappush
  void push(TimerEntry e) {
    heap_.push_back(e);
    sift_down(0, heap_.size() - 1);
  }

  // heapq.heappop. Precondition: !empty().
  TimerEntry pop() noexcept {
    TimerEntry last = heap_.back();
    heap_.pop_back();
    if (heap_.empty()) return last;
    TimerEntry top = heap_.front();
    heap_.front() = last;
    sift_up(0);
    return top;
  }

  // Keeps the entries for which keep(node) is true, then heapq.heapify.
  template <class Keep>
  void filter_and_heapify(Keep keep) {
    std::size_t kept = 0;
    for (TimerEntry& e : heap_)
      if (keep(e.node)) heap_[kept++] = e;
    heap_.resize(kept);
    for (std::size_t i = kept / 2; i-- > 0;) sift_up(i);
  }

  void clear() noexcept { heap_.clear(); }

 private:
  // heapq._siftdown: move the item at pos up towards startpos.
  void sift_down(std::size_t startpos, std::size_t pos) noexcept {
    TimerEntry item = heap_[pos];
    while (pos > startpos) {
      std::size_t parentpos = (pos - 1) >> 1;
      if (item.when < heap_[parentpos].when) {
        heap_[pos] = heap_[parentpos];
        pos = parentpos;
        continue;
      }
      break;
    }
    heap_[pos] = item;
  }

  // heapq._siftup: bubble the smaller child up to a leaf, then sift down.
  void sift_up(std::size_t pos) noexcept {
    const std::size_t endpos = heap_.size();
    const std::size_t startpos = pos;
    TimerEntry item = heap_[pos];
    TimerEntry* h = heap_.data();
    std::size_t childpos = 2 * pos + 1;
    while (childpos < endpos) {
      // The grandchildren are contiguous: start fetching them now.
      if (2 * childpos + 1 < endpos) __builtin_prefetch(h + 2 * childpos + 1);
      std::size_t rightpos = childpos + 1;
      if (rightpos < endpos && !(h[childpos].when < h[rightpos].when)) childpos = rightpos;
      h[pos] = h[childpos];
      pos = childpos;
      childpos = 2 * pos + 1;
    }
    h[pos] = item;
    sift_down(startpos, pos);
  }

  std::vector<TimerEntry> heap_;
};

}  // namespace asyncio::detail
