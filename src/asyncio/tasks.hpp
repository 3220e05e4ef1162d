// Tasks: coroutines scheduled on the loop. Python: asyncio.tasks (Task,
// create_task, current_task, all_tasks, sleep, ensure_future).
//
//   auto task = asyncio::create_task(fetch(url), {.name = "fetch"});
//   ...
//   Page page = co_await task;
//
// A task stays alive until its coroutine finishes, even if every Task handle
// is dropped (Divergence: Python keeps only a weak reference, a well-known
// trap).
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "asyncio/coroutines.hpp"
#include "asyncio/detail/task_base.hpp"
#include "asyncio/events.hpp"
#include "asyncio/futures.hpp"
#include "asyncio/detail/loop_internals.hpp"

namespace asyncio {

class AnyTask;
template <class T = void>
class Task;

/// What Task.get_coro() shows of a task's coroutine. Divergence: a task
/// frees its coroutine frame when it finishes, so `address` is then null;
/// the name stays.
struct CoroInfo {
  /// The coroutine function's name.
  const char* name = nullptr;
  /// The coroutine frame (compare with Coro::handle().address()), or null.
  void* address = nullptr;
};

namespace detail {

template <class T>
class TaskState final : public TaskBase {
 public:
  TaskState(EventLoop* loop, typename Coro<T>::handle_type h) noexcept : TaskBase(loop, h) {}
  ~TaskState() override {
    if (has_value()) value_.destroy();
  }
  void* value_ptr() noexcept override { return value_.get(); }

 protected:
  CoroPromiseBase& root_promise() const noexcept override { return typed_root().promise(); }
  void take_root_value() override {
    if constexpr (std::is_void_v<T>) {
      value_.emplace();
    } else {
      value_.emplace(typed_root().promise().take_value());
    }
  }
  std::string result_repr() const override { return value_.repr(); }

 private:
  typename Coro<T>::handle_type typed_root() const noexcept {
    return Coro<T>::handle_type::from_address(root().address());
  }
  [[no_unique_address]] ResultSlot<T> value_;
};

// Applies the options and schedules (or eagerly starts) a new task.
void start_task(EventLoop& loop, TaskBase* task, const TaskOptions& options);
/// start_task() with default options: the default name, a copy of the
/// current context, the first step scheduled.
void start_task(EventLoop& loop, TaskBase* task);
/// TaskOptions{}, for a task factory called without options.
const TaskOptions& default_task_options() noexcept;
// Checks a coroutine can become a task; TypeError/RuntimeError otherwise.
void check_task_coroutine(bool empty, bool started, const char* name);

// The task-level methods shared by AnyTask and Task<T>.
template <class Derived>
class TaskMethods {
 public:
  /// Python: Task.get_name()
  std::string get_name() const { return base().name(); }
  /// Python: Task.set_name()
  void set_name(std::string name) {  // NOLINT(performance-unnecessary-value-param): moved (tidy misreads base())
    base().set_name(std::move(name));
  }
  /// The number of pending cancellation requests. Python: Task.cancelling()
  std::uint32_t cancelling() const { return base().cancelling(); }
  /// Withdraws one cancellation request; returns the remaining count.
  /// Python: Task.uncancel()
  std::uint32_t uncancel() { return base().uncancel(); }
  /// The task's coroutine. Python: Task.get_coro()
  CoroInfo get_coro() const {
    const TaskBase& t = base();
    return CoroInfo{t.coro_name(), t.has_coro() ? t.root_address() : nullptr};
  }
  /// The context the task's steps run in: the one given to create_task(),
  /// else the copy of the creator's context. Python: Task.get_context()
  Context get_context() const {
    ContextState& state = materialize_slot(base().context_slot());
    state.add_ref();
    return Context(&state);
  }

 private:
  // Only Derived (AnyTask, Task<T>) is one.
  friend Derived;
  TaskMethods() noexcept = default;

  TaskBase& base() const {
    auto* s = static_cast<const Derived*>(this)->state_ptr();
    if (s == nullptr) throw InvalidStateError("empty task handle");
    return *static_cast<TaskBase*>(s);
  }
};

}  // namespace detail

/// A task of any result type: what current_task() and all_tasks() return.
/// Python: asyncio.Task (without a result type)
class AnyTask : public AnyFuture, public detail::TaskMethods<AnyTask> {
 public:
  AnyTask() noexcept = default;
  /// Refers to `task`; `retain` adds a reference, otherwise one is adopted.
  AnyTask(detail::TaskBase* task, bool retain) noexcept : AnyFuture(task, retain) {}
};

/// A coroutine function's result scheduled on the loop: a Future<T> that
/// runs its coroutine. Create with create_task(). Python: asyncio.Task
template <class T>
class Task : public Future<T>, public detail::TaskMethods<Task<T>> {
 public:
  /// An empty handle (no task).
  Task() noexcept : Future<T>(nullptr, false) {}
  /// Refers to an existing task state (library use).
  Task(detail::FutureBase* state, bool retain) noexcept : Future<T>(state, retain) {}

