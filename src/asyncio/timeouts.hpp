// Timeouts: cancelling a block of code that runs past its deadline.
// Python: asyncio.timeouts (timeout, timeout_at, Timeout).
//
//   // Python: async with asyncio.timeout(1): page = await fetch(url)
//   Page page = co_await asyncio::timeout(1s, fetch(url));
//
//   // Python: async with asyncio.timeout(1) as cm: ... cm.reschedule(...)
//   auto steps = [&](asyncio::Timeout& cm) -> asyncio::Coro<> {
//     co_await step_one();
//     cm.reschedule(*cm.when() + 1);
//     co_await step_two();
//   };
//   co_await asyncio::timeout(1s, steps);  // a named block: docs/compilers.md
//
//   // The Timeout object outliving its block, to look at expired():
//   asyncio::Timeout cm = asyncio::timeout(1s);
//   try { co_await cm.async_with(work()); } catch (const asyncio::TimeoutError&) { assert(cm.expired()); }
//
// Why the block is an argument: Python's `async with` runs __aexit__ with
// the exception in flight and lets it replace that exception. C++ has no
// asynchronous destructors, and a destructor cannot replace an exception
// (an RAII guard would have to be exited by hand in every path, and C++20
// forbids co_await in a catch handler). Passing the block makes the exit
// impossible to forget or to skip: the Timeout is entered before the block
// starts and exited when it ends, however it ends, and a Timeout can be
// entered only once.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "asyncio/coroutines.hpp"
#include "asyncio/detail/awaitables.hpp"
#include "asyncio/detail/blocks.hpp"
#include "asyncio/detail/gcc12.hpp"
#include "asyncio/events.hpp"
#include "asyncio/handles.hpp"
#include "asyncio/tasks.hpp"

namespace asyncio {

class Timeout;

namespace detail {

template <class B>
Coro<block_value_t<B, Timeout>> timeout(Timeout* given, std::optional<double> when, B block);

}  // namespace detail

/// A deadline for a block of code: when it passes, the task running the
/// block is cancelled, and the cancellation leaves the block as
/// TimeoutError. Make one with timeout() or timeout_at(); run a block in it
/// with async_with() (once). Non-copyable and non-movable: its timer refers
/// to it. Python: asyncio.Timeout
class Timeout {
 public:
  /// A timeout firing at loop time `when` (std::nullopt: never).
  /// Python: asyncio.Timeout(when)
  explicit Timeout(std::optional<double> when) noexcept : when_(when) {}
  Timeout(const Timeout&) = delete;
  Timeout& operator=(const Timeout&) = delete;
  ~Timeout();

  /// The deadline, in loop time (std::nullopt: none). Python: Timeout.when()
  std::optional<double> when() const noexcept { return when_; }
  /// Moves the deadline (std::nullopt disables it; a time already past
  /// fires on the next loop iteration). RuntimeError unless the block is
  /// running and the timeout has not fired. Python: Timeout.reschedule()
  void reschedule(std::optional<double> when);
  /// True once the deadline passed while the block ran.
  /// Python: Timeout.expired()
  bool expired() const noexcept { return state_ == State::expiring || state_ == State::expired; }
  /// Python: repr(timeout), e.g. "<Timeout [active] when=12.345>"
  std::string repr() const;

