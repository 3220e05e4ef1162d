// Seeing the tasks of a live process from outside: the in-process side of
// the `asyncio-ps` tool (Python 3.14: `python -m asyncio ps PID` and
// `python -m asyncio pstree PID`).
//
//   asyncio::inspect::enable();   // or run the program with ASYNCIO_INSPECT=1
//   // then, from a shell:  asyncio-ps ps <pid>   asyncio-ps pstree <pid>
//
// Once enabled, the process answers on a Unix socket named after its pid in
// $XDG_RUNTIME_DIR (else $TMPDIR, else /tmp), readable by its user only
// (mode 0600) and removed at exit. Each request is served by every live
// event loop on its own thread (through call_soon_threadsafe), so reading
// the tasks never races with them; while no request comes, it costs a
// thread blocked in accept().
//
// Divergence: Python reads the target's memory without running code in it;
// here the target answers, so a loop that does not come back to its event
// loop (a callback blocking it) is listed as not answering.
#pragma once

#include <string>

namespace asyncio::inspect {

/// Starts answering asyncio-ps requests (once; later calls do nothing).
/// OSError if the socket cannot be made; NotImplementedError on platforms
/// without Unix sockets and threads (Emscripten, WASI, Windows).
/// Python: none (CPython's tools read the process's memory)
void enable();

/// True once enable() succeeded in this process.
bool enabled() noexcept;

/// The socket a process with this pid answers on, once enabled.
std::string socket_path(long pid);

/// The JSON document asyncio-ps receives: per live event loop its thread id
/// and, if it answered within `timeout` seconds (a loop not running, or
/// blocked that long, is listed with "running": false), its pending tasks (id,
/// name, state, coroutine stack, who awaits them). Callable in-process (not
/// from a loop's own thread while it runs: that loop could not answer).
/// NotImplementedError where enable() raises it.
std::string snapshot_json(double timeout = 10.0);

}  // namespace asyncio::inspect

namespace asyncio::detail {
/// enable() if ASYNCIO_INSPECT is set (and not "0"); a failure is logged.
/// Called when an event loop is created.
void inspect_from_environment() noexcept;
}  // namespace asyncio::detail
