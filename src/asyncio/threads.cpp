// Threads: concurrent futures, the thread pool, the default executor,
// chaining futures across threads. Python: concurrent.futures._base.Future,
// concurrent.futures.thread, futures._chain_future, base_events'
// executor methods.
#include "asyncio/threads.hpp"

#include <algorithm>
#include <cstdio>

#include "asyncio/detail/repr.hpp"
#include "asyncio/log.hpp"
#include "asyncio/platform.hpp"
#include "asyncio/timeouts.hpp"
#include "asyncio/detail/loop_internals.hpp"

namespace asyncio {

// ---- ConcurrentFuture ----

namespace detail {

void SlowJobTimer::report(double seconds) const noexcept {
  if (seconds < threshold_) return;
  log_noexcept(LogLevel::warning, [&] {
    char buf[64];
    std::snprintf(buf, sizeof buf, " took %.3f seconds", seconds);
    return "Executing " + type_name(job_) + "() in an executor" + buf;
  });
}

bool ConcurrentCore::cancel() {
  std::vector<Callback> callbacks;
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (state_ == State::running || state_ == State::finished) return false;
    if (state_ == State::cancelled || state_ == State::cancelled_and_notified) return true;
    state_ = State::cancelled;
    cv_.notify_all();
    callbacks.swap(callbacks_);
  }
  invoke_callbacks(callbacks);
  return true;
}

bool ConcurrentCore::cancelled() const {
  std::lock_guard<std::mutex> lock(mutex);
  return state_ == State::cancelled || state_ == State::cancelled_and_notified;
}

bool ConcurrentCore::running() const {
  std::lock_guard<std::mutex> lock(mutex);
  return state_ == State::running;
}

bool ConcurrentCore::done() const {
  std::lock_guard<std::mutex> lock(mutex);
  return state_ == State::cancelled || state_ == State::cancelled_and_notified || state_ == State::finished;
}

bool ConcurrentCore::set_running_or_notify_cancel() {
  std::lock_guard<std::mutex> lock(mutex);
  if (state_ == State::cancelled) {
    state_ = State::cancelled_and_notified;
    return false;
  }
  if (state_ == State::pending) {
    state_ = State::running;
    return true;
  }
  throw RuntimeError("Future in unexpected state");
}

std::unique_lock<std::mutex> ConcurrentCore::wait_finished(std::optional<double> timeout) const {
  // Python: Future.result(timeout) minus the value.
  std::unique_lock<std::mutex> lock(mutex);
  auto is_done = [this] { return state_ != State::pending && state_ != State::running; };
  if (!is_done()) {
    if (timeout) {
      const auto deadline = std::chrono::steady_clock::now() +
                            std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                std::chrono::duration<double>(std::max(0.0, *timeout)));
      cv_.wait_until(lock, deadline, is_done);
    } else {
      cv_.wait(lock, is_done);
    }
  }
  if (state_ == State::cancelled || state_ == State::cancelled_and_notified) throw CancelledError();
  if (state_ != State::finished) throw TimeoutError();
  if (exception_) std::rethrow_exception(exception_);
  return lock;
}

std::exception_ptr ConcurrentCore::exception(std::optional<double> timeout) const {
  try {
    wait_finished(timeout);
  } catch (const CancelledError&) {
    throw;
  } catch (const TimeoutError&) {
    std::lock_guard<std::mutex> lock(mutex);
    if (state_ != State::finished) throw;
    return exception_;  // the future's own TimeoutError
  } catch (...) {
    return std::current_exception();
  }
  return nullptr;
}

void ConcurrentCore::raise_invalid_state() const {
  const char* name = state_ == State::finished ? "FINISHED" : "CANCELLED";
  throw InvalidStateError(std::string(name) + ": <Future>");
}

std::unique_lock<std::mutex> ConcurrentCore::lock_settable() {
  std::unique_lock<std::mutex> lock(mutex);
  if (state_ == State::cancelled || state_ == State::cancelled_and_notified || state_ == State::finished) {
    raise_invalid_state();
  }
  return lock;
}

void ConcurrentCore::finish(std::unique_lock<std::mutex>& lock) {
  state_ = State::finished;
  cv_.notify_all();
  std::vector<Callback> callbacks;
  callbacks.swap(callbacks_);
  lock.unlock();
  invoke_callbacks(callbacks);
}

void ConcurrentCore::set_exception(std::exception_ptr e) {
  if (!e) throw TypeError("set_exception() needs an exception, got an empty exception_ptr");
  auto lock = lock_settable();
  exception_ = std::move(e);
  finish(lock);
}

void ConcurrentCore::add_done_callback(Callback cb) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (state_ == State::pending || state_ == State::running) {
      callbacks_.push_back(std::move(cb));
      return;
    }
  }
  std::vector<Callback> one;
  one.push_back(std::move(cb));
  invoke_callbacks(one);
}

