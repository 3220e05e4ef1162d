// What the portable core knows about the operating system, implemented
// once per OS family (os_posix.cpp; os_win.cpp for Windows), picked by
// cmake/AsyncioPlatform.cmake: the core itself includes no OS header.
#pragma once

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

}  // namespace asyncio::detail
