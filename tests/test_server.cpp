// Servers over real loopback sockets. Python: base_events.Server and
// create_server()/create_unix_server(), pinned to CPython 3.13.
#include "net_support.hpp"

using asyncio::Coro;
using test::LoopFixture;
using test::Counter;
using test::RecordingProtocol;
using test::connect;

TEST_CASE("create_server on port 0 picks a free port and serves", "[server][net]") {
  LoopFixture f;
  Counter counter;
  test::run_net(f, [](asyncio::EventLoop& loop, Counter& c) -> Coro<> {
    auto server = co_await loop.create_server(c.factory(loop), "127.0.0.1", 0);
    CHECK(server->is_serving());
    CHECK(&server->get_loop() == &loop);
    REQUIRE(server->sockets().size() == 1);
    const asyncio::TransportSocket sock = server->sockets()[0];
    CHECK(sock.family() == AF_INET);
    CHECK(sock.getsockname().port > 0);
    CHECK(server->repr() == "<Server sockets=(" + sock.repr() + ",)>");
    auto client = co_await connect(loop, sock.getsockname().port);
    client->transport->write("hi");
    {
      const bool ok = co_await test::wait_until([&] { return !c.protocols.empty() && c.protocols[0]->received == "hi"; });
      REQUIRE(ok);
    }
    client->transport->close();
    server->close();
    CHECK(server->sockets().empty());
    CHECK(server->repr() == "<Server sockets=()>");
    co_await server->wait_closed();
  }(*f.loop, counter));
  CHECK(f.errors.empty());
}

TEST_CASE("create_server listens on several hosts each on its own port", "[server][net]") {
  if (!test::have_ipv6_loopback()) {
    WARN("skipped: no IPv6 loopback");
    return;
  }
  LoopFixture f;
  Counter counter;
  test::run_net(f, [](asyncio::EventLoop& loop, Counter& c) -> Coro<> {
    std::vector<std::string> hosts{"127.0.0.1", "::1"};
    auto server = co_await loop.create_server(c.factory(loop), hosts, 0);
    REQUIRE(server->sockets().size() == 2);
    const auto a = server->sockets()[0].getsockname();
    const auto b = server->sockets()[1].getsockname();
    CHECK(a.host == "127.0.0.1");
    CHECK(b.host == "::1");
    CHECK(b.repr() == "('::1', " + std::to_string(b.port) + ", 0, 0)");
    auto c4 = co_await connect(loop, a.port, "127.0.0.1");
    auto c6 = co_await connect(loop, b.port, "::1");
    {
      const bool ok = co_await test::wait_until([&] { return c.protocols.size() == 2; });
      REQUIRE(ok);
    }
    c4->transport->close();
    c6->transport->close();
    server->close();
    co_await server->wait_closed();
  }(*f.loop, counter));
}

TEST_CASE("create_server without a host listens on every interface one socket per family", "[server][net]") {
  LoopFixture f;
  Counter counter;
  test::run_net(f, [](asyncio::EventLoop& loop, Counter& c) -> Coro<> {
    auto server = co_await loop.create_server(c.factory(loop), std::nullopt, 0);
    REQUIRE(!server->sockets().empty());
    bool any_v4 = false;
    for (const auto& s : server->sockets()) {
      if (s.family() == AF_INET) {
        any_v4 = true;
        CHECK(s.getsockname().host == "0.0.0.0");
      } else {
        CHECK(s.getsockname().host == "::");
      }
    }
    CHECK(any_v4);
    // "" means every interface too.
    auto server2 = co_await loop.create_server(c.factory(loop), "", 0);
    CHECK(server2->sockets().size() == server->sockets().size());
    server->close();
    server2->close();
    co_await server->wait_closed();
    co_await server2->wait_closed();
  }(*f.loop, counter));
}

TEST_CASE("An address in use raises an OSError naming the address", "[server][net]") {
  LoopFixture f;
  Counter counter;
  test::run_net(f, [](asyncio::EventLoop& loop, Counter& c) -> Coro<> {
    auto server = co_await loop.create_server(c.factory(loop), "127.0.0.1", 0);
    const int port = test::port_of(server);
    std::exception_ptr error = co_await test::error_of(loop.create_server(c.factory(loop), "127.0.0.1", port));
    REQUIRE(error);
    CHECK(test::errno_of(error) == EADDRINUSE);
    // Python: "[Errno 98] error while attempting to bind on address
    // ('127.0.0.1', <port>): address already in use"
    CHECK(test::message_of(error).find("error while attempting to bind on address ('127.0.0.1', " +
                                       std::to_string(port) + ")") == 0);
    server->close();
    co_await server->wait_closed();
  }(*f.loop, counter));
}

