// What the bare-metal Cortex-M platform offers a program beyond asyncio's
// API: masking interrupts, the SysTick clock, and heap figures.
// Platforms: cortex-m (bare metal) only (the cortex-m3 preset); this header
// is on the include path of that build alone.
//
// Interrupt handlers and the loop: an interrupt handler enters the loop
// with loop.call_soon_threadsafe(callback) (an interrupt is the bare-metal
// equivalent of another thread). That call masks interrupts (PRIMASK) for
// the few instructions that queue the callback, allocates from the heap
// under newlib's malloc lock (also a PRIMASK critical section here), and
// sets the flag the loop's WFI wait checks. Nothing else of the library may
// be called from an interrupt handler: no other loop method, no stdio.
#pragma once

#include <cstddef>
#include <cstdint>

namespace asyncio::cortex_m {

/// Masks every maskable interrupt (PRIMASK = 1) and returns the previous
/// mask, for restore_interrupts(). Safe from interrupt handlers; nests.
inline std::uint32_t mask_interrupts() noexcept {
  std::uint32_t primask;
  asm volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask) : : "memory");
  return primask;
}

/// Restores the mask mask_interrupts() returned: interrupts that became
/// pending meanwhile run now, unless an outer critical section still masks them.
inline void restore_interrupts(std::uint32_t primask) noexcept {
  asm volatile("msr primask, %0" : : "r"(primask) : "memory");
}

/// Masks interrupts for its lifetime: the library's critical section (what
/// std::mutex is on this platform). Keep it short: an interrupt that fires
/// meanwhile waits, and a SysTick tick longer than one period is lost.
class CriticalSection {
 public:
  CriticalSection() noexcept : primask_(mask_interrupts()) {}
  ~CriticalSection() { restore_interrupts(primask_); }
  CriticalSection(const CriticalSection&) = delete;
  CriticalSection& operator=(const CriticalSection&) = delete;

 private:
  std::uint32_t primask_;
};

namespace detail {
extern std::uint32_t interrupt_lock_depth;    // cortex_m_irq.cpp
extern std::uint32_t interrupt_lock_primask;  // the mask the outermost lock found
}  // namespace detail

/// Takes the interrupt lock: masks interrupts, counting nested holders.
/// Unlike CriticalSection it may be released in any order (std::mutex,
/// std::recursive_mutex and newlib's malloc lock are this lock here):
/// the last unlock_interrupts() restores the mask the first one found.
/// An interrupt handler only runs while nobody holds it, so it finds the
/// count at zero and leaves it there.
inline void lock_interrupts() noexcept {
  const std::uint32_t primask = mask_interrupts();
  if (detail::interrupt_lock_depth++ == 0) detail::interrupt_lock_primask = primask;
}

/// Releases the interrupt lock taken by lock_interrupts().
inline void unlock_interrupts() noexcept {
  if (--detail::interrupt_lock_depth == 0) restore_interrupts(detail::interrupt_lock_primask);
}

/// Sleeps until an interrupt is pending (WFI). Called with interrupts
/// masked, it still wakes, and the handler runs once they are restored:
/// check a flag with interrupts masked, then wait, without missing a wake-up.
inline void wait_for_interrupt() noexcept { asm volatile("wfi" : : : "memory"); }

/// SysTick interrupts per second (build option ASYNCIO_CORTEX_M_TICK_HZ).
std::uint32_t tick_hz() noexcept;
/// The core clock SysTick counts, in Hz (build option ASYNCIO_CORTEX_M_CORE_HZ).
std::uint32_t core_hz() noexcept;
/// SysTick periods since reset.
std::uint64_t ticks() noexcept;
/// Core clock cycles since reset: ticks times the period plus the current
/// period's elapsed count, read consistently (also with interrupts masked,
/// for less than one tick). loop.time() is this divided by core_hz().
std::uint64_t cycles() noexcept;

/// Bytes of heap reserved by the linker script (build option ASYNCIO_CORTEX_M_HEAP_SIZE).
std::size_t heap_size() noexcept;
/// The most heap the program has taken from the system so far (malloc's
/// sbrk high-water mark), in bytes.
std::size_t heap_high_water() noexcept;
/// Bytes malloc has handed out and not freed, with its per-block overhead.
std::size_t heap_in_use() noexcept;

}  // namespace asyncio::cortex_m
