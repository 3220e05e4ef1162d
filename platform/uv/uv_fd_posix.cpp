// What uv_udp.cpp cannot say portably, on POSIX: AF_UNIX datagram
// addresses, socket options. (Whether a descriptor can be watched at all is
// the poller's business: uv_linux.cpp / uv_bsd.cpp.)
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cerrno>
#include <system_error>

#include "uv_address.hpp"
#include "uv_net_os.hpp"
#include "uv_posix.hpp"

namespace asyncio::uv::os {

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
