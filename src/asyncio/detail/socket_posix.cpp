// asyncio::Socket on POSIX sockets (Linux, macOS, the BSDs). The
// calls that differ per OS (close-on-exec, sendfile) are in
// detail/socket_linux.cpp and detail/socket_bsd.cpp.
//
// Facts about these platforms:
// - A socket's blocking mode is O_NONBLOCK on its open file description;
//   Socket remembers the mode it set, as Python's socket caches its timeout.
// - EINTR is "try again" for every call here, as Python retries (PEP 475).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>
#include <system_error>

#include "asyncio/detail/socket_os.hpp"
#include "asyncio/exceptions.hpp"
#include "asyncio/log.hpp"
#include "asyncio/socket.hpp"

// macOS has no MSG_NOSIGNAL (libuv ignores SIGPIPE process-wide there).
#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

namespace asyncio {

namespace detail {

socklen_t to_sockaddr(const SockAddr& a, sockaddr_storage& ss) {
  std::memset(&ss, 0, sizeof ss);
  if (a.family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&ss);
    in->sin_family = AF_INET;
    in->sin_port = htons(static_cast<std::uint16_t>(a.port));
    const std::string host = a.host.empty() ? std::string("0.0.0.0") : a.host;
    if (::inet_pton(AF_INET, host.c_str(), &in->sin_addr) != 1) {
      throw std::system_error(EINVAL, std::generic_category(), "not an IPv4 address " + str_repr(a.host));
    }
    return sizeof(sockaddr_in);
  }
  if (a.family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<std::uint16_t>(a.port));
    in6->sin6_flowinfo = htonl(a.flowinfo);
    in6->sin6_scope_id = a.scope_id;
    const std::string host = a.host.empty() ? std::string("::") : a.host;
    if (::inet_pton(AF_INET6, host.c_str(), &in6->sin6_addr) != 1) {
      throw std::system_error(EINVAL, std::generic_category(), "not an IPv6 address " + str_repr(a.host));
    }
    return sizeof(sockaddr_in6);
  }
  if (a.family == AF_UNIX) {
    auto* un = reinterpret_cast<sockaddr_un*>(&ss);
    un->sun_family = AF_UNIX;
    if (a.host.size() >= sizeof un->sun_path) {
      throw std::system_error(ENAMETOOLONG, std::generic_category(), "AF_UNIX path too long " + str_repr(a.host));
    }
    std::memcpy(un->sun_path, a.host.data(), a.host.size());
    // A path ends at its NUL; an abstract name (leading NUL) is its exact bytes.
    return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + a.host.size() +
                                  (a.host.empty() || a.host[0] != '\0' ? 1 : 0));
  }
  throw std::system_error(EAFNOSUPPORT, std::generic_category(),
                          "address family " + std::to_string(a.family) + " not supported");
}

SockAddr from_sockaddr(const sockaddr_storage& ss, socklen_t len) {
  SockAddr a;
  a.family = ss.ss_family;
  char buf[INET6_ADDRSTRLEN];
  if (ss.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    a.host = ::inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
    a.port = ntohs(in->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    a.host = ::inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
    a.port = ntohs(in6->sin6_port);
    a.flowinfo = ntohl(in6->sin6_flowinfo);
    a.scope_id = in6->sin6_scope_id;
  } else if (ss.ss_family == AF_UNIX) {
    const auto* un = reinterpret_cast<const sockaddr_un*>(&ss);
    const std::size_t off = offsetof(sockaddr_un, sun_path);
    std::size_t n = len > off ? len - off : 0;
    if (n > sizeof un->sun_path) n = sizeof un->sun_path;
    if (n > 0 && un->sun_path[0] != '\0') n = strnlen(un->sun_path, n);
    a.host.assign(un->sun_path, n);
  } else if (len == 0) {
    a.family = AF_UNIX;  // an unnamed AF_UNIX peer reports no address at all
  }
  return a;
}

int sock_dgram() noexcept { return SOCK_DGRAM; }

void set_reuse_port(Socket& sock) {
#if defined(SO_REUSEPORT)
  const int on = 1;
  if (::setsockopt(sock.fileno(), SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) == 0) return;
#endif
  throw ValueError("reuse_port not supported by socket module, SO_REUSEPORT defined but not implemented.");
}

void set_broadcast(Socket& sock) { sock.setsockopt(SOL_SOCKET, SO_BROADCAST, 1); }

void remove_stale_unix_socket(const std::string& path) noexcept {
  // Python: create_datagram_endpoint's AF_UNIX branch.
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISSOCK(st.st_mode)) ::unlink(path.c_str());
  } else if (errno != ENOENT) {
    try {
      logger().error("Unable to check or remove stale UNIX socket " + str_repr(path) + ": " + std::strerror(errno));
    } catch (...) {  // NOLINT(bugprone-empty-catch): no memory for the message: binding goes on, as CPython's
    }
  }
}

