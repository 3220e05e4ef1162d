// Waiting for futures: wait(), wait_for(), as_completed().
// Python: asyncio.wait, asyncio.wait_for, asyncio.as_completed (tasks.py).
//
//   auto [done, pending] = co_await asyncio::wait(tasks, {.timeout = 1.0});
//   int v = co_await asyncio::wait_for(fetch(), 1s);
//   for (auto next : asyncio::as_completed(std::move(coros))) int v = co_await next;
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <iterator>
#include <memory>
#include <optional>
#include <ranges>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "asyncio/coroutines.hpp"
#include "asyncio/detail/awaitables.hpp"
#include "asyncio/detail/blocks.hpp"
#include "asyncio/detail/child_node.hpp"
#include "asyncio/events.hpp"
#include "asyncio/futures.hpp"
#include "asyncio/tasks.hpp"
#include "asyncio/timeouts.hpp"

namespace asyncio {

/// When wait() returns. Python: asyncio.FIRST_COMPLETED, ...
enum class ReturnWhen : std::uint8_t {
  /// As soon as any future finishes or is cancelled.
  FIRST_COMPLETED,
  /// As soon as any future finishes with an exception (a cancellation does
  /// not count), else when all are done: ALL_COMPLETED.
  FIRST_EXCEPTION,
  /// When every future is done.
  ALL_COMPLETED,
};
/// Python: asyncio.FIRST_COMPLETED
inline constexpr ReturnWhen FIRST_COMPLETED = ReturnWhen::FIRST_COMPLETED;
/// Python: asyncio.FIRST_EXCEPTION
inline constexpr ReturnWhen FIRST_EXCEPTION = ReturnWhen::FIRST_EXCEPTION;
/// Python: asyncio.ALL_COMPLETED
inline constexpr ReturnWhen ALL_COMPLETED = ReturnWhen::ALL_COMPLETED;

/// Options of wait(). Python: the keyword arguments of asyncio.wait().
struct WaitOptions {
  /// Seconds to wait at most; std::nullopt waits as long as it takes.
  std::optional<double> timeout{};
  /// When to return.
  ReturnWhen return_when = ReturnWhen::ALL_COMPLETED;
};

/// What wait() returns: the futures done and those still pending, each in
/// the order they were given. Python: the (done, pending) pair of sets.
/// Divergence: vectors (in the given order) rather than sets.
template <class F>
struct WaitResult {
  std::vector<F> done;
  std::vector<F> pending;
};

namespace detail {

// Python: wait()'s _wait helper: a waiter future released by the children's
// done callbacks (_on_completion) or by the timeout.
class WaitState final : public FutureState<void>, public ChildListener {
 public:
  WaitState(EventLoop* loop, std::vector<FutureBase*> fs, ReturnWhen when);
  ~WaitState() override;
  /// Registers the callbacks and the timeout.
  void start(std::optional<double> timeout);
  /// Python: the finally block: the timeout and the callbacks go.
  void stop() noexcept;

  void on_child_done(std::uint32_t index) override;
  void retain() noexcept override { add_ref(); }
  void unretain() noexcept override { release(); }
  FutureBase* graph_awaiter() const noexcept override { return task_; }

