// Threads: executors, running blocking functions off the loop, and
// coroutines submitted from other threads. Python: asyncio.threads
// (to_thread), loop.run_in_executor, run_coroutine_threadsafe, wrap_future,
// and the parts of concurrent.futures they return (Future, Executor,
// ThreadPoolExecutor).
//
//   std::string body = co_await asyncio::to_thread(read_file, path);
//
//   // From a plain thread, with the loop running in another one:
//   asyncio::ConcurrentFuture<int> f = asyncio::run_coroutine_threadsafe(compute(), loop);
//   int v = f.result(5.0);  // blocks at most 5 s
//
// Platforms: threads need a platform with threads; on WebAssembly without
// pthreads the loop's backend refuses to start them (Backend::start_thread)
// and run_in_executor / to_thread raise NotImplementedError.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "asyncio/coroutines.hpp"
#include "asyncio/detail/child_node.hpp"
#include "asyncio/detail/future_base.hpp"
#include "asyncio/detail/gcc12.hpp"
#include "asyncio/events.hpp"
#include "asyncio/futures.hpp"
#include "asyncio/tasks.hpp"

namespace asyncio {

template <class T = void>
class ConcurrentFuture;

namespace detail {

// The state of a ConcurrentFuture, shared between threads. Every field is
// guarded by `mutex`; done callbacks run outside it, in the thread that
// completes the future (or, if already done, the one adding them).
// Python: concurrent.futures.Future's fields and state machine.
class ConcurrentCore : public std::enable_shared_from_this<ConcurrentCore> {
 public:
  enum class State : std::uint8_t { pending, running, cancelled, cancelled_and_notified, finished };
  // Called with the future's state (kept alive by the caller).
  using Callback = std::function<void(ConcurrentCore&)>;

  ConcurrentCore() = default;
  ConcurrentCore(const ConcurrentCore&) = delete;
  ConcurrentCore& operator=(const ConcurrentCore&) = delete;
  virtual ~ConcurrentCore() = default;

  bool cancel();
  bool cancelled() const;
  bool running() const;
  bool done() const;
  bool set_running_or_notify_cancel();
  /// Waits until done (at most `timeout` seconds): CancelledError,
  /// TimeoutError, or returns with the lock held and the future finished.
  std::unique_lock<std::mutex> wait_finished(std::optional<double> timeout) const;
  std::exception_ptr exception(std::optional<double> timeout) const;
  void set_exception(std::exception_ptr e);
  /// Marks a value just stored by the typed part (the lock held by `lock`).
  void finish(std::unique_lock<std::mutex>& lock);
  /// Locks and checks the future can take a result (InvalidStateError).
  std::unique_lock<std::mutex> lock_settable();
  void add_done_callback(Callback cb);

  mutable std::mutex mutex;

 private:
  void invoke_callbacks(const std::vector<Callback>& callbacks) noexcept;
  [[noreturn]] void raise_invalid_state() const;

  mutable std::condition_variable cv_;
  State state_ = State::pending;
  std::exception_ptr exception_;
  std::vector<Callback> callbacks_;
};

template <class T>
class ConcurrentState final : public ConcurrentCore {
 public:
  // Guarded by `mutex` until finished, immutable after.
  std::optional<std::conditional_t<std::is_void_v<T>, bool, T>> value;
};

}  // namespace detail

/// A future completed from any thread, whose result can be waited for from
/// any thread (blocking). Returned by run_coroutine_threadsafe() and
/// Executor::submit(); await one in a coroutine with wrap_future(). Copies
/// share the future. Thread-safe. Python: concurrent.futures.Future
template <class T>
class ConcurrentFuture {
 public:
  using value_type = T;

  /// A new pending future.
  ConcurrentFuture() : s_(std::make_shared<detail::ConcurrentState<T>>()) {}
  /// Refers to an existing state (library use).
  explicit ConcurrentFuture(std::shared_ptr<detail::ConcurrentState<T>> s) noexcept : s_(std::move(s)) {}

  /// Cancels the future unless it is running or done; true if it is (now)
  /// cancelled. Python: Future.cancel()
  bool cancel() const { return s_->cancel(); }
  /// Python: Future.cancelled()
  bool cancelled() const { return s_->cancelled(); }
  /// Python: Future.running()
  bool running() const { return s_->running(); }
  /// Python: Future.done()
  bool done() const { return s_->done(); }

