// Virtual time for testing asyncio code: a loop whose clock advances only
// when the loop would otherwise wait, jumping straight to the next timer.
// A test of a 30-second timeout runs in microseconds, the same way every
// time. Python: CPython's own test_asyncio.utils.TestLoop ("a loop that
// manages its own time"); trio's MockClock(autojump_threshold=0).
//
//   TEST_CASE("the client gives up after three retries") {
//     int attempts = asyncio::testing::run(client_with_retries());   // minutes of loop time
//   }
//
//   // Step by step, CPython TestLoop style:
//   auto loop = asyncio::testing::new_virtual_time_loop({.autojump = false});
//   auto& clock = *asyncio::testing::virtual_clock(*loop);
//   loop->call_later(10, [] { ... });
//   clock.advance(10);   // the callback runs on the next iteration
//
// How the clock moves (autojump): each time the loop has nothing ready and
// would wait for its next timer, it first checks I/O without waiting; if
// nothing arrived, the clock jumps to the timer's deadline and the loop
// goes on at once. So:
// - Callbacks and task steps take no virtual time: loop.time() changes only
//   between iterations, by jumps (or by advance()).
// - I/O between the loop's own endpoints (a client and a server on
//   loopback in the same loop) needs no waiting and works as usual.
// - Work in other threads (run_in_executor, to_thread, DNS lookups) holds the
//   clock: while a result is due from another thread, the loop waits for it
//   in real time and does not jump, so thread results are never overtaken by
//   timers. They take no virtual time.
// - Peers outside the loop (another process, a thread writing to a socket
//   directly) are invisible to the clock: it jumps as soon as the loop is
//   idle. For such tests set autojump_threshold: the loop then waits that
//   many real seconds of idleness before each jump.
// - A loop with no timer at all waits for I/O like any loop (a test that
//   deadlocks hangs, as it would in real time).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>

#include "asyncio/coroutines.hpp"
#include "asyncio/events.hpp"
#include "asyncio/runners.hpp"

namespace asyncio::testing {

/// How a virtual clock behaves. Python: trio.testing.MockClock's settings.
struct VirtualClockOptions {
  /// Jump to the next timer whenever the loop would wait for it; false: the
  /// clock moves only through VirtualClock::advance().
  bool autojump = true;
  /// Real seconds the loop must stay idle (no I/O, no callbacks) before a
  /// jump: 0 jumps at once; give e.g. 0.05 when the test talks to peers
  /// outside the loop (another process, another thread's socket).
  double autojump_threshold = 0.0;
  /// loop.time() at the start.
  double start = 0.0;
};

/// The clock of a virtual-time loop. advance() may be called from any thread;
/// the rest from the loop's thread.
class VirtualClock {
 public:
  explicit VirtualClock(VirtualClockOptions options = {});
  VirtualClock(const VirtualClock&) = delete;
  VirtualClock& operator=(const VirtualClock&) = delete;

  /// The clock's reading, in seconds (what loop.time() returns).
  double time() const noexcept { return now_.load(std::memory_order_acquire); }
  /// Moves the clock forward by `seconds`; timers now due run on the loop's
  /// next iteration (the loop is woken if it waits). ValueError if
  /// `seconds` is negative or NaN. Python: TestLoop.advance_time(advance)
  void advance(double seconds);
  /// Python: TestLoop.advance_time(advance)
  template <class Rep, class Period>
  void advance(std::chrono::duration<Rep, Period> delta) {
    advance(std::chrono::duration<double>(delta).count());
  }

  /// Whether the clock jumps to the next timer when the loop is idle.
  bool autojump() const noexcept { return autojump_; }
  void set_autojump(bool on) noexcept { autojump_ = on; }
  /// Real seconds of idleness before a jump (see VirtualClockOptions).
  double autojump_threshold() const noexcept { return autojump_threshold_; }
  /// ValueError if negative or NaN.
  void set_autojump_threshold(double seconds);
  /// How many times the clock jumped by itself (advance() not counted).
  std::uint64_t jumps() const noexcept { return jumps_; }

 private:
  friend class asyncio::EventLoop;
  friend std::shared_ptr<EventLoop> new_virtual_time_loop(std::unique_ptr<Backend> backend, VirtualClockOptions options);
  friend VirtualClock* virtual_clock(EventLoop& loop) noexcept;
  // Called by the loop when it is idle with its earliest timer `timeout`
  // seconds away (negative: no timer): waits for I/O and thread results as
  // the rules above say, or jumps to the timer.
  void idle(EventLoop& loop, double timeout);
  void jump_to(double when) noexcept;
  // Makes `clock` the clock of `loop` (a new loop, before anything is scheduled).
  static void install(EventLoop& loop, std::shared_ptr<VirtualClock> clock) noexcept;
  static VirtualClock* of(EventLoop& loop) noexcept;

  std::atomic<double> now_;
  EventLoop* loop_ = nullptr;  // set when installed
  bool autojump_;
  double autojump_threshold_;
  std::uint64_t jumps_ = 0;
};

/// A new event loop on the platform's default backend whose clock is a
/// VirtualClock. Like new_event_loop(), the loop is not made current.
std::shared_ptr<EventLoop> new_virtual_time_loop(VirtualClockOptions options = {});
/// The same on a backend of the caller's (a fake or instrumented one): the
/// loop's clock is virtual, whatever `backend->time()` says. ValueError if
/// `backend` is null.
std::shared_ptr<EventLoop> new_virtual_time_loop(std::unique_ptr<Backend> backend, VirtualClockOptions options = {});

/// A loop factory for run() and Runner (RunOptions::loop_factory): every
/// loop it makes has a virtual clock of its own.
std::function<std::shared_ptr<EventLoop>()> virtual_time_loop_factory(VirtualClockOptions options = {});

/// `loop`'s virtual clock, or nullptr if its clock is real.
VirtualClock* virtual_clock(EventLoop& loop) noexcept;

/// The running loop's virtual clock. RuntimeError if no loop is running or
/// its clock is real.
VirtualClock& running_clock();

/// asyncio::run(main) on a loop with a virtual clock: returns main's result.
/// Python: asyncio.run(main, loop_factory=...)
template <class T>
T run(Coro<T> main, VirtualClockOptions options = {}) {
  return asyncio::run(std::move(main), RunOptions{.debug = std::nullopt,
                                                  .loop_factory = virtual_time_loop_factory(options)});
}

}  // namespace asyncio::testing
