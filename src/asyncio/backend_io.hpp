// The backend's primitives for watching descriptors and for datagram
// sockets: what add_reader()/add_writer(), the sock_* coroutines, sendfile()
// and create_datagram_endpoint() are built on (backend.hpp declares the
// Backend methods that make them). Like the stream primitives, every event
// is reported in the loop's thread, from inside Backend::poll(); the core
// turns each into a ready-queue entry.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>
#include <system_error>

#include "asyncio/sockets.hpp"

namespace asyncio {

/// What a watched descriptor reports to its owner (the loop's fd table).
class FdWatchEvents {
 public:
  /// The descriptor is readable and/or writable (an error or hang-up
  /// reports both, so that the callbacks find out by trying).
  virtual void on_fd_ready(bool readable, bool writable) noexcept = 0;

 protected:
  ~FdWatchEvents() = default;
};

/// A descriptor being watched for readiness, owned through FdWatchPtr.
/// Python: a key of the selector (selectors.SelectorKey)
class FdWatch {
 public:
  /// Watches for the given events (none: stops watching, keeps the watch).
  /// std::system_error if the platform refuses.
  virtual void update(bool readable, bool writable) = 0;
  /// Stops watching for good; the descriptor is left open. No event follows.
  virtual void close() noexcept = 0;

 protected:
  ~FdWatch() = default;
};

struct FdWatchCloser {
  void operator()(FdWatch* w) const noexcept { w->close(); }
};
using FdWatchPtr = std::unique_ptr<FdWatch, FdWatchCloser>;

/// What a datagram socket reports to its owner (a datagram transport).
class DatagramSocketEvents {
 public:
  /// Where to receive the next datagram into; an empty span declines (it
  /// stays in the kernel until the owner starts reading again).
  virtual std::span<char> recv_buffer(std::size_t size_hint) noexcept = 0;
  /// A datagram of `n` bytes (possibly 0) arrived from `from` at the start
  /// of the span last given by recv_buffer().
  virtual void on_datagram(std::size_t n, const SockAddr& from) noexcept = 0;
  /// Receiving failed (an ICMP error on a connected socket, ...); reading goes on.
  virtual void on_recv_error(std::error_code error) noexcept = 0;
  /// A datagram queued by DatagramSocket::send() left (error: how it failed),
  /// in the order they were queued.
  virtual void on_send_done(std::error_code error) noexcept = 0;
  /// The backend is closing: the socket is gone, no event follows.
  virtual void on_detached() noexcept = 0;

 protected:
  ~DatagramSocketEvents() = default;
};

/// A datagram socket (UDP, AF_UNIX SOCK_DGRAM), owned through DatagramSocketPtr.
class DatagramSocket {
 public:
  virtual void set_events(DatagramSocketEvents* events) noexcept = 0;
  /// Starts (or keeps) receiving. Idempotent.
  virtual void start_reading() = 0;
  /// Stops receiving. Idempotent.
  virtual void stop_reading() noexcept = 0;
  /// Sends one datagram now, to `to` (nullptr: the connected peer): true if
  /// the kernel took it, false if it would block. On failure sets `error`
  /// and returns false.
  virtual bool try_send(std::string_view data, const SockAddr* to, std::error_code& error) noexcept = 0;
  /// Queues one datagram (copied) to send when the socket is writable;
  /// on_send_done() follows. The returned error is immediate failure.
  virtual std::error_code send(std::string_view data, const SockAddr* to) noexcept = 0;
  /// Closes the socket: queued datagrams are dropped, no event follows.
  virtual void close() noexcept = 0;
  /// What get_extra_info("socket"), ("sockname"), ("peername") report.
  virtual const TransportSocket& info() const noexcept = 0;

 protected:
  ~DatagramSocket() = default;
};

struct DatagramSocketCloser {
  void operator()(DatagramSocket* s) const noexcept { s->close(); }
};
using DatagramSocketPtr = std::unique_ptr<DatagramSocket, DatagramSocketCloser>;

}  // namespace asyncio
