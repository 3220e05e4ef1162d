// Running a program's main coroutine. Python: asyncio.runners (run, Runner).
//
//   int main() { return asyncio::run(main_coro()); }
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "asyncio/coroutines.hpp"
#include "asyncio/events.hpp"
#include "asyncio/futures.hpp"
#include "asyncio/platform.hpp"
#include "asyncio/tasks.hpp"

namespace asyncio {

namespace detail {
/// Prints platform::unavailable_reason on stderr and exits with
/// platform::exit_status_unavailable (the WASI stub's answer to run()).
[[noreturn]] void exit_platform_unavailable();
}  // namespace detail

/// Options of run() and Runner. Python: the keyword arguments of asyncio.run().
struct RunOptions {
  /// Debug mode on or off; std::nullopt keeps the loop's default (the
  /// ASYNCIO_DEBUG / PYTHONASYNCIODEBUG environment variables).
  std::optional<bool> debug{};
  /// Makes the loop; when empty, new_event_loop() is used and the loop is
  /// made current for the runner's life (as Python does without a factory).
  std::function<std::shared_ptr<EventLoop>()> loop_factory{};
};

/// Runs coroutines on one loop it creates, and closes it properly at the
/// end: leftover tasks are cancelled and awaited, and their errors reported.
/// Python: asyncio.Runner
class Runner {
 public:
  explicit Runner(RunOptions options = {}) : options_(std::move(options)) {}
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;
  /// Closes the runner (Python: __exit__).
  ~Runner();

  /// Runs `coro` as a task on the runner's loop until it completes and
  /// returns its result. On Ctrl-C (SIGINT, when the handler is the default
  /// one and this is the main thread) the task is cancelled, and the
  /// resulting cancellation is raised as KeyboardInterrupt; a second Ctrl-C
  /// raises KeyboardInterrupt at once. RuntimeError if a loop is already
  /// running in this thread, or the runner is closed. The task runs in
  /// `context`, by default in the runner's own context (a copy of the
  /// current one taken when the runner started), so variables set by one
  /// run() are seen by the next. Python: Runner.run(coro, context=None)
  template <class T>
  T run(Coro<T> coro, std::optional<Context> context = std::nullopt) {
    if (!coro) throw ValueError("a coroutine was expected, got an empty Coro");
    if (_get_running_loop() != nullptr) {
      throw RuntimeError("Runner.run() cannot be called from a running event loop");
    }
    lazy_init();
    TaskOptions options;
    const bool own_context = !context;
    options.context = own_context ? runner_context() : std::move(context);
    Task<T> task = loop_->create_task(std::move(coro), std::move(options));
    // Until a variable is set, the runner's context is not made (a task
    // with none pays nothing); one its first task makes becomes it.
    AdoptContext adopt{*this, own_context && !context_ ? static_cast<detail::TaskBase*>(task.state_ptr()) : nullptr};
    return run_task(task);
  }
  /// Runs the loop until `future` (e.g. a task) is done. Python 3.14 accepts
  /// any awaitable. Python: Runner.run()
  template <class T>
  T run(Future<T> future) {
    if (_get_running_loop() != nullptr) {
      throw RuntimeError("Runner.run() cannot be called from a running event loop");
    }
    lazy_init();
    return run_task(future);
  }

  /// Cancels and awaits the loop's leftover tasks, then closes the loop.
  /// Does nothing if never started or already closed. Python: Runner.close()
  void close();
  /// The runner's loop (created on first use). RuntimeError if closed.
  /// Python: Runner.get_loop()
  EventLoop& get_loop();

 private:
  template <class T>
  T run_task(Future<T>& task) {
    SigintScope sigint(*this, AnyFuture(task));
    try {
      return loop_->run_until_complete(task);
    } catch (const CancelledError&) {
      if (sigint.interrupted() && task.is_task() &&
          static_cast<detail::TaskBase*>(task.state_ptr())->uncancel() == 0) {
        throw KeyboardInterrupt();
      }
      throw;
    }
  }

  // Installs the Ctrl-C handler of Runner.run() for the duration of a run.
  class SigintScope {
   public:
    SigintScope(Runner& runner, AnyFuture main_task);
    ~SigintScope();
    bool interrupted() const noexcept { return interrupts_ > 0; }

   private:
    Runner& runner_;
    AnyFuture main_task_;
    bool installed_ = false;
    int interrupts_ = 0;
  };

  void lazy_init();
  // The runner's context for a task: std::nullopt while none was made and
  // the current context is empty too.
  std::optional<Context> runner_context();
  struct AdoptContext {
    Runner& runner;
    detail::TaskBase* task;
    ~AdoptContext();
  };
  enum class State : std::uint8_t { created, initialized, closed };
  State state_ = State::created;
  RunOptions options_;
  std::shared_ptr<EventLoop> loop_;
  std::optional<Context> context_;  // Python: Runner._context (std::nullopt: empty, not made yet)
  bool set_event_loop_ = false;
};

/// Runs `main` on a new event loop, closes the loop and returns the result.
/// RuntimeError if called while a loop is running in this thread.
/// Python: asyncio.run()
template <class T>
T run(Coro<T> main, RunOptions options = {}) {
  // Where no loop can run (the WASI stub), say so and exit before any loop
  // code: a program that only calls run() then links none of it.
  if constexpr (!platform::available) detail::exit_platform_unavailable();
  if (_get_running_loop() != nullptr) {
    throw RuntimeError("asyncio.run() cannot be called from a running event loop");
  }
  Runner runner(std::move(options));
  if constexpr (std::is_void_v<T>) {
    runner.run(std::move(main));
    runner.close();
  } else {
    T result = runner.run(std::move(main));
    runner.close();
    return result;
  }
}

}  // namespace asyncio
