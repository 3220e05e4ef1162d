// Streams: high-level network connections read and written with co_await.
// Python: asyncio.streams (open_connection, start_server,
// open_unix_connection, start_unix_server, StreamReader, StreamWriter,
// StreamReaderProtocol).
//
//   auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", 8888);
//   writer.write("hello\n");
//   co_await writer.drain();
//   std::string line = co_await reader.readline();
//   writer.close();
//   co_await writer.wait_closed();
//
// StreamReader and StreamWriter are reference-counted handles: copies refer
// to the same stream (as Python references do), so they can be passed to
// coroutines by value. Bytes are std::string: reads return owned strings,
// writes take std::string_view (copied only if the kernel does not take
// them at once).
#pragma once

#include <any>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "asyncio/coroutines.hpp"
#include "asyncio/detail/gcc12.hpp"
#include "asyncio/detail/transport_caps.hpp"
#include "asyncio/events.hpp"
#include "asyncio/futures.hpp"
#include "asyncio/protocols.hpp"
#include "asyncio/server.hpp"
#include "asyncio/tasks.hpp"
#include "asyncio/transports.hpp"

namespace asyncio {

/// The default buffer limit of stream readers: 64 KiB.
/// Python: asyncio.streams._DEFAULT_LIMIT
inline constexpr std::int64_t kDefaultLimit = std::int64_t{64} * 1024;

namespace detail {
class StreamReaderState;
class StreamWriterState;
}  // namespace detail

class StreamReaderProtocol;
class StreamReader;

namespace detail {
/// reader.feed_data(std::string_view(chunk, n)), keeping the pooled read
/// chunk as the reader's buffer (then `chunk` is set to nullptr) where that
/// saves a copy (library use: transports' read chunks, ChunkAdoptingProtocol).
void stream_reader_feed_chunk(const StreamReader& reader, char*& chunk, std::size_t n);
}  // namespace detail

/// The reading end of a stream. Python: asyncio.StreamReader
class StreamReader {
 public:
  /// A reader buffering at most about `limit` bytes for a line (and twice
  /// that before pausing its transport). ValueError if `limit` <= 0.
  /// Python: asyncio.StreamReader(limit=_DEFAULT_LIMIT)
  explicit StreamReader(std::int64_t limit = kDefaultLimit);

  /// Reads up to `n` bytes as soon as any are available; n < 0 reads until
  /// EOF; "" at EOF. Raises the stream's exception if it has one.
  /// Python: StreamReader.read(n=-1)
  [[nodiscard]] Coro<std::string> read(std::int64_t n = -1) const;
  /// Reads one line, "\n" included; at EOF the partial line (maybe "").
  /// ValueError if the line exceeds the limit (the data up to the
  /// separator, or the buffer, is dropped). Python: StreamReader.readline()
  [[nodiscard]] Coro<std::string> readline() const;
  /// Reads up to and including `separator`. LimitOverrunError (data kept)
  /// if the limit is exceeded; IncompleteReadError (partial data, expected
  /// std::nullopt) at EOF; ValueError for an empty separator.
  /// Python: StreamReader.readuntil(separator=b'\n')
  [[nodiscard]] Coro<std::string> readuntil(std::string separator = "\n") const;
  /// Reads up to the first of several separators (the shortest match wins
  /// where several end at once). ValueError if `separators` is empty.
  /// Python: StreamReader.readuntil((sep1, sep2, ...)) (3.13)
  [[nodiscard]] Coro<std::string> readuntil(std::vector<std::string> separators) const;
  /// readuntil(std::vector{first, second, more...}) without a braced list
  /// (GCC 12 rejects initializer lists inside co_await expressions):
  /// `co_await reader.readuntil("\r\n", "\n")`.
  /// Python: StreamReader.readuntil((sep1, sep2, ...)) (3.13)
  template <class... More>
    requires(std::is_convertible_v<const More&, std::string_view> && ...)
  [[nodiscard]] Coro<std::string> readuntil(std::string_view first, std::string_view second,
                                            const More&... more) const {
    std::vector<std::string> separators;
    separators.reserve(2 + sizeof...(More));
    separators.emplace_back(first);
    separators.emplace_back(second);
    (separators.emplace_back(std::string_view(more)), ...);
    return readuntil(std::move(separators));
  }
  /// Reads exactly `n` bytes. IncompleteReadError (with what was read) if
  /// EOF comes first; ValueError if n < 0. Python: StreamReader.readexactly()
  [[nodiscard]] Coro<std::string> readexactly(std::int64_t n) const;