int dup_fd(int fd) noexcept { return ::fcntl(fd, F_DUPFD_CLOEXEC, 0); }

long long file_size(int fd) noexcept {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return -1;
  return static_cast<long long>(st.st_size);
}

bool seek_file(int fd, std::int64_t pos) noexcept { return ::lseek(fd, static_cast<off_t>(pos), SEEK_SET) >= 0; }

long long read_file(int fd, char* buf, std::size_t n) noexcept {
  for (;;) {
    const ssize_t got = ::read(fd, buf, n);
    if (got >= 0 || errno != EINTR) return got;
  }
}

}  // namespace detail

namespace {

bool would_block(int e) noexcept { return e == EAGAIN || e == EWOULDBLOCK || e == EINTR; }

int sockopt_int(int fd, int level, int option) {
  int value = 0;
  socklen_t len = sizeof value;
  if (::getsockopt(fd, level, option, &value, &len) != 0) detail::throw_errno(errno, "getsockopt");
  return value;
}

}  // namespace

Socket::Socket(int family, int type, int proto) {
  const int fd = detail::open_socket(family, type, proto);
  if (fd < 0) detail::throw_errno(errno, "socket()");
  fd_ = fd;
  family_ = family;
  type_ = type;
  proto_ = proto;
  if (proto_ == 0) proto_ = detail::socket_protocol(fd);
}

Socket Socket::from_fd(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) detail::throw_errno(errno, "getsockname");
  const int type = sockopt_int(fd, SOL_SOCKET, SO_TYPE);
  const int flags = ::fcntl(fd, F_GETFL);
  return Socket(fd, ss.ss_family, type, detail::socket_protocol(fd), flags >= 0 && !(flags & O_NONBLOCK));
}

Socket::Socket(Socket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      family_(other.family_),
      type_(other.type_),
      proto_(other.proto_),
      blocking_(other.blocking_) {}

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    family_ = other.family_;
    type_ = other.type_;
    proto_ = other.proto_;
    blocking_ = other.blocking_;
  }
  return *this;
}

Socket::~Socket() { close(); }

void Socket::close() noexcept {
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
}

int Socket::detach() noexcept { return std::exchange(fd_, -1); }

void Socket::setblocking(bool flag) {
  const int flags = ::fcntl(fd_, F_GETFL);
  if (flags < 0) detail::throw_errno(errno, "setblocking");
  const int wanted = flag ? (flags & ~O_NONBLOCK) : (flags | O_NONBLOCK);
  if (wanted != flags && ::fcntl(fd_, F_SETFL, wanted) != 0) detail::throw_errno(errno, "setblocking");
  blocking_ = flag;
}

void Socket::bind(const SockAddr& address) {
  sockaddr_storage ss{};
  const socklen_t len = detail::to_sockaddr(address, ss);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    detail::throw_errno(errno, "bind(" + address.repr() + ")");
  }
}

void Socket::bind(const std::string& host, int port) { bind(SockAddr{family_, host, port}); }

void Socket::listen(int backlog) {
  if (::listen(fd_, backlog) != 0) detail::throw_errno(errno, "listen");
}

void Socket::connect(const SockAddr& address) {
  sockaddr_storage ss{};
  const socklen_t len = detail::to_sockaddr(address, ss);
  int rc;
  do {
    rc = ::connect(fd_, reinterpret_cast<sockaddr*>(&ss), len);
  } while (rc != 0 && errno == EINTR && blocking_);
  if (rc != 0) detail::throw_errno(errno, "connect(" + address.repr() + ")");
}

SockAddr Socket::getsockname() const {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) detail::throw_errno(errno, "getsockname");
  return detail::from_sockaddr(ss, len);
}

SockAddr Socket::getpeername() const {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) detail::throw_errno(errno, "getpeername");
  return detail::from_sockaddr(ss, len);
}

void Socket::setsockopt(int level, int option, int value) {
  if (::setsockopt(fd_, level, option, &value, sizeof value) != 0) detail::throw_errno(errno, "setsockopt");
}

int Socket::getsockopt(int level, int option) const { return sockopt_int(fd_, level, option); }

void Socket::shutdown(int how) {
  if (::shutdown(fd_, how) != 0) detail::throw_errno(errno, "shutdown");
}

std::size_t Socket::send(std::string_view data) {
  for (;;) {
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) detail::throw_errno(errno, "send");
  }
}

