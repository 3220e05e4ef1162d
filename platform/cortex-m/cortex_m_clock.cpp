// Time on a Cortex-M without an OS: the SysTick timer.
//
// SysTick counts the core clock down from RELOAD to 0 and interrupts each
// time it wraps; the handler counts the wraps (ticks). The time is the
// tick count times the period plus how far the counter has come in the
// current period, as integers: loop.time() divides that cycle count by the
// clock frequency each time it is asked, so it never drifts the way a
// float accumulated tick by tick would, and is exact to the cycle.
//
// Build options (platform/cortex-m/sources.cmake):
//   ASYNCIO_CORTEX_M_CORE_HZ  the clock SysTick counts (the core clock):
//                             25 MHz on mps2-an385
//   ASYNCIO_CORTEX_M_TICK_HZ  interrupts per second, 1000 by default; the
//                             resolution of a WFI wait. RELOAD must fit SysTick's
//                             24 bits: CORE_HZ / TICK_HZ <= 16777216.
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>

#include "asyncio/cortex_m.hpp"

#ifndef ASYNCIO_CORTEX_M_CORE_HZ
#define ASYNCIO_CORTEX_M_CORE_HZ 25000000
#endif
#ifndef ASYNCIO_CORTEX_M_TICK_HZ
#define ASYNCIO_CORTEX_M_TICK_HZ 1000
#endif

namespace asyncio::cortex_m {

namespace {

constexpr std::uint32_t kCoreHz = ASYNCIO_CORTEX_M_CORE_HZ;
constexpr std::uint32_t kTickHz = ASYNCIO_CORTEX_M_TICK_HZ;
constexpr std::uint32_t kPeriod = kCoreHz / kTickHz;  // cycles per tick
static_assert(kTickHz > 0 && kPeriod >= 2 && kPeriod <= (1u << 24),
              "SysTick's 24-bit counter cannot count ASYNCIO_CORTEX_M_CORE_HZ / ASYNCIO_CORTEX_M_TICK_HZ cycles");

struct SysTick {
  volatile std::uint32_t csr;  // control and status
  volatile std::uint32_t rvr;  // reload value
  volatile std::uint32_t cvr;  // current value (counts down)
};
SysTick& systick() { return *reinterpret_cast<SysTick*>(0xE000E010); }
volatile std::uint32_t& icsr() { return *reinterpret_cast<volatile std::uint32_t*>(0xE000ED04); }
constexpr std::uint32_t kCsrEnable = 1u << 0;
constexpr std::uint32_t kCsrTickInt = 1u << 1;
constexpr std::uint32_t kCsrCoreClock = 1u << 2;
constexpr std::uint32_t kIcsrPendSysTick = 1u << 26;

// Written by the SysTick handler only; read with interrupts masked.
volatile std::uint64_t g_ticks = 0;

}  // namespace

std::uint32_t tick_hz() noexcept { return kTickHz; }
std::uint32_t core_hz() noexcept { return kCoreHz; }

std::uint64_t ticks() noexcept {
  CriticalSection cs;
  return g_ticks;
}

std::uint64_t cycles() noexcept {
  CriticalSection cs;
  std::uint64_t t = g_ticks;
  std::uint32_t count = systick().cvr;
  // A wrap whose interrupt has not run yet (it is masked here, or about to
  // run): count it, and read the counter again, now certainly after the
  // wrap. Without this, time could step back by a tick.
  if ((icsr() & kIcsrPendSysTick) != 0) {
    ++t;
    count = systick().cvr;
  }
  return t * kPeriod + (kPeriod - 1 - count);
}

}  // namespace asyncio::cortex_m

// Started at reset, before any constructor: the clock runs from boot.
extern "C" void asyncio_cortex_m_start_clock() {
  auto& st = asyncio::cortex_m::systick();
  st.csr = 0;
  st.rvr = asyncio::cortex_m::kPeriod - 1;
  st.cvr = 0;
  st.csr = asyncio::cortex_m::kCsrEnable | asyncio::cortex_m::kCsrTickInt | asyncio::cortex_m::kCsrCoreClock;
}

// Masked: a higher-priority handler reading the clock must not see half an
// update of the 64-bit count.
extern "C" void SysTick_Handler() {
  asyncio::cortex_m::CriticalSection cs;
  asyncio::cortex_m::g_ticks = asyncio::cortex_m::g_ticks + 1;
}

namespace {
// Idles (WFI) until `n` cycles have passed.
void idle_cycles(std::uint64_t n) {
  using namespace asyncio::cortex_m;
  const std::uint64_t deadline = cycles() + n;
  while (cycles() < deadline) wait_for_interrupt();
}
}  // namespace

// newlib has no sleep() or usleep(); libstdc++'s std::this_thread::sleep_for
// calls them. Sleeping the only thread idles the core until time has passed.
extern "C" unsigned sleep(unsigned seconds) {
  idle_cycles(static_cast<std::uint64_t>(seconds) * asyncio::cortex_m::kCoreHz);
  return 0;
}

extern "C" int usleep(useconds_t useconds) {
  idle_cycles((static_cast<std::uint64_t>(useconds) * asyncio::cortex_m::kCoreHz + 999999) / 1000000);
  return 0;
}

// The toolchain's gettimeofday() asks the debugger for the host's time in
// whole seconds (semihosting SYS_TIME), and libstdc++'s steady_clock and
// system_clock read gettimeofday(). The link wraps it (-Wl,--wrap=_gettimeofday,
// sources.cmake) so that both read SysTick instead, to the microsecond:
// std::chrono::steady_clock agrees with loop.time(); with no real-time clock
// on the board, system_clock's epoch is the reset.
extern "C" int __wrap__gettimeofday(struct timeval* tv, void*) {
  if (tv != nullptr) {
    const std::uint64_t c = asyncio::cortex_m::cycles();
    constexpr std::uint64_t hz = asyncio::cortex_m::kCoreHz;
    tv->tv_sec = static_cast<time_t>(c / hz);
    tv->tv_usec = static_cast<suseconds_t>((c % hz) * 1000000 / hz);
  }
  return 0;
}
