// Running awaitables concurrently and shielding them from cancellation.
// Python: asyncio.gather, asyncio.shield (tasks.py).
//
//   auto [a, b] = co_await asyncio::gather(fetch("a"), fetch("b"));
//   std::vector<int> all = co_await asyncio::gather(std::move(coros));
//   auto [x, y] = co_await asyncio::gather(asyncio::return_exceptions, f(), g());
//   int v = co_await asyncio::shield(task);
//
// gather() returns a future of a std::tuple (several arguments) or of a
// std::vector (one range); a child with no result contributes a
// std::monostate. With asyncio::return_exceptions first, each element is an
// Outcome<T>: the value, or the exception the child raised.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <iterator>
#include <memory>
#include <optional>
#include <ranges>
#include <string>
#include <tuple>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "asyncio/coroutines.hpp"
#include "asyncio/detail/awaitables.hpp"
#include "asyncio/detail/child_node.hpp"
#include "asyncio/events.hpp"
#include "asyncio/futures.hpp"
#include "asyncio/tasks.hpp"

namespace asyncio {

/// The outcome of an awaitable: its value, or the exception it raised.
/// gather(return_exceptions, ...) gives one per child.
/// Python: an element of gather(..., return_exceptions=True)'s list, which is
/// either a result or an exception object.
template <class T>
class Outcome {
 public:
  /// A value.
  template <class... A>
  explicit Outcome(std::in_place_t, A&&... args) : v_(std::in_place_index<0>, std::forward<A>(args)...) {}
  /// An exception (must not be empty).
  explicit Outcome(std::exception_ptr e) : v_(std::in_place_index<1>, std::move(e)) {}

  /// True if the awaitable produced a value.
  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }
  /// The exception the awaitable raised (CancelledError if it was
  /// cancelled), or null.
  std::exception_ptr exception() const noexcept { return v_.index() == 1 ? std::get<1>(v_) : nullptr; }
  /// The value; rethrows the exception if there is one.
  T& value() & {
    check();
    return std::get<0>(v_);
  }
  const T& value() const& {
    check();
    return std::get<0>(v_);
  }
  T&& value() && {
    check();
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  void check() const {
    if (v_.index() == 1) std::rethrow_exception(std::get<1>(v_));
  }
  std::variant<T, std::exception_ptr> v_;
};

/// The outcome of an awaitable without a result: nothing, or an exception.
template <>
class Outcome<void> {
 public:
  explicit Outcome(std::in_place_t) noexcept {}
  explicit Outcome(std::exception_ptr e) noexcept : e_(std::move(e)) {}
  bool has_value() const noexcept { return !e_; }
  explicit operator bool() const noexcept { return has_value(); }
  std::exception_ptr exception() const noexcept { return e_; }
  /// Rethrows the exception, if any.
  void value() const {
    if (e_) std::rethrow_exception(e_);
  }

 private:
  std::exception_ptr e_;
};

/// The tag selecting gather()'s return_exceptions mode.
struct ReturnExceptions {
  explicit ReturnExceptions() = default;
};
/// Pass first to gather() to collect exceptions as results.
/// Python: gather(..., return_exceptions=True)
inline constexpr ReturnExceptions return_exceptions{};

namespace detail {

// The logic of Python's gather() that does not depend on result types:
// the children, the _done_callback, the _GatheringFuture's cancel().
// Invariant: `args_` has one entry per argument (duplicates repeated);
// `uniq_[k]` is watched by `nodes_[k]` and holds one reference.
class GatherCore : public ChildListener {
 public:
  void on_child_done(std::uint32_t index) override;
  FutureBase* graph_awaiter() const noexcept override { return cur_task_; }

 protected:
  GatherCore(FutureBase& outer, std::size_t nargs, bool return_exceptions);
  ~GatherCore();

