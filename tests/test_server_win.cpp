// Unix servers on Windows: named pipes (POSIX: AF_UNIX socket files and
// EMFILE, test_server_posix.cpp).
#include <random>

#include "net_support.hpp"

using asyncio::Coro;
using test::LoopFixture;
using test::RecordingProtocol;

namespace {

std::string pipe_name(const char* what) {
  return "\\\\.\\pipe\\asyncio-test-" + std::string(what) + "-" + std::to_string(std::random_device{}());
}

asyncio::ProtocolFactory recorder(asyncio::EventLoop& loop) {
  return [&loop] { return std::make_shared<RecordingProtocol>(loop); };
}

}  // namespace

TEST_CASE("A unix server on a named pipe serves connections and frees the name on close", "[server][net]") {
  LoopFixture f;
  test::run_net(f, [](asyncio::EventLoop& loop, std::string name) -> Coro<> {
    std::vector<std::shared_ptr<RecordingProtocol>> accepted;
    auto factory = [&loop, &accepted] {
      accepted.push_back(std::make_shared<RecordingProtocol>(loop));
      return accepted.back();
    };
    // Awaitables built in their own statement (g++ 12, see net_support.hpp).
    auto serving = loop.create_unix_server(factory, name);
    auto server = co_await std::move(serving);
    CHECK(server->sockets().at(0).getsockname().repr() == asyncio::detail::str_repr(name));
    // Several clients at once: libuv keeps more pipe instances waiting.
    auto client_factory = [&loop] { return std::make_shared<RecordingProtocol>(loop); };
    auto connect1 = loop.create_unix_connection(client_factory, name);
    auto [t1, p1] = co_await std::move(connect1);
    auto connect2 = loop.create_unix_connection(client_factory, name);
    auto [t2, p2] = co_await std::move(connect2);
    t1->write("one");
    t2->write("two");
    {
      const bool ok = co_await test::wait_until([&] {
        return accepted.size() == 2 && accepted[0]->received.size() + accepted[1]->received.size() == 6;
      });
      REQUIRE(ok);
    }
    accepted[0]->transport->write("back");
    {
      const bool ok = co_await test::wait_until([&] { return p1->received + p2->received == "back"; });
      CHECK(ok);
    }
    t1->close();
    t2->close();
    co_await p1->lost;
    co_await p2->lost;
    server->close();
    server->abort_clients();
    co_await server->wait_closed();
    // The name is free again: a new server takes it.
    auto serving_again = loop.create_unix_server(factory, name);
    auto again = co_await std::move(serving_again);
    again->close();
    co_await again->wait_closed();
  }(*f.loop, pipe_name("serve")));
  CHECK(f.errors.empty());
}

TEST_CASE("A named pipe in use raises an OSError naming it", "[server][net][exclusive-pipe-name]") {
  LoopFixture f;
  test::run_net(f, [](asyncio::EventLoop& loop, std::string name) -> Coro<> {
    auto factory = recorder(loop);
    // Python's wording for a path in use.
    auto serving = loop.create_unix_server(factory, name);
    auto server = co_await std::move(serving);
    auto second = test::error_of(loop.create_unix_server(factory, name));
    std::exception_ptr e = co_await std::move(second);
    REQUIRE(e);
    CHECK(test::errno_of(e) == EADDRINUSE);
    CHECK(test::message_of(e) == "Address " + asyncio::detail::str_repr(name) + " is already in use");
    server->close();
    co_await server->wait_closed();
  }(*f.loop, pipe_name("in-use")));
}

TEST_CASE("A unix server on a file system path says Windows takes named pipes", "[server][net]") {
  LoopFixture f;
  test::run_net(f, [](asyncio::EventLoop& loop) -> Coro<> {
    auto factory = recorder(loop);
    // A file system path: no AF_UNIX sockets here.
    const std::string windows_path = "C:\\temp\\app.sock";
    auto c1 = test::raises<asyncio::NotImplementedError>(loop.create_unix_server(factory, windows_path));
    const bool raised = co_await std::move(c1);
    CHECK(raised);
    const std::string unix_path = "/tmp/app.sock";
    auto c2 = test::error_message(loop.create_unix_server(factory, unix_path));
    const std::string msg = co_await std::move(c2);
    CHECK(msg == "create_unix_server is not available on win32 for path '/tmp/app.sock': Windows has no AF_UNIX "
                 "sockets here; give a named pipe, \\\\.\\pipe\\<name>");
  }(*f.loop));
}

