// Name resolution, connecting (errors, Happy Eyeballs, local addresses),
// staggered_race, and the backend's network interface. Python:
// loop.getaddrinfo()/getnameinfo()/create_connection() and
// asyncio.staggered, pinned to CPython 3.13.
#include <asyncio/detail/net.hpp>
#include <cstring>
#include <map>

#include "net_support.hpp"

using asyncio::Coro;
using test::LoopFixture;
using test::RecordingProtocol;

namespace {

using test::free_port;

asyncio::AddrInfo v4(int port) {
  asyncio::AddrInfo ai;
  ai.family = AF_INET;
  ai.type = SOCK_STREAM;
  ai.proto = IPPROTO_TCP;
  ai.sockaddr.family = AF_INET;
  ai.sockaddr.host = "127.0.0.1";
  ai.sockaddr.port = port;
  return ai;
}

// The default backend, except that names in `names` resolve to the given
// addresses (a test DNS): connecting to several addresses needs a name
// with several addresses, and this machine's /etc/hosts has none.
class FakeDnsBackend final : public asyncio::Backend {
 public:
  std::map<std::string, std::vector<asyncio::AddrInfo>> names;

  void attach(asyncio::EventLoop& loop) override {
    Backend::attach(loop);
    inner_->attach(loop);
  }
  void poll(double timeout) override { inner_->poll(timeout); }
  void wake() noexcept override { inner_->wake(); }
  void close() override { inner_->close(); }
  std::vector<std::string> open_at_close() const override { return inner_->open_at_close(); }
  double time() const noexcept override { return inner_->time(); }
  std::string platform() const override { return inner_->platform(); }
  bool supports_network() const noexcept override { return true; }
  asyncio::Future<std::vector<asyncio::AddrInfo>> getaddrinfo(const std::optional<std::string>& host,
                                                              const std::optional<std::string>& port, int family,
                                                              int type, int proto, int flags) override {
    if (host) {
      auto it = names.find(*host);
      if (it != names.end()) {
        asyncio::Future<std::vector<asyncio::AddrInfo>> f(*event_loop_);
        f.set_result(it->second);
        return f;
      }
    }
    return inner_->getaddrinfo(host, port, family, type, proto, flags);
  }
  asyncio::Future<asyncio::NameInfo> getnameinfo(const asyncio::SockAddr& a, int flags) override {
    return inner_->getnameinfo(a, flags);
  }
  asyncio::Future<asyncio::StreamSocketPtr> sock_connect(const asyncio::AddrInfo& remote,
                                                         const asyncio::SockAddr* local) override {
    return inner_->sock_connect(remote, local);
  }
  asyncio::ListeningSocketPtr sock_listen(const asyncio::AddrInfo& a, const asyncio::ListenOptions& o) override {
    return inner_->sock_listen(a, o);
  }

 private:
  std::unique_ptr<asyncio::Backend> inner_ = asyncio::make_default_backend();
};

// The strict loop fixture on a FakeDnsBackend.
struct FakeDnsFixture : test::LoopFixture {
  FakeDnsBackend* backend;
  /// `virtual_time`: the loop's clock is an asyncio::testing virtual clock.
  explicit FakeDnsFixture(bool virtual_time = false) : FakeDnsFixture(std::make_unique<FakeDnsBackend>(), virtual_time) {}
  FakeDnsFixture(std::unique_ptr<FakeDnsBackend> b, bool virtual_time)
      : LoopFixture(virtual_time ? asyncio::testing::new_virtual_time_loop(std::move(b))
                                 : std::make_shared<asyncio::EventLoop>(std::move(b))),
        backend(static_cast<FakeDnsBackend*>(&loop->backend())) {}
  template <class T>
  T run(Coro<T> c, double timeout = 20) {
    asyncio::TimerHandle w = loop->call_later(timeout, [l = loop.get()] { l->stop(); });
    struct Cancel {
      asyncio::TimerHandle& h;
      ~Cancel() { h.cancel(); }
    } cancel{w};
    return loop->run_until_complete(std::move(c));
  }
};

Coro<std::shared_ptr<asyncio::Server>> listener(asyncio::EventLoop& loop) {
  auto factory = [&loop] { return std::make_shared<RecordingProtocol>(loop); };
  co_return co_await loop.create_server(factory, "127.0.0.1", 0);
}

asyncio::ProtocolFactory recorder(asyncio::EventLoop& loop) {
  return [&loop] { return std::make_shared<RecordingProtocol>(loop); };
}

}  // namespace

// ---- Name resolution ----

