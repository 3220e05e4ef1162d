// The loop's queue of ready callbacks: a growable ring buffer of tagged
// pointers.
//
// Why a ring and not a linked list: entries carry no link field (a task can
// be queued without owning a "next" pointer), pushes and pops touch one
// contiguous array, and once the ring has grown to the program's working
// size no operation allocates.
// Entries are a Runnable* (a callback handle), or a TaskBase* with the low
// bit set: a task step is dispatched with a direct call, not a virtual one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace asyncio::detail {

class Runnable;
class TaskBase;

class ReadyQueue {
 public:
  ReadyQueue() : buf_(allocate(kInitialCapacity)), mask_(kInitialCapacity - 1) {}
  ReadyQueue(const ReadyQueue&) = delete;
  ReadyQueue& operator=(const ReadyQueue&) = delete;
  ~ReadyQueue() { std::free(buf_); }

  using Entry = std::uintptr_t;
  static Entry entry(Runnable* r) noexcept { return reinterpret_cast<Entry>(r); }
  static Entry entry(TaskBase* t) noexcept { return reinterpret_cast<Entry>(t) | 1u; }
  static bool is_task(Entry e) noexcept { return (e & 1u) != 0; }
  // Entries are tagged pointers: one word per entry keeps the queue small.
  static TaskBase* as_task(Entry e) noexcept {
    return reinterpret_cast<TaskBase*>(e & ~Entry(1));  // NOLINT(performance-no-int-to-ptr): tagged pointer
  }
  static Runnable* as_runnable(Entry e) noexcept {
    return reinterpret_cast<Runnable*>(e);  // NOLINT(performance-no-int-to-ptr): tagged pointer
  }

  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }

  void push(Entry r) {
    if (size_ > mask_) grow();
    buf_[(head_ + size_) & mask_] = r;
    ++size_;
  }

  // Precondition: !empty().
  Entry pop() noexcept {
    Entry r = buf_[head_];
    head_ = (head_ + 1) & mask_;
    --size_;
    return r;
  }

  /// Starts loading the object of the entry `ahead` places from the front
  /// (its pointer without the task tag): a burst of due timers or wake-ups
  /// touches objects scattered over memory. Past the back it reads a stale
  /// or zero slot (the buffer starts zeroed), harmless for a prefetch.
  /// Unconditional because g++ 12 drops a prefetch under an `if` whose
  /// address needs a load.
  void prefetch(std::size_t ahead) const noexcept {
    // NOLINTNEXTLINE(performance-no-int-to-ptr): entries are pointers stored as integers with a tag bit
    __builtin_prefetch(reinterpret_cast<const void*>(buf_[(head_ + ahead) & mask_] & ~Entry{1}));
  }

 private:
  static constexpr std::size_t kInitialCapacity = 256;

  static Entry* allocate(std::size_t n) {
    auto* p = static_cast<Entry*>(std::calloc(n, sizeof(Entry)));  // zeroed: see prefetch()
    if (p == nullptr) throw std::bad_alloc();
    return p;
  }

  void grow() {
    const std::size_t cap = mask_ + 1;
    Entry* bigger = allocate(cap * 2);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = buf_[(head_ + i) & mask_];
    std::free(buf_);
    buf_ = bigger;
    head_ = 0;
    mask_ = cap * 2 - 1;
  }

  Entry* buf_;
  std::size_t mask_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace asyncio::detail
