// The portable core's OS facts (detail/os.hpp) on POSIX systems: Linux,
// macOS, and the WebAssembly libcs (Emscripten's musl, wasi-libc), whose
// <sys/socket.h> has the address types even without sockets to use them on.
#include <signal.h>
#include <sys/socket.h>

#include "asyncio/detail/os.hpp"
#include "asyncio/platform.hpp"
#include "asyncio/sockets.hpp"

// <netdb.h> only where there is a resolver: wasi-libc has none, and clang
// would otherwise pick up the build machine's /usr/include/netdb.h.
#if ASYNCIO_PLATFORM_HAS_NETWORK
#include <netdb.h>
#endif

namespace asyncio::detail {

int sock_stream() noexcept { return SOCK_STREAM; }

int ai_passive() noexcept {
#if ASYNCIO_PLATFORM_HAS_NETWORK
  return AI_PASSIVE;
#else
  // No resolver: the loop's network methods raise NotImplementedError before
  // they build getaddrinfo() hints.
  return 0;
#endif
}

int af_unix() noexcept {
#if defined(AF_UNIX)
  return AF_UNIX;
#else
  return -1;
#endif
}

int af_inet() noexcept { return AF_INET; }
int af_inet6() noexcept { return AF_INET6; }
int af_unspec() noexcept { return AF_UNSPEC; }

bool reuse_address_by_default() noexcept { return true; }

bool sigint_is_default() noexcept {
#if ASYNCIO_PLATFORM_HAS_SIGNALS
  struct sigaction current {};
  if (sigaction(SIGINT, nullptr, &current) != 0) return false;
  return current.sa_handler == SIG_DFL;
#else
  return false;  // no signals (WebAssembly): nothing to handle
#endif
}

}  // namespace asyncio::detail
