// Callback handles returned by call_soon(), call_later(), call_at() and
// call_soon_threadsafe(). Python: asyncio.Handle, asyncio.TimerHandle.
//
// A handle is a reference-counted node. The loop's ready queue (or timer
// heap) owns one reference, every Handle object another; the node and its
// callable are released when both are gone. Nodes come from the per-thread
// pool, so scheduling a small callable does not allocate once the pool is warm.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include "asyncio/contextvars.hpp"
#include "asyncio/detail/context_state.hpp"
#include "asyncio/detail/demangle.hpp"
#include "asyncio/detail/pool.hpp"

namespace asyncio {

class EventLoop;

namespace detail {

/// An entry of the loop's ready queue.
class Runnable {
 public:
  /// Runs the entry. The queue's reference to the entry passes to run().
  virtual void run() = 0;
  /// Drops the entry without running it (the loop was closed).
  virtual void discard() noexcept = 0;
  /// What the entry runs, for debug logs ("Handle f()", "Task 'Task-1'").
  virtual std::string describe() const = 0;

 protected:
  ~Runnable() = default;
};

class HandleNode;
// Reports an exception escaping a callback to the loop's exception handler;
// rethrows KeyboardInterrupt and SystemExit. Called inside a catch block.
void report_callback_error(HandleNode& node);
// Tells the loop one of its scheduled timers was cancelled (lazy removal).
void note_timer_cancelled(EventLoop* loop) noexcept;

/// A scheduled callback: what asyncio calls a Handle.
class HandleNode : public Runnable, public Pooled {
 public:
  enum class Kind : std::uint8_t { soon, timer, threadsafe };

  HandleNode(EventLoop* loop, Kind kind) noexcept : loop_(loop), kind_(kind) {}
  HandleNode(const HandleNode&) = delete;
  HandleNode& operator=(const HandleNode&) = delete;
  virtual ~HandleNode() {
    if (context_ != nullptr) [[unlikely]]
      release_context(context_);
  }