void ConcurrentCore::invoke_callbacks(const std::vector<Callback>& callbacks) noexcept {
  // The caller holds a reference to this state (a handle), so it outlives
  // the callbacks.
  for (const Callback& cb : callbacks) {
    try {
      cb(*this);
    } catch (...) {
      const std::exception_ptr e = std::current_exception();
      log_noexcept(LogLevel::error, [&] { return "exception calling callback for <Future>\n" + describe_exception(e); });
    }
  }
}

}  // namespace detail

// ---- ThreadPoolExecutor ----

// The pool's shared state: the workers keep it alive, so they can outlive
// the executor object (shutdown without waiting).
struct ThreadPoolExecutor::Pool {
  std::mutex mutex;
  std::condition_variable cv;
  std::deque<std::unique_ptr<detail::WorkItem>> queue;
  std::vector<std::thread> threads;
  std::size_t idle = 0;
  bool shutdown = false;
  std::mutex join_mutex;  // one joiner at a time

  // Python: concurrent.futures.thread._worker
  static void worker(const std::shared_ptr<Pool>& pool) {
    for (;;) {
      std::unique_ptr<detail::WorkItem> item;
      {
        std::unique_lock<std::mutex> lock(pool->mutex);
        pool->cv.wait(lock, [&] { return !pool->queue.empty() || pool->shutdown; });
        if (pool->queue.empty()) return;  // shut down and drained
        item = std::move(pool->queue.front());
        pool->queue.pop_front();
      }
      item->run();
      item.reset();
      std::lock_guard<std::mutex> lock(pool->mutex);
      ++pool->idle;
    }
  }
};

std::size_t ThreadPoolExecutor::default_max_workers() noexcept {
  std::size_t cpus = std::thread::hardware_concurrency();
  if (cpus == 0) cpus = 1;
  return std::min<std::size_t>(32, cpus + 4);
}

ThreadPoolExecutor::ThreadPoolExecutor(ThreadPoolOptions options)
    : pool_(std::make_shared<Pool>()),
      max_workers_(options.max_workers.value_or(default_max_workers())),
      start_thread_(std::move(options.start_thread)) {
  if (max_workers_ == 0) throw ValueError("max_workers must be greater than 0");
  if (!start_thread_) {
    start_thread_ = [](std::function<void()> body) {
      return detail::start_std_thread("ThreadPoolExecutor", std::string(platform::name), std::move(body));
    };
  }
}

ThreadPoolExecutor::~ThreadPoolExecutor() {
  shutdown(/*wait=*/false);
  std::lock_guard<std::mutex> join_lock(pool_->join_mutex);
  std::lock_guard<std::mutex> lock(pool_->mutex);
  for (std::thread& t : pool_->threads) {
    if (t.joinable()) t.detach();
  }
}

std::size_t ThreadPoolExecutor::thread_count() const {
  std::lock_guard<std::mutex> lock(pool_->mutex);
  return pool_->threads.size();
}

void ThreadPoolExecutor::execute(std::unique_ptr<detail::WorkItem> job) {
  // Python: ThreadPoolExecutor.submit and _adjust_thread_count
  std::unique_lock<std::mutex> lock(pool_->mutex);
  if (pool_->shutdown) throw RuntimeError("cannot schedule new futures after shutdown");
  if (pool_->idle > 0) {
    --pool_->idle;  // an idle worker takes it
  } else if (pool_->threads.size() < max_workers_) {
    // Started before the job is queued, so that a platform refusing
    // threads leaves nothing behind.
    std::shared_ptr<Pool> pool = pool_;
    pool_->threads.push_back(start_thread_([pool] { Pool::worker(pool); }));
  }
  pool_->queue.push_back(std::move(job));
  lock.unlock();
  pool_->cv.notify_one();
}

void ThreadPoolExecutor::shutdown(bool wait, bool cancel_futures) {
  // Python: ThreadPoolExecutor.shutdown
  std::deque<std::unique_ptr<detail::WorkItem>> cancelled;
  {
    std::lock_guard<std::mutex> lock(pool_->mutex);
    pool_->shutdown = true;
    if (cancel_futures) cancelled.swap(pool_->queue);
  }
  pool_->cv.notify_all();
  for (auto& item : cancelled) item->cancel();
  if (!wait) return;
  std::lock_guard<std::mutex> join_lock(pool_->join_mutex);
  std::vector<std::thread*> threads;
  {
    std::lock_guard<std::mutex> lock(pool_->mutex);
    for (std::thread& t : pool_->threads) threads.push_back(&t);
  }
  // No thread is added after shutdown, so the pointers stay valid.
  for (std::thread* t : threads) {
    if (t->joinable() && t->get_id() != std::this_thread::get_id()) t->join();
  }
}

