// The blocks of the `async with` constructs (Timeout::async_with,
// TaskGroup::async_with): a Coro<T>, or a callable returning one that takes
// the context object or nothing; and capture(), which awaits one (or any
// awaitable) and hands back what left it, value or exception, so that the
// construct's exit can look at it (Python's __aexit__(exc_type, exc, tb)).
#pragma once

#include <exception>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

#include "asyncio/coroutines.hpp"
#include "asyncio/detail/awaitables.hpp"

namespace asyncio::detail {

template <class B>
struct BlockResult;
template <class T>
struct BlockResult<Coro<T>> {
  using type = T;
};

// What a block passed to async_with() produces: a Coro<T> directly, or a
// callable returning one, taking the context object (`Ctx&`) or nothing.
template <class B, class Ctx>
auto block_coro_type() {
  if constexpr (IsCoro<std::remove_cvref_t<B>>::value)
    return std::type_identity<std::remove_cvref_t<B>>{};
  else if constexpr (std::is_invocable_v<B&, Ctx&>)
    return std::type_identity<std::remove_cvref_t<std::invoke_result_t<B&, Ctx&>>>{};
  else
    return std::type_identity<std::remove_cvref_t<std::invoke_result_t<B&>>>{};
}
template <class B, class Ctx>
using block_coro_t = typename decltype(block_coro_type<B, Ctx>())::type;
template <class B, class Ctx>
using block_value_t = typename BlockResult<block_coro_t<B, Ctx>>::type;

// Makes the block's coroutine (inside the block's own coroutine, so that a
// callable is kept alive in that frame while its coroutine runs).
template <class B, class Ctx>
block_coro_t<B, Ctx> make_block(B& block, Ctx& ctx) {
  if constexpr (IsCoro<std::remove_cvref_t<B>>::value)
    return std::move(block);
  else if constexpr (std::is_invocable_v<B&, Ctx&>)
    return std::invoke(block, ctx);
  else
    return std::invoke(block);
}

// Keeps a coroutine that will never run from logging "was never awaited"
// (Python closes it: coro.close()).
template <class B>
void close_block(B& block) noexcept {
  if constexpr (IsCoro<std::remove_cvref_t<B>>::value) {
    if (block) block.handle().promise().mark_started();
  }
}

/// What left an awaited expression: its value, or the exception it raised.
template <class T>
struct Captured {
  std::exception_ptr exception;
  std::optional<NonVoid<T>> value;
  /// The value, or the exception rethrown.
  T take() {
    if (exception) std::rethrow_exception(exception);
    if constexpr (!std::is_void_v<T>) return std::move(*value);
  }
};

// Awaits `A` (held by value) like `co_await a` on an lvalue, and returns a
// Captured instead of throwing. No coroutine frame of its own: the await
// goes straight to A's awaiter. An exception thrown by await_suspend is not
// captured (the library's awaiters throw there only for misuse).
template <class A>
class [[nodiscard]] CaptureAwaiter {
  static constexpr bool kHasCoAwait = requires(A& a) { a.operator co_await(); };
  struct NoInner {};
  static auto make_inner(A& a) {
    if constexpr (kHasCoAwait)
      return a.operator co_await();
    else
      return NoInner{};
  }
  using Inner = decltype(make_inner(std::declval<A&>()));

 public:
  using asyncio_awaiter = void;
  using value_type = await_value_t<A&>;

  explicit CaptureAwaiter(A a) : a_(std::move(a)), inner_(make_inner(a_)) {}
  // Only before the await starts (GCC moves awaiters await_transform
  // passes through): the inner awaiter is made again for the moved A.
  CaptureAwaiter(CaptureAwaiter&& o) noexcept(std::is_nothrow_move_constructible_v<A> &&
                                              noexcept(make_inner(std::declval<A&>())))
      : a_(std::move(o.a_)), inner_(make_inner(a_)) {}
  CaptureAwaiter& operator=(CaptureAwaiter&&) = delete;

  bool await_ready() {
    try {
      return inner().await_ready();
    } catch (...) {
      early_ = std::current_exception();
      return true;
    }
  }
  template <class H>
  decltype(auto) await_suspend(H h) {
    return inner().await_suspend(h);
  }
  Captured<value_type> await_resume() noexcept {
    Captured<value_type> out;
    if (early_) {
      out.exception = early_;
      return out;
    }
    try {
      if constexpr (std::is_void_v<value_type>) {
        inner().await_resume();
        out.value.emplace();
      } else {
        out.value.emplace(inner().await_resume());
      }
    } catch (...) {
      out.exception = std::current_exception();
    }
    return out;
  }

 private:
  decltype(auto) inner() {
    if constexpr (kHasCoAwait)
      return (inner_);
    else
      return (a_);
  }
  A a_;
  [[no_unique_address]] Inner inner_;
  std::exception_ptr early_;
};

/// Awaits `a` and returns a Captured<T> of its outcome: `co_await capture(x)`.
template <class A>
CaptureAwaiter<std::remove_cvref_t<A>> capture(A&& a) {
  return CaptureAwaiter<std::remove_cvref_t<A>>(std::forward<A>(a));
}

}  // namespace asyncio::detail
