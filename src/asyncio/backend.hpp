// The narrow interface between the portable event loop and a platform.
//
// The loop (events.hpp) owns the ready queue, the timer heap and every
// ordering rule; a backend only waits for I/O and wakes the loop. libuv
// (platform/uv), the JavaScript event loop (wasm/emscripten) and the WASI stub
// implement it; so can a user who embeds the loop somewhere else (a GUI or
// game loop, a board without an OS): see docs/extending.md.
// Python: the selector / proactor below BaseEventLoop (_process_events,
// _write_to_self), and asyncio's "Extending" page.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace asyncio {

class EventLoop;

class Backend {
 public:
  virtual ~Backend() = default;

  /// Called once, by the loop that adopts this backend, before any poll().
  virtual void attach(EventLoop& loop) { event_loop_ = &loop; }

  /// Waits for I/O at most `timeout` seconds (negative: until I/O or wake();
  /// zero: without blocking), then schedules the callbacks of whatever
  /// completed on the loop (call_soon and friends).
  virtual void poll(double timeout) = 0;

  /// Makes a concurrent or the next poll() return promptly. Must be safe to
  /// call from any thread (call_soon_threadsafe uses it) and from a signal handler.
  virtual void wake() noexcept = 0;

  /// The loop is closing: release OS resources. No poll() follows.
  virtual void close() {}

  /// The monotonic clock the loop schedules timers with, in seconds.
  /// Python: loop.time() (time.monotonic())
  virtual double time() const noexcept;

  /// The platform name used in messages, e.g. "linux", "wasm32-emscripten".
  virtual std::string platform() const;

  /// Starts calling EventLoop::deliver_signal(sig), in the loop's thread,
  /// whenever signal `sig` arrives. RuntimeError("sig N cannot be caught")
  /// for SIGKILL and the like. The default raises NotImplementedError:
  /// platforms without signals (WebAssembly) keep it.
  virtual void watch_signal(int sig);
  /// Stops watching `sig` and restores its default disposition; does
  /// nothing if `sig` is not watched. The default raises
  /// NotImplementedError, like watch_signal().
  virtual void unwatch_signal(int sig);

  /// Starts a thread running `body`, for `what` (the loop's default
  /// executor, run_in_executor and to_thread; shutdown_default_executor).
  /// The default starts a std::thread, or, in a build for a target without
  /// threads (ASYNCIO_PLATFORM_HAS_THREADS=0: WebAssembly without pthreads),
  /// raises NotImplementedError("<what> is not available on <platform>").
  /// A backend may override it (a host with its own thread pool, tests).
  virtual std::thread start_thread(const char* what, std::function<void()> body);

 protected:
  /// The loop this backend serves (set by attach()).
  EventLoop* event_loop_ = nullptr;
};

/// The backend new_event_loop() uses on this platform (libuv natively).
std::unique_ptr<Backend> make_default_backend();

}  // namespace asyncio
