#include "asyncio/server.hpp"

#include <algorithm>
#include <cerrno>

#include "asyncio/detail/socket_transport.hpp"
#include "asyncio/detail/sslproto.hpp"
#include "asyncio/exception_context.hpp"
#include "asyncio/log.hpp"
#include "asyncio/tasks.hpp"

namespace asyncio {

namespace {

// Python: constants.ACCEPT_RETRY_DELAY (seconds).
constexpr double kAcceptRetryDelay = 1.0;

bool is_out_of_resources(std::error_code e) {
  // Python: the errnos _accept_connection pauses accepting for.
  return e == std::errc::too_many_files_open || e == std::errc::too_many_files_open_in_system ||
         e == std::errc::no_buffer_space || e == std::errc::not_enough_memory;
}

}  // namespace

// Receives one listening socket's events (inside poll) and turns them into
// loop callbacks, as CPython's reader callback _accept_connection runs in
// the loop's callback phase.
class Server::Acceptor final : public ListeningSocketEvents {
 public:
  Acceptor(Server* server, std::size_t index) : server_(server), index_(index) {}

  void on_accept(StreamSocketPtr connection) noexcept override {
    // Python: _accept_connection creates a task for _accept_connection2,
    // so the connection is set up on a later iteration.
    try {
      server_->loop_->call_soon([server = server_->shared_from_this(), c = std::move(connection)]() mutable {
        server->accept_connection(std::move(c));
      });
    } catch (...) {  // NOLINT(bugprone-empty-catch): see the comment
      // The loop is closed (or out of memory): the connection is dropped.
    }
  }
  void on_accept_error(std::error_code error) noexcept override {
    try {
      server_->loop_->call_soon(
          [server = server_->shared_from_this(), i = index_, error] { server->accept_failed(i, error); });
    } catch (...) {  // NOLINT(bugprone-empty-catch): see the comment
      // The loop is closed (or out of memory): no accepting to pause.
    }
  }
  void on_detached() noexcept override { server_->listener_detached(index_); }

