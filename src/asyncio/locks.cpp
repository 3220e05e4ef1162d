#include "asyncio/locks.hpp"

#include <charconv>
#include <cstdint>
#include <exception>
#include <iterator>

#include "asyncio/log.hpp"

namespace asyncio {
namespace detail {

// ---- Waiter, WaiterList (detail/waiters.hpp) ----

bool Waiter::cancel(std::optional<std::string> msg) {
  // Python: Future.cancel() on the waiter's future; the task's wake-up is
  // scheduled as the future's done callback would be.
  if (state_ != State::pending) return false;
  state_ = State::cancelled;
  if (list_ != nullptr) ++list_->cancelled_;
  task_->set_cancel_message(std::move(msg));
  task_->wake();
  return true;
}

void Waiter::detach(TaskBase&) noexcept {
  if (list_ != nullptr) list_->remove(*this);
}

void WaiterList::orphan_all() noexcept {
  while (head_ != nullptr) remove(*head_);
}

bool LoopBinding::check(EventLoop& running) {
  if (loop_ == nullptr) {
    loop_ = &running;
    identity_ = running.weak_from_this();
    return true;
  }
  if (loop_ != &running) return false;
  // Same address: the same loop if both share ownership (or neither is
  // owned by a shared_ptr, when there is no telling).
  const std::weak_ptr<EventLoop> now = running.weak_from_this();
  return !identity_.owner_before(now) && !now.owner_before(identity_);
}

std::string address_repr(const void* p) {
  // Python's "0x7f..." everywhere: printf's %p is "00000000005FFE10" with
  // Windows' C runtime.
  char buf[2 + 2 * sizeof(std::uintptr_t)];
  auto [end, ec] = std::to_chars(std::begin(buf), std::end(buf), reinterpret_cast<std::uintptr_t>(p), 16);
  (void)ec;  // the buffer holds any uintptr_t
  return "0x" + std::string(std::begin(buf), end);
}

void report_destroyed_with_waiters(const char* what, std::size_t waiters) noexcept {
  log_noexcept(LogLevel::error, [&] {
    return std::string(what) + " destroyed while " + std::to_string(waiters) +
           " task(s) wait on it; they stay suspended";
  });
}

void report_release_error(const char* what) noexcept {
  log_noexcept(LogLevel::error,
               [&] { return std::string("release at the end of a Held guard failed: ") + what; });
}

namespace {

std::string object_repr(const char* cls, const void* self, const std::string& extra) {
  return std::string("<asyncio.locks.") + cls + " object at " + address_repr(self) + " [" + extra + "]>";
}

std::string with_waiters(std::string extra, std::size_t waiters) {
  if (waiters > 0) extra += ", waiters:" + std::to_string(waiters);
  return extra;
}

// Marks a task's wait node whose Event wait was cancelled: the node is
// unlinked from the event but still tells await_resume to raise
// CancelledError. Never run.
class CancelledMark final : public CallbackNode {
 public:
  void on_fire(FutureBase&) override {}
  void on_discard() noexcept override {}
};
CancelledMark g_cancelled_mark;

DoneCallback* cancelled_mark() noexcept { return &g_cancelled_mark; }

}  // namespace

// ---- Lock ----

bool LockAcquire::block() {
  TaskBase& task = require_current_task("acquire a Lock");
  lock_->loop_.bind(*task.loop(), *lock_);
  return false;
}

void LockAcquire::await_suspend(detail::AsyncioHandle h) {
  suspend(lock_->waiters_, *current_task_base(), h);
}

bool LockAcquire::finish() {
  // Python: the slow path of Lock.acquire() after `await fut`.
  Lock& lock = *lock_;
  lock.waiters_.remove(*this);
  try {
    resume();
  } catch (const CancelledError&) {
    // Keep the invariant: an unlocked lock with waiters has its first
    // waiter woken. Our wake-up (if we had one) passes on.
    if (!lock.locked_) lock.wake_up_first();
    throw;
  }
  lock.locked_ = true;
  return true;
}

}  // namespace detail

Lock::~Lock() {
  if (!waiters_.empty()) detail::report_destroyed_with_waiters("asyncio.Lock", waiters_.size());
}

void Lock::release() {
  if (!locked_) throw RuntimeError("Lock is not acquired.");
  locked_ = false;
  wake_up_first();
}

void Lock::wake_up_first() {
  // Python: Lock._wake_up_first. Only the first waiter: if it is already
  // woken or cancelled, it passes the wake-up on when it runs.
  detail::Waiter* first = waiters_.front();
  if (first != nullptr && first->state() == detail::Waiter::State::pending) first->complete();
}

std::string Lock::repr() const {
  return detail::object_repr("Lock", this, detail::with_waiters(locked_ ? "locked" : "unlocked", waiters_.size()));
}

// ---- Event ----

namespace detail {

void EventAwaiter::await_suspend(detail::AsyncioHandle h) {
  TaskBase& task = *current_task_base();
  Event& e = event();
  e.link(task.wait_node());
  bits_ |= kSuspended;
  task.suspend_on(h, static_cast<Cancellable*>(&e));
}

void EventAwaiter::finish() {
  TaskBase& task = *current_task_base();
  DoneCallback& node = task.wait_node();
  const bool cancelled = node.next() == cancelled_mark();
  if (cancelled) node.set_next(nullptr);
  task.resume_point();
  if (cancelled) throw task.make_cancelled_error();
}

}  // namespace detail

Event::~Event() {
  if (std::size_t n = waiter_count()) {
    detail::report_destroyed_with_waiters("asyncio.Event", n);
    while (tail_ != nullptr) {
      detail::DoneCallback* head = tail_->next();
      unlink(*head);
    }
  }
}

void Event::set() {
  // Python: Event.set(): every waiter's future gets its result, in order,
  // each scheduling its task's wake-up.
  if (value_) return;
  value_ = true;
  detail::DoneCallback* tail = std::exchange(tail_, nullptr);
  if (tail == nullptr) return;
  detail::DoneCallback* n = tail->next();
  tail->set_next(nullptr);
  while (n != nullptr) {
    detail::DoneCallback* next = n->next();
    n->set_next(nullptr);
    detail::TaskBase::from_wait_node(n)->wake();
    n = next;
  }
}

void Event::link(detail::DoneCallback& node) noexcept {
  if (tail_ == nullptr) {
    node.set_next(&node);
  } else {
    node.set_next(tail_->next());
    tail_->set_next(&node);
  }
  tail_ = &node;
}

bool Event::unlink(detail::DoneCallback& node) noexcept {
  // O(position), like Python's deque.remove(); waiters mostly leave from
  // the front (set() takes them all, cancellations come oldest first).
  detail::DoneCallback* tail = tail_;
  if (tail == nullptr) return false;
  detail::DoneCallback* prev = tail;
  do {
    if (prev->next() == &node) {
      if (&node == prev) {
        tail_ = nullptr;
      } else {
        prev->set_next(node.next());
        if (&node == tail) tail_ = prev;
      }
      node.set_next(nullptr);
      return true;
    }
    prev = prev->next();
  } while (prev != tail);
  return false;
}

bool Event::cancel_waiter(detail::TaskBase& task, std::optional<std::string> msg) {
  // Python: the waiter's future is cancelled, which schedules the task.
  // Once set() woke the task, there is nothing left to cancel (false: the
  // task's next step raises CancelledError instead).
  detail::DoneCallback& node = task.wait_node();
  if (!unlink(node)) return false;
  node.set_next(detail::cancelled_mark());
  task.set_cancel_message(std::move(msg));
  task.wake();
  return true;
}

void Event::detach(detail::TaskBase& task) noexcept {
  detail::DoneCallback& node = task.wait_node();
  if (node.next() == detail::cancelled_mark())
    node.set_next(nullptr);
  else
    unlink(node);
}

std::size_t Event::waiter_count() const noexcept {
  if (tail_ == nullptr) return 0;
  std::size_t n = 0;
  const detail::DoneCallback* p = tail_;
  do {
    ++n;
    p = p->next();
  } while (p != tail_);
  return n;
}

std::string Event::repr() const {
  return detail::object_repr("Event", this, detail::with_waiters(value_ ? "set" : "unset", waiter_count()));
}

// ---- Condition ----

namespace detail {

void ConditionWait::start(stdcoro::coroutine_handle<> h) { suspend(cond_->waiters_, *current_task_base(), h); }

void ConditionWait::finish() {
  cond_->waiters_.remove(*this);
  resume();
}

}  // namespace detail

Condition::~Condition() {
  if (!waiters_.empty()) detail::report_destroyed_with_waiters("asyncio.Condition", waiters_.size());
}

Coro<bool> Condition::wait() {
  // Python: Condition.wait()
  if (!locked()) throw RuntimeError("cannot wait on un-acquired lock");
  loop_.bind(*detail::require_current_task("wait on a Condition").loop(), *this);
  release();
  std::exception_ptr error;
  try {
    {
      detail::ConditionWait waiter(*this);
      try {
        co_await waiter;
      } catch (...) {
        error = std::current_exception();
      }
    }
    // Re-acquire the lock even when cancelled: the caller's scope (its Held
    // guard, Python's `async with`) releases it. Retry on CancelledError
    // only, and raise the last one.
    std::exception_ptr cancelled;
    for (;;) {
      try {
        co_await lock_->acquire();
        break;
      } catch (const CancelledError&) {
        cancelled = std::current_exception();
      }
    }
    if (cancelled) error = cancelled;
  } catch (...) {
    error = std::current_exception();
  }
  if (error) {
    // Whatever went wrong may have happened after we were notified: pass a
    // notification on (a spurious wake-up at worst, which waiters allow).
    notify_waiters(1);
    std::rethrow_exception(error);
  }
  co_return true;
}

void Condition::notify(std::size_t n) {
  if (!locked()) throw RuntimeError("cannot notify on un-acquired lock");
  notify_waiters(n);
}

void Condition::notify_waiters(std::size_t n) {
  // Python: Condition._notify: the first n waiters not already woken.
  std::size_t woken = 0;
  for (detail::Waiter* w = waiters_.front(); w != nullptr && woken < n; w = w->next()) {
    if (w->state() == detail::Waiter::State::pending) {
      ++woken;
      w->complete();
    }
  }
}

std::string Condition::repr() const {
  return detail::object_repr("Condition", this,
                             detail::with_waiters(locked() ? "locked" : "unlocked", waiters_.size()));
}

// ---- Semaphore ----

namespace detail {

bool SemaphoreAcquire::block() {
  TaskBase& task = require_current_task("acquire a Semaphore");
  sem_->loop_.bind(*task.loop(), *sem_);
  return false;
}

void SemaphoreAcquire::await_suspend(detail::AsyncioHandle h) {
  suspend(sem_->waiters_, *current_task_base(), h);
}

bool SemaphoreAcquire::finish() {
  // Python: the slow path of Semaphore.acquire() after `await fut`.
  Semaphore& sem = *sem_;
  sem.waiters_.remove(*this);
  const bool granted = state() == State::done;
  try {
    resume();
  } catch (const CancelledError&) {
    // Woken (a permit was taken for us) but cancelled before running:
    // give the permit back for the next waiter.
    if (granted) ++sem.value_;
    sem.wake_up_waiters();
    throw;
  }
  sem.wake_up_waiters();
  return true;
}

}  // namespace detail

Semaphore::Semaphore(std::int64_t value, std::int64_t bound) : value_(value), bound_(bound) {
  if (value < 0) throw ValueError("Semaphore initial value must be >= 0");
}

Semaphore::~Semaphore() {
  if (!waiters_.empty()) detail::report_destroyed_with_waiters("asyncio.Semaphore", waiters_.size());
}

void Semaphore::release() {
  if (bound_ >= 0 && value_ >= bound_) throw ValueError("BoundedSemaphore released too many times");
  ++value_;
  wake_up_next();
}

bool Semaphore::wake_up_next() {
  // Python: Semaphore._wake_up_next: the permit is taken on the waiter's
  // behalf as it is woken.
  detail::Waiter* w = waiters_.first_pending();
  if (w == nullptr) return false;
  --value_;
  w->complete();
  return true;
}

void Semaphore::wake_up_waiters() {
  // New waiters may have queued behind us (FIFO) while permits were free:
  // wake as many as there are permits.
  while (value_ > 0) {
    if (!wake_up_next()) break;
  }
}

std::string Semaphore::repr() const {
  std::string extra = locked() ? std::string("locked") : "unlocked, value:" + std::to_string(value_);
  return detail::object_repr(bound_ >= 0 ? "BoundedSemaphore" : "Semaphore", this,
                             detail::with_waiters(std::move(extra), waiters_.size()));
}

// ---- Barrier ----

Barrier::Barrier(std::int64_t parties) : parties_(static_cast<std::size_t>(parties)) {
  if (parties < 1) throw ValueError("parties must be > 0");
}

Coro<std::size_t> Barrier::wait() {
  // Python: Barrier.wait()
  auto held = co_await hold(cond_);
  // Block while the barrier drains or resets.
  co_await cond_.wait_for([this] { return state_ != State::draining && state_ != State::resetting; });
  if (state_ == State::broken) throw BrokenBarrierError("Barrier aborted");
  const std::size_t index = count_++;
  std::exception_ptr error;
  try {
    if (index + 1 == parties_) {
      // The last arrival releases everyone.
      state_ = State::draining;
      cond_.notify_all();
    } else {
      co_await cond_.wait_for([this] { return state_ != State::filling; });
      if (state_ == State::broken || state_ == State::resetting)
        throw BrokenBarrierError("Abort or reset of barrier");
    }
  } catch (...) {
    error = std::current_exception();
  }
  --count_;
  exit_barrier();
  if (error) std::rethrow_exception(error);
  co_return index;
}

void Barrier::exit_barrier() {
  // The last task out ends draining or resetting and wakes tasks blocked
  // waiting for that.
  if (count_ == 0) {
    if (state_ == State::resetting || state_ == State::draining) state_ = State::filling;
    cond_.notify_all();
  }
}

Coro<> Barrier::reset() {
  auto held = co_await hold(cond_);
  if (count_ > 0) {
    if (state_ != State::resetting) state_ = State::resetting;
  } else {
    state_ = State::filling;
  }
  cond_.notify_all();
}

Coro<> Barrier::abort() {
  auto held = co_await hold(cond_);
  state_ = State::broken;
  cond_.notify_all();
}

std::string Barrier::repr() const {
  static const char* const names[] = {"filling", "draining", "resetting", "broken"};
  std::string extra = names[static_cast<int>(state_)];
  if (!broken()) extra += ", waiters:" + std::to_string(n_waiting()) + "/" + std::to_string(parties_);
  return detail::object_repr("Barrier", this, extra);
}

}  // namespace asyncio