  /// Waits (blocking this thread) at most `timeout` seconds (std::nullopt:
  /// forever) and returns the result. TimeoutError if it is not done by
  /// then, CancelledError if cancelled, or the future's exception.
  /// Python: Future.result(timeout=None)
  decltype(auto) result(std::optional<double> timeout = std::nullopt) const {
    auto lock = s_->wait_finished(timeout);
    if constexpr (!std::is_void_v<T>) return static_cast<const T&>(*s_->value);
  }
  template <class Rep, class Period>
  decltype(auto) result(std::chrono::duration<Rep, Period> timeout) const {
    return result(std::optional<double>(std::chrono::duration<double>(timeout).count()));
  }
  /// Waits like result() and returns the exception (null if none).
  /// Python: Future.exception(timeout=None)
  std::exception_ptr exception(std::optional<double> timeout = std::nullopt) const { return s_->exception(timeout); }

  /// Calls `f(future)` when the future is done, in the thread completing
  /// it, or at once in this thread if already done. Exceptions it raises
  /// are logged. Python: Future.add_done_callback()
  template <class F>
  void add_done_callback(F f) const {
    s_->add_done_callback([f = std::move(f)](detail::ConcurrentCore& core) mutable {
      f(ConcurrentFuture(std::static_pointer_cast<detail::ConcurrentState<T>>(core.shared_from_this())));
    });
  }

  /// Marks the future running, or returns false if it was cancelled (for
  /// executors). RuntimeError if it is running or done already.
  /// Python: Future.set_running_or_notify_cancel()
  bool set_running_or_notify_cancel() const { return s_->set_running_or_notify_cancel(); }
  /// Finishes the future with a value. InvalidStateError if cancelled or
  /// done. Python: Future.set_result()
  template <class... A>
  void set_result(A&&... value) const {
    auto lock = s_->lock_settable();
    if constexpr (std::is_void_v<T>) {
      static_assert(sizeof...(A) == 0, "ConcurrentFuture<void>::set_result() takes no value");
      s_->value.emplace(true);
    } else {
      s_->value.emplace(std::forward<A>(value)...);
    }
    s_->finish(lock);
  }
  /// Finishes the future with an exception. InvalidStateError if cancelled
  /// or done. Python: Future.set_exception()
  void set_exception(std::exception_ptr e) const { s_->set_exception(std::move(e)); }
  template <class E>
    requires(!std::is_same_v<std::decay_t<E>, std::exception_ptr>)
  void set_exception(E&& e) const {
    set_exception(std::make_exception_ptr(std::forward<E>(e)));
  }

  /// The shared state (library use).
  const std::shared_ptr<detail::ConcurrentState<T>>& state() const noexcept { return s_; }
  friend bool operator==(const ConcurrentFuture& a, const ConcurrentFuture& b) noexcept { return a.s_ == b.s_; }

 private:
  std::shared_ptr<detail::ConcurrentState<T>> s_;
};

namespace detail {

/// Starts a std::thread running `body`; NotImplementedError("<what> is not
/// available on <platform>") where the build has no threads.
std::thread start_std_thread(const char* what, const std::string& platform, std::function<void()> body);

// A job for an executor: runs once on a worker, or is cancelled unrun.
class WorkItem {
 public:
  virtual ~WorkItem() = default;
  /// Python: _WorkItem.run: runs the function unless the future was
  /// cancelled, and completes the future.
  virtual void run() noexcept = 0;
  /// Cancels the future (shutdown with cancel_futures).
  virtual void cancel() noexcept = 0;
};

template <class T, class Fn>
class BoundWorkItem final : public WorkItem {
 public:
  BoundWorkItem(ConcurrentFuture<T> future, Fn fn) : future_(std::move(future)), fn_(std::move(fn)) {}
  void run() noexcept override {
    if (!future_.set_running_or_notify_cancel()) return;
    try {
      if constexpr (std::is_void_v<T>) {
        fn_();
        future_.set_result();
      } else {
        future_.set_result(fn_());
      }
    } catch (...) {
      future_.set_exception(std::current_exception());
    }
  }
  void cancel() noexcept override { future_.cancel(); }

 private:
  ConcurrentFuture<T> future_;
  Fn fn_;
};

}  // namespace detail

/// Runs functions asynchronously, each in some thread, returning
/// ConcurrentFutures. Subclass it (override execute() and shutdown()) for
/// an executor of your own. Python: concurrent.futures.Executor
class Executor {
 public:
  Executor() = default;
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;
  virtual ~Executor() = default;

