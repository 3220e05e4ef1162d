// sock_sendfile() and sendfile(): a file over a socket or a transport.
// Python: base_events.BaseEventLoop.sock_sendfile / sendfile /
// _sendfile_fallback, unix_events._UnixSelectorEventLoop._sock_sendfile_native,
// selector_events.BaseSelectorEventLoop._sendfile_native.
//
// The native path calls the kernel's sendfile(2) (detail/socket_os.hpp) on
// the non-blocking socket as long as it makes progress and waits for
// writability when it would block; the fallback reads the file and sends
// it. Either way the file position ends after the bytes sent, as CPython
// leaves it. For a transport, the native path first waits for the
// transport's write buffer to drain (reading paused meanwhile), then sends
// on a duplicate of its descriptor: the transport's own descriptor is
// watched by libuv, which allows one watcher per descriptor. A transport
// with no descriptor of its own to send on (TLS: the file must be
// encrypted) takes the fallback only, as CPython's _SSLProtocolTransport.
// Divergence: the fallback reads the file in the loop's thread (CPython
// uses the default executor); a local file read is short, and this works
// where there are no threads.
#include <algorithm>
#include <cerrno>
#include <string>
#include <system_error>

#include "asyncio/detail/fd_wait.hpp"
#include "asyncio/detail/socket_os.hpp"
#include "asyncio/detail/socket_transport.hpp"
#include "asyncio/detail/transport_caps.hpp"
#include "asyncio/events.hpp"
#include "asyncio/futures.hpp"
#include "asyncio/socket.hpp"
#include "asyncio/tasks.hpp"
#include "asyncio/transports.hpp"

namespace asyncio {

namespace detail {

// Declared in detail/socket_os.hpp; defined here, in a file every platform
// builds, because it needs no socket header (no_socket.cpp's platforms use
// it too).
[[noreturn]] void throw_errno(int e, const std::string& what) {
  throw std::system_error(e, std::generic_category(), what);
}

}  // namespace detail

namespace {

/// Python: SENDFILE_FALLBACK_READBUFFER_SIZE (sock_sendfile) and the 16 KiB
/// blocks of _sendfile_fallback (transports).
constexpr std::size_t kSockFallbackBlock = std::size_t{256} * 1024;
constexpr std::size_t kTransportFallbackBlock = std::size_t{16} * 1024;

void check_sendfile_params(const Socket* sock, std::int64_t offset, std::optional<std::size_t> count) {
  // Python: _check_sendfile_params
  if (sock && sock->type() != detail::sock_stream()) throw ValueError("only SOCK_STREAM type sockets are supported");
  if (count && *count == 0) throw ValueError("count must be a positive integer (got 0)");
  if (offset < 0) throw ValueError("offset must be a non-negative integer (got " + std::to_string(offset) + ")");
}

void update_filepos(int file, std::int64_t pos, std::size_t total_sent) {
  // Python: _sock_sendfile_update_filepos
  if (total_sent > 0) detail::seek_file(file, pos);
}

// Python: _sock_sendfile_native (+ _impl): SendfileNotAvailableError when
// nothing could be sent with sendfile(2).
Coro<std::size_t> sendfile_native(EventLoop* loop, Socket* sock, int file, std::int64_t offset,
                                  std::optional<std::size_t> count) {
  const long long fsize = detail::file_size(file);
  if (fsize < 0) throw SendfileNotAvailableError("not a regular file");
  std::size_t blocksize = count ? *count : static_cast<std::size_t>(fsize);
  if (blocksize == 0) co_return 0;  // empty file
  std::size_t total_sent = 0;
  std::optional<detail::FdWait> wait;
  try {
    for (;;) {
      if (count) {
        if (total_sent >= *count) break;
        blocksize = *count - total_sent;
      }
      blocksize = std::min<std::size_t>(blocksize, std::size_t{1} << 30);
      std::optional<std::size_t> sent;
      try {
        sent = sock->try_sendfile(file, offset + static_cast<std::int64_t>(total_sent), blocksize);
      } catch (const std::system_error& e) {
        if (total_sent == 0) throw SendfileNotAvailableError("os.sendfile call failed");
        if (e.code() == std::errc::not_connected) throw OSError(e.code(), "socket is not connected");
        throw;
      }
      if (!sent) {
        if (!wait) wait.emplace(*loop, sock->fileno(), false);
        Future<void> ready = wait->next();
        co_await ready;
        continue;
      }
      if (*sent == 0) break;  // end of file
      total_sent += *sent;
      const std::size_t expected = count ? *count : static_cast<std::size_t>(fsize);
      if (*sent < blocksize && total_sent < expected) {
        // A short count: the socket buffer is full (or the file ended, which
        // the next call reports). Wait for room instead of asking again
        // only to hear EAGAIN.
        if (!wait) wait.emplace(*loop, sock->fileno(), false);
        Future<void> ready = wait->next();
        co_await ready;
      }
    }
  } catch (...) {
    update_filepos(file, offset + static_cast<std::int64_t>(total_sent), total_sent);
    throw;
  }
  update_filepos(file, offset + static_cast<std::int64_t>(total_sent), total_sent);
  co_return total_sent;
}

// Python: _sock_sendfile_fallback
Coro<std::size_t> sock_sendfile_fallback(EventLoop* loop, Socket* sock, int file, std::int64_t offset,
                                         std::optional<std::size_t> count) {
  if (offset && !detail::seek_file(file, offset)) detail::throw_errno(errno, "seek");
  std::size_t blocksize = count ? std::min(*count, kSockFallbackBlock) : kSockFallbackBlock;
  std::string buf(blocksize, '\0');
  std::size_t total_sent = 0;
  try {
    for (;;) {
      if (count) {
        blocksize = std::min(*count - total_sent, blocksize);
        if (blocksize == 0) break;
      }
      const long long got = detail::read_file(file, buf.data(), blocksize);
      if (got < 0) detail::throw_errno(errno, "read");
      if (got == 0) break;  // EOF
      auto sending = loop->sock_sendall(*sock, std::string_view(buf.data(), static_cast<std::size_t>(got)));
      co_await std::move(sending);
      total_sent += static_cast<std::size_t>(got);
    }
  } catch (...) {
    if (total_sent > 0) detail::seek_file(file, offset + static_cast<std::int64_t>(total_sent));
    throw;
  }
  if (total_sent > 0) detail::seek_file(file, offset + static_cast<std::int64_t>(total_sent));
  co_return total_sent;
}

Coro<std::size_t> sock_sendfile_impl(EventLoop* loop, Socket* sock, int file, std::int64_t offset,
                                     std::optional<std::size_t> count, bool fallback) {
  if (sock->getblocking()) throw ValueError("the socket must be non-blocking");
  check_sendfile_params(sock, offset, count);
  try {
    auto native = sendfile_native(loop, sock, file, offset, count);
    co_return co_await std::move(native);
  } catch (const SendfileNotAvailableError&) {
    if (!fallback) throw;
  }
  auto slow = sock_sendfile_fallback(loop, sock, file, offset, count);
  co_return co_await std::move(slow);
}

/// Python: _SendfileFallbackProtocol: stands in for the transport's
/// protocol while the fallback writes, to wait for resume_writing().
class SendfileFallbackProtocol final : public Protocol {
 public:
  SendfileFallbackProtocol(EventLoop& loop, std::shared_ptr<Transport> transport,
                           const detail::SendfileFallbackTransport& flow)
      : loop_(&loop), transport_(std::move(transport)) {
    proto_ = transport_->get_protocol();
    should_resume_reading_ = transport_->is_reading();
    should_resume_writing_ = flow.protocol_paused();
    transport_->pause_reading();
    if (should_resume_writing_) write_ready_.emplace(loop_->create_future());
  }

