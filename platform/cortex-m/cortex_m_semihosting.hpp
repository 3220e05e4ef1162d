// ARM semihosting: requests from the program to the debugger (here QEMU's
// -semihosting-config enable=on,target=native), made with `bkpt 0xab` on
// M-profile cores. newlib's librdimon (--specs=rdimon.specs) implements
// stdio and exit() on top of it; the platform uses it directly for the
// command line and for messages that must get out when nothing else works
// (a fault handler).
#pragma once

#include <cstddef>

namespace asyncio::cortex_m::semihosting {

inline constexpr int kWrite0 = 0x04;      // SYS_WRITE0: print a NUL-terminated string
inline constexpr int kGetCmdline = 0x15;  // SYS_GET_CMDLINE

struct CommandLineBlock {
  char* buffer;
  int length;  // in: the buffer's size; out: the command line's length
};

/// Makes semihosting request `op` with parameter `arg`; returns r0.
inline int call(int op, void* arg) noexcept {
  register int r0 asm("r0") = op;
  register void* r1 asm("r1") = arg;
  asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

/// Prints `text` on the debugger's console, bypassing stdio.
inline void write0(const char* text) noexcept { call(kWrite0, const_cast<char*>(text)); }

}  // namespace asyncio::cortex_m::semihosting
