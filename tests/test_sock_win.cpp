// Connecting to named pipes on Windows (POSIX: AF_UNIX paths,
// test_sock_posix.cpp).
#include <random>

#include "net_support.hpp"

using asyncio::Coro;
using test::LoopFixture;
using test::RecordingProtocol;

TEST_CASE("A unix connection to a missing named pipe raises ENOENT naming it", "[sock][net]") {
  LoopFixture f;
  const std::string name = "\\\\.\\pipe\\asyncio-test-missing-" + std::to_string(std::random_device{}());
  test::run_net(f, [](asyncio::EventLoop& loop, std::string path) -> Coro<> {
    auto factory = [&loop] { return std::make_shared<RecordingProtocol>(loop); };
    // Awaitables built in their own statement (g++ 12, see net_support.hpp).
    auto missing = test::error_of(loop.create_unix_connection(factory, path));
    std::exception_ptr e = co_await std::move(missing);
    CHECK(test::errno_of(e) == ENOENT);
    CHECK(test::message_of(e).find("Connect call failed " + asyncio::detail::str_repr(path)) == 0);
    const std::string unix_path = "/tmp/missing.sock";
    auto c = test::error_of(loop.create_unix_connection(factory, unix_path));
    std::exception_ptr e2 = co_await std::move(c);
    CHECK(test::message_of(e2).find("create_unix_connection is not available on win32 for path '/tmp/missing.sock'") ==
          0);
  }(*f.loop, name));
}
