// create_datagram_endpoint(), DatagramTransport and DatagramProtocol.
// Python: the datagram tests of test_asyncio/test_events.py
// (test_create_datagram_endpoint*), test_base_events.py
// (BaseEventLoopWithSelectorTests.test_create_datagram_endpoint_*) and
// test_selector_events.py (SelectorDatagramTransportTests).
#include <netinet/in.h>

#include "net_support.hpp"

using asyncio::Coro;
using asyncio::Future;
using asyncio::DatagramEndpointOptions;
using asyncio::SockAddr;
using test::LoopFixture;

namespace {

using HostPort = std::pair<std::string, int>;

/// Records every callback; echoes datagrams back when `echo`.
class Recorder : public asyncio::DatagramProtocol {
 public:
  std::shared_ptr<asyncio::DatagramTransport> transport;
  std::vector<std::pair<std::string, SockAddr>> datagrams;
  std::vector<std::exception_ptr> errors;
  std::vector<std::string> events;
  std::optional<asyncio::Future<void>> lost;
  bool echo = false;

  void connection_made(std::shared_ptr<asyncio::DatagramTransport> t) override {
    transport = std::move(t);
    events.push_back("made");
    lost.emplace(asyncio::get_running_loop().create_future());
  }
  void datagram_received(std::string_view data, const SockAddr& addr) override {
    datagrams.emplace_back(std::string(data), addr);
    if (echo) transport->sendto(data, addr);
  }
  void error_received(std::exception_ptr exc) override {
    errors.push_back(exc);
    events.push_back("error");
  }
  void connection_lost(std::exception_ptr exc) override {
    events.push_back(exc ? "lost:error" : "lost");
    if (lost && !lost->done()) lost->set_result();
  }
  void pause_writing() override { events.push_back("pause"); }
  void resume_writing() override { events.push_back("resume"); }
};

using Endpoint = std::pair<std::shared_ptr<asyncio::DatagramTransport>, std::shared_ptr<Recorder>>;

Coro<Endpoint> endpoint(asyncio::EventLoop& loop, DatagramEndpointOptions o) {
  auto factory = [] { return std::make_shared<Recorder>(); };
  auto made = loop.create_datagram_endpoint(factory, std::move(o));
  co_return co_await std::move(made);
}

SockAddr sockname(const std::shared_ptr<asyncio::DatagramTransport>& t) {
  return std::any_cast<SockAddr>(t->get_extra_info("sockname"));
}

Coro<std::string> endpoint_error(asyncio::EventLoop& loop, DatagramEndpointOptions o) {
  auto c = endpoint(loop, std::move(o));
  std::exception_ptr e;
  try {
    co_await std::move(c);
  } catch (...) {
    e = std::current_exception();
  }
  co_return e ? test::message_of(e) : std::string("no exception");
}

}  // namespace

