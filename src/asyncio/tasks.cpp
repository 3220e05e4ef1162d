#include "asyncio/tasks.hpp"

#include <atomic>
#include <cstddef>

#include "asyncio/detail/loop_registry.hpp"
#include "asyncio/exception_context.hpp"
#include "asyncio/log.hpp"
#include "asyncio/detail/loop_internals.hpp"

namespace asyncio {
namespace detail {

namespace {
// Python's _task_name_counter: one counter for the whole process, used
// only by tasks created without a name.
std::atomic<std::uint64_t> g_task_name_counter{0};
}  // namespace

void warn_never_awaited(const char* name) noexcept {
  log_noexcept(LogLevel::warning,
               [&] { return std::string("RuntimeWarning: coroutine '") + name + "' was never awaited"; });
}

TaskBase::TaskBase(EventLoop* loop, stdcoro::coroutine_handle<> root) noexcept
    : FutureBase(loop), root_(root), id_(0), num_cancels_requested_(0) {
  flags_ |= kIsTask | kLogDestroyPending;
}

TaskBase::~TaskBase() {
  drop_root();
  if (context_ != nullptr) [[unlikely]]
    release_context(context_);
}

TaskBase* TaskBase::from_wait_node(DoneCallback* node) noexcept {
  // The node is a member of its task (see task_base.hpp). offsetof on a
  // polymorphic class is conditionally supported; GCC and clang support it
  // for classes without virtual bases.
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winvalid-offsetof"
#endif
  constexpr std::size_t offset = offsetof(TaskBase, wait_node_);
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
  return reinterpret_cast<TaskBase*>(reinterpret_cast<char*>(node) - offset);
}

const char* TaskBase::coro_name() const noexcept {
  if (root_) return root_promise().name();
  return static_cast<const char*>(resume_or_name_);
}

void TaskBase::drop_root() noexcept {
  if (!root_) return;
  const char* name = root_promise().name();
  stdcoro::coroutine_handle<> root = std::exchange(root_, {});
  root.destroy();
  resume_or_name_ = const_cast<char*>(name);
}

std::string TaskBase::name() const {
  if (extras_) {
    if (const std::optional<std::string>& name = extras_->name) return *name;
  }
  return "Task-" + std::to_string(id_);
}

void TaskBase::set_name(std::string name) { extras().name = std::move(name); }

void TaskBase::assign_default_name() noexcept {
  id_ = g_task_name_counter.fetch_add(1, std::memory_order_relaxed) + 1;
}

std::string TaskBase::repr() const {
  // Python's _task_repr_info: state, name, coro, result or exception.
  std::string state = state_repr();
  if (num_cancels_requested_ > 0 && !done()) state = "cancelling";
  std::string out = "<Task ";
  std::string::size_type space = state.find(' ');
  out += state.substr(0, space);
  out += " name='" + name() + "'";
  const char* coro = coro_name();
  out += " coro=<" + std::string(coro ? coro : "?") + "() " + (done() ? "done" : "running") + ">";
  if (space != std::string::npos) out += state.substr(space);
  out += created_at_repr();
  out += ">";
  return out;
}

bool TaskBase::cancel(std::optional<std::string> msg) {
  // Python: Task.cancel()
  flags_ &= ~kLogTraceback;
  if (done()) return false;
  constexpr std::uint64_t kMaxCancels = (1u << 20) - 1;  // the count saturates
  if (num_cancels_requested_ < kMaxCancels) num_cancels_requested_ = num_cancels_requested_ + 1;
  if (waiter_ != nullptr) {
    // Leave waiter_ set: it may be a task that swallows the cancellation and
    // has to be cancelled again later.
    if (waiter_->cancel_waiter(*this, msg)) {
      set_task_flag(kWakeCancels, true);
      return true;
    }
  }
  set_must_cancel(true);
  // The first request's message stays with the CancelledError the wake-up
  // already carries; a second one before the task runs only counts.
  if (!task_flag(kWakeCancels)) set_cancel_message(std::move(msg));
  return true;
}

std::uint32_t TaskBase::uncancel() noexcept {
  if (num_cancels_requested_ > 0) {
    num_cancels_requested_ = num_cancels_requested_ - 1;
    if (num_cancels_requested_ == 0) set_must_cancel(false);
  }
  return cancelling();
}

void TaskBase::schedule_first_step() { detail::internals(*loop_).push_task(this); }

void TaskBase::start_eagerly() {
  // Python: Task.__eager_start. The new task is the current task while its
  // first step runs inside create_task().
  TaskBase* prev = detail::internals(*loop_).swap_current_task(this);
  struct Restore {
    EventLoop* loop;
    TaskBase* prev;
    ~Restore() { detail::internals(*loop).swap_current_task(prev); }
  } restore{loop_, prev};
  add_ref();  // finishing may drop the loop's reference
  struct Unref {
    TaskBase* t;
    ~Unref() { t->release(); }
  } unref{this};
  ContextSwitch in_context(context_);
  run_coroutine();
}

void TaskBase::step() {
  // Python: Task.__step
  if (done()) return;  // closed loops drop queued steps; nothing else queues a done task
  if (must_cancel()) {
    set_must_cancel(false);
    // Python's __step: a wake-up that raises CancelledError keeps it (and
    // its message); anything else is replaced by the task's CancelledError.
    if (!task_flag(kWakeCancels)) deliver_ = Deliver::cancel;
  }
  set_task_flag(kWakeCancels, false);
  waiter_ = nullptr;
  detail::internals(*loop_).enter_task(this);
  add_ref();  // finishing may drop the loop's reference while we still run
  struct Leave {
    TaskBase* t;
    EventLoop* loop;
    ~Leave() {
      detail::internals(*loop).leave_task(t);
      t->release();
    }
  } leave{this, loop_};
  // Python: the step is scheduled with context=self._context.
  ContextSwitch in_context(context_);
  run_coroutine();
}

void TaskBase::run_coroutine() {
  if (!task_flag(kStarted)) {
    set_task_flag(kStarted, true);
    root_promise().mark_started();
    if (deliver_ == Deliver::cancel) {
      // Cancelled before its first step: the coroutine never runs (Python
      // throws CancelledError into the unstarted coroutine).
      deliver_ = Deliver::nothing;
      root_promise().exception_ = std::make_exception_ptr(make_cancelled_error());
      finish();
      return;
    }
    resume_or_name_ = root_.address();
  }
  // The trampoline of coroutines.hpp: run the chain of coroutines awaiting
  // one another until one suspends on something (or the root finishes).
  stdcoro::coroutine_handle<> h = stdcoro::coroutine_handle<>::from_address(resume_or_name_);
  for (;;) {
    h.resume();
    void* next = tls_transfer_to;
    if (next == nullptr) break;
    tls_transfer_to = nullptr;
    resume_or_name_ = next;  // the running frame, for capture_call_graph()
    h = stdcoro::coroutine_handle<>::from_address(next);
  }
  if (root_.done()) finish();
}

void TaskBase::finish() {
  // Python: Task.__step_run_and_handle_result, the coroutine-finished branches.
  std::exception_ptr exc = std::exchange(root_promise().exception_, nullptr);  // one virtual call
  bool interrupt = false;
  if (exc) {
    try {
      std::rethrow_exception(exc);
    } catch (const CancelledError& cancelled) {
      // The coroutine let CancelledError out: the task is cancelled, with
      // that error's message for its awaiters.
      state_ = State::cancelled;
      set_cancel_message(cancelled.message());
    } catch (...) {
      interrupt = is_interrupt(exc);
      extras().exception = exc;
      extras_->loop_identity = loop_identity(loop_);
      state_ = State::finished;
      flags_ |= kLogTraceback;
    }
  } else if (must_cancel()) {
    // Cancelled during the step in which the coroutine returned.
    set_must_cancel(false);
    state_ = State::cancelled;
  } else {
    take_root_value();
    state_ = State::finished;
  }
  drop_root();
  unregister();
  schedule_callbacks();
  // KeyboardInterrupt and SystemExit are stored on the task and also escape
  // the loop (Python re-raises them out of run_forever).
  if (interrupt) std::rethrow_exception(exc);
}

void TaskBase::unregister() noexcept {
  if (registered()) detail::internals(*loop_).unregister_task(this);
}

void TaskBase::suspend_on(stdcoro::coroutine_handle<> h, Cancellable* waiter) {
  resume_or_name_ = h.address();
  waiter_ = waiter;
  if (must_cancel()) {
    // Cancelled earlier in this step: pass it on to what we now wait for.
    std::optional<std::string> msg;
    if (const std::string* m = cancel_message()) msg = *m;
    if (waiter->cancel_waiter(*this, std::move(msg))) {
      set_must_cancel(false);
      set_task_flag(kWakeCancels, true);
    }
  }
}

void TaskBase::suspend_yield(stdcoro::coroutine_handle<> h) {
  resume_or_name_ = h.address();
  waiter_ = nullptr;
  detail::internals(*loop_).push_task(this);
}

void TaskBase::suspend_with_error(stdcoro::coroutine_handle<> h, std::exception_ptr error) {
  resume_or_name_ = h.address();
  waiter_ = nullptr;
  extras().pending_error = std::move(error);
  deliver_ = Deliver::error;
  detail::internals(*loop_).push_task(this);
}

void TaskBase::wake() { detail::internals(*loop_).push_task(this); }

void TaskBase::deliver_now() {
  Deliver d = std::exchange(deliver_, Deliver::nothing);
  if (d == Deliver::cancel) throw make_cancelled_error();
  std::exception_ptr e = std::exchange(extras().pending_error, nullptr);
  std::rethrow_exception(e);
}

void TaskBase::destroy_pending_coroutine() noexcept {
  if (waiter_ != nullptr) waiter_->detach(*this);
  waiter_ = nullptr;
  drop_root();
}

void start_task(EventLoop& loop, TaskBase* task, const TaskOptions& options) {
  // Python: Task.__init__ (name, then eager start or call_soon(__step)).
  if (options.name)
    task->set_name(*options.name);
  else
    task->assign_default_name();
  // Python: self._context = context or contextvars.copy_context().
  if (options.context) {
    options.context->state()->add_ref();
    task->set_context(options.context->state());
  } else {
    task->set_context(copy_current_context());
  }
  detail::internals(loop).register_task(task);
  if (options.eager_start.value_or(false) && loop.is_running())
    task->start_eagerly();
  else
    task->schedule_first_step();
}

void start_task(EventLoop& loop, TaskBase* task) {
  // start_task(loop, task, TaskOptions{}) without building the options.
  task->assign_default_name();
  task->set_context(copy_current_context());
  detail::internals(loop).register_task(task);
  task->schedule_first_step();
}

const TaskOptions& default_task_options() noexcept {
  static const TaskOptions defaults{};
  return defaults;
}

void check_task_coroutine(bool empty, bool started, const char* name) {
  if (empty) throw TypeError("a coroutine was expected, got an empty Coro");
  if (started) throw RuntimeError(std::string("cannot reuse already awaited coroutine '") + name + "'");
}

void check_factory_result(FutureBase* task, void* address) {
  // An eager task whose coroutine finished inside the factory has freed its
  // frame: there is no address left to compare.
  const bool matches = task != nullptr && task->is_task() &&
                       (static_cast<TaskBase*>(task)->root_address() == address ||
                        (task->done() && !static_cast<TaskBase*>(task)->has_coro()));
  if (!matches) {
    throw TypeError("the task factory must return the task made for the coroutine it was given (use make_task)");
  }
}

TaskBase& require_current_task(const char* what) {
  TaskBase* task = current_task_base();
  if (task == nullptr) throw RuntimeError(std::string("cannot ") + what + " outside of a task");
  return *task;
}

}  // namespace detail

AnyTask make_task(EventLoop& loop, AnyCoro coro, const TaskOptions& options) {
  if (loop.is_closed()) detail::LoopInternals::throw_closed();
  if (!coro.handle_) throw TypeError("a coroutine was expected, got an empty AnyCoro");
  detail::TaskBase* state = coro.make_(&loop, coro.handle_);
  coro.handle_ = {};
  AnyTask task(state, /*retain=*/false);
  detail::start_task(loop, state, options);
  return task;
}

std::optional<AnyTask> current_task() { return current_task(get_running_loop()); }

std::optional<AnyTask> current_task(EventLoop& loop) {
  detail::TaskBase* t = detail::internals(loop).current_task();
  if (t == nullptr) return std::nullopt;
  return AnyTask(t, /*retain=*/true);
}

std::vector<AnyTask> all_tasks() { return all_tasks(get_running_loop()); }

std::vector<AnyTask> detail::LoopInternals::pending_tasks() const { return loop_.pending_tasks(); }

std::vector<AnyTask> all_tasks(EventLoop& loop) { return detail::internals(loop).pending_tasks(); }

}  // namespace asyncio
