// The state shared by every Future and Task, whatever its result type.
// Python: asyncio.Future's fields and state machine (futures.py).
//
// Invariants:
// - state_ moves pending -> finished or pending -> cancelled, once.
// - Done callbacks run through the loop's ready queue, each as its own entry,
//   in registration order, never synchronously (Future.__schedule_callbacks).
// - A pending future is referenced by its handles, by awaiters suspended on
//   it and (for tasks) by the loop; registered callbacks do not keep it alive,
//   as in Python a pending future nobody can reach is simply collected.
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "asyncio/detail/pool.hpp"
#include "asyncio/detail/repr.hpp"
#include "asyncio/detail/source_location.hpp"
#include "asyncio/exceptions.hpp"

namespace asyncio {

class EventLoop;

namespace detail {

class FutureBase;
class TaskBase;

/// What a task can be suspended on: a future, or a lightweight waiter (a
/// sleep, a lock acquisition). Task.cancel() reaches it through cancel().
class Cancellable {
 public:
  /// Requests cancellation. Returns false if the wait already completed.
  virtual bool cancel(std::optional<std::string> msg) = 0;
  /// `task`, suspended here, is being destroyed (its loop closed): forget
  /// it (unlink its wait node) without waking it.
  virtual void detach(TaskBase& task) noexcept = 0;
  /// What Task.cancel() calls on the wait `task` is suspended on. A wait
  /// shared by many tasks through their wait nodes (an Event) overrides it
  /// to cancel `task`'s wait alone; by default the wait is cancelled whole.
  virtual bool cancel_waiter(TaskBase& task, std::optional<std::string> msg) {
    (void)task;
    return cancel(std::move(msg));
  }

 protected:
  ~Cancellable() = default;
};

/// What few futures need, allocated on first use: the exception of a failed
/// future, a cancel message, a task's explicit name, an error a task's next
/// step must throw. Keeping them out of line keeps a pending task at 96 bytes.
struct FutureExtras {
  std::exception_ptr exception;
  /// The identity of the loop when the exception was stored (see
  /// detail/loop_registry.hpp): where a never-retrieved report may go.
  std::uint64_t loop_identity = 0;
  std::optional<std::string> cancel_message;
  std::optional<std::string> name;
  std::exception_ptr pending_error;
  // Debug mode: where create_task()/create_future() was called.
  std::optional<detail::SourceLocation> created_at;
};

/// A registration on a future's done-callback list (intrusive, circular).
/// Two kinds share the lists: a task's wait node, which has no vtable (its
/// task is found from its address; one word per task), and callbacks
/// derived from CallbackNode. Bit 0 of the link word tells them apart.
class DoneCallback {
 public:
  DoneCallback(const DoneCallback&) = delete;
  DoneCallback& operator=(const DoneCallback&) = delete;

  DoneCallback* next() const noexcept {
    return reinterpret_cast<DoneCallback*>(bits_ & ~kTaskNode);  // NOLINT(performance-no-int-to-ptr): tagged pointer
  }
  void set_next(DoneCallback* n) noexcept { bits_ = reinterpret_cast<std::uintptr_t>(n) | (bits_ & kTaskNode); }
  /// True while registered with a future (or another wait list).
  bool linked() const noexcept { return (bits_ & ~kTaskNode) != 0; }
  bool is_task_node() const noexcept { return (bits_ & kTaskNode) != 0; }

  /// The future completed: schedule the callback (through the ready queue).
  /// The node is unlinked first.
  void fire(FutureBase& future);
  /// The callback will never run (its future died pending, or it was
  /// removed). The node is unlinked first.
  void discard() noexcept;

 protected:
  explicit DoneCallback(bool task_node) noexcept : bits_(task_node ? kTaskNode : 0) {}
  ~DoneCallback() = default;

 private:
  static constexpr std::uintptr_t kTaskNode = 1;
  std::uintptr_t bits_;
};

/// A done callback with behaviour of its own (user callbacks, gather's
/// children, run_until_complete's stop, ...).
class CallbackNode : public DoneCallback {
 public:
  CallbackNode() noexcept : DoneCallback(false) {}
  /// Schedules the callback; the node is already unlinked.
  virtual void on_fire(FutureBase& future) = 0;
  /// Drops the callback unrun; the node is already unlinked.
  virtual void on_discard() noexcept = 0;
  /// The future (or task) waiting through this callback for the future it
  /// is registered with, if any: the "awaited by" edge of call-graph
  /// introspection (Python: future_add_to_awaited_by()).
  virtual FutureBase* awaited_by() const noexcept { return nullptr; }

 protected:
  ~CallbackNode() = default;
};

class FutureBase : public Cancellable, public Pooled {
 public:
  enum class State : std::uint8_t { pending, cancelled, finished };

  explicit FutureBase(EventLoop* loop) noexcept : loop_(loop) {}
  FutureBase(const FutureBase&) = delete;
  FutureBase& operator=(const FutureBase&) = delete;
  virtual ~FutureBase();

  // Reference counting (loop thread only, like every Future operation).
  void add_ref() noexcept { ++refs_; }
  void release() noexcept {
    if (--refs_ == 0) last_release();
  }
  std::uint32_t ref_count() const noexcept { return refs_; }

  EventLoop* loop() const noexcept { return loop_; }
  State state() const noexcept { return state_; }
  bool done() const noexcept { return state_ != State::pending; }
  bool cancelled() const noexcept { return state_ == State::cancelled; }
  bool is_task() const noexcept { return (flags_ & kIsTask) != 0; }

