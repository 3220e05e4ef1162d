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
// - epoll refuses descriptors that cannot be polled (regular files,
//   directories, /dev/null: EPERM), which CPython's selector reports as
//   PermissionError from add_reader(); libuv 1.44 aborts inside uv_run()
//   instead. os::check_pollable() asks a private epoll set first.
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "uv_net_os.hpp"
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

namespace asyncio::uv::os {

void check_pollable(int fd) {
  // A closed descriptor is EBADF, as the kernel's epoll_ctl() says (qemu-user's
  // says EINVAL): ask the descriptor itself first.
  if (::fcntl(fd, F_GETFD) < 0) throw std::system_error(posix::errno_code(errno), "cannot watch descriptor " + std::to_string(fd));
  // One epoll set per thread (loops are per thread), kept for the thread's life.
  thread_local const int probe = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  if (probe >= 0 && ::epoll_ctl(probe, EPOLL_CTL_ADD, fd, &ev) == 0) {
    ::epoll_ctl(probe, EPOLL_CTL_DEL, fd, &ev);
    return;
  }
  const int e = probe >= 0 ? errno : EBADF;
  throw std::system_error(posix::errno_code(e), e == EPERM ? "this descriptor cannot be polled (a regular file?)"
                                                           : "cannot watch descriptor " + std::to_string(fd));
}

}  // namespace asyncio::uv::os
