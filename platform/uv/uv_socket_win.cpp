// Winsock calls of the libuv backend that libuv has no portable API for:
// descriptions of a socket, binding with CPython's socket options, and
// adopting a socket the program made.
//
// Facts about this platform:
// - A socket is a SOCKET (a kernel handle), not a C runtime descriptor;
//   Python's fileno() on Windows is that handle as an int, and so is
//   TransportSocket::fileno() here. uv_fileno() of a TCP handle gives it.
// - Winsock's errors are WSAGetLastError() values, not errno:
//   uv_translate_sys_error() turns them into libuv's codes.
// - uv_tcp_bind() on Windows never sets SO_REUSEADDR (it would let another
//   program steal the port), and keeps WSAEADDRINUSE for listen() or
//   connect() time; CPython raises from bind(). So after binding the
//   socket is asked whether it got an address.
// - CPython's create_server() on Windows does not set SO_REUSEADDR unless
//   asked (reuse_address defaults to false there, see detail/os.hpp), and
//   there is no SO_REUSEPORT: reuse_port raises ValueError.
// - Windows' default for IPv6 sockets is IPV6_V6ONLY; uv_tcp_bind() clears
//   it unless UV_TCP_IPV6ONLY is given, which listeners ask for (one
//   socket per family, as CPython's create_server()).
#include "uv_win.hpp"

#include <string>

#include "asyncio/exceptions.hpp"
#include "uv_address.hpp"
#include "uv_errors.hpp"
#include "uv_net_os.hpp"
#include "uv_stream.hpp"

