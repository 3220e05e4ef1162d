#include "asyncio/handles.hpp"

#include <cstdio>

namespace asyncio::detail {

namespace {
std::recursive_mutex& lock_of(const HandleNode* node) {
  return static_cast<LockedHandleNode*>(const_cast<HandleNode*>(node))->mutex;
}
}  // namespace

bool HandleNode::cancelled() const noexcept {
  if (kind_ == Kind::threadsafe) {
    std::lock_guard<std::recursive_mutex> lock(lock_of(this));
    return cancelled_;
  }
  return cancelled_;
}

void HandleNode::cancel() noexcept {
  if (kind_ == Kind::threadsafe) {
    std::lock_guard<std::recursive_mutex> lock(lock_of(this));
    cancel_unlocked();
    return;
  }
  cancel_unlocked();
}

void HandleNode::cancel_unlocked() noexcept {
  if (cancelled_) return;
  // Python: TimerHandle.cancel() -> loop._timer_handle_cancelled(); counted
  // only while the timer sits in the heap, for the lazy purge.
  if (kind_ == Kind::timer && scheduled_) note_timer_cancelled(loop_);
  cancelled_ = true;
  // A threadsafe handle may be cancelled from any thread: its callable is
  // dropped by the loop's thread (run_locked(), discard()).
  if (kind_ != Kind::threadsafe) drop_callback_once();
}

void HandleNode::drop_callback_once() noexcept {
  if (running_ || !callback_alive_) return;
  callback_alive_ = false;
  drop_callback();
}

void HandleNode::run_locked() {
  ReleaseOnExit guard{this};  // declared first: released after the unlock
  std::lock_guard<std::recursive_mutex> lock(lock_of(this));
  if (!cancelled_) call();
  // In the loop's thread: the callable goes now, ran or cancelled, so that
  // a Handle released last by another thread does not destroy it there.
  drop_callback_once();
}

void HandleNode::discard() noexcept {
  if (kind_ == Kind::threadsafe) {
    // The loop is closing, in its thread: as in run_locked().
    std::lock_guard<std::recursive_mutex> lock(lock_of(this));
    drop_callback_once();
  }
  release();
}

std::string HandleNode::repr() const {
  std::string out = kind_ == Kind::timer ? "<TimerHandle" : "<Handle";
  bool is_cancelled = cancelled();
  if (is_cancelled) out += " cancelled";
  if (kind_ == Kind::timer) {
    char buf[64];
    std::snprintf(buf, sizeof buf, " when=%.17g", when_);
    out += buf;
  }
  // Python shows the callback until the handle is cancelled (cancel()
  // drops it); callback_name() needs only the callable's type.
  if (!is_cancelled) out += " " + callback_name() + "()";
  out += ">";
  return out;
}

std::string HandleNode::describe() const { return repr(); }

}  // namespace asyncio::detail

namespace asyncio {

Context Handle::get_context() const {
  if (node_ == nullptr) throw RuntimeError("an empty Handle has no context");
  detail::ContextState& state = detail::materialize_slot(node_->context_slot());
  state.add_ref();
  return Context(&state);
}

}  // namespace asyncio