 private:
  void release_waiter() noexcept;
  std::vector<FutureBase*> fs_;  // with references
  std::unique_ptr<ChildNode[]> nodes_;
  Handle timeout_handle_;
  TaskBase* task_ = nullptr;  // with a reference
  std::size_t counter_;
  ReturnWhen return_when_;
};

template <class F>
Coro<WaitResult<F>> wait(std::vector<F> fs, WaitOptions options) {
  // Python: asyncio.wait / _wait
  if (fs.empty()) throw ValueError("Set of Tasks/Futures is empty.");
  if (options.return_when != ReturnWhen::FIRST_COMPLETED && options.return_when != ReturnWhen::FIRST_EXCEPTION &&
      options.return_when != ReturnWhen::ALL_COMPLETED) {
    throw ValueError("Invalid return_when value: " + std::to_string(static_cast<int>(options.return_when)));
  }
  EventLoop& loop = get_running_loop();
  // Python makes a set: the same future twice counts once.
  std::vector<F> uniq;
  std::vector<FutureBase*> states;
  uniq.reserve(fs.size());
  states.reserve(fs.size());
  for (F& f : fs) {
    FutureBase* s = f.state_ptr();
    if (s == nullptr) throw InvalidStateError("empty future handle");
    bool seen = false;
    for (FutureBase* t : states) seen = seen || t == s;
    if (seen) continue;
    states.push_back(s);
    uniq.push_back(std::move(f));
  }
  Future<void> waiter(new WaitState(&loop, states, options.return_when), /*retain=*/false);
  auto* state = static_cast<WaitState*>(waiter.state_ptr());
  state->start(options.timeout);
  try {
    co_await waiter;
  } catch (...) {
    state->stop();
    throw;
  }
  state->stop();
  WaitResult<F> out;
  for (F& f : uniq) (f.done() ? out.done : out.pending).push_back(std::move(f));
  co_return out;
}

}  // namespace detail

/// Waits for the futures (or tasks) until `return_when` says so or the
/// timeout passes, and returns which are done and which are pending. It
/// never cancels them and never raises TimeoutError. ValueError if `fs` is
/// empty. Coroutines are refused (at compile time): make tasks of them.
/// Python: asyncio.wait(fs, timeout=None, return_when=ALL_COMPLETED)
template <std::ranges::input_range Range>
  requires detail::FutureLike<detail::range_elem_t<Range>>
[[nodiscard]] Coro<WaitResult<detail::range_elem_t<Range>>> wait(Range&& fs, WaitOptions options = {}) {
  using F = detail::range_elem_t<Range>;
  std::vector<F> v;
  for (auto&& f : fs) v.push_back(f);
  return detail::wait(std::move(v), options);
}
/// Python: asyncio.wait() given coroutines: TypeError("Passing coroutines is
/// forbidden, use tasks explicitly."), here at compile time.
template <std::ranges::input_range Range>
  requires detail::IsCoro<detail::range_elem_t<Range>>::value
void wait(Range&&, WaitOptions = {}) = delete;

namespace detail {

// Python: tasks._cancel_and_wait: cancels `fut` and waits until it is done
// (not on `fut` itself, so that this wait stays cancellable).
Coro<void> cancel_and_wait(AnyFuture fut);

template <class A>
Coro<await_value_t<A>> wait_for(A aw, std::optional<double> timeout) {
  using T = await_value_t<A>;
  if (timeout && *timeout <= 0) {
    // Python: a coroutine does not even start: it becomes a task, which is
    // cancelled at once.
    Future<T> fut = ensure_future_on(std::move(aw), nullptr);
    if (!fut.done()) {
      co_await cancel_and_wait(fut);
      try {
        fut.check_result();
      } catch (const CancelledError&) {
        throw TimeoutError();
      }
    }
    if constexpr (std::is_void_v<T>) {
      fut.check_result();
      co_return;
    } else {
      fut.check_result();
      co_return take_result<T>(*fut.state_ptr(), fut.state_ptr()->ref_count() == 1);
    }
  }
  // Python 3.12+: async with timeouts.timeout(timeout): return await fut
  // A future is awaited as an lvalue (as capture() does too): `aw` is a
  // second handle to the caller's future, whose value must not be moved out.
  if constexpr (FutureLike<A>) {
    // An already finished future needs no timer: awaiting it does not
    // suspend, so the timeout could not fire.
    if (aw.done()) co_return co_await aw;
  }
  std::optional<double> when;
  if (timeout) when = get_running_loop().time() + *timeout;
  Timeout cm(when);
  cm.enter();
  Captured<T> out = co_await capture(std::move(aw));
  if (std::exception_ptr replacement = cm.exit(out.exception)) std::rethrow_exception(replacement);
  co_return out.take();
}

}  // namespace detail

/// Waits for `aw` (a coroutine runs in the calling task) at most `timeout`
/// seconds (std::nullopt: forever) and returns its result. On timeout the
/// awaitable is cancelled, its end awaited, and TimeoutError raised; if it
/// swallows the cancellation and returns a value, that value is returned.
/// Exceptions of `aw` propagate; cancelling the caller cancels `aw`. With
/// `timeout <= 0` a coroutine never starts. Python: asyncio.wait_for(aw, timeout)
template <class A>
  requires detail::Awaitable<A>
[[nodiscard]] Coro<detail::await_value_t<A>> wait_for(A&& aw, std::optional<double> timeout) {
  static_assert(!detail::IsCoro<std::remove_cvref_t<A>>::value || !std::is_lvalue_reference_v<A>,
                "wait_for(coro): pass the Coro as an rvalue (std::move): a Coro runs once");
  return detail::wait_for<std::remove_cvref_t<A>>(std::forward<A>(aw), timeout);
}
/// Python: asyncio.wait_for(aw, timeout)
template <class A, class Rep, class Period>
  requires detail::Awaitable<A>
[[nodiscard]] Coro<detail::await_value_t<A>> wait_for(A&& aw, std::chrono::duration<Rep, Period> timeout) {
  return detail::wait_for<std::remove_cvref_t<A>>(std::forward<A>(aw),
                                                   std::chrono::duration<double>(timeout).count());
}

/// Options of as_completed(). Python: its keyword arguments.
struct AsCompletedOptions {
  /// Seconds after which the remaining awaits raise TimeoutError.
  std::optional<double> timeout{};
};

namespace detail {

// Python: _AsCompletedIterator's state: the futures not yet seen done
// (_todo), the queue of those done (_done; a null entry is the timeout's
// sentinel), the timeout handle.
class AsCompletedState final : public ChildListener {
 public:
  AsCompletedState(EventLoop& loop, std::vector<FutureBase*> todo, std::optional<double> timeout);
  AsCompletedState(const AsCompletedState&) = delete;
  AsCompletedState& operator=(const AsCompletedState&) = delete;

