// The loop's signal handlers on Windows: libuv delivers the console's
// Ctrl-C as SIGINT; other signals do not exist there. POSIX:
// test_events_posix.cpp. Python: CPython's Windows loops raise
// NotImplementedError for add_signal_handler; this one supports SIGINT and
// SIGBREAK (docs/platforms.md).
#include <csignal>
#include <functional>
#include <string>

#include "console_win.hpp"
#include "support.hpp"

using Catch::Matchers::Message;
using test::LoopFixture;

TEST_CASE("add_signal_handler(SIGINT) runs the handler on each console Ctrl-C", "[events]") {
  test::own_console();
  LoopFixture f;
  int calls = 0;
  f.loop->add_signal_handler(SIGINT, [&](int tag) { calls += tag; }, 10);
  f.loop->call_soon([] { test::press_ctrl_c(); });
  f.loop->call_later(0.3, [] { test::press_ctrl_c(); });
  // Each event is handled in a thread of its own: wait for both, bounded.
  std::function<void()> poll;
  int waited = 0;
  poll = [&] {
    if (calls == 20 || ++waited > 1000) {
      f.loop->stop();
      return;
    }
    f.loop->call_later(0.01, poll);
  };
  f.loop->call_later(0.3, poll);
  f.loop->run_forever();
  CHECK(calls == 20);
  CHECK(f.loop->remove_signal_handler(SIGINT));
  CHECK_FALSE(f.loop->remove_signal_handler(SIGINT));
}

TEST_CASE("add_signal_handler takes SIGBREAK and refuses signals Windows does not have", "[events]") {
  LoopFixture f;
  CHECK_NOTHROW(f.loop->add_signal_handler(SIGBREAK, [] {}));
  CHECK(f.loop->remove_signal_handler(SIGBREAK));
  CHECK_THROWS_MATCHES(f.loop->add_signal_handler(SIGTERM, [] {}), asyncio::NotImplementedError,
                       Message("add_signal_handler is not available on win32 for signal 15: Windows has no POSIX "
                               "signals, only the console's SIGINT (Ctrl-C) and SIGBREAK (Ctrl-Break)"));
  CHECK_THROWS_AS(f.loop->add_signal_handler(9, [] {}), asyncio::NotImplementedError);
  // Numbers outside 1..NSIG-1 (NSIG is 23 on Windows, as Python's
  // signal.NSIG there) are ValueError, as everywhere.
  CHECK_THROWS_WITH(f.loop->add_signal_handler(0, [] {}), "invalid signal number 0");
  CHECK_THROWS_AS(f.loop->add_signal_handler(NSIG, [] {}), asyncio::ValueError);
  // A refused signal leaves nothing behind: closing does not raise.
  CHECK_FALSE(f.loop->remove_signal_handler(SIGTERM));
  CHECK_NOTHROW(f.loop->close());
}

TEST_CASE("closing the loop removes its SIGINT handler", "[events]") {
  {
    LoopFixture f;
    f.loop->add_signal_handler(SIGINT, [] {});
    f.loop->close();
    CHECK_FALSE(f.loop->remove_signal_handler(SIGINT));  // close() removed it
  }
  // A new loop can take SIGINT again, and asyncio::run still finds the
  // default disposition.
  LoopFixture g;
  CHECK_NOTHROW(g.loop->add_signal_handler(SIGINT, [] {}));
  CHECK(g.loop->remove_signal_handler(SIGINT));
  void (*previous)(int) = std::signal(SIGINT, SIG_DFL);
  CHECK(previous == SIG_DFL);
}
