#include "asyncio/testing.hpp"

#include "asyncio/detail/loop_registry.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "asyncio/exceptions.hpp"
#include "asyncio/detail/loop_internals.hpp"

namespace asyncio {

namespace testing {

namespace {

void check_seconds(double seconds, const char* what) {
  if (std::isnan(seconds)) throw ValueError(std::string(what) + " must not be NaN");
  if (seconds < 0) throw ValueError(std::string(what) + " must be >= 0, got " + std::to_string(seconds));
}

// True if the loop has callbacks to run now (the checks of an idle wait).
bool work_ready(const EventLoop& loop) noexcept {
  const std::optional<double> next = loop.time_until_next_step();
  return next && *next == 0.0;
}

}  // namespace

VirtualClock::VirtualClock(VirtualClockOptions options)
    : now_(options.start), autojump_(options.autojump), autojump_threshold_(options.autojump_threshold) {
  if (std::isnan(options.start)) throw ValueError("the start time must not be NaN");
  check_seconds(options.autojump_threshold, "autojump_threshold");
}

void VirtualClock::advance(double seconds) {
  check_seconds(seconds, "advance");
  double now = now_.load(std::memory_order_relaxed);
  while (!now_.compare_exchange_weak(now, now + seconds, std::memory_order_acq_rel)) {
  }
  // A loop waiting (in another thread) must see the timers now due.
  if (loop_ != nullptr && detail::tls_running_loop != loop_) detail::internals(*loop_).wake_threadsafe();
}

void VirtualClock::set_autojump_threshold(double seconds) {
  check_seconds(seconds, "autojump_threshold");
  autojump_threshold_ = seconds;
}

void VirtualClock::jump_to(double when) noexcept {
  double now = now_.load(std::memory_order_relaxed);
  while (when > now && !now_.compare_exchange_weak(now, when, std::memory_order_acq_rel)) {
  }
  ++jumps_;
}

void VirtualClock::idle(EventLoop& loop, double timeout) {
  Backend& backend = loop.backend();
  // I/O that is ready now comes first, whatever the clock does.
  backend.poll(0);
  if (work_ready(loop)) return;
  if (timeout < 0 || !autojump_ || loop.clock_holds_ > 0) {
    // No timer to jump to, jumping is off, or another thread owes the loop
    // a result: wait in real time for I/O or a wake-up (call_soon_threadsafe,
    // a thread's result, advance() from another thread).
    backend.poll(-1);
    return;
  }
  if (autojump_threshold_ > 0) {
    backend.poll(std::min(autojump_threshold_, timeout));
    if (work_ready(loop)) return;
  }
  // Straight to the earliest timer (at most the loop's 24 h poll cap).
  double target = time() + timeout;
  if (std::optional<double> deadline = detail::internals(loop).next_deadline(); deadline && *deadline <= target) target = *deadline;
  jump_to(target);
}

void VirtualClock::install(EventLoop& loop, std::shared_ptr<VirtualClock> clock) noexcept {
  clock->loop_ = &loop;
  loop.virtual_now_ = &clock->now_;
  loop.virtual_clock_ = std::move(clock);
}

VirtualClock* VirtualClock::of(EventLoop& loop) noexcept { return loop.virtual_clock_.get(); }

std::shared_ptr<EventLoop> new_virtual_time_loop(std::unique_ptr<Backend> backend, VirtualClockOptions options) {
  auto clock = std::make_shared<VirtualClock>(options);  // checks the options first
  auto loop = std::make_shared<EventLoop>(std::move(backend));
  detail::note_loop_shared(loop.get());
  VirtualClock::install(*loop, std::move(clock));
  return loop;
}

std::shared_ptr<EventLoop> new_virtual_time_loop(VirtualClockOptions options) {
  return new_virtual_time_loop(make_default_backend(), options);
}

std::function<std::shared_ptr<EventLoop>()> virtual_time_loop_factory(VirtualClockOptions options) {
  return [options] { return new_virtual_time_loop(options); };
}

VirtualClock* virtual_clock(EventLoop& loop) noexcept { return VirtualClock::of(loop); }

VirtualClock& running_clock() {
  VirtualClock* clock = virtual_clock(get_running_loop());
  if (clock == nullptr) throw RuntimeError("the running event loop has no virtual clock");
  return *clock;
}

}  // namespace testing

void EventLoop::wait_virtual(double timeout) { virtual_clock_->idle(*this, timeout); }

}  // namespace asyncio
