// The loop's network methods: getaddrinfo(), create_connection() (with
// Happy Eyeballs), create_server(), the Unix variants and
// connect_accepted_socket(). Python: base_events.BaseEventLoop and
// unix_events._UnixSelectorEventLoop, the same methods.
//
// Everything here is portable: sockets are the backend's (backend.hpp), so
// argument checking, address ordering, error aggregation and server setup
// behave the same on every platform.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>

#include "asyncio/detail/net.hpp"
#include "asyncio/detail/os.hpp"
#include "asyncio/detail/repr.hpp"
#include "asyncio/detail/socket_transport.hpp"
#include "asyncio/detail/sslproto.hpp"
#include "asyncio/detail/tls.hpp"
#include "asyncio/events.hpp"
#include "asyncio/log.hpp"
#include "asyncio/server.hpp"
#include "asyncio/staggered.hpp"
#include "asyncio/tasks.hpp"
#include "asyncio/transports.hpp"

namespace asyncio {

// ---- Backend defaults: no networking ----

namespace {
[[noreturn]] void unavailable(const Backend& backend, const char* method) {
  throw NotImplementedError(std::string(method) + " is not available on " + backend.platform());
}
}  // namespace

Future<std::vector<AddrInfo>> Backend::getaddrinfo(const std::optional<std::string>&, const std::optional<std::string>&,
                                                   int, int, int, int) {
  unavailable(*this, "getaddrinfo");
}
Future<NameInfo> Backend::getnameinfo(const SockAddr&, int) { unavailable(*this, "getnameinfo"); }
Future<StreamSocketPtr> Backend::sock_connect(const AddrInfo&, const SockAddr*) {
  unavailable(*this, "create_connection");
}
Future<StreamSocketPtr> Backend::sock_connect_unix(const std::string&) { unavailable(*this, "create_unix_connection"); }
ListeningSocketPtr Backend::sock_listen(const AddrInfo&, const ListenOptions&) { unavailable(*this, "create_server"); }
ListeningSocketPtr Backend::sock_listen_unix(const std::string&, const ListenOptions&) {
  unavailable(*this, "create_unix_server");
}
StreamSocketPtr Backend::sock_adopt(int, int) { unavailable(*this, "connect_accepted_socket"); }
ListeningSocketPtr Backend::sock_adopt_listener(int, int, const ListenOptions&) { unavailable(*this, "create_server"); }

void EventLoop::check_network(const char* method) const {
  if (!backend_->supports_network()) unavailable(*backend_, method);
}

namespace detail {

std::vector<AddrInfo> interleave_addrinfos(const std::vector<AddrInfo>& addrinfos, int first_address_family_count) {
  // Python: base_events._interleave_addrinfos
  std::vector<std::pair<int, std::deque<AddrInfo>>> by_family;
  for (const AddrInfo& ai : addrinfos) {
    auto it = std::find_if(by_family.begin(), by_family.end(), [&](const auto& g) { return g.first == ai.family; });
    if (it == by_family.end()) {
      by_family.emplace_back(ai.family, std::deque<AddrInfo>());
      it = by_family.end() - 1;
    }
    it->second.push_back(ai);
  }
  std::vector<AddrInfo> reordered;
  reordered.reserve(addrinfos.size());
  if (first_address_family_count > 1 && !by_family.empty()) {
    auto& first = by_family.front().second;
    for (int i = 0; i < first_address_family_count - 1 && !first.empty(); ++i) {
      reordered.push_back(std::move(first.front()));
      first.pop_front();
    }
  }
  for (bool more = true; more;) {
    more = false;
    for (auto& group : by_family) {
      if (group.second.empty()) continue;
      reordered.push_back(std::move(group.second.front()));
      group.second.pop_front();
      more = true;
    }
  }
  return reordered;
}

}  // namespace detail

namespace {

using ConnectionPair = std::pair<std::shared_ptr<Transport>, std::shared_ptr<BaseProtocol>>;

std::string what_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (const BaseException& ex) {
    return ex.what();
  } catch (...) {
    return "unknown exception";
  }
}

std::optional<std::string> port_string(const std::optional<std::string>& host, std::optional<int> port) {
  if (!port) return std::nullopt;
  if (*port < 0 || *port > 65535) {
    // Python raises OverflowError ("port must be 0-65535"); C++ has none,
    // so this is the OS error a bad port gets (EINVAL), naming the address.
    throw std::system_error(std::make_error_code(std::errc::invalid_argument),
                            "port must be 0-65535, got " + std::to_string(*port) + " for host " +
                                (host ? detail::str_repr(*host) : std::string("None")));
  }
  return std::to_string(*port);
}

std::string describe_host_port(const std::optional<std::string>& host, const std::optional<std::string>& port) {
  return (host ? detail::str_repr(*host) : std::string("None")) + ", " + (port ? *port : std::string("None"));
}

// Python: BaseEventLoop.getaddrinfo (and _getaddrinfo_debug in debug mode).
Coro<std::vector<AddrInfo>> resolve(EventLoop* loop, std::optional<std::string> host, std::optional<std::string> port,
                                    AddrInfoOptions o) {
  const double t0 = loop->get_debug() ? loop->time() : 0.0;
  Future<std::vector<AddrInfo>> f = loop->backend().getaddrinfo(host, port, o.family, o.type, o.proto, o.flags);
  detail::ClockHold hold(*loop);  // the lookup runs in another thread
  if (!loop->get_debug()) co_return co_await std::move(f);
  std::vector<AddrInfo> infos = co_await std::move(f);
  const double dt = (loop->time() - t0) * 1000.0;
  char buf[64];
  std::snprintf(buf, sizeof buf, " took %.3fms", dt);
  std::string msg = "Getting address info (" + describe_host_port(host, port) + ")" + buf + ": " +
                    std::to_string(infos.size()) + " result(s)";
  if (dt >= loop->slow_callback_duration * 1000.0)
    logger().info(msg);
  else
    logger().debug(msg);
  co_return infos;
}

// getaddrinfo() with a numeric port, checked when awaited (as Python raises).
Coro<std::vector<AddrInfo>> resolve_port(EventLoop* loop, std::optional<std::string> host, int port,
                                         AddrInfoOptions o) {
  std::optional<std::string> service = port_string(host, port);
  co_return co_await resolve(loop, std::move(host), std::move(service), o);
}

Coro<NameInfo> resolve_name(EventLoop* loop, SockAddr sockaddr, int flags) {
  Future<NameInfo> f = loop->backend().getnameinfo(sockaddr, flags);
  detail::ClockHold hold(*loop);  // the lookup runs in another thread
  co_return co_await std::move(f);
}

// Python: BaseEventLoop._ensure_resolved with type=SOCK_STREAM.
Coro<std::vector<AddrInfo>> ensure_resolved(EventLoop* loop, std::optional<std::string> host, std::optional<int> port,
                                            int family, int proto, int flags) {
  std::optional<std::string> service = port_string(host, port);
  const AddrInfoOptions hints{family, detail::sock_stream(), proto, flags};
  co_return co_await resolve(loop, std::move(host), std::move(service), hints);
}

// Python: BaseEventLoop._connect_sock: one socket, bound to the first local
// address of the same family that binds, connected to `ai`. Every error is
// recorded in exceptions[slot].
Coro<StreamSocketPtr> connect_sock(EventLoop* loop, std::vector<std::vector<std::exception_ptr>>* exceptions,
                                   AddrInfo ai, const std::optional<std::vector<AddrInfo>>* local_addr_infos) {
  exceptions->emplace_back();
  const std::size_t slot = exceptions->size() - 1;
  try {
    std::optional<Future<StreamSocketPtr>> connecting;
    if (*local_addr_infos) {
      for (const AddrInfo& local : **local_addr_infos) {
        if (local.family != ai.family) continue;  // skip local addresses of another family
        try {
          connecting = loop->backend().sock_connect(ai, &local.sockaddr);
          break;
        } catch (const std::system_error&) {
          (*exceptions)[slot].push_back(std::current_exception());
        }
      }
      if (!connecting) {
        // All bind attempts failed: raise the last bind error (it stays
        // recorded), or say there was no local address to try.
        auto& mine = (*exceptions)[slot];
        if (!mine.empty()) {
          std::exception_ptr last = mine.back();
          mine.pop_back();
          std::rethrow_exception(last);
        }
        throw OSError("no matching local address with family=" + detail::family_repr(ai.family) + " found");
      }
    } else {
      connecting = loop->backend().sock_connect(ai, nullptr);
    }
    co_return co_await std::move(*connecting);
  } catch (const std::system_error&) {
    (*exceptions)[slot].push_back(std::current_exception());
    throw;
  }
}

// How a connection's TLS layer is set up (Python: the ssl arguments of
// _create_connection_transport).
struct TlsArgs {
  std::shared_ptr<SSLContext> ssl;
  bool server_side = false;
  std::optional<std::string> server_hostname;
  std::optional<double> handshake_timeout;
  std::optional<double> shutdown_timeout;
};

// Python: BaseEventLoop._create_connection_transport (and
// _make_ssl_transport: the TLS layer sits between the socket transport
// and the protocol, and the waiter is the handshake's).
Coro<ConnectionPair> connection_transport(EventLoop* loop, StreamSocketPtr sock, ProtocolFactory protocol_factory,
                                          TlsArgs tls = {}) {
  std::shared_ptr<BaseProtocol> protocol = protocol_factory();
  Future<void> waiter = loop->create_future();
  std::shared_ptr<Transport> transport;
  if (tls.ssl) {
    std::shared_ptr<detail::SSLProtocol> ssl_protocol = detail::SSLProtocol::create(
        *loop, protocol, tls.ssl, waiter, tls.server_side, tls.server_hostname, /*call_connection_made=*/true,
        tls.handshake_timeout, tls.shutdown_timeout);
    detail::SocketTransport::create(*loop, std::move(sock), ssl_protocol, std::nullopt, nullptr, std::nullopt);
    transport = std::move(ssl_protocol);
  } else {
    transport = detail::SocketTransport::create(*loop, std::move(sock), protocol, waiter, nullptr, std::nullopt);
  }
  try {
    co_await waiter;
  } catch (...) {
    transport->close();
    throw;
  }
  co_return ConnectionPair(std::move(transport), std::move(protocol));
}

// Python's checks of the ssl arguments; then, with ssl, TLS must be built
// in, and the timeouts positive (Python checks those when the TLS layer is
// made, after connecting; here before anything is done).
void check_tls_args(EventLoop* loop, const char* method, const std::shared_ptr<SSLContext>& ssl,
                    const std::optional<double>& handshake_timeout, const std::optional<double>& shutdown_timeout) {
  if (!ssl) {
    if (handshake_timeout) throw ValueError("ssl_handshake_timeout is only meaningful with ssl");
    if (shutdown_timeout) throw ValueError("ssl_shutdown_timeout is only meaningful with ssl");
    return;
  }
  detail::check_tls_available(method, loop->backend().platform());
  if (handshake_timeout && !(*handshake_timeout > 0)) {
    throw ValueError("ssl_handshake_timeout should be a positive number, got " + detail::float_repr(*handshake_timeout));
  }
  if (shutdown_timeout && !(*shutdown_timeout > 0)) {
    throw ValueError("ssl_shutdown_timeout should be a positive number, got " + detail::float_repr(*shutdown_timeout));
  }
}

}  // namespace