 private:
  Server* server_;
  std::size_t index_;
};

struct Server::Listener {
  ListeningSocketPtr socket;
  std::unique_ptr<Acceptor> acceptor;
  TimerHandle retry;
};

std::shared_ptr<Server> Server::create(EventLoop& loop, std::vector<ListeningSocketPtr> sockets,
                                       ProtocolFactory protocol_factory, ServerTLS tls) {
  auto server = std::make_shared<Server>(Private{}, loop, std::move(protocol_factory));
  server->tls_ = std::move(tls);
  server->listeners_.reserve(sockets.size());
  for (std::size_t i = 0; i < sockets.size(); ++i) {
    server->listeners_.push_back(
        Listener{std::move(sockets[i]), std::make_unique<Acceptor>(server.get(), i), TimerHandle()});
  }
  server->self_ = server;
  return server;
}

Server::Server(Private, EventLoop& loop, ProtocolFactory protocol_factory)
    : loop_(&loop), protocol_factory_(std::move(protocol_factory)) {}

Server::~Server() {
  for (Listener& l : listeners_) {
    l.retry.cancel();
    l.socket.reset();
  }
}

std::string Server::repr() const {
  std::string s = "<Server sockets=(";
  bool first = true;
  for (const TransportSocket& t : sockets()) {
    if (!first) s += ", ";
    first = false;
    s += t.repr();
  }
  if (sockets().size() == 1) s += ",";
  return s + ")>";
}

std::vector<TransportSocket> Server::sockets() const {
  std::vector<TransportSocket> out;
  if (closed_) return out;
  for (const Listener& l : listeners_)
    if (l.socket) out.push_back(l.socket->info());
  return out;
}

void Server::attach(detail::SocketTransport* transport) { clients_.push_back(transport); }

void Server::detach(detail::SocketTransport* transport) noexcept {
  auto it = std::find(clients_.begin(), clients_.end(), transport);
  if (it == clients_.end()) return;
  clients_.erase(it);
  if (clients_.empty() && closed_ && !loop_->is_closed()) wakeup();
}

void Server::wakeup() {
  // Python: Server._wakeup
  std::vector<Future<void>> waiters = std::move(waiters_);
  waiters_.clear();
  waiters_done_ = true;
  for (Future<void>& w : waiters)
    if (!w.done()) w.set_result();
}

void Server::start_serving_now() {
  // Python: Server._start_serving
  if (serving_ || closed_) return;
  serving_ = true;
  for (Listener& l : listeners_) l.socket->start_accepting(l.acceptor.get());
}

void Server::close() {
  // Python: Server.close
  if (closed_) return;
  closed_ = true;
  std::shared_ptr<Server> keep = std::move(self_);  // freed (perhaps) on return
  for (Listener& l : listeners_) {
    l.retry.cancel();
    if (l.socket) {
      l.socket->stop_accepting();
      l.socket.reset();
    }
  }
  serving_ = false;
  if (serving_forever_fut_ && !serving_forever_fut_->done()) serving_forever_fut_->cancel();
  serving_forever_fut_.reset();
  if (clients_.empty()) wakeup();
}

void Server::listener_detached(std::size_t index) noexcept {
  // The loop is closing: the backend has taken the socket back.
  Listener& l = listeners_[index];
  const bool first_detach =
      std::all_of(listeners_.begin(), listeners_.end(), [](const Listener& x) { return x.socket != nullptr; });
  if (first_detach && !closed_ && loop_->get_debug()) {
    // Python: the listening sockets' ResourceWarning ("unclosed <socket
    // ...>"), shown in development mode; here the server is named.
    detail::log_noexcept(LogLevel::warning, [&] { return "ResourceWarning: unclosed " + repr(); });
  }
  [[maybe_unused]] ListeningSocket* taken_back = l.socket.release();
  l.retry = TimerHandle();
  if (std::any_of(listeners_.begin(), listeners_.end(), [](const Listener& x) { return x.socket != nullptr; })) return;
  closed_ = true;
  serving_ = false;
  serving_forever_fut_.reset();
  waiters_.clear();
  std::shared_ptr<Server> keep = std::move(self_);
}

void Server::close_clients() {
  // Python: Server.close_clients (on a copy: closing detaches later).
  std::vector<detail::SocketTransport*> clients = clients_;
  for (detail::SocketTransport* t : clients) t->close();
}

void Server::abort_clients() {
  std::vector<detail::SocketTransport*> clients = clients_;
  for (detail::SocketTransport* t : clients) t->abort();
}

void Server::accept_connection(StreamSocketPtr connection) {
  // Python: BaseSelectorEventLoop._accept_connection2
  if (closed_) return;  // closed meanwhile: the connection is dropped
  try {
    std::shared_ptr<BaseProtocol> protocol = protocol_factory_();
    if (tls_.context) {
      accept_tls_connection(std::move(connection), std::move(protocol));
      return;
    }
    detail::SocketTransport::create(*loop_, std::move(connection), std::move(protocol), std::nullopt,
                                    shared_from_this(), std::nullopt);
  } catch (...) {
    if (detail::is_interrupt(std::current_exception())) throw;
    // Python reports this only in debug mode.
    if (loop_->get_debug()) {
      ExceptionContext context;
      context.message = "Error on transport creation for incoming connection";
      context.exception = std::current_exception();
      loop_->call_exception_handler(context);
    }
  }
}

void Server::accept_tls_connection(StreamSocketPtr connection, std::shared_ptr<BaseProtocol> protocol) {
  // Python: _accept_connection2 with an sslcontext: the TLS layer between
  // the socket and the protocol; a failed handshake is reported in debug
  // mode only, and the connection closed.
  Future<void> waiter = loop_->create_future();
  std::shared_ptr<detail::SSLProtocol> ssl =
      detail::SSLProtocol::create(*loop_, std::move(protocol), tls_.context, waiter, /*server_side=*/true,
                                  std::nullopt, /*call_connection_made=*/true, tls_.handshake_timeout,
                                  tls_.shutdown_timeout);
  detail::SocketTransport::create(*loop_, std::move(connection), ssl, std::nullopt, shared_from_this(), std::nullopt);
  waiter.add_done_callback([loop = loop_, weak = std::weak_ptr<detail::SSLProtocol>(ssl)](const AnyFuture& f) {
    if (f.cancelled()) return;
    std::exception_ptr exc = f.exception();
    if (!exc) return;
    if (auto t = weak.lock()) t->close();
    if (loop->get_debug()) {
      ExceptionContext context;
      context.message = "Error on transport creation for incoming connection";
      context.exception = exc;
      loop->call_exception_handler(context);
    }
  });
}

void Server::accept_failed(std::size_t index, std::error_code error) {
  // Python: the except branch of BaseSelectorEventLoop._accept_connection
  if (closed_ || !listeners_[index].socket) return;
  Listener& l = listeners_[index];
  ExceptionContext context;
  context.exception = std::make_exception_ptr(std::system_error(error, "accept()"));
  context.extra.emplace_back("socket", l.socket->info().repr());
  if (is_out_of_resources(error)) {
    // Linux keeps reporting the socket readable: stop accepting for a while
    // (the backend already has) and try again later.
    context.message = "socket.accept() out of system resource";
    loop_->call_exception_handler(context);
    l.retry = loop_->call_later(kAcceptRetryDelay, [weak = weak_from_this(), index] {
      if (auto server = weak.lock()) server->restart_accepting(index);
    });
  } else {
    // Python lets it escape the reader callback: the loop logs it and
    // accepting goes on.
    context.message = "Exception in callback BaseSelectorEventLoop._accept_connection()";
    loop_->call_exception_handler(context);
    restart_accepting(index);
  }
}

void Server::restart_accepting(std::size_t index) {
  if (closed_ || !serving_ || !listeners_[index].socket) return;
  try {
    listeners_[index].socket->start_accepting(listeners_[index].acceptor.get());
  } catch (...) {
    ExceptionContext context;
    context.message = "Error restarting accepting connections";
    context.exception = std::current_exception();
    loop_->call_exception_handler(context);
  }
}

Coro<> Server::do_start_serving(std::shared_ptr<Server> self) {
  self->start_serving_now();
  // Python: skip one loop iteration so that all add_reader calls go through.
  co_await sleep(0);
}

Coro<> Server::do_wait_closed(std::shared_ptr<Server> self) {
  // Python: Server.wait_closed (3.12.1+): returns at once only when the
  // server is closed and every connection is gone.
  if (self->waiters_done_) co_return;
  Future<void> waiter = self->loop_->create_future();
  self->waiters_.push_back(waiter);
  co_await waiter;
}

Coro<> Server::do_serve_forever(std::shared_ptr<Server> self) {
  // Python: Server.serve_forever
  if (self->serving_forever_fut_) {
    throw RuntimeError("server " + self->repr() + " is already being awaited on serve_forever()");
  }
  if (self->closed_) throw RuntimeError("server " + self->repr() + " is closed");
  self->start_serving_now();
  Future<void> fut = self->loop_->create_future();
  self->serving_forever_fut_ = fut;
  std::exception_ptr error;
  bool cancelled = false;
  try {
    co_await fut;
  } catch (const CancelledError&) {
    cancelled = true;
    error = std::current_exception();
  } catch (...) {
    error = std::current_exception();
  }
  if (cancelled) {
    // close() and wait_closed(), then re-raise (what wait_closed raised,
    // if it did).
    try {
      self->close();
      co_await do_wait_closed(self);
    } catch (...) {
      error = std::current_exception();
    }
  }
  self->serving_forever_fut_.reset();
  if (error) std::rethrow_exception(error);
}

Coro<> Server::start_serving() { return do_start_serving(shared_from_this()); }
Coro<> Server::wait_closed() { return do_wait_closed(shared_from_this()); }
Coro<> Server::serve_forever() { return do_serve_forever(shared_from_this()); }

}  // namespace asyncio
