// The library's access to an EventLoop's scheduler: the hooks tasks,
// futures, timeouts, the executor bridge and the backends use to queue task
// steps, register tasks and add timers. Python keeps these as the loop's
// underscore methods (_run_once, _ready, _scheduled); here they are private
// to EventLoop and reachable only through this class, so that a user
// reading events.hpp sees asyncio's API and nothing else.
#pragma once

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include "asyncio/events.hpp"

namespace asyncio::detail {

class LoopInternals {
 public:
  explicit LoopInternals(EventLoop& loop) noexcept : loop_(loop) {}

  /// One iteration (BaseEventLoop._run_once), waiting at most `max_wait`
  /// seconds for I/O (negative: as long as there is nothing else to do).
  void run_once(double max_wait = -1) { loop_.run_once(max_wait); }
  /// call_at() returning the timer node with one reference for the caller.
  template <class F, class... Args>
  HandleNode* add_timer(double when, F&& f, Args&&... args) {
    return loop_.add_timer(when, std::forward<F>(f), std::forward<Args>(args)...);
  }
  /// Queues a task's next step. RuntimeError if the loop is closed.
  void push_task(TaskBase* task) { loop_.push_task(task); }
  /// Queues an entry its owner keeps alive (detail/child_node.hpp).
  void push_runnable(Runnable* entry) { loop_.push_runnable(entry); }

  TaskBase* current_task() const noexcept { return loop_.current_task(); }
  void enter_task(TaskBase* task) { loop_.enter_task(task); }
  void leave_task(TaskBase* task) { loop_.leave_task(task); }
  TaskBase* swap_current_task(TaskBase* task) noexcept { return loop_.swap_current_task(task); }
  void register_task(TaskBase* task) noexcept { loop_.register_task(task); }
  void unregister_task(TaskBase* task) noexcept { loop_.unregister_task(task); }
  // Out of line (tasks.cpp): AnyTask is incomplete here, and clang with
  // libstdc++ instantiates ~vector<AnyTask> in an inline body.
  std::vector<AnyTask> pending_tasks() const;
  /// The context slot of the task step or callback running now, or null.
  ContextState** running_context_slot() const noexcept { return loop_.running_context_slot(); }

  void note_timer_cancelled() noexcept { loop_.note_timer_cancelled(); }
  std::size_t scheduled_timer_count() const noexcept { return loop_.scheduled_timer_count(); }
  /// The earliest scheduled timer's deadline (cancelled ones included until
  /// purged), if any.
  std::optional<double> next_deadline() const noexcept { return loop_.next_deadline(); }
  std::size_t ready_count() const noexcept { return loop_.ready_count(); }

  /// The default executor, if one was created or set (threads.hpp).
  Executor* default_executor() const noexcept { return loop_.default_executor(); }
  /// RuntimeError unless the loop can start running in this thread.
  void check_runnable() const { loop_.check_runnable(); }
  /// NotImplementedError("<method> is not available on <platform>") unless
  /// the backend supports networking.
  void check_network(const char* method) const { loop_.check_network(method); }

  /// A result is due from another thread (an executor job, a DNS lookup):
  /// a virtual clock must not jump ahead of it. Release once each.
  void hold_clock() noexcept { loop_.hold_clock(); }
  void release_clock() noexcept { loop_.release_clock(); }
  /// Makes a waiting poll return (any thread); nothing if the loop is closed.
  void wake_threadsafe() noexcept { loop_.wake_threadsafe(); }

  /// RuntimeError("Event loop is closed").
  [[noreturn]] static void throw_closed() { EventLoop::throw_closed(); }

 private:
  EventLoop& loop_;
};

/// The scheduler hooks of `loop`.
inline LoopInternals internals(EventLoop& loop) noexcept { return LoopInternals(loop); }

}  // namespace asyncio::detail
