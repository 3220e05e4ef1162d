// EventLoop: the portable core loop. Python: asyncio.base_events.BaseEventLoop.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "asyncio/detail/chunk_pool.hpp"
#include "asyncio/detail/fd_table.hpp"
#include "asyncio/detail/loop_registry.hpp"
#include "asyncio/inspect.hpp"
#include "asyncio/detail/repr.hpp"
#include "asyncio/events.hpp"
#include "asyncio/exception_context.hpp"
#include "asyncio/log.hpp"
#include "asyncio/tasks.hpp"
#include "asyncio/detail/loop_internals.hpp"

namespace asyncio {

namespace {

// Python: base_events._MIN_SCHEDULED_TIMER_HANDLES and
// _MIN_CANCELLED_TIMER_HANDLES_FRACTION.
constexpr std::size_t kMinScheduledTimerHandles = 100;
// Python: constants.MAXIMUM_SELECT_TIMEOUT (24 hours).
constexpr double kMaximumSelectTimeout = 24 * 3600;
// Python: time.get_clock_info('monotonic').resolution on Linux.
constexpr double kClockResolution = 1e-9;
// How far ahead run_ready() prefetches, and from what batch size: a burst
// of 100,000 due timers runs handles scattered over megabytes, each a cache
// miss (bench/README.md, "Timers"); a dozen entries ahead hides much of it.
constexpr std::size_t kReadyPrefetch = 12;
constexpr std::size_t kReadyPrefetchBurst = 4096;
// Python: signal.NSIG
#if defined(NSIG)
constexpr int kMaxSignal = NSIG;
#else
constexpr int kMaxSignal = 65;
#endif

bool debug_from_environment() {
  for (const char* name : {"ASYNCIO_DEBUG", "PYTHONASYNCIODEBUG"}) {
    const char* v = std::getenv(name);
    if (v != nullptr && *v != '\0') return true;
  }
  return false;
}

// Python: base_events._run_until_complete_cb, scheduled when the future
// passed to run_until_complete() is done.
class StopWhenDone final : public detail::CallbackNode {
 public:
  explicit StopWhenDone(EventLoop* loop) : loop_(loop) {}
  void on_fire(detail::FutureBase& future) override {
    loop_->call_soon(
        [](const AnyFuture& fut) {
          if (!fut.cancelled()) {
            std::exception_ptr exc = fut.exception();  // also marks it retrieved
            // run_forever() already ended by raising KeyboardInterrupt or
            // SystemExit.
            if (exc && detail::is_interrupt(exc)) return;
          }
          fut.get_loop().stop();
        },
        AnyFuture(&future, /*retain=*/true));
  }
  void on_discard() noexcept override {}

