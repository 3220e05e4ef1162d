// Futures. Python: asyncio.futures (Future, isfuture).
//
// Future<T> is a reference-counted handle: copies refer to the same future,
// like Python references to one object. Not thread-safe (use
// call_soon_threadsafe or run_coroutine_threadsafe from other threads).
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "asyncio/coroutines.hpp"
#include "asyncio/detail/future_base.hpp"
#include "asyncio/detail/repr.hpp"
#include "asyncio/detail/task_base.hpp"
#include "asyncio/events.hpp"

namespace asyncio {

class AnyFuture;
template <class T = void>
class Future;

/// Identifies a callback registered with add_done_callback(), for
/// remove_done_callback(). Divergence: Python compares callables; C++
/// callables are not comparable, so registration returns this token.
class DoneCallbackId {
 public:
  DoneCallbackId() noexcept = default;
  DoneCallbackId(detail::DoneCallback* node, std::uint64_t serial) noexcept : node_(node), serial_(serial) {}
  detail::DoneCallback* node() const noexcept { return node_; }
  std::uint64_t serial() const noexcept { return serial_; }
  friend bool operator==(DoneCallbackId a, DoneCallbackId b) noexcept {
    return a.node_ == b.node_ && a.serial_ == b.serial_;
  }

 private:
  detail::DoneCallback* node_ = nullptr;
  std::uint64_t serial_ = 0;  // tells a registration from a later one at the same address
};

namespace detail {

// Not final: the futures of gather() and shield() derive from it.
template <class T>
class FutureState : public FutureBase {
 public:
  explicit FutureState(EventLoop* loop) noexcept : FutureBase(loop) {}
  ~FutureState() override {
    if (has_value()) value_.destroy();
  }
  template <class... A>
  void set_result(A&&... args) {
    check_settable("set_result");
    value_.emplace(std::forward<A>(args)...);
    finish_with_value();
  }
  void* value_ptr() noexcept override { return value_.get(); }

 protected:
  std::string result_repr() const override { return value_.repr(); }

 private:
  ResultSlot<T> value_;
};

// A done callback registered by the user.
class UserDoneCallbackBase : public CallbackNode, public Pooled {
 public:
  UserDoneCallbackBase() noexcept : serial_(++tls_serial) {}
  std::uint64_t serial() const noexcept { return serial_; }

 protected:
  ~UserDoneCallbackBase() = default;  // nodes delete themselves (fire/discard)

 private:
  static inline thread_local std::uint64_t tls_serial = 0;
  std::uint64_t serial_;
};

// On completion it schedules f(handle) through call_soon, as Python's
// add_done_callback does.
template <class Handle, class F>
class UserDoneCallback final : public UserDoneCallbackBase {
 public:
  explicit UserDoneCallback(F f) : f_(std::move(f)) {}
  void on_fire(FutureBase& future) override {
    Handle handle(&future, /*retain=*/true);
    EventLoop* loop = future.loop();
    F f = std::move(f_);
    delete this;
    loop->call_soon(std::move(f), std::move(handle));
  }
  void on_discard() noexcept override { delete this; }

 private:
  F f_;
};

// Gets a future's value for an await: copies, unless the value cannot be
// copied or this await holds the only reference (then it moves).
template <class T>
T take_result(FutureBase& state, bool may_move) {
  T* value = static_cast<T*>(state.value_ptr());
  if constexpr (!std::is_copy_constructible_v<T>) {
    return std::move(*value);
  } else if constexpr (std::is_move_constructible_v<T>) {
    if (may_move) return std::move(*value);
    return *value;
  } else {
    return *value;
  }
}

// Suspends a task until a future is done. Python: Future.__await__ plus the
// task side of __step (add_done_callback(__wakeup), _fut_waiter).
// The wake-up node is the task's own (task_base.hpp), so the awaiter is one
// word: the future, with two flag bits.
template <class T>
class FutureAwaiter {
 public:
  using asyncio_awaiter = void;

  FutureAwaiter(FutureBase* future, bool rvalue) noexcept
      : bits_(reinterpret_cast<std::uintptr_t>(future) | (rvalue ? kRvalue : 0)) {
    future->add_ref();
  }
  // Only before the await starts (GCC moves awaiters await_transform passes
  // through).
  FutureAwaiter(FutureAwaiter&& o) noexcept : bits_(o.bits_) { future()->add_ref(); }
  FutureAwaiter& operator=(FutureAwaiter&&) = delete;
  ~FutureAwaiter() { future()->release(); }

