#include "uv_stream.hpp"

#include <system_error>
#include <vector>

#include "asyncio/detail/pool.hpp"
#include "uv_errors.hpp"
#include "uv_net_os.hpp"

namespace asyncio::uv {

namespace {

// The uv_buf_t array of `buffers`: `small` if it fits, else `large`
// (nullptr if that cannot be allocated). libuv copies the array, not the bytes.
uv_buf_t* fill(std::span<const std::string_view> buffers, uv_buf_t (&small)[16],
               std::vector<uv_buf_t>& large) noexcept {
  uv_buf_t* bufs = small;
  if (buffers.size() > 16) {
    try {
      large.resize(buffers.size());
    } catch (...) {
      return nullptr;
    }
    bufs = large.data();
  }
  for (std::size_t i = 0; i < buffers.size(); ++i) {
    bufs[i] = uv_buf_init(const_cast<char*>(buffers[i].data()), static_cast<unsigned>(buffers[i].size()));
  }
  return bufs;
}

}  // namespace

int UvStream::init_tcp(int family) noexcept {
  const int rc = uv_tcp_init_ex(backend().uv_loop(), &h_.tcp, static_cast<unsigned>(family));
  if (rc == 0) {
    own(&h_.tcp);
    initialised_ = true;
  }
  return rc;
}

int UvStream::init_pipe() noexcept {
  const int rc = uv_pipe_init(backend().uv_loop(), &h_.pipe, 0);
  if (rc == 0) {
    own(&h_.pipe);
    initialised_ = true;
  }
  return rc;
}

int UvStream::open(uv_os_sock_t sock) noexcept {
  return h_.handle.type == UV_NAMED_PIPE ? uv_pipe_open(&h_.pipe, static_cast<uv_file>(sock))
                                         : uv_tcp_open(&h_.tcp, sock);
}

void UvStream::connected(int family, int type, int proto) {
  info_ = os::describe_socket(&h_.handle, family, type, proto);
  if (h_.handle.type == UV_TCP) uv_tcp_nodelay(&h_.tcp, 1);
}

void UvStream::start_reading() {
  if (reading_ || closing()) return;
  const int rc = uv_read_start(&h_.stream, &UvStream::on_alloc, &UvStream::on_read);
  if (rc < 0 && rc != UV_EALREADY) throw std::system_error(error_code(rc), "uv_read_start");
  reading_ = true;
}

void UvStream::stop_reading() noexcept {
  if (!reading_ || closing()) return;
  uv_read_stop(&h_.stream);
  reading_ = false;
}

std::size_t UvStream::try_write(std::span<const std::string_view> buffers, std::error_code& error) noexcept {
  uv_buf_t small[16];
  std::vector<uv_buf_t> large;
  uv_buf_t* bufs = fill(buffers, small, large);
  if (bufs == nullptr) {
    error = std::make_error_code(std::errc::not_enough_memory);
    return 0;
  }
  const int rc = uv_try_write(&h_.stream, bufs, static_cast<unsigned>(buffers.size()));
  if (rc >= 0) return static_cast<std::size_t>(rc);
  if (rc != UV_EAGAIN) error = error_code(rc);
  return 0;
}

std::error_code UvStream::write(std::span<const std::string_view> buffers) noexcept {
  uv_buf_t small[16];
  std::vector<uv_buf_t> large;
  uv_buf_t* bufs = fill(buffers, small, large);
  if (bufs == nullptr) return std::make_error_code(std::errc::not_enough_memory);
  // The request lives while the write is queued (most writes complete in
  // try_write() and need none): an idle connection does not carry one.
  uv_write_t* req = nullptr;
  try {
    req = new (detail::pool_allocate(sizeof(uv_write_t))) uv_write_t{};
  } catch (...) {
    return std::make_error_code(std::errc::not_enough_memory);
  }
  const int rc = uv_write(req, &h_.stream, bufs, static_cast<unsigned>(buffers.size()), &UvStream::on_write);
  if (rc < 0) {
    detail::pool_deallocate(req, sizeof(uv_write_t));
    return error_code(rc);
  }
  return {};
}

void UvStream::shutdown() noexcept {
  if (shutdown_ || closing()) return;
  shutdown_ = true;
  // A failure (ENOTCONN: the peer is gone) surfaces on the next read. The
  // request lives until its callback (which also runs, cancelled, on close).
  uv_shutdown_t* req = nullptr;
  try {
    req = new (detail::pool_allocate(sizeof(uv_shutdown_t))) uv_shutdown_t{};
  } catch (...) {
    return;  // out of memory: the connection is closed without a FIN first
  }
  auto done = [](uv_shutdown_t* r, int) { detail::pool_deallocate(r, sizeof(uv_shutdown_t)); };
  if (uv_shutdown(req, &h_.stream, done) < 0) detail::pool_deallocate(req, sizeof(uv_shutdown_t));
}

void UvStream::close_owned() noexcept {
  events_ = nullptr;
  if (initialised_) close_handle(&h_.handle);
}

void UvStream::on_detach() noexcept {
  if (StreamSocketEvents* events = std::exchange(events_, nullptr)) events->on_detached();
}

void UvStream::on_alloc(uv_handle_t* h, std::size_t suggested, uv_buf_t* buf) {
  auto* self = owner<UvStream>(h);
  std::span<char> span;
  if (self->events_) span = self->events_->read_buffer(suggested);
  *buf = uv_buf_init(span.data(), static_cast<unsigned>(span.size()));
}

void UvStream::on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t*) {
  auto* self = owner<UvStream>(s);
  if (nread == 0 || nread == UV_ENOBUFS) return;  // EAGAIN, or the owner declined to read now
  if (nread < 0) self->reading_ = false;          // libuv stops reading at EOF and on errors
  StreamSocketEvents* events = self->events_;
  if (events == nullptr) return;
  if (nread > 0) {
    events->on_read(static_cast<std::size_t>(nread));
  } else if (nread == UV_EOF) {
    // Python reads once more after data and sees the reset; libuv may not.
    const std::error_code error = os::error_after_hangup(s);
    if (error)
      events->on_read_error(error);
    else
      events->on_eof();
  } else {
    events->on_read_error(error_code(static_cast<int>(nread)));
  }
}

void UvStream::on_write(uv_write_t* req, int status) {
  auto* self = owner<UvStream>(req->handle);
  detail::pool_deallocate(req, sizeof(uv_write_t));
  if (self->events_ == nullptr) return;  // closing: UV_ECANCELED
  self->events_->on_write_done(status < 0 ? error_code(status) : std::error_code());
}

StreamSocketPtr wrap_connected(UvBackend& backend, uv_os_sock_t sock, bool pipe, int family, int type, int proto) {
  auto* s = new UvStream(backend);
  StreamSocketPtr ptr(s);
  int rc = pipe ? s->init_pipe() : s->init_tcp(AF_UNSPEC);
  if (rc == 0) rc = s->open(sock);
  if (rc < 0) {
    os::close_socket(sock);
    throw std::system_error(error_code(rc), pipe ? "uv_pipe_open" : "uv_tcp_open");
  }
  s->connected(family, type, proto);
  return ptr;
}

}  // namespace asyncio::uv