// ---- DNS ----

Coro<std::vector<AddrInfo>> EventLoop::getaddrinfo(std::optional<std::string> host, std::optional<std::string> port,
                                                   AddrInfoOptions options) {
  check_network("getaddrinfo");
  return resolve(this, std::move(host), std::move(port), options);
}

Coro<std::vector<AddrInfo>> EventLoop::getaddrinfo(std::optional<std::string> host, int port,
                                                   AddrInfoOptions options) {
  check_network("getaddrinfo");
  return resolve_port(this, std::move(host), port, options);
}

Coro<NameInfo> EventLoop::getnameinfo(SockAddr sockaddr, int flags) {
  check_network("getnameinfo");
  return resolve_name(this, std::move(sockaddr), flags);
}

// ---- Connections ----

Coro<ConnectionPair> EventLoop::create_connection_erased(ProtocolFactory protocol_factory,
                                                         std::optional<std::string> host, std::optional<int> port,
                                                         ConnectionOptions o) {
  // Python: BaseEventLoop.create_connection
  if (o.server_hostname && !o.ssl) throw ValueError("server_hostname is only meaningful with ssl");
  if (!o.server_hostname && o.ssl) {
    if (!host || host->empty()) throw ValueError("You must set server_hostname when using ssl without a host");
    o.server_hostname = host;
  }
  check_tls_args(this, "create_connection", o.ssl, o.ssl_handshake_timeout, o.ssl_shutdown_timeout);

  std::optional<int> interleave = o.interleave;
  if (o.happy_eyeballs_delay && !interleave) interleave = 1;  // interleave by family with Happy Eyeballs

  StreamSocketPtr sock;
  if (host || port) {
    if (o.sock) throw ValueError("host/port and sock can not be specified at the same time");
    std::vector<AddrInfo> infos = co_await ensure_resolved(this, host, port, o.family, o.proto, o.flags);
    if (infos.empty()) throw OSError("getaddrinfo() returned empty list");
    std::optional<std::vector<AddrInfo>> laddr_infos;
    if (o.local_addr) {
      laddr_infos =
          co_await ensure_resolved(this, o.local_addr->first, o.local_addr->second, o.family, o.proto, o.flags);
      if (laddr_infos->empty()) throw OSError("getaddrinfo() returned empty list");
    }
    if (interleave && *interleave > 0) infos = detail::interleave_addrinfos(infos, *interleave);

    std::vector<std::vector<std::exception_ptr>> exceptions;  // per attempt
    if (!o.happy_eyeballs_delay) {
      for (const AddrInfo& ai : infos) {
        try {
          sock = co_await connect_sock(this, &exceptions, ai, &laddr_infos);
          break;
        } catch (const std::system_error&) {
          continue;  // recorded in `exceptions`; try the next address
        }
      }
    } else {
      std::vector<std::function<Coro<StreamSocketPtr>()>> attempts;
      attempts.reserve(infos.size());
      for (const AddrInfo& ai : infos) {
        attempts.emplace_back(
            [this, &exceptions, &laddr_infos, ai] { return connect_sock(this, &exceptions, ai, &laddr_infos); });
      }
      StaggeredResult<StreamSocketPtr> race =
          co_await staggered_race<StreamSocketPtr>(std::move(attempts), o.happy_eyeballs_delay);
      if (race.winner_result) sock = std::move(*race.winner_result);
    }

    if (!sock) {
      // Python's aggregation: all_errors -> ExceptionGroup; one error, or
      // errors that all read the same -> that error; else one OSError
      // listing them.
      std::vector<std::exception_ptr> flat;
      for (auto& sub : exceptions)
        for (auto& e : sub) flat.push_back(e);
      if (o.all_errors) raise_exception_group("create_connection failed", std::move(flat));
      if (flat.empty()) throw OSError("create_connection failed");
      if (flat.size() == 1) std::rethrow_exception(flat.front());
      const std::string model = what_of(flat.front());
      if (std::all_of(flat.begin(), flat.end(), [&](const auto& e) { return what_of(e) == model; })) {
        std::rethrow_exception(flat.front());
      }
      std::string msg = "Multiple exceptions: ";
      for (std::size_t i = 0; i < flat.size(); ++i) msg += (i ? ", " : "") + what_of(flat[i]);
      throw OSError(msg);
    }
  } else {
    if (!o.sock) throw ValueError("host and port was not specified and no sock specified");
    sock = backend_->sock_adopt(*o.sock, 0);
  }

  TlsArgs tls{o.ssl, false, o.server_hostname, o.ssl_handshake_timeout, o.ssl_shutdown_timeout};
  ConnectionPair result =
      co_await connection_transport(this, std::move(sock), std::move(protocol_factory), std::move(tls));
  if (debug_) {
    logger().debug(result.first->repr() + " connected to " + (host ? *host : std::string("None")) + ":" +
                   (port ? std::to_string(*port) : std::string("None")));
  }
  co_return result;
}

