// asyncio::Socket's Linux-only calls (detail/socket_os.hpp; socket_bsd.cpp
// has the portable POSIX versions).
//
// Facts about this platform:
// - SOCK_CLOEXEC and accept4() set close-on-exec atomically.
// - sendfile(2) copies from a file to a socket inside the kernel; on a
//   non-blocking socket it sends what fits and fails with EAGAIN when
//   nothing does. Python: os.sendfile() as loop.sock_sendfile() uses it.
#include <sys/sendfile.h>
#include <sys/socket.h>

#include "asyncio/detail/socket_os.hpp"

namespace asyncio::detail {

int open_socket(int family, int type, int proto) noexcept { return ::socket(family, type | SOCK_CLOEXEC, proto); }

int open_socketpair(int family, int type, int proto, int fds[2]) noexcept {
  return ::socketpair(family, type | SOCK_CLOEXEC, proto, fds);
}

int accept_nonblocking(int fd, sockaddr* address, socklen_t* len) noexcept {
  return ::accept4(fd, address, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

int socket_protocol(int fd) noexcept {
  int value = 0;
  socklen_t len = sizeof value;
  if (::getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &value, &len) != 0) return 0;
  return value;
}

long long sendfile_once(int sock_fd, int file_fd, std::int64_t offset, std::size_t count) noexcept {
  off_t off = static_cast<off_t>(offset);
  return ::sendfile(sock_fd, file_fd, &off, count);
}

}  // namespace asyncio::detail
