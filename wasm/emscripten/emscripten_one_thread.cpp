// The Emscripten backend's waiting and waking without pthreads (the
// `emscripten` preset): one thread, so only the loop's own callbacks, JS
// callbacks between webloop steps and Node.js's I/O worker can bring work.
// The I/O worker bumps a counter of its own (a JS SharedArrayBuffer) that
// poll() waits on. emscripten_pthreads.cpp is the build with threads.
#include <emscripten.h>

#include "asyncio/exceptions.hpp"
#include "emscripten_backend.hpp"

// asyncio_webloop.js and asyncio_node_net.js
extern "C" {
void asyncio_sleep_sync(double ms);
unsigned asyncio_net_seq(void);
void asyncio_net_wait(unsigned seen, double ms);
int asyncio_net_deliver(void);
}

namespace asyncio::wasm {

void EmscriptenBackend::wait_for_work(double timeout) {
  if (net_started_) {
    // Servers created without serving (start_serving=False) stop listening
    // until they serve (node_net.cpp).
    unlisten_fresh_listeners();
    const unsigned seen = asyncio_net_seq();
    if (asyncio_net_deliver() > 0 || timeout == 0) return;
    if (net_count_ > 0) {
      // Sockets are open or operations in flight: wait for their events
      // (or the timeout).
      asyncio_net_wait(seen, timeout < 0 ? -1.0 : timeout * 1000.0);
      asyncio_net_deliver();
      return;
    }
  }
  if (timeout == 0) return;  // no I/O to check
  if (timeout > 0) {
    asyncio_sleep_sync(timeout * 1000.0);
    return;
  }
  // Nothing scheduled and one thread: no callback, thread or signal could
  // ever wake this wait. CPython would hang; say why instead.
  throw RuntimeError(
      "the event loop would wait forever: nothing is scheduled and nothing can wake it on wasm32-emscripten "
      "(no threads, signals or I/O)");
}

// One thread: the caller is a callback of this loop or JS between two
// webloop steps, never a blocked wait to interrupt.
void EmscriptenBackend::wake() noexcept { wake_driver(); }

void EmscriptenBackend::note_driver(bool) noexcept {}

bool EmscriptenBackend::others_may_wake() noexcept { return false; }

void* EmscriptenBackend::net_wake_counter() noexcept { return nullptr; }

void EmscriptenBackend::wake_from_other_thread(void*) noexcept {}

}  // namespace asyncio::wasm
