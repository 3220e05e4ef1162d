// Synchronization primitives. Python: asyncio.locks (Lock, Event, Condition,
// Semaphore, BoundedSemaphore, Barrier).
//
//   asyncio::Lock lock;
//   ...
//   {
//     auto held = co_await asyncio::hold(lock);  // Python: async with lock:
//     ...                                        //   ...
//   }                                            // released here
//
// As in Python: not thread-safe (use them from their loop's thread), no
// timeout parameters (use wait_for()/timeout()), strict FIFO fairness (no
// barging while waiters exist), and each primitive binds to the loop of the
// first task that blocks on it (RuntimeError "... is bound to a different
// event loop" from any other loop).
//
// Blocked tasks wait in intrusive lists whose nodes live in the awaiters
// (detail/waiters.hpp) or, for Event, in the tasks themselves: blocking
// allocates nothing. Condition.wait(), wait_for() and Barrier's methods are
// coroutines (Coro), as in Python.
//
// Lifetime: a primitive must outlive the tasks blocked on it (as a
// std::mutex must outlive its waiters). Destroying one with waiters logs an
// error and leaves those tasks suspended.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "asyncio/coroutines.hpp"
#include "asyncio/detail/coro_compat.hpp"
#include "asyncio/detail/future_base.hpp"
#include "asyncio/detail/task_base.hpp"
#include "asyncio/detail/waiters.hpp"
#include "asyncio/events.hpp"
#include "asyncio/exceptions.hpp"

namespace asyncio {

class Lock;
class Event;
class Condition;
class Semaphore;
class Barrier;
template <class P>
class Held;

namespace detail {

// Awaiter of Lock::acquire(). Python: Lock.acquire()
class [[nodiscard]] LockAcquire final : public Waiter {
 public:
  using asyncio_awaiter = void;

  explicit LockAcquire(Lock& lock) noexcept : lock_(&lock) {}
  // Nothing of a Waiter moves (see Waiter(Waiter&&)): start from a fresh one.
  LockAcquire(LockAcquire&& o) noexcept : lock_(o.lock_) {}
  LockAcquire& operator=(LockAcquire&&) = delete;

  bool await_ready();
  void await_suspend(detail::AsyncioHandle h);
  bool await_resume() {
    if (task() == nullptr) return true;  // taken on the fast path
    return finish();
  }

 private:
  bool block();
  bool finish();
  Lock* lock_;
};

// Awaiter of Semaphore::acquire(). Python: Semaphore.acquire()
class [[nodiscard]] SemaphoreAcquire final : public Waiter {
 public:
  using asyncio_awaiter = void;

  explicit SemaphoreAcquire(Semaphore& sem) noexcept : sem_(&sem) {}
  // Nothing of a Waiter moves (see Waiter(Waiter&&)): start from a fresh one.
  SemaphoreAcquire(SemaphoreAcquire&& o) noexcept : sem_(o.sem_) {}
  SemaphoreAcquire& operator=(SemaphoreAcquire&&) = delete;

  bool await_ready();
  void await_suspend(detail::AsyncioHandle h);
  bool await_resume() {
    if (task() == nullptr) return true;
    return finish();
  }

 private:
  bool block();
  bool finish();
  Semaphore* sem_;
};

// Waits for a Condition's notification: the first half of
// Condition.wait(), a local of its coroutine (which then re-acquires the
// lock). `co_await node` waits.
class ConditionWait final : public Waiter {
 public:
  explicit ConditionWait(Condition& cond) noexcept : cond_(&cond) {}
  WaitOn<ConditionWait> operator co_await() noexcept { return WaitOn<ConditionWait>(*this); }
  void start(stdcoro::coroutine_handle<> h);
  void finish();

 private:
  Condition* cond_;
};

// Awaiter of Event::wait(). One word (the event, plus a "suspended" bit):
// the task's own wait node links it into the event's list, so a coroutine
// blocked on an Event costs no more than one blocked on a Future.
class [[nodiscard]] EventAwaiter {
 public:
  using asyncio_awaiter = void;