  /// Schedules `f(args...)` (with copies of `f` and `args`; use std::ref
  /// to pass references) and returns the future of its result.
  /// RuntimeError after shutdown(). Python: Executor.submit(fn, *args)
  template <class F, class... Args>
  ConcurrentFuture<std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>> submit(F&& f, Args&&... args) {
    using R = std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>;
    ConcurrentFuture<R> future;
    auto fn = [f = std::forward<F>(f), args = std::make_tuple(std::forward<Args>(args)...)]() mutable -> R {
      return std::apply(f, args);
    };
    execute(std::make_unique<detail::BoundWorkItem<R, decltype(fn)>>(future, std::move(fn)));
    return future;
  }

  /// Stops accepting work; with `wait`, returns once every job ran and the
  /// threads ended. `cancel_futures` cancels the jobs not started.
  /// Python: Executor.shutdown(wait=True, *, cancel_futures=False)
  virtual void shutdown(bool wait = true, bool cancel_futures = false) = 0;

 protected:
  /// Runs `job` soon, in some thread. RuntimeError after shutdown().
  virtual void execute(std::unique_ptr<detail::WorkItem> job) = 0;
};

/// Options of ThreadPoolExecutor. Python: its constructor's arguments.
struct ThreadPoolOptions {
  /// Threads at most; std::nullopt: min(32, number of CPUs + 4).
  std::optional<std::size_t> max_workers{};
  /// Starts a worker thread running its argument; empty: a std::thread
  /// (NotImplementedError on a target built without threads).
  std::function<std::thread(std::function<void()>)> start_thread{};
};

/// An executor running jobs on a pool of threads, started as needed (one
/// per submit while no thread is idle, up to max_workers).
/// Python: concurrent.futures.ThreadPoolExecutor
/// Divergence: threads still running when the executor is destroyed
/// without shutdown(wait=true) are detached (Python joins them at exit).
class ThreadPoolExecutor final : public Executor {
 public:
  /// ValueError if max_workers is 0.
  explicit ThreadPoolExecutor(ThreadPoolOptions options = {});
  ~ThreadPoolExecutor() override;

  void shutdown(bool wait = true, bool cancel_futures = false) override;
  /// The maximum number of threads.
  std::size_t max_workers() const noexcept { return max_workers_; }
  /// Threads started so far.
  std::size_t thread_count() const;

  /// Python's default: min(32, os.process_cpu_count() + 4).
  static std::size_t default_max_workers() noexcept;

 protected:
  void execute(std::unique_ptr<detail::WorkItem> job) override;

 private:
  struct Pool;
  std::shared_ptr<Pool> pool_;
  std::size_t max_workers_;
  std::function<std::thread(std::function<void()>)> start_thread_;
};

namespace detail {

// Python: futures._chain_future(concurrent_future, asyncio_future): the
// asyncio future (loop thread only) gets the concurrent one's outcome
// through call_soon_threadsafe; cancelling the asyncio future cancels the
// concurrent one. Only the loop thread touches the asyncio future: the
// concurrent future's callback (any thread) holds this chain, never the
// future, and the chain forgets the future if it dies first. The chain
// refers to the concurrent future weakly (no cycle through its callbacks),
// and to a loop owned by a shared_ptr weakly too: a job of the default
// executor may finish after its loop was closed and destroyed.
class WrapChainBase : public CallbackNode {
 public:
  WrapChainBase(EventLoop& loop, std::weak_ptr<ConcurrentCore> source)
      : loop_(loop),
        loop_owner_(loop.weak_from_this()),
        owned_(!loop_owner_.expired()),
        source_(std::move(source)) {}
  virtual ~WrapChainBase() = default;
  /// Registers both directions. Loop thread.
  static void link(const std::shared_ptr<WrapChainBase>& chain, FutureBase* dest, ConcurrentCore& source);
  void on_fire(FutureBase& future) override;
  void on_discard() noexcept override;

 protected:
  /// Sets `dest`'s result from the finished `source` (loop thread).
  virtual void copy_value(FutureBase& dest, ConcurrentCore& source) = 0;

 private:
  void transfer(ConcurrentCore& source);  // loop thread
  EventLoop& loop_;
  std::weak_ptr<EventLoop> loop_owner_;
  bool owned_;  // a shared_ptr owned the loop when the chain was made
  std::weak_ptr<ConcurrentCore> source_;
  FutureBase* dest_ = nullptr;           // loop thread only; null once done or gone
  std::shared_ptr<WrapChainBase> self_;  // while registered on dest_
};

template <class T>
class WrapChain final : public WrapChainBase {
 public:
  WrapChain(EventLoop& loop, std::weak_ptr<ConcurrentCore> source, bool may_move)
      : WrapChainBase(loop, std::move(source)), may_move_(may_move) {}

