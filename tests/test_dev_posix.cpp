// POSIX-only debug-mode tests (a socketpair); tests/CMakeLists.txt lists them
// as not run on Windows.
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

#include "support.hpp"

using asyncio::Coro;
using test::LoopFixture;

namespace {
struct QuietProtocol : asyncio::Protocol {};
}  // namespace

TEST_CASE("debug mode: a transport left open when its loop closes is reported", "[dev][net][os-sockets]") {
  test::LogCapture log;
  {
    LoopFixture f;
    f.expect_open_at_close(1);  // the transport, on purpose
    f.loop->set_debug(true);
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    auto body = [](asyncio::EventLoop& loop, int fd) -> Coro<> {
      auto factory = [] { return std::make_shared<QuietProtocol>(); };
      auto pair = co_await loop.connect_accepted_socket(factory, fd);
      co_await asyncio::sleep(0);
      (void)pair;
    };
    f.loop->run_until_complete(body(*f.loop, fds[0]));
    f.loop->close();
    ::close(fds[1]);
  }
  CHECK(log.contains("ResourceWarning: unclosed transport <"));
}

