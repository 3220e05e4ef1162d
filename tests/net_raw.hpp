// The OS's own sockets, outside asyncio, for the network tests: plain
// blocking loopback clients and listeners to poke the library with. One
// implementation per OS family (net_raw_posix.cpp, net_raw_win.cpp), as
// the library's own per-OS files. A socket is an int: a descriptor on
// POSIX, a SOCKET handle on Windows (as Python's fileno() there).
#pragma once

#include <string>
#include <string_view>

namespace test {

/// A blocking TCP client socket connected to 127.0.0.1:`port` (the kernel
/// completes the handshake before the server accepts), or -1.
int raw_connect(int port);

/// Accepts a connection on listening socket `listener` (blocking), or -1.
int raw_accept(int listener);

/// A UDP socket (not a stream), or -1.
int raw_udp();

/// 1 if `sock` is in non-blocking mode, 0 if not, -1 if the OS cannot
/// tell (Windows has no call that reads the mode back).
int raw_is_nonblocking(int sock);

/// Sends all of `data` on blocking socket `sock`.
bool raw_send(int sock, std::string_view data);

/// Shuts down the sending side of `sock` (FIN). True on success.
bool raw_shutdown_write(int sock);

/// Sets SO_LINGER {1, 0} on `sock`, so that closing it sends a reset (RST)
/// instead of FIN. True on success.
bool raw_linger_zero(int sock);

/// Closes `sock` with a reset (RST) instead of FIN.
void raw_reset(int sock);

/// Closes `sock`.
void raw_close(int sock);

/// True if `sock` is still an open socket.
bool raw_is_open(int sock);

/// True if TCP_NODELAY is set on `sock`.
bool raw_nodelay(int sock);

/// A TCP socket bound to 127.0.0.1 on a free port (`port` receives it),
/// listening with `backlog` if `backlog` >= 0; -1 on failure.
int raw_bound(int& port, int backlog = -1);

/// A free TCP port on 127.0.0.1 (bound and released: nothing listens).
int free_port();

/// The message the library's errors give for POSIX errno `e`: strerror()
/// on POSIX; on Windows libuv's text (uv_strerror), since libuv's codes are
/// not errno values there and mingw's strerror() knows few network errors.
std::string os_strerror(int e);

/// True if this machine has an IPv6 loopback address.
bool have_ipv6_loopback();

/// Raises the open-files soft limit to the hard limit for the test's life
/// (POSIX; Windows has no per-process limit of sockets).
struct RaiseFileLimit {
  RaiseFileLimit();
  ~RaiseFileLimit();
  RaiseFileLimit(const RaiseFileLimit&) = delete;
  RaiseFileLimit& operator=(const RaiseFileLimit&) = delete;
  /// The limit of open files now.
  static long current();

 private:
  long old_cur_ = -1;
};

}  // namespace test