// ---- Chains between concurrent and asyncio futures ----

namespace detail {

void WrapChainBase::link(const std::shared_ptr<WrapChainBase>& chain, FutureBase* dest, ConcurrentCore& source) {
  // Python: _chain_future(source, destination)
  chain->dest_ = dest;
  chain->self_ = chain;
  // A virtual clock waits for the other thread's result (released in transfer()).
  detail::internals(chain->loop_).hold_clock();
  dest->add_done_callback(chain.get());  // _call_check_cancel
  source.add_done_callback([keep = chain](ConcurrentCore& src) {
    // _call_set_state, in the thread completing the concurrent future.
    // A loop owned by a shared_ptr is kept alive meanwhile (or found
    // gone); any other loop must outlive the job.
    std::shared_ptr<EventLoop> owner = keep->loop_owner_.lock();
    if (keep->owned_ && !owner) return;
    EventLoop& loop = keep->loop_;
    if (loop.is_closed()) return;
    try {
      loop.call_soon_threadsafe([keep, src = src.shared_from_this()] { keep->transfer(*src); });
    } catch (const RuntimeError&) {  // NOLINT(bugprone-empty-catch): see the comment
      // The loop closed in between: nobody is left to tell.
    }
  });
}

void WrapChainBase::transfer(ConcurrentCore& source) {
  // Python: _copy_future_state(source, destination)
  detail::internals(loop_).release_clock();
  FutureBase* dest = dest_;
  if (dest == nullptr || dest->cancelled()) return;
  if (dest->done()) return;
  if (source.cancelled()) {
    dest->cancel(std::nullopt);
    return;
  }
  if (std::exception_ptr e = source.exception(0.0)) {
    dest->set_exception(std::move(e));
    return;
  }
  copy_value(*dest, source);
}

void WrapChainBase::on_fire(FutureBase& future) {
  // The asyncio future is done: _call_check_cancel, scheduled like every
  // done callback.
  const bool cancelled = future.cancelled();
  dest_ = nullptr;
  std::shared_ptr<WrapChainBase> self = std::move(self_);
  if (!cancelled) return;
  loop_.call_soon([self] {
    if (std::shared_ptr<ConcurrentCore> source = self->source_.lock()) source->cancel();
  });
}

void WrapChainBase::on_discard() noexcept {
  // The asyncio future died pending: forget it.
  dest_ = nullptr;
  self_.reset();
}

void TaskChainBase::link(const std::shared_ptr<TaskChainBase>& chain, TaskBase* task, ConcurrentCore& dest) {
  // Python: _chain_future(task, concurrent_future)
  chain->task_ = task;
  chain->self_ = chain;
  std::weak_ptr<TaskChainBase> weak = chain;
  // _call_check_cancel, in the thread cancelling the concurrent future.
  dest.add_done_callback([weak](ConcurrentCore& cf) {
    std::shared_ptr<TaskChainBase> c = weak.lock();
    if (!c || !cf.cancelled()) return;
    try {
      c->loop_.call_soon_threadsafe([c] { c->cancel_task(); });
    } catch (const RuntimeError&) {  // NOLINT(bugprone-empty-catch): see the comment
      // The loop is closed: its tasks are gone.
    }
  });
  task->add_done_callback(chain.get());  // _call_set_state
}

void TaskChainBase::cancel_task() {
  if (task_ != nullptr && !task_->done()) task_->cancel(std::nullopt);
}

void TaskChainBase::on_fire(FutureBase& future) {
  future.add_ref();  // released in run() / discard()
  detail::internals(*future.loop()).push_runnable(this);
}

void TaskChainBase::on_discard() noexcept {
  // The task died pending (its loop closed): the concurrent future will
  // never be done; drop it, breaking the cycle through its callbacks.
  task_ = nullptr;
  drop_dest();
  self_.reset();
}

void TaskChainBase::run() {
  // Python: _call_set_state -> _set_concurrent_future_state
  std::shared_ptr<TaskChainBase> self = std::move(self_);
  TaskBase* task = std::exchange(task_, nullptr);
  struct Release {
    TaskBase* t;
    ~Release() { t->release(); }
  } release{task};
  ConcurrentCore* cf = dest();
  if (cf == nullptr) return;
  try {
    if (task->cancelled()) cf->cancel();
    if (!cf->set_running_or_notify_cancel()) return;
    if (std::exception_ptr e = task->exception()) {
      cf->set_exception(std::move(e));
      return;
    }
    copy_value(*task);
  } catch (...) {
    report_runnable_error(*this);
  }
}

void TaskChainBase::discard() noexcept {
  // Queued when the loop closed.
  if (task_ != nullptr) std::exchange(task_, nullptr)->release();
  drop_dest();
  self_.reset();
}

}  // namespace detail