  /// True if EOF was fed and the buffer is empty. Python: StreamReader.at_eof()
  bool at_eof() const;
  /// Appends bytes (what the protocol does). RuntimeError after feed_eof().
  /// Python: StreamReader.feed_data()
  void feed_data(std::string_view data) const;
  /// Marks the end of the stream. Python: StreamReader.feed_eof()
  void feed_eof() const;
  /// The exception reads raise, or null. Python: StreamReader.exception()
  std::exception_ptr exception() const;
  /// Makes reads raise `exc` (waking a waiting reader).
  /// Python: StreamReader.set_exception()
  void set_exception(std::exception_ptr exc) const;
  /// Sets the transport paused and resumed for flow control. RuntimeError
  /// if already set. Python: StreamReader.set_transport()
  void set_transport(std::shared_ptr<Transport> transport) const;
  /// The limit given at construction.
  std::size_t limit() const;
  /// Bytes buffered and not yet read (Python: len(reader._buffer)).
  std::size_t buffered() const;
  /// Python: repr(reader): "<StreamReader 5 bytes eof>"
  std::string repr() const;

  friend bool operator==(const StreamReader& a, const StreamReader& b) noexcept { return a.s_ == b.s_; }

 private:
  friend class StreamReaderProtocol;
  friend class StreamWriter;
  friend void detail::stream_reader_feed_chunk(const StreamReader& reader, char*& chunk, std::size_t n);
  std::shared_ptr<detail::StreamReaderState> s_;
};

/// Options of StreamWriter::start_tls(). Python: its keyword arguments
struct StreamStartTLSOptions {
  /// The name to send (SNI) and to check the server's certificate against.
  std::optional<std::string> server_hostname{};
  /// Seconds to wait for the handshake (default 60).
  std::optional<double> ssl_handshake_timeout{};
  /// Seconds to wait for the peer's close_notify (default 30).
  std::optional<double> ssl_shutdown_timeout{};
};

/// The writing end of a stream: a transport with drain() for flow
/// control. Python: asyncio.StreamWriter
/// Dropping the last copy of a writer whose transport is still open closes
/// the transport (Python's StreamWriter.__del__ does, with a ResourceWarning).
class StreamWriter {
 public:
  /// Wraps `transport` (library use: streams make writers).
  StreamWriter(std::shared_ptr<Transport> transport, const std::shared_ptr<StreamReaderProtocol>& protocol,
               std::optional<StreamReader> reader, EventLoop& loop);

  /// Python: StreamWriter.transport
  const std::shared_ptr<Transport>& transport() const;
  /// Sends `data` (see Transport::write()). Python: StreamWriter.write()
  void write(std::string_view data) const;
  /// Sends `data`, handing the string itself to the transport: a pipe keeps
  /// what the kernel does not take at once without copying it. Python: StreamWriter.write()
  void write(std::string&& data) const;
  /// As write(std::string_view) (a string literal would otherwise be ambiguous).
  void write(const char* data) const { write(std::string_view(data)); }
  /// Python: StreamWriter.writelines()
  void writelines(std::span<const std::string_view> data) const;
  /// Python: StreamWriter.writelines()
  void writelines(std::initializer_list<std::string_view> data) const;
  /// Python: StreamWriter.write_eof()
  void write_eof() const;
  /// Python: StreamWriter.can_write_eof()
  bool can_write_eof() const;
  /// Closes the transport. Python: StreamWriter.close()
  void close() const;
  /// Python: StreamWriter.is_closing()
  bool is_closing() const;
  /// Waits until the connection is closed; raises the error it was lost
  /// with, if any. Python: StreamWriter.wait_closed()
  [[nodiscard]] Coro<> wait_closed() const;
  /// Waits until the write buffer is drained to its low-water mark (returns
  /// at once if writing is not paused). Raises the reader's exception, or
  /// ConnectionResetError ("Connection lost") after the connection is lost.
  /// Python: StreamWriter.drain()
  [[nodiscard]] Coro<> drain() const;
  /// Python: StreamWriter.get_extra_info()
  std::any get_extra_info(std::string_view name, std::any default_value = {}) const;
  /// Upgrades the connection to TLS in place (STARTTLS): drains, then
  /// runs the handshake (as the server if this writer came from
  /// start_server()); reads and writes go through TLS afterwards. Raises
  /// what EventLoop::start_tls() raises. Python: StreamWriter.start_tls() (3.11)
  [[nodiscard]] Coro<> start_tls(std::shared_ptr<SSLContext> sslcontext, StreamStartTLSOptions options = {}) const;
  /// Python: repr(writer)
  std::string repr() const;