TEST_CASE("A UDP server echoes a client's datagrams (test_create_datagram_endpoint)", "[datagram][net]") {
  LoopFixture f;
  test::run_net(f, [](asyncio::EventLoop& loop) -> Coro<> {
    DatagramEndpointOptions so{.local_addr = HostPort("127.0.0.1", 0)};
    auto s = endpoint(loop, so);
    auto server_sp = co_await std::move(s);  // no structured binding: lambdas capture them
    auto& server = std::get<0>(server_sp);
    auto& sp = std::get<1>(server_sp);
    sp->echo = true;
    const SockAddr saddr = sockname(server);
    CHECK(saddr.port > 0);
    CHECK_FALSE(server->get_extra_info("peername").has_value());
    DatagramEndpointOptions co{.remote_addr = HostPort("127.0.0.1", saddr.port)};
    auto c = endpoint(loop, co);
    auto client_cp = co_await std::move(c);  // no structured binding: lambdas capture them
    auto& client = std::get<0>(client_cp);
    auto& cp = std::get<1>(client_cp);
    CHECK(std::any_cast<SockAddr>(client->get_extra_info("peername")) == saddr);
    CHECK(cp->events == std::vector<std::string>{"made"});
    client->sendto("xxx");
    client->sendto("");  // Python 3.13+: empty datagrams are sent too
    {
      auto pred1 = [&] { return cp->datagrams.size() == 2; };
      auto waiting1 = test::wait_until(pred1);
      const bool ok = co_await std::move(waiting1);
      REQUIRE(ok);
    }
    CHECK(sp->datagrams[0].first == "xxx");
    CHECK(sp->datagrams[0].second == sockname(client));
    CHECK(sp->datagrams[1].first.empty());
    CHECK(cp->datagrams[0].first == "xxx");
    CHECK(cp->datagrams[0].second == saddr);
    CHECK(client->get_write_buffer_size() == 0);
    // A connected endpoint takes only its peer's address.
    CHECK_NOTHROW(client->sendto("y", saddr));
    try {
      client->sendto("z", SockAddr{AF_INET, "127.0.0.1", 1});
      FAIL("no exception");
    } catch (const asyncio::ValueError& e) {
      CHECK(std::string(e.what()) == "Invalid address: must be None or " + saddr.repr());
    }
    client->close();
    CHECK(client->is_closing());
    Future<void> lost = *cp->lost;
    co_await lost;
    CHECK(cp->events.back() == "lost");
    server->close();
    Future<void> slost = *sp->lost;
    co_await slost;
    CHECK(sp->events == std::vector<std::string>{"made", "lost"});
  }(*f.loop));
  CHECK(f.errors.empty());
}

TEST_CASE("UDP over IPv6 (test_create_datagram_endpoint_ipv6)", "[datagram][net]") {
  if (!test::have_ipv6_loopback()) return;
  LoopFixture f;
  test::run_net(f, [](asyncio::EventLoop& loop) -> Coro<> {
    DatagramEndpointOptions so{.local_addr = HostPort("::1", 0)};
    auto s = endpoint(loop, so);
    auto server_sp = co_await std::move(s);  // no structured binding: lambdas capture them
    auto& server = std::get<0>(server_sp);
    auto& sp = std::get<1>(server_sp);
    sp->echo = true;
    const SockAddr saddr = sockname(server);
    CHECK(saddr.family == AF_INET6);
    DatagramEndpointOptions co{.remote_addr = HostPort("::1", saddr.port)};
    auto c = endpoint(loop, co);
    auto client_cp = co_await std::move(c);  // no structured binding: lambdas capture them
    auto& client = std::get<0>(client_cp);
    auto& cp = std::get<1>(client_cp);
    client->sendto("six");
    auto pred2 = [&] { return !cp->datagrams.empty(); };
    auto waiting2 = test::wait_until(pred2);
    const bool ok = co_await std::move(waiting2);
    REQUIRE(ok);
    CHECK(cp->datagrams[0].first == "six");
    CHECK(cp->datagrams[0].second.host == "::1");
    client->close();
    server->close();
    co_await asyncio::sleep(0);
  }(*f.loop));
}

TEST_CASE("AF_UNIX datagram endpoints (test_create_datagram_endpoint_existing_sock_unix)", "[datagram][net]") {
  LoopFixture f;
  test::TempDir dir;
  const std::string server_path = dir.file("srv");
  const std::string client_path = dir.file("cli");
  test::run_net(f, [](asyncio::EventLoop& loop, std::string sp_path, std::string cp_path) -> Coro<> {
    DatagramEndpointOptions so{.local_path = sp_path, .family = AF_UNIX};
    auto s = endpoint(loop, so);
    auto server_sp = co_await std::move(s);  // no structured binding: lambdas capture them
    auto& server = std::get<0>(server_sp);
    auto& sp = std::get<1>(server_sp);
    sp->echo = true;
    DatagramEndpointOptions co{.local_path = cp_path, .remote_path = sp_path, .family = AF_UNIX};
    auto c = endpoint(loop, co);
    auto client_cp = co_await std::move(c);  // no structured binding: lambdas capture them
    auto& client = std::get<0>(client_cp);
    auto& cp = std::get<1>(client_cp);
    client->sendto("unix");
    auto pred3 = [&] { return !cp->datagrams.empty(); };
    auto waiting3 = test::wait_until(pred3);
    const bool ok = co_await std::move(waiting3);
    REQUIRE(ok);
    CHECK(sp->datagrams[0].second.host == cp_path);
    CHECK(cp->datagrams[0].first == "unix");
    CHECK(cp->datagrams[0].second.host == sp_path);
    client->close();
    server->close();
    co_await asyncio::sleep(0);
    // A stale socket file is replaced (Python removes it before binding).
    DatagramEndpointOptions again{.local_path = sp_path, .family = AF_UNIX};
    auto s2 = endpoint(loop, again);
    auto server2_sp2 = co_await std::move(s2);  // no structured binding: lambdas capture them
    auto& server2 = std::get<0>(server2_sp2);
    auto& sp2 = std::get<1>(server2_sp2);
    (void)sp2;
    server2->close();
    co_await asyncio::sleep(0);
  }(*f.loop, server_path, client_path));
}