  explicit EventAwaiter(Event& event) noexcept : bits_(reinterpret_cast<std::uintptr_t>(&event)) {}
  EventAwaiter(EventAwaiter&& o) noexcept : bits_(o.bits_) {}
  EventAwaiter& operator=(EventAwaiter&&) = delete;

  bool await_ready();
  void await_suspend(detail::AsyncioHandle h);
  bool await_resume() {
    if (bits_ & kSuspended) finish();
    return true;
  }

 private:
  static constexpr std::uintptr_t kSuspended = 1;
  Event& event() const noexcept {
    return *reinterpret_cast<Event*>(bits_ & ~kSuspended);  // NOLINT(performance-no-int-to-ptr): tagged pointer
  }
  void finish();
  std::uintptr_t bits_;
};

// What Event::wait() returns: a view of the event that co_await turns into
// an EventAwaiter. Not copyable: await it where you got it.
class EventWait {
 public:
  EventWait(const EventWait&) = delete;
  EventWait& operator=(const EventWait&) = delete;
  /// Waits until the event is set. Python: await event.wait()
  EventAwaiter operator co_await() noexcept;

 protected:
  EventWait() noexcept = default;
  ~EventWait() = default;
};

// The awaiter of asyncio::hold(): acquires, then hands out the Held guard.
template <class P>
class [[nodiscard]] HoldAwaiter final {
 public:
  using asyncio_awaiter = void;
  using Inner = decltype(std::declval<P&>().acquire());

  explicit HoldAwaiter(P& primitive) : primitive_(&primitive), inner_(primitive.acquire()) {}
  HoldAwaiter(HoldAwaiter&& o) noexcept : primitive_(o.primitive_), inner_(std::move(o.inner_)) {}
  HoldAwaiter& operator=(HoldAwaiter&&) = delete;

  bool await_ready() { return inner_.await_ready(); }
  void await_suspend(detail::AsyncioHandle h) { inner_.await_suspend(h); }
  Held<P> await_resume();

 private:
  P* primitive_;
  Inner inner_;
};

// What Condition::wait_for() accepts: a callable whose result tests as a
// bool (Python: any truthy value).
template <class P>
concept ConditionPredicate = std::invocable<P&> && requires(std::decay_t<std::invoke_result_t<P&>> r) {
  static_cast<bool>(r);
};

// Logs a release that failed in a Held guard's destructor (which cannot
// throw): the primitive was released by other means first.
void report_release_error(const char* what) noexcept;

}  // namespace detail

/// A primitive lock: unlocked or locked, owned by no task. Python: asyncio.Lock
class Lock {
 public:
  /// An unlocked lock.
  Lock() noexcept = default;
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;
  ~Lock();

  /// Waits until the lock is unlocked, then locks it; the await gives true.
  /// Strictly FIFO: if tasks are waiting, a new acquire() waits behind them
  /// even when the lock is free at that moment. RuntimeError if the lock is
  /// bound to another loop. Python: Lock.acquire()
  [[nodiscard]] detail::LockAcquire acquire() noexcept { return detail::LockAcquire(*this); }
  /// Unlocks the lock and wakes the first waiting task. RuntimeError
  /// "Lock is not acquired." if unlocked. Python: Lock.release()
  void release();
  /// True if locked. Python: Lock.locked()
  bool locked() const noexcept { return locked_; }
  /// "<asyncio.locks.Lock object at 0x... [locked, waiters:1]>".
  /// Python: repr(lock)
  std::string repr() const;

 private:
  friend class detail::LockAcquire;
  friend class Condition;
  void wake_up_first();

  detail::WaiterList waiters_;
  detail::LoopBinding loop_;
  bool locked_ = false;
};

/// A flag tasks can wait for: set() wakes every waiter. Python: asyncio.Event
class Event final : private detail::Cancellable, private detail::EventWait {
 public:
  /// An event that is not set.
  Event() noexcept = default;
  ~Event();

