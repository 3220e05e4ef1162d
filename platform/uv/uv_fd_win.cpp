// What uv_udp.cpp and uv_poll.cpp cannot say portably, on Windows.
//
// Facts about this platform:
// - There are no AF_UNIX datagram sockets to speak of: a datagram address
//   is IPv4 or IPv6.
// - libuv's uv_udp_open() on Windows sets no SO_REUSEADDR, so there is
//   nothing to undo after adoption.
// - Readiness watching of arbitrary descriptors (add_reader/add_writer)
//   does not exist: libuv's Windows uv_poll_t serves sockets only (through
//   AFD polling), and CPython's ProactorEventLoop, the Windows default,
//   raises NotImplementedError for add_reader/add_writer. This library does
//   the same (docs/platforms.md).
#include "uv_win.hpp"

#include <string>
#include <system_error>

#include "asyncio/exceptions.hpp"
#include "uv_address.hpp"
#include "uv_net_os.hpp"

namespace asyncio::uv::os {

void check_pollable(int) {
  // Python (ProactorEventLoop): add_reader raises NotImplementedError.
  throw NotImplementedError(
      "add_reader/add_writer is not available on win32: libuv watches only sockets there, and CPython's "
      "ProactorEventLoop raises NotImplementedError too");
}

void datagram_opened(int) noexcept {}

int sock_dgram() noexcept { return SOCK_DGRAM; }

void datagram_address(const SockAddr& address, sockaddr_storage& ss) {
  if (address.family != AF_INET && address.family != AF_INET6) {
    throw std::system_error(std::make_error_code(std::errc::address_family_not_supported),
                            "datagram address family " + std::to_string(address.family));
  }
  ip_to_sockaddr(address, ss);
}

SockAddr datagram_peer(const sockaddr* addr) { return ip_from_sockaddr(addr); }

}  // namespace asyncio::uv::os