TEST_CASE("create_datagram_endpoint raises CPython's errors for bad arguments", "[datagram][net]") {
  // Python: test_base_events test_create_datagram_endpoint_wrong_sock,
  // _sock_sockopts, _no_addrinfo, _cant_bind, _noaddr_nofamily,
  // test_create_datagram_endpoint_addr_error.
  LoopFixture f;
  test::run_net(f, [](asyncio::EventLoop& loop) -> Coro<> {
    const DatagramEndpointOptions o1{};
    auto e1 = endpoint_error(loop, o1);
    const std::string r_e1 = co_await std::move(e1);
    CHECK(r_e1 == "unexpected address family");

    asyncio::Socket tcp(AF_INET, SOCK_STREAM);
    DatagramEndpointOptions o2{.sock = tcp.fileno()};
    auto e2 = endpoint_error(loop, o2);
    const std::string m2 = co_await std::move(e2);
    CHECK(m2.rfind("A UDP Socket was expected, got", 0) == 0);
    CHECK(tcp.fileno() >= 0);  // left to its owner

    asyncio::Socket udp(AF_INET, SOCK_DGRAM);
    DatagramEndpointOptions o3{.local_addr = HostPort("127.0.0.1", 0), .reuse_port = true, .sock = udp.fileno()};
    auto e3 = endpoint_error(loop, o3);
    const std::string r_e3 = co_await std::move(e3);
    CHECK(r_e3 ==
          "socket modifier keyword arguments can not be used when sock is specified. (local_addr=('127.0.0.1', 0), "
          "reuse_port=True)");

    DatagramEndpointOptions o4{.local_addr = HostPort("127.0.0.1", 0), .family = AF_UNIX};
    auto e4 = endpoint_error(loop, o4);
    const std::string r_e4 = co_await std::move(e4);
    CHECK(r_e4 == "string is expected");

    DatagramEndpointOptions o5{.local_path = std::string("/tmp/x"), .family = AF_INET};
    auto e5 = endpoint_error(loop, o5);
    const std::string r_e5 = co_await std::move(e5);
    CHECK(r_e5 == "2-tuple is expected");

    if (test::have_ipv6_loopback()) {
      DatagramEndpointOptions o6{.local_addr = HostPort("127.0.0.1", 0), .remote_addr = HostPort("::1", 9)};
      auto e6 = endpoint_error(loop, o6);
      const std::string r_e6 = co_await std::move(e6);
    CHECK(r_e6 == "can not get address information");
    }

    // A port in use: bind fails with EADDRINUSE (no SO_REUSEADDR on datagram sockets).
    DatagramEndpointOptions o7{.local_addr = HostPort("127.0.0.1", 0)};
    auto s7 = endpoint(loop, o7);
    auto taken_tp = co_await std::move(s7);  // no structured binding: lambdas capture them
    auto& taken = std::get<0>(taken_tp);
    auto& tp = std::get<1>(taken_tp);
    (void)tp;
    DatagramEndpointOptions o8{.local_addr = HostPort("127.0.0.1", sockname(taken).port)};
    auto e8 = endpoint_error(loop, o8);
    const std::string m8 = co_await std::move(e8);
    CHECK(m8.find("in use") != std::string::npos);
    taken->close();
    co_await asyncio::sleep(0);
  }(*f.loop));
}

