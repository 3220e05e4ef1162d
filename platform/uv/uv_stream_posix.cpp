// What a POSIX stream socket says after libuv reported the end of the data
// (see os::error_after_hangup() in uv_net_os.hpp).
//
// Facts about these platforms:
// - A reset (RST) arriving after data makes poll() report readable, error
//   and hang-up at once. libuv 1.44 reads the data, and since the read came
//   back short and the socket hung up, reports UV_EOF without reading again
//   (uv__stream_io), so the pending ECONNRESET is never read.
// - CPython reads again and gets the error: connection_lost(ConnectionResetError).
// - A peer that sent FIN and then reset: the next read returns 0 (the FIN
//   counts first), and CPython reports a clean end of stream. Reading
//   SO_ERROR instead would report the reset: asking recv() keeps CPython's
//   answer in both cases.
#include <sys/socket.h>

#include "uv_errors.hpp"
#include "uv_net_os.hpp"
#include "uv_posix.hpp"

namespace asyncio::uv::os {

std::error_code error_after_hangup(const uv_stream_t* stream) noexcept {
  const int fd = posix::fd_of(reinterpret_cast<const uv_handle_t*>(stream));
  if (fd < 0) return {};
  char byte;
  // MSG_PEEK: should bytes have arrived after all, they stay unread (and
  // the end of the stream is reported as libuv said).
  ssize_t n;
  do {
    n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n >= 0) return {};
  const int e = errno;
  if (e == EAGAIN || e == EWOULDBLOCK || e == ENOTSOCK) return {};  // not a socket: a pipe's end is its end
  return posix::errno_code(e);
}

}  // namespace asyncio::uv::os
