// Intrusive FIFOs of tasks blocked on a synchronization primitive or a
// queue. Python: the deques of Futures in locks.py and queues.py
// (_waiters, _getters, _putters).
//
// Where Python appends a new Future to a deque, a waiter here is a node
// living in the awaiter, so in the waiting coroutine's frame: blocking
// allocates nothing, and removing a node (cancellation) is O(1).
// Like that Future, a node is in one of three states:
//   pending   - still waiting;
//   done      - woken (Python: set_result); its task's step is scheduled;
//   cancelled - Task.cancel() reached it; its task's step is scheduled and
//               will raise CancelledError at the await.
// Who removes a node, and when, follows Python per primitive: locks keep it
// until its task runs (so a woken or cancelled waiter still blocks barging
// and still counts in repr()), queues pop it when they wake it.
//
// Invariants:
// - A node is in at most one list, and only while its task is suspended on
//   it or (done/cancelled) until its task resumes.
// - list.cancelled_ counts the linked nodes in the cancelled state, so
//   "every waiter is cancelled" (Lock) and "any waiter not cancelled"
//   (Semaphore) are O(1).
// - A list destroyed while nodes are linked orphans them (unlinks them
//   without waking their tasks), so the frames can still die safely.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "asyncio/detail/coro_compat.hpp"
#include "asyncio/detail/future_base.hpp"
#include "asyncio/detail/task_base.hpp"
#include "asyncio/events.hpp"

namespace asyncio::detail {

class WaiterList;

class Waiter : public Cancellable {
 public:
  enum class State : std::uint8_t { pending, done, cancelled };

  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;

  State state() const noexcept { return state_; }
  bool linked() const noexcept { return list_ != nullptr; }
  Waiter* next() const noexcept { return next_; }

  /// Wakes the waiting task: its next step runs on the next iteration.
  /// Python: waiter.set_result(...). Precondition: pending.
  void complete() {
    state_ = State::done;
    task_->wake();
  }

  /// Task.cancel() reached this wait: the task wakes with CancelledError.
  /// False once woken or cancelled (Python: Future.cancel() on a done future).
  bool cancel(std::optional<std::string> msg) override;
  /// The task is being destroyed with its loop: unlink, don't wake.
  void detach(TaskBase& task) noexcept override;

 protected:
  Waiter() noexcept = default;
  // Awaiters are moved only before the await starts (GCC moves awaiters
  // passed through await_transform): nothing is linked yet.
  Waiter(Waiter&&) noexcept : Cancellable() {}
  virtual ~Waiter();

  /// Links this node at the tail of `list` and suspends `task` at `h`.
  void suspend(WaiterList& list, TaskBase& task, stdcoro::coroutine_handle<> h);
  /// The first thing await_resume does once suspended: throws the
  /// CancelledError this wait (or the task's step) must deliver.
  void resume() {
    task_->resume_point();
    if (state_ == State::cancelled) throw task_->make_cancelled_error();
  }
  TaskBase* task() const noexcept { return task_; }

 private:
  friend class WaiterList;
  Waiter* prev_ = nullptr;
  Waiter* next_ = nullptr;
  WaiterList* list_ = nullptr;
  TaskBase* task_ = nullptr;
  State state_ = State::pending;
};

class WaiterList {
 public:
  WaiterList() noexcept = default;
  WaiterList(const WaiterList&) = delete;
  WaiterList& operator=(const WaiterList&) = delete;
  ~WaiterList() { orphan_all(); }

  bool empty() const noexcept { return head_ == nullptr; }
  /// Linked nodes, whatever their state. Python: len(deque).
  std::size_t size() const noexcept { return size_; }
  /// Linked nodes not cancelled (pending or done).
  std::size_t live() const noexcept { return size_ - cancelled_; }
  Waiter* front() const noexcept { return head_; }