TEST_CASE("An existing datagram socket is adopted (test_create_datagram_endpoint_sock)", "[datagram][net]") {
  LoopFixture f;
  test::run_net(f, [](asyncio::EventLoop& loop) -> Coro<> {
    asyncio::Socket udp(AF_INET, SOCK_DGRAM);
    udp.bind("127.0.0.1", 0);
    const SockAddr addr = udp.getsockname();
    DatagramEndpointOptions o{.sock = udp.detach()};
    auto c = endpoint(loop, o);
    auto t_p = co_await std::move(c);  // no structured binding: lambdas capture them
    auto& t = std::get<0>(t_p);
    auto& p = std::get<1>(t_p);
    CHECK(sockname(t) == addr);
    asyncio::Socket peer(AF_INET, SOCK_DGRAM);
    peer.sendto("adopted", addr);
    auto pred4 = [&] { return !p->datagrams.empty(); };
    auto waiting4 = test::wait_until(pred4);
    const bool ok = co_await std::move(waiting4);
    REQUIRE(ok);
    CHECK(p->datagrams[0].first == "adopted");
    t->abort();
    Future<void> lost = *p->lost;
    co_await lost;
    CHECK(p->events == std::vector<std::string>{"made", "lost"});
  }(*f.loop));
}

TEST_CASE("ICMP port unreachable reaches error_received and the endpoint stays open", "[datagram][net]") {
  // Python: _SelectorDatagramTransport._read_ready: OSError -> error_received.
  LoopFixture f;
  test::run_net(f, [](asyncio::EventLoop& loop) -> Coro<> {
    int port;
    {
      asyncio::Socket s(AF_INET, SOCK_DGRAM);
      s.bind("127.0.0.1", 0);
      port = s.getsockname().port;
    }  // nothing listens there now
    DatagramEndpointOptions o{.remote_addr = HostPort("127.0.0.1", port)};
    auto c = endpoint(loop, o);
    auto t_p = co_await std::move(c);  // no structured binding: lambdas capture them
    auto& t = std::get<0>(t_p);
    auto& p = std::get<1>(t_p);
    t->sendto("anyone?");
    auto pred5 = [&] { return !p->errors.empty(); };
    auto waiting5 = test::wait_until(pred5);
    const bool ok = co_await std::move(waiting5);
    REQUIRE(ok);
    CHECK(test::errno_of(p->errors[0]) == ECONNREFUSED);
    CHECK_FALSE(t->is_closing());
    t->close();
    co_await asyncio::sleep(0);
  }(*f.loop));
}

TEST_CASE("Flow control pauses above the high-water mark and resumes once drained", "[datagram][net]") {
  // Python: _SelectorDatagramTransport.sendto buffers on EAGAIN and counts
  // len(data) + 8; _FlowControlMixin pauses strictly above high.
  LoopFixture f;
  test::run_net(f, [](asyncio::EventLoop& loop) -> Coro<> {
    // UDP over loopback never says EAGAIN (the receiver drops instead);
    // an AF_UNIX datagram pair does once the receiver's queue is full.
    auto src_sink = asyncio::socketpair(AF_UNIX, SOCK_DGRAM);  // no structured binding: lambdas capture them
    auto& src = src_sink.first;
    auto& sink = src_sink.second;
    DatagramEndpointOptions o{.sock = src.detach()};
    auto c = endpoint(loop, o);
    auto t_p = co_await std::move(c);  // no structured binding: lambdas capture them
    auto& t = std::get<0>(t_p);
    auto& p = std::get<1>(t_p);
    t->set_write_buffer_limits(4000);
    CHECK(t->get_write_buffer_limits() == std::pair<std::size_t, std::size_t>(1000, 4000));
    const std::string chunk(1000, 'd');
    int sent = 0;
    while (t->get_write_buffer_size() <= 4000 && sent < 10000) {
      t->sendto(chunk);
      ++sent;
    }
    CHECK(t->get_write_buffer_size() > 4000);
    CHECK(t->get_write_buffer_size() % (chunk.size() + 8) == 0);
    CHECK(p->events == std::vector<std::string>{"made", "pause"});
    // Drain the sink: the kernel frees the sender's buffer, the transport
    // sends what it buffered and resumes the protocol.
    sink.setblocking(false);
    auto drain = [&] {
      char buf[2048];
      while (sink.try_recv_into(std::span<char>(buf, sizeof buf))) {
      }
      return t->get_write_buffer_size() == 0;
    };
    auto draining = test::wait_until(drain);
    const bool drained = co_await std::move(draining);
    REQUIRE(drained);
    CHECK(p->events == std::vector<std::string>{"made", "pause", "resume"});
    // close() with an empty buffer: connection_lost follows.
    t->close();
    Future<void> lost = *p->lost;
    co_await lost;
  }(*f.loop));
  CHECK(f.errors.empty());
}

