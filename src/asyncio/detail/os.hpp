// What the portable core knows about the operating system, implemented
// once per OS family (os_posix.cpp; os_win.cpp for Windows), picked by
// cmake/AsyncioPlatform.cmake: the core itself includes no OS header.
#pragma once

#include <cstddef>

namespace asyncio::detail {

/// The platform's AF_INET, AF_INET6 and AF_UNSPEC (sockets.hpp declares
/// sock_stream(), ai_passive() and af_unix(), defined in the same files).
int af_inet() noexcept;
int af_inet6() noexcept;
int af_unspec() noexcept;

/// True if SIGINT has the disposition the program started with, so that
/// asyncio::run may install its Ctrl-C handler. Python: Runner.run checks
/// signal.getsignal(SIGINT) is signal.default_int_handler.
bool sigint_is_default() noexcept;

/// What create_server() does when reuse_address is not given: true on
/// POSIX (SO_REUSEADDR), false on Windows, where it would let another
/// program take the port. Python: os.name == "posix" in create_server.
bool reuse_address_by_default() noexcept;

/// `size` bytes of zeroed memory straight from the OS (mmap, VirtualAlloc;
/// the heap where there is no such call), so that free_pages() gives the
/// pages back at once: the read-chunk pool's storage (chunk_pool.cpp).
/// Null if memory is exhausted.
void* alloc_pages(std::size_t size) noexcept;
/// Returns memory from alloc_pages(`size`).
void free_pages(void* p, std::size_t size) noexcept;

}  // namespace asyncio::detail