TEST_CASE("getaddrinfo resolves names and numeric hosts", "[sock][net]") {
  LoopFixture f;
  test::run_net(f, [](asyncio::EventLoop& loop) -> Coro<> {
    asyncio::AddrInfoOptions stream;
    stream.type = SOCK_STREAM;
    auto infos = co_await loop.getaddrinfo("localhost", 80, stream);
    REQUIRE(!infos.empty());
    bool found = false;
    for (const auto& ai : infos) {
      CHECK(ai.type == SOCK_STREAM);
      if (ai.family == AF_INET && ai.sockaddr.host == "127.0.0.1" && ai.sockaddr.port == 80) found = true;
    }
    CHECK(found);
    // A numeric host needs no resolver (Python's _ipaddr_info): one result.
    auto numeric = co_await loop.getaddrinfo("::1", "8080", stream);
    REQUIRE(numeric.size() == 1);
    CHECK(numeric[0].family == AF_INET6);
    CHECK(numeric[0].proto == IPPROTO_TCP);
    CHECK(numeric[0].sockaddr.repr() == "('::1', 8080, 0, 0)");
    // Python: socket.getnameinfo(('127.0.0.1', 80), 0) == ('localhost', 'http')
    asyncio::SockAddr addr{AF_INET, "127.0.0.1", 80};
    auto names = co_await loop.getnameinfo(addr);
    CHECK(names == asyncio::NameInfo("localhost", "http"));
    auto numeric_names = co_await loop.getnameinfo(addr, NI_NUMERICHOST | NI_NUMERICSERV);
    CHECK(numeric_names == asyncio::NameInfo("127.0.0.1", "80"));
  }(*f.loop));
}

TEST_CASE("A bad host name raises a getaddrinfo error naming the host", "[sock][net]") {
  LoopFixture f;
  test::run_net(f, [](asyncio::EventLoop& loop) -> Coro<> {
    auto factory = recorder(loop);
    std::exception_ptr e = co_await test::error_of(loop.create_connection(factory, "nonexistent.invalid", 80));
    REQUIRE(e);
    try {
      std::rethrow_exception(e);
    } catch (const std::system_error& err) {
      CHECK(err.code().category() == asyncio::gai_category());
      // EAI_NONAME, or EAI_AGAIN where there is no resolver at all.
      CHECK((err.code().value() == EAI_NONAME || err.code().value() == EAI_AGAIN));
      CHECK(std::string(err.what()).find("getaddrinfo('nonexistent.invalid', 80): ") == 0);
      CHECK(err.code().message() == gai_strerror(err.code().value()));
    }
    // An unknown service: Python's gaierror EAI_SERVICE.
    asyncio::AddrInfoOptions stream;
    stream.type = SOCK_STREAM;
    std::exception_ptr e2 = co_await test::error_of(loop.getaddrinfo("localhost", "nosuchservice", stream));
    CHECK(test::errno_of(e2) == EAI_SERVICE);
  }(*f.loop));
}

TEST_CASE("A port out of range raises EINVAL naming the host", "[sock][net]") {
  LoopFixture f;
  test::run_net(f, [](asyncio::EventLoop& loop) -> Coro<> {
    auto factory = recorder(loop);
    std::exception_ptr e = co_await test::error_of(loop.create_connection(factory, "127.0.0.1", 70000));
    CHECK(test::errno_of(e) == EINVAL);
    CHECK(test::message_of(e).find("port must be 0-65535, got 70000 for host '127.0.0.1'") == 0);
    std::exception_ptr e2 = co_await test::error_of(loop.getaddrinfo("127.0.0.1", -1));
    CHECK(test::errno_of(e2) == EINVAL);
  }(*f.loop));
}

// ---- Connection errors ----

TEST_CASE("A refused connection raises ECONNREFUSED naming the address", "[sock][net]") {
  LoopFixture f;
  test::run_net(f, [](asyncio::EventLoop& loop) -> Coro<> {
    const int port = free_port();
    auto factory = recorder(loop);
    std::exception_ptr e = co_await test::error_of(loop.create_connection(factory, "127.0.0.1", port));
    CHECK(test::errno_of(e) == ECONNREFUSED);
    // Python: "[Errno 111] Connect call failed ('127.0.0.1', <port>)"
    CHECK(test::message_of(e) == "Connect call failed ('127.0.0.1', " + std::to_string(port) +
                                     "): " + test::os_strerror(ECONNREFUSED));
  }(*f.loop));
}

