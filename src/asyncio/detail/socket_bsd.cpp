// Portable POSIX versions of asyncio::Socket's OS calls (detail/socket_os.hpp),
// for macOS, the BSDs and any POSIX system without Linux's calls.
//
// Facts about these platforms:
// - No SOCK_CLOEXEC on macOS, no accept4(): close-on-exec is set right
//   after creation; a fork()+exec() in another thread in between can
//   inherit the descriptor.
// - No SO_PROTOCOL on macOS: proto is reported as 0, as CPython does there.
// - sendfile() exists on macOS and FreeBSD with signatures of their own;
//   this portable version reports ENOSYS, so loop.sock_sendfile() and
//   loop.sendfile() use their read-and-send fallback (or raise
//   SendfileNotAvailableError with fallback=false).
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "asyncio/detail/socket_os.hpp"

namespace asyncio::detail {

namespace {
int set_cloexec(int fd) noexcept {
  if (fd >= 0 && ::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
    const int e = errno;
    ::close(fd);
    errno = e;
    return -1;
  }
  return fd;
}
}  // namespace

int open_socket(int family, int type, int proto) noexcept { return set_cloexec(::socket(family, type, proto)); }

int open_socketpair(int family, int type, int proto, int fds[2]) noexcept {
  if (::socketpair(family, type, proto, fds) != 0) return -1;
  set_cloexec(fds[0]);
  set_cloexec(fds[1]);
  return 0;
}

int accept_nonblocking(int fd, sockaddr* address, socklen_t* len) noexcept {
  const int conn = set_cloexec(::accept(fd, address, len));
  if (conn >= 0) {
    const int flags = ::fcntl(conn, F_GETFL);
    ::fcntl(conn, F_SETFL, flags | O_NONBLOCK);
  }
  return conn;
}

int socket_protocol(int) noexcept { return 0; }

long long sendfile_once(int, int, std::int64_t, std::size_t) noexcept {
  errno = ENOSYS;
  return -1;
}

}  // namespace asyncio::detail
