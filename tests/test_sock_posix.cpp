// Connecting on what only POSIX has: AF_UNIX paths, and Linux's TCP_SYNCNT
// to make a connect time out in seconds.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net_support.hpp"

using asyncio::Coro;
using test::LoopFixture;
using test::RecordingProtocol;

namespace {

asyncio::ProtocolFactory recorder(asyncio::EventLoop& loop) {
  return [&loop] { return std::make_shared<RecordingProtocol>(loop); };
}

}  // namespace

TEST_CASE("A unix connection to a missing path raises ENOENT naming it", "[sock][net]") {
  LoopFixture f;
  test::TempDir dir;
  test::run_net(f, [](asyncio::EventLoop& loop, std::string path) -> Coro<> {
    auto factory = recorder(loop);
    std::exception_ptr e = co_await test::error_of(loop.create_unix_connection(factory, path));
    CHECK(test::errno_of(e) == ENOENT);
    CHECK(test::message_of(e).find("Connect call failed '" + path + "'") == 0);
    const std::string too_long = "/tmp/" + std::string(200, 'y');
    std::exception_ptr e2 = co_await test::error_of(loop.create_unix_connection(factory, too_long));
    CHECK(test::errno_of(e2) == ENAMETOOLONG);
    CHECK(test::message_of(e2).find("AF_UNIX path too long '/tmp/yyy") == 0);
    asyncio::UnixConnectionOptions both;
    both.sock = 0;
    const std::string msg = co_await test::error_message(loop.create_unix_connection(factory, path, both));
    CHECK(msg == "path and sock can not be specified at the same time");
  }(*f.loop, dir.file("missing.sock")));
}

TEST_CASE("A connection that times out fails with ETIMEDOUT", "[sock][net][os-sockets]") {
#if !defined(TCP_SYNCNT)
  // TCP_SYNCNT is Linux's: elsewhere the test would wait minutes.
  WARN("skipped: no TCP_SYNCNT to shorten the connect time-out");
#else
  LoopFixture f;
  test::HangingListener hang;
  // A connecting socket that gives up after one SYN retry (about 3 s), its
  // connect() still in progress when the stream takes it over.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  int syncnt = 1;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_SYNCNT, &syncnt, sizeof syncnt) != 0) {
    ::close(fd);
    WARN("skipped: TCP_SYNCNT is not supported here");
    return;
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(hang.port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0);
  REQUIRE(errno == EINPROGRESS);
  test::run_net(
      f,
      [](int sock) -> Coro<> {
        asyncio::OpenConnectionOptions options;
        options.sock = sock;
        auto [reader, writer] = co_await asyncio::open_connection(std::nullopt, std::nullopt, options);
        std::exception_ptr e = co_await test::error_of(reader.read());
        CHECK(test::errno_of(e) == ETIMEDOUT);
        writer.close();
      }(fd),
      30);
#endif
}
