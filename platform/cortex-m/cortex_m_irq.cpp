// The interrupt lock's state (asyncio/cortex_m.hpp): how many holders, and
// the PRIMASK the first one found. Only touched with interrupts masked.
#include <cstdint>

#include "asyncio/cortex_m.hpp"

namespace asyncio::cortex_m::detail {
std::uint32_t interrupt_lock_depth = 0;
std::uint32_t interrupt_lock_primask = 0;
}  // namespace asyncio::cortex_m::detail
