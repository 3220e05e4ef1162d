// The core's OS facts on Windows (detail/os.hpp).
//
// Facts about this platform:
// - Sockets are Winsock's: the address families and flags come from
//   <winsock2.h>/<ws2tcpip.h>. AF_UNIX (1) exists since Windows 10 1803;
//   the libuv backend reaches local sockets through named pipes instead.
// - There are no POSIX signals. The C runtime's signal() emulates SIGINT
//   and SIGBREAK from console events; libuv hooks the console events
//   itself (SetConsoleCtrlHandler), so a handler the program set with
//   signal() is the only disposition to respect.
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <csignal>

#include "asyncio/detail/os.hpp"
#include "asyncio/sockets.hpp"

namespace asyncio::detail {

int sock_stream() noexcept { return SOCK_STREAM; }
int ai_passive() noexcept { return AI_PASSIVE; }
int af_unix() noexcept { return AF_UNIX; }
int af_inet() noexcept { return AF_INET; }
int af_inet6() noexcept { return AF_INET6; }
int af_unspec() noexcept { return AF_UNSPEC; }

bool reuse_address_by_default() noexcept { return false; }

bool sigint_is_default() noexcept {
  // The C runtime has no way to read a disposition without setting one:
  // swap the default in and put back what was there.
  void (*previous)(int) = std::signal(SIGINT, SIG_DFL);
  if (previous == SIG_ERR) return false;
  if (previous != SIG_DFL) std::signal(SIGINT, previous);
  return previous == SIG_DFL;
}

void* alloc_pages(std::size_t size) noexcept {
  return ::VirtualAlloc(nullptr, size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
}

void free_pages(void* p, std::size_t) noexcept { ::VirtualFree(p, 0, MEM_RELEASE); }

}  // namespace asyncio::detail
