// What the libuv backend's network code needs and libuv cannot express
// portably. Each OS family implements these in its own files, which
// cmake/AsyncioPlatform.cmake picks (libuv's rule: the build chooses files,
// the code has no #ifdef chains):
//
//   uv_dns_posix.cpp       resolver errors as socket.gaierror
//   uv_stream_posix.cpp    the error a hang-up hid (a reset after data)
//   uv_socket_posix.cpp    binding with CPython's socket options, socket
//                          descriptions, adopting descriptors (sock_adopt,
//                          sock_adopt_listener)
//   uv_listener_posix.cpp  accepting, with CPython's pause on EMFILE
//   uv_pipe_posix.cpp      AF_UNIX sockets (sock_connect_unix, sock_listen_unix)
//   uv_linux.cpp           Linux-only calls (accept4, SOCK_CLOEXEC,
//   uv_bsd.cpp             SO_PROTOCOL, abstract names), or their plain
//                          POSIX versions for macOS and the BSDs
//
// Windows has the same in uv_*_win.cpp (uv_win.hpp): Winsock sockets, a
// listener on libuv's own uv_listen()/uv_accept(), and named pipes where
// POSIX has AF_UNIX paths (uv_pipe_win.cpp).
#pragma once

#include <uv.h>

#include <exception>
#include <string>
#include <system_error>

#include "asyncio/backend.hpp"

namespace asyncio::uv {

class UvBackend;
class UvListener;

namespace os {

/// A failed uv_getaddrinfo()/uv_getnameinfo() as the exception Python
/// raises: socket.gaierror (gai_category(), the platform's EAI_* value) for
/// resolver errors, OSError otherwise. `what` names the call.
std::exception_ptr resolution_error(int status, const std::string& what);

/// The stream reported the end of the data. libuv infers it from a hang-up
/// without a last read when a read came back short, so a reset that
/// followed data (RST after the last bytes) looks like a clean end. Returns
/// the error a further read gives (ECONNRESET), or no error for a real end
/// of stream (the peer sent FIN), as CPython's next recv() would tell.
std::error_code error_after_hangup(const uv_stream_t* stream) noexcept;

/// std::system_error unless descriptor `fd` can be watched for readiness
/// (EBADF if closed; EPERM for a regular file or directory, as epoll says).
/// uv_linux.cpp (asks epoll), uv_bsd.cpp.
void check_pollable(int fd);

/// A datagram socket was adopted by a uv_udp_t: undo what libuv set that
/// CPython does not (SO_REUSEADDR). uv_fd_posix.cpp, as the three below.
void datagram_opened(int fd) noexcept;
/// The platform's SOCK_DGRAM.
int sock_dgram() noexcept;
/// `address` (AF_INET, AF_INET6 or AF_UNIX) as a sockaddr for uv_udp_send().
/// std::system_error for an invalid address.
void datagram_address(const SockAddr& address, sockaddr_storage& ss);
/// The sender of a datagram libuv received.
SockAddr datagram_peer(const sockaddr* addr);

/// Closes a socket no handle owns (one that could not be wrapped).
void close_socket(uv_os_sock_t sock) noexcept;

/// Describes the socket of `handle` (a TCP or pipe handle that has one):
/// descriptor, addresses, and the given family/type/proto.
TransportSocket describe_socket(const uv_handle_t* handle, int family, int type, int proto);

/// Binds the TCP socket of `tcp` (created by uv_tcp_init_ex) to `address`,
/// with a listener's socket options when `options` is given (SO_REUSEADDR
/// only if asked, SO_REUSEPORT, SO_KEEPALIVE, IPV6_V6ONLY), or none (a
/// client's local_addr). uv_tcp_bind() would force SO_REUSEADDR on Unix and
/// report EADDRINUSE only at listen()/connect() time. std::system_error
/// ("error while attempting to bind on address ...") if bind() fails;
/// ValueError if SO_REUSEPORT is asked for where it does not exist.
void bind_tcp(uv_tcp_t* tcp, const SockAddr& address, const ListenOptions* options);

/// A new listener for create_server(): its handle is initialised by the
/// caller (init_tcp/init_pipe, then bind or open) before
/// start_accepting(). Accepting is the part libuv cannot express on POSIX:
/// its own accept path closes pending connections on EMFILE, where CPython
/// stops accepting for a second.
UvListener* new_listener(UvBackend& backend, int backlog);

}  // namespace os
}  // namespace asyncio::uv
