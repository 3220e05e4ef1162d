// The WASI stub: asyncio is not available on wasm32-wasi.
//
// Facts about this platform (WASI preview 1, wasi-libc, Debian's clang 14):
// - No threads (libc++ is built single-threaded), no signals, no processes,
//   and sockets only from descriptors the runtime hands over: nothing to
//   build an event loop's I/O on. CPython's asyncio docs say
//   "Availability: not WASI", and so do ours (docs/platforms.md).
// - No C++ exceptions either (no_exceptions.cpp).
// So the library builds, portable programs can test
// asyncio::platform::available at compile time, and a program that starts a
// loop anyway gets one clear line on stderr and exit status 69.
#include <memory>

#include "asyncio/backend.hpp"
#include "asyncio/platform.hpp"
#include "asyncio/runners.hpp"

namespace asyncio {

std::unique_ptr<Backend> make_default_backend() { detail::exit_platform_unavailable(); }

}  // namespace asyncio
