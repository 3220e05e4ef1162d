#include "uv_address.hpp"

#include <charconv>
#include <cstdint>
#include <cstring>
#include <system_error>

#include "asyncio/sockets.hpp"

namespace asyncio::uv {

namespace {

// Network byte order without <arpa/inet.h> / <winsock2.h>.
std::uint32_t load_be(const void* p, std::size_t n) noexcept {
  const auto* b = static_cast<const unsigned char*>(p);
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = (v << 8) | b[i];
  return v;
}
void store_be(void* p, std::size_t n, std::uint32_t v) noexcept {
  auto* b = static_cast<unsigned char*>(p);
  for (std::size_t i = n; i-- > 0; v >>= 8) b[i] = static_cast<unsigned char>(v & 0xff);
}

std::system_error not_an_address(const char* what, const std::string& host) {
  return std::system_error(std::make_error_code(std::errc::invalid_argument),
                           std::string(what) + " " + detail::str_repr(host));
}

}  // namespace

bool is_ip_family(int family) noexcept { return family == AF_INET || family == AF_INET6; }

SockAddr ip_from_sockaddr(const sockaddr* sa) {
  SockAddr a;
  if (sa == nullptr) return a;
  a.family = sa->sa_family;
  char host[64] = {};
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    uv_ip4_name(in, host, sizeof host);
    a.host = host;
    a.port = static_cast<int>(load_be(&in->sin_port, 2));
  } else if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    // uv_ip6_name() formats the address only (no %scope), as Python's
    // getsockname() tuple does.
    uv_inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    a.host = host;
    a.port = static_cast<int>(load_be(&in6->sin6_port, 2));
    a.flowinfo = load_be(&in6->sin6_flowinfo, 4);
    a.scope_id = in6->sin6_scope_id;
  }
  return a;
}

int ip_to_sockaddr(const SockAddr& a, sockaddr_storage& ss) {
  std::memset(&ss, 0, sizeof ss);
  if (a.family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&ss);
    in->sin_family = AF_INET;
    store_be(&in->sin_port, 2, static_cast<std::uint16_t>(a.port));
    if (uv_inet_pton(AF_INET, a.host.c_str(), &in->sin_addr) != 0) throw not_an_address("not an IPv4 address", a.host);
    return static_cast<int>(sizeof(sockaddr_in));
  }
  if (a.family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
    in6->sin6_family = AF_INET6;
    store_be(&in6->sin6_port, 2, static_cast<std::uint16_t>(a.port));
    store_be(&in6->sin6_flowinfo, 4, a.flowinfo);
    in6->sin6_scope_id = a.scope_id;
    if (uv_inet_pton(AF_INET6, a.host.c_str(), &in6->sin6_addr) != 0)
      throw not_an_address("not an IPv6 address", a.host);
    return static_cast<int>(sizeof(sockaddr_in6));
  }
  throw std::system_error(std::make_error_code(std::errc::address_family_not_supported),
                          "address family " + std::to_string(a.family));
}

std::optional<AddrInfo> numeric_addrinfo(const std::optional<std::string>& host, const std::optional<std::string>& port,
                                         int family, int type, int proto) {
  if (!host || (proto != 0 && proto != IPPROTO_TCP && proto != IPPROTO_UDP)) return std::nullopt;
  if (type == SOCK_STREAM)
    proto = IPPROTO_TCP;
  else if (type == SOCK_DGRAM)
    proto = IPPROTO_UDP;
  else
    return std::nullopt;
  int port_number = 0;
  if (port && !port->empty()) {
    const char* end = port->data() + port->size();
    auto [p, ec] = std::from_chars(port->data(), end, port_number);
    if (ec != std::errc() || p != end || port_number < 0 || port_number > 65535) return std::nullopt;  // a service name
  }
  if (host->find('%') != std::string::npos) return std::nullopt;  // zone index: let getaddrinfo handle it
  for (int af : {AF_INET, AF_INET6}) {
    if (family != AF_UNSPEC && family != af) continue;
    unsigned char buf[16];
    if (uv_inet_pton(af, host->c_str(), buf) == 0) {
      AddrInfo info;
      info.family = af;
      info.type = type;
      info.proto = proto;
      info.sockaddr.family = af;
      info.sockaddr.host = *host;
      info.sockaddr.port = port_number;
      return info;
    }
  }
  return std::nullopt;
}

}  // namespace asyncio::uv
