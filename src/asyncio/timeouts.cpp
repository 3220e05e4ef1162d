// Timeouts. Python: asyncio.timeouts.
#include "asyncio/timeouts.hpp"

#include <cmath>

#include "asyncio/detail/repr.hpp"
#include "asyncio/detail/loop_internals.hpp"

namespace asyncio {

Timeout::~Timeout() {
  handler_.cancel();
  if (task_ != nullptr) task_->release();
}

void Timeout::reschedule(std::optional<double> when) {
  // Python: Timeout.reschedule
  if (state_ != State::entered) {
    if (state_ == State::created) throw RuntimeError("Timeout has not been entered");
    const char* name = state_ == State::expiring ? "expiring" : state_ == State::expired ? "expired" : "finished";
    throw RuntimeError(std::string("Cannot change state of ") + name + " Timeout");
  }
  when_ = when;
  handler_.cancel();
  if (!when) {
    handler_ = Handle();
    return;
  }
  EventLoop& loop = get_running_loop();
  if (*when <= loop.time())
    handler_ = loop.call_soon([this] { on_timeout(); });
  else
    handler_ = loop.call_at(*when, [this] { on_timeout(); });
}

std::string Timeout::repr() const {
  const char* state = "created";
  switch (state_) {
    case State::created: state = "created"; break;
    case State::entered: state = "active"; break;
    case State::expiring: state = "expiring"; break;
    case State::expired: state = "expired"; break;
    case State::exited: state = "finished"; break;
  }
  std::string out = std::string("<Timeout [") + state + "]";
  if (state_ == State::entered) {
    out += " when=";
    out += when_ ? detail::float_repr(std::round(*when_ * 1000) / 1000) : std::string("None");
  }
  return out + ">";
}

void Timeout::enter() {
  // Python: Timeout.__aenter__
  if (state_ != State::created) throw RuntimeError("Timeout has already been entered");
  EventLoop& loop = get_running_loop();
  detail::TaskBase* task = detail::internals(loop).current_task();
  if (task == nullptr) throw RuntimeError("Timeout should be used inside a task");
  state_ = State::entered;
  task->add_ref();
  task_ = task;
  cancelling_ = task->cancelling();
  reschedule(when_);
}

std::exception_ptr Timeout::exit(const std::exception_ptr& exc) {
  // Python: Timeout.__aexit__
  handler_.cancel();
  handler_ = Handle();
  std::exception_ptr replacement;
  if (state_ == State::expiring) {
    state_ = State::expired;
    // The timeout converts the cancellation only if it is the one it
    // requested: no other cancel() arrived since the block was entered.
    if (task_->uncancel() <= cancelling_ && exc) {
      try {
        std::rethrow_exception(exc);
      } catch (const CancelledError&) {
        replacement = std::make_exception_ptr(TimeoutError());
      } catch (...) {  // NOLINT(bugprone-empty-catch): see the comment
        // Divergence: Python 3.13 inserts a TimeoutError into the
        // exception's context chain; C++ exceptions have none.
      }
    }
  } else if (state_ == State::entered) {
    state_ = State::exited;
  }
  if (task_ != nullptr) std::exchange(task_, nullptr)->release();
  return replacement;
}

void Timeout::on_timeout() {
  // Python: Timeout._on_timeout
  task_->cancel(std::nullopt);
  state_ = State::expiring;
  handler_ = Handle();  // drop the reference early
}

Timeout timeout(std::optional<double> delay) {
  EventLoop& loop = get_running_loop();
  return Timeout(delay ? std::optional<double>(loop.time() + *delay) : std::nullopt);
}

}  // namespace asyncio