  // Invariant: only threadsafe nodes are shared between threads, so only
  // they pay for atomic read-modify-write reference counting.
  void add_ref() noexcept {
    if (kind_ == Kind::threadsafe)
      refs_.fetch_add(1, std::memory_order_relaxed);
    else
      refs_.store(refs_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  void release() noexcept {
    if (kind_ == Kind::threadsafe) {
      if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
    } else {
      std::uint32_t n = refs_.load(std::memory_order_relaxed) - 1;
      refs_.store(n, std::memory_order_relaxed);
      if (n == 0) delete this;
    }
  }

  EventLoop* loop() const noexcept { return loop_; }
  Kind kind() const noexcept { return kind_; }
  bool cancelled() const noexcept;
  void cancel() noexcept;

  // Timers only.
  double when() const noexcept { return when_; }
  void set_when(double when) noexcept { when_ = when; }
  bool scheduled() const noexcept { return scheduled_; }
  void set_scheduled(bool s) noexcept { scheduled_ = s; }

  /// The context the callback runs in (null: an empty one, made on first
  /// write); set once, before the node is queued. Adopts one reference.
  void set_context(ContextState* context) noexcept { context_ = context; }
  ContextState*& context_slot() noexcept { return context_; }

  void run() override {
    if (kind_ == Kind::threadsafe) {
      run_locked();
      return;
    }
    ReleaseOnExit guard{this};
    if (cancelled_) return;
    call();
  }
  void discard() noexcept override;
  std::string describe() const override;
  /// Python's repr(handle): "<Handle f() at ...>", "<TimerHandle when=1.5 f()>".
  std::string repr() const;
  /// The callback's name (its C++ type, demangled).
  virtual std::string callback_name() const = 0;

 protected:
  virtual void invoke() = 0;
  virtual void drop_callback() noexcept = 0;
  bool callback_alive_ = true;

 private:
  // Timers: FIFO order among equal deadlines (detail/timer_heap.hpp).
  // Declared here, it fills the padding after callback_alive_.
  std::uint32_t timer_seq_ = 0;
  friend std::uint32_t timer_seq_of(const HandleNode* node) noexcept;
  friend void set_timer_seq(HandleNode* node, std::uint32_t seq) noexcept;

  struct ReleaseOnExit {
    HandleNode* node;
    ~ReleaseOnExit() { node->release(); }
  };

  void call() {
    // Python: Handle._run runs the callback in the handle's context; so
    // does the exception handler it calls.
    ContextSwitch in_context(context_);
    running_ = true;
    try {
      invoke();
    } catch (...) {
      running_ = false;
      report_callback_error(*this);
    }
    running_ = false;
    // Python drops the callback as soon as a handle is cancelled; a callback
    // that cancels its own handle is dropped once it returns.
    if (cancelled_) drop_callback_once();
  }
  void run_locked();
  void cancel_unlocked() noexcept;
  void drop_callback_once() noexcept;

  EventLoop* loop_;
  ContextState* context_ = nullptr;
  std::atomic<std::uint32_t> refs_{1};
  Kind kind_;
  bool cancelled_ = false;
  bool running_ = false;
  bool scheduled_ = false;
  double when_ = 0.0;
};

inline std::uint32_t timer_seq_of(const HandleNode* node) noexcept { return node->timer_seq_; }
inline void set_timer_seq(HandleNode* node, std::uint32_t seq) noexcept { node->timer_seq_ = seq; }

// A handle made by call_soon_threadsafe(): Python 3.14's _ThreadSafeHandle.
// cancel() and the callback's run exclude each other through this mutex
// (recursive, so a callback may cancel its own handle).
// Invariant: the callable is destroyed in the loop's thread (after it runs,
// when the loop finds it cancelled, or when the loop is closed), never by
// a cancel() from another thread: its captures may be shared, without
// atomics, with the loop's other callbacks. Only a callable the loop never
// accepted (call_soon_threadsafe() on a closed loop) dies in the caller.
class LockedHandleNode : public HandleNode {
 public:
  using HandleNode::HandleNode;
  std::recursive_mutex mutex;
};

// A node holding callable F and its arguments, on top of Base.
template <class Base, class F, class... Args>
class BoundHandle final : public Base {
 public:
  using Kind = HandleNode::Kind;
  template <class G, class... A>
  BoundHandle(EventLoop* loop, Kind kind, G&& f, A&&... args) : Base(loop, kind) {
    ::new (static_cast<void*>(&stored_)) Stored{std::forward<G>(f), std::tuple<Args...>(std::forward<A>(args)...)};
  }
  ~BoundHandle() override {
    if (this->callback_alive_) stored_.~Stored();
  }
  std::string callback_name() const override { return type_name(typeid(F)); }

 private:
  struct Stored {
    F f;
    std::tuple<Args...> args;
  };
  void invoke() override {
    std::apply([this](Args&... a) { std::invoke(stored_.f, a...); }, stored_.args);
  }
  void drop_callback() noexcept override { stored_.~Stored(); }

  union {
    Stored stored_;
  };
};

template <HandleNode::Kind K, class F, class... Args>
HandleNode* make_handle(EventLoop* loop, F&& f, Args&&... args) {
  using Base = std::conditional_t<K == HandleNode::Kind::threadsafe, LockedHandleNode, HandleNode>;
  using Node = BoundHandle<Base, std::decay_t<F>, std::decay_t<Args>...>;
  return new Node(loop, K, std::forward<F>(f), std::forward<Args>(args)...);
}

}  // namespace detail

/// A callback scheduled by call_soon() or call_soon_threadsafe(); cancel() it
/// to keep it from running. Copies share the callback. Not thread-safe,
/// except for handles returned by call_soon_threadsafe(), whose cancel() may
/// be called from any thread.
/// Python: asyncio.Handle
class Handle {
 public:
  /// An empty handle, bound to no callback.
  Handle() noexcept = default;
  /// Adopts one reference to `node`.
  explicit Handle(detail::HandleNode* node) noexcept : node_(node) {}
  Handle(const Handle& other) noexcept : node_(other.node_) {
    if (node_) node_->add_ref();
  }
  Handle(Handle&& other) noexcept : node_(std::exchange(other.node_, nullptr)) {}
  // NOLINTNEXTLINE(performance-unnecessary-value-param): copy-and-swap, one operator for copy and move
  Handle& operator=(Handle other) noexcept {
    std::swap(node_, other.node_);
    return *this;
  }
  ~Handle() {
    if (node_) node_->release();
  }

  /// Cancels the callback; does nothing if it already ran or was cancelled.
  /// Python: Handle.cancel()
  void cancel() noexcept {
    if (node_) node_->cancel();
  }
  /// True if the callback was cancelled. Python: Handle.cancelled()
  bool cancelled() const noexcept { return node_ && node_->cancelled(); }
  /// Python: repr(handle)
  std::string repr() const { return node_ ? node_->repr() : "<Handle empty>"; }
  /// The context the callback runs in: the one given to call_soon() (or
  /// call_later()...), else the copy of the current context taken then.
  /// RuntimeError for an empty handle. Loop thread only.
  /// Python: Handle.get_context()
  Context get_context() const;
  /// False for a default-constructed handle.
  explicit operator bool() const noexcept { return node_ != nullptr; }
  friend bool operator==(const Handle& a, const Handle& b) noexcept { return a.node_ == b.node_; }
  /// The node behind the handle (library use).
  detail::HandleNode* node() const noexcept { return node_; }

 protected:
  detail::HandleNode* node_ = nullptr;
};

/// A callback scheduled for a time by call_later() or call_at().
/// Python: asyncio.TimerHandle
class TimerHandle : public Handle {
 public:
  TimerHandle() noexcept = default;
  explicit TimerHandle(detail::HandleNode* node) noexcept : Handle(node) {}
  /// The loop time at which the callback is scheduled. Python: TimerHandle.when()
  double when() const noexcept { return node_ ? node_->when() : 0.0; }
};

}  // namespace asyncio
