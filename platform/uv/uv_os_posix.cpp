// The libuv backend on POSIX systems (uv_os.hpp).
#include <netdb.h>
#include <signal.h>

#include <csignal>

#include "asyncio/sockets.hpp"
#include "uv_os.hpp"

namespace asyncio::uv {

void prepare_process() noexcept {
  static const bool done = [] {
    // A write to a connection the peer closed must report EPIPE instead of
    // killing the process (Python ignores SIGPIPE too). A handler the
    // program installed is left alone.
    struct sigaction current {};
    if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) std::signal(SIGPIPE, SIG_IGN);
    detail::set_gai_strerror(&::gai_strerror);
    return true;
  }();
  (void)done;
}

void check_signal_supported(int) {}

}  // namespace asyncio::uv