Coro<ConnectionPair> EventLoop::create_unix_connection_erased(ProtocolFactory protocol_factory,
                                                              std::optional<std::string> path,
                                                              UnixConnectionOptions o) {
  // Python: _UnixSelectorEventLoop.create_unix_connection
  if (o.ssl) {
    if (!o.server_hostname) throw ValueError("you have to pass server_hostname when using ssl");
  } else if (o.server_hostname) {
    throw ValueError("server_hostname is only meaningful with ssl");
  }
  check_tls_args(this, "create_unix_connection", o.ssl, o.ssl_handshake_timeout, o.ssl_shutdown_timeout);
  StreamSocketPtr sock;
  if (path) {
    if (o.sock) throw ValueError("path and sock can not be specified at the same time");
    sock = co_await backend_->sock_connect_unix(*path);
  } else {
    if (!o.sock) throw ValueError("no path and sock were specified");
    sock = backend_->sock_adopt(*o.sock, detail::af_unix());
  }
  TlsArgs tls{o.ssl, false, o.server_hostname, o.ssl_handshake_timeout, o.ssl_shutdown_timeout};
  co_return co_await connection_transport(this, std::move(sock), std::move(protocol_factory), std::move(tls));
}

Coro<ConnectionPair> EventLoop::connect_accepted_socket_erased(ProtocolFactory protocol_factory, int sock,
                                                               AcceptedSocketOptions o) {
  // Python: BaseEventLoop.connect_accepted_socket
  check_tls_args(this, "connect_accepted_socket", o.ssl, o.ssl_handshake_timeout, o.ssl_shutdown_timeout);
  StreamSocketPtr s = backend_->sock_adopt(sock, 0);
  // Python: the accepted side is the TLS server (server_hostname '').
  TlsArgs tls{o.ssl, true, std::nullopt, o.ssl_handshake_timeout, o.ssl_shutdown_timeout};
  co_return co_await connection_transport(this, std::move(s), std::move(protocol_factory), std::move(tls));
}

