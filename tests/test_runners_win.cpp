// asyncio::run's Ctrl-C handling on Windows: the console's CTRL_C_EVENT,
// which libuv turns into SIGINT. POSIX: test_runners_posix.cpp.
// Python: test_runners.py (CPython's Runner handles Ctrl-C on Windows too).
#include <csignal>

#include "console_win.hpp"
#include "support.hpp"

using asyncio::Coro;

namespace {

Coro<> sleep_then_record(std::vector<std::string>& out, double delay) {
  try {
    co_await asyncio::sleep(delay);
    out.push_back("slept");
  } catch (const asyncio::CancelledError&) {
    out.push_back("cancelled");
    throw;
  }
}

}  // namespace

TEST_CASE("Ctrl-C in the console cancels the main task and raises KeyboardInterrupt", "[runners]") {
  test::own_console();
  std::vector<std::string> events;
  auto main_coro = [](std::vector<std::string>& out) -> Coro<> {
    asyncio::get_running_loop().call_later(0.01, [] { test::press_ctrl_c(); });
    co_await sleep_then_record(out, 3600);
  };
  CHECK_THROWS_AS(asyncio::run(main_coro(events)), asyncio::KeyboardInterrupt);
  CHECK(events == std::vector<std::string>{"cancelled"});
  // run() removed its handler: the C runtime's SIGINT disposition is the
  // default again.
  void (*previous)(int) = std::signal(SIGINT, SIG_DFL);
  CHECK(previous == SIG_DFL);
}

TEST_CASE("a main task that handles the console Ctrl-C's cancellation ends normally", "[runners]") {
  test::own_console();
  auto main_coro = []() -> Coro<std::string> {
    asyncio::get_running_loop().call_later(0.01, [] { test::press_ctrl_c(); });
    try {
      co_await asyncio::sleep(3600);
    } catch (const asyncio::CancelledError&) {
      co_return "handled";
    }
    co_return "slept";
  };
  CHECK(asyncio::run(main_coro()) == "handled");
}

TEST_CASE("a second console Ctrl-C raises KeyboardInterrupt at once", "[runners]") {
  test::own_console();
  auto main_coro = []() -> Coro<> {
    asyncio::get_running_loop().call_later(0.01, [] { test::press_ctrl_c(); });
    asyncio::get_running_loop().call_later(0.2, [] { test::press_ctrl_c(); });
    for (;;) {  // ignores cancellation
      try {
        co_await asyncio::sleep(3600);
      } catch (const asyncio::CancelledError&) {
      }
    }
  };
  test::LogCapture log;
  asyncio::Runner runner;
  CHECK_THROWS_AS(runner.run(main_coro()), asyncio::KeyboardInterrupt);
  runner.get_loop().close();
}

TEST_CASE("a SIGINT handler set with signal() is left alone", "[runners]") {
  test::own_console();
  static volatile std::sig_atomic_t hits = 0;
  std::signal(SIGINT, [](int) { hits = hits + 1; });
  auto main_coro = []() -> Coro<std::string> {
    test::press_ctrl_c();
    // The C runtime calls the handler in the event's thread: give it time.
    for (int i = 0; i < 500 && hits == 0; ++i) co_await asyncio::sleep(0.01);
    co_return "not cancelled";
  };
  std::string result = asyncio::run(main_coro());
  std::signal(SIGINT, SIG_DFL);
  CHECK(result == "not cancelled");
  CHECK(hits == 1);
}
