// POSIX socket calls of the libuv backend that libuv has no portable API
// for: descriptions of a socket (its addresses, family, type), binding with
// CPython's socket options, and adopting a descriptor the program made.
//
// Facts about these platforms:
// - uv_tcp_bind() always sets SO_REUSEADDR and reports EADDRINUSE only at
//   listen() or connect() time; CPython sets SO_REUSEADDR only for servers
//   (reuse_address) and raises from bind(). So binding is done here.
// - A socket's family comes from getsockname() (SO_DOMAIN is Linux's);
//   its protocol from posix::socket_protocol() (uv_linux.cpp / uv_bsd.cpp).
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "asyncio/exceptions.hpp"
#include "uv_address.hpp"
#include "uv_errors.hpp"
#include "uv_net_os.hpp"
#include "uv_posix.hpp"
#include "uv_stream.hpp"

namespace asyncio::uv {

namespace posix {

int fd_of(const uv_handle_t* handle) noexcept {
  uv_os_fd_t fd = -1;
  if (uv_fileno(handle, &fd) != 0) return -1;
  return fd;
}

SockAddr from_sockaddr(const sockaddr* sa, socklen_t len) {
  if (sa == nullptr || len == 0) return SockAddr{};
  if (sa->sa_family != AF_UNIX) return ip_from_sockaddr(sa);
  SockAddr a;
  a.family = AF_UNIX;
  const auto* un = reinterpret_cast<const sockaddr_un*>(sa);
  const std::size_t off = offsetof(sockaddr_un, sun_path);
  std::size_t n = len > off ? len - off : 0;
  if (n > sizeof un->sun_path) n = sizeof un->sun_path;
  if (n > 0 && un->sun_path[0] != '\0') n = strnlen(un->sun_path, n);  // a path: up to its NUL
  a.host.assign(un->sun_path, n);                                      // an abstract name keeps every byte
  return a;
}

std::optional<SockAddr> local_name(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return std::nullopt;
  return from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

std::optional<SockAddr> peer_name(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return std::nullopt;
  return from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

}  // namespace posix

namespace {

int sock_type(int fd) noexcept {
  int value = 0;
  socklen_t len = sizeof value;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &value, &len) != 0) return -1;
  return value;
}

// The family of socket `fd` (bound or not), or -1.
int sock_family(int fd) noexcept {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return -1;
  return ss.ss_family;
}

std::string socket_repr(int fd) {
  // Python: repr(socket.socket): "<socket.socket fd=7, family=2, type=2, proto=0>"
  return "<socket.socket fd=" + std::to_string(fd) + ", family=" + std::to_string(sock_family(fd)) +
         ", type=" + std::to_string(sock_type(fd)) + ", proto=" + std::to_string(posix::socket_protocol(fd)) + ">";
}

// Python: "A Stream Socket was expected, got <socket...>" (ValueError),
// raised before the socket is touched. Returns the socket's family.
int check_stream_socket(int fd, int family) {
  const int type = sock_type(fd);
  if (type < 0) throw std::system_error(posix::errno_code(errno), "getsockopt(" + std::to_string(fd) + ", SO_TYPE)");
  const int domain = sock_family(fd);
  if (family == AF_UNIX) {
    if (type != SOCK_STREAM || domain != AF_UNIX) {
      throw ValueError("A UNIX Domain Stream Socket was expected, got " + socket_repr(fd));
    }
  } else if (type != SOCK_STREAM || (family != 0 && domain != family)) {
    throw ValueError("A Stream Socket was expected, got " + socket_repr(fd));
  }
  return domain;
}

}  // namespace

namespace os {

void close_socket(uv_os_sock_t sock) noexcept { ::close(sock); }

TransportSocket describe_socket(const uv_handle_t* handle, int family, int type, int proto) {
  const int fd = posix::fd_of(handle);
  return TransportSocket(fd, family, type, proto, posix::local_name(fd).value_or(SockAddr{}), posix::peer_name(fd));
}

void bind_tcp(uv_tcp_t* tcp, const SockAddr& address, const ListenOptions* options) {
  // Python: the socket setup loop of BaseEventLoop.create_server, and the
  // local_addr bind of _connect_sock.
  const int fd = posix::fd_of(reinterpret_cast<uv_handle_t*>(tcp));
  sockaddr_storage ss{};
  const int len = ip_to_sockaddr(address, ss);
  const int on = 1;
  auto fail = [](const char* what) { throw std::system_error(posix::errno_code(errno), what); };
  if (options != nullptr) {
    if (options->reuse_address && ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0) fail("SO_REUSEADDR");
    if (options->reuse_port) {
#if defined(SO_REUSEPORT)
      const bool set = ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) == 0;
#else
      const bool set = false;
#endif
      if (!set)
        throw ValueError("reuse_port not supported by socket module, SO_REUSEPORT defined but not implemented.");
    }
    if (options->keep_alive && ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) != 0) fail("SO_KEEPALIVE");
    // One socket per family: no dual-stack IPv6 socket (Linux's default).
    if (address.family == AF_INET6 && ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) != 0)
      fail("IPV6_V6ONLY");
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), static_cast<socklen_t>(len)) != 0) {
    throw std::system_error(posix::errno_code(errno), "error while attempting to bind on address " + address.repr());
  }
}

UvListener* new_listener(UvBackend& backend, int backlog) { return new posix::PosixListener(backend, backlog); }

}  // namespace os

// ---- Adopting descriptors ----

StreamSocketPtr UvBackend::sock_adopt(int fd, int family) {
  const int domain = check_stream_socket(fd, family);
  return wrap_connected(*this, fd, domain == AF_UNIX, domain, SOCK_STREAM, posix::socket_protocol(fd));
}

ListeningSocketPtr UvBackend::sock_adopt_listener(int fd, int family, const ListenOptions& options) {
  const int domain = check_stream_socket(fd, family);
  auto* listener = new posix::PosixListener(*this, options.backlog);
  ListeningSocketPtr ptr(listener);
  int rc = domain == AF_UNIX ? listener->init_pipe() : listener->init_tcp(AF_UNSPEC);
  if (rc == 0) rc = listener->open(fd);  // makes it non-blocking
  if (rc < 0) {
    ::close(fd);
    throw std::system_error(error_code(rc), domain == AF_UNIX ? "uv_pipe_open" : "uv_tcp_open");
  }
  listener->set_info(os::describe_socket(listener->handle(), domain, SOCK_STREAM, posix::socket_protocol(fd)));
  if (domain == AF_UNIX && options.cleanup_socket) {
    std::optional<SockAddr> name = posix::local_name(fd);
    struct stat st {};
    if (name && !name->host.empty() && !posix::is_abstract_unix_name(name->host) &&
        ::stat(name->host.c_str(), &st) == 0) {
      listener->remove_on_close(name->host, st.st_ino);
    }
  }
  return ptr;
}

}  // namespace asyncio::uv