  /// Adds the next argument's future (adopting one reference); `created`:
  /// a task gather made, which cannot be a duplicate.
  void add(FutureBase* child, bool created);
  /// Registers the callbacks and handles the children already done
  /// (synchronously, as Python does for eagerly finished children).
  void start();
  /// Python: _GatheringFuture.cancel()
  bool cancel_children(const std::optional<std::string>& msg);
  /// Builds the typed result from every child and sets it (all done).
  virtual void set_results() = 0;

  FutureBase* const* args() const noexcept { return args_.data(); }
  std::size_t nargs() const noexcept { return args_.size(); }
  /// A child's value can be moved out: nobody else holds it.
  bool may_move(FutureBase* child) const noexcept { return !has_duplicates_ && child->ref_count() == 1; }

 private:
  FutureBase& outer_;
  std::vector<FutureBase*> args_;
  std::vector<FutureBase*> uniq_;
  std::unordered_set<FutureBase*> seen_;  // uniq_, once it is long
  std::unique_ptr<ChildNode[]> nodes_;
  TaskBase* cur_task_ = nullptr;  // with a reference
  std::uint32_t nfinished_ = 0;
  bool return_exceptions_;
  bool cancel_requested_ = false;
  bool has_duplicates_ = false;
};

// A child's result as gather() delivers it.
template <class T>
NonVoid<T> gather_value(FutureBase* child, bool may_move) {
  child->check_result();
  if constexpr (std::is_void_v<T>) {
    return std::monostate{};
  } else {
    return take_result<T>(*child, may_move);
  }
}

template <class T>
Outcome<T> gather_outcome(FutureBase* child, bool may_move) {
  if (child->cancelled()) {
    // Python builds CancelledError('' if no message else message) here.
    const std::string* msg = child->cancel_message();
    return Outcome<T>(std::make_exception_ptr(CancelledError(msg ? *msg : std::string())));
  }
  if (std::exception_ptr e = child->exception()) return Outcome<T>(std::move(e));
  if constexpr (std::is_void_v<T>) {
    return Outcome<T>(std::in_place);
  } else {
    return Outcome<T>(std::in_place, take_result<T>(*child, may_move));
  }
}

template <class R, class Build>
class GatherState final : public FutureState<R>, public GatherCore {
 public:
  GatherState(EventLoop* loop, std::size_t nargs, bool return_exceptions, Build build)
      : FutureState<R>(loop), GatherCore(*this, nargs, return_exceptions), build_(std::move(build)) {}

  bool cancel(std::optional<std::string> msg) override { return cancel_children(msg); }
  void retain() noexcept override { this->add_ref(); }
  void unretain() noexcept override { this->release(); }
  using GatherCore::add;
  using GatherCore::start;

 private:
  void set_results() override { this->set_result(build_(*this)); }
  Build build_;

