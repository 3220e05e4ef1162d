// IP socket addresses between asyncio's SockAddr and the platform's
// sockaddr structures, with libuv's portable helpers (uv_inet_pton,
// uv_ip4_name, uv_ip6_name). AF_UNIX addresses are per OS (uv_pipe_*.cpp).
#pragma once

#include <uv.h>

#include <optional>
#include <string>

#include "asyncio/sockets.hpp"

namespace asyncio::uv {

/// True for the families these functions handle: AF_INET and AF_INET6.
bool is_ip_family(int family) noexcept;

/// The SockAddr of an AF_INET or AF_INET6 sockaddr (for another family,
/// only `family` is set).
SockAddr ip_from_sockaddr(const sockaddr* sa);

/// Fills `ss` with the AF_INET or AF_INET6 address `a`; returns its length.
/// std::system_error: EINVAL if the host is not a numeric address of the
/// family ("not an IPv4 address '...'"), EAFNOSUPPORT for other families.
int ip_to_sockaddr(const SockAddr& a, sockaddr_storage& ss);

/// The getaddrinfo() result for a numeric host, which needs no resolver,
/// or nothing if the host is a name (or the port a service name).
/// Python: base_events._ipaddr_info
std::optional<AddrInfo> numeric_addrinfo(const std::optional<std::string>& host, const std::optional<std::string>& port,
                                         int family, int type, int proto);

}  // namespace asyncio::uv
