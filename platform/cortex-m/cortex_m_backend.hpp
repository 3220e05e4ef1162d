// The bare-metal Cortex-M backend: the portable loop on a microcontroller
// without an OS (newlib, semihosting), e.g. QEMU's mps2-an385 board.
//
// Facts about this platform:
// - One thread of execution, plus interrupt handlers that may preempt it at
//   any instruction. An interrupt handler is this platform's "other
//   thread": it enters the loop with call_soon_threadsafe(), which is
//   interrupt-safe (the library's mutexes and newlib's malloc lock mask
//   interrupts here, see compat/mutex and cortex_m_heap.cpp) and calls
//   wake().
// - Time is the SysTick timer (cortex_m_clock.cpp): ticks times the period
//   plus the counter's progress, in integer cycles, divided by the core
//   clock when read: monotonic, exact to the cycle, no float drift.
// - poll(timeout) idles the core with WFI until the deadline or wake():
//   interrupts are masked while the wake-up flag is checked and WFI starts
//   (WFI still wakes on a pending interrupt), so a wake-up between the
//   check and the sleep cannot be lost. SysTick's interrupt ends each WFI,
//   so a deadline is noticed within one tick (ASYNCIO_CORTEX_M_TICK_HZ).
//   Other interrupts wake the core too, but poll() returns only if their
//   handler called wake() (call_soon_threadsafe() does).
// - A loop with nothing scheduled waits for an interrupt handler's
//   call_soon_threadsafe(), as firmware idles: it does not raise.
// - No sockets, threads, signals or processes: Backend's defaults raise
//   NotImplementedError("<method> is not available on cortex-m (bare metal)").
#pragma once

#include <atomic>
#include <string>

#include "asyncio/backend.hpp"

namespace asyncio::cortex_m {

class CortexMBackend final : public Backend {
 public:
  void poll(double timeout) override;
  void wake() noexcept override;
  double time() const noexcept override;
  std::string platform() const override;

 private:
  // Set by wake() (from interrupt handlers too), cleared by poll().
  std::atomic<bool> woken_{false};
};

}  // namespace asyncio::cortex_m
