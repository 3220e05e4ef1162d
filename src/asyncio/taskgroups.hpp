// Task groups: structured concurrency. Python: asyncio.taskgroups.
//
//   // Python: async with asyncio.TaskGroup() as tg:
//   //             t1 = tg.create_task(fetch("a"))
//   //             t2 = tg.create_task(fetch("b"))
//   auto fetch_both = [&](asyncio::TaskGroup& tg) -> asyncio::Coro<> {
//     t1 = tg.create_task(fetch("a"));
//     t2 = tg.create_task(fetch("b"));
//     co_return;
//   };
//   co_await asyncio::task_group(fetch_both);  // a named block: docs/compilers.md
//   // both are done here
//
// The block runs in the calling task; when it ends the group waits for
// every task created in it. The first task to fail (with anything but
// CancelledError) cancels the others and the block; the group then raises
// an ExceptionGroup of every failure (the block's own included), or
// KeyboardInterrupt/SystemExit unwrapped. As with Timeout, the block is
// passed in because C++ has no asynchronous destructors (see timeouts.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "asyncio/coroutines.hpp"
#include "asyncio/detail/awaitables.hpp"
#include "asyncio/detail/blocks.hpp"
#include "asyncio/detail/child_node.hpp"
#include "asyncio/detail/gcc12.hpp"
#include "asyncio/events.hpp"
#include "asyncio/futures.hpp"
#include "asyncio/tasks.hpp"

namespace asyncio {

class TaskGroup;

namespace detail {

// One task of a group: its done callback (Python: _on_task_done), run on
// the next iteration like any done callback, and its place in the group's
// list of unfinished tasks (Python: _tasks).
class TaskGroupChild final : public CallbackNode, public Runnable, public Pooled {
 public:
  TaskGroupChild(TaskGroup* group, TaskBase* task) noexcept;
  ~TaskGroupChild();
  void on_fire(FutureBase& future) override;
  void on_discard() noexcept override;
  FutureBase* awaited_by() const noexcept override;
  void run() override;
  void discard() noexcept override;
  std::string describe() const override { return "<TaskGroup done callback>"; }

  TaskGroup* group = nullptr;  // null once the group is gone
  TaskBase* task;              // with a reference
  TaskGroupChild* prev = nullptr;
  TaskGroupChild* next = nullptr;
};

template <class B>
Coro<block_value_t<B, TaskGroup>> task_group(TaskGroup* given, B block);

}  // namespace detail

/// Tasks created in a block that ends only when all of them are done.
/// Run a block in it with async_with() (once), or use task_group(block).
/// Non-copyable and non-movable: its tasks refer to it.
/// Python: asyncio.TaskGroup
class TaskGroup {
 public:
  TaskGroup() noexcept = default;
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;
  ~TaskGroup();

  /// Creates a task in the group. RuntimeError if the group was not
  /// entered, is finished, or is shutting down after a failure (the
  /// coroutine is then discarded unrun). Python: TaskGroup.create_task()
  template <class T>
  Task<T> create_task(Coro<T> coro, TaskOptions options,
                      detail::SourceLocation where = detail::SourceLocation::current()) {
    check_can_create(coro);
    Task<T> task = loop_->create_task(std::move(coro), options, where);
    adopt(static_cast<detail::TaskBase*>(task.state_ptr()));
    return task;
  }
  /// create_task() with default options.
  template <class T>
  Task<T> create_task(Coro<T> coro, detail::SourceLocation where = detail::SourceLocation::current()) {
    check_can_create(coro);
    Task<T> task = loop_->create_task(std::move(coro), where);
    adopt(static_cast<detail::TaskBase*>(task.state_ptr()));
    return task;
  }

