// Coroutines: the lazy Coro<T> type every asyncio coroutine function returns.
// Python: coroutine objects (`async def`), asyncio.iscoroutine.
//
//   asyncio::Coro<int> answer() { co_await asyncio::sleep(0.1); co_return 42; }
//
// A Coro runs nothing until it is awaited or wrapped in a task. Awaiting it
// runs it inside the awaiting task, transferring control symmetrically (no
// loop iteration, no allocation besides the frame) as `await coro` does.
//
// How control transfers: the awaiter names the coroutine to run next in
// tls_transfer_to and suspends; the task's step loop (TaskBase::step)
// resumes it. A trampoline rather than await_suspend returning a handle,
// because only a tail call makes the latter stack-safe, and compilers do not
// promise one: GCC at -O0 overflows the stack after ~100k sequential awaits
// of finished coroutines, and WebAssembly has no tail calls at all.
// Inside a Coro only library awaitables may be awaited (Future, Task, Coro,
// sleep(), locks, ...): a foreign awaitable would suspend the task without
// telling the loop, which Python reports as "Task got bad yield"; here it is
// a compile-time error.
#pragma once

#include <cstdint>
#include <exception>
#include <type_traits>
#include <utility>

#include "asyncio/detail/coro_compat.hpp"
#include "asyncio/detail/pool.hpp"
#include "asyncio/exceptions.hpp"

// Emscripten 3.1.6's clang 14 with WebAssembly exceptions: see OpaqueReady.
#if !defined(ASYNCIO_OPAQUE_AWAIT_READY)
#if defined(__EMSCRIPTEN__) && defined(__wasm_exception_handling__) && defined(__clang_major__) && __clang_major__ < 15
#define ASYNCIO_OPAQUE_AWAIT_READY 1
#else
#define ASYNCIO_OPAQUE_AWAIT_READY 0
#endif
#endif

namespace asyncio {

template <class T = void>
class Coro;

namespace detail {

/// Awaiters of the library declare `using asyncio_awaiter = void;`.
template <class A>
concept NativeAwaiter = requires { typename std::remove_cvref_t<A>::asyncio_awaiter; };

template <class A>
concept NativeAwaitable = NativeAwaiter<A> || requires(A&& a) {
  { std::forward<A>(a).operator co_await() } -> NativeAwaiter;
};

// Keeps user parameters from binding to the promise constructor's defaults.
struct PromiseSiteTag {};

class CoroPromiseBase;

/// The handle every library awaiter's await_suspend() takes: built only from
/// the handle of an asyncio coroutine. Awaited from another library's
/// coroutine, a library awaitable would leave that coroutine's frame with a
/// task, to be resumed by a later step of whatever task runs then; this
/// makes it a compile-time error instead.
class AsyncioHandle {
 public:
  template <class P>
  AsyncioHandle(stdcoro::coroutine_handle<P> h) noexcept : h_(h) {  // NOLINT(google-explicit-constructor)
    static_assert(std::is_base_of_v<CoroPromiseBase, P>,
                  "asyncio awaitables (Coro, Future, Task, sleep(), locks, queues, ...) can only be awaited "
                  "inside an asyncio::Coro. From another library's coroutine, run the work with "
                  "asyncio::create_task() or run_coroutine_threadsafe() and wait for it by that library's means.");
  }
  operator stdcoro::coroutine_handle<>() const noexcept { return h_; }  // NOLINT(google-explicit-constructor)
  void* address() const noexcept { return h_.address(); }

 private:
  stdcoro::coroutine_handle<> h_;
};

// Logs Python's "coroutine 'f' was never awaited" RuntimeWarning.
void warn_never_awaited(const char* name) noexcept;

// The coroutine the running task resumes next (see above); null when the
// coroutine that just suspended waits for something instead.
inline thread_local void* tls_transfer_to = nullptr;

#if ASYNCIO_OPAQUE_AWAIT_READY
// Works around a miscompilation by Emscripten 3.1.6's clang 14 with
// -fwasm-exceptions at -O1 and above (docs/compilers.md, "Emscripten 3.1.6
// with WebAssembly exceptions"): in a loop, a try block that makes a call
// that may throw and then awaits something whose await_ready() is inlined
// to a constant loses its handlers for the exception raised when the
// coroutine resumes (await_resume()): it escapes the coroutine as if no
// try, not even the coroutine's own catch-all, were there. An await_ready()
// the optimizer cannot see through avoids that shape, so every await in a
// Coro goes through this wrapper, whose await_ready() is not inlined. One
// call more per co_await; no other change of behaviour.
template <class Awaiter>
struct OpaqueReady {
  using asyncio_awaiter = void;
  Awaiter inner;  // the awaiter, or a reference to one that outlives the await
  [[gnu::noinline]] bool await_ready() { return inner.await_ready(); }
  template <class H>
  decltype(auto) await_suspend(H h) {
    return inner.await_suspend(h);
  }
  decltype(auto) await_resume() { return inner.await_resume(); }
};
// (The library's operator co_await()s are all noexcept.)
template <class A>
auto make_opaque_ready(A&& awaitable) noexcept {
  if constexpr (requires { std::forward<A>(awaitable).operator co_await(); }) {
    using Awaiter = decltype(std::forward<A>(awaitable).operator co_await());
    return OpaqueReady<Awaiter>{std::forward<A>(awaitable).operator co_await()};
  } else {
    // An awaiter given as such: a temporary lives to the end of the full
    // expression that awaits it, a variable longer.
    return OpaqueReady<std::remove_reference_t<A>&>{awaitable};
  }
}
#endif

class CoroPromiseBase {
 public:
  CoroPromiseBase(PromiseSiteTag, const char* name) noexcept : name_(name) {}

