// Reset and C++ run-time start on a Cortex-M without an OS, with newlib and
// semihosting (--specs=rdimon.specs, linked with -nostartfiles: this file
// replaces newlib's crt0 and GCC's crti/crtbegin).
//
// Facts about this platform:
// - At reset the core loads the stack pointer and Reset_Handler from the
//   vector table (the board's, e.g. mps2_an385_vectors.cpp) and runs in
//   privileged thread mode on the main stack with interrupts enabled.
// - Nothing has set up memory: .data is copied from flash, .bss zeroed and
//   the TLS block filled here, before any constructor runs.
// - thread_local variables work through __aeabi_read_tp (ARM EABI): with
//   one thread of execution the thread pointer is a link-time constant.
// - Without crti/crtbegin, _init, _fini and __dso_handle must be defined
//   (newlib's __libc_init_array calls _init; static destructors register
//   with __cxa_atexit under __dso_handle).
// - The program's arguments come from the debugger, i.e. QEMU's
//   -semihosting-config arg=...: the semihosting command line is one
//   string; qemu-run quotes each argument, and parse_command_line() splits
//   them back (double quotes, backslash escapes).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "cortex_m_semihosting.hpp"

extern "C" {
// From the linker script.
extern const char __data_load[];
extern char __data_start[], __data_end[], __bss_start[], __bss_end[];
extern const char __tdata_start[], __tdata_end[];
extern char __tls_base[];
extern char __tls_size[];  // an absolute symbol: its address is the size

void initialise_monitor_handles();  // librdimon: opens stdin/stdout/stderr
[[noreturn]] void _exit(int status);
void asyncio_cortex_m_start_clock();  // cortex_m_clock.cpp
void __libc_init_array();
// The program's main(), called by its symbol: C++ does not let a program
// name main itself.
int asyncio_cortex_m_program_main(int argc, char** argv) __asm__("main");

void* __dso_handle = static_cast<void*>(&__dso_handle);
void _init() {}
void _fini() {}
[[noreturn]] void Reset_Handler() noexcept;
void* __aeabi_read_tp();
}

namespace {

constexpr int kMaxArgs = 64;
char g_command_line[1024];
char* g_argv[kMaxArgs + 1];

// Splits the command line in place: arguments are separated by spaces; an
// argument may be double-quoted, and a backslash takes the next character
// as it is.
int parse_command_line(char* text) {
  int argc = 0;
  char* in = text;
  while (*in != '\0' && argc < kMaxArgs) {
    while (*in == ' ') ++in;
    if (*in == '\0') break;
    char* out = in;
    g_argv[argc++] = out;
    bool quoted = false;
    for (; *in != '\0'; ++in) {
      if (*in == '\\' && in[1] != '\0') {
        *out++ = *++in;
      } else if (*in == '"') {
        quoted = !quoted;
      } else if (*in == ' ' && !quoted) {
        ++in;
        break;
      } else {
        *out++ = *in;
      }
    }
    *out = '\0';
  }
  g_argv[argc] = nullptr;
  return argc;
}

int command_line_arguments() {
  namespace semihosting = asyncio::cortex_m::semihosting;
  semihosting::CommandLineBlock block{g_command_line, sizeof g_command_line - 1};
  if (semihosting::call(semihosting::kGetCmdline, &block) != 0) {
    // Running a program with the wrong arguments would be worse than not running it.
    semihosting::write0("asyncio: the command line is longer than 1023 bytes (cortex_m_startup.cpp)\n");
    _exit(2);
  }
  g_command_line[block.length] = '\0';
  return parse_command_line(g_command_line);
}

}  // namespace

// The thread pointer of the one thread: the TLS block's address less the
// 8-byte thread control block (the linker script places both). Compiled
// code expects r0 alone to change, hence the assembly.
extern "C" [[gnu::naked]] void* __aeabi_read_tp() {
  asm("movw r0, #:lower16:__tls_tp\n"
      "movt r0, #:upper16:__tls_tp\n"
      "bx lr\n");
}

extern "C" [[noreturn]] void Reset_Handler() noexcept {
  std::memcpy(__data_start, __data_load, static_cast<std::size_t>(__data_end - __data_start));
  std::memset(__bss_start, 0, static_cast<std::size_t>(__bss_end - __bss_start));
  const auto tdata_size = static_cast<std::size_t>(__tdata_end - __tdata_start);
  const auto tls_size = reinterpret_cast<std::size_t>(__tls_size);
  std::memcpy(__tls_base, __tdata_start, tdata_size);
  std::memset(__tls_base + tdata_size, 0, tls_size - tdata_size);
  asyncio_cortex_m_start_clock();
  initialise_monitor_handles();
  __libc_init_array();
  const int argc = command_line_arguments();
  std::exit(asyncio_cortex_m_program_main(argc, g_argv));
}
