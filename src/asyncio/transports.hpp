// Transports: the loop's connections, as protocols see them. Python:
// asyncio.transports (BaseTransport, ReadTransport, WriteTransport,
// Transport).
//
// The loop creates transports (create_connection(), create_server(), ...)
// and hands each to its protocol's connection_made() as a
// std::shared_ptr<Transport>. A transport keeps itself and its protocol
// alive while the connection is open; it lets go of the protocol once
// connection_lost() has returned, and is freed when the last shared_ptr to
// it goes. Not thread-safe: use a transport from its loop's thread only.
//
// Writing: write() hands the bytes to the socket at once and buffers only
// what the kernel does not take, so a write the kernel completes costs no
// allocation. Flow control is CPython's: the protocol's pause_writing() is
// called when the buffer grows strictly above the high-water mark (64 KiB
// by default) and resume_writing() once it drains to the low-water mark
// (high / 4 by default).
#pragma once

#include <any>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "asyncio/coroutines.hpp"
#include "asyncio/events.hpp"
#include "asyncio/protocols.hpp"
#include "asyncio/sockets.hpp"

namespace asyncio {

/// The base of every transport. Python: asyncio.BaseTransport
class BaseTransport {
 public:
  BaseTransport() = default;
  BaseTransport(const BaseTransport&) = delete;
  BaseTransport& operator=(const BaseTransport&) = delete;
  virtual ~BaseTransport() = default;

  /// Closes the transport: buffered data is still sent, then the
  /// protocol's connection_lost() is called with no error. Idempotent.
  /// Python: BaseTransport.close()
  virtual void close() = 0;
  /// True once the transport is closing or closed.
  /// Python: BaseTransport.is_closing()
  virtual bool is_closing() const = 0;
  /// Optional information about the transport: "peername" and "sockname"
  /// (SockAddr), "socket" (TransportSocket); `default_value` (empty) for
  /// anything else. Python: BaseTransport.get_extra_info()
  virtual std::any get_extra_info(std::string_view name, std::any default_value = {}) const;
  /// Replaces the protocol. Python: BaseTransport.set_protocol()
  virtual void set_protocol(std::shared_ptr<BaseProtocol> protocol) = 0;
  /// Python: BaseTransport.get_protocol()
  virtual std::shared_ptr<BaseProtocol> get_protocol() const = 0;
  /// Python: repr(transport)
  virtual std::string repr() const;