TEST_CASE("An unreachable address raises the OS error naming it", "[sock][net]") {
  LoopFixture f;
  test::run_net(f, [](asyncio::EventLoop& loop) -> Coro<> {
    auto factory = recorder(loop);
    // 2001:db8::/32 is for documentation: never routed. Where the machine
    // has no route it fails within seconds (neighbour discovery for the
    // gateway can take a few); where it is routed somewhere, give up.
    auto attempt = asyncio::create_task(test::error_of(loop.create_connection(factory, "2001:db8::1", 80)));
    asyncio::TimerHandle give_up = loop.call_later(6.0, [attempt]() mutable { attempt.cancel(); });
    std::exception_ptr e;
    try {
      e = co_await attempt;
    } catch (const asyncio::CancelledError&) {
      WARN("skipped: this machine routes 2001:db8::/32 somewhere");
      co_return;
    }
    give_up.cancel();
    const int code = test::errno_of(e);
    INFO("error: " << (e ? test::message_of(e) : std::string("none")) << " errno " << code);
    CHECK((code == EHOSTUNREACH || code == ENETUNREACH || code == EADDRNOTAVAIL || code == EAFNOSUPPORT));
    CHECK(test::message_of(e).find("2001:db8::1") != std::string::npos);
  }(*f.loop));
}

// ---- Several addresses: error aggregation and Happy Eyeballs ----

TEST_CASE("create_connection tries every address and raises every distinct error", "[sock][net]") {
  FakeDnsFixture f;
  const int p1 = free_port();
  const int p2 = free_port();
  f.backend->names["two.test"] = {v4(p1), v4(p2)};
  f.backend->names["same.test"] = {v4(p1), v4(p1)};
  f.run([](asyncio::EventLoop& loop, int port1, int port2) -> Coro<> {
    auto factory = recorder(loop);
    const std::string refused = test::os_strerror(ECONNREFUSED);
    std::exception_ptr e = co_await test::error_of(loop.create_connection(factory, "two.test", 0));
    if (port1 != port2) {
      CHECK(test::message_of(e) == "Multiple exceptions: Connect call failed ('127.0.0.1', " + std::to_string(port1) +
                                       "): " + refused + ", Connect call failed ('127.0.0.1', " +
                                       std::to_string(port2) + "): " + refused);
      CHECK(test::errno_of(e) == 0);  // Python: OSError without errno
    }
    // Errors that read the same: the first one itself.
    std::exception_ptr same = co_await test::error_of(loop.create_connection(factory, "same.test", 0));
    CHECK(test::errno_of(same) == ECONNREFUSED);
    // all_errors: an ExceptionGroup with each attempt's error.
    asyncio::ConnectionOptions all;
    all.all_errors = true;
    std::exception_ptr group = co_await test::error_of(loop.create_connection(factory, "two.test", 0, all));
    try {
      std::rethrow_exception(group);
    } catch (const asyncio::ExceptionGroup& g) {
      CHECK(g.message() == "create_connection failed");
      REQUIRE(g.exceptions().size() == 2);
      CHECK(test::errno_of(g.exceptions()[0]) == ECONNREFUSED);
    } catch (...) {
      FAIL("not an ExceptionGroup");
    }
  }(*f.loop, p1, p2));
}

TEST_CASE("create_connection moves on to the next address after a failure", "[sock][net]") {
  FakeDnsFixture f;
  f.run([](FakeDnsBackend& backend, asyncio::EventLoop& loop) -> Coro<> {
    auto server = co_await listener(loop);
    backend.names["mixed.test"] = {v4(free_port()), v4(test::port_of(server))};
    auto factory = recorder(loop);
    auto [t, p] = co_await loop.create_connection(factory, "mixed.test", 0);
    CHECK(std::any_cast<asyncio::SockAddr>(t->get_extra_info("peername")).port == test::port_of(server));
    t->close();
    server->close();
    server->abort_clients();
    co_await server->wait_closed();
  }(*f.backend, *f.loop));
}

TEST_CASE("Happy Eyeballs starts the next attempt after the delay and the first success wins", "[sock][net][os-sockets]") {
  // Virtual time: the first attempt hangs (its SYN is dropped) and the clock
  // jumps to the delay, so the figures below are exact on any machine.
  FakeDnsFixture f(/*virtual_time=*/true);
  test::HangingListener hang;
  f.run([](FakeDnsBackend& backend, asyncio::EventLoop& loop, int hanging) -> Coro<> {
    auto server = co_await listener(loop);
    backend.names["slow-then-fast.test"] = {v4(hanging), v4(test::port_of(server))};
    auto factory = recorder(loop);
    asyncio::ConnectionOptions he;
    he.happy_eyeballs_delay = 0.05;
    const double t0 = loop.time();
    auto [t, p] = co_await loop.create_connection(factory, "slow-then-fast.test", 0, he);
    const double elapsed = loop.time() - t0;
    CHECK(std::any_cast<asyncio::SockAddr>(t->get_extra_info("peername")).port == test::port_of(server));
    CHECK(elapsed == Approx(0.05));  // the second attempt started after the delay, and won
    t->close();
    // Every address fails: the errors are aggregated as without it.
    const int p1 = free_port();
    backend.names["all-fail.test"] = {v4(p1), v4(p1)};
    std::exception_ptr e = co_await test::error_of(loop.create_connection(factory, "all-fail.test", 0, he));
    CHECK(test::errno_of(e) == ECONNREFUSED);
    server->close();
    server->abort_clients();
    co_await server->wait_closed();
  }(*f.backend, *f.loop, hang.port));
  CHECK(f.errors.empty());
}

