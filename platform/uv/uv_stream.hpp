// A connected stream on a libuv stream handle: uv_tcp_t for TCP, uv_pipe_t
// for AF_UNIX sockets (and Windows named pipes). Serves StreamSocket, the
// transport's view of a connection.
//
// Facts about libuv this relies on:
// - libuv reads into the buffer its alloc callback returns: the
//   transport's own (a pooled chunk, or a BufferedProtocol's buffer). An
//   empty buffer makes it report UV_ENOBUFS and wait for the next
//   readiness; the bytes stay in the kernel.
// - uv_try_write() fails with UV_EAGAIN while a uv_write() is queued; the
//   transport only calls it when nothing is.
// - A write or shutdown request must stay valid until its callback, which
//   libuv always calls (with UV_ECANCELED when the handle closes first):
//   requests are taken from the pool when queued and freed there, so an
//   idle connection holds none (bench/README.md, "Memory per connection").
// - libuv stops reading at EOF and on errors; a reset right after the last
//   data reaches us as UV_EOF (see os::error_after_hangup()).
#pragma once

#include <uv.h>

#include <span>
#include <string_view>
#include <system_error>

#include "asyncio/backend.hpp"
#include "uv_handle.hpp"

namespace asyncio::uv {

class UvStream final : public StreamSocket, public HandleObject {
 public:
  explicit UvStream(UvBackend& backend) noexcept : HandleObject(backend) {}

  /// Initialises a TCP handle, with a new socket of `family` (AF_INET,
  /// AF_INET6), or none for AF_UNSPEC (open() gives it one). libuv status.
  int init_tcp(int family) noexcept;
  /// Initialises a pipe handle (AF_UNIX sockets). libuv status.
  int init_pipe() noexcept;
  /// Wraps the connected socket `sock` (uv_tcp_open / uv_pipe_open). libuv status.
  int open(uv_os_sock_t sock) noexcept;
  /// The connection is established: records what info() reports and sets
  /// TCP_NODELAY (Python sets it on every TCP transport).
  void connected(int family, int type, int proto);

  uv_tcp_t* tcp() noexcept { return &h_.tcp; }
  uv_pipe_t* pipe() noexcept { return &h_.pipe; }

  // StreamSocket
  void set_events(StreamSocketEvents* events) noexcept override { events_ = events; }
  void start_reading() override;
  void stop_reading() noexcept override;
  std::size_t try_write(std::span<const std::string_view> buffers, std::error_code& error) noexcept override;
  std::error_code write(std::span<const std::string_view> buffers) noexcept override;
  std::size_t write_queue_size() const noexcept override { return uv_stream_get_write_queue_size(&h_.stream); }
  void shutdown() noexcept override;
  void close() noexcept override { close_handles(); }
  const TransportSocket& info() const noexcept override { return info_; }

 private:
  ~UvStream() override = default;
  void close_owned() noexcept override;
  void on_detach() noexcept override;

  static void on_alloc(uv_handle_t* h, std::size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
  static void on_write(uv_write_t* req, int status);

  union Handle {
    uv_handle_t handle;
    uv_stream_t stream;
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } h_{};
  StreamSocketEvents* events_ = nullptr;
  TransportSocket info_;
  bool initialised_ = false;
  bool reading_ = false;
  bool shutdown_ = false;
};

/// A stream wrapping the connected socket `sock` (TCP, or AF_UNIX if
/// `pipe`), described with family/type/proto. Takes `sock`: it is closed
/// if wrapping fails (std::system_error).
StreamSocketPtr wrap_connected(UvBackend& backend, uv_os_sock_t sock, bool pipe, int family, int type, int proto);

}  // namespace asyncio::uv
