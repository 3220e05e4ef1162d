#include "uv_listener.hpp"

#include <system_error>
#include <utility>

#include "uv_errors.hpp"
#include "uv_net_os.hpp"

namespace asyncio::uv {

int UvListener::init_tcp(int family) noexcept {
  const int rc = uv_tcp_init_ex(backend().uv_loop(), &h_.tcp, static_cast<unsigned>(family));
  if (rc == 0) {
    own(&h_.tcp);
    initialised_ = true;
  }
  return rc;
}

int UvListener::init_pipe() noexcept {
  const int rc = uv_pipe_init(backend().uv_loop(), &h_.pipe, 0);
  if (rc == 0) {
    own(&h_.pipe);
    initialised_ = true;
  }
  return rc;
}

int UvListener::open(uv_os_sock_t sock) noexcept {
  return is_pipe() ? uv_pipe_open(&h_.pipe, static_cast<uv_file>(sock)) : uv_tcp_open(&h_.tcp, sock);
}

void UvListener::start_accepting(ListeningSocketEvents* events) {
  events_ = events;
  if (closing()) return;
  if (!listening_) {
    listen();
    listening_ = true;
  }
  if (!accepting_) {
    const int rc = watch();
    if (rc < 0) throw std::system_error(error_code(rc), "accepting on " + info_.getsockname().repr());
    accepting_ = true;
  }
}

void UvListener::stop_accepting() noexcept {
  if (accepting_ && !closing()) unwatch();
  accepting_ = false;
}

void UvListener::fail(std::error_code error) noexcept {
  stop_accepting();
  if (events_) events_->on_accept_error(error);
}

void UvListener::close_owned() noexcept {
  accepting_ = false;
  events_ = nullptr;
  // uv_close() closes the socket at once: the port or path is free when
  // close() returns, as in Python.
  if (initialised_) close_handle(&h_.handle);
}

void UvListener::on_detach() noexcept {
  if (ListeningSocketEvents* events = std::exchange(events_, nullptr)) events->on_detached();
}

}  // namespace asyncio::uv
