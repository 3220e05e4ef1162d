// The libuv backend's Linux-only calls (see uv_posix.hpp; uv_bsd.cpp has
// the portable POSIX versions).
//
// Facts about this platform:
// - SOCK_CLOEXEC / accept4() set close-on-exec atomically: no window in
//   which another thread's fork()+exec() inherits the socket (subprocesses
//   must not keep a connection open).
// - SO_PROTOCOL tells a socket's protocol, as CPython's socket(fileno=fd)
//   reports it.
// - AF_UNIX names starting with NUL live in the abstract namespace: no
//   file, the address length says where the name ends.
#include <sys/socket.h>

#include "uv_posix.hpp"

namespace asyncio::uv::posix {

int open_socket(int family, int type, int proto) noexcept {
  return ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
}

int accept_socket(int fd) noexcept { return ::accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC); }

int socket_protocol(int fd) noexcept {
  int value = 0;
  socklen_t len = sizeof value;
  if (::getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &value, &len) != 0) return 0;
  return value;
}

bool is_abstract_unix_name(const std::string& path) noexcept { return !path.empty() && path[0] == '\0'; }

}  // namespace asyncio::uv::posix
