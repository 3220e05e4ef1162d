// Queues. Python: asyncio.queues (Queue, PriorityQueue, LifoQueue,
// QueueEmpty, QueueFull, QueueShutDown).
//
//   asyncio::Queue<Job> queue(100);          // Python: asyncio.Queue(maxsize=100)
//   co_await queue.put(job);                 // waits while full
//   Job next = co_await queue.get();         // waits while empty
//   queue.task_done();
//   co_await queue.join();                   // until every item is done
//   queue.shutdown();                        // put() raises, get() drains
//
// As in Python: not thread-safe, no timeouts (use wait_for()/timeout()),
// blocked putters and getters wake in FIFO order, a cancelled blocked put()
// or get() loses no item, and the queue binds to the loop of the first task
// that blocks on it. Items are moved in and out (T must be movable).
//
// How blocking works: put() and get() return awaiters that take the fast
// path inline (room or an item available: no suspension, no allocation).
// Only when the task must block does the awaiter run the waiting loop of
// Python's put()/get() as a nested coroutine (one pooled frame), whose
// waiter node is intrusive.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "asyncio/coroutines.hpp"
#include "asyncio/detail/coro_compat.hpp"
#include "asyncio/detail/repr.hpp"
#include "asyncio/detail/waiters.hpp"
#include "asyncio/exceptions.hpp"
#include "asyncio/locks.hpp"

namespace asyncio {

/// Options of Queue::shutdown(). Python: Queue.shutdown(immediate=False)
struct QueueShutdownOptions {
  /// Drop the items left in the queue (each counts as done for join()), so
  /// that get() raises QueueShutDown at once.
  bool immediate = false;
};

template <class T>
class Queue;

namespace detail {

// A growable ring buffer: the FIFO storage of Queue<T>. Allocates nothing
// until the first item.
template <class T>
class Ring {
 public:
  Ring() noexcept = default;
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;
  ~Ring() {
    clear();
    if (buf_ != nullptr) std::allocator<T>().deallocate(buf_, cap_);
  }

  std::size_t size() const noexcept { return size_; }
  const T& operator[](std::size_t i) const noexcept { return buf_[(head_ + i) & (cap_ - 1)]; }

  void push_back(T&& value) {
    if (size_ == cap_) grow();
    ::new (static_cast<void*>(buf_ + ((head_ + size_) & (cap_ - 1)))) T(std::move(value));
    ++size_;
  }
  // Precondition: size() > 0.
  T pop_front() {
    T& slot = buf_[head_];
    T value(std::move(slot));
    slot.~T();
    head_ = (head_ + 1) & (cap_ - 1);
    --size_;
    return value;
  }
  void clear() noexcept {
    for (; size_ > 0; --size_) {
      buf_[head_].~T();
      head_ = (head_ + 1) & (cap_ - 1);
    }
    head_ = 0;
  }

 private:
  void grow() {
    const std::size_t cap = cap_ == 0 ? 8 : cap_ * 2;
    T* bigger = std::allocator<T>().allocate(cap);
    std::size_t moved = 0;
    try {
      for (; moved < size_; ++moved)
        ::new (static_cast<void*>(bigger + moved)) T(std::move_if_noexcept(buf_[(head_ + moved) & (cap_ - 1)]));
    } catch (...) {
      for (std::size_t i = 0; i < moved; ++i) bigger[i].~T();
      std::allocator<T>().deallocate(bigger, cap);
      throw;
    }
    const std::size_t n = size_;
    clear();
    if (buf_ != nullptr) std::allocator<T>().deallocate(buf_, cap_);
    buf_ = bigger;
    cap_ = cap;
    head_ = 0;
    size_ = n;
  }

  T* buf_ = nullptr;
  std::size_t cap_ = 0;  // 0 or a power of two
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

// A blocked put() or get(): the node in the queue's putters or getters, a
// local of the waiting loop's coroutine. `co_await node` waits.
class QueueWait final : public Waiter {
 public:
  explicit QueueWait(WaiterList& list) noexcept : list_(&list) {}
  WaitOn<QueueWait> operator co_await() noexcept { return WaitOn<QueueWait>(*this); }
  void start(stdcoro::coroutine_handle<> h) { suspend(*list_, *current_task_base(), h); }
  void finish() { resume(); }

