// The network tests' raw sockets on Windows (net_raw.hpp).
//
// Facts about this platform:
// - Winsock needs WSAStartup() before the first socket call; libuv makes
//   that call when the first loop starts, which a test may not have done
//   yet. Each helper makes sure of it (WSAStartup counts its calls).
// - A SOCKET is a handle; Python's fileno() on Windows is that handle as
//   an int, and so are these helpers' sockets.
// - No per-process limit of sockets: RaiseFileLimit has nothing to raise.
#include <winsock2.h>
#include <ws2tcpip.h>
#include <uv.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <cstdint>

#include "net_raw.hpp"

namespace test {

namespace {
void startup() {
  static const bool started = [] {
    WSADATA data;
    return ::WSAStartup(MAKEWORD(2, 2), &data) == 0;
  }();
  (void)started;
}

sockaddr_in loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

SOCKET as_socket(int sock) { return static_cast<SOCKET>(sock); }
}  // namespace

int raw_connect(int port) {
  startup();
  SOCKET s = ::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  if (s == INVALID_SOCKET) return -1;
  sockaddr_in a = loopback(port);
  if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::closesocket(s);
    return -1;
  }
  return static_cast<int>(s);
}

int raw_accept(int listener) {
  const SOCKET s = ::accept(as_socket(listener), nullptr, nullptr);
  return s == INVALID_SOCKET ? -1 : static_cast<int>(s);
}

int raw_udp() {
  startup();
  const SOCKET s = ::socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  return s == INVALID_SOCKET ? -1 : static_cast<int>(s);
}

int raw_is_nonblocking(int) { return -1; }

bool raw_send(int sock, std::string_view data) {
  while (!data.empty()) {
    const int n = ::send(as_socket(sock), data.data(), static_cast<int>(data.size()), 0);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool raw_shutdown_write(int sock) { return ::shutdown(as_socket(sock), SD_SEND) == 0; }

bool raw_linger_zero(int sock) {
  linger lg{1, 0};
  return ::setsockopt(as_socket(sock), SOL_SOCKET, SO_LINGER, reinterpret_cast<const char*>(&lg), sizeof lg) == 0;
}

void raw_reset(int sock) {
  raw_linger_zero(sock);
  ::closesocket(as_socket(sock));
}

void raw_close(int sock) { ::closesocket(as_socket(sock)); }

bool raw_is_open(int sock) {
  int type = 0;
  int len = sizeof type;
  return ::getsockopt(as_socket(sock), SOL_SOCKET, SO_TYPE, reinterpret_cast<char*>(&type), &len) == 0;
}

bool raw_nodelay(int sock) {
  BOOL nodelay = FALSE;
  int len = sizeof nodelay;
  ::getsockopt(as_socket(sock), IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<char*>(&nodelay), &len);
  return nodelay != FALSE;
}

int raw_bound(int& port, int backlog) {
  startup();
  SOCKET s = ::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  if (s == INVALID_SOCKET) return -1;
  sockaddr_in a = loopback(0);
  int len = sizeof a;
  if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || (backlog >= 0 && ::listen(s, backlog) != 0) ||
      ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::closesocket(s);
    return -1;
  }
  port = ntohs(a.sin_port);
  return static_cast<int>(s);
}

int free_port() {
  int port = 0;
  const int s = raw_bound(port);
  if (s >= 0) raw_close(s);
  return port;
}

std::string os_strerror(int e) {
  switch (e) {
    case ECONNREFUSED: return uv_strerror(UV_ECONNREFUSED);
    case ECONNRESET: return uv_strerror(UV_ECONNRESET);
    case EADDRINUSE: return uv_strerror(UV_EADDRINUSE);
    case ENOENT: return uv_strerror(UV_ENOENT);
    default: return std::strerror(e);
  }
}

bool have_ipv6_loopback() {
  startup();
  SOCKET s = ::socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP);
  if (s == INVALID_SOCKET) return false;
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  const bool ok = ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::closesocket(s);
  return ok;
}

RaiseFileLimit::RaiseFileLimit() = default;
RaiseFileLimit::~RaiseFileLimit() = default;
long RaiseFileLimit::current() { return LONG_MAX; }

}  // namespace test