  static void* operator new(std::size_t n) { return pool_allocate(n); }
  static void operator delete(void* p, std::size_t n) noexcept { pool_deallocate(p, n); }

  stdcoro::suspend_always initial_suspend() const noexcept { return {}; }

  struct FinalAwaiter {
    bool await_ready() const noexcept { return false; }
    template <class P>
    void await_suspend(stdcoro::coroutine_handle<P> h) const noexcept {
      // Back to the awaiting coroutine; a task's root has none.
      if (void* caller = h.promise().continuation()) tls_transfer_to = caller;
    }
    void await_resume() const noexcept {}
  };
  FinalAwaiter final_suspend() const noexcept { return {}; }

  void unhandled_exception() noexcept { exception_ = std::current_exception(); }

#if ASYNCIO_OPAQUE_AWAIT_READY
  // Emscripten 3.1.6 (clang 14), -fwasm-exceptions: see OpaqueReady.
  template <class A>
  auto await_transform(A&& awaitable) const noexcept {
    static_assert(NativeAwaitable<A>,
                  "co_await inside an asyncio::Coro needs an asyncio awaitable (Future, Task, Coro, "
                  "sleep(), a lock, ...). Wrap other awaitables in an asyncio::Future.");
    return make_opaque_ready(std::forward<A>(awaitable));
  }
#else
  template <class A>
  A&& await_transform(A&& awaitable) const noexcept {
    static_assert(NativeAwaitable<A>,
                  "co_await inside an asyncio::Coro needs an asyncio awaitable (Future, Task, Coro, "
                  "sleep(), a lock, ...). Wrap other awaitables in an asyncio::Future.");
    return std::forward<A>(awaitable);
  }
#endif

  const char* name() const noexcept { return name_; }
  /// The awaiting coroutine's frame, or nullptr for a task's root.
  void* continuation() const noexcept {
    return reinterpret_cast<void*>(continuation_ & ~kStarted);  // NOLINT(performance-no-int-to-ptr): tagged pointer
  }
  void set_continuation(void* frame) noexcept { continuation_ = reinterpret_cast<std::uintptr_t>(frame) | kStarted; }
  /// True once awaited or handed to a task.
  bool started() const noexcept { return (continuation_ & kStarted) != 0; }
  void mark_started() noexcept { continuation_ |= kStarted; }

  std::exception_ptr exception_;

 private:
  // Frames are 16-byte aligned (pool.hpp), so bit 0 is free for the flag.
  static constexpr std::uintptr_t kStarted = 1;
  std::uintptr_t continuation_ = 0;
  const char* name_;
};

// Where a frame keeps its promise: just after the frame's two function
// pointers, rounded up to the promise's alignment (GCC and clang). Every
// CoroPromise<T> sits at the same offset as long as its alignment does not
// exceed that header, so a frame's CoroPromiseBase can be found from the
// frame's address alone, whatever T is (call-graph introspection walks
// chains of frames of mixed result types this way).
template <class P>
inline constexpr bool kPromiseAtBaseOffset =
    (2 * sizeof(void*) + alignof(P) - 1) / alignof(P) * alignof(P) ==
    (2 * sizeof(void*) + alignof(CoroPromiseBase) - 1) / alignof(CoroPromiseBase) * alignof(CoroPromiseBase);

/// The promise of the asyncio coroutine whose frame is at `frame`.
inline CoroPromiseBase& promise_of(void* frame) noexcept {
  return stdcoro::coroutine_handle<CoroPromiseBase>::from_address(frame).promise();
}

template <class T>
class CoroPromise final : public CoroPromiseBase {
 public:
  // The default captures the coroutine function's name.
  explicit CoroPromise(PromiseSiteTag tag = {}, const char* name = __builtin_FUNCTION()) noexcept
      : CoroPromiseBase(tag, name) {
    static_assert(kPromiseAtBaseOffset<CoroPromise>,
                  "asyncio::Coro<T>: T is over-aligned (alignof(T) > 2 * sizeof(void*)); return it through a "
                  "std::unique_ptr or a wrapper");
  }
  ~CoroPromise() {
    if (has_value_) value_.~T();
  }
  Coro<T> get_return_object() noexcept;