 public:
  // For the builders.
  FutureBase* arg(std::size_t i) const noexcept { return args()[i]; }
  std::size_t size() const noexcept { return nargs(); }
  bool movable(FutureBase* child) const noexcept { return may_move(child); }
};

template <bool Outcomes, class... T>
struct TupleBuild {
  template <class State>
  auto operator()(State& s) const {
    return build(s, std::index_sequence_for<T...>{});
  }
  template <class State, std::size_t... I>
  static auto build(State& s, std::index_sequence<I...>) {
    if constexpr (Outcomes) {
      return std::tuple<Outcome<T>...>{gather_outcome<T>(s.arg(I), s.movable(s.arg(I)))...};
    } else {
      return std::tuple<NonVoid<T>...>{gather_value<T>(s.arg(I), s.movable(s.arg(I)))...};
    }
  }
};

template <bool Outcomes, class T>
struct VectorBuild {
  template <class State>
  auto operator()(State& s) const {
    using E = std::conditional_t<Outcomes, Outcome<T>, NonVoid<T>>;
    std::vector<E> out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
      FutureBase* c = s.arg(i);
      if constexpr (Outcomes)
        out.push_back(gather_outcome<T>(c, s.movable(c)));
      else
        out.push_back(gather_value<T>(c, s.movable(c)));
    }
    return out;
  }
};

template <class R>
Future<R> done_future(R value) {
  Future<R> f(get_event_loop());
  f.set_result(std::move(value));
  return f;
}

// Python: gather(*aws) — the arguments become futures left to right, on the
// running loop, else the first future's loop, else the current loop.
template <bool Outcomes, class... A>
auto gather_args(A&&... aws) {
  using R = std::conditional_t<Outcomes, std::tuple<Outcome<await_value_t<A>>...>,
                               std::tuple<NonVoid<await_value_t<A>>...>>;
  if constexpr (sizeof...(A) == 0) {
    return done_future<R>(R{});
  } else {
    using Build = TupleBuild<Outcomes, await_value_t<A>...>;
    EventLoop* loop = tls_running_loop;
    // The outer future needs the loop, which the first argument may decide:
    // collect the children first.
    FutureBase* children[sizeof...(A)];
    bool made[sizeof...(A)];
    std::size_t n = 0;
    struct Release {
      FutureBase** c;
      std::size_t* n;
      ~Release() {
        for (std::size_t i = 0; i < *n; ++i) c[i]->release();
      }
    } release{children, &n};
    auto one = [&](auto&& aw) {
      bool created = false;
      auto fut = ensure_future_on(std::forward<decltype(aw)>(aw), loop, &created);
      FutureBase* s = fut.state_ptr();
      if (created) static_cast<TaskBase*>(s)->set_log_destroy_pending(false);
      if (loop == nullptr) loop = s->loop();
      s->add_ref();
      made[n] = created;
      children[n++] = s;
    };
    (one(std::forward<A>(aws)), ...);
    auto* state = new GatherState<R, Build>(loop, n, Outcomes, Build{});
    Future<R> outer(state, /*retain=*/false);
    for (std::size_t i = 0; i < n; ++i) state->add(children[i], made[i]);
    n = 0;  // adopted
    state->start();
    return outer;
  }
}

template <bool Outcomes, class Range>
auto gather_range(Range&& aws) {
  using E = range_elem_t<Range>;
  using T = await_value_t<E>;
  using R = std::vector<std::conditional_t<Outcomes, Outcome<T>, NonVoid<T>>>;
  static_assert(!IsCoro<E>::value || !std::is_lvalue_reference_v<Range>,
                "gather(range of Coro): pass the range as an rvalue (std::move): each Coro runs once");
  using Build = VectorBuild<Outcomes, T>;
  EventLoop* loop = tls_running_loop;
  std::size_t count = 0;
  if constexpr (std::ranges::sized_range<Range>) count = static_cast<std::size_t>(std::ranges::size(aws));
  GatherState<R, Build>* state = nullptr;
  Future<R> outer;
  auto make_state = [&] {
    state = new GatherState<R, Build>(loop, count, Outcomes, Build{});
    outer = Future<R>(state, /*retain=*/false);
  };
  // With a known loop (a running one), the outer future exists before the
  // children are made; otherwise it waits for the first child's loop.
  std::vector<FutureBase*> pending;
  for (auto&& aw : aws) {
    bool created = false;
    Future<T> fut = [&] {
      if constexpr (std::is_lvalue_reference_v<Range>)
        return ensure_future_on(aw, loop, &created);
      else
        return ensure_future_on(std::move(aw), loop, &created);
    }();
    FutureBase* s = fut.state_ptr();
    if (created) static_cast<TaskBase*>(s)->set_log_destroy_pending(false);
    if (loop == nullptr) loop = s->loop();
    if (state == nullptr) make_state();
    s->add_ref();
    state->add(s, created);
  }
  if (state == nullptr) return done_future<R>(R{});
  state->start();
  return outer;
}

}  // namespace detail

/// Runs the awaitables concurrently (coroutines become tasks) and returns a
/// future of their results, in argument order: a std::tuple, with
/// std::monostate for children without a result. The first exception (a
/// child's cancellation counts as CancelledError) is raised at once; the
/// other children keep running. Cancelling the returned future cancels
/// every child that is not done, and it then raises CancelledError.
/// The same future passed twice is one child. ValueError if futures belong
/// to different loops. Python: asyncio.gather(*aws)
template <class... A>
  requires(detail::Awaitable<A> && ...)
