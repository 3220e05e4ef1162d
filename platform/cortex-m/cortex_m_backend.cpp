#include "cortex_m_backend.hpp"

#include <cmath>
#include <cstdint>
#include <memory>

#include "asyncio/cortex_m.hpp"
#include "asyncio/platform.hpp"

namespace asyncio::cortex_m {

void CortexMBackend::poll(double timeout) {
  // No I/O to check: a zero timeout returns at once (a pending wake-up is
  // consumed: the loop is about to look at its inbox anyway).
  if (timeout == 0) {
    woken_.store(false, std::memory_order_relaxed);
    return;
  }
  const bool bounded = timeout > 0;
  const std::uint64_t deadline =
      bounded ? cycles() + static_cast<std::uint64_t>(std::ceil(timeout * static_cast<double>(core_hz()))) : 0;
  for (;;) {
    const std::uint32_t primask = mask_interrupts();
    if (woken_.exchange(false, std::memory_order_acquire) || (bounded && cycles() >= deadline)) {
      restore_interrupts(primask);
      return;
    }
    wait_for_interrupt();
    restore_interrupts(primask);  // the handler of whatever woke us runs here
  }
}

void CortexMBackend::wake() noexcept { woken_.store(true, std::memory_order_release); }

double CortexMBackend::time() const noexcept { return static_cast<double>(cycles()) / static_cast<double>(core_hz()); }

std::string CortexMBackend::platform() const { return std::string(asyncio::platform::name); }

}  // namespace asyncio::cortex_m

namespace asyncio {

std::unique_ptr<Backend> make_default_backend() { return std::make_unique<cortex_m::CortexMBackend>(); }

}  // namespace asyncio
