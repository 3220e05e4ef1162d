// The network tests' raw sockets on POSIX (net_raw.hpp).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

#include "net_raw.hpp"

namespace test {

namespace {
sockaddr_in loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}
}  // namespace

int raw_connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a = loopback(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

int raw_accept(int listener) { return ::accept(listener, nullptr, nullptr); }

int raw_udp() { return ::socket(AF_INET, SOCK_DGRAM, 0); }

int raw_is_nonblocking(int sock) { return (::fcntl(sock, F_GETFL) & O_NONBLOCK) != 0 ? 1 : 0; }

bool raw_send(int sock, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(sock, data.data(), data.size(), 0);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool raw_shutdown_write(int sock) { return ::shutdown(sock, SHUT_WR) == 0; }

bool raw_linger_zero(int sock) {
  linger lg{1, 0};
  return ::setsockopt(sock, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0;
}

void raw_reset(int sock) {
  raw_linger_zero(sock);
  ::close(sock);
}

void raw_close(int sock) { ::close(sock); }

bool raw_is_open(int sock) { return ::fcntl(sock, F_GETFD) != -1; }

bool raw_nodelay(int sock) {
  int nodelay = 0;
  socklen_t len = sizeof nodelay;
  ::getsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &nodelay, &len);
  return nodelay != 0;
}

int raw_bound(int& port, int backlog) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a = loopback(0);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      (backlog >= 0 && ::listen(fd, backlog) != 0) ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    return -1;
  }
  port = ntohs(a.sin_port);
  return fd;
}

int free_port() {
  int port = 0;
  const int fd = raw_bound(port);
  if (fd >= 0) ::close(fd);
  return port;
}

std::string os_strerror(int e) { return std::strerror(e); }

bool have_ipv6_loopback() {
  int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

RaiseFileLimit::RaiseFileLimit() {
  rlimit r{};
  ::getrlimit(RLIMIT_NOFILE, &r);
  old_cur_ = static_cast<long>(r.rlim_cur);
  r.rlim_cur = r.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &r);
}

RaiseFileLimit::~RaiseFileLimit() {
  rlimit r{};
  ::getrlimit(RLIMIT_NOFILE, &r);
  r.rlim_cur = static_cast<rlim_t>(old_cur_);
  ::setrlimit(RLIMIT_NOFILE, &r);
}

long RaiseFileLimit::current() {
  rlimit r{};
  ::getrlimit(RLIMIT_NOFILE, &r);
  return static_cast<long>(r.rlim_cur);
}

}  // namespace test