  /// Runs `block` inside this timeout, in the calling task, and returns its
  /// result: `block` is a Coro<T>, or a callable returning one that takes
  /// this Timeout& (or nothing). If the deadline passes first, the task is
  /// cancelled and the CancelledError leaving the block becomes
  /// TimeoutError (only when this timeout caused it: an outer timeout or a
  /// cancel() from elsewhere passes through as CancelledError). A block
  /// that swallows the cancellation returns normally. RuntimeError if
  /// entered twice or outside a task.
  /// Python: async with timeout: ...
  /// Divergence: Python 3.13 inserts a TimeoutError into the context chain
  /// of another exception leaving an expired block; C++ exceptions have no
  /// chain, so that exception passes unchanged (expired() tells).
  template <class B>
  [[nodiscard]] Coro<detail::block_value_t<std::remove_cvref_t<B>, Timeout>> async_with(B&& block) {
    return detail::timeout(this, std::nullopt, std::remove_cvref_t<B>(std::forward<B>(block)));
  }
#if ASYNCIO_GCC12_COROUTINE_BUGS
  template <class B>
    requires detail::gcc12_unsafe_temporary<B>
  [[deprecated(ASYNCIO_GCC12_TEMPORARY_WARNING)]] [[nodiscard]] Coro<detail::block_value_t<std::remove_cvref_t<B>, Timeout>>
  async_with(B&& block) {
    return detail::timeout(this, std::nullopt, std::remove_cvref_t<B>(std::forward<B>(block)));
  }
#endif

  // The context manager protocol (used by async_with(); public for
  // extensions that build their own blocks).
  /// Python: Timeout.__aenter__
  void enter();
  /// Python: Timeout.__aexit__. `exc` is what leaves the block (null if it
  /// returned); returns the exception to raise instead (TimeoutError), or
  /// null to let `exc` through.
  std::exception_ptr exit(const std::exception_ptr& exc);

 private:
  enum class State : std::uint8_t { created, entered, expiring, expired, exited };
  void on_timeout();

