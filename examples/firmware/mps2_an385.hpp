// The two peripherals examples/firmware uses on QEMU's mps2-an385 board:
// the CMSDK APB timers (ARM DDI 0479: TIMER0 at 0x40000000 on IRQ 8,
// TIMER1 at 0x40001000 on IRQ 9, clocked at 25 MHz) and the Cortex-M
// NVIC's enable registers. A few lines of registers, as a board support
// package would give them.
#pragma once

#include <cstdint>

namespace board {

inline constexpr std::uint32_t kTimerHz = 25000000;

struct ApbTimer {
  volatile std::uint32_t ctrl;   // bit 0: enable, bit 3: interrupt enable
  volatile std::uint32_t value;  // counts down to 0, then reloads
  volatile std::uint32_t reload;
  volatile std::uint32_t intstatus;  // read: interrupt pending; write 1: clear
};

inline ApbTimer& timer0() { return *reinterpret_cast<ApbTimer*>(0x40000000); }
inline ApbTimer& timer1() { return *reinterpret_cast<ApbTimer*>(0x40001000); }
inline constexpr int kTimer0Irq = 8;
inline constexpr int kTimer1Irq = 9;

/// Starts `t` interrupting every `period_us` microseconds.
inline void start_timer(ApbTimer& t, std::uint32_t period_us) {
  t.ctrl = 0;
  t.reload = kTimerHz / 1000000 * period_us - 1;
  t.value = t.reload;
  t.intstatus = 1;
  t.ctrl = (1u << 0) | (1u << 3);
}

inline void stop_timer(ApbTimer& t) {
  t.ctrl = 0;
  t.intstatus = 1;
}

/// Acknowledges the timer's interrupt (in its handler).
inline void clear_timer_interrupt(ApbTimer& t) { t.intstatus = 1; }

inline void enable_irq(int irq) { reinterpret_cast<volatile std::uint32_t*>(0xE000E100)[irq / 32] = 1u << (irq % 32); }

inline void disable_irq(int irq) { reinterpret_cast<volatile std::uint32_t*>(0xE000E180)[irq / 32] = 1u << (irq % 32); }

}  // namespace board
