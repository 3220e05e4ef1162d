// What the combinators need to know about the awaitables they are given:
// their result type, and how to turn one into a future (ensure_future).
#pragma once

#include <ranges>
#include <type_traits>
#include <utility>
#include <variant>

#include "asyncio/coroutines.hpp"
#include "asyncio/events.hpp"
#include "asyncio/futures.hpp"
#include "asyncio/tasks.hpp"

namespace asyncio::detail {

template <class A>
struct IsCoro : std::false_type {};
template <class T>
struct IsCoro<Coro<T>> : std::true_type {};

/// A future or a task (Future<T>, Task<T>, AnyFuture, AnyTask).
template <class A>
concept FutureLike = std::is_base_of_v<AnyFuture, std::remove_cvref_t<A>>;

/// Anything a Coro can co_await: a coroutine, a future, a task, sleep(), ...
template <class A>
concept Awaitable = NativeAwaitable<A> || FutureLike<A> || IsCoro<std::remove_cvref_t<A>>::value;

template <class A>
decltype(auto) get_awaiter(A&& a) {
  if constexpr (requires { std::forward<A>(a).operator co_await(); })
    return std::forward<A>(a).operator co_await();
  else
    return std::forward<A>(a);
}

template <class A, class = void>
struct AwaitValueOf {
  using type = std::remove_cvref_t<decltype(std::declval<std::remove_cvref_t<decltype(get_awaiter(
                                                std::declval<A>()))>&>()
                                                .await_resume())>;
};

template <class F>
concept HasValueType = requires { typename F::value_type; };

/// What `co_await a` produces (void for AnyFuture), without references.
template <class A>
struct AwaitValue {
  using Arg = std::remove_cvref_t<A>;
  static auto pick() {
    if constexpr (FutureLike<Arg>) {
      if constexpr (HasValueType<Arg>)
        return std::type_identity<typename Arg::value_type>{};
      else
        return std::type_identity<void>{};
    } else if constexpr (IsCoro<Arg>::value) {
      return std::type_identity<typename Arg::value_type>{};
    } else {
      return std::type_identity<typename AwaitValueOf<A>::type>{};
    }
  }
  using type = typename decltype(pick())::type;
};
template <class A>
using await_value_t = typename AwaitValue<A>::type;

/// The element type of a range of awaitables.
template <class Range>
using range_elem_t = std::remove_cvref_t<std::ranges::range_reference_t<Range>>;

/// void results are represented by std::monostate in tuples and vectors.
template <class T>
using NonVoid = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

// Runs an awaitable that is neither a coroutine nor a future inside a
// coroutine, so that it can become a task. Python: ensure_future's
// _wrap_awaitable.
template <class R, class A>
Coro<R> wrap_awaitable(A awaitable) {
  if constexpr (std::is_void_v<R>)
    co_await std::move(awaitable);
  else
    co_return co_await std::move(awaitable);
}

// Picks the loop for an ensure_future() with no loop given: the running
// loop, else the current one. Python: events.get_event_loop().
inline EventLoop& loop_or_current(EventLoop* loop) { return loop ? *loop : get_event_loop(); }

/// Python: ensure_future(aw, loop=loop). `loop` (may be null) is the loop
/// the future must belong to; the result is a future handle of the
/// awaitable's result type. `created` tells whether a task was made.
template <class A>
Future<await_value_t<A>> ensure_future_on(A&& aw, EventLoop* loop, bool* created = nullptr) {
  using T = await_value_t<A>;
  using Arg = std::remove_cvref_t<A>;
  if constexpr (FutureLike<Arg>) {
    FutureBase* s = aw.state_ptr();
    if (s == nullptr) throw InvalidStateError("empty future handle");
    if (loop != nullptr && s->loop() != loop) {
      throw ValueError("The future belongs to a different loop than the one specified as the loop argument");
    }
    return Future<T>(s, /*retain=*/true);
  } else {
    Task<T> task;
    if constexpr (IsCoro<Arg>::value) {
      static_assert(!std::is_lvalue_reference_v<A>, "pass coroutines as rvalues (std::move): a Coro runs once");
      task = loop_or_current(loop).create_task(std::forward<A>(aw));
    } else {
      task = loop_or_current(loop).create_task(wrap_awaitable<T, Arg>(std::forward<A>(aw)));
    }
    if (created) *created = true;
    return task;
  }
}

}  // namespace asyncio::detail