TEST_CASE("create_connection binds to local_addr and reports bind errors", "[sock][net]") {
  LoopFixture f;
  test::run_net(f, [](asyncio::EventLoop& loop) -> Coro<> {
    auto server = co_await listener(loop);
    auto factory = recorder(loop);
    asyncio::ConnectionOptions local;
    local.local_addr = std::pair<std::string, int>("127.0.0.1", 0);
    auto [t, p] = co_await loop.create_connection(factory, "127.0.0.1", test::port_of(server), local);
    auto name = std::any_cast<asyncio::SockAddr>(t->get_extra_info("sockname"));
    CHECK(name.host == "127.0.0.1");
    // A local port in use (the server's): the bind error, naming the address.
    asyncio::ConnectionOptions busy;
    busy.local_addr = std::pair<std::string, int>("127.0.0.1", test::port_of(server));
    std::exception_ptr e = co_await test::error_of(loop.create_connection(factory, "127.0.0.1", test::port_of(server), busy));
    CHECK(test::errno_of(e) == EADDRINUSE);
    CHECK(test::message_of(e).find("error while attempting to bind on address ('127.0.0.1', " +
                                   std::to_string(test::port_of(server)) + ")") == 0);
    // No local address of the remote's family.
    asyncio::ConnectionOptions v6;
    v6.local_addr = std::pair<std::string, int>("::1", 0);
    std::exception_ptr e2 = co_await test::error_of(loop.create_connection(factory, "127.0.0.1", test::port_of(server), v6));
    CHECK(test::message_of(e2) == "no matching local address with family=AddressFamily.AF_INET found");
    t->close();
    server->close();
    server->abort_clients();
    co_await server->wait_closed();
  }(*f.loop));
}

// ---- staggered_race and address interleaving ----

namespace {

Coro<int> attempt(double delay, bool ok, int value, std::vector<std::string>* log) {
  log->push_back("start " + std::to_string(value));
  try {
    co_await asyncio::sleep(delay);
  } catch (const asyncio::CancelledError&) {
    log->push_back("cancelled " + std::to_string(value));
    throw;
  }
  if (!ok) throw asyncio::ValueError("attempt " + std::to_string(value) + " failed");
  co_return value;
}

}  // namespace

TEST_CASE("staggered_race starts the next coroutine on failure or after the delay", "[sock]") {
  LoopFixture f;
  std::vector<std::string> log;
  test::run_net(f, [](std::vector<std::string>& events) -> Coro<> {
    // 0 fails at once (1 starts at once), 1 hangs (2 starts after the
    // delay), 2 succeeds: 1 is cancelled.
    std::vector<std::function<Coro<int>()>> fns;
    fns.emplace_back([&events] { return attempt(0, false, 0, &events); });
    fns.emplace_back([&events] { return attempt(10, true, 1, &events); });
    fns.emplace_back([&events] { return attempt(0.01, true, 2, &events); });
    fns.emplace_back([&events] { return attempt(0, true, 3, &events); });
    auto result = co_await asyncio::staggered_race<int>(std::move(fns), 0.05);
    REQUIRE(result.winner_index);
    CHECK(*result.winner_index == 2);
    CHECK(*result.winner_result == 2);
    REQUIRE(result.exceptions.size() == 3);  // three started
    CHECK(test::message_of(result.exceptions[0]) == "attempt 0 failed");
    CHECK(!result.exceptions[1]);  // cancelled: no error recorded
    CHECK(!result.exceptions[2]);
  }(log));
  CHECK(log == std::vector<std::string>{"start 0", "start 1", "start 2", "cancelled 1"});
}