 protected:
  /// What get_extra_info() reports.
  std::map<std::string, std::any, std::less<>> extra_;
};

/// A transport that receives. Python: asyncio.ReadTransport
class ReadTransport : public virtual BaseTransport {
 public:
  /// True unless reading is paused or the transport is closing.
  /// Python: ReadTransport.is_reading()
  virtual bool is_reading() const = 0;
  /// Stops calling data_received() until resume_reading(). Idempotent.
  /// Python: ReadTransport.pause_reading()
  virtual void pause_reading() = 0;
  /// Resumes reading. Idempotent. Python: ReadTransport.resume_reading()
  virtual void resume_reading() = 0;
};

/// A transport that sends. Python: asyncio.WriteTransport
class WriteTransport : public virtual BaseTransport {
 public:
  /// Sends `data` without blocking: what the kernel does not take at once
  /// is buffered (copied) and sent in the background. RuntimeError after
  /// write_eof(). After the connection is lost the data is dropped (with a
  /// warning from the fifth write on). Python: WriteTransport.write()
  virtual void write(std::string_view data) = 0;
  /// Sends the buffers in order, as one gathered write when possible.
  /// Python: WriteTransport.writelines()
  virtual void writelines(std::span<const std::string_view> list_of_data) = 0;
  /// Python: WriteTransport.writelines()
  void writelines(std::initializer_list<std::string_view> list_of_data) {
    writelines(std::span<const std::string_view>(list_of_data.begin(), list_of_data.size()));
  }
  /// Shuts down the sending side once the buffer is sent; reading goes on.
  /// Python: WriteTransport.write_eof()
  virtual void write_eof() = 0;
  /// True if write_eof() is supported. Python: WriteTransport.can_write_eof()
  virtual bool can_write_eof() const = 0;
  /// Closes at once: the buffer is dropped, connection_lost() follows.
  /// Python: WriteTransport.abort()
  virtual void abort() = 0;
  /// Bytes buffered and not yet sent. Python: WriteTransport.get_write_buffer_size()
  virtual std::size_t get_write_buffer_size() const = 0;
  /// The (low, high) water marks. Python: WriteTransport.get_write_buffer_limits()
  virtual std::pair<std::size_t, std::size_t> get_write_buffer_limits() const = 0;
  /// Sets the water marks: high defaults to 64 KiB (4 * low if only low is
  /// given), low to high / 4. ValueError unless high >= low >= 0. Pauses
  /// the protocol at once if the buffer is above the new high mark.
  /// Python: WriteTransport.set_write_buffer_limits()
  virtual void set_write_buffer_limits(std::optional<std::int64_t> high = std::nullopt,
                                       std::optional<std::int64_t> low = std::nullopt) = 0;
};

/// A bidirectional stream transport (TCP, Unix sockets).
/// Python: asyncio.Transport
class Transport : public ReadTransport, public WriteTransport {
 public:
  using WriteTransport::writelines;
};

/// The transport of a child process. Python: asyncio.SubprocessTransport
class SubprocessTransport : public virtual BaseTransport {
 public:
  /// The child's process id (the shell's for subprocess_shell()).
  /// Python: SubprocessTransport.get_pid()
  virtual int get_pid() const = 0;
  /// std::nullopt while the child runs; its exit status, or -N if signal N
  /// killed it. Python: SubprocessTransport.get_returncode()
  virtual std::optional<int> get_returncode() const = 0;
  /// The transport of pipe `fd`: a WriteTransport for 0, a ReadTransport for
  /// 1 and 2 (both are Transports); nullptr if that stream is not a pipe.
  /// Python: SubprocessTransport.get_pipe_transport()
  virtual std::shared_ptr<Transport> get_pipe_transport(int fd) const = 0;
  /// Sends signal `sig` to the child (nothing once it has exited).
  /// ProcessLookupError (std::system_error with ESRCH) once the transport
  /// lost its connection. Python: SubprocessTransport.send_signal()
  virtual void send_signal(int sig) = 0;
  /// send_signal(SIGTERM). Python: SubprocessTransport.terminate()
  virtual void terminate() = 0;
  /// send_signal(SIGKILL). Python: SubprocessTransport.kill()
  virtual void kill() = 0;
  /// Closes the pipes and kills the child if it still runs; the child's exit
  /// is still reported. Python: SubprocessTransport.close()
  void close() override = 0;
};

/// The transport of a datagram endpoint. Flow control is CPython's: each
/// datagram the kernel does not take at once is buffered (counted with 8
/// bytes of header) and the protocol paused above the high-water mark.
/// Python: asyncio.DatagramTransport (_SelectorDatagramTransport)
class DatagramTransport : public virtual BaseTransport {
 public:
  /// Sends `data` as one datagram (empty ones too) to `addr`, or, for an
  /// endpoint made with remote_addr, to its peer (addr must then be
  /// std::nullopt or that address: ValueError "Invalid address: must be
  /// None or ..."). Errors go to the protocol's error_received(), not to
  /// the caller. Python: DatagramTransport.sendto()
  virtual void sendto(std::string_view data, std::optional<SockAddr> addr = std::nullopt) = 0;
  /// Closes at once, dropping buffered datagrams; connection_lost(nullptr)
  /// follows. Python: DatagramTransport.abort()
  virtual void abort() = 0;
  /// Bytes buffered (with 8 bytes per datagram). Python: get_write_buffer_size()
  virtual std::size_t get_write_buffer_size() const = 0;
  /// Python: get_write_buffer_limits() → (low, high)
  virtual std::pair<std::size_t, std::size_t> get_write_buffer_limits() const = 0;
  /// As WriteTransport::set_write_buffer_limits(). Python: set_write_buffer_limits()
  virtual void set_write_buffer_limits(std::optional<std::int64_t> high = std::nullopt,
                                       std::optional<std::int64_t> low = std::nullopt) = 0;
};

namespace detail {

/// Python: transports._FlowControlMixin._set_write_buffer_limits: the
/// (high, low) pair, or ValueError.
std::pair<std::size_t, std::size_t> write_buffer_limits(std::optional<std::int64_t> high,
                                                        std::optional<std::int64_t> low);

/// Awaits an erased connection coroutine and casts its protocol back.
template <class Ptr>
Coro<std::pair<std::shared_ptr<Transport>, Ptr>> typed_connection(
    Coro<std::pair<std::shared_ptr<Transport>, std::shared_ptr<BaseProtocol>>> erased) {
  auto result = co_await std::move(erased);
  co_return std::pair<std::shared_ptr<Transport>, Ptr>(
      std::move(result.first), std::static_pointer_cast<typename Ptr::element_type>(std::move(result.second)));
}

/// Awaits an erased datagram endpoint coroutine and casts its protocol back.
template <class Ptr>
Coro<std::pair<std::shared_ptr<DatagramTransport>, Ptr>> typed_datagram_endpoint(
    Coro<std::pair<std::shared_ptr<DatagramTransport>, std::shared_ptr<DatagramProtocol>>> erased) {
  auto result = co_await std::move(erased);
  co_return std::pair<std::shared_ptr<DatagramTransport>, Ptr>(
      std::move(result.first), std::static_pointer_cast<typename Ptr::element_type>(std::move(result.second)));
}

template <class F>
void check_protocol_factory() {
  using Ptr = protocol_ptr<F>;
  static_assert(requires { typename Ptr::element_type; } &&
                    std::is_same_v<Ptr, std::shared_ptr<typename Ptr::element_type>>,
                "a protocol factory returns std::shared_ptr<P>");
  // A Protocol or a BufferedProtocol; an erased factory (BaseProtocol) is
  // checked when the connection is made (TypeError).
  static_assert(std::is_base_of_v<BaseProtocol, typename Ptr::element_type>,
                "a stream protocol factory makes a Protocol or a BufferedProtocol");
}

}  // namespace detail

namespace detail {

/// Awaits an erased pipe or subprocess coroutine and casts its protocol back.
template <class Ptr, class T>
Coro<std::pair<std::shared_ptr<T>, Ptr>> typed_pair(Coro<std::pair<std::shared_ptr<T>, std::shared_ptr<BaseProtocol>>> erased) {
  auto result = co_await std::move(erased);
  co_return std::pair<std::shared_ptr<T>, Ptr>(
      std::move(result.first), std::static_pointer_cast<typename Ptr::element_type>(std::move(result.second)));
}

template <class F, class Base>
void check_factory_of() {
  using Ptr = protocol_ptr<F>;
  static_assert(requires { typename Ptr::element_type; } &&
                    std::is_same_v<Ptr, std::shared_ptr<typename Ptr::element_type>>,
                "a protocol factory returns std::shared_ptr<P>");
  static_assert(std::is_base_of_v<Base, typename Ptr::element_type>, "the factory makes the wrong kind of protocol");
}

}  // namespace detail

// ---- EventLoop's typed pipe and subprocess methods (declared in events.hpp) ----

template <class F>
Coro<std::pair<std::shared_ptr<ReadTransport>, detail::protocol_ptr<F>>> EventLoop::connect_read_pipe(
    F&& protocol_factory, int pipe) {
  detail::check_factory_of<F, Protocol>();
  check_subprocesses("connect_read_pipe");
  return detail::typed_pair<detail::protocol_ptr<F>>(
      connect_read_pipe_erased(ProtocolFactory(std::forward<F>(protocol_factory)), pipe));
}

template <class F>
Coro<std::pair<std::shared_ptr<WriteTransport>, detail::protocol_ptr<F>>> EventLoop::connect_write_pipe(
    F&& protocol_factory, int pipe) {
  detail::check_factory_of<F, BaseProtocol>();
  check_subprocesses("connect_write_pipe");
  return detail::typed_pair<detail::protocol_ptr<F>>(
      connect_write_pipe_erased(ProtocolFactory(std::forward<F>(protocol_factory)), pipe));
}

template <class F>
Coro<std::pair<std::shared_ptr<SubprocessTransport>, detail::protocol_ptr<F>>> EventLoop::subprocess_exec(
    F&& protocol_factory, std::vector<std::string> args, SubprocessOptions options) {
  detail::check_factory_of<F, SubprocessProtocol>();
  check_subprocesses("subprocess_exec");
  return detail::typed_pair<detail::protocol_ptr<F>>(subprocess_exec_erased(
      ProtocolFactory(std::forward<F>(protocol_factory)), std::move(args), std::move(options), false));
}

template <class F>
Coro<std::pair<std::shared_ptr<SubprocessTransport>, detail::protocol_ptr<F>>> EventLoop::subprocess_shell(
    F&& protocol_factory, std::string cmd, SubprocessOptions options) {
  detail::check_factory_of<F, SubprocessProtocol>();
  check_subprocesses("subprocess_shell");
  std::vector<std::string> args;
  args.push_back(std::move(cmd));
  return detail::typed_pair<detail::protocol_ptr<F>>(subprocess_exec_erased(
      ProtocolFactory(std::forward<F>(protocol_factory)), std::move(args), std::move(options), true));
}

// ---- EventLoop's typed connection methods (declared in events.hpp) ----

template <class F>
Coro<std::pair<std::shared_ptr<Transport>, detail::protocol_ptr<F>>> EventLoop::create_connection(
    F&& protocol_factory, std::optional<std::string> host, std::optional<int> port, ConnectionOptions options) {
  detail::check_protocol_factory<F>();
  check_network("create_connection");
  return detail::typed_connection<detail::protocol_ptr<F>>(create_connection_erased(
      ProtocolFactory(std::forward<F>(protocol_factory)), std::move(host), port, std::move(options)));
}

template <class F>
Coro<std::pair<std::shared_ptr<Transport>, detail::protocol_ptr<F>>> EventLoop::create_unix_connection(
    F&& protocol_factory, std::optional<std::string> path, UnixConnectionOptions options) {
  detail::check_protocol_factory<F>();
  check_network("create_unix_connection");
  return detail::typed_connection<detail::protocol_ptr<F>>(create_unix_connection_erased(
      ProtocolFactory(std::forward<F>(protocol_factory)), std::move(path), std::move(options)));
}

template <class F>
Coro<std::pair<std::shared_ptr<Transport>, detail::protocol_ptr<F>>> EventLoop::connect_accepted_socket(
    F&& protocol_factory, int sock, AcceptedSocketOptions options) {
  detail::check_protocol_factory<F>();
  check_network("connect_accepted_socket");
  return detail::typed_connection<detail::protocol_ptr<F>>(
      connect_accepted_socket_erased(ProtocolFactory(std::forward<F>(protocol_factory)), sock, std::move(options)));
}

template <class F>
Coro<std::pair<std::shared_ptr<DatagramTransport>, detail::protocol_ptr<F>>> EventLoop::create_datagram_endpoint(
    F&& protocol_factory, DatagramEndpointOptions options) {
  using Ptr = detail::protocol_ptr<F>;
  static_assert(std::is_base_of_v<DatagramProtocol, typename Ptr::element_type>,
                "a datagram protocol factory makes a DatagramProtocol");
  check_network("create_datagram_endpoint");
  return detail::typed_datagram_endpoint<Ptr>(
      create_datagram_endpoint_erased(DatagramProtocolFactory(std::forward<F>(protocol_factory)), std::move(options)));
}

}  // namespace asyncio