  /// True if set. Python: Event.is_set()
  bool is_set() const noexcept { return value_; }
  /// Sets the flag and wakes every waiting task (in the order they began
  /// waiting). Python: Event.set()
  void set();
  /// Resets the flag. Python: Event.clear()
  void clear() noexcept { value_ = false; }
  /// Waits until the event is set; the await gives true at once if it is.
  /// RuntimeError if the event is bound to another loop.
  ///   co_await event.wait();
  /// Python: Event.wait()
  /// Divergence: returns a reference to an awaitable inside the event, not
  /// a coroutine object, so that a coroutine blocked on an Event is as
  /// small as one blocked on a Future (a million waiting tasks fit in
  /// 200 MB). To run the wait as a task, wrap it:
  /// `create_task([](Event& e) -> Coro<bool> { co_return co_await e.wait(); }(ev))`.
  [[nodiscard]] detail::EventWait& wait() noexcept { return *this; }
  /// "<asyncio.locks.Event object at 0x... [unset, waiters:2]>".
  /// Python: repr(event)
  std::string repr() const;

 private:
  friend class detail::EventAwaiter;
  friend class detail::EventWait;

  // A task waits through its own wait node (a one-word link): Task.cancel()
  // reaches the event through cancel_waiter(), which unlinks that task.
  bool cancel(std::optional<std::string>) override { return false; }
  bool cancel_waiter(detail::TaskBase& task, std::optional<std::string> msg) override;
  void detach(detail::TaskBase& task) noexcept override;
  void link(detail::DoneCallback& node) noexcept;
  bool unlink(detail::DoneCallback& node) noexcept;
  std::size_t waiter_count() const noexcept;

  detail::DoneCallback* tail_ = nullptr;  // circular list of task wait nodes
  detail::LoopBinding loop_;
  bool value_ = false;
};

/// A condition variable over a Lock: tasks wait until notified.
/// Python: asyncio.Condition
class Condition {
 public:
  /// A condition with a lock of its own. Python: Condition()
  Condition() noexcept : lock_(&own_lock_) {}
  /// A condition sharing `lock` (which must outlive it).
  /// Python: Condition(lock)
  explicit Condition(Lock& lock) noexcept : lock_(&lock) {}
  Condition(const Condition&) = delete;
  Condition& operator=(const Condition&) = delete;
  ~Condition();

  /// Acquires the underlying lock. Python: Condition.acquire()
  [[nodiscard]] detail::LockAcquire acquire() noexcept { return lock_->acquire(); }
  /// Releases the underlying lock. RuntimeError if it is not acquired.
  /// Python: Condition.release()
  void release() { lock_->release(); }
  /// True if the underlying lock is acquired. Python: Condition.locked()
  bool locked() const noexcept { return lock_->locked(); }

  /// Releases the lock, waits until notified, re-acquires the lock (even
  /// when cancelled: a CancelledError is re-raised once the lock is held
  /// again) and gives true. Wake-ups may be spurious: re-check the state.
  /// RuntimeError "cannot wait on un-acquired lock" if the lock is not
  /// held. Python: Condition.wait()
  Coro<bool> wait();
  /// Waits until `predicate()` is truthy and gives its last value (at once,
  /// without checking the lock, if it already is). The lock must be held.
  /// Python: Condition.wait_for(predicate)
  template <class Predicate>
    requires detail::ConditionPredicate<Predicate>
  Coro<std::decay_t<std::invoke_result_t<Predicate&>>> wait_for(Predicate predicate);
  /// Wakes up to `n` waiting tasks, in FIFO order. RuntimeError "cannot
  /// notify on un-acquired lock" if the lock is not held.
  /// Python: Condition.notify(n=1)
  void notify(std::size_t n = 1);
  /// Wakes every waiting task. Python: Condition.notify_all()
  void notify_all() { notify(waiters_.size()); }
  /// "<asyncio.locks.Condition object at 0x... [locked, waiters:1]>".
  /// Python: repr(condition)
  std::string repr() const;