  /// Runs `block` (a Coro<T>, or a callable returning one, taking this
  /// TaskGroup& or nothing) in the calling task, then waits for every task
  /// of the group, and returns the block's result. Raises an
  /// ExceptionGroup("unhandled errors in a TaskGroup") of the tasks' errors
  /// and the block's (a BaseExceptionGroup if one is not a std::exception),
  /// KeyboardInterrupt or SystemExit unwrapped, or CancelledError if the
  /// calling task was cancelled from outside and nothing failed. RuntimeError
  /// if entered twice or outside a task.
  /// Python: async with task_group: ...
  template <class B>
  [[nodiscard]] Coro<detail::block_value_t<std::remove_cvref_t<B>, TaskGroup>> async_with(B&& block) {
    return detail::task_group(this, std::remove_cvref_t<B>(std::forward<B>(block)));
  }
#if ASYNCIO_GCC12_COROUTINE_BUGS
  template <class B>
    requires detail::gcc12_unsafe_temporary<B>
  [[deprecated(ASYNCIO_GCC12_TEMPORARY_WARNING)]] [[nodiscard]] Coro<
      detail::block_value_t<std::remove_cvref_t<B>, TaskGroup>>
  async_with(B&& block) {
    return detail::task_group(this, std::remove_cvref_t<B>(std::forward<B>(block)));
  }
#endif

  /// Python: repr(task_group), e.g. "<TaskGroup tasks=2 entered>"
  std::string repr() const;

  // The context manager protocol (used by async_with()).
  /// Python: TaskGroup.__aenter__
  void enter();
  /// Python: TaskGroup.__aexit__: waits for the tasks, then raises what the
  /// group raises; returns normally when nothing is to be raised. `exc` is
  /// what left the block (null if it returned).
  Coro<void> exit(std::exception_ptr exc);

 private:
  friend class detail::TaskGroupChild;

  template <class T>
  void check_can_create(Coro<T>& coro) {
    if (const char* why = refusal()) {
      if (coro) coro.handle().promise().mark_started();  // Python: coro.close()
      throw RuntimeError("TaskGroup " + repr() + " " + why);
    }
  }
  const char* refusal() const noexcept;
  void adopt(detail::TaskBase* task);
  void on_task_done(detail::TaskGroupChild& child);
  void abort();
  void unlink(detail::TaskGroupChild& child) noexcept;

  EventLoop* loop_ = nullptr;
  detail::TaskBase* parent_task_ = nullptr;  // with a reference while entered
  detail::TaskGroupChild* tasks_ = nullptr;  // unfinished tasks
  std::size_t ntasks_ = 0;
  std::vector<std::exception_ptr> errors_;
  std::exception_ptr base_error_;
  std::optional<Future<void>> on_completed_fut_;
  bool entered_ = false;
  bool exiting_ = false;
  bool aborting_ = false;
  bool parent_cancel_requested_ = false;
};

/// Runs `block` (a Coro<T>, or a callable returning one, taking TaskGroup&
/// or nothing) in a new TaskGroup; see TaskGroup::async_with().
/// Python: async with asyncio.TaskGroup() as tg: ...
template <class B>
[[nodiscard]] Coro<detail::block_value_t<std::remove_cvref_t<B>, TaskGroup>> task_group(B&& block) {
  return detail::task_group(nullptr, std::remove_cvref_t<B>(std::forward<B>(block)));
}
#if ASYNCIO_GCC12_COROUTINE_BUGS
// g++ < 13: a temporary lambda with non-trivial captures warns (detail/gcc12.hpp).
template <class B>
  requires detail::gcc12_unsafe_temporary<B>
[[deprecated(ASYNCIO_GCC12_TEMPORARY_WARNING)]] [[nodiscard]] Coro<
    detail::block_value_t<std::remove_cvref_t<B>, TaskGroup>>
task_group(B&& block) {
  return detail::task_group(nullptr, std::remove_cvref_t<B>(std::forward<B>(block)));
}
#endif

namespace detail {

// The coroutine of a TaskGroup block: enter, run the block, exit (waiting
// for the tasks) with whatever left it. Named like the API for call graphs.
template <class B>
Coro<block_value_t<B, TaskGroup>> task_group(TaskGroup* given, B block) {
  using T = block_value_t<B, TaskGroup>;
  std::optional<TaskGroup> own;
  TaskGroup& tg = given ? *given : own.emplace();
  try {
    tg.enter();
  } catch (...) {
    close_block(block);
    throw;
  }
  Captured<T> out = co_await capture(make_block(block, tg));
  co_await tg.exit(out.exception);
  // exit() returning normally swallows what left the block; with Python
  // 3.14's rules that never happens to an exception (a CancelledError it
  // does not propagate always comes with errors to raise), so an exception
  // still here is re-raised rather than lost.
  co_return out.take();
}

}  // namespace detail

}  // namespace asyncio
