// Accepting connections on POSIX, with CPython's behaviour when the process
// runs out of descriptors (see uv_listener.hpp).
//
// Facts about these platforms:
// - libuv's uv_listen() path, on EMFILE/ENFILE, closes a reserved
//   descriptor, accepts and closes every pending connection, and reopens
//   it (uv__emfile_trick): the clients see a reset. CPython instead logs
//   "socket.accept() out of system resource", stops accepting for one
//   second (ACCEPT_RETRY_DELAY) and leaves the connections queued. So the
//   listening socket is watched with a uv_poll_t and accepted here; the
//   uv_tcp_t / uv_pipe_t still owns (and closes) the socket.
// - The poll handle is closed before the stream handle: uv_close() of the
//   stream closes the descriptor at once, and epoll must not watch it then.
// - CPython accepts at most `backlog` connections per readiness event.
#include <sys/socket.h>
#include <sys/stat.h>

#include <cstring>

#include "asyncio/log.hpp"
#include "uv_errors.hpp"
#include "uv_net_os.hpp"
#include "uv_posix.hpp"
#include "uv_stream.hpp"

namespace asyncio::uv::posix {

void PosixListener::listen() {
  if (::listen(fd_of(handle()), backlog()) != 0) {
    throw std::system_error(errno_code(errno), "listen() on " + info().getsockname().repr());
  }
}

int PosixListener::watch() noexcept {
  if (!poll_open_) {
    const int rc = uv_poll_init_socket(backend().uv_loop(), &poll_, fd_of(handle()));
    if (rc < 0) return rc;
    own(&poll_);
    poll_open_ = true;
  }
  return uv_poll_start(&poll_, UV_READABLE, &PosixListener::on_poll);
}

void PosixListener::unwatch() noexcept {
  if (poll_open_) uv_poll_stop(&poll_);
}

void PosixListener::close_owned() noexcept {
  if (poll_open_) close_handle(&poll_);
  UvListener::close_owned();
  remove_socket_file();
}

void PosixListener::remove_socket_file() noexcept {
  // Python: _UnixSelectorEventLoop._stop_serving
  if (!cleanup_) return;
  cleanup_ = false;
  struct stat st {};
  if (::stat(cleanup_path_.c_str(), &st) == 0) {
    if (st.st_ino == cleanup_inode_ && ::unlink(cleanup_path_.c_str()) != 0) {
      logger().error("Unable to clean up listening UNIX socket " + detail::str_repr(cleanup_path_) + ": " +
                     std::strerror(errno));
    }
  } else if (errno != ENOENT) {
    logger().error("Unable to clean up listening UNIX socket " + detail::str_repr(cleanup_path_) + ": " +
                   std::strerror(errno));
  }
}

void PosixListener::on_poll(uv_poll_t* poll, int status, int) {
  auto* self = owner<PosixListener>(poll);
  if (status < 0) {
    self->fail(error_code(status));
    return;
  }
  const int fd = fd_of(self->handle());
  const int family = self->info().family();
  const int type = self->info().type();
  const int proto = self->info().proto();
  // Python: _accept_connection accepts up to `backlog` connections per
  // readiness event.
  for (int i = 0; i < self->backlog() && self->accepting(); ++i) {
    const int conn_fd = accept_socket(fd);
    if (conn_fd < 0) {
      const int e = errno;
      // Nothing (more) to accept. Python returns on ConnectionAbortedError too.
      if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR || e == ECONNABORTED) return;
      self->fail(errno_code(e));  // EMFILE and friends: the server pauses
      return;
    }
    StreamSocketPtr conn;
    try {
      conn = wrap_connected(self->backend(), conn_fd, self->is_pipe(), family, type, proto);
    } catch (const std::system_error& e) {
      self->fail(e.code());
      return;
    } catch (...) {
      self->fail(std::make_error_code(std::errc::not_enough_memory));
      return;
    }
    self->deliver(std::move(conn));
  }
}

}  // namespace asyncio::uv::posix