  std::optional<double> when_;
  Handle handler_;
  detail::TaskBase* task_ = nullptr;  // with a reference while entered
  std::uint32_t cancelling_ = 0;
  State state_ = State::created;
};

/// A Timeout firing `delay` seconds from now (std::nullopt: never).
/// RuntimeError if no loop is running. Python: asyncio.timeout(delay)
Timeout timeout(std::optional<double> delay);
/// Python: asyncio.timeout(delay)
template <class Rep, class Period>
Timeout timeout(std::chrono::duration<Rep, Period> delay) {
  return timeout(std::optional<double>(std::chrono::duration<double>(delay).count()));
}
/// A Timeout firing at loop time `when` (std::nullopt: never).
/// Python: asyncio.timeout_at(when)
inline Timeout timeout_at(std::optional<double> when) noexcept { return Timeout(when); }

/// Runs `block` (a Coro<T>, or a callable returning one, taking Timeout& or
/// nothing) with a timeout of `delay` seconds, raising TimeoutError if it
/// runs past it; returns the block's result. RuntimeError if no loop is
/// running. Python: async with asyncio.timeout(delay): ...
template <class B>
[[nodiscard]] Coro<detail::block_value_t<std::remove_cvref_t<B>, Timeout>> timeout(std::optional<double> delay,
                                                                                   B&& block);
template <class Rep, class Period, class B>
[[nodiscard]] Coro<detail::block_value_t<std::remove_cvref_t<B>, Timeout>> timeout(
    std::chrono::duration<Rep, Period> delay, B&& block);
/// Runs `block` with a deadline at loop time `when`.
/// Python: async with asyncio.timeout_at(when): ...
template <class B>
[[nodiscard]] Coro<detail::block_value_t<std::remove_cvref_t<B>, Timeout>> timeout_at(std::optional<double> when,
                                                                                      B&& block);
#if ASYNCIO_GCC12_COROUTINE_BUGS
// g++ < 13: a temporary lambda with non-trivial captures warns (detail/gcc12.hpp).
template <class B>
  requires detail::gcc12_unsafe_temporary<B>
[[deprecated(ASYNCIO_GCC12_TEMPORARY_WARNING)]] [[nodiscard]] Coro<detail::block_value_t<std::remove_cvref_t<B>, Timeout>>
timeout(std::optional<double> delay, B&& block);
template <class Rep, class Period, class B>
  requires detail::gcc12_unsafe_temporary<B>
[[deprecated(ASYNCIO_GCC12_TEMPORARY_WARNING)]] [[nodiscard]] Coro<detail::block_value_t<std::remove_cvref_t<B>, Timeout>>
timeout(std::chrono::duration<Rep, Period> delay, B&& block);
template <class B>
  requires detail::gcc12_unsafe_temporary<B>
[[deprecated(ASYNCIO_GCC12_TEMPORARY_WARNING)]] [[nodiscard]] Coro<detail::block_value_t<std::remove_cvref_t<B>, Timeout>>
timeout_at(std::optional<double> when, B&& block);
#endif

namespace detail {

// The coroutine of an `async with` block: enter, run the block, exit with
// whatever left it. It uses the Timeout `given`, or one of its own (for
// timeout(delay, block)) living in its frame. Named like the API, so call
// graphs show "timeout".
template <class B>
Coro<block_value_t<B, Timeout>> timeout(Timeout* given, std::optional<double> when, B block) {
  using T = block_value_t<B, Timeout>;
  std::optional<Timeout> own;
  Timeout& cm = given ? *given : own.emplace(when);
  try {
    cm.enter();
  } catch (...) {
    close_block(block);
    throw;
  }
  Captured<T> out = co_await capture(make_block(block, cm));
  if (std::exception_ptr replacement = cm.exit(out.exception)) std::rethrow_exception(replacement);
  co_return out.take();
}

}  // namespace detail

namespace detail {
// Python: asyncio.timeout(delay) entered at once.
template <class B>
Coro<block_value_t<B, Timeout>> timeout_in(std::optional<double> delay, B block) {
  EventLoop& loop = get_running_loop();
  std::optional<double> when;
  if (delay) when = loop.time() + *delay;
  return detail::timeout(nullptr, when, std::move(block));
}
template <class Rep, class Period>
std::optional<double> seconds(std::chrono::duration<Rep, Period> delay) {
  return std::chrono::duration<double>(delay).count();
}
}  // namespace detail

template <class B>
Coro<detail::block_value_t<std::remove_cvref_t<B>, Timeout>> timeout(std::optional<double> delay, B&& block) {
  return detail::timeout_in(delay, std::remove_cvref_t<B>(std::forward<B>(block)));
}
template <class Rep, class Period, class B>
Coro<detail::block_value_t<std::remove_cvref_t<B>, Timeout>> timeout(std::chrono::duration<Rep, Period> delay,
                                                                     B&& block) {
  return detail::timeout_in(detail::seconds(delay), std::remove_cvref_t<B>(std::forward<B>(block)));
}
template <class B>
Coro<detail::block_value_t<std::remove_cvref_t<B>, Timeout>> timeout_at(std::optional<double> when, B&& block) {
  return detail::timeout(nullptr, when, std::remove_cvref_t<B>(std::forward<B>(block)));
}
#if ASYNCIO_GCC12_COROUTINE_BUGS
template <class B>
  requires detail::gcc12_unsafe_temporary<B>
Coro<detail::block_value_t<std::remove_cvref_t<B>, Timeout>> timeout(std::optional<double> delay, B&& block) {
  return detail::timeout_in(delay, std::remove_cvref_t<B>(std::forward<B>(block)));
}
template <class Rep, class Period, class B>
  requires detail::gcc12_unsafe_temporary<B>
Coro<detail::block_value_t<std::remove_cvref_t<B>, Timeout>> timeout(std::chrono::duration<Rep, Period> delay,
                                                                     B&& block) {
  return detail::timeout_in(detail::seconds(delay), std::remove_cvref_t<B>(std::forward<B>(block)));
}
template <class B>
  requires detail::gcc12_unsafe_temporary<B>
Coro<detail::block_value_t<std::remove_cvref_t<B>, Timeout>> timeout_at(std::optional<double> when, B&& block) {
  return detail::timeout(nullptr, when, std::remove_cvref_t<B>(std::forward<B>(block)));
}
#endif

}  // namespace asyncio
