// Accepting connections on Windows (see uv_listener.hpp), for TCP and
// named pipes alike.
//
// Facts about this platform:
// - libuv's Windows accept path (AcceptEx for TCP, pipe instances waiting
//   in ConnectNamedPipe) has no EMFILE trick: there is no per-process limit
//   of descriptors to run out of, and connections libuv has accepted wait
//   in its pending list until uv_accept() takes them. So libuv's own
//   uv_listen()/uv_accept() serve here, and a paused server
//   (stop_accepting()) leaves the connections libuv reports queued.
// - libuv reports each connection once: those it reported while the owner
//   did not want them are counted, and taken when it wants them again.
// - A Winsock failure to accept (WSAENOBUFS: out of memory for sockets)
//   reaches on_connection() as an error status: the server pauses, as
//   CPython's does on EMFILE-like errors.
#include <system_error>

#include "uv_errors.hpp"
#include "uv_net_os.hpp"
#include "uv_stream.hpp"
#include "uv_win.hpp"

namespace asyncio::uv::win {

void WinListener::listen() {
  const int rc = uv_listen(stream(), backlog(), &WinListener::on_connection);
  if (rc < 0) throw std::system_error(error_code(rc), "listen() on " + info().getsockname().repr());
}

int WinListener::watch() noexcept {
  if (pending_ == 0) return 0;
  // Not from inside start_accepting(): the owner is not ready for them yet.
  if (!resume_open_) {
    const int rc = uv_timer_init(backend().uv_loop(), &resume_);
    if (rc < 0) return rc;
    own(&resume_);
    resume_open_ = true;
  }
  return uv_timer_start(&resume_, &WinListener::on_resume, 0, 0);
}

void WinListener::close_owned() noexcept {
  if (resume_open_) close_handle(&resume_);
  UvListener::close_owned();
}

void WinListener::on_resume(uv_timer_t* timer) { owner<WinListener>(timer)->accept_pending(); }

void WinListener::on_connection(uv_stream_t* server, int status) {
  auto* self = owner<WinListener>(server);
  if (status < 0) {
    self->fail(error_code(status));
    return;
  }
  ++self->pending_;
  self->accept_pending();
}

void WinListener::accept_pending() noexcept {
  const int family = info().family();
  const int type = info().type();
  const int proto = info().proto();
  while (pending_ > 0 && accepting()) {
    --pending_;
    auto* s = new UvStream(backend());
    StreamSocketPtr conn(s);
    int rc = is_pipe() ? s->init_pipe() : s->init_tcp(AF_UNSPEC);
    if (rc == 0) rc = uv_accept(stream(), reinterpret_cast<uv_stream_t*>(s->tcp()));
    if (rc < 0) {
      fail(error_code(rc));
      return;
    }
    try {
      s->connected(family, type, proto);
    } catch (const std::system_error& e) {
      fail(e.code());
      return;
    } catch (...) {
      fail(std::make_error_code(std::errc::not_enough_memory));
      return;
    }
    deliver(std::move(conn));
  }
}

}  // namespace asyncio::uv::win