  bool cancelled() const noexcept { return state() == State::cancelled; }
  void unlink() noexcept { list_->remove(*this); }

 private:
  WaiterList* list_;
};

// The parts of a queue that do not depend on the item type.
class QueueBase {
 public:
  QueueBase(const QueueBase&) = delete;
  QueueBase& operator=(const QueueBase&) = delete;

  /// The number of items allowed (<= 0: unbounded). Python: Queue.maxsize
  std::int64_t maxsize() const noexcept { return maxsize_; }
  /// The number of items in the queue. Python: Queue.qsize()
  std::size_t qsize() const noexcept { return size_; }
  /// True if the queue holds no item. Python: Queue.empty()
  bool empty() const noexcept { return size_ == 0; }
  /// True if the queue holds maxsize items (never when unbounded).
  /// Python: Queue.full()
  bool full() const noexcept { return maxsize_ > 0 && size_ >= static_cast<std::size_t>(maxsize_); }

  /// Marks one item got from the queue as processed; join() returns once
  /// every item put has been. ValueError "task_done() called too many
  /// times" if more calls than items. Python: Queue.task_done()
  void task_done();

  class JoinAwaiter;
  /// Waits until every item put in the queue has been processed
  /// (task_done()); at once if none is pending. Python: Queue.join()
  [[nodiscard]] JoinAwaiter join() noexcept;

  /// "<Queue at 0x... maxsize=0 _queue=[1, 2] tasks=2>". Python: repr(queue)
  virtual std::string repr() const = 0;

 protected:
  explicit QueueBase(std::int64_t maxsize) noexcept : maxsize_(maxsize) { finished_.set(); }
  virtual ~QueueBase();

  // put_nowait()/get_nowait() around the storage operations (inline: the
  // hot path of every put and get).
  void check_put() const {
    if (is_shutdown_ || full()) raise_cannot_put();
  }
  void after_put() {
    ++size_;
    ++unfinished_;
    finished_.clear();
    getters_.wake_next();
  }
  void check_get() const {
    if (size_ == 0) raise_cannot_get();
  }
  void after_get() {
    --size_;
    putters_.wake_next();
  }
  // shutdown(): after_drop() for each item an immediate shutdown drops.
  void begin_shutdown() noexcept { is_shutdown_ = true; }
  void after_drop() noexcept;
  void end_shutdown(bool immediate);

  // The waiting loops of Python's get() and put() (slow paths).
  Coro<> wait_for_item();
  Coro<> wait_for_slot();
  bool ready_to_get() const noexcept { return size_ != 0 || is_shutdown_; }
  bool ready_to_put() const noexcept { return !full() || is_shutdown_; }

  // Python: Queue._format() without the items part, which `items` gives.
  std::string format(const std::string& items) const;
  std::string repr_with(const char* cls, const std::string& items) const;
  std::string str_with(const char* cls, const std::string& items) const;

 private:
  template <class T>
  friend class QueueGet;
  template <class T>
  friend class QueuePut;
  void bind(TaskBase& task);
  [[noreturn]] void raise_cannot_put() const;
  [[noreturn]] void raise_cannot_get() const;

  WaiterList getters_;
  WaiterList putters_;
  Event finished_;  // set while no item is unfinished
  LoopBinding loop_;
  std::int64_t maxsize_;
  std::size_t size_ = 0;
  std::size_t unfinished_ = 0;
  bool is_shutdown_ = false;
};

class [[nodiscard]] QueueBase::JoinAwaiter {
 public:
  using asyncio_awaiter = void;

  explicit JoinAwaiter(QueueBase& q) noexcept : q_(&q), inner_(q.finished_) {}
  JoinAwaiter(JoinAwaiter&& o) noexcept : q_(o.q_), inner_(std::move(o.inner_)) {}
  JoinAwaiter& operator=(JoinAwaiter&&) = delete;

