// The libuv backend's process-wide glue on POSIX systems (uv_os.hpp).
//
// Facts about these platforms:
// - Writing to a socket whose peer is gone raises SIGPIPE, whose default
//   action ends the process; the Python interpreter ignores it at startup,
//   so asyncio code sees EPIPE (BrokenPipeError) instead.
#include <netdb.h>
#include <signal.h>

#include <csignal>

#include "asyncio/sockets.hpp"
#include "uv_os.hpp"

namespace asyncio::uv {

void prepare_process() noexcept {
  static const bool done = [] {
    // A handler the program installed is left alone.
    struct sigaction current {};
    if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) std::signal(SIGPIPE, SIG_IGN);
    detail::set_gai_strerror(&::gai_strerror);
    return true;
  }();
  (void)done;
}

void check_signal_supported(int) {}

}  // namespace asyncio::uv
