// Standalone reproducer of a miscompilation by Emscripten 3.1.6 (Debian's,
// clang 14) with WebAssembly exceptions: no asyncio, one file, a minimal
// coroutine type and a hand-driven resume. docs/compilers.md has the
// diagnosis; asyncio avoids it (coroutines.hpp, OpaqueReady).
//
//   em++ -std=c++20 -O2 -fwasm-exceptions -sSINGLE_FILE=1 \
//     -Wno-deprecated-experimental-coroutine wasm_eh_try_in_loop.cpp -o repro.js
//   node repro.js     # 3.1.6: "BAD ..." and exit status 1; at -O0, -Os, -Oz,
//                     # with -fexceptions, or -DOPAQUE_READY: "ok", status 0
//
// The shape: in a loop, a try block makes a call that may throw (as far as
// the compiler knows), then awaits an awaiter whose await_ready() inlines to
// a constant; the exception await_resume() throws when the coroutine
// resumes must reach the catch. With -O1 and above the handlers are lost
// for that throw: it leaves resume() as if there were no try block and no
// catch-all of the coroutine at all. An await_ready() that is not inlined
// (-DOPAQUE_READY) gives a different shape, which is compiled correctly
// here, for a coroutine that starts suspended as asyncio::Coro does; not
// for one that starts at once (initial_suspend() returning suspend_never:
// still BAD with -DOPAQUE_READY).
#include <cstdio>
#include <exception>
#if __has_include(<coroutine>)
#include <coroutine>
namespace co = std;
#else
#include <experimental/coroutine>
namespace co = std::experimental;
#endif

struct Cancelled {};

// Called in the try block; the compiler cannot tell it never throws.
__attribute__((noinline, weak)) void may_throw(int i) {
  if (i < 0) throw Cancelled();
}

co::coroutine_handle<> waiting;  // the coroutine suspended at its await
bool cancel_on_resume = false;

struct Awaiter {
#if defined(OPAQUE_READY)
  __attribute__((noinline))
#endif
  bool await_ready() const noexcept { return false; }
  void await_suspend(co::coroutine_handle<> h) noexcept { waiting = h; }
  void await_resume() const {
    if (cancel_on_resume) throw Cancelled();
  }
};

struct Coro {
  struct promise_type {
    std::exception_ptr error;
    Coro get_return_object() { return Coro{co::coroutine_handle<promise_type>::from_promise(*this)}; }
    co::suspend_always initial_suspend() noexcept { return {}; }  // lazy, as asyncio::Coro
    co::suspend_always final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { error = std::current_exception(); }
  };
  co::coroutine_handle<promise_type> h;
};

int caught = 0;

Coro catch_each(int rounds) {
  for (int i = 0; i < rounds; ++i) {
    try {
      may_throw(i);
      co_await Awaiter{};
    } catch (const Cancelled&) {
      ++caught;
    }
  }
}

int main() {
  Coro c = catch_each(2);
  c.h.resume();  // runs to its first await
  cancel_on_resume = true;
  try {
    waiting.resume();  // raises Cancelled at the await: caught, awaits again
    waiting.resume();  // the same: caught, then the loop ends
  } catch (...) {
    std::printf("BAD: the exception escaped the coroutine (caught %d of 2)\n", caught);
    return 1;
  }
  const bool ok = caught == 2 && c.h.done() && !c.h.promise().error;
  std::printf("%s: caught %d of 2\n", ok ? "ok" : "BAD", caught);
  c.h.destroy();
  return ok ? 0 : 1;
}
