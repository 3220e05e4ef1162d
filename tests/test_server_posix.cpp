// Servers on what only POSIX has: AF_UNIX socket files (the EMFILE case,
// CPython's pause in accepting, is in test_emfile.cpp).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "net_support.hpp"

using asyncio::Coro;
using test::LoopFixture;
using test::Counter;
using test::RecordingProtocol;
using test::connect;

TEST_CASE("A unix server removes its socket file on close unless asked not to", "[server][net]") {
  LoopFixture f;
  Counter counter;
  test::TempDir dir;
  test::run_net(f, [](asyncio::EventLoop& loop, Counter& c, const test::TempDir& d) -> Coro<> {
    const std::string path = d.file("server.sock");
    auto server = co_await loop.create_unix_server(c.factory(loop), path);
    CHECK(std::filesystem::is_socket(path));
    CHECK(server->sockets().at(0).getsockname().host == path);
    auto factory = [&loop] { return std::make_shared<RecordingProtocol>(loop); };
    auto [t, p] = co_await loop.create_unix_connection(factory, path);
    auto peer = std::any_cast<asyncio::SockAddr>(t->get_extra_info("peername"));
    CHECK(peer.host == path);
    CHECK(peer.repr() == asyncio::detail::str_repr(path));
    t->close();
    server->close();
    co_await server->wait_closed();
    CHECK_FALSE(std::filesystem::exists(path));

    // cleanup_socket = false leaves the file; a stale socket file is
    // replaced by the next server.
    asyncio::UnixServerOptions keep;
    keep.cleanup_socket = false;
    auto s2 = co_await loop.create_unix_server(c.factory(loop), path, keep);
    s2->close();
    co_await s2->wait_closed();
    CHECK(std::filesystem::is_socket(path));
    auto s3 = co_await loop.create_unix_server(c.factory(loop), path);
    auto [t3, p3] = co_await loop.create_unix_connection(factory, path);
    t3->close();
    s3->close();
    co_await s3->wait_closed();
    CHECK_FALSE(std::filesystem::exists(path));
  }(*f.loop, counter, dir));
  CHECK(f.errors.empty());
}

TEST_CASE("Unix server errors name the path", "[server][net]") {
  LoopFixture f;
  Counter counter;
  test::run_net(f, [](asyncio::EventLoop& loop, Counter& c) -> Coro<> {
    const std::string too_long = "/tmp/" + std::string(200, 'x');
    std::exception_ptr e1 = co_await test::error_of(loop.create_unix_server(c.factory(loop), too_long));
    CHECK(test::errno_of(e1) == ENAMETOOLONG);
    CHECK(test::message_of(e1).find("AF_UNIX path too long '/tmp/xxx") == 0);
    // An abstract name in use (Linux). Python: "Address '\x00...' is already in use".
    if (asyncio::platform::name == "linux") {
      const std::string name = std::string(1, '\0') + "asyncio-test-inuse-" + std::to_string(::getpid());
      auto server = co_await loop.create_unix_server(c.factory(loop), name);
      std::exception_ptr e2 = co_await test::error_of(loop.create_unix_server(c.factory(loop), name));
      CHECK(test::errno_of(e2) == EADDRINUSE);
      CHECK(test::message_of(e2) == "Address '\\x00asyncio-test-inuse-" + std::to_string(::getpid()) +
                                        "' is already in use");
      server->close();
      co_await server->wait_closed();
    } else {
      WARN("the abstract-name case is skipped: Linux only");
    }
    asyncio::UnixServerOptions neither;
    const std::string msg = co_await test::error_message(loop.create_unix_server(c.factory(loop), std::nullopt, neither));
    CHECK(msg == "path was not specified, and no sock specified");
  }(*f.loop, counter));
}

TEST_CASE("The backend names what a test left open when the loop closed", "[server][net][libuv]") {
  // What the strict fixture (support.hpp) checks at the end of every test:
  // here a server and a connection, both left open on purpose.
  LoopFixture f;
  f.expect_open_at_close(4);
  Counter counter;
  std::shared_ptr<asyncio::Server> server;
  std::shared_ptr<RecordingProtocol> client;
  test::run_net(f, [](asyncio::EventLoop& loop, Counter& c, std::shared_ptr<asyncio::Server>& s,
                      std::shared_ptr<RecordingProtocol>& p) -> Coro<> {
    s = co_await loop.create_server(c.factory(loop), "127.0.0.1", 0);
    p = co_await connect(loop, test::port_of(s));
    auto served = [&c] { return !c.protocols.empty(); };
    const bool accepted = co_await test::wait_until(served, 5.0);
    REQUIRE(accepted);
  }(*f.loop, counter, server, client));
  CHECK(f.loop->backend().open_at_close().empty());  // not closed yet
  f.loop->close();
  std::vector<std::string> open = f.loop->backend().open_at_close();
  std::sort(open.begin(), open.end());
  // The listening socket (a uv_tcp_t, accepted from through a uv_poll_t on
  // POSIX: uv_listener_posix.cpp) and both ends of the connection.
  CHECK(open == std::vector<std::string>{"uv_poll_t", "uv_tcp_t", "uv_tcp_t", "uv_tcp_t"});
}
