// The heap on a Cortex-M without an OS: newlib's malloc, fed by _sbrk()
// from the region the linker script reserves (__heap_start..__heap_end,
// build option ASYNCIO_CORTEX_M_HEAP_SIZE), and made interrupt-safe.
//
// call_soon_threadsafe() may run in an interrupt handler and allocates the
// callback's handle there. newlib serializes malloc through
// __malloc_lock/__malloc_unlock, which are empty by default (and meant to
// be replaced): here they take the interrupt lock (cortex_m.hpp), so an
// interrupt can never enter malloc while the loop is inside it. The lock
// nests (newlib may take it again inside itself).
#include <errno.h>
#include <malloc.h>
#include <reent.h>

#include <cstddef>
#include <cstdint>

#include "asyncio/cortex_m.hpp"

extern "C" {
extern char __heap_start[], __heap_end[];
}

namespace {
char* g_break = __heap_start;
char* g_high_water = __heap_start;
}  // namespace

extern "C" void* _sbrk(std::ptrdiff_t increment) {
  asyncio::cortex_m::CriticalSection cs;
  char* previous = g_break;
  if (increment > __heap_end - g_break || increment < __heap_start - g_break) {
    errno = ENOMEM;
    return reinterpret_cast<void*>(-1);  // NOLINT(performance-no-int-to-ptr): sbrk's failure value, (void*)-1
  }
  g_break += increment;
  if (g_break > g_high_water) g_high_water = g_break;
  return previous;
}

extern "C" void __malloc_lock(struct _reent*) { asyncio::cortex_m::lock_interrupts(); }

extern "C" void __malloc_unlock(struct _reent*) { asyncio::cortex_m::unlock_interrupts(); }

namespace asyncio::cortex_m {

std::size_t heap_size() noexcept { return static_cast<std::size_t>(__heap_end - __heap_start); }

std::size_t heap_high_water() noexcept {
  CriticalSection cs;
  return static_cast<std::size_t>(g_high_water - __heap_start);
}

std::size_t heap_in_use() noexcept { return static_cast<std::size_t>(mallinfo().uordblks); }

}  // namespace asyncio::cortex_m
