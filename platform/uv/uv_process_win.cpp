// Child processes and pipe transports on Windows: not implemented yet.
//
// libuv's uv_spawn() works on Windows (its own test suite's spawn cases pass
// under Wine), but this library's spawning (uv_process_posix.cpp) is built
// on POSIX pipes, descriptors and signals: the Windows side (named pipes
// for the standard streams, CreateProcess's command-line quoting,
// TerminateProcess for kill()) is still to be written. Until then
// platform::has_subprocesses is false on Windows: supports_subprocesses()
// says so, the loop's subprocess and pipe methods raise
// NotImplementedError("<method> is not available on win32"), and the
// [subprocess] tests are listed as not run there (docs/platforms.md).
#include "uv_backend.hpp"
#include "uv_process.hpp"

namespace asyncio::uv {

namespace os {

// Nothing is ever spawned here, so there is nothing to reap or close.
void kill_and_reap(int) noexcept {}
void close_fd(int) noexcept {}

}  // namespace os

// Backend's defaults: NotImplementedError naming the loop method.
Backend::SpawnedChild UvBackend::spawn(const SpawnOptions& options, ChildProcessEvents* events) {
  return Backend::spawn(options, events);
}

StreamSocketPtr UvBackend::pipe_open(int fd, bool writable) { return Backend::pipe_open(fd, writable); }

}  // namespace asyncio::uv