TEST_CASE("abort drops buffered datagrams, and sendto after close is dropped", "[datagram][net]") {
  LoopFixture f;
  test::run_net(f, [](asyncio::EventLoop& loop) -> Coro<> {
    // UDP over loopback never says EAGAIN (the receiver drops instead);
    // an AF_UNIX datagram pair does once the receiver's queue is full.
    auto src_sink = asyncio::socketpair(AF_UNIX, SOCK_DGRAM);  // no structured binding: lambdas capture them
    auto& src = src_sink.first;
    auto& sink = src_sink.second;
    (void)sink;
    DatagramEndpointOptions o{.sock = src.detach()};
    auto c = endpoint(loop, o);
    auto t_p = co_await std::move(c);  // no structured binding: lambdas capture them
    auto& t = std::get<0>(t_p);
    auto& p = std::get<1>(t_p);
    const std::string chunk(1000, 'a');
    for (int i = 0; i < 200 && t->get_write_buffer_size() == 0; ++i) t->sendto(chunk);
    REQUIRE(t->get_write_buffer_size() > 0);
    t->abort();
    CHECK(t->get_write_buffer_size() == 0);
    CHECK(t->is_closing());
    Future<void> lost = *p->lost;
    co_await lost;
    CHECK(p->events.back() == "lost");
    t->sendto("late");  // dropped silently, as CPython does
    CHECK(p->errors.empty());
  }(*f.loop));
}

TEST_CASE("100,000 datagrams through a UDP echo with 64 in flight, each checked, none lost",
          "[datagram][net][large-heap]") {
  LoopFixture f;
  struct Client : Recorder {
    std::size_t next = 0, received = 0, bad = 0, total = 0;
    std::vector<bool> seen;
    std::optional<asyncio::Future<void>> done;
    void send_next() {
      const std::string msg = "datagram " + std::to_string(next++);
      transport->sendto(msg);
    }
    void datagram_received(std::string_view data, const SockAddr&) override {
      const std::string s(data);
      if (s.rfind("datagram ", 0) != 0) {
        ++bad;
      } else {
        const std::size_t n = std::stoul(s.substr(9));
        if (n >= seen.size() || seen[n]) ++bad;
        else seen[n] = true;
      }
      ++received;
      if (next < total) send_next();
      if (received == total && done) done->set_result();
    }
  };
  test::run_net(
      f,
      [](asyncio::EventLoop& loop) -> Coro<> {
        DatagramEndpointOptions so{.local_addr = HostPort("127.0.0.1", 0)};
        auto s = endpoint(loop, so);
        auto server_sp = co_await std::move(s);  // no structured binding: lambdas capture them
        auto& server = std::get<0>(server_sp);
        auto& sp = std::get<1>(server_sp);
        sp->echo = true;
        const std::size_t kTotal = 100000;
        auto factory = [] { return std::make_shared<Client>(); };
        DatagramEndpointOptions co{.remote_addr = HostPort("127.0.0.1", sockname(server).port)};
        auto made = loop.create_datagram_endpoint(factory, co);
        auto client_cp = co_await std::move(made);  // no structured binding: lambdas capture them
        auto& client = std::get<0>(client_cp);
        auto& cp = std::get<1>(client_cp);
        cp->total = kTotal;
        cp->seen.assign(kTotal, false);
        cp->done.emplace(loop.create_future());
        for (int i = 0; i < 64; ++i) cp->send_next();
        // A lost datagram would stall the window: wait with a deadline and count.
        Future<void> done = *cp->done;
        auto waiting = asyncio::wait_for(done, 100.0);
        try {
          co_await std::move(waiting);
        } catch (const asyncio::TimeoutError&) {
        }
        std::size_t lost = kTotal - cp->received;
        CHECK(lost == 0);
        CHECK(cp->bad == 0);
        CHECK(sp->errors.empty());
        CHECK(cp->errors.empty());
        client->close();
        server->close();
        co_await asyncio::sleep(0);
      }(*f.loop),
      110.0);
}

