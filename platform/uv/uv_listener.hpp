// A listening socket on a libuv stream handle: uv_tcp_t for TCP, uv_pipe_t
// for AF_UNIX sockets. Serves ListeningSocket, a server's view of it.
//
// The handle owns the socket (creation, close, descriptions); accepting is
// per OS (os::new_listener() makes the right subclass): on POSIX libuv's
// uv_listen()/uv_accept() path cannot be used, since on EMFILE it accepts
// and closes the pending connections, where CPython stops accepting for a
// second and leaves them queued (uv_listener_posix.cpp).
#pragma once

#include <uv.h>

#include "asyncio/backend.hpp"
#include "uv_handle.hpp"

namespace asyncio::uv {

class UvListener : public ListeningSocket, public HandleObject {
 public:
  /// Initialises a TCP handle, with a new socket of `family` (AF_INET,
  /// AF_INET6), or none for AF_UNSPEC (open() gives it one). libuv status.
  int init_tcp(int family) noexcept;
  /// Initialises a pipe handle (AF_UNIX sockets). libuv status.
  int init_pipe() noexcept;
  /// Wraps the bound socket `sock` (uv_tcp_open / uv_pipe_open). libuv status.
  int open(uv_os_sock_t sock) noexcept;
  /// Records what info() reports.
  void set_info(TransportSocket info) { info_ = std::move(info); }

  bool is_pipe() const noexcept { return h_.handle.type == UV_NAMED_PIPE; }
  uv_tcp_t* tcp() noexcept { return &h_.tcp; }
  uv_pipe_t* pipe() noexcept { return &h_.pipe; }
  uv_stream_t* stream() noexcept { return &h_.stream; }
  const uv_handle_t* handle() const noexcept { return &h_.handle; }
  int backlog() const noexcept { return backlog_; }

  // ListeningSocket
  void start_accepting(ListeningSocketEvents* events) override;
  void stop_accepting() noexcept override;
  void close() noexcept override { close_handles(); }
  const TransportSocket& info() const noexcept override { return info_; }

 protected:
  UvListener(UvBackend& backend, int backlog) noexcept : HandleObject(backend), backlog_(backlog) {}
  ~UvListener() override = default;

  // ---- What each OS implements ----
  /// Starts listening, the first time start_accepting() is called.
  /// std::system_error if the socket cannot listen.
  virtual void listen() = 0;
  /// Starts reporting connections (deliver()/fail()). libuv status.
  virtual int watch() noexcept = 0;
  /// Stops reporting connections.
  virtual void unwatch() noexcept = 0;
  /// Closes the stream handle; an OS part owning more overrides it (and
  /// calls this).
  void close_owned() noexcept override;

  // ---- For the OS part ----
  /// True while the owner wants connections.
  bool accepting() const noexcept { return accepting_ && events_ != nullptr && !closing(); }
  /// Hands an accepted connection to the owner.
  void deliver(StreamSocketPtr connection) noexcept { events_->on_accept(std::move(connection)); }
  /// Accepting failed: stop until the owner starts again (a readiness that
  /// cannot be served, EMFILE, would otherwise be reported again at once),
  /// and tell it.
  void fail(std::error_code error) noexcept;

 private:
  void on_detach() noexcept override;

  union Handle {
    uv_handle_t handle;
    uv_stream_t stream;
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } h_{};
  TransportSocket info_;
  ListeningSocketEvents* events_ = nullptr;
  int backlog_;
  bool initialised_ = false;
  bool listening_ = false;
  bool accepting_ = false;
};

}  // namespace asyncio::uv