namespace asyncio::uv {

namespace win {

std::error_code wsa_code(int wsa_error) noexcept { return error_code(uv_translate_sys_error(wsa_error)); }

SOCKET socket_of(const uv_handle_t* handle) noexcept {
  uv_os_fd_t fd{};
  if (uv_fileno(handle, &fd) != 0) return INVALID_SOCKET;
  return reinterpret_cast<SOCKET>(fd);
}

std::optional<SockAddr> local_name(SOCKET sock) {
  sockaddr_storage ss{};
  int len = sizeof ss;
  if (::getsockname(sock, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return std::nullopt;
  return ip_from_sockaddr(reinterpret_cast<sockaddr*>(&ss));
}

std::optional<SockAddr> peer_name(SOCKET sock) {
  sockaddr_storage ss{};
  int len = sizeof ss;
  if (::getpeername(sock, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return std::nullopt;
  return ip_from_sockaddr(reinterpret_cast<sockaddr*>(&ss));
}

std::optional<SockAddr> pipe_name(const uv_pipe_t* pipe, bool peer) {
  char buffer[512];
  std::size_t size = sizeof buffer;
  const int rc = peer ? uv_pipe_getpeername(pipe, buffer, &size) : uv_pipe_getsockname(pipe, buffer, &size);
  if (rc != 0) return std::nullopt;
  SockAddr a;
  a.family = AF_UNIX;
  a.host.assign(buffer, size);
  return a;
}

}  // namespace win

namespace {

int sock_type(SOCKET sock) noexcept {
  int value = 0;
  int len = sizeof value;
  if (::getsockopt(sock, SOL_SOCKET, SO_TYPE, reinterpret_cast<char*>(&value), &len) != 0) return -1;
  return value;
}

// The protocol and family Winsock created `sock` with, as CPython's
// socket(fileno=) reads them (SO_PROTOCOL_INFOW); false if it cannot.
bool sock_protocol_info(SOCKET sock, int& family, int& proto) noexcept {
  WSAPROTOCOL_INFOW info{};
  int len = sizeof info;
  if (::getsockopt(sock, SOL_SOCKET, SO_PROTOCOL_INFOW, reinterpret_cast<char*>(&info), &len) != 0) return false;
  family = info.iAddressFamily;
  proto = info.iProtocol;
  return true;
}

std::string socket_repr(SOCKET sock) {
  // Python: repr(socket.socket): "<socket.socket fd=412, family=2, type=2, proto=17>"
  int family = -1;
  int proto = 0;
  sock_protocol_info(sock, family, proto);
  return "<socket.socket fd=" + std::to_string(static_cast<long long>(sock)) + ", family=" + std::to_string(family) +
         ", type=" + std::to_string(sock_type(sock)) + ", proto=" + std::to_string(proto) + ">";
}

[[noreturn]] void no_unix_sockets(const char* method) {
  throw NotImplementedError(std::string(method) +
                            " is not available on win32 for AF_UNIX sockets: libuv reaches local "
                            "connections through named pipes there (give a pipe name, \\\\.\\pipe\\<name>)");
}

// Python: "A Stream Socket was expected, got <socket...>" (ValueError),
// raised before the socket is touched. Returns the socket's family and
// protocol.
std::pair<int, int> check_stream_socket(SOCKET sock, int family, const char* method) {
  if (family == AF_UNIX) no_unix_sockets(method);
  const int type = sock_type(sock);
  if (type < 0) {
    throw std::system_error(win::wsa_code(::WSAGetLastError()),
                            "getsockopt(" + std::to_string(static_cast<long long>(sock)) + ", SO_TYPE)");
  }
  int domain = -1;
  int proto = 0;
  sock_protocol_info(sock, domain, proto);
  if (domain == AF_UNIX) no_unix_sockets(method);
  if (type != SOCK_STREAM || (family != 0 && domain != family)) {
    throw ValueError("A Stream Socket was expected, got " + socket_repr(sock));
  }
  return {domain, proto};
}

}  // namespace

namespace os {

void close_socket(uv_os_sock_t sock) noexcept { ::closesocket(sock); }

TransportSocket describe_socket(const uv_handle_t* handle, int family, int type, int proto) {
  if (handle->type == UV_NAMED_PIPE) {
    // A named pipe has no descriptor a program could use as a socket.
    const auto* pipe = reinterpret_cast<const uv_pipe_t*>(handle);
    SockAddr none;
    none.family = AF_UNIX;
    return TransportSocket(-1, family, type, proto, win::pipe_name(pipe, false).value_or(none),
                           win::pipe_name(pipe, true).value_or(none));
  }
  const SOCKET sock = win::socket_of(handle);
  return TransportSocket(static_cast<int>(sock), family, type, proto, win::local_name(sock).value_or(SockAddr{}),
                         win::peer_name(sock));
}

void bind_tcp(uv_tcp_t* tcp, const SockAddr& address, const ListenOptions* options) {
  // Python: the socket setup loop of BaseEventLoop.create_server, and the
  // local_addr bind of _connect_sock.
  const SOCKET sock = win::socket_of(reinterpret_cast<uv_handle_t*>(tcp));
  sockaddr_storage ss{};
  ip_to_sockaddr(address, ss);
  const BOOL on = TRUE;
  auto set = [sock, &on](int level, int name, const char* what) {
    if (::setsockopt(sock, level, name, reinterpret_cast<const char*>(&on), sizeof on) != 0)
      throw std::system_error(win::wsa_code(::WSAGetLastError()), what);
  };
  unsigned flags = 0;
  if (options != nullptr) {
    if (options->reuse_address) set(SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR");
    if (options->reuse_port) throw ValueError("reuse_port not supported by socket module");
    if (options->keep_alive) set(SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE");
    if (address.family == AF_INET6) flags |= UV_TCP_IPV6ONLY;
  }
  const std::string what = "error while attempting to bind on address " + address.repr();
  const int rc = uv_tcp_bind(tcp, reinterpret_cast<const sockaddr*>(&ss), flags);
  if (rc < 0) throw std::system_error(error_code(rc), what);
  // libuv keeps WSAEADDRINUSE for later: a socket it left unbound has no name.
  if (!win::local_name(sock)) throw std::system_error(win::wsa_code(WSAEADDRINUSE), what);
}

UvListener* new_listener(UvBackend& backend, int backlog) { return new win::WinListener(backend, backlog); }

}  // namespace os

// ---- Adopting sockets ----

StreamSocketPtr UvBackend::sock_adopt(int fd, int family) {
  const SOCKET sock = static_cast<SOCKET>(fd);
  const auto [domain, proto] = check_stream_socket(sock, family, "create_connection");
  return wrap_connected(*this, sock, false, domain, SOCK_STREAM, proto);
}

ListeningSocketPtr UvBackend::sock_adopt_listener(int fd, int family, const ListenOptions& options) {
  const SOCKET sock = static_cast<SOCKET>(fd);
  const auto [domain, proto] = check_stream_socket(sock, family, "create_server");
  auto* listener = new win::WinListener(*this, options.backlog);
  ListeningSocketPtr ptr(listener);
  int rc = listener->init_tcp(AF_UNSPEC);
  if (rc == 0) rc = listener->open(sock);  // makes it non-blocking
  if (rc < 0) {
    ::closesocket(sock);
    throw std::system_error(error_code(rc), "uv_tcp_open");
  }
  listener->set_info(os::describe_socket(listener->handle(), domain, SOCK_STREAM, proto));
  return ptr;
}

}  // namespace asyncio::uv
