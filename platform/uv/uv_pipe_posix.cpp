// AF_UNIX stream sockets on POSIX: uv_pipe_t handles around sockets this
// file connects and binds itself.
//
// Facts about these platforms:
// - libuv 1.44's uv_pipe_bind()/uv_pipe_connect() take a C string: they
//   truncate long paths silently and cannot name Linux's abstract sockets.
//   So the socket is bound or connected here and wrapped with
//   uv_pipe_open(); CPython's "AF_UNIX path too long" is raised instead.
// - Connecting to a listener whose backlog is full fails with EAGAIN
//   (Linux) instead of blocking: the connect is retried on a timer.
// - A socket file left by an earlier server is replaced (CPython removes a
//   stale socket file, never another kind of file); on close the file is
//   removed if it is still ours (same inode).
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "asyncio/exceptions.hpp"
#include "asyncio/log.hpp"
#include "uv_errors.hpp"
#include "uv_handle.hpp"
#include "uv_net_os.hpp"
#include "uv_posix.hpp"
#include "uv_stream.hpp"

namespace asyncio::uv {

namespace posix {

socklen_t unix_sockaddr(const std::string& path, sockaddr_un& un) {
  // Python: getsockaddrarg's AF_UNIX case.
  std::memset(&un, 0, sizeof un);
  un.sun_family = AF_UNIX;
  const bool abstract = is_abstract_unix_name(path);
  // A path needs room for its terminating NUL; an abstract name does not.
  if (path.size() > sizeof(un.sun_path) - (abstract ? 0 : 1)) {
    throw std::system_error(errno_code(ENAMETOOLONG), "AF_UNIX path too long " + detail::str_repr(path));
  }
  std::memcpy(un.sun_path, path.data(), path.size());
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + (abstract ? 0 : 1));
}

}  // namespace posix

namespace {

using posix::errno_code;

// A connect to a listener whose backlog was full (EAGAIN), retried with a
// growing delay (1 ms doubling up to 100 ms) until it connects or fails.
class UnixConnect final : public Operation<StreamSocketPtr> {
 public:
  UnixConnect(UvBackend& backend, int fd, std::string path, Future<StreamSocketPtr> future)
      : Operation(backend, std::move(future)), fd_(fd), path_(std::move(path)) {}

  // Takes fd_: closed on failure.
  void start() {
    const int rc = uv_timer_init(backend_.uv_loop(), &timer_);
    if (rc < 0) {
      finish(error_code(rc));
      return;
    }
    timer_.data = this;
    timer_open_ = true;
    watch_cancellation();
    uv_timer_start(&timer_, &UnixConnect::on_timer, delay_ms_, 0);
  }

 private:
  ~UnixConnect() override {
    if (fd_ >= 0) ::close(fd_);
  }

  static void on_timer(uv_timer_t* t) {
    auto* self = static_cast<UnixConnect*>(t->data);
    sockaddr_un un{};
    const socklen_t len = posix::unix_sockaddr(self->path_, un);
    if (::connect(self->fd_, reinterpret_cast<sockaddr*>(&un), len) == 0 || errno == EISCONN) {
      self->finish(std::error_code());
    } else if (errno == EAGAIN || errno == EINPROGRESS || errno == EALREADY || errno == EINTR) {
      self->delay_ms_ = std::min<std::uint64_t>(self->delay_ms_ * 2, 100);
      uv_timer_start(&self->timer_, &UnixConnect::on_timer, self->delay_ms_, 0);
    } else {
      self->finish(errno_code(errno));
    }
  }

  // Completes the future (unless abandoned) and frees the operation.
  void finish(std::error_code error) {
    if (!error) {
      try {
        succeed(wrap_connected(backend_, std::exchange(fd_, -1), true, AF_UNIX, SOCK_STREAM, 0));
      } catch (...) {
        fail(std::current_exception());
      }
    } else {
      SockAddr remote;
      remote.family = AF_UNIX;
      remote.host = path_;
      fail(std::make_exception_ptr(std::system_error(error, "Connect call failed " + remote.repr())));
    }
    release();
  }
  void on_abandon() noexcept override { release(); }
  void release() noexcept {
    if (released_) return;
    released_ = true;
    if (!timer_open_) {
      delete this;
      return;
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_),
             [](uv_handle_t* h) { delete static_cast<UnixConnect*>(h->data); });
  }

  uv_timer_t timer_{};
  int fd_;
  std::string path_;
  std::uint64_t delay_ms_ = 1;
  bool timer_open_ = false;
  bool released_ = false;
};

}  // namespace

Future<StreamSocketPtr> UvBackend::sock_connect_unix(const std::string& path) {
  Future<StreamSocketPtr> future(event_loop());
  sockaddr_un un{};
  const socklen_t len = posix::unix_sockaddr(path, un);
  const int fd = posix::open_socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) throw std::system_error(errno_code(errno), "socket(AF_UNIX)");
  if (::connect(fd, reinterpret_cast<sockaddr*>(&un), len) == 0) {
    future.set_result(wrap_connected(*this, fd, true, AF_UNIX, SOCK_STREAM, 0));
    return future;
  }
  const int e = errno;
  if (e == EAGAIN || e == EINPROGRESS || e == EINTR) {
    // The listener's backlog is full: retry until it has room.
    auto* op = new UnixConnect(*this, fd, path, future);
    op->start();
    return future;
  }
  ::close(fd);
  SockAddr remote;
  remote.family = AF_UNIX;
  remote.host = path;
  future.set_exception(std::system_error(errno_code(e), "Connect call failed " + remote.repr()));
  return future;
}

ListeningSocketPtr UvBackend::sock_listen_unix(const std::string& path, const ListenOptions& options) {
  // Python: _UnixSelectorEventLoop.create_unix_server
  sockaddr_un un{};
  const socklen_t len = posix::unix_sockaddr(path, un);
  const bool abstract = posix::is_abstract_unix_name(path);
  if (!abstract) {
    // Remove a stale socket file (not other files).
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
      if (::unlink(path.c_str()) != 0) {
        logger().error("Unable to check or remove stale UNIX socket " + detail::str_repr(path) + ": " +
                       std::strerror(errno));
      }
    }
  }
  const int fd = posix::open_socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) throw std::system_error(errno_code(errno), "socket(AF_UNIX)");
  if (::bind(fd, reinterpret_cast<sockaddr*>(&un), len) != 0) {
    const int e = errno;
    ::close(fd);
    if (e == EADDRINUSE) {
      // Let's improve the error message by adding with what exact address
      // it occurs (Python's wording).
      throw OSError(errno_code(e), "Address " + detail::str_repr(path) + " is already in use");
    }
    throw std::system_error(errno_code(e), "error while attempting to bind on address " + detail::str_repr(path));
  }
  auto* listener = new posix::PosixListener(*this, options.backlog);
  ListeningSocketPtr ptr(listener);
  int rc = listener->init_pipe();
  if (rc == 0) rc = listener->open(fd);
  if (rc < 0) {
    ::close(fd);
    throw std::system_error(error_code(rc), "uv_pipe_open");
  }
  listener->set_info(os::describe_socket(listener->handle(), AF_UNIX, SOCK_STREAM, 0));
  struct stat st {};
  if (options.cleanup_socket && !abstract && ::stat(path.c_str(), &st) == 0) listener->remove_on_close(path, st.st_ino);
  return ptr;
}

}  // namespace asyncio::uv