[[nodiscard]] auto gather(A&&... aws) {
  return detail::gather_args<false>(std::forward<A>(aws)...);
}

/// gather() collecting exceptions: each element is an Outcome<T> holding
/// the child's value or its exception (CancelledError for a cancelled
/// child). Cancelling the returned future still raises CancelledError.
/// Python: asyncio.gather(*aws, return_exceptions=True)
template <class... A>
  requires(detail::Awaitable<A> && ...)
[[nodiscard]] auto gather(ReturnExceptions, A&&... aws) {
  return detail::gather_args<true>(std::forward<A>(aws)...);
}

/// gather() of a range of awaitables of one type (coroutines, passed as an
/// rvalue range, become tasks): a future of a std::vector of the results,
/// in the range's order. Python: asyncio.gather(*aws)
template <std::ranges::input_range Range>
  requires(!detail::Awaitable<Range> && detail::Awaitable<detail::range_elem_t<Range>>)
[[nodiscard]] auto gather(Range&& aws) {
  return detail::gather_range<false>(std::forward<Range>(aws));
}

/// gather() of a range, collecting exceptions as Outcome<T> elements.
/// Python: asyncio.gather(*aws, return_exceptions=True)
template <std::ranges::input_range Range>
  requires(!detail::Awaitable<Range> && detail::Awaitable<detail::range_elem_t<Range>>)
[[nodiscard]] auto gather(ReturnExceptions, Range&& aws) {
  return detail::gather_range<true>(std::forward<Range>(aws));
}

namespace detail {

// Python: shield()'s outer future and its two callbacks. Node 0 watches the
// inner future (_inner_done_callback); node 1 watches the outer one
// (_outer_done_callback).
class ShieldCore : public ChildListener {
 public:
  void on_child_done(std::uint32_t index) override;
  FutureBase* graph_awaiter() const noexcept override { return cur_task_; }

 protected:
  ShieldCore(FutureBase& outer, FutureBase* inner);
  ~ShieldCore();
  void start();
  virtual void copy_result() = 0;

  FutureBase& outer_;
  FutureBase* inner_;  // with a reference
  TaskBase* cur_task_ = nullptr;  // with a reference while inner_ is pending
  ChildNode nodes_[2];
};

template <class T>
class ShieldState final : public FutureState<T>, public ShieldCore {
 public:
  ShieldState(EventLoop* loop, FutureBase* inner) : FutureState<T>(loop), ShieldCore(*this, inner) {}
  void retain() noexcept override { this->add_ref(); }
  void unretain() noexcept override { this->release(); }
  using ShieldCore::start;

 private:
  void copy_result() override {
    if constexpr (std::is_void_v<T>) {
      this->set_result();
    } else {
      this->set_result(take_result<T>(*inner_, inner_->ref_count() == 1));
    }
  }
};

}  // namespace detail

/// Waits for `aw` (a coroutine becomes a task), shielding it from
/// cancellation: cancelling the awaiting task cancels only the returned
/// future; the inner one keeps running, and if it later fails its
/// exception is reported to the loop's exception handler ("<Type>
/// exception in shielded future"). Returns the inner future itself if it
/// is already done. Keep a reference to the inner task if you need its
/// result after a cancellation. Python: asyncio.shield(aw)
template <class A>
  requires detail::Awaitable<A>
[[nodiscard]] Future<detail::await_value_t<A>> shield(A&& aw) {
  using T = detail::await_value_t<A>;
  Future<T> inner = detail::ensure_future_on(std::forward<A>(aw), nullptr);
  if (inner.done()) return inner;
  detail::FutureBase* s = inner.state_ptr();
  auto* state = new detail::ShieldState<T>(s->loop(), s);
  Future<T> outer(state, /*retain=*/false);
  state->start();
  return outer;
}

}  // namespace asyncio