  bool await_ready() { return q_->unfinished_ == 0 || inner_.await_ready(); }
  void await_suspend(detail::AsyncioHandle h) { inner_.await_suspend(h); }
  void await_resume() { inner_.await_resume(); }

 private:
  QueueBase* q_;
  EventAwaiter inner_;
};

inline QueueBase::JoinAwaiter QueueBase::join() noexcept { return JoinAwaiter(*this); }

// Runs a slow path coroutine inside the awaiting one, as `co_await coro`.
inline void start_nested(Coro<>& slow, AsyncioHandle h) {
  typename Coro<>::Awaiter{slow.handle()}.await_suspend(h);
}
inline void finish_nested(Coro<>& slow) {
  if (slow) typename Coro<>::Awaiter{slow.handle()}.await_resume();
}

// Awaiter of Queue<T>::get(). Python: Queue.get()
template <class T>
class [[nodiscard]] QueueGet final {
 public:
  using asyncio_awaiter = void;

  explicit QueueGet(Queue<T>& q) noexcept : q_(&q) {}
  QueueGet(QueueGet&& o) noexcept : q_(o.q_), slow_(std::move(o.slow_)) {}
  QueueGet& operator=(QueueGet&&) = delete;

  bool await_ready() const noexcept { return q_->ready_to_get(); }
  void await_suspend(detail::AsyncioHandle h) {
    slow_ = q_->wait_for_item();
    start_nested(slow_, h);
  }
  T await_resume() {
    finish_nested(slow_);
    return q_->get_nowait();
  }

 private:
  Queue<T>* q_;
  Coro<> slow_;
};

// Awaiter of Queue<T>::put(). Python: Queue.put()
template <class T>
class [[nodiscard]] QueuePut final {
 public:
  using asyncio_awaiter = void;

  QueuePut(Queue<T>& q, T&& item) : q_(&q), item_(std::move(item)) {}
  QueuePut(QueuePut&& o) noexcept(std::is_nothrow_move_constructible_v<T>)
      : q_(o.q_), item_(std::move(o.item_)), slow_(std::move(o.slow_)) {}
  QueuePut& operator=(QueuePut&&) = delete;

  bool await_ready() const noexcept { return q_->ready_to_put(); }
  void await_suspend(detail::AsyncioHandle h) {
    slow_ = q_->wait_for_slot();
    start_nested(slow_, h);
  }
  void await_resume() {
    finish_nested(slow_);
    q_->put_nowait(std::move(item_));
  }

 private:
  Queue<T>* q_;
  T item_;
  Coro<> slow_;
};

}  // namespace detail

/// A FIFO queue for producer and consumer tasks. Python: asyncio.Queue
template <class T>
class Queue : public detail::QueueBase {
 public:
  using value_type = T;

  /// A queue holding up to `maxsize` items; <= 0 means unbounded.
  /// Python: Queue(maxsize=0)
  explicit Queue(std::int64_t maxsize = 0) noexcept : QueueBase(maxsize) {}
  ~Queue() override = default;

  /// Puts `item`, waiting (FIFO) while the queue is full. QueueShutDown if
  /// the queue is shut down (at once, or when it is while waiting). If the
  /// wait is cancelled the item is not put (it is destroyed with the
  /// awaiter). Python: Queue.put(item)
  [[nodiscard]] detail::QueuePut<T> put(T item) { return detail::QueuePut<T>(*this, std::move(item)); }
  /// Puts `item` without waiting and wakes the first waiting getter.
  /// QueueShutDown if shut down; QueueFull if full. Python: Queue.put_nowait()
  void put_nowait(T item) {
    check_put();
    put_item(std::move(item));
    after_put();
  }
  /// Removes and gives the next item, waiting (FIFO) while the queue is
  /// empty. QueueShutDown once the queue is shut down and empty (or shut
  /// down immediately). A cancelled get() takes no item.
  /// Python: Queue.get()
  [[nodiscard]] detail::QueueGet<T> get() noexcept { return detail::QueueGet<T>(*this); }
  /// Removes and gives the next item without waiting, and wakes the first
  /// waiting putter. QueueShutDown if shut down and empty; QueueEmpty if
  /// empty. Python: Queue.get_nowait()
  T get_nowait() {
    check_get();
    T item = get_item();
    after_get();
    return item;
  }
  /// Shuts the queue down: put() and put_nowait() raise QueueShutDown from
  /// now on, get() does once the queue is empty, and every blocked put()
  /// and get() wakes to find out. With {.immediate = true} the items left
  /// are dropped (each counts as task_done() for join()).
  /// Python: Queue.shutdown(immediate=False)
  void shutdown(QueueShutdownOptions options = {}) {
    begin_shutdown();
    if (options.immediate) {
      while (!empty()) {
        (void)get_item();
        after_drop();
      }
    }
    end_shutdown(options.immediate);
  }