  void on_child_done(std::uint32_t index) override;
  void retain() noexcept override { ++refs_; }
  void unretain() noexcept override {
    if (--refs_ == 0) delete this;
  }
  FutureBase* graph_awaiter() const noexcept override { return nullptr; }
  /// The iterator is gone: stop watching (queued callbacks become no-ops).
  void close() noexcept;

  /// Python: _wait_for_one: the next future done (TimeoutError after the
  /// timeout).
  Coro<FutureBase*> next_done();
  std::size_t todo_left = 0;

 private:
  ~AsCompletedState();
  void on_timeout();
  void wake_next_getter();

  EventLoop& loop_;
  std::vector<FutureBase*> todo_;  // with references
  std::unique_ptr<ChildNode[]> nodes_;
  std::size_t pending_;  // nodes still linked
  std::deque<FutureBase*> done_;
  std::deque<Future<void>> getters_;  // tasks waiting in next_done()
  Handle timeout_handle_;
  std::uint32_t refs_ = 1;
  bool timed_out_ = false;
};

// A counted reference to the state (loop thread only).
class AsCompletedRef {
 public:
  explicit AsCompletedRef(AsCompletedState* s) noexcept : s_(s) {}
  AsCompletedRef(const AsCompletedRef& o) noexcept : s_(o.s_) { s_->retain(); }
  AsCompletedRef& operator=(const AsCompletedRef&) = delete;
  ~AsCompletedRef() { s_->unretain(); }
  AsCompletedState* operator->() const noexcept { return s_; }

 private:
  AsCompletedState* s_;
};

template <class F>
Coro<std::optional<F>> as_completed_next(AsCompletedRef state) {
  // Python: _AsCompletedIterator.__anext__
  if (state->todo_left == 0) co_return std::nullopt;
  --state->todo_left;
  FutureBase* f = co_await state->next_done();
  co_return F(f, /*retain=*/true);
}

template <class T>
Coro<T> as_completed_result(AsCompletedRef state) {
  // Python: _AsCompletedIterator.__next__'s coroutine (resolve=True)
  FutureBase* f = co_await state->next_done();
  f->check_result();
  if constexpr (!std::is_void_v<T>) co_return take_result<T>(*f, false);
}

}  // namespace detail

/// The futures of as_completed(), in the order they finish. Use it as an
/// asynchronous iterator (next()) or a range of awaitables.
/// Python: the iterator returned by asyncio.as_completed()
template <class F>
class AsCompleted {
 public:
  using value_type = typename F::value_type;

