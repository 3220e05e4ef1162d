// Descriptors the program owns, on POSIX: what a descriptor must be for the
// libuv backend to watch it (uv_poll.cpp), and what uv_udp.cpp cannot say
// portably (AF_UNIX datagram addresses, socket options).
//
// Facts about these platforms:
// - Linux's epoll refuses regular files and directories (EPERM), which
//   CPython's selector reports as PermissionError from add_reader(); libuv
//   would abort inside uv_run() instead. macOS's kqueue accepts them (always
//   readable), which the check below refuses too, for the same behaviour
//   everywhere: "add_reader() cannot be used to monitor file I/O".
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cerrno>
#include <system_error>

#include "uv_address.hpp"
#include "uv_net_os.hpp"
#include "uv_posix.hpp"

namespace asyncio::uv::os {

void check_pollable(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw std::system_error(posix::errno_code(errno), "fstat");
  if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
    throw std::system_error(posix::errno_code(EPERM), "cannot watch a regular file or directory");
  }
}

void datagram_opened(int fd) noexcept {
  const int off = 0;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &off, sizeof off);
}

int sock_dgram() noexcept { return SOCK_DGRAM; }

void datagram_address(const SockAddr& address, sockaddr_storage& ss) {
  if (address.family == AF_UNIX) {
    posix::unix_sockaddr(address.host, reinterpret_cast<sockaddr_un&>(ss));
    return;
  }
  ip_to_sockaddr(address, ss);
}

SockAddr datagram_peer(const sockaddr* addr) {
  if (addr->sa_family == AF_UNIX) return posix::from_sockaddr(addr, sizeof(sockaddr_un));
  return ip_from_sockaddr(addr);
}

}  // namespace asyncio::uv::os
