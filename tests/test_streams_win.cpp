// Streams over Windows named pipes, the Unix-socket API's counterpart
// there (POSIX: AF_UNIX socket files, test_streams_posix.cpp).
#include <random>

#include "net_support.hpp"

using asyncio::Coro;
using asyncio::StreamReader;
using asyncio::StreamWriter;
using test::LoopFixture;

namespace {

Coro<> echo_once(StreamReader reader, StreamWriter writer) {
  std::string line = co_await reader.readline();
  writer.write(line);
  co_await writer.drain();
  writer.close();
  co_await writer.wait_closed();
}

}  // namespace

TEST_CASE("Unix streams echo over a named pipe", "[streams][net]") {
  LoopFixture f;
  const std::string name = "\\\\.\\pipe\\asyncio-test-streams-" + std::to_string(std::random_device{}());
  test::run_net(f, [](std::string where) -> Coro<> {
    // Awaitables built in their own statement (g++ 12, see net_support.hpp).
    auto serving = asyncio::start_unix_server(echo_once, where);
    auto server = co_await std::move(serving);
    CHECK(server->sockets().at(0).getsockname().host == where);
    CHECK(server->sockets().at(0).family() == AF_UNIX);
    auto connecting = asyncio::open_unix_connection(where);
    auto [reader, writer] = co_await std::move(connecting);
    CHECK(std::any_cast<asyncio::SockAddr>(writer.get_extra_info("peername")).host == where);
    writer.write("over a named pipe\n");
    {
      auto line = co_await reader.readline();
      CHECK(line == "over a named pipe\n");
    }
    {
      auto rest = co_await reader.read();
      CHECK(rest.empty());  // the server closed its end: EOF
    }
    writer.close();
    co_await writer.wait_closed();
    server->close();
    co_await server->wait_closed();
  }(name));
  CHECK(f.errors.empty());
}
