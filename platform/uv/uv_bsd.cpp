// Portable POSIX versions of the calls uv_linux.cpp makes with Linux's own
// API: for macOS, the BSDs and any other POSIX system (see uv_posix.hpp).
//
// Facts about these platforms:
// - No SOCK_CLOEXEC on macOS, no accept4(): close-on-exec is set right
//   after creation (libuv does the same there). A fork()+exec() in another
//   thread between the two calls can inherit the socket.
// - No SO_PROTOCOL on macOS: CPython's socket(fileno=fd) reports proto 0.
// - kqueue accepts regular files (always readable); os::check_pollable()
//   refuses them with EPERM as Linux's epoll does, for the same behaviour
//   everywhere ("add_reader() cannot be used to monitor file I/O").
// - No abstract AF_UNIX namespace: a name starting with NUL is an ordinary
//   (and unusable) path, as in CPython there.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "uv_net_os.hpp"
#include "uv_posix.hpp"

namespace asyncio::uv::posix {

namespace {
int set_cloexec_nonblock(int fd) noexcept {
  if (fd < 0) return fd;
  const int flags = ::fcntl(fd, F_GETFL);
  if (::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 || flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    const int e = errno;
    ::close(fd);
    errno = e;
    return -1;
  }
  return fd;
}
}  // namespace

int open_socket(int family, int type, int proto) noexcept {
  return set_cloexec_nonblock(::socket(family, type, proto));
}

int accept_socket(int fd) noexcept { return set_cloexec_nonblock(::accept(fd, nullptr, nullptr)); }

int socket_protocol(int) noexcept { return 0; }

bool is_abstract_unix_name(const std::string&) noexcept { return false; }

}  // namespace asyncio::uv::posix

namespace asyncio::uv::os {

void check_pollable(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw std::system_error(posix::errno_code(errno), "fstat");
  if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
    throw std::system_error(posix::errno_code(EPERM), "this descriptor cannot be polled (a regular file?)");
  }
}

}  // namespace asyncio::uv::os