  bool await_ready() const noexcept { return future()->done(); }

  void await_suspend(detail::AsyncioHandle h) {
    TaskBase& task = require_current_task("await a future");
    FutureBase* fut = future();
    bits_ |= kSuspended;
    if (fut->loop() != task.loop()) {
      task.suspend_with_error(h, std::make_exception_ptr(RuntimeError("Task " + task.repr() + " got Future " +
                                                                      fut->repr() + " attached to a different loop")));
      return;
    }
    if (fut == &task) {
      task.suspend_with_error(h,
                              std::make_exception_ptr(RuntimeError("Task cannot await on itself: " + task.repr())));
      return;
    }
    fut->add_done_callback(&task.wait_node());
    task.suspend_on(h, fut);
  }

  T await_resume() {
    if (bits_ & kSuspended) current_task_base()->resume_point();
    FutureBase* fut = future();
    fut->check_result();
    if constexpr (!std::is_void_v<T>) {
      // Two references (the awaited handle and ours) and an rvalue await:
      // nobody else can see the value, so it can be moved out.
      return take_result<T>(*fut, (bits_ & kRvalue) && fut->ref_count() <= 2);
    }
  }

 private:
  static constexpr std::uintptr_t kRvalue = 1;
  static constexpr std::uintptr_t kSuspended = 2;
  FutureBase* future() const noexcept {
    // NOLINTNEXTLINE(performance-no-int-to-ptr): tagged pointer, one word per awaiter
    return reinterpret_cast<FutureBase*>(bits_ & ~(kRvalue | kSuspended));
  }
  std::uintptr_t bits_;
};

}  // namespace detail

/// A future of any result type: the untyped view every Future<T> and Task<T>
/// converts to (what exception handlers and all_tasks() hand out).
/// Python: asyncio.Future (without a result type)
class AnyFuture {
 public:
  /// An empty handle.
  AnyFuture() noexcept = default;
  /// Refers to `state`; `retain` adds a reference, otherwise one is adopted.
  AnyFuture(detail::FutureBase* state, bool retain) noexcept : s_(state) {
    if (s_ && retain) s_->add_ref();
  }
  AnyFuture(const AnyFuture& o) noexcept : s_(o.s_) {
    if (s_) s_->add_ref();
  }
  AnyFuture(AnyFuture&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  AnyFuture& operator=(const AnyFuture& o) noexcept {
    AnyFuture copy(o);  // NOLINT(performance-unnecessary-copy-initialization): swapped in; the old state is released
    std::swap(s_, copy.s_);
    return *this;
  }
  AnyFuture& operator=(AnyFuture&& o) noexcept {
    AnyFuture moved(std::move(o));
    std::swap(s_, moved.s_);
    return *this;
  }
  ~AnyFuture() {
    if (s_) s_->release();
  }

  /// False for an empty handle.
  explicit operator bool() const noexcept { return s_ != nullptr; }

  /// Python: Future.done()
  bool done() const { return state().done(); }
  /// Python: Future.cancelled()
  bool cancelled() const { return state().cancelled(); }
  /// Cancels the future and schedules its callbacks; false if already done.
  /// Python: Future.cancel()
  bool cancel() { return state().cancel(std::nullopt); }
  /// Cancels with a message the awaiters' CancelledError carries.
  /// Python: Future.cancel(msg)
  bool cancel(std::string msg) {  // NOLINT(performance-unnecessary-value-param): moved (tidy misreads state())
    return state().cancel(std::move(msg));
  }
  /// The exception the future finished with (nullptr if it succeeded).
  /// CancelledError if cancelled, InvalidStateError if pending.
  /// Python: Future.exception()
  std::exception_ptr exception() const { return state().exception(); }
  /// Finishes the future with an exception. InvalidStateError if done;
  /// RuntimeError for a task. Python: Future.set_exception()
  void set_exception(std::exception_ptr e) {  // NOLINT(performance-unnecessary-value-param): moved, as above
    state().set_exception(std::move(e));
  }
  template <class E>
    requires(!std::is_same_v<std::decay_t<E>, std::exception_ptr>)
  void set_exception(E&& e) {
    set_exception(std::make_exception_ptr(std::forward<E>(e)));
  }
  /// Raises what result() would raise, without a value: CancelledError,
  /// InvalidStateError, or the stored exception.
  void check_result() const { state().check_result(); }

  /// Schedules `f(future)` (with an AnyFuture) once the future is done;
  /// at once (through call_soon) if it already is.
  /// Python: Future.add_done_callback()
  template <class F>
  DoneCallbackId add_done_callback(F&& f) {
    return register_callback(new detail::UserDoneCallback<AnyFuture, std::decay_t<F>>(std::forward<F>(f)));
  }
  /// Unregisters a callback; returns how many were removed (0 or 1).
  /// Python: Future.remove_done_callback()
  std::size_t remove_done_callback(DoneCallbackId id) noexcept {
    if (!s_ || !id.node() || !s_->has_done_callback(id.node())) return 0;
    auto* node = static_cast<detail::UserDoneCallbackBase*>(static_cast<detail::CallbackNode*>(id.node()));
    if (id.node()->is_task_node() || node->serial() != id.serial()) return 0;
    s_->remove_done_callback(node);
    node->discard();
    return 1;
  }

  /// Python: Future.get_loop()
  EventLoop& get_loop() const { return *state().loop(); }
  /// Python: repr(future)
  std::string repr() const { return s_ ? s_->repr() : "<Future empty>"; }
  /// True if this future is a task.
  bool is_task() const noexcept { return s_ && s_->is_task(); }

  /// Waits for the future; rethrows its exception. Python: await future
  detail::FutureAwaiter<void> operator co_await() const noexcept { return {s_, false}; }

  detail::FutureBase* state_ptr() const noexcept { return s_; }
  friend bool operator==(const AnyFuture& a, const AnyFuture& b) noexcept { return a.s_ == b.s_; }

 protected:
  DoneCallbackId register_callback(detail::UserDoneCallbackBase* node) {
    DoneCallbackId id(node, node->serial());
    state().add_done_callback(node);
    return id;
  }

 public:
  friend bool operator<(const AnyFuture& a, const AnyFuture& b) noexcept { return a.s_ < b.s_; }

 protected:
  detail::FutureBase& state() const {
    if (!s_) throw InvalidStateError("empty future handle");
    return *s_;
  }
  detail::FutureBase* s_ = nullptr;
};

/// A future whose result is a T. Python: asyncio.Future
template <class T>
class Future : public AnyFuture {
 public:
  using value_type = T;