  /// Python: drain()
  Coro<void> drain() {
    if (transport_->is_closing()) throw OSError("Connection closed by peer");
    if (!write_ready_) co_return;
    Future<void> fut = *write_ready_;
    co_await fut;
  }

  /// Python: restore()
  void restore() {
    // Once the transport has reported connection_lost() (to this protocol,
    // or, over TLS, scheduled it: the TLS layer calls its protocol in a
    // later callback), it has let go of its protocol, as CPython's set
    // _protocol to None: putting the original back would make the
    // transport and a protocol holding it keep each other alive (CPython's
    // garbage collector frees that cycle; nothing would here). The
    // original protocol still gets connection_lost(), passed on below.
    if (!lost_ && transport_->get_protocol()) transport_->set_protocol(proto_);
    if (should_resume_reading_) transport_->resume_reading();
    if (write_ready_ && !write_ready_->done()) write_ready_->cancel();
    if (should_resume_writing_) proto_->resume_writing();
  }

  void connection_made(std::shared_ptr<Transport>) override {
    throw RuntimeError("Invalid state: connection should have been established already.");
  }
  void connection_lost(std::exception_ptr exc) override {
    lost_ = true;
    if (write_ready_ && !write_ready_->done()) {
      write_ready_->set_exception(exc ? exc : std::make_exception_ptr(OSError("Connection is closed by peer")));
    }
    proto_->connection_lost(exc);
  }
  void pause_writing() override {
    if (write_ready_) return;
    write_ready_.emplace(loop_->create_future());
  }
  void resume_writing() override {
    if (!write_ready_) return;
    if (!write_ready_->done()) write_ready_->set_result();
    write_ready_.reset();
  }
  void data_received(std::string_view) override { throw RuntimeError("Invalid state: reading should be paused"); }
  bool eof_received() override { throw RuntimeError("Invalid state: reading should be paused"); }

