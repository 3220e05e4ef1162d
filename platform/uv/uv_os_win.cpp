// The libuv backend on Windows (uv_os.hpp).
//
// Facts about this platform:
// - No POSIX signals. The C runtime's signal.h has SIGINT and SIGBREAK
//   for the console's Ctrl-C and Ctrl-Break (Python's signal module on
//   Windows offers the same two), and libuv's uv_signal_t emulates them
//   from console events (SetConsoleCtrlHandler). libuv also turns a closed
//   console into SIGHUP and a resize into SIGWINCH, numbers mingw's
//   signal.h does not define (SIGWINCH is beyond its NSIG). Any other
//   signal number is accepted by uv_signal_start() but never arrives, so
//   add_signal_handler() takes SIGINT and SIGBREAK and refuses the rest
//   with NotImplementedError (CPython's Windows loops raise it for every
//   signal; this one supports what the console delivers).
// - Under Wine, a Unix SIGINT sent to the program's process becomes a
//   CTRL_C_EVENT for its console handlers, hence libuv's SIGINT.
// - No SIGPIPE: a write to a closed connection fails with an error.
// - getaddrinfo() errors are Winsock codes (EAI_NONAME is
//   WSAHOST_NOT_FOUND); their text comes from FormatMessage, as Windows'
//   own gai_strerror() does (which keeps it in one static buffer), line
//   breaks made spaces: "No such host is known. ", trailing space included,
//   as CPython's socket.gaierror says it there.
#include <winsock2.h>
#include <windows.h>
#include <ws2tcpip.h>

#include <csignal>
#include <string>

#include "asyncio/exceptions.hpp"
#include "asyncio/sockets.hpp"
#include "uv_os.hpp"

namespace asyncio::uv {

namespace {

const char* gai_message(int code) {
  // As Windows' gai_strerrorA(), which CPython's socket.gaierror uses
  // there ("No such host is known. "), in a buffer per thread instead of
  // its one static buffer.
  thread_local char buffer[1024];
  const DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS |
                                     FORMAT_MESSAGE_MAX_WIDTH_MASK,
                                 nullptr, static_cast<DWORD>(code), MAKELANGID(LANG_NEUTRAL, SUBLANG_DEFAULT), buffer,
                                 sizeof buffer, nullptr);
  if (n == 0) return "getaddrinfo failed";
  return buffer;
}

}  // namespace

void prepare_process() noexcept {
  static const bool done = [] {
    detail::set_gai_strerror(&gai_message);
    return true;
  }();
  (void)done;
}

void check_signal_supported(int sig) {
  if (sig == SIGINT || sig == SIGBREAK) return;
  throw NotImplementedError("add_signal_handler is not available on win32 for signal " + std::to_string(sig) +
                            ": Windows has no POSIX signals, only the console's SIGINT (Ctrl-C) and SIGBREAK "
                            "(Ctrl-Break)");
}

}  // namespace asyncio::uv
