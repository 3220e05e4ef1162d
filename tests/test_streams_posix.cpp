// Streams over AF_UNIX socket files and Linux's abstract names (Windows:
// named pipes, test_streams_win.cpp).
#include <unistd.h>

#include "net_support.hpp"

using asyncio::Coro;
using asyncio::StreamReader;
using asyncio::StreamWriter;
using test::LoopFixture;

namespace {

Coro<> echo_client_connected(StreamReader reader, StreamWriter writer) {
  for (;;) {
    std::string data = co_await reader.read(65536);
    if (data.empty()) break;
    writer.write(data);
    co_await writer.drain();
  }
  writer.close();
  co_await writer.wait_closed();
}

}  // namespace

TEST_CASE("Unix streams echo over a socket file and an abstract name", "[streams][net]") {
  LoopFixture f;
  test::TempDir dir;
  const std::string path = dir.file("echo.sock");
  test::run_net(f, [](std::string socket_path) -> Coro<> {
    std::vector<std::string> places;
    places.push_back(socket_path);
    if (asyncio::platform::name == "linux") {  // abstract names are Linux's
      places.push_back(std::string(1, '\0') + "asyncio-test-" + std::to_string(::getpid()));
    } else {
      WARN("the abstract-name case is skipped: Linux only");
    }
    for (const std::string& where : places) {
      auto server = co_await asyncio::start_unix_server(echo_client_connected, where);
      CHECK(server->sockets().at(0).getsockname().host == where);
      auto [reader, writer] = co_await asyncio::open_unix_connection(where);
      writer.write("over unix\n");
      {
        auto v72_ = co_await reader.readline();
        CHECK(v72_ == "over unix\n");
      }
      writer.close();
      co_await writer.wait_closed();
      server->close();
      co_await server->wait_closed();
    }
  }(path));
  CHECK(f.errors.empty());
}
