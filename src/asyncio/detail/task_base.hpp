// The state of a Task, whatever its result type. Python: asyncio.Task's
// fields and __step (tasks.py).
//
// How a task runs a C++ coroutine: the task resumes the innermost suspended
// coroutine of its await chain. Library awaiters suspend through the
// suspension protocol below, which records that coroutine and what it waits
// for (waiter_, Python's _fut_waiter), and deliver cancellation in
// await_resume() through resume_point(), which throws the CancelledError
// that Python's __step would throw into the coroutine.
//
// The awaiter protocol (for every library awaitable, and for extensions):
//   await_suspend(h): TaskBase& t = require_current_task(...);
//                     register t.wait_node() (or another wake-up) with the
//                     thing awaited, then t.suspend_on(h, cancellable)
//                     (or t.suspend_yield(h) to yield one iteration);
//   wake-up:          t.wake() schedules the task's next step;
//   await_resume():   if it suspended, current_task_base()->resume_point()
//                     first, then produce the result.
// A task waits on one thing at a time, so its wait node lives in the task:
// awaiting a future adds nothing to the coroutine frame but a pointer.
//
// Invariants:
// - A pending task is in its loop's task list, which holds one reference:
//   a task runs to completion even if every handle to it is dropped.
// - A task is in the ready queue at most once (one step scheduled at a time).
// - The wait node is linked in at most one list, only while suspended.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "asyncio/coroutines.hpp"
#include "asyncio/detail/context_state.hpp"
#include "asyncio/detail/coro_compat.hpp"
#include "asyncio/detail/future_base.hpp"

namespace asyncio::detail {

class TaskBase : public FutureBase {
 public:
  TaskBase(EventLoop* loop, stdcoro::coroutine_handle<> root) noexcept;
  ~TaskBase() override;

  /// Python: Task.cancel(msg).
  bool cancel(std::optional<std::string> msg) override;
  /// Python: Task.cancelling() / Task.uncancel().
  std::uint32_t cancelling() const noexcept { return static_cast<std::uint32_t>(num_cancels_requested_); }
  std::uint32_t uncancel() noexcept;

  std::uint64_t id() const noexcept { return id_; }
  /// Python: Task.get_name() / Task.set_name().
  std::string name() const;
  void set_name(std::string name);
  /// Gives the task the next "Task-<n>" name (Python's _task_name_counter).
  void assign_default_name() noexcept;
  /// The coroutine's function name ("main_coro"), for reprs.
  const char* coro_name() const noexcept;
  bool has_coro() const noexcept { return static_cast<bool>(root_); }
  void* root_address() const noexcept { return root_.address(); }
  /// The innermost frame of the task's chain of awaiting coroutines: the
  /// one running (during a step) or suspended; null before the first step
  /// and once the coroutine finished. Call-graph introspection walks from it
  /// through the frames' continuations up to the root.
  void* innermost_frame() const noexcept {
    return root_ && task_flag(kStarted) ? resume_or_name_ : nullptr;
  }
  std::string repr() const override;

  /// Schedules the first step (Task.__init__: loop.call_soon(self.__step)).
  void schedule_first_step();
  /// Runs the first step now, inside the caller (eager_start).
  void start_eagerly();
  /// One __step: resumes the coroutine until it suspends or finishes.
  void step();

  // --- The suspension protocol used by library awaiters. ---
  /// The node a wake-up source calls fire() on to wake this task.
  DoneCallback& wait_node() noexcept { return wait_node_; }
  /// The task whose wait node `node` is.
  static TaskBase* from_wait_node(DoneCallback* node) noexcept;
  /// The coroutine at `h` suspends until `waiter` wakes the task (wake()).
  void suspend_on(stdcoro::coroutine_handle<> h, Cancellable* waiter);
  /// The coroutine at `h` yields for one loop iteration (bare `yield`).
  void suspend_yield(stdcoro::coroutine_handle<> h);
  /// The wait completed: schedule the task's next step.
  void wake();
  /// The coroutine at `h` suspends and is resumed on the next iteration with
  /// `error` thrown at its await (Python's call_soon(__step, new_exc)).
  void suspend_with_error(stdcoro::coroutine_handle<> h, std::exception_ptr error);
  /// Called first in await_resume() of a suspending awaiter: throws the
  /// CancelledError (or error) this step must deliver, if any.
  void resume_point() {
    if (deliver_ != Deliver::nothing) deliver_now();
  }