TEST_CASE("allow_broadcast with remote_addr sends there without connecting (test_create_datagram_endpoint_sockopts)",
          "[datagram][net]") {
  // Python: with allow_broadcast the socket gets SO_BROADCAST and is not
  // connected; remote_addr becomes the transport's default address.
  LoopFixture f;
  test::run_net(f, [](asyncio::EventLoop& loop) -> Coro<> {
    DatagramEndpointOptions so{.local_addr = HostPort("127.0.0.1", 0)};
    auto s = endpoint(loop, so);
    auto server_sp = co_await std::move(s);  // no structured binding: lambdas capture them
    auto& server = std::get<0>(server_sp);
    auto& sp = std::get<1>(server_sp);
    const SockAddr saddr = sockname(server);
    DatagramEndpointOptions co{.remote_addr = HostPort("127.0.0.1", saddr.port), .allow_broadcast = true};
    auto c = endpoint(loop, co);
    auto client_cp = co_await std::move(c);  // no structured binding: lambdas capture them
    auto& client = std::get<0>(client_cp);
    auto& cp = std::get<1>(client_cp);
    (void)cp;
    CHECK_FALSE(client->get_extra_info("peername").has_value());
    const auto info = std::any_cast<asyncio::TransportSocket>(client->get_extra_info("socket"));
    int on = 0;
    socklen_t len = sizeof on;
    ::getsockopt(info.fileno(), SOL_SOCKET, SO_BROADCAST, &on, &len);
    CHECK(on != 0);
    client->sendto("to the default address");
    auto pred = [&] { return !sp->datagrams.empty(); };
    auto waiting = test::wait_until(pred);
    const bool ok = co_await std::move(waiting);
    REQUIRE(ok);
    CHECK(sp->datagrams[0].first == "to the default address");
    client->close();
    server->close();
    co_await asyncio::sleep(0);
  }(*f.loop));
}

TEST_CASE("reuse_port lets two endpoints bind one port (test_create_datagram_endpoint_reuse_port)",
          "[datagram][net]") {
  LoopFixture f;
  test::run_net(f, [](asyncio::EventLoop& loop) -> Coro<> {
    DatagramEndpointOptions o1{.local_addr = HostPort("127.0.0.1", 0), .reuse_port = true};
    auto a = endpoint(loop, o1);
    auto first_fp = co_await std::move(a);  // no structured binding: lambdas capture them
    auto& first = std::get<0>(first_fp);
    auto& fp = std::get<1>(first_fp);
    (void)fp;
    DatagramEndpointOptions o2{.local_addr = HostPort("127.0.0.1", sockname(first).port), .reuse_port = true};
    auto b = endpoint(loop, o2);
    auto second_sp = co_await std::move(b);  // no structured binding: lambdas capture them
    auto& second = std::get<0>(second_sp);
    auto& sp = std::get<1>(second_sp);
    (void)sp;
    CHECK(sockname(second).port == sockname(first).port);
    first->close();
    second->close();
    co_await asyncio::sleep(0);
  }(*f.loop));
}