// ---- The loop's executor methods ----

namespace detail {

// The one place the library starts a thread. Builds for a target without
// threads say so with NotImplementedError, as Python does for what a
// platform lacks (ASYNCIO_PLATFORM_HAS_THREADS, from the build's platform
// description): on Emscripten without pthreads std::thread compiles but
// cannot start; single-threaded wasm32-wasi libc++ has no constructor
// starting one at all.
std::thread start_std_thread(const char* what, const std::string& platform_name, std::function<void()> body) {
#if ASYNCIO_PLATFORM_HAS_THREADS
  (void)what;
  (void)platform_name;
  return std::thread(std::move(body));
#else
  (void)body;
  throw NotImplementedError(std::string(what) + " is not available on " + platform_name);
#endif
}

}  // namespace detail

std::thread Backend::start_thread(const char* what, std::function<void()> body) {
  return detail::start_std_thread(what, platform(), std::move(body));
}

Executor& EventLoop::default_executor_for_run() {
  // Python: BaseEventLoop.run_in_executor(None, ...) and
  // _check_default_executor
  if (executor_shutdown_called_) throw RuntimeError("Executor shutdown has been called");
  if (!default_executor_) {
    Backend* backend = backend_.get();
    ThreadPoolOptions options;
    options.start_thread = [backend](std::function<void()> body) {
      return backend->start_thread("run_in_executor", std::move(body));
    };
    default_executor_ = std::make_shared<ThreadPoolExecutor>(std::move(options));
  }
  return *default_executor_;
}

void EventLoop::set_default_executor(std::shared_ptr<Executor> executor) {
  if (!executor) throw TypeError("executor must be ThreadPoolExecutor");
  default_executor_ = std::move(executor);
}

void EventLoop::shutdown_default_executor_nowait() noexcept {
  // Python: the end of BaseEventLoop.close
  executor_shutdown_called_ = true;
  if (std::shared_ptr<Executor> executor = std::move(default_executor_)) {
    try {
      executor->shutdown(/*wait=*/false);
    } catch (...) {
      // close() goes on (Python's close() would raise after closing).
      const std::exception_ptr e = std::current_exception();
      detail::log_noexcept(LogLevel::error,
                           [&] { return "Exception shutting the default executor down\n" + describe_exception(e); });
    }
  }
}

namespace {
// A helper thread that is joined once it is known to have finished, and
// detached if it is abandoned (a timeout, a cancellation).
struct HelperThread {
  std::thread thread;
  ~HelperThread() {
    if (thread.joinable()) thread.detach();
  }
};
}  // namespace

namespace {
// Waits for the helper thread's join (the block of shutdown_default_executor's timeout).
Coro<void> await_joined(Future<void> done) { co_await done; }
}  // namespace

Coro<void> EventLoop::shutdown_default_executor(std::optional<double> timeout) {
  // Python: BaseEventLoop.shutdown_default_executor
  executor_shutdown_called_ = true;
  if (!default_executor_) co_return;
  std::shared_ptr<Executor> executor = default_executor_;
  if constexpr (!platform::has_threads) {
    // No worker to wait for. Said at compile time so that the optimizer drops
    // the rest (a helper thread, timeout(), float formatting), which
    // asyncio::run() would otherwise link into every WebAssembly program.
    (void)timeout;
    executor->shutdown(/*wait=*/true);
    co_return;
  }
  ConcurrentFuture<void> joined;
  HelperThread helper;
  // Python: _do_shutdown, in a thread: joining the workers blocks.
  auto do_shutdown = [executor, joined] {
    std::exception_ptr error;
    try {
      executor->shutdown(/*wait=*/true);
    } catch (...) {
      error = std::current_exception();
    }
    try {
      if (error)
        joined.set_exception(error);
      else
        joined.set_result();
    } catch (...) {  // NOLINT(bugprone-empty-catch): see the comment
      // Cancelled: nobody waits any more.
    }
  };
  try {
    helper.thread = backend_->start_thread("shutdown_default_executor", do_shutdown);
  } catch (const NotImplementedError&) {
    // No threads on this platform, so no worker to wait for.
    executor->shutdown(/*wait=*/true);
    co_return;
  }
  Future<void> done = wrap_future(joined, this);
  try {
    Coro<void> joining = await_joined(done);
    co_await asyncio::timeout(timeout, std::move(joining));
  } catch (const TimeoutError&) {
    logger().warning("RuntimeWarning: The executor did not finishing joining its threads within " +
                     detail::float_repr(*timeout) + " seconds.");
    executor->shutdown(/*wait=*/false);
    co_return;
  }
  helper.thread.join();
}

}  // namespace asyncio
