// The OS calls behind asyncio::Socket that differ between POSIX systems
// (detail/socket_linux.cpp, detail/socket_bsd.cpp), and the address
// conversions of detail/socket_posix.cpp. Library use only.
#pragma once

// The OS's socket header (sockaddr_storage, socklen_t):
// detail/socket_headers_posix.hpp or _win.hpp, named by CMakeLists.txt.
#include ASYNCIO_SOCKET_OS_HEADER

#include <cstddef>
#include <cstdint>
#include <string>

#include "asyncio/sockets.hpp"

namespace asyncio {
class Socket;
}

namespace asyncio::detail {

/// Throws std::system_error(e, "<what>: <strerror>").
[[noreturn]] void throw_errno(int e, const std::string& what);
/// Fills `ss` with `a`; returns its length. std::system_error EINVAL for a
/// host that is not a numeric address of the family.
socklen_t to_sockaddr(const SockAddr& a, sockaddr_storage& ss);
/// The SockAddr of a sockaddr the kernel filled in (`len` bytes).
SockAddr from_sockaddr(const sockaddr_storage& ss, socklen_t len);

/// socket() and socketpair(), close-on-exec; -1 with errno.
int open_socket(int family, int type, int proto) noexcept;
int open_socketpair(int family, int type, int proto, int fds[2]) noexcept;
/// accept(), the new descriptor non-blocking and close-on-exec; -1 with errno.
int accept_nonblocking(int fd, sockaddr* address, socklen_t* len) noexcept;
/// The protocol of socket `fd` (0 where the OS cannot tell).
int socket_protocol(int fd) noexcept;
/// One zero-copy sendfile() call of at most `count` bytes of `file_fd`
/// from `offset` to socket `sock_fd`: bytes sent, or -1 with errno
/// (ENOSYS where there is no such call).
long long sendfile_once(int sock_fd, int file_fd, std::int64_t offset, std::size_t count) noexcept;

/// The platform's SOCK_DGRAM.
int sock_dgram() noexcept;
/// SO_REUSEPORT on `sock`; ValueError where the platform lacks it
/// (Python: base_events._set_reuseport).
void set_reuse_port(Socket& sock);
/// SO_BROADCAST on `sock`.
void set_broadcast(Socket& sock);
/// Removes `path` if it is a socket file (a stale AF_UNIX endpoint); logs
/// other errors, as CPython does.
void remove_stale_unix_socket(const std::string& path) noexcept;
/// dup(): a second descriptor for the same socket (-1 with errno).
int dup_fd(int fd) noexcept;
/// The size of regular file `fd`, or -1 (not a regular file, or fstat() failed).
long long file_size(int fd) noexcept;
/// lseek(fd, pos, SEEK_SET); false with errno on failure.
bool seek_file(int fd, std::int64_t pos) noexcept;
/// read() of at most `n` bytes (EINTR retried): bytes read, or -1 with errno.
long long read_file(int fd, char* buf, std::size_t n) noexcept;

}  // namespace asyncio::detail