  template <class U = T>
  void return_value(U&& value) noexcept(std::is_nothrow_constructible_v<T, U&&>) {
    ::new (static_cast<void*>(&value_)) T(std::forward<U>(value));
    has_value_ = true;
  }
  T take_value() { return std::move(value_); }
  T* value_ptr() noexcept { return &value_; }

 private:
  union {
    T value_;
  };
  bool has_value_ = false;
};

template <>
class CoroPromise<void> final : public CoroPromiseBase {
 public:
  explicit CoroPromise(PromiseSiteTag tag = {}, const char* name = __builtin_FUNCTION()) noexcept
      : CoroPromiseBase(tag, name) {}
  Coro<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void take_value() noexcept {}
};

}  // namespace detail

/// A lazily started coroutine returning T. Move-only; awaiting it (once)
/// runs it to completion inside the awaiting task and yields its result or
/// rethrows its exception. Destroying a Coro that never started logs
/// "coroutine '<name>' was never awaited".
/// Python: a coroutine object
template <class T>
class [[nodiscard]] Coro {
 public:
  using promise_type = detail::CoroPromise<T>;
  using handle_type = stdcoro::coroutine_handle<promise_type>;
  using value_type = T;

  /// An empty Coro (no coroutine).
  Coro() noexcept = default;
  explicit Coro(handle_type h) noexcept : h_(h) {}
  Coro(Coro&& other) noexcept : h_(std::exchange(other.h_, {})) {}
  Coro& operator=(Coro&& other) noexcept {
    if (this != &other) {
      reset();
      h_ = std::exchange(other.h_, {});
    }
    return *this;
  }
  ~Coro() { reset(); }

  /// False for an empty (default-constructed or moved-from) Coro.
  explicit operator bool() const noexcept { return static_cast<bool>(h_); }
  /// True once the coroutine ran to completion. Python: cr_frame is None
  bool done() const noexcept { return h_ && h_.done(); }
  /// The coroutine function's name ("main_coro"). Python: coro.__qualname__
  const char* name() const noexcept { return h_ ? h_.promise().name() : "<empty>"; }

  struct [[nodiscard]] Awaiter {
    using asyncio_awaiter = void;
    handle_type callee;

    bool await_ready() const {
      if (!callee) throw RuntimeError("cannot await an empty coroutine");
      if (callee.promise().started()) throw RuntimeError("cannot reuse already awaited coroutine");
      return false;
    }
    void await_suspend(detail::AsyncioHandle caller) const noexcept {
      callee.promise().set_continuation(caller.address());
      detail::tls_transfer_to = callee.address();
    }
    T await_resume() const {
      auto& p = callee.promise();
      if (p.exception_) std::rethrow_exception(p.exception_);
      return p.take_value();
    }
  };
  /// Runs the coroutine inside the awaiting one. Python: await coro
  Awaiter operator co_await() const& noexcept { return Awaiter{h_}; }
  Awaiter operator co_await() && noexcept { return Awaiter{h_}; }

  /// The coroutine handle (still owned by this Coro).
  handle_type handle() const noexcept { return h_; }
  /// Gives up ownership of the coroutine (to a task).
  handle_type release() noexcept { return std::exchange(h_, {}); }

 private:
  void reset() noexcept {
    if (!h_) return;
    if (!h_.promise().started()) detail::warn_never_awaited(h_.promise().name());
    h_.destroy();
    h_ = {};
  }
  handle_type h_;
};

namespace detail {
template <class T>
Coro<T> CoroPromise<T>::get_return_object() noexcept {
  return Coro<T>(stdcoro::coroutine_handle<CoroPromise<T>>::from_promise(*this));
}
inline Coro<void> CoroPromise<void>::get_return_object() noexcept {
  return Coro<void>(stdcoro::coroutine_handle<CoroPromise<void>>::from_promise(*this));
}
}  // namespace detail

/// True for Coro objects. Python: asyncio.iscoroutine()
template <class X>
constexpr bool iscoroutine(const X&) noexcept {
  return false;
}
template <class T>
constexpr bool iscoroutine(const Coro<T>&) noexcept {
  return true;
}

}  // namespace asyncio
