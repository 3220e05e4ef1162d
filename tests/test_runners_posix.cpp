// asyncio::run's Ctrl-C handling with POSIX signals (SIGINT sent with
// kill()). Windows: test_runners_win.cpp. Python: test_runners.py.
#include <signal.h>
#include <unistd.h>

#include <csignal>

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

// Runner installs its Ctrl-C handler only over the default SIGINT
// disposition; Catch2 installs its own, so these tests restore the default.
struct DefaultSigint {
  struct sigaction saved {};
  DefaultSigint() {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGINT, &dfl, &saved);
  }
  ~DefaultSigint() { sigaction(SIGINT, &saved, nullptr); }
};

}  // namespace

TEST_CASE("Ctrl-C cancels the main task and raises KeyboardInterrupt", "[runners][signals]") {
  DefaultSigint sigint;
  std::vector<std::string> events;
  auto main_coro = [](std::vector<std::string>& out) -> Coro<> {
    asyncio::get_running_loop().call_later(0.01, [] { ::kill(::getpid(), SIGINT); });
    co_await sleep_then_record(out, 3600);
  };
  CHECK_THROWS_AS(asyncio::run(main_coro(events)), asyncio::KeyboardInterrupt);
  CHECK(events == std::vector<std::string>{"cancelled"});
  struct sigaction current {};
  sigaction(SIGINT, nullptr, &current);
  CHECK(current.sa_handler == SIG_DFL);  // the default disposition is back
}

TEST_CASE("a main task that handles Ctrl-C's cancellation ends normally", "[runners][signals]") {
  DefaultSigint sigint;
  auto main_coro = []() -> Coro<std::string> {
    asyncio::get_running_loop().call_later(0.01, [] { ::kill(::getpid(), SIGINT); });
    try {
      co_await asyncio::sleep(3600);
    } catch (const asyncio::CancelledError&) {
      co_return "handled";
    }
    co_return "slept";
  };
  CHECK(asyncio::run(main_coro()) == "handled");
}

TEST_CASE("a second Ctrl-C raises KeyboardInterrupt at once", "[runners][signals]") {
  DefaultSigint sigint;
  auto main_coro = []() -> Coro<> {
    asyncio::get_running_loop().call_later(0.01, [] { ::kill(::getpid(), SIGINT); });
    asyncio::get_running_loop().call_later(0.05, [] { ::kill(::getpid(), SIGINT); });
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
  // The stubborn task is left pending; closing the runner cancels it, and
  // it ignores that too: close it through the loop instead.
  runner.get_loop().close();
}

TEST_CASE("a custom SIGINT handler is left alone", "[runners][signals]") {
  DefaultSigint restore;
  static volatile std::sig_atomic_t hits = 0;
  struct sigaction custom {};
  custom.sa_handler = [](int) { hits = hits + 1; };
  sigaction(SIGINT, &custom, nullptr);
  auto main_coro = []() -> Coro<std::string> {
    ::kill(::getpid(), SIGINT);
    co_await asyncio::sleep(0.01);
    co_return "not cancelled";
  };
  CHECK(asyncio::run(main_coro()) == "not cancelled");
  CHECK(hits == 1);
}