  /// The untyped view. Python: the same object
  operator AnyTask() const noexcept { return AnyTask(static_cast<detail::TaskBase*>(this->s_), true); }

  /// Tasks finish only through their coroutine. Python raises
  /// RuntimeError("Task does not support set_result operation") at run time.
  template <class... A>
  void set_result(A&&...) = delete;
  template <class E>
  void set_exception(E&&) = delete;
};

/// A coroutine about to become a task, its result type erased: what a task
/// factory receives. Move-only; pass it to make_task().
class AnyCoro {
 public:
  template <class T>
  explicit AnyCoro(Coro<T>&& coro) noexcept
      : name_(coro.name()), handle_(coro.release()), make_(&make_state<T>) {}
  AnyCoro(AnyCoro&& o) noexcept
      : name_(o.name_), handle_(std::exchange(o.handle_, {})), make_(o.make_) {}
  AnyCoro& operator=(AnyCoro&&) = delete;
  ~AnyCoro() {
    if (handle_) {
      detail::warn_never_awaited(name_);
      handle_.destroy();
    }
  }
  /// The coroutine function's name.
  const char* name() const noexcept { return name_; }
  /// The coroutine frame's address (Coro::handle().address()).
  void* address() const noexcept { return handle_.address(); }

 private:
  friend AnyTask make_task(EventLoop& loop, AnyCoro coro, const TaskOptions& options);
  template <class T>
  static detail::TaskBase* make_state(EventLoop* loop, stdcoro::coroutine_handle<> h) {
    return new detail::TaskState<T>(loop, Coro<T>::handle_type::from_address(h.address()));
  }
  const char* name_;
  stdcoro::coroutine_handle<> handle_;
  detail::TaskBase* (*make_)(EventLoop*, stdcoro::coroutine_handle<>);
};

/// Creates the task for `coro` on `loop` the default way (what a task
/// factory calls to build the task it returns).
/// Python: asyncio.Task(coro, loop=loop, **kwargs)
AnyTask make_task(EventLoop& loop, AnyCoro coro, const TaskOptions& options);

/// Wraps `coro` in a task on the running loop. RuntimeError if no loop is
/// running. Python: asyncio.create_task()
template <class T>
Task<T> create_task(Coro<T> coro, TaskOptions options,
                    detail::SourceLocation where = detail::SourceLocation::current()) {
  return get_running_loop().create_task(std::move(coro), options, where);
}
/// create_task() with default options.
template <class T>
Task<T> create_task(Coro<T> coro, detail::SourceLocation where = detail::SourceLocation::current()) {
  return get_running_loop().create_task(std::move(coro), where);
}

/// The task running on the running loop, if any. RuntimeError if no loop is
/// running. Python: asyncio.current_task()
std::optional<AnyTask> current_task();
/// The task running on `loop`, if any. Python: asyncio.current_task(loop)
std::optional<AnyTask> current_task(EventLoop& loop);

/// The running loop's tasks that are not done. Python: asyncio.all_tasks()
std::vector<AnyTask> all_tasks();
/// `loop`'s tasks that are not done. Python: asyncio.all_tasks(loop)
std::vector<AnyTask> all_tasks(EventLoop& loop);

/// A Future or Task as it is; a Coro wrapped in a task on `loop` (default:
/// the current event loop). Python: asyncio.ensure_future()
template <class T>
Future<T> ensure_future(Future<T> future) {
  return future;
}
template <class T>
Task<T> ensure_future(Task<T> task) {
  return task;
}
template <class T>
Task<T> ensure_future(Coro<T> coro, EventLoop* loop = nullptr,
                      detail::SourceLocation where = detail::SourceLocation::current()) {
  return (loop ? *loop : get_event_loop()).create_task(std::move(coro), {}, where);
}

namespace detail {

template <class T>
struct SleepResult {
  T value;
  T take() { return std::move(value); }
};
template <>
struct SleepResult<void> {
  void take() noexcept {}
};

// Suspends the current task for a delay. Python: asyncio.sleep: a future
// resolved by call_later (the task resumes on the iteration after the timer
// fires), or a bare yield for a delay <= 0.
template <class T>
class [[nodiscard]] SleepAwaiter final : public Cancellable {
 public:
  using asyncio_awaiter = void;

  SleepAwaiter(double delay, SleepResult<T> result) : delay_(delay), result_(std::move(result)) {}
  // GCC moves an awaiter that await_transform passes through; that happens
  // before the await starts, while there is no timer or task to carry over.
  SleepAwaiter(SleepAwaiter&& o) noexcept : delay_(o.delay_), result_(std::move(o.result_)) {}
  SleepAwaiter& operator=(SleepAwaiter&&) = delete;
  ~SleepAwaiter() {
    if (timer_) {
      timer_->cancel();
      timer_->release();
    }
  }