 private:
  friend class detail::ConditionWait;
  void notify_waiters(std::size_t n);

  Lock own_lock_;
  Lock* lock_;
  detail::WaiterList waiters_;
  detail::LoopBinding loop_;
};

/// A counter of permits: acquire() takes one (waiting while there are
/// none), release() gives one back. Python: asyncio.Semaphore
class Semaphore {
 public:
  /// A semaphore with `value` permits. ValueError "Semaphore initial value
  /// must be >= 0" if negative. Python: Semaphore(value=1)
  explicit Semaphore(std::int64_t value = 1) : Semaphore(value, -1) {}
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;
  ~Semaphore();

  /// Takes a permit, waiting (FIFO) while none is free or others wait; the
  /// await gives true. RuntimeError if bound to another loop.
  /// Python: Semaphore.acquire()
  [[nodiscard]] detail::SemaphoreAcquire acquire() noexcept { return detail::SemaphoreAcquire(*this); }
  /// Gives a permit back and wakes the first waiting task. A Semaphore may
  /// end up with more permits than it started with; a BoundedSemaphore
  /// raises ValueError instead. Python: Semaphore.release()
  void release();
  /// True if acquire() would wait: no permit, or tasks waiting ahead.
  /// Python: Semaphore.locked()
  bool locked() const noexcept { return value_ == 0 || waiters_.live() > 0; }
  /// "<asyncio.locks.Semaphore object at 0x... [unlocked, value:1]>".
  /// Python: repr(semaphore)
  std::string repr() const;

 protected:
  Semaphore(std::int64_t value, std::int64_t bound);

 private:
  friend class detail::SemaphoreAcquire;
  bool wake_up_next();
  void wake_up_waiters();

  detail::WaiterList waiters_;
  detail::LoopBinding loop_;
  std::int64_t value_;
  std::int64_t bound_;  // the initial value of a BoundedSemaphore; -1: none
};

/// A Semaphore that refuses to grow past its initial value.
/// Python: asyncio.BoundedSemaphore
class BoundedSemaphore : public Semaphore {
 public:
  /// ValueError if `value` is negative. release() raises ValueError
  /// "BoundedSemaphore released too many times" past `value`.
  /// Python: BoundedSemaphore(value=1)
  explicit BoundedSemaphore(std::int64_t value = 1) : Semaphore(value, value) {}
};

/// Makes `parties` tasks wait for each other: wait() returns once all have
/// arrived. Python: asyncio.Barrier
class Barrier {
 public:
  /// ValueError "parties must be > 0" if `parties` < 1.
  /// Python: Barrier(parties)
  explicit Barrier(std::int64_t parties);
  Barrier(const Barrier&) = delete;
  Barrier& operator=(const Barrier&) = delete;

  /// Waits until `parties` tasks wait, then wakes them all; gives each its
  /// arrival index (0 .. parties-1). BrokenBarrierError if the barrier is
  /// broken, or is reset or aborted while waiting. Python: Barrier.wait()
  /// (and `async with barrier as i`).
  Coro<std::size_t> wait();
  /// Returns the barrier to its empty state; tasks waiting get
  /// BrokenBarrierError. Python: Barrier.reset()
  Coro<> reset();
  /// Breaks the barrier: waiting and future wait() calls raise
  /// BrokenBarrierError. Python: Barrier.abort()
  Coro<> abort();

  /// The number of tasks needed to pass. Python: Barrier.parties
  std::size_t parties() const noexcept { return parties_; }
  /// The number of tasks waiting while it fills. Python: Barrier.n_waiting
  std::size_t n_waiting() const noexcept { return state_ == State::filling ? count_ : 0; }
  /// True if broken. Python: Barrier.broken
  bool broken() const noexcept { return state_ == State::broken; }
  /// "<asyncio.locks.Barrier object at 0x... [filling, waiters:2/5]>".
  /// Python: repr(barrier)
  std::string repr() const;

