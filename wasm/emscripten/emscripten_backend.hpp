// The Emscripten backend: the JavaScript event loop drives the portable loop.
//
// Facts about this platform:
// - This build has no pthreads: one thread. Nothing but the loop's own
//   callbacks can add work while it waits, so a loop waiting with nothing
//   scheduled would wait forever; poll() raises RuntimeError instead.
// - No sockets, pipes, processes or signals are reachable here: Backend's
//   defaults raise NotImplementedError("<method> is not available on
//   wasm32-emscripten") for them.
// - JavaScript runs only when the wasm code returns to the JS event loop.
//   The blocking run_forever()/run_until_complete()/asyncio::run() therefore
//   sleep synchronously between timers: Atomics.wait in Node.js; a browser's
//   main thread may not block, so there it spins and the page does not
//   repaint meanwhile (as time.sleep() does in CPython on Emscripten).
// - webloop::run_forever()/webloop::run() never block: each pass of the loop
//   is a JS macrotask (setImmediate in Node.js, a MessageChannel message in
//   browsers, setTimeout until the next timer), so the page stays responsive.
//   We chose stepping from JS timers over Asyncify: no code-size or speed
//   cost on every function that may be on the stack during a wait (task
//   steps and callbacks are indirect calls, so that would be nearly all),
//   JS may call into the module between steps, and it is the same
//   EventLoop::run_step() any host loop uses (docs/extending.md).
// - Clock: performance.now() through emscripten_get_now(), monotonic.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "asyncio/backend.hpp"

namespace asyncio::wasm {

struct WebloopDriver;

class EmscriptenBackend final : public Backend {
 public:
  ~EmscriptenBackend() override;

  void poll(double timeout) override;
  void wake() noexcept override;
  void close() override;
  double time() const noexcept override;
  std::string platform() const override;

  /// The JS driver stepping this backend's loop, if any.
  WebloopDriver* driver() const noexcept { return driver_; }
  void set_driver(WebloopDriver* driver) noexcept { driver_ = driver; }

 private:
  WebloopDriver* driver_ = nullptr;
};

}  // namespace asyncio::wasm