std::string Socket::recv(std::size_t bufsize) {
  std::string out(bufsize, '\0');
  for (;;) {
    const ssize_t n = ::recv(fd_, out.data(), bufsize, 0);
    if (n >= 0) {
      out.resize(static_cast<std::size_t>(n));
      return out;
    }
    if (errno != EINTR) detail::throw_errno(errno, "recv");
  }
}

std::size_t Socket::sendto(std::string_view data, const SockAddr& address) {
  sockaddr_storage ss{};
  const socklen_t len = detail::to_sockaddr(address, ss);
  for (;;) {
    const ssize_t n = ::sendto(fd_, data.data(), data.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&ss), len);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) detail::throw_errno(errno, "sendto");
  }
}

std::pair<std::string, SockAddr> Socket::recvfrom(std::size_t bufsize) {
  std::string out(bufsize, '\0');
  sockaddr_storage ss{};
  for (;;) {
    socklen_t len = sizeof ss;
    const ssize_t n = ::recvfrom(fd_, out.data(), bufsize, 0, reinterpret_cast<sockaddr*>(&ss), &len);
    if (n >= 0) {
      out.resize(static_cast<std::size_t>(n));
      return {std::move(out), detail::from_sockaddr(ss, len)};
    }
    if (errno != EINTR) detail::throw_errno(errno, "recvfrom");
  }
}

std::optional<std::size_t> Socket::try_recv_into(std::span<char> buffer) {
  const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
  if (n >= 0) return static_cast<std::size_t>(n);
  if (would_block(errno)) return std::nullopt;
  detail::throw_errno(errno, "recv");
}

std::optional<std::pair<std::size_t, SockAddr>> Socket::try_recvfrom_into(std::span<char> buffer) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  const ssize_t n = ::recvfrom(fd_, buffer.data(), buffer.size(), 0, reinterpret_cast<sockaddr*>(&ss), &len);
  if (n >= 0) return std::pair<std::size_t, SockAddr>(static_cast<std::size_t>(n), detail::from_sockaddr(ss, len));
  if (would_block(errno)) return std::nullopt;
  detail::throw_errno(errno, "recvfrom");
}

std::optional<std::size_t> Socket::try_send(std::string_view data) {
  const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
  if (n >= 0) return static_cast<std::size_t>(n);
  if (would_block(errno)) return std::nullopt;
  detail::throw_errno(errno, "send");
}

std::optional<std::size_t> Socket::try_sendto(std::string_view data, const SockAddr& address) {
  sockaddr_storage ss{};
  const socklen_t len = detail::to_sockaddr(address, ss);
  const ssize_t n = ::sendto(fd_, data.data(), data.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&ss), len);
  if (n >= 0) return static_cast<std::size_t>(n);
  if (would_block(errno)) return std::nullopt;
  detail::throw_errno(errno, "sendto");
}

bool Socket::try_connect(const SockAddr& address) {
  sockaddr_storage ss{};
  const socklen_t len = detail::to_sockaddr(address, ss);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&ss), len) == 0) return true;
  // EINTR: the connection goes on in the background (Python issue #23618).
  if (errno == EINPROGRESS || errno == EINTR || errno == EAGAIN) return false;
  detail::throw_errno(errno, "connect(" + address.repr() + ")");
}

int Socket::pending_error() const { return sockopt_int(fd_, SOL_SOCKET, SO_ERROR); }

std::optional<std::pair<Socket, SockAddr>> Socket::try_accept() {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  const int fd = detail::accept_nonblocking(fd_, reinterpret_cast<sockaddr*>(&ss), &len);
  if (fd < 0) {
    if (would_block(errno)) return std::nullopt;
    detail::throw_errno(errno, "accept");
  }
  Socket conn(fd, family_, type_, proto_, false);
  return std::pair<Socket, SockAddr>(std::move(conn), detail::from_sockaddr(ss, len));
}

std::optional<std::size_t> Socket::try_sendfile(int file_fd, std::int64_t offset, std::size_t count) {
  const long long n = detail::sendfile_once(fd_, file_fd, offset, count);
  if (n >= 0) return static_cast<std::size_t>(n);
  if (would_block(errno)) return std::nullopt;
  detail::throw_errno(errno, "sendfile");
}

std::pair<Socket, Socket> socketpair(int family, int type, int proto) {
  if (family == 0) family = AF_UNIX;
  if (type == 0) type = SOCK_STREAM;
  int fds[2];
  if (detail::open_socketpair(family, type, proto, fds) != 0) detail::throw_errno(errno, "socketpair");
  Socket a = Socket::from_fd(fds[0]);
  Socket b = Socket::from_fd(fds[1]);
  return {std::move(a), std::move(b)};
}

}  // namespace asyncio