 private:
  std::shared_ptr<detail::StreamWriterState> s_;
};

/// What start_server() calls for each connection: a coroutine function
/// (run as a task) or a plain function. Python: client_connected_cb
struct ClientConnectedCallback {
  std::function<Coro<>(StreamReader, StreamWriter)> coroutine{};
  std::function<void(StreamReader, StreamWriter)> function{};

  ClientConnectedCallback() = default;
  template <class F>
    requires std::is_invocable_v<F&, StreamReader, StreamWriter>
  ClientConnectedCallback(F f) {  // NOLINT(google-explicit-constructor)
    if constexpr (std::is_same_v<std::invoke_result_t<F&, StreamReader, StreamWriter>, Coro<>>)
      coroutine = std::move(f);
    else
      function = std::move(f);
  }
  explicit operator bool() const noexcept { return coroutine || function; }
};

/// The protocol between a transport and a StreamReader/StreamWriter pair.
/// Python: asyncio.StreamReaderProtocol (with FlowControlMixin)
class StreamReaderProtocol : public Protocol,
                             public detail::ChunkAdoptingProtocol,
                             public std::enable_shared_from_this<StreamReaderProtocol> {
 public:
  /// Feeds `reader`; with `client_connected_cb` (a server's connection),
  /// calls it with the reader and a new writer once connected.
  explicit StreamReaderProtocol(std::optional<StreamReader> reader,
                                ClientConnectedCallback client_connected_cb = {}, EventLoop* loop = nullptr);
  /// The same, sharing one callback between connections (library use: the
  /// callback stays alive until every task it started is done).
  StreamReaderProtocol(std::optional<StreamReader> reader,
                       std::shared_ptr<const ClientConnectedCallback> client_connected_cb, EventLoop* loop);
  ~StreamReaderProtocol() override;

  void connection_made(std::shared_ptr<Transport> transport) override;
  void connection_lost(std::exception_ptr exc) override;
  void data_received(std::string_view data) override;
  bool eof_received() override;
  void pause_writing() override;
  void resume_writing() override;

  // ---- Library internals (Python: FlowControlMixin, _get_close_waiter) ----
  /// data_received() for the socket transport: a chunk holding more than
  /// 4 KiB becomes a piece of the reader's buffer instead of being copied.
  void data_received_chunk(char*& chunk, std::size_t n) override;
  /// True unless this is a subclass (which may override data_received()).
  bool adopts_chunks() const noexcept override;
  /// Waits while writing is paused. Python: FlowControlMixin._drain_helper
  [[nodiscard]] Coro<> drain_helper();
  /// True if drain_helper() would return at once.
  bool drain_ready() const noexcept { return !paused_ && !connection_lost_; }
  /// The future connection_lost() completes. Python: _get_close_waiter()
  Future<void> closed() const { return closed_; }
  /// The transport is now `transport` (after start_tls()).
  /// Python: StreamReaderProtocol._replace_transport
  void replace_transport(std::shared_ptr<Transport> transport);
  /// True for a server's connection. Python: _client_connected_cb is not None
  bool server_side() const noexcept { return client_connected_cb_ != nullptr; }
  EventLoop& loop() const noexcept { return *loop_; }

 private:
  static Coro<> do_drain_helper(std::shared_ptr<StreamReaderProtocol> self);

  EventLoop* loop_;
  std::optional<StreamReader> reader_;
  std::shared_ptr<const ClientConnectedCallback> client_connected_cb_;
  std::shared_ptr<Transport> transport_;
  std::optional<StreamWriter> writer_;  // the server side's writer, until connection_lost
  std::optional<AnyTask> task_;
  Future<void> closed_;
  bool over_ssl_ = false;  // Python: _over_ssl
  // FlowControlMixin
  bool paused_ = false;
  bool connection_lost_ = false;
  std::vector<Future<void>> drain_waiters_;
};

/// Options of open_connection(): `limit`, then create_connection()'s.
/// Python: open_connection()'s keyword arguments
struct OpenConnectionOptions {
  std::shared_ptr<SSLContext> ssl{};
  std::int64_t limit = kDefaultLimit;
  int family = 0;
  int proto = 0;
  int flags = 0;
  std::optional<int> sock{};
  std::optional<std::pair<std::string, int>> local_addr{};
  std::optional<std::string> server_hostname{};
  std::optional<double> ssl_handshake_timeout{};
  std::optional<double> ssl_shutdown_timeout{};
  std::optional<double> happy_eyeballs_delay{};
  std::optional<int> interleave{};
  bool all_errors = false;
};

/// Options of start_server(): `limit`, then create_server()'s.
/// Python: start_server()'s keyword arguments
struct StartServerOptions {
  std::int64_t limit = kDefaultLimit;
  int family = 0;
  int flags = 0;
  std::optional<int> sock{};
  int backlog = 100;
  std::shared_ptr<SSLContext> ssl{};
  std::optional<bool> reuse_address{};
  std::optional<bool> reuse_port{};
  std::optional<bool> keep_alive{};
  std::optional<double> ssl_handshake_timeout{};
  std::optional<double> ssl_shutdown_timeout{};
  bool start_serving = true;
};

/// Options of open_unix_connection(). Python: its keyword arguments
struct OpenUnixConnectionOptions {
  std::shared_ptr<SSLContext> ssl{};
  std::int64_t limit = kDefaultLimit;
  std::optional<int> sock{};
  std::optional<std::string> server_hostname{};
  std::optional<double> ssl_handshake_timeout{};
  std::optional<double> ssl_shutdown_timeout{};
};

/// Options of start_unix_server(). Python: its keyword arguments
struct StartUnixServerOptions {
  std::int64_t limit = kDefaultLimit;
  std::optional<int> sock{};
  int backlog = 100;
  std::shared_ptr<SSLContext> ssl{};
  std::optional<double> ssl_handshake_timeout{};
  std::optional<double> ssl_shutdown_timeout{};
  bool start_serving = true;
  bool cleanup_socket = true;
};

/// Connects to `host`:`port` and returns a (reader, writer) pair. Raises
/// what create_connection() raises. Python: asyncio.open_connection()
[[nodiscard]] Coro<std::pair<StreamReader, StreamWriter>> open_connection(std::optional<std::string> host,
                                                                          std::optional<int> port,
                                                                          OpenConnectionOptions options = {});

/// Starts a server calling `client_connected_cb(reader, writer)` for each
/// connection: a coroutine function runs as a task (an exception it raises
/// is reported to the loop's exception handler and the connection closed);
/// a plain function is called directly. Python: asyncio.start_server()
[[nodiscard]] Coro<std::shared_ptr<Server>> start_server(ClientConnectedCallback client_connected_cb,
                                                         std::optional<std::string> host, std::optional<int> port,
                                                         StartServerOptions options = {});

#if ASYNCIO_GCC12_COROUTINE_BUGS
// g++ < 13: a temporary lambda with non-trivial captures warns (detail/gcc12.hpp).
template <class F>
  requires detail::gcc12_unsafe_temporary<F>
[[deprecated(ASYNCIO_GCC12_TEMPORARY_WARNING)]] [[nodiscard]] Coro<std::shared_ptr<Server>> start_server(
    F&& client_connected_cb, std::optional<std::string> host, std::optional<int> port,
    StartServerOptions options = {}) {
  return start_server(ClientConnectedCallback(std::forward<F>(client_connected_cb)), std::move(host), port,
                      std::move(options));
}
#endif

/// Connects to the AF_UNIX socket `path`. Python: asyncio.open_unix_connection()
/// Platforms: Unix
[[nodiscard]] Coro<std::pair<StreamReader, StreamWriter>> open_unix_connection(
    std::optional<std::string> path, OpenUnixConnectionOptions options = {});

/// Starts an AF_UNIX server at `path`. Python: asyncio.start_unix_server()
/// Platforms: Unix
[[nodiscard]] Coro<std::shared_ptr<Server>> start_unix_server(ClientConnectedCallback client_connected_cb,
                                                              std::optional<std::string> path,
                                                              StartUnixServerOptions options = {});
#if ASYNCIO_GCC12_COROUTINE_BUGS
template <class F>
  requires detail::gcc12_unsafe_temporary<F>
[[deprecated(ASYNCIO_GCC12_TEMPORARY_WARNING)]] [[nodiscard]] Coro<std::shared_ptr<Server>> start_unix_server(
    F&& client_connected_cb, std::optional<std::string> path, StartUnixServerOptions options = {}) {
  return start_unix_server(ClientConnectedCallback(std::forward<F>(client_connected_cb)), std::move(path),
                           std::move(options));
}
#endif

}  // namespace asyncio