TEST_CASE("reuse_port lets two servers share a port", "[server][net][reuse-port]") {
  LoopFixture f;
  Counter counter;
  test::run_net(f, [](asyncio::EventLoop& loop, Counter& c) -> Coro<> {
    asyncio::ServerOptions options;
    options.reuse_port = true;
    if (asyncio::platform::name == "win32") {
      // Winsock has no SO_REUSEPORT. Python: ValueError from _set_reuseport.
      const std::string msg = co_await test::error_message(loop.create_server(c.factory(loop), "127.0.0.1", 0, options));
      CHECK(msg == "reuse_port not supported by socket module");
      co_return;
    }
    auto s1 = co_await loop.create_server(c.factory(loop), "127.0.0.1", 0, options);
    auto s2 = co_await loop.create_server(c.factory(loop), "127.0.0.1", test::port_of(s1), options);
    CHECK(test::port_of(s2) == test::port_of(s1));
    s1->close();
    s2->close();
    co_await s1->wait_closed();
    co_await s2->wait_closed();
  }(*f.loop, counter));
}

TEST_CASE("start_serving false binds without listening until start_serving", "[server][net]") {
  LoopFixture f;
  Counter counter;
  test::run_net(f, [](asyncio::EventLoop& loop, Counter& c) -> Coro<> {
    asyncio::ServerOptions options;
    options.start_serving = false;
    auto server = co_await loop.create_server(c.factory(loop), "127.0.0.1", 0, options);
    CHECK_FALSE(server->is_serving());
    const int port = test::port_of(server);
    // Python: ConnectionRefusedError, the socket is bound but not listening.
    std::exception_ptr error = co_await test::error_of(connect(loop, port));
    CHECK(test::errno_of(error) == ECONNREFUSED);
    co_await server->start_serving();
    co_await server->start_serving();  // idempotent
    CHECK(server->is_serving());
    auto client = co_await connect(loop, port);
    client->transport->close();
    server->close();
    CHECK_FALSE(server->is_serving());
    co_await server->wait_closed();
  }(*f.loop, counter));
}

TEST_CASE("close keeps connections open and wait_closed waits for them", "[server][net]") {
  LoopFixture f;
  Counter counter;
  test::run_net(f, [](asyncio::EventLoop& loop, Counter& c) -> Coro<> {
    auto server = co_await loop.create_server(c.factory(loop), "127.0.0.1", 0);
    auto client = co_await connect(loop, test::port_of(server));
    {
      const bool ok = co_await test::wait_until([&] { return c.protocols.size() == 1; });
      REQUIRE(ok);
    }
    server->close();
    server->close();  // idempotent
    auto waiting = asyncio::create_task(server->wait_closed());
    co_await asyncio::sleep(0.02);
    CHECK_FALSE(waiting.done());  // Python 3.12.1+: waits for the connection
    CHECK_FALSE(c.protocols[0]->transport->is_closing());
    client->transport->write("still open");
    {
      const bool ok = co_await test::wait_until([&] { return c.protocols[0]->received == "still open"; });
      REQUIRE(ok);
    }
    client->transport->close();
    co_await waiting;
    co_await server->wait_closed();  // closed and empty: returns at once
  }(*f.loop, counter));
}

TEST_CASE("serve_forever raises on a second await and on a closed server", "[server][net]") {
  LoopFixture f;
  Counter counter;
  test::run_net(f, [](asyncio::EventLoop& loop, Counter& c) -> Coro<> {
    auto server = co_await loop.create_server(c.factory(loop), "127.0.0.1", 0);
    auto forever = asyncio::create_task(server->serve_forever());
    co_await asyncio::sleep(0);
    const std::string twice = co_await test::error_message(server->serve_forever());
    CHECK(twice == "server " + server->repr() + " is already being awaited on serve_forever()");
    // Cancelling serve_forever() closes the server.
    forever.cancel();
    {
      const bool cancelled = co_await test::raises<asyncio::CancelledError>(forever);
      CHECK(cancelled);
    }
    CHECK_FALSE(server->is_serving());
    CHECK(server->sockets().empty());
    const std::string closed = co_await test::error_message(server->serve_forever());
    CHECK(closed == "server <Server sockets=()> is closed");

    // close() ends a serve_forever() with CancelledError.
    auto server2 = co_await loop.create_server(c.factory(loop), "127.0.0.1", 0);
    auto forever2 = asyncio::create_task(server2->serve_forever());
    co_await asyncio::sleep(0);
    server2->close();
    {
      const bool cancelled = co_await test::raises<asyncio::CancelledError>(forever2);
      CHECK(cancelled);
    }
    co_await server2->wait_closed();
  }(*f.loop, counter));
}

