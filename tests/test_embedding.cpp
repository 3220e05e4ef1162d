// Embedding the loop in a host's own main loop: the host calls run_step()
// when it likes, and timers and tasks advance only then. See
// docs/extending.md and examples/host_loop.cpp.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support.hpp"

using namespace std::chrono_literals;
using asyncio::EventLoop;

namespace {

// A host whose clock is its frame time: it only moves when the host says so.
// The backend the host supplies has no I/O; wake() only records that work
// arrived (a real host would post an event to its own queue).
class FrameClockBackend final : public asyncio::Backend {
 public:
  void poll(double timeout) override {
    // run_step() never lets the loop wait.
    CHECK(timeout == 0);
  }
  void wake() noexcept override { ++wakes; }
  double time() const noexcept override { return now; }
  std::string platform() const override { return "test-host"; }

  double now = 1000.0;
  int wakes = 0;
};

struct Host {
  FrameClockBackend* backend;
  std::shared_ptr<EventLoop> loop;
  std::vector<std::string> log;

  Host() {
    auto b = std::make_unique<FrameClockBackend>();
    backend = b.get();
    loop = std::make_shared<EventLoop>(std::move(b));
  }
  ~Host() {
    if (!loop->is_closed()) loop->close();
  }
  void advance(double seconds) { backend->now += seconds; }
};

asyncio::Coro<> sleeper(std::vector<std::string>& log) {
  log.push_back("task started");
  co_await asyncio::sleep(0.5);
  log.push_back("task slept 0.5");
  co_await asyncio::sleep(0.5);
  log.push_back("task done");
}

}  // namespace

TEST_CASE("timers and tasks advance only when the host steps the loop", "[embedding]") {
  // Times are sums of powers of two, so the frame clock adds up exactly.
  Host h;
  asyncio::Task<void> task = h.loop->create_task(sleeper(h.log));
  h.loop->call_later(1.0, [&] { h.log.push_back("timer 1.0"); });

  h.advance(0.25);  // time passes, but the host has not stepped
  CHECK(h.log.empty());
  CHECK(h.loop->run_step());  // the task's first step: its sleep ends at +0.75
  CHECK(h.log == std::vector<std::string>{"task started"});

  h.advance(0.25);
  CHECK(h.loop->run_step());
  CHECK(h.log.size() == 1);

  h.advance(0.25);  // the sleep is over, but nothing runs between steps
  CHECK(h.log.size() == 1);
  CHECK(h.loop->run_step());  // the sleep's timer fires and wakes the task
  CHECK(h.log.size() == 1);
  CHECK(h.loop->run_step());  // the task's next step runs; its sleep ends at +1.25
  CHECK(h.log.back() == "task slept 0.5");

  h.advance(0.25);
  CHECK(h.loop->run_step());
  CHECK(h.log.back() == "timer 1.0");

  h.advance(0.25);
  for (int i = 0; i < 4 && !task.done(); ++i) CHECK(h.loop->run_step());
  CHECK(task.done());
  CHECK(h.log == std::vector<std::string>{"task started", "task slept 0.5", "timer 1.0", "task done"});
}

TEST_CASE("time_until_next_step tells the host how long it may wait", "[embedding]") {
  Host h;
  CHECK_FALSE(h.loop->time_until_next_step().has_value());  // idle: only a wake-up brings work

  h.loop->call_later(2.0, [] {});
  REQUIRE(h.loop->time_until_next_step().has_value());
  CHECK(*h.loop->time_until_next_step() == Approx(2.0));

  h.advance(1.5);
  CHECK(*h.loop->time_until_next_step() == Approx(0.5));

  h.loop->call_soon([] {});
  CHECK(*h.loop->time_until_next_step() == 0.0);
  CHECK(h.loop->run_step());

  h.advance(10.0);  // overdue timers count as ready
  CHECK(*h.loop->time_until_next_step() == 0.0);
  CHECK(h.loop->run_step());
  CHECK_FALSE(h.loop->time_until_next_step().has_value());
}

TEST_CASE("the loop is running during a step and only then", "[embedding]") {
  Host h;
  bool running_inside = false;
  EventLoop* seen = nullptr;
  h.loop->call_soon([&] {
    running_inside = h.loop->is_running();
    seen = &asyncio::get_running_loop();
  });
  CHECK(h.loop->run_step());
  CHECK(running_inside);
  CHECK(seen == h.loop.get());
  CHECK_FALSE(h.loop->is_running());
  CHECK_THROWS_AS(asyncio::get_running_loop(), asyncio::RuntimeError);
}

TEST_CASE("run_step runs only what was ready when it started", "[embedding]") {
  Host h;
  h.loop->call_soon([&] {
    h.log.push_back("a");
    h.loop->call_soon([&] { h.log.push_back("b"); });
  });
  CHECK(h.loop->run_step());
  CHECK(h.log == std::vector<std::string>{"a"});
  CHECK(h.loop->run_step());
  CHECK(h.log == std::vector<std::string>{"a", "b"});
}