  /// Frees the coroutine without running it (loop closed while pending).
  void destroy_pending_coroutine() noexcept;
  /// Python's Task.__del__ warning flag (run_until_complete clears it).
  void set_log_destroy_pending(bool on) noexcept {
    if (on)
      flags_ |= kLogDestroyPending;
    else
      flags_ &= ~kLogDestroyPending;
  }
  bool log_destroy_pending() const noexcept { return (flags_ & kLogDestroyPending) != 0; }

  /// The context every step runs in (null: an empty one, made on first
  /// write). Set once, at creation; adopts one reference.
  void set_context(ContextState* context) noexcept { context_ = context; }
  ContextState*& context_slot() noexcept { return context_; }

  bool registered() const noexcept { return (task_flags_ & kRegistered) != 0; }
  void set_registered(bool on) noexcept { set_task_flag(kRegistered, on); }

 protected:
  /// The promise of the task's coroutine (typed part knows its type).
  virtual CoroPromiseBase& root_promise() const noexcept = 0;
  /// Moves the finished coroutine's value into the task (typed part).
  virtual void take_root_value() = 0;
  stdcoro::coroutine_handle<> root() const noexcept { return root_; }

 private:
  enum class Deliver : std::uint8_t { nothing, cancel, error };
  static constexpr std::uint8_t kMustCancel = 1;
  static constexpr std::uint8_t kStarted = 2;
  static constexpr std::uint8_t kRegistered = 4;
  // Task.cancel() cancelled what the task waits for: the wake-up raises
  // CancelledError with that request's message by itself. A later cancel()
  // before the task runs only counts (Python: fut_waiter.cancel() fails,
  // and __step keeps the CancelledError it is given over _cancel_message).
  static constexpr std::uint8_t kWakeCancels = 8;

  class WaitNode final : public DoneCallback {
   public:
    WaitNode() noexcept : DoneCallback(/*task_node=*/true) {}
  };

  bool task_flag(std::uint8_t f) const noexcept { return (task_flags_ & f) != 0; }
  void set_task_flag(std::uint8_t f, bool on) noexcept {
    task_flags_ = on ? static_cast<std::uint8_t>(task_flags_ | f) : static_cast<std::uint8_t>(task_flags_ & ~f);
  }
  bool must_cancel() const noexcept { return task_flag(kMustCancel); }
  void set_must_cancel(bool on) noexcept { set_task_flag(kMustCancel, on); }
  void run_coroutine();
  void finish();
  void drop_root() noexcept;
  void unregister() noexcept;
  [[noreturn]] void deliver_now();

  // Small fields first: they fit in FutureBase's tail padding.
  Deliver deliver_ = Deliver::nothing;
  std::uint8_t task_flags_ = 0;
  WaitNode wait_node_;
  stdcoro::coroutine_handle<> root_;
  // While the coroutine runs: the address of its innermost frame (the one
  // running during a step, else the one suspended). Once the frame is
  // gone: the coroutine's name, for reprs.
  void* resume_or_name_ = nullptr;
  Cancellable* waiter_ = nullptr;
  ContextState* context_ = nullptr;
  std::uint64_t id_ : 44;
  std::uint64_t num_cancels_requested_ : 20;

 public:
  // The loop's intrusive list of pending tasks (EventLoop::register_task).
  TaskBase* prev_task_ = nullptr;
  TaskBase* next_task_ = nullptr;
};

}  // namespace asyncio::detail