// ---- Servers ----

namespace {

Coro<std::shared_ptr<Server>> serve(EventLoop* loop, std::vector<ListeningSocketPtr> sockets,
                                    ProtocolFactory protocol_factory, bool start_serving, ServerTLS tls) {
  std::shared_ptr<Server> server =
      Server::create(*loop, std::move(sockets), std::move(protocol_factory), std::move(tls));
  if (start_serving) {
    try {
      server->start_serving_now();
    } catch (...) {
      server->close();
      throw;
    }
    // Python: skip one loop iteration so that all add_reader calls go
    // through.
    co_await sleep(0);
  }
  if (loop->get_debug()) logger().info(server->repr() + " is serving");
  co_return server;
}

// Python: BaseEventLoop.create_server
Coro<std::shared_ptr<Server>> create_server_impl(EventLoop* loop, ProtocolFactory protocol_factory,
                                                 std::vector<std::optional<std::string>> hosts, bool host_or_port,
                                                 std::optional<int> port, ServerOptions o) {
  check_tls_args(loop, "create_server", o.ssl, o.ssl_handshake_timeout, o.ssl_shutdown_timeout);
  ListenOptions lo;
  lo.backlog = o.backlog;
  lo.reuse_address = o.reuse_address.value_or(detail::reuse_address_by_default());
  lo.reuse_port = o.reuse_port.value_or(false);
  lo.keep_alive = o.keep_alive.value_or(false);
  std::vector<ListeningSocketPtr> sockets;
  if (host_or_port) {
    if (o.sock) throw ValueError("host/port and sock can not be specified at the same time");
    // Resolve every host concurrently (Python gathers them).
    std::vector<Task<std::vector<AddrInfo>>> pending;
    pending.reserve(hosts.size());
    for (const auto& h : hosts) {
      pending.push_back(loop->create_task(
          ensure_resolved(loop, h, port, o.family, 0, o.flags | detail::ai_passive())));
    }
    std::vector<AddrInfo> infos;  // deduplicated, first seen first
    std::exception_ptr first_error;
    for (std::size_t i = 0; i < pending.size(); ++i) {
      try {
        std::vector<AddrInfo> found = co_await pending[i];
        if (found.empty()) {
          const std::optional<std::string>& host = hosts[i];
          throw OSError("getaddrinfo(" + (host ? detail::str_repr(*host) : std::string("None")) +
                        ") returned empty list");
        }
        for (AddrInfo& ai : found)
          if (std::find(infos.begin(), infos.end(), ai) == infos.end()) infos.push_back(std::move(ai));
      } catch (...) {
        if (!first_error) first_error = std::current_exception();
      }
    }
    if (first_error) std::rethrow_exception(first_error);
    for (const AddrInfo& ai : infos) {
      ListeningSocketPtr s;
      try {
        s = loop->backend().sock_listen(ai, lo);
      } catch (const std::system_error& e) {
        if (e.code() == std::errc::address_not_available) {
          // Assume the family is not enabled (bpo-30945).
          if (loop->get_debug()) logger().warning(e.what());
          continue;
        }
        throw;
      }
      if (!s) {
        // Assume it's a bad family/type/protocol combination.
        if (loop->get_debug()) {
          logger().warning("create_server() failed to create socket.socket(" + detail::family_repr(ai.family) +
                           ", " + std::to_string(ai.type) + ", " + std::to_string(ai.proto) + ")");
        }
        continue;
      }
      sockets.push_back(std::move(s));
    }
    if (sockets.empty()) {
      std::string list;
      for (std::size_t i = 0; i < infos.size(); ++i) list += (i ? ", " : "") + infos[i].sockaddr.repr();
      throw OSError("could not bind on any address out of [" + list + "]");
    }
  } else {
    if (!o.sock) throw ValueError("Neither host/port nor sock were specified");
    sockets.push_back(loop->backend().sock_adopt_listener(*o.sock, 0, lo));
  }
  ServerTLS tls{o.ssl, o.ssl_handshake_timeout, o.ssl_shutdown_timeout};
  co_return co_await serve(loop, std::move(sockets), std::move(protocol_factory), o.start_serving, std::move(tls));
}

// Python: _UnixSelectorEventLoop.create_unix_server
Coro<std::shared_ptr<Server>> create_unix_server_impl(EventLoop* loop, ProtocolFactory protocol_factory,
                                                      std::optional<std::string> path, UnixServerOptions o) {
  check_tls_args(loop, "create_unix_server", o.ssl, o.ssl_handshake_timeout, o.ssl_shutdown_timeout);
  ListenOptions lo;
  lo.backlog = o.backlog;
  lo.cleanup_socket = o.cleanup_socket;
  std::vector<ListeningSocketPtr> sockets;
  if (path) {
    if (o.sock) throw ValueError("path and sock can not be specified at the same time");
    sockets.push_back(loop->backend().sock_listen_unix(*path, lo));
  } else {
    if (!o.sock) throw ValueError("path was not specified, and no sock specified");
    sockets.push_back(loop->backend().sock_adopt_listener(*o.sock, detail::af_unix(), lo));
  }
  ServerTLS tls{o.ssl, o.ssl_handshake_timeout, o.ssl_shutdown_timeout};
  co_return co_await serve(loop, std::move(sockets), std::move(protocol_factory), o.start_serving, std::move(tls));
}

}  // namespace