TEST_CASE("run_step returns false once stop is called", "[embedding]") {
  Host h;
  h.loop->call_soon([&] { h.loop->stop(); });
  h.loop->call_soon([&] { h.log.push_back("same iteration"); });
  CHECK_FALSE(h.loop->run_step());
  CHECK(h.log == std::vector<std::string>{"same iteration"});  // stop ends the run after the iteration
  CHECK(h.loop->run_step());  // the host may go on stepping: stop() is not sticky
}

// A callback that schedules itself again, `left` more times.
struct Chain {
  Host& h;
  int left;
  int ran = 0;
  double advance_each = 0;  // seconds of the host's clock each call uses
  void operator()() {
    ++ran;
    h.advance(advance_each);
    if (--left > 0) h.loop->call_soon(std::ref(*this));
  }
};

TEST_CASE("run_steps runs iterations back to back while callbacks are ready", "[embedding]") {
  Host h;
  Chain chain{h, 100};
  h.loop->call_soon(std::ref(chain));
  CHECK(h.loop->run_steps(1.0));  // the clock does not move: the chain ends the slice
  CHECK(chain.ran == 100);
  CHECK_FALSE(h.loop->is_running());
  CHECK_THROWS_AS(asyncio::get_running_loop(), asyncio::RuntimeError);
  CHECK_FALSE(h.loop->time_until_next_step().has_value());
}

TEST_CASE("run_steps ends its slice at a future timer and goes on through due ones", "[embedding]") {
  Host h;
  h.loop->call_later(0.0, [&] {
    h.log.push_back("due");
    h.loop->call_later(0.0, [&] { h.log.push_back("due from a timer"); });
  });
  h.loop->call_later(5.0, [&] { h.log.push_back("later"); });
  CHECK(h.loop->run_steps(1.0));
  CHECK(h.log == std::vector<std::string>{"due", "due from a timer"});
  REQUIRE(h.loop->time_until_next_step().has_value());
  CHECK(*h.loop->time_until_next_step() == Approx(5.0));
  h.advance(5.0);
  CHECK(h.loop->run_steps(1.0));
  CHECK(h.log.back() == "later");
}

TEST_CASE("run_steps stops after its time slice on the loop's clock", "[embedding]") {
  Host h;
  Chain chain{h, 1000, 0, 0.0078125};  // 1/128 s per call, exact in binary
  h.loop->call_soon(std::ref(chain));
  CHECK(h.loop->run_steps(0.25));  // 32 calls' worth; the clock is read every 16 iterations
  CHECK(chain.ran == 32);
  CHECK(h.loop->run_steps(0.0));  // at least one iteration, then the first clock read ends it
  CHECK(chain.ran == 48);
  CHECK(*h.loop->time_until_next_step() == 0.0);  // the rest is still queued
}

TEST_CASE("run_steps returns false once stop is called", "[embedding]") {
  Host h;
  Chain chain{h, 10};
  h.loop->call_soon(std::ref(chain));
  h.loop->call_soon([&] { h.loop->call_soon([&] { h.loop->stop(); }); });
  CHECK_FALSE(h.loop->run_steps(1.0));
  CHECK(chain.ran == 2);  // stop() ran in the second iteration, which ends the slice
  CHECK_FALSE(h.loop->is_running());
  CHECK(h.loop->run_steps(1.0));  // not sticky
  CHECK(chain.ran == 10);
  h.loop->close();
  CHECK_THROWS_WITH(h.loop->run_steps(1.0), "Event loop is closed");
}

TEST_CASE("run_step refuses a closed loop or a loop already running", "[embedding]") {
  Host h;
  bool nested_refused = false;
  h.loop->call_soon([&] {
    try {
      (void)h.loop->run_step();
    } catch (const asyncio::RuntimeError& e) {
      nested_refused = std::string(e.what()) == "This event loop is already running";
    }
  });
  CHECK(h.loop->run_step());
  CHECK(nested_refused);
  h.loop->close();
  CHECK_THROWS_WITH(h.loop->run_step(), "Event loop is closed");
}

TEST_CASE("call_soon_threadsafe wakes the host's backend", "[embedding]") {
  Host h;
  h.loop->call_soon_threadsafe([&] { h.log.push_back("from outside"); });
  CHECK(h.backend->wakes == 1);
  CHECK(*h.loop->time_until_next_step() == 0.0);
  CHECK(h.loop->run_step());
  CHECK(h.log == std::vector<std::string>{"from outside"});
}

TEST_CASE("run_step on the default backend does not wait for a distant timer", "[embedding]") {
  auto loop = asyncio::new_event_loop();
  bool fired = false;
  loop->call_later(30s, [&] { fired = true; });
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) CHECK(loop->run_step());
  // Generous bound: a blocking poll would take 30 s.
  CHECK(std::chrono::steady_clock::now() - t0 < 10s);
  CHECK_FALSE(fired);
  loop->close();
}
