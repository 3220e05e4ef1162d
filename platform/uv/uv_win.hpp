// Declarations shared by the libuv backend's Windows files (never included
// by a shared file): sockets as Winsock SOCKETs, and the listener that
// accepts through libuv's own uv_listen()/uv_accept().
#pragma once

#include <winsock2.h>
#include <ws2tcpip.h>
#include <uv.h>

#include <optional>
#include <system_error>

#include "asyncio/sockets.hpp"
#include "uv_listener.hpp"

namespace asyncio::uv::win {

/// A Winsock error (WSAGetLastError()) as the std::error_code libuv's
/// status for it is, so that it compares equal to the right std::errc.
std::error_code wsa_code(int wsa_error) noexcept;

/// The SOCKET of a TCP handle (INVALID_SOCKET if it has none yet).
SOCKET socket_of(const uv_handle_t* handle) noexcept;

/// The address socket `sock` is bound to, and the one it is connected to.
std::optional<SockAddr> local_name(SOCKET sock);
std::optional<SockAddr> peer_name(SOCKET sock);

/// The named pipe a uv_pipe_t is bound or connected to (its name), or
/// nothing. Windows' uv_fileno() of a pipe is a HANDLE, not a socket.
std::optional<SockAddr> pipe_name(const uv_pipe_t* pipe, bool peer);

/// A listener accepting with libuv's uv_listen()/uv_accept() (TCP and
/// named pipes). libuv's Windows accept path has no EMFILE trick: AcceptEx
/// requests stay queued and a connection libuv reports is accepted when
/// the owner wants it; one not wanted yet stays pending until then.
class WinListener final : public UvListener {
 public:
  WinListener(UvBackend& backend, int backlog) noexcept : UvListener(backend, backlog) {}

 private:
  ~WinListener() override = default;
  void listen() override;
  int watch() noexcept override;
  void unwatch() noexcept override {}
  void close_owned() noexcept override;
  void accept_pending() noexcept;
  static void on_connection(uv_stream_t* server, int status);
  static void on_resume(uv_timer_t* timer);

  uv_timer_t resume_{};  // accepts what queued while paused, after start_accepting() returned
  int pending_ = 0;      // connections libuv reported that are not accepted yet
  bool resume_open_ = false;
};

}  // namespace asyncio::uv::win
