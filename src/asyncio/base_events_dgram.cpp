// create_datagram_endpoint(). Python: base_events.BaseEventLoop.create_datagram_endpoint.
//
// Portable: the socket is set up with asyncio::Socket (options, bind, and
// sock_connect() for remote_addr, as CPython does), then handed to the
// backend's DatagramSocket (a uv_udp_t natively) that the transport runs on.
#include <map>
#include <string>

#include "asyncio/detail/datagram_transport.hpp"
#include "asyncio/detail/os.hpp"
#include "asyncio/detail/socket_os.hpp"
#include "asyncio/events.hpp"
#include "asyncio/log.hpp"
#include "asyncio/socket.hpp"
#include "asyncio/tasks.hpp"
#include "asyncio/transports.hpp"

namespace asyncio {

namespace {

using DatagramPair = std::pair<std::shared_ptr<DatagramTransport>, std::shared_ptr<DatagramProtocol>>;

std::string pair_repr(const std::pair<std::string, int>& a) {
  return "(" + detail::str_repr(a.first) + ", " + std::to_string(a.second) + ")";
}

// Python: the (family, proto) -> [local, remote] grouping of
// create_datagram_endpoint, in first-seen order.
struct AddrPair {
  int family = 0;
  int proto = 0;
  std::optional<SockAddr> local;
  std::optional<SockAddr> remote;
};

Coro<DatagramPair> create_datagram_endpoint_impl(EventLoop* loop, DatagramProtocolFactory protocol_factory,
                                                 DatagramEndpointOptions o) {
  Socket sock;
  std::optional<SockAddr> r_addr;
  const int sock_dgram = detail::sock_dgram();
  if (o.sock) {
    Socket given = Socket::from_fd(*o.sock);
    if (given.type() != sock_dgram) {
      (void)given.detach();  // the caller keeps it
      throw ValueError("A UDP Socket was expected, got fd=" + std::to_string(*o.sock));
    }
    std::string problems;
    auto note = [&problems](const std::string& item) { problems += (problems.empty() ? "" : ", ") + item; };
    if (o.local_addr) note("local_addr=" + pair_repr(*o.local_addr));
    if (o.remote_addr) note("remote_addr=" + pair_repr(*o.remote_addr));
    if (o.local_path) note("local_addr=" + detail::str_repr(*o.local_path));
    if (o.remote_path) note("remote_addr=" + detail::str_repr(*o.remote_path));
    if (o.family) note("family=" + std::to_string(o.family));
    if (o.proto) note("proto=" + std::to_string(o.proto));
    if (o.flags) note("flags=" + std::to_string(o.flags));
    if (o.reuse_port.value_or(false)) note("reuse_port=True");
    if (o.allow_broadcast.value_or(false)) note("allow_broadcast=True");
    if (!problems.empty()) {
      (void)given.detach();
      throw ValueError("socket modifier keyword arguments can not be used when sock is specified. (" + problems +
                       ")");
    }
    given.setblocking(false);
    sock = std::move(given);
  } else {
    std::vector<AddrPair> pairs;
    const bool any_addr = o.local_addr || o.remote_addr || o.local_path || o.remote_path;
    if (!any_addr) {
      if (o.family == 0) throw ValueError("unexpected address family");
      pairs.push_back({o.family, o.proto, std::nullopt, std::nullopt});
    } else if (o.family == detail::af_unix()) {
      if (o.local_addr || o.remote_addr) throw TypeError("string is expected");
      if (o.local_path && !o.local_path->empty() && (*o.local_path)[0] != '\0') {
        detail::remove_stale_unix_socket(*o.local_path);
      }
      AddrPair p{o.family, o.proto, std::nullopt, std::nullopt};
      if (o.local_path) p.local = SockAddr{o.family, *o.local_path};
      if (o.remote_path) p.remote = SockAddr{o.family, *o.remote_path};
      pairs.push_back(std::move(p));
    } else {
      if (o.local_path || o.remote_path) throw TypeError("2-tuple is expected");
      const std::optional<std::pair<std::string, int>>* addrs[2] = {&o.local_addr, &o.remote_addr};
      for (int idx = 0; idx < 2; ++idx) {
        const std::optional<std::pair<std::string, int>>& addr = *addrs[idx];
        if (!addr) continue;
        AddrInfoOptions hints{o.family, sock_dgram, o.proto, o.flags};
        auto resolving = loop->getaddrinfo(addr->first, addr->second, hints);
        std::vector<AddrInfo> infos = co_await std::move(resolving);
        if (infos.empty()) throw OSError("getaddrinfo() returned empty list");
        for (const AddrInfo& ai : infos) {
          auto it = std::find_if(pairs.begin(), pairs.end(),
                                 [&](const AddrPair& p) { return p.family == ai.family && p.proto == ai.proto; });
          if (it == pairs.end()) {
            pairs.push_back({ai.family, ai.proto, std::nullopt, std::nullopt});
            it = pairs.end() - 1;
          }
          std::optional<SockAddr>& slot = idx == 0 ? it->local : it->remote;
          if (!slot) slot = ai.sockaddr;  // Python keeps the last; the first is the preferred one
        }
      }
      // Each address has to have info for each (family, proto) pair.
      std::vector<AddrPair> usable;
      for (AddrPair& p : pairs) {
        if ((o.local_addr && !p.local) || (o.remote_addr && !p.remote)) continue;
        usable.push_back(std::move(p));
      }
      if (usable.empty()) throw ValueError("can not get address information");
      pairs = std::move(usable);
    }

    std::exception_ptr first_error;
    for (const AddrPair& p : pairs) {
      r_addr.reset();
      try {
        Socket s(p.family, sock_dgram, p.proto);
        if (o.reuse_port.value_or(false)) detail::set_reuse_port(s);
        if (o.allow_broadcast.value_or(false)) detail::set_broadcast(s);
        s.setblocking(false);
        if (p.local) s.bind(*p.local);
        if (p.remote) {
          if (!o.allow_broadcast.value_or(false)) {
            auto connecting = loop->sock_connect(s, *p.remote);
            co_await std::move(connecting);
          }
          r_addr = p.remote;
        }
        sock = std::move(s);
        break;
      } catch (const std::system_error&) {
        if (!first_error) first_error = std::current_exception();
      }
    }
    if (sock.fileno() < 0) std::rethrow_exception(first_error);
  }

  std::shared_ptr<DatagramProtocol> protocol = protocol_factory();
  if (!protocol) throw TypeError("the protocol factory returned no protocol");
  Future<void> waiter = loop->create_future();
  const int family = sock.family();
  const int proto = sock.proto();
  const int fd = sock.detach();
  DatagramSocketPtr dsock = loop->backend().datagram_adopt(fd, family, proto);
  std::shared_ptr<detail::DatagramSocketTransport> transport =
      detail::DatagramSocketTransport::create(*loop, std::move(dsock), protocol, r_addr, waiter);
  if (loop->get_debug()) {
    if (o.local_addr || o.local_path) {
      logger().info("Datagram endpoint created: " + transport->repr());
    } else {
      logger().debug("Datagram endpoint created: " + transport->repr());
    }
  }
  try {
    co_await waiter;
  } catch (...) {
    transport->close();
    throw;
  }
  co_return DatagramPair(std::move(transport), std::move(protocol));
}

}  // namespace

Coro<DatagramPair> EventLoop::create_datagram_endpoint_erased(DatagramProtocolFactory protocol_factory,
                                                              DatagramEndpointOptions options) {
  check_network("create_datagram_endpoint");
  return create_datagram_endpoint_impl(this, std::move(protocol_factory), std::move(options));
}

}  // namespace asyncio