 private:
  void copy_value(FutureBase& dest, ConcurrentCore& source) override {
    auto& state = static_cast<FutureState<T>&>(dest);
    auto& value = static_cast<ConcurrentState<T>&>(source).value;
    if constexpr (std::is_void_v<T>) {
      state.set_result();
    } else if constexpr (!std::is_copy_constructible_v<T>) {
      state.set_result(std::move(*value));
    } else {
      if (may_move_)
        state.set_result(std::move(*value));
      else
        state.set_result(*value);
    }
  }
  bool may_move_;
};

template <class T>
Future<T> wrap_concurrent(const ConcurrentFuture<T>& source, EventLoop& loop, bool may_move) {
  Future<T> dest(loop);
  auto chain = std::make_shared<WrapChain<T>>(loop, source.state(), may_move);
  WrapChainBase::link(chain, dest.state_ptr(), *source.state());
  return dest;
}

// Python: _chain_future(task, concurrent_future) for
// run_coroutine_threadsafe: the task's outcome goes to the concurrent
// future; cancelling the concurrent future cancels the task (through
// call_soon_threadsafe).
class TaskChainBase : public CallbackNode, public Runnable {
 public:
  explicit TaskChainBase(EventLoop& loop) : loop_(loop) {}
  virtual ~TaskChainBase() = default;
  /// Registers both directions. Loop thread.
  static void link(const std::shared_ptr<TaskChainBase>& chain, TaskBase* task, ConcurrentCore& dest);
  void on_fire(FutureBase& future) override;
  void on_discard() noexcept override;
  void run() override;
  void discard() noexcept override;
  std::string describe() const override { return "<run_coroutine_threadsafe done callback>"; }

 protected:
  /// Sets the concurrent future's result from the finished task.
  virtual void copy_value(FutureBase& task) = 0;
  /// The concurrent future (null once the task is gone).
  virtual ConcurrentCore* dest() const noexcept = 0;
  virtual void drop_dest() noexcept = 0;

 private:
  void cancel_task();  // loop thread
  EventLoop& loop_;
  TaskBase* task_ = nullptr;             // loop thread only; valid while linked or queued
  std::shared_ptr<TaskChainBase> self_;  // while linked or queued
};

template <class T>
class TaskChain final : public TaskChainBase {
 public:
  TaskChain(EventLoop& loop, std::shared_ptr<ConcurrentState<T>> dest) : TaskChainBase(loop), dest_(std::move(dest)) {}

