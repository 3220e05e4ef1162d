// The portable core's OS facts (detail/os.hpp) on POSIX systems: Linux,
// macOS, and the WebAssembly libcs (Emscripten's musl, wasi-libc), whose
// <sys/socket.h> has the address types even without sockets to use them on.
#include <signal.h>
#include <sys/socket.h>

#include <new>

#include "asyncio/detail/os.hpp"
#include "asyncio/detail/pool.hpp"  // ASYNCIO_POOL_ASAN
#include "asyncio/platform.hpp"
#include "asyncio/sockets.hpp"

// <netdb.h> only where there is a resolver: wasi-libc has none, and clang
// would otherwise pick up the build machine's /usr/include/netdb.h.
#if ASYNCIO_PLATFORM_HAS_NETWORK
#include <netdb.h>
#include <sys/mman.h>
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

// Under AddressSanitizer (ASYNCIO_POOL_ASAN, a property of the built
// library) chunks come from the heap, whose redzones catch an access past a
// chunk's end that mapped pages would let through.
#if ASYNCIO_PLATFORM_HAS_NETWORK && !ASYNCIO_POOL_ASAN
#define ASYNCIO_CHUNKS_ARE_PAGES 1
#else
#define ASYNCIO_CHUNKS_ARE_PAGES 0
#endif

void* alloc_pages(std::size_t size) noexcept {
#if ASYNCIO_CHUNKS_ARE_PAGES
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
#else
  // WebAssembly and bare metal (no sockets read into chunks), and ASan.
  return ::operator new(size, std::nothrow);
#endif
}

void free_pages(void* p, std::size_t size) noexcept {
#if ASYNCIO_CHUNKS_ARE_PAGES
  ::munmap(p, size);
#else
  (void)size;
  ::operator delete(p);
#endif
}

}  // namespace asyncio::detail
