// What the libuv backend does differently per OS family, one file each
// (uv_os_posix.cpp: Linux, macOS; uv_os_win.cpp: Windows), picked by
// cmake/AsyncioPlatform.cmake as libuv picks src/unix or src/win. The
// network code's own per-OS needs are in uv_net_os.hpp.
#pragma once

namespace asyncio::uv {

/// Once per process, before the first loop: what the OS needs for asyncio
/// to behave as CPython (POSIX: SIGPIPE ignored), and the messages of
/// getaddrinfo() errors (gai_category()).
void prepare_process() noexcept;

/// Raises NotImplementedError if add_signal_handler() cannot watch `sig`
/// here although it is a valid signal number. POSIX: nothing to check
/// (libuv itself refuses SIGKILL and SIGSTOP).
void check_signal_supported(int sig);

}  // namespace asyncio::uv