  /// "<Queue at 0x... maxsize=0 _queue=[1, 2] tasks=2>". Python: repr(queue)
  std::string repr() const override { return repr_with(class_name(), items_repr()); }
  /// "<Queue maxsize=0 _queue=[1, 2] tasks=2>". Python: str(queue)
  std::string str() const { return str_with(class_name(), items_repr()); }

 protected:
  /// Stores an item. Python: Queue._put (overridable)
  virtual void put_item(T&& item) { items_.push_back(std::move(item)); }
  /// Takes the next item out; never called when empty. Python: Queue._get
  virtual T get_item() { return items_.pop_front(); }
  /// The items in storage order, as Python's list(self._queue) repr.
  virtual std::string items_repr() const {
    std::string out;
    for (std::size_t i = 0; i < items_.size(); ++i) append_item(out, items_[i]);
    return out;
  }
  /// The class name in reprs.
  virtual const char* class_name() const noexcept { return "Queue"; }
  /// Appends ", repr(item)" (no comma first) to `out`.
  static void append_item(std::string& out, const T& item) {
    if (!out.empty()) out += ", ";
    out += detail::value_repr(item);
  }

 private:
  template <class U>
  friend class detail::QueueGet;
  template <class U>
  friend class detail::QueuePut;
  detail::Ring<T> items_;
};

/// A queue giving the most recently added item first. Python: asyncio.LifoQueue
template <class T>
class LifoQueue : public Queue<T> {
 public:
  /// Python: LifoQueue(maxsize=0)
  explicit LifoQueue(std::int64_t maxsize = 0) noexcept : Queue<T>(maxsize) {}

 protected:
  void put_item(T&& item) override { items_.push_back(std::move(item)); }
  T get_item() override {
    T item = std::move(items_.back());
    items_.pop_back();
    return item;
  }
  std::string items_repr() const override {
    std::string out;
    for (const T& item : items_) Queue<T>::append_item(out, item);
    return out;
  }
  const char* class_name() const noexcept override { return "LifoQueue"; }

 private:
  std::vector<T> items_;
};

/// A queue giving the lowest item first (by `Compare`, std::less: the
/// smallest, as Python's heapq). Entries are typically
/// std::pair<priority, data>. Python: asyncio.PriorityQueue
template <class T, class Compare = std::less<T>>
class PriorityQueue : public Queue<T> {
 public:
  /// Python: PriorityQueue(maxsize=0)
  explicit PriorityQueue(std::int64_t maxsize = 0, Compare compare = Compare())
      : Queue<T>(maxsize), compare_(std::move(compare)) {}

 protected:
  void put_item(T&& item) override {
    heap_.push_back(std::move(item));
    std::push_heap(heap_.begin(), heap_.end(), greater());
  }
  T get_item() override {
    std::pop_heap(heap_.begin(), heap_.end(), greater());
    T item = std::move(heap_.back());
    heap_.pop_back();
    return item;
  }
  std::string items_repr() const override {
    std::string out;
    for (const T& item : heap_) Queue<T>::append_item(out, item);
    return out;
  }
  const char* class_name() const noexcept override { return "PriorityQueue"; }

 private:
  // std's heap functions keep the largest first; inverting the order keeps
  // the smallest first, as heapq does.
  auto greater() const {
    return [this](const T& a, const T& b) { return compare_(b, a); };
  }
  std::vector<T> heap_;
  Compare compare_;
};

}  // namespace asyncio