Coro<std::shared_ptr<Server>> EventLoop::create_server(ProtocolFactory protocol_factory,
                                                       std::optional<std::string> host, std::optional<int> port,
                                                       ServerOptions options) {
  check_network("create_server");
  const bool host_or_port = host.has_value() || port.has_value();
  // Python: host '' or None means every interface.
  if (host && host->empty()) host.reset();
  std::vector<std::optional<std::string>> hosts{std::move(host)};
  return create_server_impl(this, std::move(protocol_factory), std::move(hosts), host_or_port, port,
                            std::move(options));
}

Coro<std::shared_ptr<Server>> EventLoop::create_server(ProtocolFactory protocol_factory,
                                                       std::vector<std::string> hosts, std::optional<int> port,
                                                       ServerOptions options) {
  check_network("create_server");
  std::vector<std::optional<std::string>> all;
  for (std::string& h : hosts) {
    if (h.empty())
      all.emplace_back(std::nullopt);
    else
      all.emplace_back(std::move(h));
  }
  return create_server_impl(this, std::move(protocol_factory), std::move(all), true, port, std::move(options));
}

Coro<std::shared_ptr<Server>> EventLoop::create_unix_server(ProtocolFactory protocol_factory,
                                                            std::optional<std::string> path,
                                                            UnixServerOptions options) {
  check_network("create_unix_server");
  return create_unix_server_impl(this, std::move(protocol_factory), std::move(path), std::move(options));
}

}  // namespace asyncio