  bool await_ready() const {
    if (std::isnan(delay_)) throw ValueError("Invalid delay: NaN (not a number)");
    return false;
  }
  void await_suspend(detail::AsyncioHandle h) {
    task_ = &require_current_task("sleep");
    if (delay_ <= 0) {
      task_->suspend_yield(h);
      return;
    }
    EventLoop& loop = *task_->loop();
    timer_ = detail::internals(loop).add_timer(loop.time() + delay_, [this] { on_timer(); });
    task_->suspend_on(h, this);
  }
  T await_resume() {
    if (task_) task_->resume_point();
    if (cancelled_) throw task_->make_cancelled_error();
    return result_.take();
  }

  // The sleep's future is cancelled: the task wakes with CancelledError(msg).
  bool cancel(std::optional<std::string> msg) override {
    if (!timer_) return false;  // fired: the wake-up is already scheduled
    timer_->cancel();
    timer_->release();
    timer_ = nullptr;
    cancelled_ = true;
    task_->set_cancel_message(std::move(msg));
    task_->wake();
    return true;
  }
  void detach(TaskBase&) noexcept override {}  // the destructor cancels the timer

 private:
  void on_timer() {
    timer_->release();
    timer_ = nullptr;
    task_->wake();
  }

  double delay_;
  TaskBase* task_ = nullptr;
  HandleNode* timer_ = nullptr;
  bool cancelled_ = false;
  SleepResult<T> result_;
};

// Checks what a task factory returned is the task for `address`.
void check_factory_result(FutureBase* task, void* address);

}  // namespace detail

/// Suspends the current task for `delay` seconds; a delay <= 0 yields for
/// exactly one loop iteration. ValueError if `delay` is NaN (when awaited).
/// Python: asyncio.sleep(delay)
inline detail::SleepAwaiter<void> sleep(double delay) { return detail::SleepAwaiter<void>(delay, {}); }
/// Python: asyncio.sleep(delay)
template <class Rep, class Period>
detail::SleepAwaiter<void> sleep(std::chrono::duration<Rep, Period> delay) {
  return detail::SleepAwaiter<void>(std::chrono::duration<double>(delay).count(), {});
}
/// Suspends for `delay` seconds, then returns `result`.
/// Python: asyncio.sleep(delay, result)
template <class T>
detail::SleepAwaiter<T> sleep(double delay, T result) {
  return detail::SleepAwaiter<T>(delay, detail::SleepResult<T>{std::move(result)});
}
template <class Rep, class Period, class T>
detail::SleepAwaiter<T> sleep(std::chrono::duration<Rep, Period> delay, T result) {
  return detail::SleepAwaiter<T>(std::chrono::duration<double>(delay).count(),
                                 detail::SleepResult<T>{std::move(result)});
}

// ---- EventLoop members that need tasks ----

template <class T>
Task<T> EventLoop::create_task(Coro<T> coro, const TaskOptions& options, detail::SourceLocation where) {
  return create_task_with(std::move(coro), &options, where);
}

template <class T>
Task<T> EventLoop::create_task(Coro<T> coro, detail::SourceLocation where) {
  return create_task_with(std::move(coro), nullptr, where);
}

template <class T>
Task<T> EventLoop::create_task_with(Coro<T>&& coro, const TaskOptions* options, detail::SourceLocation where) {
  if (is_closed()) throw_closed();
  if (debug_) [[unlikely]] check_thread();
  detail::check_task_coroutine(!coro, coro && coro.handle().promise().started(), coro.name());
  if (task_factory_) [[unlikely]] {
    void* address = coro.handle().address();
    AnyTask task = task_factory_(*this, AnyCoro(std::move(coro)), options ? *options : detail::default_task_options());
    detail::check_factory_result(task.state_ptr(), address);
    if (debug_) task.state_ptr()->set_created_at(where);
    return Task<T>(task.state_ptr(), true);
  }
  auto* state = new detail::TaskState<T>(this, coro.release());
  Task<T> task(state, false);
  // Recorded before the first (maybe eager) step, as Python's Task.__init__.
  if (debug_) [[unlikely]] state->set_created_at(where);
  if (options)
    detail::start_task(*this, state, *options);
  else
    detail::start_task(*this, state);
  return task;
}

template <class T>
T EventLoop::run_until_complete(Coro<T> coro) {
  check_runnable();
  Task<T> task = create_task(std::move(coro));
  static_cast<detail::TaskBase*>(task.state_ptr())->set_log_destroy_pending(false);
  run_until_complete_base(*task.state_ptr(), true);
  task.check_result();
  if constexpr (!std::is_void_v<T>) return detail::take_result<T>(*task.state_ptr(), true);
}

template <class T>
T EventLoop::run_until_complete(Future<T> future) {
  check_runnable();
  run_until_complete_base(*future.state_ptr(), false);
  future.check_result();
  if constexpr (!std::is_void_v<T>) return detail::take_result<T>(*future.state_ptr(), false);
}

}  // namespace asyncio
