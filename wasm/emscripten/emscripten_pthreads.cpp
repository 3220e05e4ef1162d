// The Emscripten backend's waiting and waking with pthreads (-pthread: the
// `emscripten-pthreads` preset; emscripten_one_thread.cpp is the build
// without threads).
//
// One wait serves every source of work: a counter in WebAssembly memory,
// which all threads share, bumped and notified by
// - wake() from any thread (call_soon_threadsafe, hence to_thread's and the
//   executors' completions, run_coroutine_threadsafe), and
// - Node.js's I/O worker after each event it posts (asyncio_node_net.js:
//   it is given the memory's SharedArrayBuffer and the counter's address;
//   each thread that uses sockets has its own worker, all bump this one).
// poll() sleeps in emscripten_futex_wait() until the counter moves. It is
// one counter for the program, so a loop may also be woken by another
// thread's loop's event: that costs it one empty pass, never an event.
// wake() also sets the backend's own flag, which poll() reads after taking
// the counter's value and before waiting: a wake() that came before the
// wait is never lost (a level, as libuv's uv_async_t).
//
// Emscripten facts this relies on (3.1.6, Debian's):
// - Other threads proxy calls to the main thread (their output, file
//   operations, creating threads) and wait for them. The main thread runs
//   them on entering emscripten_futex_wait() or in its JavaScript event
//   loop, but such a call does not end a wait; so while other threads run,
//   the main thread waits in slices of kMainSliceMs, as Emscripten's own
//   mutexes do there (1 ms). With no other thread running it waits in one
//   go, and the blocking run still raises RuntimeError when nothing at all
//   could wake it; in a thread other than the main one it blocks (the main
//   thread may wake it), as CPython would.
// - A browser's main thread may not block: emscripten_futex_wait() spins
//   there, watching the counter.
// - A loop driven by webloop is woken from another thread by a call queued
//   to the driver's thread (emscripten_dispatch_to_thread_async), which that
//   thread's JavaScript event loop runs; it schedules the driver's step.
#include <emscripten.h>
#include <emscripten/threading.h>
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cmath>
#include <cstdint>
#include <new>
#include <vector>

#include "asyncio/exceptions.hpp"
#include "emscripten_backend.hpp"

// asyncio_webloop.js and asyncio_node_net.js
extern "C" {
int asyncio_net_deliver(void);
int asyncio_pthreads_running(void);
}

namespace asyncio::wasm {

namespace {

// The wake-up counter (see above). A plain 32-bit atomic: what
// emscripten_futex_wait() and JavaScript's Atomics.wait() compare.
std::atomic<std::uint32_t> g_wake_counter{0};
static_assert(sizeof(g_wake_counter) == 4 && std::atomic<std::uint32_t>::is_always_lock_free);

constexpr double kMainSliceMs = 1.0;

// The backends driven by webloop on this thread: a wake from another
// thread, run here later, acts only on one still listed (it may have been
// closed or freed meanwhile). Made on first use and never freed: no
// destructor runs at thread exit (where Emscripten's order of thread_local
// destructors has bitten before, see detail/pool.hpp).
thread_local std::vector<EmscriptenBackend*>* t_driven = nullptr;

bool driven_here(const EmscriptenBackend* backend) noexcept {
  return t_driven != nullptr && std::find(t_driven->begin(), t_driven->end(), backend) != t_driven->end();
}

bool on_main_thread() noexcept { return emscripten_is_main_runtime_thread() != 0; }

// Sleeps until the counter moves past `seen`, or `timeout` seconds pass
// (negative: no limit).
void wait_for_counter(std::uint32_t seen, double timeout) {
  const double end = timeout < 0 ? INFINITY : emscripten_get_now() + timeout * 1000.0;
  const bool main = on_main_thread();
  while (g_wake_counter.load() == seen) {
    double left = end - emscripten_get_now();
    if (left <= 0) return;
    if (main && asyncio_pthreads_running() > 0) left = std::min(left, kMainSliceMs);
    emscripten_futex_wait(&g_wake_counter, seen, left);
  }
}

}  // namespace

void EmscriptenBackend::wait_for_work(double timeout) {
  const std::uint32_t seen = g_wake_counter.load();
  const bool woken = wake_pending_.exchange(false);
  if (net_started_) {
    // Servers created without serving (start_serving=False) stop listening
    // until they serve (node_net.cpp).
    unlisten_fresh_listeners();
    if (asyncio_net_deliver() > 0 || timeout == 0 || woken) return;
    if (net_count_ > 0) {
      // Sockets are open or operations in flight: wait for their events,
      // a wake() or the timeout.
      wait_for_counter(seen, timeout);
      asyncio_net_deliver();
      return;
    }
  }
  if (timeout == 0 || woken) return;
  if (timeout < 0 && !others_may_wake()) {
    // The main thread, no other thread running, no I/O: nothing could ever
    // wake this wait. CPython would hang; say why instead.
    throw RuntimeError(
        "the event loop would wait forever: nothing is scheduled and nothing can wake it on wasm32-emscripten "
        "(no threads, signals or I/O)");
  }
  wait_for_counter(seen, timeout);
}

void EmscriptenBackend::wake() noexcept {
  wake_pending_.store(true);
  g_wake_counter.fetch_add(1);
  emscripten_futex_wake(&g_wake_counter, INT_MAX);
  const pthread_t driver_thread = driver_thread_.load();
  if (driver_thread == pthread_t{}) return;
  if (pthread_equal(driver_thread, pthread_self())) {
    wake_driver();
  } else if (!poke_pending_.exchange(true)) {
    emscripten_dispatch_to_thread_async(driver_thread, EM_FUNC_SIG_VI, &EmscriptenBackend::wake_from_other_thread,
                                        nullptr, this);
  }
}

void EmscriptenBackend::wake_from_other_thread(void* backend) noexcept {
  auto* self = static_cast<EmscriptenBackend*>(backend);
  if (!driven_here(self)) return;
  self->poke_pending_.store(false);
  self->wake_driver();
}

void EmscriptenBackend::note_driver(bool driven) noexcept {
  if (driven) {
    // Out of memory here (nothrow) only costs prompt wakes from other
    // threads: the idle driver still checks back every 100 ms.
    if (t_driven == nullptr) t_driven = new (std::nothrow) std::vector<EmscriptenBackend*>();
    if (t_driven != nullptr && !driven_here(this)) t_driven->push_back(this);
    poke_pending_.store(false);
    driver_thread_.store(pthread_self());
  } else {
    if (t_driven != nullptr) t_driven->erase(std::remove(t_driven->begin(), t_driven->end(), this), t_driven->end());
    driver_thread_.store(pthread_t{});
  }
}

bool EmscriptenBackend::others_may_wake() noexcept { return !on_main_thread() || asyncio_pthreads_running() > 0; }

void* EmscriptenBackend::net_wake_counter() noexcept { return &g_wake_counter; }

}  // namespace asyncio::wasm
