// Servers: what create_server(), create_unix_server(), start_server() and
// start_unix_server() return. Python: asyncio.Server (base_events.Server)
// and asyncio.AbstractServer (events.AbstractServer).
//
//   auto server = co_await loop.create_server(factory, "127.0.0.1", 8888);
//   int port = server->sockets()[0].getsockname().port;
//   co_await server->serve_forever();
//
// A server keeps itself alive while it listens (as the loop's reader
// callbacks keep a Python server alive): dropping the last shared_ptr does
// not stop it; close() does. Each connected client transport also keeps its
// server alive until the connection is lost.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "asyncio/backend.hpp"
#include "asyncio/coroutines.hpp"
#include "asyncio/events.hpp"
#include "asyncio/futures.hpp"
#include "asyncio/handles.hpp"
#include "asyncio/sockets.hpp"

namespace asyncio {

namespace detail {
class SocketTransport;
}

/// The interface of servers. Python: asyncio.AbstractServer
class AbstractServer {
 public:
  virtual ~AbstractServer() = default;
  /// Stops listening: the listening sockets are closed and a pending
  /// serve_forever() is cancelled; connections stay open. Idempotent.
  /// Python: Server.close()
  virtual void close() = 0;
  /// Closes every client transport. Python: Server.close_clients() (3.13)
  virtual void close_clients() = 0;
  /// Aborts every client transport. Python: Server.abort_clients() (3.13)
  virtual void abort_clients() = 0;
  /// Python: Server.get_loop()
  virtual EventLoop& get_loop() const = 0;
  /// True while accepting connections. Python: Server.is_serving()
  virtual bool is_serving() const = 0;
  /// Starts accepting connections (idempotent), then yields one iteration.
  /// Python: Server.start_serving()
  [[nodiscard]] virtual Coro<> start_serving() = 0;
  /// Accepts connections until cancelled; cancellation closes the server
  /// and waits for it. RuntimeError if already awaited or closed.
  /// Python: Server.serve_forever()
  [[nodiscard]] virtual Coro<> serve_forever() = 0;
  /// Waits until the server is closed and every connection is gone.
  /// Python: Server.wait_closed()
  [[nodiscard]] virtual Coro<> wait_closed() = 0;
};

/// The TLS settings of a server's connections (library use).
struct ServerTLS {
  /// The server's context; null for plain TCP.
  std::shared_ptr<SSLContext> context{};
  std::optional<double> handshake_timeout{};
  std::optional<double> shutdown_timeout{};
};

/// A server listening on one or more sockets. Made by the loop; do not
/// construct it. Python: asyncio.Server
/// Divergence: Python's `async with server:` has no C++ equivalent; call
/// close() and co_await wait_closed().
class Server final : public AbstractServer, public std::enable_shared_from_this<Server> {
  struct Private {};

 public:
  /// Library use: the loop makes servers (create_server() and friends).
  /// The backlog is the sockets' own (ListenOptions, given when they were
  /// made): they listen with it when serving starts.
  static std::shared_ptr<Server> create(EventLoop& loop, std::vector<ListeningSocketPtr> sockets,
                                        ProtocolFactory protocol_factory, ServerTLS tls = {});
  Server(Private, EventLoop& loop, ProtocolFactory protocol_factory);
  ~Server() override;

  void close() override;
  void close_clients() override;
  void abort_clients() override;
  EventLoop& get_loop() const override { return *loop_; }
  bool is_serving() const override { return serving_; }
  Coro<> start_serving() override;
  Coro<> serve_forever() override;
  Coro<> wait_closed() override;

  /// The listening sockets (empty once closed). Python: Server.sockets
  std::vector<TransportSocket> sockets() const;
  /// Python: repr(server): "<Server sockets=(...)>"
  std::string repr() const;

  // ---- Library internals ----
  /// Starts accepting on every socket (Python: Server._start_serving).
  void start_serving_now();
  /// A client transport was created / lost its connection.
  void attach(detail::SocketTransport* transport);
  void detach(detail::SocketTransport* transport) noexcept;

 private:
  class Acceptor;
  struct Listener;

  void accept_connection(StreamSocketPtr connection);
  void accept_tls_connection(StreamSocketPtr connection, std::shared_ptr<BaseProtocol> protocol);
  void accept_failed(std::size_t index, std::error_code error);
  void restart_accepting(std::size_t index);
  void listener_detached(std::size_t index) noexcept;
  void wakeup();
  static Coro<> do_start_serving(std::shared_ptr<Server> self);
  static Coro<> do_wait_closed(std::shared_ptr<Server> self);
  static Coro<> do_serve_forever(std::shared_ptr<Server> self);

  EventLoop* loop_;
  ProtocolFactory protocol_factory_;
  ServerTLS tls_;
  std::vector<Listener> listeners_;
  bool closed_ = false;  // Python: self._sockets is None
  bool serving_ = false;
  std::vector<detail::SocketTransport*> clients_;
  // Python: self._waiters (None once woken: waiters_done_).
  std::vector<Future<void>> waiters_;
  bool waiters_done_ = false;
  std::optional<Future<void>> serving_forever_fut_;
  std::shared_ptr<Server> self_;  // while listening (see the header comment)
};

}  // namespace asyncio