  void push_back(Waiter& w) noexcept {
    w.list_ = this;
    w.prev_ = tail_;
    w.next_ = nullptr;
    if (tail_)
      tail_->next_ = &w;
    else
      head_ = &w;
    tail_ = &w;
    ++size_;
    if (w.state_ == Waiter::State::cancelled) ++cancelled_;
  }
  /// Unlinks `w` if it is linked here (Python: deque.remove, ignoring
  /// ValueError).
  void remove(Waiter& w) noexcept {
    if (w.list_ != this) return;
    if (w.prev_)
      w.prev_->next_ = w.next_;
    else
      head_ = w.next_;
    if (w.next_)
      w.next_->prev_ = w.prev_;
    else
      tail_ = w.prev_;
    w.prev_ = w.next_ = nullptr;
    w.list_ = nullptr;
    --size_;
    if (w.state_ == Waiter::State::cancelled) --cancelled_;
  }
  /// Python: deque.popleft(). Precondition: !empty().
  Waiter& pop_front() noexcept {
    Waiter& w = *head_;
    remove(w);
    return w;
  }
  /// The first pending node, if any.
  Waiter* first_pending() const noexcept {
    for (Waiter* w = head_; w != nullptr; w = w->next_)
      if (w->state_ == Waiter::State::pending) return w;
    return nullptr;
  }
  /// Python's Queue._wakeup_next: pops nodes until it finds a pending one,
  /// and wakes it.
  void wake_next() {
    while (head_ != nullptr) {
      Waiter& w = pop_front();
      if (w.state_ == Waiter::State::pending) {
        w.complete();
        return;
      }
    }
  }
  /// Pops every node, waking the pending ones in order (Queue.shutdown).
  void wake_all() {
    while (head_ != nullptr) {
      Waiter& w = pop_front();
      if (w.state_ == Waiter::State::pending) w.complete();
    }
  }

 private:
  friend class Waiter;
  void orphan_all() noexcept;

  Waiter* head_ = nullptr;
  Waiter* tail_ = nullptr;
  std::size_t size_ = 0;
  std::size_t cancelled_ = 0;
};

inline Waiter::~Waiter() {
  if (list_ != nullptr) list_->remove(*this);
}

inline void Waiter::suspend(WaiterList& list, TaskBase& task, stdcoro::coroutine_handle<> h) {
  task_ = &task;
  state_ = State::pending;
  list.push_back(*this);
  task.suspend_on(h, this);
}

/// Awaits a Waiter that lives in a coroutine frame as a local variable
/// (`co_await node;`), through W::start(h) and W::finish().
/// Why not make the node itself the awaiter: GCC 12 copies an lvalue
/// awaiter returned by await_transform, while it awaits an awaitable's
/// operator co_await result in place.
template <class W>
class [[nodiscard]] WaitOn {
 public:
  using asyncio_awaiter = void;
  explicit WaitOn(W& waiter) noexcept : w_(&waiter) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(detail::AsyncioHandle h) { w_->start(h); }
  void await_resume() { w_->finish(); }

 private:
  W* w_;
};

/// The loop a primitive is bound to: the loop of the first task that
/// blocked on it. Python: mixins._LoopBoundMixin
class LoopBinding {
 public:
  /// Binds to `running` on first use; RuntimeError "<repr> is bound to a
  /// different event loop" if bound to another loop.
  /// Python: _LoopBoundMixin._get_loop()
  template <class Primitive>
  void bind(EventLoop& running, const Primitive& primitive) {
    if (!check(running)) throw RuntimeError(primitive.repr() + " is bound to a different event loop");
  }

 private:
  // True if bound (now or before) to `running`.
  bool check(EventLoop& running);

  EventLoop* loop_ = nullptr;
  // Tells the bound loop from a later loop created at the same address once
  // it is gone (Python's binding keeps the old loop alive, so such a reuse
  // is "a different loop" there too).
  std::weak_ptr<EventLoop> identity_;
};

/// "0x55d0c0ffee10": an object's address as Python's repr shows id().
std::string address_repr(const void* p);

/// Logs that a primitive died while tasks still waited on it (their tasks
/// stay suspended forever: the program has a lifetime bug).
void report_destroyed_with_waiters(const char* what, std::size_t waiters) noexcept;

}  // namespace asyncio::detail
