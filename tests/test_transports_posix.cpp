// Transports over POSIX-only sockets: AF_UNIX descriptors the program made
// (Windows has named pipes instead, which have no descriptor to adopt).
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "net_support.hpp"

using asyncio::Coro;
using test::LoopFixture;
using test::RecordingProtocol;

TEST_CASE("A unix server and connection adopt bound and connected AF_UNIX sockets", "[transports][net][os-sockets]") {
  LoopFixture f;
  test::TempDir dir;
  const std::string path = dir.file("adopted.sock");
  // A socket the program bound itself: the server adopts it, and still
  // removes its file on close (Python 3.13 does for sock= too).
  const int listen_fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(listen_fd >= 0);
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  std::memcpy(un.sun_path, path.c_str(), path.size() + 1);
  REQUIRE(::bind(listen_fd, reinterpret_cast<sockaddr*>(&un), sizeof un) == 0);
  test::run_net(f, [](asyncio::EventLoop& loop, int sock, std::string where) -> Coro<> {
    std::vector<std::shared_ptr<RecordingProtocol>> accepted;
    auto server_factory = [&loop, &accepted] {
      accepted.push_back(std::make_shared<RecordingProtocol>(loop));
      return accepted.back();
    };
    asyncio::UnixServerOptions server_options;
    server_options.sock = sock;
    auto server = co_await loop.create_unix_server(server_factory, std::nullopt, server_options);
    CHECK(server->sockets().at(0).fileno() == sock);
    CHECK(server->sockets().at(0).family() == AF_UNIX);
    CHECK(server->sockets().at(0).getsockname().host == where);
    // A connected socket the program made: the connection adopts it.
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_un to{};
    to.sun_family = AF_UNIX;
    std::memcpy(to.sun_path, where.c_str(), where.size() + 1);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
    auto factory = [&loop] { return std::make_shared<RecordingProtocol>(loop); };
    asyncio::UnixConnectionOptions options;
    options.sock = fd;
    auto [t, p] = co_await loop.create_unix_connection(factory, std::nullopt, options);
    auto info = std::any_cast<asyncio::TransportSocket>(t->get_extra_info("socket"));
    CHECK(info.fileno() == fd);
    CHECK(info.family() == AF_UNIX);
    CHECK(std::any_cast<asyncio::SockAddr>(t->get_extra_info("peername")).host == where);
    t->write("over an adopted socket");
    {
      const bool ok = co_await test::wait_until(
          [&] { return !accepted.empty() && accepted[0]->received == "over an adopted socket"; });
      REQUIRE(ok);
    }
    t->close();
    co_await p->lost;
    server->close();
    server->abort_clients();
    co_await server->wait_closed();
    CHECK_FALSE(std::filesystem::exists(where));
  }(*f.loop, listen_fd, path));
  CHECK(f.errors.empty());
}
