// 64-bit atomics on a Cortex-M3: the core has 32-bit exclusive loads and
// stores (LDREX/STREX) but no 64-bit ones, so GCC calls __atomic_*_8
// functions that libatomic would provide, and the toolchain ships no
// libatomic for bare metal. With one core, masking interrupts makes the
// operation atomic (a CriticalSection, asyncio/cortex_m.hpp). The library
// uses them for counters (task names, future ids).
#include <cstdint>

#include "asyncio/cortex_m.hpp"

using asyncio::cortex_m::CriticalSection;
using u64 = std::uint64_t;

extern "C" {

u64 __atomic_load_8(const volatile void* p, int) {
  CriticalSection cs;
  return *static_cast<const volatile u64*>(p);
}

void __atomic_store_8(volatile void* p, u64 v, int) {
  CriticalSection cs;
  *static_cast<volatile u64*>(p) = v;
}

u64 __atomic_exchange_8(volatile void* p, u64 v, int) {
  CriticalSection cs;
  auto* q = static_cast<volatile u64*>(p);
  const u64 old = *q;
  *q = v;
  return old;
}

bool __atomic_compare_exchange_8(volatile void* p, void* expected, u64 desired, bool, int, int) {
  CriticalSection cs;
  auto* q = static_cast<volatile u64*>(p);
  auto* e = static_cast<u64*>(expected);
  if (*q == *e) {
    *q = desired;
    return true;
  }
  *e = *q;
  return false;
}

u64 __atomic_fetch_add_8(volatile void* p, u64 v, int) {
  CriticalSection cs;
  auto* q = static_cast<volatile u64*>(p);
  const u64 old = *q;
  *q = old + v;
  return old;
}

u64 __atomic_fetch_sub_8(volatile void* p, u64 v, int) {
  CriticalSection cs;
  auto* q = static_cast<volatile u64*>(p);
  const u64 old = *q;
  *q = old - v;
  return old;
}

}  // extern "C"
