#include "asyncio/runners.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "asyncio/detail/loop_registry.hpp"
#include "asyncio/detail/os.hpp"
#include "asyncio/exception_context.hpp"
#include "asyncio/log.hpp"

namespace asyncio {

namespace {

// Awaits every task, ignoring outcomes: gather(*tasks, return_exceptions=True).
Coro<> wait_all(std::vector<AnyTask> tasks) {
  for (AnyTask& t : tasks) {
    try {
      co_await t;
    } catch (...) {  // NOLINT(bugprone-empty-catch): return_exceptions=True: callers read each task's outcome
    }
  }
}

// Python: runners._cancel_all_tasks
void cancel_all_tasks(EventLoop& loop) {
  std::vector<AnyTask> to_cancel = all_tasks(loop);
  if (to_cancel.empty()) return;
  for (AnyTask& t : to_cancel) t.cancel();
  loop.run_until_complete(wait_all(to_cancel));
  for (AnyTask& t : to_cancel) {
    if (t.cancelled()) continue;
    if (std::exception_ptr e = t.exception()) {
      ExceptionContext context;
      context.message = "unhandled exception during asyncio.run() shutdown";
      context.exception = e;
      context.task = t;
      loop.call_exception_handler(context);
    }
  }
}

}  // namespace

void detail::exit_platform_unavailable() {
  const std::string_view reason = platform::unavailable_reason;
  // fwrite, not "%.*s": where a loop can run the reason is empty (a null
  // data()), which g++'s -Wformat-overflow rejects in a printf argument.
  if (!reason.empty()) std::fwrite(reason.data(), 1, reason.size(), stderr);
  std::fputc('\n', stderr);
  std::fflush(stderr);
  std::exit(platform::exit_status_unavailable);
}

Runner::~Runner() {
  try {
    close();
  } catch (...) {
    // A destructor cannot raise: report what closing raised.
    const std::exception_ptr e = std::current_exception();
    detail::log_noexcept(LogLevel::error,
                         [&] { return "Exception closing a Runner in its destructor\n" + describe_exception(e); });
  }
}

void Runner::lazy_init() {
  if (state_ == State::closed) throw RuntimeError("Runner is closed");
  if (state_ == State::initialized) return;
  if (options_.loop_factory) {
    loop_ = options_.loop_factory();
    if (!loop_) throw TypeError("loop_factory returned no event loop");
  } else {
    loop_ = new_event_loop();
    if (!set_event_loop_) {
      set_event_loop(loop_);
      set_event_loop_ = true;
    }
  }
  if (options_.debug) loop_->set_debug(*options_.debug);
  // Python: self._context = contextvars.copy_context(); an empty one is
  // made only when a task needs it (runner_context(), AdoptContext).
  if (detail::ContextState* copy = detail::copy_current_context()) context_.emplace(copy);
  state_ = State::initialized;
}

std::optional<Context> Runner::runner_context() {
  if (!context_) {
    const detail::ContextState* current = detail::tls_context.current;
    if (current == nullptr || current->empty()) return std::nullopt;  // the task's copy is empty too
    context_.emplace();  // the runner's context is the empty one it started with
  }
  return context_;
}

Runner::AdoptContext::~AdoptContext() {
  if (task == nullptr || runner.context_) return;
  if (detail::ContextState* made = task->context_slot()) {
    made->add_ref();
    runner.context_.emplace(made);
  }
}

EventLoop& Runner::get_loop() {
  lazy_init();
  return *loop_;
}

void Runner::close() {
  if (state_ != State::initialized) return;
  struct Finally {
    Runner* r;
    ~Finally() {
      if (r->set_event_loop_) {
        set_event_loop(nullptr);
        r->set_event_loop_ = false;
      }
      r->loop_->close();
      r->loop_.reset();
      r->state_ = State::closed;
    }
  } finally{this};
  cancel_all_tasks(*loop_);
  // Python: constants.THREAD_JOIN_TIMEOUT
  constexpr double kThreadJoinTimeout = 300;
  loop_->run_until_complete(loop_->shutdown_default_executor(kThreadJoinTimeout));
}

Runner::SigintScope::SigintScope(Runner& runner, AnyFuture main_task)
    : runner_(runner), main_task_(std::move(main_task)) {
  // Python: Runner.run installs its handler only in the main thread and
  // only over the default SIGINT disposition.
  if (!detail::is_main_thread() || !detail::sigint_is_default()) return;
#if defined(SIGINT)
  try {
    runner_.loop_->add_signal_handler(SIGINT, [this] {
      // Python: Runner._on_sigint
      ++interrupts_;
      if (interrupts_ == 1 && !main_task_.done()) {
        main_task_.cancel();
        return;
      }
      throw KeyboardInterrupt();
    });
    installed_ = true;
  } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): optional feature
    // No signals on this platform: run without the handler.
  }
#endif
}

Runner::SigintScope::~SigintScope() {
#if defined(SIGINT)
  if (installed_ && runner_.loop_ && !runner_.loop_->is_closed()) {
    try {
      runner_.loop_->remove_signal_handler(SIGINT);
    } catch (...) {
      const std::exception_ptr e = std::current_exception();
      detail::log_noexcept(LogLevel::error,
                           [&] { return "Exception removing the SIGINT handler of a Runner\n" + describe_exception(e); });
    }
  }
#endif
}

}  // namespace asyncio
