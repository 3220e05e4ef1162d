// The portable core's few facts about the operating system, one file per OS
// family (os_posix.cpp: Linux, macOS and the POSIX-shaped WebAssembly libcs;
// os_win.cpp: Windows), picked by cmake/AsyncioPlatform.cmake.
#pragma once

namespace asyncio::detail {

/// The platform's AF_INET, AF_INET6 and AF_UNSPEC values (sockets.hpp
/// declares sock_stream(), ai_passive() and af_unix(), also defined per OS).
int af_inet() noexcept;
int af_inet6() noexcept;
int af_unspec() noexcept;

/// True if SIGINT still has the disposition the program started with, so
/// that asyncio::run may install its Ctrl-C handler (Python: Runner.run
/// checks signal.getsignal(SIGINT) is signal.default_int_handler).
bool sigint_is_default() noexcept;

}  // namespace asyncio::detail
