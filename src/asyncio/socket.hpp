// A small owning socket, what the loop's sock_* coroutines take.
// Python: socket.socket (the part asyncio users need).
//
//   asyncio::Socket sock(AF_INET, SOCK_STREAM);
//   sock.setblocking(false);
//   co_await loop.sock_connect(sock, {AF_INET, "127.0.0.1", 8080});
//   co_await loop.sock_sendall(sock, "ping");
//   std::string reply = co_await loop.sock_recv(sock, 1024);
//
// Families, types and option names are the platform's constants (AF_INET,
// SOCK_DGRAM, SOL_SOCKET, ... from <sys/socket.h>), as Python's are. Errors
// are std::system_error carrying the errno, as Python's OSError.
// Platforms: where there are no sockets (WebAssembly, bare metal) every
// constructor raises NotImplementedError naming the platform.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "asyncio/sockets.hpp"

namespace asyncio {

/// A socket descriptor and what Python's socket object remembers about it
/// (family, type, proto, blocking mode). Move-only; closes the descriptor
/// when destroyed. New sockets are blocking, as in Python: call
/// setblocking(false) before passing one to the loop's sock_* coroutines.
/// Python: socket.socket
class Socket {
 public:
  /// A closed socket (fileno() is -1).
  Socket() noexcept = default;
  /// A new socket. std::system_error if socket() fails.
  /// Python: socket.socket(family, type, proto)
  Socket(int family, int type, int proto = 0);
  /// Takes ownership of descriptor `fd`, asking the OS for its family, type
  /// and protocol. std::system_error if `fd` is not a socket.
  /// Python: socket.socket(fileno=fd)
  static Socket from_fd(int fd);
  Socket(Socket&& other) noexcept;
  Socket& operator=(Socket&& other) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  // NOLINTNEXTLINE(performance-trivially-destructible): closes the socket (socket_posix.cpp); trivial only in the stub
  ~Socket();

  /// The descriptor, or -1 once closed. Python: socket.fileno()
  int fileno() const noexcept { return fd_; }
  /// Python: socket.family
  int family() const noexcept { return family_; }
  /// Python: socket.type
  int type() const noexcept { return type_; }
  /// Python: socket.proto
  int proto() const noexcept { return proto_; }

  /// Sets blocking (true) or non-blocking (false) mode.
  /// Python: socket.setblocking()
  void setblocking(bool flag);
  /// Python: socket.getblocking()
  bool getblocking() const noexcept { return blocking_; }

  /// Binds to `address`. Python: socket.bind()
  void bind(const SockAddr& address);
  /// Binds an AF_INET/AF_INET6 socket to numeric `host` and `port`.
  void bind(const std::string& host, int port);
  /// Python: socket.listen()
  void listen(int backlog = 128);
  /// Connects (blocking sockets wait; a non-blocking one raises
  /// BlockingIOError-like std::system_error EINPROGRESS: use
  /// loop.sock_connect()). Python: socket.connect()
  void connect(const SockAddr& address);
  /// Python: socket.getsockname()
  SockAddr getsockname() const;
  /// std::system_error (ENOTCONN) if not connected. Python: socket.getpeername()
  SockAddr getpeername() const;
  /// Sets an integer option. Python: socket.setsockopt()
  void setsockopt(int level, int option, int value);
  /// Reads an integer option. Python: socket.getsockopt()
  int getsockopt(int level, int option) const;
  /// Python: socket.shutdown()
  void shutdown(int how);
  /// Closes the descriptor (idempotent). Python: socket.close()
  void close() noexcept;
  /// Gives up ownership: returns the descriptor, leaving this closed.
  /// Python: socket.detach()
  int detach() noexcept;

  /// Sends what the kernel takes (blocking mode: waits for room); returns
  /// the bytes sent. Python: socket.send()
  std::size_t send(std::string_view data);
  /// Receives at most `bufsize` bytes ("" at end of stream). Python: socket.recv()
  std::string recv(std::size_t bufsize);
  /// Python: socket.sendto()
  std::size_t sendto(std::string_view data, const SockAddr& address);
  /// Python: socket.recvfrom()
  std::pair<std::string, SockAddr> recvfrom(std::size_t bufsize);

  // ---- Non-blocking attempts (library use: the loop's sock_* coroutines) ----
  // Each returns std::nullopt when the call would block (EAGAIN, EINTR) and
  // raises std::system_error for any other failure.

  std::optional<std::size_t> try_recv_into(std::span<char> buffer);
  std::optional<std::pair<std::size_t, SockAddr>> try_recvfrom_into(std::span<char> buffer);
  std::optional<std::size_t> try_send(std::string_view data);
  std::optional<std::size_t> try_sendto(std::string_view data, const SockAddr& address);
  /// Starts connecting: true if connected at once, false if in progress.
  bool try_connect(const SockAddr& address);
  /// The outcome of a connect in progress (SO_ERROR): 0 once connected.
  int pending_error() const;
  /// Accepts a connection; the new socket is non-blocking.
  std::optional<std::pair<Socket, SockAddr>> try_accept();
  /// Sends up to `count` bytes of file `file_fd` from `offset` with the
  /// kernel's zero-copy call; returns the bytes sent (0 at end of file).
  /// std::system_error ENOSYS/EINVAL/ENOTSOCK... where it is impossible.
  /// Python: os.sendfile()
  std::optional<std::size_t> try_sendfile(int file_fd, std::int64_t offset, std::size_t count);

 private:
  Socket(int fd, int family, int type, int proto, bool blocking) noexcept
      : fd_(fd), family_(family), type_(type), proto_(proto), blocking_(blocking) {}

  int fd_ = -1;
  int family_ = 0;
  int type_ = 0;
  int proto_ = 0;
  bool blocking_ = true;
};

/// A pair of connected sockets (AF_UNIX by default where `family` is 0).
/// Python: socket.socketpair()
std::pair<Socket, Socket> socketpair(int family = 0, int type = 0, int proto = 0);

}  // namespace asyncio