  /// A new pending future on the current event loop (get_event_loop()).
  /// Python: asyncio.Future()
  Future() : Future(get_event_loop()) {}
  /// A new pending future on `loop`. Python: asyncio.Future(loop=loop)
  explicit Future(EventLoop& loop) : AnyFuture(new detail::FutureState<T>(&loop), false) {}
  /// Refers to an existing future state (library use).
  Future(detail::FutureBase* state, bool retain) noexcept : AnyFuture(state, retain) {}

  /// The result. CancelledError if cancelled, InvalidStateError if pending,
  /// the stored exception if it failed. Python: Future.result()
  decltype(auto) result() const {
    state().check_result();
    if constexpr (!std::is_void_v<T>) return static_cast<const T&>(*static_cast<T*>(s_->value_ptr()));
  }

  /// Finishes the future with a value and schedules its callbacks.
  /// InvalidStateError if done; RuntimeError for a task.
  /// Python: Future.set_result()
  template <class... A>
  void set_result(A&&... value) {
    static_cast<detail::FutureState<T>&>(typed_settable()).set_result(std::forward<A>(value)...);
  }

  /// Schedules `f(future)` (with a Future<T>) once done.
  /// Python: Future.add_done_callback()
  template <class F>
  DoneCallbackId add_done_callback(F&& f) {
    return this->register_callback(new detail::UserDoneCallback<Future<T>, std::decay_t<F>>(std::forward<F>(f)));
  }

  /// Waits for the future and returns its result. Python: await future
  detail::FutureAwaiter<T> operator co_await() const& noexcept { return {s_, false}; }
  detail::FutureAwaiter<T> operator co_await() && noexcept { return {s_, true}; }

 private:
  detail::FutureBase& typed_settable() const {
    detail::FutureBase& s = state();
    s.check_settable("set_result");
    return s;
  }
};

/// True for futures and tasks. Python: asyncio.isfuture()
template <class X>
constexpr bool isfuture(const X&) noexcept {
  return std::is_base_of_v<AnyFuture, X>;
}

template <class T>
Future<T> EventLoop::create_future(detail::SourceLocation where) {
  Future<T> future(*this);
  if (debug_) future.state_ptr()->set_created_at(where);
  return future;
}

}  // namespace asyncio

template <>
struct std::hash<asyncio::AnyFuture> {
  std::size_t operator()(const asyncio::AnyFuture& f) const noexcept {
    return std::hash<const void*>()(f.state_ptr());
  }
};