 private:
  void copy_value(FutureBase& task) override {
    ConcurrentFuture<T> cf(dest_);
    if constexpr (std::is_void_v<T>)
      cf.set_result();
    else
      cf.set_result(take_result<T>(task, task.ref_count() == 1));
  }
  ConcurrentCore* dest() const noexcept override { return dest_.get(); }
  void drop_dest() noexcept override { dest_.reset(); }
  std::shared_ptr<ConcurrentState<T>> dest_;
};

}  // namespace detail

/// A future on `loop` (default: the current loop) following `future`, a
/// ConcurrentFuture completed in some thread; cancelling the returned
/// future cancels `future`. Python: asyncio.wrap_future(future, loop=None)
template <class T>
Future<T> wrap_future(const ConcurrentFuture<T>& future, EventLoop* loop = nullptr) {
  return detail::wrap_concurrent(future, loop ? *loop : get_event_loop(), /*may_move=*/false);
}
/// An asyncio future is returned as it is. Python: asyncio.wrap_future(fut)
template <class T>
Future<T> wrap_future(Future<T> future) {
  return future;
}

/// Submits `coro` to `loop` (running in another thread) from any thread:
/// the loop wraps it in a task; the returned future gets the task's
/// outcome, and cancelling it cancels the task. RuntimeError if the loop
/// is closed. Python: asyncio.run_coroutine_threadsafe(coro, loop)
template <class T>
ConcurrentFuture<T> run_coroutine_threadsafe(Coro<T> coro, EventLoop& loop) {
  if (!coro) throw TypeError("A coroutine object is required");
  ConcurrentFuture<T> future;
  loop.call_soon_threadsafe([&loop, coro = std::move(coro), future]() mutable {
    // Python: run_coroutine_threadsafe's callback
    try {
      Task<T> task = loop.create_task(std::move(coro));
      auto chain = std::make_shared<detail::TaskChain<T>>(loop, future.state());
      detail::TaskChainBase::link(chain, static_cast<detail::TaskBase*>(task.state_ptr()), *future.state());
    } catch (const KeyboardInterrupt&) {
      throw;
    } catch (const SystemExit&) {
      throw;
    } catch (...) {
      if (future.set_running_or_notify_cancel()) future.set_exception(std::current_exception());
      throw;
    }
  });
  return future;
}

/// Runs `f(args...)` in the loop's default executor (a thread) and returns
/// its result; copies of `f` and `args` are passed (use std::ref for
/// references). NotImplementedError on platforms without threads.
/// `f` runs in a copy of the caller's context (its variables are seen;
/// what it sets stays in the copy); run_in_executor() does not do that.
/// Python: asyncio.to_thread(func, *args)
template <class F, class... Args>
[[nodiscard]] Coro<std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>> to_thread(F&& f, Args&&... args);
#if ASYNCIO_GCC12_COROUTINE_BUGS
// g++ < 13: a temporary lambda with non-trivial captures warns (detail/gcc12.hpp).
template <class F, class... Args>
  requires detail::gcc12_unsafe_temporary<F>
[[deprecated(ASYNCIO_GCC12_TEMPORARY_WARNING)]] [[nodiscard]] Coro<
    std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>>
to_thread(F&& f, Args&&... args);
#endif

namespace detail {
// The coroutine of to_thread(), on copies of the callable and arguments.
template <class F, class... Args>
Coro<std::invoke_result_t<F, Args...>> to_thread(F f, Args... args) {
  EventLoop& loop = get_running_loop();
  // Python: loop.run_in_executor(None, functools.partial(ctx.run, func, *args))
  using R = std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>;
  auto in_context = [ctx = copy_context(), f = std::move(f)](auto&&... a) mutable -> R {
    return ctx.run(f, std::forward<decltype(a)>(a)...);
  };
  auto future = loop.run_in_executor(nullptr, std::move(in_context), std::move(args)...);
  co_return co_await std::move(future);
}
}  // namespace detail

template <class F, class... Args>
Coro<std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>> to_thread(F&& f, Args&&... args) {
  return detail::to_thread<std::decay_t<F>, std::decay_t<Args>...>(std::forward<F>(f), std::forward<Args>(args)...);
}
#if ASYNCIO_GCC12_COROUTINE_BUGS
template <class F, class... Args>
  requires detail::gcc12_unsafe_temporary<F>
Coro<std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>> to_thread(F&& f, Args&&... args) {
  return detail::to_thread<std::decay_t<F>, std::decay_t<Args>...>(std::forward<F>(f), std::forward<Args>(args)...);
}
#endif

namespace detail {

// Debug mode: logs an executor job that ran longer than the loop's
// slow_callback_duration (as slow callbacks are).
class SlowJobTimer {
 public:
  SlowJobTimer(const std::type_info& job, double threshold) noexcept
      : job_(job), threshold_(threshold), t0_(std::chrono::steady_clock::now()) {}
  SlowJobTimer(const SlowJobTimer&) = delete;
  SlowJobTimer& operator=(const SlowJobTimer&) = delete;
  ~SlowJobTimer() { report(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count()); }

 private:
  void report(double seconds) const noexcept;  // threads.cpp
  const std::type_info& job_;
  double threshold_;
  std::chrono::steady_clock::time_point t0_;
};

template <class F>
auto timed_job(F&& f, double threshold) {
  return [f = std::forward<F>(f), threshold](auto&&... a) mutable -> decltype(auto) {
    SlowJobTimer timer(typeid(std::decay_t<F>), threshold);
    return std::invoke(f, std::forward<decltype(a)>(a)...);
  };
}

}  // namespace detail

// ---- EventLoop members ----

template <class F, class... Args>
Future<std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>> EventLoop::run_in_executor(Executor* executor,
                                                                                               F&& f, Args&&... args) {
  // Python: BaseEventLoop.run_in_executor
  if (is_closed()) throw_closed();
  Executor& ex = executor ? *executor : default_executor_for_run();
  auto cf = debug_ ? ex.submit(detail::timed_job(std::forward<F>(f), slow_callback_duration), std::forward<Args>(args)...)
                   : ex.submit(std::forward<F>(f), std::forward<Args>(args)...);
  // Nobody else sees the concurrent future: its value can be moved.
  return detail::wrap_concurrent(cf, *this, /*may_move=*/true);
}

}  // namespace asyncio