 private:
  EventLoop* loop_;
};

}  // namespace

namespace detail {

void report_callback_error(HandleNode& node) {
  std::exception_ptr exc = std::current_exception();
  if (is_interrupt(exc)) throw;
  ExceptionContext context;
  context.message = "Exception in callback " + node.callback_name() + "()";
  context.exception = exc;
  node.add_ref();
  context.handle = Handle(&node);
  node.loop()->call_exception_handler(context);
}

void note_timer_cancelled(EventLoop* loop) noexcept { detail::internals(*loop).note_timer_cancelled(); }

}  // namespace detail

EventLoop::EventLoop(std::unique_ptr<Backend> backend) : backend_(std::move(backend)) {
  if (!backend_) throw ValueError("EventLoop needs a backend");
  debug_ = debug_from_environment();
  backend_->attach(*this);
  detail::register_loop(this);
  detail::inspect_from_environment();
}

EventLoop::~EventLoop() {
  if (!is_closed() && debug_) {
    // Python: BaseEventLoop.__del__ warns (ResourceWarning, shown in
    // development mode) and closes the loop.
    detail::log_noexcept(LogLevel::warning, [&] {
      std::string msg = "ResourceWarning: unclosed event loop <EventLoop running=" +
                        std::string(running_ ? "True" : "False") + " closed=False debug=True>";
      if (created_at) msg += "\n" + detail::source_traceback_repr(*created_at);
      return msg;
    });
  }
  if (!is_closed() && !running_) {
    try {
      close();
    } catch (...) {
      // A destructor cannot raise: report what closing raised.
      const std::exception_ptr e = std::current_exception();
      detail::log_noexcept(LogLevel::error,
                           [&] { return "Exception closing an event loop in its destructor\n" + describe_exception(e); });
    }
  }
  detail::unregister_loop(this);
}

void EventLoop::set_task_factory(TaskFactory factory) { task_factory_ = std::move(factory); }

void EventLoop::throw_closed() { throw RuntimeError("Event loop is closed"); }

void EventLoop::check_thread() const {
  // Python: BaseEventLoop._check_thread (debug mode only).
  if (thread_id_ == std::thread::id()) return;
  if (std::this_thread::get_id() != thread_id_) {
    throw RuntimeError("Non-thread-safe operation invoked on an event loop other than the current one");
  }
}

void EventLoop::check_runnable() const {
  if (is_closed()) throw_closed();
  if (running_) throw RuntimeError("This event loop is already running");
  if (detail::tls_running_loop != nullptr) {
    throw RuntimeError("Cannot run the event loop while another loop is running");
  }
}

void EventLoop::run_forever_setup() {
  check_runnable();
  thread_id_ = std::this_thread::get_id();
  running_ = true;
  detail::tls_running_loop = this;
}

void EventLoop::run_forever_cleanup() noexcept {
  stopping_ = false;
  running_ = false;
  thread_id_ = std::thread::id();
  detail::tls_running_loop = nullptr;
}

void EventLoop::run_forever() {
  run_forever_setup();
  struct Cleanup {
    EventLoop* loop;
    ~Cleanup() { loop->run_forever_cleanup(); }
  } cleanup{this};
  for (;;) {
    run_once();
    if (stopping_) break;
  }
}

void EventLoop::run_until_complete_base(detail::FutureBase& future, bool own_task) {
  if (future.loop() != this) {
    throw ValueError("The future belongs to a different loop than the one specified as the loop argument");
  }
  StopWhenDone on_done(this);
  future.add_done_callback(&on_done);
  try {
    run_forever();
  } catch (...) {
    if (own_task && future.done() && !future.cancelled()) (void)future.exception();  // mark retrieved
    if (on_done.linked()) future.remove_done_callback(&on_done);
    throw;
  }
  if (on_done.linked()) future.remove_done_callback(&on_done);
  if (!future.done()) throw RuntimeError("Event loop stopped before Future completed.");
}

void EventLoop::close() {
  // Python: BaseEventLoop.close
  if (running_) throw RuntimeError("Cannot close a running event loop");
  if (is_closed()) return;
  if (debug_) logger().debug("Close <EventLoop running=False closed=False debug=True>");
  // Pending tasks die with the loop. Their coroutines are destroyed while
  // the loop is still open, so destructors that schedule work do not throw.
  for (int round = 0; tasks_head_ != nullptr && round < 16; ++round) {
    std::vector<AnyTask> pending = pending_tasks();
    for (AnyTask& task : pending) {
      auto* t = static_cast<detail::TaskBase*>(task.state_ptr());
      if (t->log_destroy_pending()) {
        ExceptionContext context;
        context.message = "Task was destroyed but it is pending!";
        context.task = task;
        if (const detail::SourceLocation* where = t->created_at())
          context.extra.emplace_back("source_traceback", detail::source_traceback_repr(*where));
        call_exception_handler(context);
      }
      t->destroy_pending_coroutine();
      unregister_task(t);
    }
  }
  while (!signal_handlers_.empty()) remove_signal_handler(signal_handlers_.back().first);
  std::vector<detail::HandleNode*> inbox;
  {
    std::lock_guard<std::mutex> lock(inbox_mutex_);
    closed_.store(true, std::memory_order_relaxed);
    inbox.swap(inbox_);
    inbox_nonempty_.store(false, std::memory_order_relaxed);
  }
  // Outside the lock: a callable's destructor may call call_soon_threadsafe().
  for (detail::HandleNode* node : inbox) node->discard();  // drops the callable in this thread
  while (!ready_.empty()) {
    detail::ReadyQueue::Entry e = ready_.pop();
    if (!detail::ReadyQueue::is_task(e)) detail::ReadyQueue::as_runnable(e)->discard();
  }
  timers_.for_each([](detail::HandleNode* node) {
    node->set_scheduled(false);
    node->release();
  });
  timers_.clear();
  timer_cancelled_count_ = 0;
  shutdown_default_executor_nowait();
  close_fd_table();
  backend_->close();
}

void EventLoop::check_signal_handler_allowed(int sig) const {
  // Python: _UnixSelectorEventLoop.add_signal_handler / _check_signal
  if (sig < 1 || sig >= kMaxSignal) throw ValueError("invalid signal number " + std::to_string(sig));
  if (is_closed()) throw_closed();
  if (!detail::is_main_thread()) {
    throw RuntimeError("set_wakeup_fd only works in main thread of the main interpreter");
  }
}

void EventLoop::install_signal_handler(int sig, Handle handle) {
  for (auto& entry : signal_handlers_) {
    if (entry.first == sig) {
      entry.second = std::move(handle);
      return;
    }
  }
  backend_->watch_signal(sig);  // raises before anything is recorded
  signal_handlers_.emplace_back(sig, std::move(handle));
}

bool EventLoop::remove_signal_handler(int sig) {
  if (sig < 1 || sig >= kMaxSignal) throw ValueError("invalid signal number " + std::to_string(sig));
  for (auto it = signal_handlers_.begin(); it != signal_handlers_.end(); ++it) {
    if (it->first == sig) {
      signal_handlers_.erase(it);
      backend_->unwatch_signal(sig);
      return true;
    }
  }
  // Not watched: a no-op where signals exist, NotImplementedError where
  // they do not (as Pyodide's WebLoop and Windows loops raise).
  backend_->unwatch_signal(sig);
  return false;
}

void EventLoop::deliver_signal(int sig) {
  // Python: _UnixSelectorEventLoop._handle_signal: the same handle runs once
  // per delivery; a cancelled one removes itself.
  for (auto& [s, handle] : signal_handlers_) {
    if (s != sig) continue;
    if (handle.cancelled()) {
      remove_signal_handler(sig);
      return;
    }
    detail::HandleNode* node = handle.node();
    node->add_ref();
    ready_.push(detail::ReadyQueue::entry(node));
    return;
  }
}

void EventLoop::schedule_timer(detail::HandleNode* node) {
  timers_.push(node->when(), node);
  node->set_scheduled(true);
}

void EventLoop::push_threadsafe(detail::HandleNode* node) {
  std::lock_guard<std::mutex> lock(inbox_mutex_);
  if (is_closed()) {
    node->release();  // the Handle's reference
    node->release();  // the queue's reference
    throw_closed();
  }
  inbox_.push_back(node);
  inbox_nonempty_.store(true, std::memory_order_release);
  // Woken under the lock: close() cannot close the backend in between.
  backend_->wake();
}

void EventLoop::wake_threadsafe() noexcept {
  std::lock_guard<std::mutex> lock(inbox_mutex_);
  if (!is_closed()) backend_->wake();  // under the lock: close() cannot close the backend in between
}

void EventLoop::drain_threadsafe() {
  std::vector<detail::HandleNode*> batch;
  {
    std::lock_guard<std::mutex> lock(inbox_mutex_);
    batch.swap(inbox_);
    inbox_nonempty_.store(false, std::memory_order_relaxed);
  }
  for (detail::HandleNode* node : batch) ready_.push(detail::ReadyQueue::entry(node));
}

void EventLoop::purge_cancelled_timers_slow() {
  const std::size_t sched_count = timers_.size();
  if (sched_count > kMinScheduledTimerHandles && timer_cancelled_count_ * 2 > sched_count) {
    // Too many cancelled timers: drop them all.
    timers_.filter([](detail::HandleNode* node) {
      if (!node->cancelled()) return true;
      node->set_scheduled(false);
      node->release();
      return false;
    });
    timer_cancelled_count_ = 0;
  } else {
    // Remove cancelled timers from the head of the heap.
    while (!timers_.empty() && timers_.top_node()->cancelled()) {
      --timer_cancelled_count_;
      detail::HandleNode* node = timers_.pop();
      node->set_scheduled(false);
      node->release();
    }
  }
}

bool EventLoop::run_step() {
  run_forever_setup();
  struct Cleanup {
    EventLoop* loop;
    ~Cleanup() { loop->run_forever_cleanup(); }
  } cleanup{this};
  run_once(0);
  return !stopping_;  // read before the cleanup resets it
}

bool EventLoop::run_steps(double max_seconds) {
  run_forever_setup();
  struct Cleanup {
    EventLoop* loop;
    ~Cleanup() { loop->run_forever_cleanup(); }
  } cleanup{this};
  // The clock is read once per kStepsPerClockRead iterations: on a host
  // where reading it crosses into another runtime (performance.now() from
  // WebAssembly) a read per iteration would cost as much as the iteration.
  constexpr int kStepsPerClockRead = 16;
  const double deadline = time() + max_seconds;
  for (int steps = 1;; ++steps) {
    run_once(0);
    if (stopping_) return false;
    if (ready_.empty() && !inbox_nonempty_.load(std::memory_order_relaxed)) {
      // Only a due timer keeps the slice going.
      if (timers_.empty() || timers_.top_when() > time()) return true;
    }
    if (steps % kStepsPerClockRead == 0 && time() >= deadline) return true;
  }
}

std::optional<double> EventLoop::time_until_next_step() const noexcept {
  if (!ready_.empty() || inbox_nonempty_.load(std::memory_order_relaxed)) return 0.0;
  if (timers_.empty()) return std::nullopt;
  // A cancelled timer at the top only costs the host one early step.
  return std::max(0.0, timers_.top_when() - time());
}

void EventLoop::run_once(double max_wait) {
  // Python: BaseEventLoop._run_once
  purge_cancelled_timers();

  double timeout = -1;  // block until I/O or a wake-up
  if (!ready_.empty() || stopping_ || inbox_nonempty_.load(std::memory_order_relaxed)) {
    timeout = 0;
  } else if (!timers_.empty()) {
    timeout = std::min(std::max(0.0, timers_.top_when() - time()), kMaximumSelectTimeout);
  }
  // An idle loop always checks I/O, even when a host caps the wait at zero.
  const bool idle = timeout != 0;
  if (max_wait >= 0 && (timeout < 0 || timeout > max_wait)) timeout = max_wait;
  if (idle || --poll_countdown_ <= 0) {
    poll_countdown_ = kPollInterval;
    // Read chunks a burst left idle go back to the OS within a trim period
    // (detail/chunk_pool.hpp): wake up for that, unless the clock is virtual.
    if (virtual_now_ == nullptr && detail::chunk_pool_has_excess()) timeout = detail::trim_chunk_pool(timeout);
    if (virtual_now_ != nullptr && timeout != 0)
      wait_virtual(timeout);  // the clock may jump instead of waiting
    else
      backend_->poll(timeout);
  }
  if (inbox_nonempty_.load(std::memory_order_acquire)) drain_threadsafe();

  // Handle 'later' callbacks that are ready.
  if (!timers_.empty()) {
    const double end_time = time() + kClockResolution;
    while (!timers_.empty() && timers_.top_when() < end_time) {
      detail::HandleNode* node = timers_.pop();
      // The next due node is read on the next pass: start loading it.
      if (!timers_.empty()) __builtin_prefetch(timers_.top_node());
      node->set_scheduled(false);
      ready_.push(detail::ReadyQueue::entry(node));
    }
  }

  // Run exactly the callbacks that are ready now; what they schedule runs
  // on the next iteration.
  const std::size_t ntodo = ready_.size();
  if (debug_)
    run_ready_debug(ntodo);
  else
    run_ready(ntodo);
}

namespace {
// Clears EventLoop::running_entry_ however the run of the ready entries ends.
struct ClearRunningEntry {
  detail::ReadyQueue::Entry& entry;
  ~ClearRunningEntry() { entry = 0; }
};
}  // namespace

void EventLoop::run_ready(std::size_t ntodo) {
  ClearRunningEntry clear{running_entry_};
  // A burst too large for the cache (many due timers) runs objects
  // scattered over megabytes: load each a few entries ahead. A smaller
  // batch is in cache already, and the extra load would only cost.
  const bool burst = ntodo > kReadyPrefetchBurst;
  for (; ntodo > 0; --ntodo) {
    if (burst) ready_.prefetch(kReadyPrefetch);
    detail::ReadyQueue::Entry e = ready_.pop();
    running_entry_ = e;  // for a context variable's first set() (contextvars.cpp)
    if (detail::ReadyQueue::is_task(e))
      detail::ReadyQueue::as_task(e)->step();
    else
      detail::ReadyQueue::as_runnable(e)->run();
  }
}

void EventLoop::run_ready_debug(std::size_t ntodo) {
  ClearRunningEntry clear{running_entry_};
  for (; ntodo > 0; --ntodo) {
    detail::ReadyQueue::Entry e = ready_.pop();
    std::string what;
    if (detail::ReadyQueue::is_task(e))
      what = detail::ReadyQueue::as_task(e)->repr();
    else
      what = detail::ReadyQueue::as_runnable(e)->describe();
    const double t0 = time();
    running_entry_ = e;
    if (detail::ReadyQueue::is_task(e))
      detail::ReadyQueue::as_task(e)->step();
    else
      detail::ReadyQueue::as_runnable(e)->run();
    const double dt = time() - t0;
    if (dt >= slow_callback_duration) {
      char buf[64];
      std::snprintf(buf, sizeof buf, " took %.3f seconds", dt);
      logger().warning("Executing " + what + buf);
    }
  }
}

void EventLoop::throw_enter_task(detail::TaskBase* task) const {
  // Python: tasks._enter_task
  throw RuntimeError("Cannot enter into task " + task->repr() + " while another task " + current_task_->repr() +
                     " is being executed.");
}

void EventLoop::throw_leave_task(detail::TaskBase* task) const {
  // Python: tasks._leave_task
  throw RuntimeError("Leaving task " + task->repr() + " does not match the current task " +
                     (current_task_ ? current_task_->repr() : std::string("None")) + ".");
}

void EventLoop::register_task(detail::TaskBase* task) noexcept {
  task->add_ref();
  task->set_registered(true);
  task->prev_task_ = nullptr;
  task->next_task_ = tasks_head_;
  if (tasks_head_) tasks_head_->prev_task_ = task;
  tasks_head_ = task;
}

void EventLoop::unregister_task(detail::TaskBase* task) noexcept {
  if (!task->registered()) return;
  task->set_registered(false);
  if (task->prev_task_)
    task->prev_task_->next_task_ = task->next_task_;
  else
    tasks_head_ = task->next_task_;
  if (task->next_task_) task->next_task_->prev_task_ = task->prev_task_;
  task->prev_task_ = task->next_task_ = nullptr;
  task->release();
}

std::vector<AnyTask> EventLoop::pending_tasks() const {
  std::vector<AnyTask> out;
  // Oldest first, as Python's insertion-ordered task registry iterates.
  for (detail::TaskBase* t = tasks_head_; t != nullptr; t = t->next_task_)
    if (!t->done()) out.emplace_back(t, /*retain=*/true);
  std::reverse(out.begin(), out.end());
  return out;
}

void EventLoop::call_exception_handler(const ExceptionContext& context) {
  // Python: BaseEventLoop.call_exception_handler
  if (!exception_handler_) {
    try {
      default_exception_handler(context);
    } catch (const KeyboardInterrupt&) {
      throw;
    } catch (const SystemExit&) {
      throw;
    } catch (...) {
      logger().error("Exception in default exception handler");
    }
    return;
  }
  try {
    exception_handler_(*this, context);
  } catch (const KeyboardInterrupt&) {
    throw;
  } catch (const SystemExit&) {
    throw;
  } catch (...) {
    std::exception_ptr handler_error = std::current_exception();
    try {
      ExceptionContext fallback;
      fallback.message = "Unhandled error in exception handler";
      fallback.exception = handler_error;
      fallback.extra.emplace_back("context", "{'message': '" + context.message + "'}");
      default_exception_handler(fallback);
    } catch (const KeyboardInterrupt&) {
      throw;
    } catch (const SystemExit&) {
      throw;
    } catch (...) {
      logger().error(
          "Exception in default exception handler while handling an unexpected error in custom exception handler");
    }
  }
}

void EventLoop::default_exception_handler(const ExceptionContext& context) {
  // Python: BaseEventLoop.default_exception_handler — the message, then every
  // other key sorted by name with its repr, then the exception.
  std::string text = context.message.empty() ? "Unhandled exception in event loop" : context.message;
  std::vector<std::pair<std::string, std::string>> lines = context.extra;
  if (context.future) lines.emplace_back("future", context.future->repr());
  if (context.task) lines.emplace_back("task", context.task->repr());
  if (context.handle) lines.emplace_back("handle", context.handle->repr());
  std::sort(lines.begin(), lines.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [key, value] : lines) {
    text += '\n';
    text += key;
    text += ": ";
    text += value;
  }
  if (context.exception) text += "\n" + describe_exception(context.exception);
  logger().error(text);
}

}  // namespace asyncio
