// Virtual time (asyncio::testing): the clock jumps to the next timer when the
// loop is idle, holds still while another thread owes the loop a result,
// and moves by hand with advance(). Python: test_asyncio.utils.TestLoop,
// trio's MockClock.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support.hpp"

using namespace std::chrono_literals;
using asyncio::Coro;
namespace testing = asyncio::testing;

namespace {

// Real (wall) seconds spent running `f`.
template <class F>
double real_seconds(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Coro<> sleep_for(double seconds) { co_await asyncio::sleep(seconds); }

Coro<double> time_out_after_30s() {
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  const double t0 = loop.time();
  try {
    auto w = asyncio::wait_for(sleep_for(3600), 30.0);
    co_await std::move(w);
  } catch (const asyncio::TimeoutError&) {
    co_return loop.time() - t0;
  }
  co_return -1;
}

}  // namespace

TEST_CASE("virtual time: a 30-second timeout fires at 30 s of loop time, without waiting", "[testing]") {
  double took = -1;
  const double real = real_seconds([&] { took = testing::run(time_out_after_30s()); });
  CHECK(took == 30.0);
  CHECK(real < 5.0);  // generous: the point is that it is not 30 s
}

TEST_CASE("virtual time: timers fire in order, each when its deadline is the time", "[testing]") {
  auto loop = testing::new_virtual_time_loop();
  std::vector<std::pair<std::string, double>> fired;
  auto record = [&](std::string name) { fired.emplace_back(std::move(name), loop->time()); };
  loop->call_later(5.0, record, "c");
  loop->call_later(0.5, record, "a");
  loop->call_at(2.25, record, "b");
  loop->call_later(3600.0, [&] { loop->stop(); });
  loop->run_forever();
  CHECK(fired == std::vector<std::pair<std::string, double>>{{"a", 0.5}, {"b", 2.25}, {"c", 5.0}});
  CHECK(loop->time() == 3600.0);
  CHECK(testing::virtual_clock(*loop)->jumps() == 4);
  loop->close();
}

TEST_CASE("virtual time: the clock starts where asked and callbacks take no time", "[testing]") {
  auto loop = testing::new_virtual_time_loop({.start = 1000.0});
  CHECK(loop->time() == 1000.0);
  double seen = 0;
  loop->call_soon([&] {
    std::this_thread::sleep_for(5ms);  // real time passes; loop time does not
    seen = loop->time();
  });
  loop->call_soon([&] { loop->stop(); });
  loop->run_forever();
  CHECK(seen == 1000.0);
  loop->close();
}

TEST_CASE("virtual time: TaskGroup, timeout, Queue and Lock waits run on loop time", "[testing]") {
  auto body = []() -> Coro<std::vector<std::string>> {
    asyncio::EventLoop& loop = asyncio::get_running_loop();
    std::vector<std::string> log;
    asyncio::Queue<int> queue;
    asyncio::Lock lock;
    co_await lock.acquire();
    auto producer = [&]() -> Coro<> {
      for (int i = 1; i <= 3; ++i) {
        co_await asyncio::sleep(60);  // a minute between items
        co_await queue.put(i);
      }
    };
    auto consumer = [&]() -> Coro<> {
      for (int i = 0; i < 3; ++i) {
        int v = co_await queue.get();
        log.push_back("got " + std::to_string(v) + " at " + std::to_string(static_cast<int>(loop.time())));
      }
    };
    auto locker = [&]() -> Coro<> {
      co_await lock.acquire();
      log.push_back("locked at " + std::to_string(static_cast<int>(loop.time())));
      lock.release();
    };
    auto group = [&](asyncio::TaskGroup& tg) -> Coro<> {
      tg.create_task(producer());
      tg.create_task(consumer());
      tg.create_task(locker());
      co_await asyncio::sleep(150);
      lock.release();
    };
    auto in_group = asyncio::task_group(group);
    co_await std::move(in_group);
    try {
      auto slow = asyncio::timeout(10.0, sleep_for(20));
      co_await std::move(slow);
    } catch (const asyncio::TimeoutError&) {
      log.push_back("timed out at " + std::to_string(static_cast<int>(loop.time())));
    }
    co_return log;
  };
  std::vector<std::string> log = testing::run(body());
  CHECK(log == std::vector<std::string>{"got 1 at 60", "got 2 at 120", "locked at 150", "got 3 at 180",
                                        "timed out at 190"});
}

TEST_CASE("virtual time: without autojump the clock moves only by advance()", "[testing]") {
  // Python: TestLoop.advance_time() between run_briefly() calls.
  test::LoopFixture f(testing::new_virtual_time_loop({.autojump = false}));
  testing::VirtualClock& clock = *testing::virtual_clock(*f.loop);
  f.loop->call_later(10.0, f.record("10s"));
  f.loop->call_later(20.0, f.record("20s"));
  f.run_briefly();
  CHECK(f.events.empty());
  clock.advance(9.5);
  f.run_briefly();
  CHECK(f.events.empty());
  clock.advance(0.5s);
  f.run_briefly();
  CHECK(f.events == std::vector<std::string>{"10s"});
  clock.advance(100.0);
  f.run_briefly();
  CHECK(f.events == std::vector<std::string>{"10s", "20s"});
  CHECK(f.loop->time() == 110.0);
  CHECK(clock.jumps() == 0);
}

TEST_CASE("virtual time: a task may advance the clock itself", "[testing]") {
  auto body = []() -> Coro<std::vector<std::string>> {
    std::vector<std::string> log;
    asyncio::EventLoop& loop = asyncio::get_running_loop();
    loop.call_later(5.0, [&] { log.push_back("timer at " + std::to_string(loop.time())); });
    testing::running_clock().advance(5.0);
    co_await asyncio::sleep(0);
    // The timer became due during the last iteration: it joins the ready
    // queue after this task's step (due timers go to the end, as in
    // BaseEventLoop._run_once), so it runs right after it.
    log.push_back("task after advance");
    co_await asyncio::sleep(0);
    co_return log;
  };
  std::vector<std::string> log = testing::run(body(), {.autojump = false});
  CHECK(log == std::vector<std::string>{"task after advance", "timer at 5.000000"});
}

TEST_CASE("virtual time: bad arguments raise ValueError, a real loop has no virtual clock", "[testing]") {
  auto loop = testing::new_virtual_time_loop();
  testing::VirtualClock& clock = *testing::virtual_clock(*loop);
  CHECK_THROWS_AS(clock.advance(-1.0), asyncio::ValueError);
  CHECK_THROWS_WITH(clock.advance(std::nan("")), "advance must not be NaN");
  CHECK_THROWS_AS(clock.set_autojump_threshold(-0.5), asyncio::ValueError);
  CHECK_THROWS_AS(testing::new_virtual_time_loop({.autojump_threshold = -1}), asyncio::ValueError);
  CHECK(loop->time() == 0.0);
  loop->close();
  auto real = asyncio::new_event_loop();
  CHECK(testing::virtual_clock(*real) == nullptr);
  real->close();
  auto no_clock = []() -> Coro<> {
    (void)testing::running_clock();
    co_return;
  };
  CHECK_THROWS_WITH(asyncio::run(no_clock()), "the running event loop has no virtual clock");
  CHECK_THROWS_AS(testing::running_clock(), asyncio::RuntimeError);
}

TEST_CASE("virtual time: a thread's result is not overtaken by a timer", "[testing][threads]") {
  // The job takes real time but no virtual time: while it runs the clock
  // holds, so the result arrives at loop time 0, before the 1 s timer.
  auto body = []() -> Coro<std::vector<std::string>> {
    asyncio::EventLoop& loop = asyncio::get_running_loop();
    std::vector<std::string> log;
    loop.call_later(1.0, [&] { log.push_back("timer at " + std::to_string(loop.time())); });
    auto job = asyncio::to_thread([] {
      std::this_thread::sleep_for(50ms);
      return 42;
    });
    int v = co_await std::move(job);
    log.push_back("thread gave " + std::to_string(v) + " at " + std::to_string(loop.time()));
    co_await asyncio::sleep(2);
    co_return log;
  };
  std::vector<std::string> log = testing::run(body());
  CHECK(log == std::vector<std::string>{"thread gave 42 at 0.000000", "timer at 1.000000"});
}

TEST_CASE("virtual time: advance() from another thread wakes a loop that does not jump", "[testing][threads]") {
  auto loop = testing::new_virtual_time_loop({.autojump = false});
  testing::VirtualClock& clock = *testing::virtual_clock(*loop);
  bool fired = false;
  loop->call_later(30.0, [&] {
    fired = true;
    loop->stop();
  });
  std::thread advancer([&] {
    std::this_thread::sleep_for(20ms);
    clock.advance(30.0);
  });
  loop->run_forever();
  advancer.join();
  CHECK(fired);
  CHECK(loop->time() == 30.0);
  loop->close();
}

TEST_CASE("virtual time: streams on loopback in the same loop work while timers wait", "[testing][net][virtual-time-io]") {
  auto body = []() -> Coro<std::string> {
    auto echo = [](asyncio::StreamReader reader, asyncio::StreamWriter writer) -> Coro<> {
      std::string line = co_await reader.readline();
      co_await asyncio::sleep(2);  // think for two seconds of loop time
      writer.write(line);
      co_await writer.drain();
      writer.close();
    };
    auto starting = asyncio::start_server(echo, "127.0.0.1", 0);
    std::shared_ptr<asyncio::Server> server = co_await std::move(starting);
    const int port = server->sockets().at(0).getsockname().port;
    auto connecting = asyncio::open_connection("127.0.0.1", port);
    auto [reader, writer] = co_await std::move(connecting);
    writer.write("ping\n");
    auto reading = asyncio::wait_for(reader.readline(), 10.0);
    std::string reply = co_await std::move(reading);
    writer.close();
    server->close();
    auto closing = server->wait_closed();
    co_await std::move(closing);
    co_return reply + " at " + std::to_string(static_cast<int>(asyncio::get_running_loop().time()));
  };
  CHECK(testing::run(body()) == "ping\n at 2");
}

TEST_CASE("virtual time: autojump_threshold lets a peer outside the loop answer first", "[testing][net][threads]") {
  // The peer is another loop in another thread: its reply takes real time,
  // which the clock cannot see. With a threshold the loop waits that long
  // (in real time) for I/O before jumping to the 1 s timeout.
  auto serve = [](std::atomic<int>* port, std::atomic<bool>* done) {
    auto server_main = [port, done]() -> Coro<> {
      auto reply_later = [](asyncio::StreamReader reader, asyncio::StreamWriter writer) -> Coro<> {
        std::string line = co_await reader.readline();
        std::this_thread::sleep_for(20ms);  // real work, in the peer's thread
        writer.write("re: " + line);
        co_await writer.drain();
        writer.close();
      };
      auto starting = asyncio::start_server(reply_later, "127.0.0.1", 0);
      std::shared_ptr<asyncio::Server> server = co_await std::move(starting);
      port->store(server->sockets().at(0).getsockname().port);
      while (!done->load()) co_await asyncio::sleep(0.005);
      server->close();
    };
    asyncio::run(server_main());
  };
  std::atomic<int> port{0};
  std::atomic<bool> done{false};
  std::thread peer(serve, &port, &done);
  while (port.load() == 0) std::this_thread::sleep_for(1ms);
  auto client = [](int p) -> Coro<std::string> {
    auto connecting = asyncio::open_connection("127.0.0.1", p);
    auto [reader, writer] = co_await std::move(connecting);
    writer.write("hello\n");
    auto reading = asyncio::wait_for(reader.readline(), 1.0);
    std::string reply = co_await std::move(reading);
    writer.close();
    co_return reply;
  };
  std::string reply;
  bool timed_out_without_threshold = false;
  try {
    reply = testing::run(client(port.load()), {.autojump_threshold = 0.5});
    // Without a threshold the clock jumps as soon as the loop is idle: the
    // 1 s timeout expires before the peer (20 ms of real time) answers.
    try {
      (void)testing::run(client(port.load()));
    } catch (const asyncio::TimeoutError&) {
      timed_out_without_threshold = true;
    }
  } catch (...) {
    done = true;
    peer.join();
    throw;
  }
  done = true;
  peer.join();
  CHECK(reply == "re: hello\n");
  CHECK(timed_out_without_threshold);
}
