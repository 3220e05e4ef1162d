// The loop's POSIX signal handlers (add_signal_handler with SIGUSR1 and
// friends, raised in-process). Windows: test_events_win.cpp.
// Python: test_unix_events.py (SelectorEventLoopSignalTests).
#include <signal.h>

#include <csignal>
#include <string>
#include <thread>

#include "support.hpp"

using test::LoopFixture;

TEST_CASE("add_signal_handler runs the handler as a loop callback each time", "[events][signals]") {
  LoopFixture f;
  int calls = 0;
  f.loop->add_signal_handler(SIGUSR1, [&](int tag) { calls += tag; }, 10);
  f.loop->call_soon([] { std::raise(SIGUSR1); });
  f.loop->call_later(0.05, [] { std::raise(SIGUSR1); });
  f.loop->call_later(0.2, [&] { f.loop->stop(); });
  f.loop->run_forever();
  CHECK(calls == 20);
  CHECK(f.loop->remove_signal_handler(SIGUSR1));
  CHECK_FALSE(f.loop->remove_signal_handler(SIGUSR1));
}

TEST_CASE("add_signal_handler rejects bad signals", "[events][signals]") {
  LoopFixture f;
  CHECK_THROWS_WITH(f.loop->add_signal_handler(0, [] {}), "invalid signal number 0");
  CHECK_THROWS_AS(f.loop->add_signal_handler(100000, [] {}), asyncio::ValueError);
  CHECK_THROWS_WITH(f.loop->add_signal_handler(SIGKILL, [] {}), "sig 9 cannot be caught");
  CHECK_THROWS_AS(f.loop->remove_signal_handler(-1), asyncio::ValueError);
}

TEST_CASE("add_signal_handler only works in the main thread", "[events][signals][threads]") {
  std::string message;
  std::thread other([&] {
    auto loop = asyncio::new_event_loop();
    try {
      loop->add_signal_handler(SIGUSR2, [] {});
    } catch (const asyncio::RuntimeError& e) {
      message = e.what();
    }
    loop->close();
  });
  other.join();
  CHECK(message == "set_wakeup_fd only works in main thread of the main interpreter");
}

TEST_CASE("closing the loop removes its signal handlers", "[events][signals]") {
  {
    LoopFixture f;
    f.loop->add_signal_handler(SIGUSR1, [] {});
    f.loop->close();
  }
  struct sigaction current {};
  sigaction(SIGUSR1, nullptr, &current);
  CHECK(current.sa_handler == SIG_DFL);
}