TEST_CASE("close_clients and abort_clients close every client transport", "[server][net]") {
  LoopFixture f;
  Counter counter;
  test::run_net(f, [](asyncio::EventLoop& loop, Counter& c) -> Coro<> {
    auto server = co_await loop.create_server(c.factory(loop), "127.0.0.1", 0);
    const int port = test::port_of(server);
    auto a = co_await connect(loop, port);
    auto b = co_await connect(loop, port);
    {
      const bool ok = co_await test::wait_until([&] { return c.protocols.size() == 2; });
      REQUIRE(ok);
    }
    server->close();
    server->close_clients();
    co_await a->lost;
    co_await b->lost;
    co_await server->wait_closed();
    CHECK(c.protocols[0]->lost_count == 1);
    CHECK(c.protocols[1]->lost_count == 1);

    auto server2 = co_await loop.create_server(c.factory(loop), "127.0.0.1", 0);
    auto d = co_await connect(loop, test::port_of(server2));
    {
      const bool ok = co_await test::wait_until([&] { return c.protocols.size() == 3; });
      REQUIRE(ok);
    }
    server2->close();
    server2->abort_clients();
    co_await d->lost;
    co_await server2->wait_closed();
  }(*f.loop, counter));
}

TEST_CASE("The server keeps accepting after a client resets its connection", "[server][net][os-sockets]") {
  LoopFixture f;
  Counter counter;
  test::run_net(f, [](asyncio::EventLoop& loop, Counter& c) -> Coro<> {
    auto server = co_await loop.create_server(c.factory(loop), "127.0.0.1", 0);
    const int port = test::port_of(server);
    // A raw client that connects and resets at once.
    for (int i = 0; i < 5; ++i) {
      const int fd = test::raw_connect(port);
      REQUIRE(fd >= 0);
      test::raw_reset(fd);
    }
    auto good = co_await connect(loop, port);
    good->transport->write("fine");
    {
      const bool ok = co_await test::wait_until([&] {
        for (auto& p : c.protocols)
          if (p->received == "fine") return true;
        return false;
      });
      REQUIRE(ok);
    }
    good->transport->close();
    server->close();
    server->abort_clients();
    co_await server->wait_closed();
  }(*f.loop, counter));
  CHECK(f.errors.empty());
}

TEST_CASE("A failing protocol factory drops the connection and the server goes on", "[server][net]") {
  LoopFixture f;
  f.expect_report("Error on transport creation for incoming connection");
  f.loop->set_debug(true);  // Python reports the error in debug mode only
  int calls = 0;
  test::run_net(f, [](asyncio::EventLoop& loop, int& n) -> Coro<> {
    auto factory = [&loop, &n]() -> std::shared_ptr<asyncio::BaseProtocol> {
      if (++n == 1) throw asyncio::RuntimeError("factory failed");
      return std::make_shared<RecordingProtocol>(loop);
    };
    auto server = co_await loop.create_server(factory, "127.0.0.1", 0);
    auto dropped = co_await connect(loop, test::port_of(server));
    co_await dropped->lost;  // closed by the server
    auto served = co_await connect(loop, test::port_of(server));
    served->transport->close();
    co_await served->lost;
    server->close();
    server->abort_clients();
    co_await server->wait_closed();
  }(*f.loop, calls));
  CHECK(calls == 2);
  REQUIRE(f.errors.size() == 1);
  CHECK(f.errors[0].message == "Error on transport creation for incoming connection");
  CHECK(test::message_of(f.errors[0].exception) == "factory failed");
}

TEST_CASE("create_server can serve an existing socket", "[server][net][os-sockets]") {
  LoopFixture f;
  Counter counter;
  int port = 0;
  const int fd = test::raw_bound(port);
  REQUIRE(fd >= 0);
  test::run_net(f, [](asyncio::EventLoop& loop, Counter& c, int sock) -> Coro<> {
    asyncio::ServerOptions options;
    options.sock = sock;
    auto server = co_await loop.create_server(c.factory(loop), std::nullopt, std::nullopt, options);
    CHECK(server->sockets().at(0).fileno() == sock);
    auto client = co_await connect(loop, test::port_of(server));
    client->transport->close();
    server->close();
    server->abort_clients();
    co_await server->wait_closed();
    asyncio::ServerOptions none;
    const std::string msg = co_await test::error_message(loop.create_server(c.factory(loop), std::nullopt, std::nullopt, none));
    CHECK(msg == "Neither host/port nor sock were specified");
  }(*f.loop, counter, fd));
}
