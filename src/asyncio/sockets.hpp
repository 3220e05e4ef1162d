// The socket-level values asyncio's networking exchanges: addresses,
// getaddrinfo() results, the socket behind a transport, and getaddrinfo()
// errors. Python: the parts of the socket module asyncio hands out (address
// tuples, getaddrinfo() 5-tuples, socket.gaierror) and
// asyncio.trsock.TransportSocket.
//
// Address families, socket types and flags are the platform's own values
// (AF_INET, SOCK_STREAM, AI_PASSIVE, ... from <sys/socket.h> and <netdb.h>),
// as Python's socket constants are: this header does not include the
// platform's socket headers, include them to name those constants.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

namespace asyncio {

/// TLS settings: the `ssl` option of the networking functions takes one
/// (asyncio/ssl.hpp). Python: ssl.SSLContext
class SSLContext;

/// A socket address. Python: the address tuples of the socket module:
/// (host, port) for AF_INET, (host, port, flowinfo, scope_id) for AF_INET6,
/// and the path string for AF_UNIX.
/// Divergence: one type for every family; for AF_UNIX `host` holds the path
/// (an abstract Linux name starts with '\0') and the other fields are 0.
struct SockAddr {
  /// The address family (AF_INET, AF_INET6, AF_UNIX), the platform's value.
  int family = 0;
  /// The numeric host ("127.0.0.1", "::1"), or the AF_UNIX path.
  std::string host{};
  /// The port (AF_INET, AF_INET6).
  int port = 0;
  /// AF_INET6 only.
  std::uint32_t flowinfo = 0;
  /// AF_INET6 only.
  std::uint32_t scope_id = 0;

  /// True for an AF_UNIX address.
  bool is_unix() const noexcept;
  /// True for an AF_INET6 address.
  bool is_inet6() const noexcept;
  /// Python's repr() of the address: "('127.0.0.1', 8080)",
  /// "('::1', 8080, 0, 0)", "'/tmp/app.sock'".
  std::string repr() const;

  friend bool operator==(const SockAddr&, const SockAddr&) = default;
};

/// One result of getaddrinfo(). Python: the 5-tuple
/// (family, type, proto, canonname, sockaddr)
struct AddrInfo {
  int family = 0;
  int type = 0;
  int proto = 0;
  std::string canonname{};
  SockAddr sockaddr{};

  friend bool operator==(const AddrInfo&, const AddrInfo&) = default;
};

/// The (host, service) pair getnameinfo() returns. Python: the 2-tuple
using NameInfo = std::pair<std::string, std::string>;

/// The socket behind a transport or a server, as get_extra_info("socket")
/// and Server::sockets() give it. It describes the socket; the transport or
/// server owns it (do not close the descriptor).
/// Python: asyncio.trsock.TransportSocket
class TransportSocket {
 public:
  /// An empty description (fileno() is -1).
  TransportSocket() = default;
  /// Describes socket `fd` (library use: backends fill it in).
  TransportSocket(int fd, int family, int type, int proto, SockAddr sockname, std::optional<SockAddr> peername)
      : fd_(fd), family_(family), type_(type), proto_(proto), sockname_(std::move(sockname)), peername_(std::move(peername)) {}

  /// The socket's descriptor. Python: TransportSocket.fileno()
  int fileno() const noexcept { return fd_; }
  /// Python: TransportSocket.family
  int family() const noexcept { return family_; }
  /// Python: TransportSocket.type
  int type() const noexcept { return type_; }
  /// Python: TransportSocket.proto
  int proto() const noexcept { return proto_; }
  /// The address the socket is bound to. Python: TransportSocket.getsockname()
  const SockAddr& getsockname() const noexcept { return sockname_; }
  /// The address of the peer; std::system_error (ENOTCONN) for a socket that
  /// is not connected. Python: TransportSocket.getpeername()
  const SockAddr& getpeername() const;
  /// Python: repr(): "<asyncio.TransportSocket fd=7, family=2, type=1, proto=6, laddr=(...)>"
  std::string repr() const;

 private:
  int fd_ = -1;
  int family_ = 0;
  int type_ = 0;
  int proto_ = 0;
  SockAddr sockname_{};
  std::optional<SockAddr> peername_{};
};

/// The error category of getaddrinfo() and getnameinfo() failures: codes
/// are the platform's EAI_* values, messages gai_strerror()'s. A resolution
/// failure is a std::system_error in this category.
/// Python: socket.gaierror
const std::error_category& gai_category() noexcept;

namespace detail {
/// Installs the function gai_category() gets messages from (the backend's
/// gai_strerror); until then messages are "getaddrinfo error <code>".
void set_gai_strerror(const char* (*message)(int code)) noexcept;
/// Python's repr() of a str: quotes, backslash escapes, \x00 for NUL.
std::string str_repr(const std::string& s);
/// The platform's SOCK_STREAM, AI_PASSIVE and AF_UNIX values, for the
/// portable core (which includes no socket header itself).
int sock_stream() noexcept;
int ai_passive() noexcept;
int af_unix() noexcept;
/// Python's repr() of an address family: "AddressFamily.AF_INET".
std::string family_repr(int family);
}  // namespace detail

}  // namespace asyncio
