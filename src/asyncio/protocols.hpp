// Protocols: the callbacks a transport calls. Python: asyncio.protocols
// (BaseProtocol, Protocol, BufferedProtocol).
//
//   class Echo : public asyncio::Protocol {
//     std::shared_ptr<asyncio::Transport> transport_;
//     void connection_made(std::shared_ptr<asyncio::Transport> t) override { transport_ = std::move(t); }
//     void data_received(std::string_view data) override { transport_->write(data); }
//   };
//
// Every callback runs in the loop's thread as a loop callback, in
// CPython's order: connection_made, then data_received (or get_buffer and
// buffer_updated) any number of times, at most one eof_received, and
// exactly one connection_lost. An exception escaping a callback is a fatal
// error for the connection: it is reported to the loop's exception handler
// and the transport is closed (as CPython does).
//
// Divergence: connection_made() is declared by Protocol and BufferedProtocol
// (not BaseProtocol) with the transport type they get, so implementations
// need no downcast. Protocols are owned through std::shared_ptr: the
// transport holds its protocol until connection_lost() has returned.
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <span>
#include <string_view>

namespace asyncio {

class Transport;
class SubprocessTransport;
class DatagramTransport;
struct SockAddr;

/// The callbacks shared by every protocol. Python: asyncio.BaseProtocol
class BaseProtocol {
 public:
  virtual ~BaseProtocol() = default;

  /// The connection is closed: `exc` is null for a regular close (or EOF),
  /// the error otherwise. Called exactly once per connection.
  /// Python: BaseProtocol.connection_lost()
  // The parameters of these virtual functions are by value: overriders
  // keep them (a protocol holds its transport).
  virtual void connection_lost(std::exception_ptr exc) { (void)exc; }  // NOLINT(performance-unnecessary-value-param)
  /// The transport's write buffer went above its high-water mark.
  /// Python: BaseProtocol.pause_writing()
  virtual void pause_writing() {}
  /// The transport's write buffer drained to its low-water mark.
  /// Python: BaseProtocol.resume_writing()
  virtual void resume_writing() {}
};

/// A stream protocol receiving data as views of the transport's buffer.
/// Python: asyncio.Protocol
class Protocol : public BaseProtocol {
 public:
  /// The connection is made; `transport` stays valid as long as it is held.
  /// Python: BaseProtocol.connection_made()
  virtual void connection_made(std::shared_ptr<Transport> transport) {  // NOLINT(performance-unnecessary-value-param)
    (void)transport;
  }
  /// Bytes arrived (never empty). `data` is valid only during the call:
  /// copy what must outlive it. Python: Protocol.data_received()
  virtual void data_received(std::string_view data) { (void)data; }
  /// The peer sent EOF. Return false (the default) to let the transport
  /// close itself, true to keep the connection half-open and close it
  /// later yourself. Python: Protocol.eof_received()
  virtual bool eof_received() { return false; }
};

/// A stream protocol that provides the buffers the transport reads into,
/// avoiding a copy. Python: asyncio.BufferedProtocol
class BufferedProtocol : public BaseProtocol {
 public:
  /// Python: BaseProtocol.connection_made()
  virtual void connection_made(std::shared_ptr<Transport> transport) {  // NOLINT(performance-unnecessary-value-param)
    (void)transport;
  }
  /// Returns the buffer to read the next bytes into (not empty: an empty
  /// buffer is a fatal error). `sizehint` is -1 (any size). The buffer must
  /// stay valid until buffer_updated() or connection_lost().
  /// Python: BufferedProtocol.get_buffer()
  virtual std::span<char> get_buffer(std::int64_t sizehint) = 0;
  /// `nbytes` bytes were written at the start of the last buffer.
  /// Python: BufferedProtocol.buffer_updated()
  virtual void buffer_updated(std::size_t nbytes) = 0;
  /// As Protocol::eof_received(). Python: BufferedProtocol.eof_received()
  virtual bool eof_received() { return false; }
};

/// The callbacks of a child process's transport: its pipes' data and end,
/// and the child's exit. Python: asyncio.SubprocessProtocol
///
/// Order (CPython's): connection_made; then pipe_data_received and
/// pipe_connection_lost for each pipe and process_exited, interleaved as
/// they happen (process_exited may come before the pipes close); then
/// connection_lost, once the child exited and every pipe closed.
class SubprocessProtocol : public BaseProtocol {
 public:
  /// The child started and its pipes are connected.
  /// Python: BaseProtocol.connection_made()
  virtual void connection_made(std::shared_ptr<SubprocessTransport> transport) { (void)transport; }  // NOLINT(performance-unnecessary-value-param)
  /// The child wrote `data` to its stdout (fd 1) or stderr (fd 2). `data`
  /// is valid only during the call. Python: SubprocessProtocol.pipe_data_received()
  virtual void pipe_data_received(int fd, std::string_view data) {
    (void)fd;
    (void)data;
  }
  /// Pipe `fd` (0, 1 or 2) closed; `exc` is the error, or null.
  /// Python: SubprocessProtocol.pipe_connection_lost()
  virtual void pipe_connection_lost(int fd, std::exception_ptr exc) {  // NOLINT(performance-unnecessary-value-param)
    (void)fd;
    (void)exc;
  }
  /// The child exited (get_returncode() tells how).
  /// Python: SubprocessProtocol.process_exited()
  virtual void process_exited() {}
};

/// The protocol of a datagram endpoint (UDP, AF_UNIX datagrams).
/// Python: asyncio.DatagramProtocol
class DatagramProtocol : public BaseProtocol {
 public:
  /// The endpoint is ready. Python: BaseProtocol.connection_made()
  virtual void connection_made(std::shared_ptr<DatagramTransport> transport) { (void)transport; }  // NOLINT(performance-unnecessary-value-param)
  /// A datagram (possibly empty) arrived from `addr`. `data` is valid only
  /// during the call. Python: DatagramProtocol.datagram_received()
  virtual void datagram_received(std::string_view data, const SockAddr& addr) {
    (void)data;
    (void)addr;
  }
  /// A send or receive failed with `exc` (a std::system_error: ICMP port
  /// unreachable on a connected endpoint is ECONNREFUSED); the endpoint
  /// stays open. Python: DatagramProtocol.error_received()
  virtual void error_received(std::exception_ptr exc) { (void)exc; }  // NOLINT(performance-unnecessary-value-param)
};

namespace detail {
/// Hands `data` to a BufferedProtocol through as many get_buffer() /
/// buffer_updated() rounds as its buffers need. RuntimeError("get_buffer()
/// returned an empty buffer"). Python: protocols._feed_data_to_buffered_proto
void feed_data_to_buffered_proto(BufferedProtocol& proto, std::string_view data);
}  // namespace detail

}  // namespace asyncio
