// What the libuv backend does differently per OS family, one file each
// (uv_os_posix.cpp: Linux, macOS; uv_os_win.cpp: Windows), picked by
// cmake/AsyncioPlatform.cmake as libuv picks src/unix or src/win.
#pragma once

namespace asyncio::uv {

/// Process-wide set-up, once, before the first loop: what the OS needs so
/// that asyncio behaves as CPython (POSIX: SIGPIPE ignored), and the
/// messages of getaddrinfo() errors (gai_category()).
void prepare_process() noexcept;

/// Raises NotImplementedError if add_signal_handler() cannot watch `sig`
/// here although it is a valid signal number (Windows: every signal but
/// SIGINT and SIGBREAK, the console events libuv emulates). POSIX: does
/// nothing; libuv itself rejects SIGKILL and SIGSTOP.
void check_signal_supported(int sig);

}  // namespace asyncio::uv