 private:
  EventLoop* loop_;
  std::shared_ptr<Transport> transport_;
  std::shared_ptr<BaseProtocol> proto_;
  std::optional<Future<void>> write_ready_;
  bool should_resume_reading_ = false;
  bool should_resume_writing_ = false;
  bool lost_ = false;  // connection_lost() came while this protocol was in place
};

// Python: _sendfile_fallback. `flow` is `transport` seen as what the
// fallback needs (its protocol_paused()).
Coro<std::size_t> transport_sendfile_fallback(EventLoop* loop, std::shared_ptr<Transport> transport,
                                              const detail::SendfileFallbackTransport* flow, int file,
                                              std::int64_t offset, std::optional<std::size_t> count) {
  if (offset && !detail::seek_file(file, offset)) detail::throw_errno(errno, "seek");
  // Python: min(count, 16384) if count else 16384: a count of 0 (only a
  // fallback-only transport gets here with one: the native path checks)
  // means the whole file.
  if (count && *count == 0) count.reset();
  std::size_t blocksize = count ? std::min(*count, kTransportFallbackBlock) : kTransportFallbackBlock;
  std::string buf(blocksize, '\0');
  std::size_t total_sent = 0;
  auto proto = std::make_shared<SendfileFallbackProtocol>(*loop, transport, *flow);
  transport->set_protocol(proto);
  std::exception_ptr error;
  try {
    for (;;) {
      if (count) {
        blocksize = std::min(*count - total_sent, blocksize);
        if (blocksize == 0) break;
      }
      const long long got = detail::read_file(file, buf.data(), blocksize);
      if (got < 0) detail::throw_errno(errno, "read");
      if (got == 0) break;  // EOF
      auto draining = proto->drain();
      co_await std::move(draining);
      transport->write(std::string_view(buf.data(), static_cast<std::size_t>(got)));
      total_sent += static_cast<std::size_t>(got);
    }
  } catch (...) {
    error = std::current_exception();
  }
  if (total_sent > 0) detail::seek_file(file, offset + static_cast<std::int64_t>(total_sent));
  proto->restore();
  if (error) std::rethrow_exception(error);
  co_return total_sent;
}

// Python: _SelectorEventLoop._sendfile_native
Coro<std::size_t> transport_sendfile_native(EventLoop* loop, std::shared_ptr<detail::SocketTransport> transport,
                                            int file, std::int64_t offset, std::optional<std::size_t> count) {
  check_sendfile_params(nullptr, offset, count);
  if (detail::file_size(file) < 0) throw SendfileNotAvailableError("not a regular file");
  const bool resume_reading = transport->is_reading();
  transport->pause_reading();
  std::exception_ptr error;
  std::size_t sent = 0;
  try {
    Future<void> empty = transport->make_empty_waiter();
    co_await empty;
    // The transport's descriptor is libuv's: send on a duplicate.
    const int dup_fd = detail::dup_fd(transport->socket_fd());
    if (dup_fd < 0) detail::throw_errno(errno, "dup");
    Socket dup = Socket::from_fd(dup_fd);
    dup.setblocking(false);
    auto native = sendfile_native(loop, &dup, file, offset, count);
    sent = co_await std::move(native);
  } catch (...) {
    error = std::current_exception();
  }
  transport->reset_empty_waiter();
  if (resume_reading && !transport->is_closing()) transport->resume_reading();
  if (error) std::rethrow_exception(error);
  co_return sent;
}

Coro<std::size_t> sendfile_impl(EventLoop* loop, std::shared_ptr<Transport> transport, int file, std::int64_t offset,
                                std::optional<std::size_t> count, bool fallback) {
  // Python: BaseEventLoop.sendfile. A socket transport tries sendfile(2)
  // first (_SendfileMode.TRY_NATIVE); another transport that can take the
  // fallback (TLS: _SendfileMode.FALLBACK) only has that; any other is
  // UNSUPPORTED.
  if (transport->is_closing()) throw RuntimeError("Transport is closing");
  auto* flow = dynamic_cast<detail::SendfileFallbackTransport*>(transport.get());
  if (!flow) throw RuntimeError("sendfile is not supported for transport " + transport->repr());
  if (auto sock_transport = std::dynamic_pointer_cast<detail::SocketTransport>(transport)) {
    try {
      auto native = transport_sendfile_native(loop, sock_transport, file, offset, count);
      co_return co_await std::move(native);
    } catch (const SendfileNotAvailableError&) {
      if (!fallback) throw;
    }
  }
  if (!fallback) {
    throw RuntimeError("fallback is disabled and native sendfile is not supported for transport " +
                       transport->repr());
  }
  auto slow = transport_sendfile_fallback(loop, std::move(transport), flow, file, offset, count);
  co_return co_await std::move(slow);
}

}  // namespace

Coro<std::size_t> EventLoop::sock_sendfile(Socket& sock, int file, std::int64_t offset,
                                           std::optional<std::size_t> count, bool fallback) {
  check_network("sock_sendfile");
  return sock_sendfile_impl(this, &sock, file, offset, count, fallback);
}

Coro<std::size_t> EventLoop::sendfile(std::shared_ptr<Transport> transport, int file, std::int64_t offset,
                                      std::optional<std::size_t> count, bool fallback) {
  check_network("sendfile");
  return sendfile_impl(this, std::move(transport), file, offset, count, fallback);
}

}  // namespace asyncio