 private:
  enum class State : std::uint8_t { filling, draining, resetting, broken };
  void exit_barrier();

  Condition cond_;
  std::size_t parties_;
  std::size_t count_ = 0;
  State state_ = State::filling;
};

/// Owns one acquisition of a Lock, Semaphore or Condition, and releases it
/// when destroyed: what `async with lock:` is in Python. Move-only.
/// Get one from `co_await asyncio::hold(primitive)`.
template <class P>
class [[nodiscard]] Held {
 public:
  /// Adopts an acquisition of `primitive` (library use; see hold()).
  explicit Held(P& primitive) noexcept : primitive_(&primitive) {}
  Held(Held&& o) noexcept : primitive_(std::exchange(o.primitive_, nullptr)) {}
  Held& operator=(Held&& o) noexcept {
    if (this != &o) {
      reset();
      primitive_ = std::exchange(o.primitive_, nullptr);
    }
    return *this;
  }
  Held(const Held&) = delete;
  Held& operator=(const Held&) = delete;
  /// Releases the primitive if still held. A release that fails (the
  /// primitive was released by other means) is logged: destructors cannot
  /// raise.
  ~Held() { reset(); }

  /// Releases the primitive now (before the end of the scope). RuntimeError
  /// if this guard no longer holds it; whatever the primitive's release()
  /// raises.
  void release() {
    if (primitive_ == nullptr) throw RuntimeError("release() on a Held guard that holds nothing");
    std::exchange(primitive_, nullptr)->release();
  }
  /// True until released (or moved from).
  bool holds() const noexcept { return primitive_ != nullptr; }
  explicit operator bool() const noexcept { return holds(); }

 private:
  void reset() noexcept {
    P* p = std::exchange(primitive_, nullptr);
    if (p == nullptr) return;
    try {
      p->release();
    } catch (const std::exception& e) {
      detail::report_release_error(e.what());
    }
  }
  P* primitive_;
};

/// Acquires `primitive` (Lock, Semaphore, BoundedSemaphore, Condition) and
/// gives a guard that releases it at the end of the scope:
///   auto held = co_await asyncio::hold(lock);
/// Keep the guard in a variable: a discarded guard releases at once (clang
/// warns; GCC cannot). Raises what acquire() raises (CancelledError while
/// waiting: nothing is held then). Python: async with primitive:
template <class P>
  requires requires(P& p) {
    p.acquire();
    p.release();
  }
[[nodiscard]] detail::HoldAwaiter<P> hold(P& primitive) {
  return detail::HoldAwaiter<P>(primitive);
}

// ---- Inline parts ----

namespace detail {

inline bool LockAcquire::await_ready() {
  // Python: the fast path of Lock.acquire(): free, and nobody but cancelled
  // waiters queued (no barging past a woken waiter).
  if (!lock_->locked_ && lock_->waiters_.live() == 0) {
    lock_->locked_ = true;
    return true;
  }
  return block();
}

inline bool SemaphoreAcquire::await_ready() {
  if (!sem_->locked()) {
    --sem_->value_;
    return true;
  }
  return block();
}

inline bool EventAwaiter::await_ready() {
  if (event().value_) return true;
  TaskBase& task = require_current_task("wait for an Event");
  event().loop_.bind(*task.loop(), event());
  return false;
}

inline EventAwaiter EventWait::operator co_await() noexcept { return EventAwaiter(static_cast<Event&>(*this)); }

template <class P>
Held<P> HoldAwaiter<P>::await_resume() {
  inner_.await_resume();
  return Held<P>(*primitive_);
}

}  // namespace detail

template <class Predicate>
  requires detail::ConditionPredicate<Predicate>
Coro<std::decay_t<std::invoke_result_t<Predicate&>>> Condition::wait_for(Predicate predicate) {
  auto result = predicate();
  while (!static_cast<bool>(result)) {
    co_await wait();
    result = predicate();
  }
  co_return result;
}

}  // namespace asyncio