  AsCompleted(AsCompleted&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  AsCompleted& operator=(AsCompleted&&) = delete;
  ~AsCompleted() {
    if (s_ != nullptr) {
      s_->close();
      s_->unretain();
    }
  }

  /// The next future to finish (the one given, or the task made for a
  /// coroutine), std::nullopt once all were returned. TimeoutError if the
  /// timeout passes first. Python: await anext(iterator) (async for)
  [[nodiscard]] Coro<std::optional<F>> next() { return detail::as_completed_next<F>(ref()); }

  /// The number of futures not yet returned.
  std::size_t size() const noexcept { return s_->todo_left; }

  /// Python's plain iteration: each element is a Coro<T> giving the result
  /// of the next future to finish (or raising its exception, or
  /// TimeoutError): `for (auto next : as_completed(...)) T v = co_await next;`
  class iterator {
   public:
    using value_type = Coro<typename F::value_type>;
    using difference_type = std::ptrdiff_t;
    iterator() noexcept = default;
    explicit iterator(AsCompleted* owner) noexcept : owner_(owner) {}
    value_type operator*() const {
      --owner_->s_->todo_left;
      return detail::as_completed_result<typename F::value_type>(owner_->ref());
    }
    iterator& operator++() noexcept { return *this; }
    void operator++(int) noexcept {}
    bool at_end() const noexcept { return owner_->s_->todo_left == 0; }
    friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept { return it.at_end(); }

   private:
    AsCompleted* owner_ = nullptr;
  };
  iterator begin() noexcept { return iterator(this); }
  std::default_sentinel_t end() const noexcept { return {}; }

 /// Adopts the state (library use: made by as_completed()).
  explicit AsCompleted(detail::AsCompletedState* s) noexcept : s_(s) {}

 private:
  detail::AsCompletedRef ref() const noexcept {
    s_->retain();
    return detail::AsCompletedRef(s_);
  }
  detail::AsCompletedState* s_;
};

/// Runs the awaitables concurrently (coroutines, given as an rvalue range,
/// become tasks) and gives them back as they finish; after `timeout`
/// seconds the remaining ones raise TimeoutError.
/// Python: asyncio.as_completed(aws, timeout=None)
template <std::ranges::input_range Range>
  requires detail::Awaitable<detail::range_elem_t<Range>>
[[nodiscard]] auto as_completed(Range&& aws, AsCompletedOptions options = {}) {
  using E = detail::range_elem_t<Range>;
  using T = detail::await_value_t<E>;
  using F = std::conditional_t<detail::FutureLike<E>, E, Task<T>>;
  static_assert(!detail::IsCoro<E>::value || !std::is_lvalue_reference_v<Range>,
                "as_completed(range of Coro): pass the range as an rvalue (std::move): each Coro runs once");
  // Python: the loop is events.get_event_loop(); the set of futures
  // (duplicates once).
  EventLoop& loop = get_event_loop();
  std::vector<detail::FutureBase*> todo;
  struct Release {
    std::vector<detail::FutureBase*>& v;
    bool armed = true;
    ~Release() {
      if (armed)
        for (auto* s : v) s->release();
    }
  } release{todo};
  for (auto&& aw : aws) {
    Future<T> fut = [&] {
      if constexpr (std::is_lvalue_reference_v<Range>)
        return detail::ensure_future_on(aw, &loop);
      else
        return detail::ensure_future_on(std::move(aw), &loop);
    }();
    detail::FutureBase* s = fut.state_ptr();
    bool seen = false;
    for (auto* t : todo) seen = seen || t == s;
    if (seen) continue;
    s->add_ref();
    todo.push_back(s);
  }
  release.armed = false;
  return AsCompleted<F>(new detail::AsCompletedState(loop, std::move(todo), options.timeout));
}

}  // namespace asyncio
