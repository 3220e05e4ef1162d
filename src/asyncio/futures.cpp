#include "asyncio/futures.hpp"

#include "asyncio/tasks.hpp"

#include "asyncio/detail/loop_registry.hpp"
#include "asyncio/detail/repr.hpp"
#include "asyncio/exception_context.hpp"
#include "asyncio/log.hpp"
#include "asyncio/detail/loop_internals.hpp"

namespace asyncio::detail {

void DoneCallback::fire(FutureBase& future) {
  set_next(nullptr);
  if (is_task_node())
    TaskBase::from_wait_node(this)->wake();
  else
    static_cast<CallbackNode*>(this)->on_fire(future);
}

void DoneCallback::discard() noexcept {
  set_next(nullptr);
  if (!is_task_node()) static_cast<CallbackNode*>(this)->on_discard();
}

namespace {
// Detaches a circular list given its tail; returns its head (list now linear).
DoneCallback* take_list(DoneCallback*& tail) noexcept {
  DoneCallback* t = tail;
  if (t == nullptr) return nullptr;
  tail = nullptr;
  DoneCallback* head = t->next();
  t->set_next(nullptr);
  return head;
}
}  // namespace

FutureBase::~FutureBase() {
  // Callbacks of a future that dies pending never run (Python: the future
  // is collected with its callback list).
  DoneCallback* n = take_list(callbacks_tail_);
  while (n) {
    DoneCallback* next = n->next();
    n->discard();
    n = next;
  }
}

void FutureBase::last_release() noexcept {
  if ((flags_ & kLogTraceback) && has_exception()) {
    // Python's Future.__del__: "<Class> exception was never retrieved".
    flags_ &= ~kLogTraceback;
    refs_ = 1;  // alive while the handler looks at it
    try {
      ExceptionContext context;
      context.message = std::string(class_name()) + " exception was never retrieved";
      context.exception = extras_->exception;
      context.future = AnyFuture(this, /*retain=*/true);
      if (const detail::SourceLocation* where = created_at())
        context.extra.emplace_back("source_traceback", source_traceback_repr(*where));
      if (loop_is_alive(loop_, extras_->loop_identity)) {
        loop_->call_exception_handler(context);
      } else {
        logger().error(context.message + "\nfuture: " + repr() + "\n" + describe_exception(extras_->exception));
      }
    } catch (...) {  // NOLINT(bugprone-empty-catch): see the comment
      // Reporting must not throw out of a release.
    }
    if (--refs_ != 0) return;  // the handler kept a reference
  }
  delete this;
}

bool FutureBase::cancel(std::optional<std::string> msg) { return cancel_future(std::move(msg)); }

bool FutureBase::cancel_future(std::optional<std::string> msg) {
  flags_ &= ~kLogTraceback;
  if (state_ != State::pending) return false;
  state_ = State::cancelled;
  set_cancel_message(std::move(msg));
  schedule_callbacks();
  return true;
}

FutureExtras& FutureBase::extras() {
  if (!extras_) extras_ = std::make_unique<FutureExtras>();
  return *extras_;
}

void FutureBase::set_cancel_message(std::optional<std::string> msg) {
  if (!msg && !extras_) return;
  extras().cancel_message = std::move(msg);
}

CancelledError FutureBase::make_cancelled_error() const {
  if (const std::string* msg = cancel_message()) return CancelledError(*msg);
  return CancelledError();
}

void FutureBase::detach(TaskBase& task) noexcept { remove_done_callback(&task.wait_node()); }

void FutureBase::check_result() {
  if (state_ == State::cancelled) throw make_cancelled_error();
  if (state_ != State::finished) throw InvalidStateError("Result is not set.");
  flags_ &= ~kLogTraceback;
  if (has_exception()) std::rethrow_exception(extras_->exception);
}

std::exception_ptr FutureBase::exception() {
  if (state_ == State::cancelled) throw make_cancelled_error();
  if (state_ != State::finished) throw InvalidStateError("Exception is not set.");
  flags_ &= ~kLogTraceback;
  return peek_exception();
}

void FutureBase::check_settable(const char* operation) const {
  if (is_task()) throw RuntimeError(std::string("Task does not support ") + operation + " operation");
  // CPython's C Future (the one asyncio uses) says just "invalid state".
  if (state_ != State::pending) throw InvalidStateError("invalid state");
}

void FutureBase::set_exception(std::exception_ptr e) {
  check_settable("set_exception");
  if (!e) throw TypeError("set_exception() needs an exception, got an empty exception_ptr");
  store_exception(std::move(e));
}

void FutureBase::store_exception(std::exception_ptr e) {
  extras().exception = std::move(e);
  extras_->loop_identity = loop_identity(loop_);
  state_ = State::finished;
  flags_ |= kLogTraceback;
  schedule_callbacks();
}

void FutureBase::finish_with_value() {
  state_ = State::finished;
  schedule_callbacks();
}

void FutureBase::schedule_callbacks() {
  if (callbacks_tail_ == nullptr) return;
  DoneCallback* n = take_list(callbacks_tail_);
  if (loop_->is_closed()) {
    // Python: call_soon() raises on a closed loop; the callbacks are lost.
    while (n) {
      DoneCallback* next = n->next();
      n->discard();
      n = next;
    }
    detail::LoopInternals::throw_closed();
  }
  while (n) {
    DoneCallback* next = n->next();
    n->fire(*this);
    n = next;
  }
}

void FutureBase::add_done_callback(DoneCallback* cb) {
  if (state_ != State::pending) {
    cb->fire(*this);
    return;
  }
  if (callbacks_tail_ == nullptr) {
    cb->set_next(cb);
  } else {
    cb->set_next(callbacks_tail_->next());
    callbacks_tail_->set_next(cb);
  }
  callbacks_tail_ = cb;
}

bool FutureBase::remove_done_callback(DoneCallback* cb) noexcept {
  // Compares pointers only: `cb` may be stale (already run and freed).
  DoneCallback* tail = callbacks_tail_;
  if (tail == nullptr) return false;
  DoneCallback* prev = tail;
  do {
    if (prev->next() == cb) {
      if (cb == prev) {
        callbacks_tail_ = nullptr;  // it was the only one
      } else {
        prev->set_next(cb->next());
        if (cb == tail) callbacks_tail_ = prev;
      }
      cb->set_next(nullptr);
      return true;
    }
    prev = prev->next();
  } while (prev != tail);
  return false;
}

bool FutureBase::has_done_callback(const DoneCallback* cb) const noexcept {
  const DoneCallback* tail = callbacks_tail_;
  if (tail == nullptr) return false;
  const DoneCallback* n = tail;
  do {
    if (n == cb) return true;
    n = n->next();
  } while (n != tail);
  return false;
}

std::string FutureBase::state_repr() const {
  switch (state_) {
    case State::pending: return "pending";
    case State::cancelled: return "cancelled";
    case State::finished: break;
  }
  if (has_exception()) return "finished exception=" + exception_repr(extras_->exception);
  return "finished result=" + result_repr();
}

std::string FutureBase::repr() const { return "<Future " + state_repr() + created_at_repr() + ">"; }

std::string FutureBase::created_at_repr() const {
  // Python: base_futures._future_repr_info, "created at file:line".
  const detail::SourceLocation* where = created_at();
  if (where == nullptr) return {};
  return std::string(" created at ") + where->file_name() + ":" + std::to_string(where->line_number());
}

std::string source_traceback_repr(const detail::SourceLocation& where) {
  // Python: the 'source_traceback' entry default_exception_handler logs.
  std::string out = std::string("Object created at (most recent call last):\n  File \"") + where.file_name() +
                    "\", line " + std::to_string(where.line_number()) + ", in ";
  out.append(where.function_name());
  return out;
}

}  // namespace asyncio::detail