TEST_CASE("staggered_race without a delay starts the next only on failure", "[sock]") {
  LoopFixture f;
  std::vector<std::string> log;
  test::run_net(f, [](std::vector<std::string>& events) -> Coro<> {
    std::vector<std::function<Coro<int>()>> fns;
    fns.emplace_back([&events] { return attempt(0.02, false, 0, &events); });
    fns.emplace_back([&events] { return attempt(0, false, 1, &events); });
    auto result = co_await asyncio::staggered_race<int>(std::move(fns), std::nullopt);
    CHECK(!result.winner_index);
    CHECK(!result.winner_result);
    REQUIRE(result.exceptions.size() == 2);
    CHECK(test::message_of(result.exceptions[1]) == "attempt 1 failed");
  }(log));
  CHECK(log == std::vector<std::string>{"start 0", "start 1"});
}

TEST_CASE("Cancelling staggered_race cancels and awaits every attempt", "[sock]") {
  LoopFixture f;
  std::vector<std::string> log;
  test::run_net(f, [](std::vector<std::string>& events) -> Coro<> {
    std::vector<std::function<Coro<int>()>> fns;
    fns.emplace_back([&events] { return attempt(10, true, 0, &events); });
    fns.emplace_back([&events] { return attempt(10, true, 1, &events); });
    auto race = asyncio::create_task(asyncio::staggered_race<int>(std::move(fns), 0.01));
    co_await asyncio::sleep(0.05);
    race.cancel();
    const bool cancelled = co_await test::raises<asyncio::CancelledError>(race);
    CHECK(cancelled);
    CHECK(asyncio::all_tasks().size() == 1);  // only this one: the attempts are done
  }(log));
  CHECK(log == std::vector<std::string>{"start 0", "start 1", "cancelled 0", "cancelled 1"});
}

TEST_CASE("Addresses are interleaved by family as CPython does", "[sock]") {
  std::vector<asyncio::AddrInfo> infos;
  for (auto [family, name] : std::vector<std::pair<int, std::string>>{
           {AF_INET, "a"}, {AF_INET, "b"}, {AF_INET6, "c"}, {AF_INET6, "d"}, {AF_INET, "e"}, {AF_INET6, "f"}, {AF_INET, "g"}}) {
    asyncio::AddrInfo ai;
    ai.family = family;
    ai.sockaddr.host = name;
    infos.push_back(ai);
  }
  auto names = [](const std::vector<asyncio::AddrInfo>& v) {
    std::string s;
    for (const auto& ai : v) s += ai.sockaddr.host;
    return s;
  };
  // Python: [i[4][0] for i in _interleave_addrinfos(infos, n)]
  CHECK(names(asyncio::detail::interleave_addrinfos(infos, 1)) == "acbdefg");
  CHECK(names(asyncio::detail::interleave_addrinfos(infos, 2)) == "abcedgf");
  CHECK(names(asyncio::detail::interleave_addrinfos(infos, 4)) == "abegcdf");
}

// ---- Platforms without networking ----

namespace {
class NoNetworkBackend final : public asyncio::Backend {
 public:
  void poll(double) override {}
  void wake() noexcept override {}
  std::string platform() const override { return "test-platform"; }
};
}  // namespace

TEST_CASE("Every network method raises NotImplementedError on a backend without networking", "[sock]") {
  auto loop = std::make_shared<asyncio::EventLoop>(std::make_unique<NoNetworkBackend>());
  auto factory = recorder(*loop);
  auto check = [](auto&& call, const std::string& method) {
    try {
      auto coro = call();
      (void)coro.handle();
      FAIL("no exception for " << method);
    } catch (const asyncio::NotImplementedError& e) {
      CHECK(std::string(e.what()) == method + " is not available on test-platform");
    }
  };
  check([&] { return loop->getaddrinfo("localhost", 80); }, "getaddrinfo");
  check([&] { return loop->getnameinfo(asyncio::SockAddr{AF_INET, "127.0.0.1", 80}); }, "getnameinfo");
  check([&] { return loop->create_connection(factory, "localhost", 80); }, "create_connection");
  check([&] { return loop->create_server(factory, "localhost", 80); }, "create_server");
  check([&] { return loop->create_unix_connection(factory, "/tmp/x"); }, "create_unix_connection");
  check([&] { return loop->create_unix_server(factory, "/tmp/x"); }, "create_unix_server");
  check([&] { return loop->connect_accepted_socket(factory, 0); }, "connect_accepted_socket");
  // The backend's own defaults name the loop method they serve.
  NoNetworkBackend b;
  CHECK_THROWS_WITH(b.sock_connect(asyncio::AddrInfo{}, nullptr), "create_connection is not available on test-platform");
  CHECK_THROWS_WITH(b.sock_listen_unix("/x", {}), "create_unix_server is not available on test-platform");
  CHECK_THROWS_AS(b.sock_adopt(0, 0), asyncio::NotImplementedError);
  loop->close();
}
