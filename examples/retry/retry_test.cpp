// Testing retry.hpp with virtual time: every test below covers seconds to
// minutes of backoff and runs in milliseconds, the same way every time.
//
// VirtualTimeLoop is the piece to copy into your own Catch2 tests: a loop
// whose clock jumps to the next timer whenever the loop would wait.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "retry.hpp"

namespace {

/// A virtual-time loop for one test: run() drives a coroutine to its end;
/// clock() is its clock; the loop is closed at the end of the test.
struct VirtualTimeLoop {
  std::shared_ptr<asyncio::EventLoop> loop = asyncio::testing::new_virtual_time_loop();

  template <class T>
  T run(asyncio::Coro<T> coro) {
    return loop->run_until_complete(std::move(coro));
  }
  template <class T>
  T run(asyncio::Task<T> task) {
    return loop->run_until_complete(std::move(task));
  }
  asyncio::testing::VirtualClock& clock() { return *asyncio::testing::virtual_clock(*loop); }
  double now() const { return loop->time(); }
  ~VirtualTimeLoop() { loop->close(); }
};

// An attempt that fails `failures` times, then answers "ok".
struct Flaky {
  int failures;
  std::vector<double> attempted_at;
  asyncio::Coro<std::string> operator()() {
    attempted_at.push_back(asyncio::get_running_loop().time());
    if (static_cast<int>(attempted_at.size()) <= failures) throw std::runtime_error("service unavailable");
    co_return "ok";
  }
};

}  // namespace

TEST_CASE("the delays double after each failure", "[retry]") {
  VirtualTimeLoop vt;
  Flaky flaky{5, {}};
  auto attempt = [&flaky] { return flaky(); };
  const auto real_start = std::chrono::steady_clock::now();
  retry::Outcome outcome = vt.run(retry::with_backoff(attempt, retry::Policy{}));
  CHECK(outcome.result == "ok");
  CHECK(outcome.attempts == 6);
  CHECK(outcome.delays == std::vector<double>{1, 2, 4, 8, 16});
  CHECK(flaky.attempted_at == std::vector<double>{0, 1, 3, 7, 15, 31});
  CHECK(vt.now() == 31.0);
  CHECK(std::chrono::steady_clock::now() - real_start < std::chrono::seconds(5));
}

TEST_CASE("the delay stops growing at max_delay and the last error is raised", "[retry]") {
  VirtualTimeLoop vt;
  Flaky never{1000, {}};
  auto attempt = [&never] { return never(); };
  CHECK_THROWS_WITH(vt.run(retry::with_backoff(attempt, retry::Policy{})), "service unavailable");
  CHECK(never.attempted_at.size() == 8);
  // 1 + 2 + 4 + 8 + 16 + 32 + 60: two minutes of backoff.
  CHECK(vt.now() == 123.0);
}

TEST_CASE("an attempt that hangs times out and is retried", "[retry]") {
  VirtualTimeLoop vt;
  int calls = 0;
  auto hangs_twice = [&calls]() -> asyncio::Coro<std::string> {
    if (++calls <= 2) co_await asyncio::sleep(3600);  // a server that never answers
    co_return "finally";
  };
  retry::Outcome outcome = vt.run(retry::with_backoff(hangs_twice, retry::Policy{}));
  CHECK(outcome.result == "finally");
  CHECK(outcome.attempts == 3);
  // Two 10 s attempt timeouts and the 1 s and 2 s backoffs.
  CHECK(vt.now() == 23.0);
}

TEST_CASE("cancelling the client during a backoff is not retried", "[retry]") {
  VirtualTimeLoop vt;
  Flaky never{1000, {}};
  auto attempt = [&never] { return never(); };
  auto task = vt.loop->create_task(retry::with_backoff(attempt, retry::Policy{}));
  vt.loop->call_later(5.0, [task]() mutable { task.cancel(); });
  CHECK_THROWS_AS(vt.run(std::move(task)), asyncio::CancelledError);
  CHECK(vt.now() == 5.0);
  CHECK(never.attempted_at == std::vector<double>{0, 1, 3});
}

TEST_CASE("a real server on loopback that drops the first two connections", "[retry][net][virtual-time-io]") {
  VirtualTimeLoop vt;
  int connections = 0;
  auto handler = [&connections](asyncio::StreamReader reader, asyncio::StreamWriter writer) -> asyncio::Coro<> {
    std::string line = co_await reader.readline();
    if (++connections > 2) writer.write("echo: " + line);
    writer.close();  // the first two get no reply
  };
  auto test = [&]() -> asyncio::Coro<retry::Outcome> {
    auto starting = asyncio::start_server(handler, "127.0.0.1", 0);
    std::shared_ptr<asyncio::Server> server = co_await std::move(starting);
    const int port = server->sockets().at(0).getsockname().port;
    auto attempt = [port] { return retry::ask("127.0.0.1", port, "hi"); };
    auto retrying = retry::with_backoff(attempt, retry::Policy{});
    retry::Outcome outcome = co_await std::move(retrying);
    server->close();
    co_await server->wait_closed();
    co_return outcome;
  };
  retry::Outcome outcome = vt.run(test());
  CHECK(outcome.result == "echo: hi\n");
  CHECK(outcome.attempts == 3);
  CHECK(vt.now() == 3.0);
}
