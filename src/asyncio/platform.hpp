// What this build of asyncio can do on its target platform, known at
// compile time and at run time alike. Python: the "Availability:" notes of
// the asyncio docs and asyncio's "Platform Support" page.
//
//   if constexpr (!asyncio::platform::available) {
//     std::cerr << asyncio::platform::unavailable_reason << '\n';
//     return 1;
//   }
//
// The values come from the backend the build picked (cmake/AsyncioPlatform.cmake
// passes them as compile definitions of the asyncio target), so a program
// can branch with `if constexpr` and the compiler drops the other side.
// docs/platforms.md lists every target and feature.
#pragma once

#include <string_view>

#ifndef ASYNCIO_PLATFORM_NAME
#define ASYNCIO_PLATFORM_NAME "unknown"
#endif
#ifndef ASYNCIO_PLATFORM_AVAILABLE
#define ASYNCIO_PLATFORM_AVAILABLE 1
#endif
#ifndef ASYNCIO_PLATFORM_HAS_THREADS
#define ASYNCIO_PLATFORM_HAS_THREADS 1
#endif
#ifndef ASYNCIO_PLATFORM_HAS_SIGNALS
#define ASYNCIO_PLATFORM_HAS_SIGNALS 1
#endif
#ifndef ASYNCIO_PLATFORM_HAS_NETWORK
#define ASYNCIO_PLATFORM_HAS_NETWORK 1
#endif
#ifndef ASYNCIO_PLATFORM_HAS_SUBPROCESSES
#define ASYNCIO_PLATFORM_HAS_SUBPROCESSES 1
#endif
#ifndef ASYNCIO_PLATFORM_HAS_TLS
#define ASYNCIO_PLATFORM_HAS_TLS 0
#endif
#ifndef ASYNCIO_PLATFORM_NETWORK_AT_RUN_TIME
#define ASYNCIO_PLATFORM_NETWORK_AT_RUN_TIME 0
#endif

namespace asyncio::platform {

/// The target's name as messages give it: "linux", "darwin", "win32",
/// "wasm32-emscripten" or "wasm32-wasi" (Python: sys.platform, with the
/// architecture for WebAssembly as the asyncio docs write it).
inline constexpr std::string_view name = ASYNCIO_PLATFORM_NAME;

/// True where an event loop can run: everywhere but WASI. Where it is false
/// the library builds, but starting a loop prints unavailable_reason and
/// exits with exit_status_unavailable.
/// Python: "Availability: not WASI" on the asyncio module's page
inline constexpr bool available = ASYNCIO_PLATFORM_AVAILABLE != 0;

/// Why no loop can run here (empty where one can).
inline constexpr std::string_view unavailable_reason =
    available ? std::string_view()
              : std::string_view(
                    "asyncio is not available on WASI (wasm32-wasi): WASI preview 1 has no threads, signals, "
                    "subprocesses or sockets of its own to run an event loop on. Availability: not WASI (see "
                    "docs/platforms.md)");

/// The exit status of a program that starts a loop where none can run:
/// 69, EX_UNAVAILABLE of <sysexits.h> ("service unavailable").
inline constexpr int exit_status_unavailable = 69;

/// Threads exist: call_soon_threadsafe() from other threads, executors.
inline constexpr bool has_threads = ASYNCIO_PLATFORM_HAS_THREADS != 0;
/// POSIX signals exist: add_signal_handler() for any catchable signal,
/// Ctrl-C handling in run(). False on Windows, which has only the
/// console's SIGINT (Ctrl-C) and SIGBREAK: add_signal_handler() takes those
/// two there, and run() handles Ctrl-C.
inline constexpr bool has_signals = ASYNCIO_PLATFORM_HAS_SIGNALS != 0;
/// This build has sockets: streams, transports, DNS. On wasm32-emscripten
/// they are Node.js's, so a program in a browser has none: ask
/// network_available() there.
inline constexpr bool has_network = ASYNCIO_PLATFORM_HAS_NETWORK != 0;
/// Child processes exist: create_subprocess_exec() and friends.
inline constexpr bool has_subprocesses = ASYNCIO_PLATFORM_HAS_SUBPROCESSES != 0;
/// asyncio was built with a TLS library (OpenSSL): the ssl= arguments and
/// start_tls() work (given sockets). See docs/ssl.md.
inline constexpr bool has_tls = ASYNCIO_PLATFORM_HAS_TLS != 0;

namespace detail {
/// Defined by a backend whose sockets depend on where the program runs.
bool network_available_at_run_time() noexcept;
}  // namespace detail

/// Sockets exist where the program runs now: has_network, and on
/// wasm32-emscripten only under Node.js (a browser has no sockets: the
/// network methods raise NotImplementedError naming "wasm32-emscripten
/// (browser)").
inline bool network_available() noexcept {
  if constexpr (ASYNCIO_PLATFORM_NETWORK_AT_RUN_TIME != 0) {
    return detail::network_available_at_run_time();
  } else {
    return has_network;
  }
}

}  // namespace asyncio::platform