  /// Python: Future.cancel(msg). Tasks override it (Task.cancel).
  bool cancel(std::optional<std::string> msg) override;
  /// Unlinks a destroyed task's wait node from the callbacks.
  void detach(TaskBase& task) noexcept override;

  /// Python: Future.result() minus the value: raises CancelledError,
  /// InvalidStateError or the stored exception; marks it retrieved.
  void check_result();
  /// Python: Future.exception(); marks it retrieved.
  std::exception_ptr exception();
  /// The stored exception without marking it retrieved (nullptr if none).
  std::exception_ptr peek_exception() const noexcept { return extras_ ? extras_->exception : nullptr; }
  /// True if finished with an exception.
  bool has_exception() const noexcept { return extras_ && extras_->exception; }
  /// True if finished with a value.
  bool has_value() const noexcept { return state_ == State::finished && !has_exception(); }
  /// Python: Future.set_exception(). Raises InvalidStateError if done, and
  /// RuntimeError for a task (Task does not support set_exception).
  void set_exception(std::exception_ptr e);
  /// Marks a successful result whose value the derived class just stored.
  void finish_with_value();
  /// Throws InvalidStateError if done, RuntimeError if a task (set_result).
  void check_settable(const char* operation) const;

  /// Registers `cb`; if already done, schedules it at once (Python's
  /// add_done_callback on a done future uses call_soon too).
  void add_done_callback(DoneCallback* cb);
  /// Unregisters `cb`; false if it was not registered.
  bool remove_done_callback(DoneCallback* cb) noexcept;
  /// True if `cb` is registered (compares pointers only).
  bool has_done_callback(const DoneCallback* cb) const noexcept;
  /// Calls `f(DoneCallback&)` on each registered callback, in order.
  template <class F>
  void for_each_callback(F&& f) const {
    if (callbacks_tail_ == nullptr) return;
    DoneCallback* n = callbacks_tail_;
    do {
      n = n->next();
      f(*n);
    } while (n != callbacks_tail_);
  }

  /// Builds the CancelledError a result() on this cancelled future raises.
  CancelledError make_cancelled_error() const;
  const std::string* cancel_message() const noexcept {
    if (!extras_) return nullptr;
    const std::optional<std::string>& msg = extras_->cancel_message;
    return msg ? &*msg : nullptr;
  }
  void set_cancel_message(std::optional<std::string> msg);

  /// The stored value (nullptr for void futures). Valid once finished.
  virtual void* value_ptr() noexcept = 0;
  /// Python: repr(future): "<Future pending>", "<Future finished result=...>".
  virtual std::string repr() const;
  /// Python: the class name used in messages ("Future", "Task").
  const char* class_name() const noexcept { return is_task() ? "Task" : "Future"; }

  /// Where the future or task was created (recorded in debug mode), or null.
  const detail::SourceLocation* created_at() const noexcept {
    if (!extras_) return nullptr;
    const std::optional<detail::SourceLocation>& at = extras_->created_at;
    return at.has_value() ? &*at : nullptr;
  }
  void set_created_at(const detail::SourceLocation& where) { extras().created_at = where; }
  /// " created at file:line" (debug mode), else empty: the end of a repr.
  std::string created_at_repr() const;

  /// Don't report an unretrieved exception when this future dies.
  void clear_log_traceback() noexcept { flags_ &= ~kLogTraceback; }

 protected:
  static constexpr std::uint8_t kIsTask = 1;
  static constexpr std::uint8_t kLogTraceback = 2;
  static constexpr std::uint8_t kLogDestroyPending = 4;

  /// Python: Future.__schedule_callbacks.
  void schedule_callbacks();
  FutureExtras& extras();
  /// Python: Future.cancel() without the task override.
  bool cancel_future(std::optional<std::string> msg);
  /// Stores a finished-with-exception outcome (no checks).
  void store_exception(std::exception_ptr e);
  /// Describes the outcome for repr(): "pending", "cancelled", "finished result=...".
  std::string state_repr() const;
  virtual std::string result_repr() const { return "None"; }

  EventLoop* loop_;
  DoneCallback* callbacks_tail_ = nullptr;
  std::unique_ptr<FutureExtras> extras_;
  std::uint32_t refs_ = 1;
  State state_ = State::pending;
  std::uint8_t flags_ = 0;
  // Two bytes of tail padding follow: TaskBase keeps small fields there.

 private:
  // Python's __del__: reports a never-retrieved exception, then frees.
  void last_release() noexcept;
};

/// The 'source_traceback' entry of an error report: "Object created at
/// (most recent call last):\n  File "app.cpp", line 12, in main_coro".
std::string source_traceback_repr(const detail::SourceLocation& where);

// Storage for a result of type T, constructed on set_result.
template <class T>
class ResultSlot {
 public:
  ResultSlot() noexcept {}
  ~ResultSlot() {}
  template <class... A>
  void emplace(A&&... args) {
    ::new (static_cast<void*>(&value_)) T(std::forward<A>(args)...);
  }
  void destroy() noexcept { value_.~T(); }
  T* get() noexcept { return &value_; }
  /// Python's repr() of the stored value. Precondition: a value is stored.
  std::string repr() const { return value_repr(value_); }

 private:
  union {
    T value_;
  };
};

template <>
class ResultSlot<void> {
 public:
  void emplace() noexcept {}
  void destroy() noexcept {}
  void* get() noexcept { return nullptr; }
  std::string repr() const { return "None"; }
};

}  // namespace detail
}  // namespace asyncio
