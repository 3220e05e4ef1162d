// The event loop: scheduling, ordering, running, closing, errors, threads,
// debug mode. Python: test_base_events.py, test_events.py. Signals:
// test_events_posix.cpp and test_events_win.cpp.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <random>
#include <thread>
#include <tuple>
#include <utility>

#include "support.hpp"
#include "asyncio/detail/loop_internals.hpp"

using namespace std::chrono_literals;
using asyncio::EventLoop;
using test::LoopFixture;

TEST_CASE("call_soon runs callbacks once each in FIFO order", "[events]") {
  LoopFixture f;
  for (int i = 0; i < 5; ++i) f.loop->call_soon(f.record("cb" + std::to_string(i)));
  f.run_briefly();
  f.run_briefly();
  CHECK(f.events == std::vector<std::string>{"cb0", "cb1", "cb2", "cb3", "cb4"});
}

TEST_CASE("call_soon passes its arguments to the callback", "[events]") {
  LoopFixture f;
  int sum = 0;
  f.loop->call_soon([&](int a, int b, const std::string& s) { sum = a + b + static_cast<int>(s.size()); }, 1, 2,
                    std::string("abc"));
  f.run_briefly();
  CHECK(sum == 6);
}

TEST_CASE("callbacks scheduled by a callback run on the next iteration", "[events]") {
  LoopFixture f;
  f.loop->call_soon([&] {
    f.events.push_back("a");
    f.loop->call_soon(f.record("b"));
  });
  f.loop->call_soon([&] { f.loop->stop(); });
  f.loop->run_forever();
  // stop() ends the loop after the iteration that was ready: b waits.
  CHECK(f.events == std::vector<std::string>{"a"});
  f.run_briefly();
  CHECK(f.events == std::vector<std::string>{"a", "b"});
}

TEST_CASE("stop before run_forever runs exactly one iteration", "[events]") {
  LoopFixture f;
  f.loop->call_soon([&] {
    f.events.push_back("first");
    f.loop->call_soon(f.record("second"));
  });
  f.loop->stop();
  f.loop->run_forever();
  CHECK(f.events == std::vector<std::string>{"first"});
  CHECK_FALSE(f.loop->is_running());
}

TEST_CASE("timers with equal deadlines fire in the order they were scheduled", "[events]") {
  // CPython leaves this order undefined (its heapq gives 0 2 6 5 7 1 3 4);
  // the library guarantees first scheduled, first fired (docs/eventloop.md).
  LoopFixture f;
  const double when = f.loop->time() + 0.01;
  for (int i = 0; i < 8; ++i) f.loop->call_at(when, f.record(std::to_string(i)));
  f.loop->call_soon(f.record("soon"));
  f.loop->call_at(when + 0.01, [&] { f.loop->stop(); });
  f.loop->run_forever();
  CHECK(f.events == std::vector<std::string>{"soon", "0", "1", "2", "3", "4", "5", "6", "7"});
}

TEST_CASE("many timers on a few deadlines fire by deadline, then in scheduling order", "[events]") {
  LoopFixture f;
  // 2,000 timers on 5 deadlines, scheduled in a scrambled deadline order,
  // some cancelled (a third; or two thirds, which makes the loop rebuild
  // its heap without them): the fired sequence is sorted by (deadline,
  // scheduling order) and holds exactly the timers not cancelled.
  const bool cancel_most = GENERATE(false, true);
  const double base = f.loop->time() + 0.02;
  std::vector<std::pair<int, int>> fired;  // (deadline slot, scheduling index)
  std::vector<std::pair<int, int>> expected;
  std::vector<asyncio::TimerHandle> handles;
  for (int i = 0; i < 2000; ++i) {
    const int slot = (i * 7 + i / 13) % 5;
    auto record = [&fired, slot, i] { fired.emplace_back(slot, i); };
    handles.push_back(f.loop->call_at(base + slot * 0.005, record));
    if ((i % 3 == 0) == cancel_most) expected.emplace_back(slot, i);
  }
  for (int i = 0; i < 2000; ++i)
    if ((i % 3 == 0) != cancel_most) handles[static_cast<std::size_t>(i)].cancel();
  std::sort(expected.begin(), expected.end());
  f.loop->call_at(base + 0.05, [&] { f.loop->stop(); });
  f.loop->run_forever();
  CHECK(fired == expected);
}

TEST_CASE("a timer due before the last fired one fires first, equal deadlines in scheduling order", "[events]") {
  // The timer queue keeps deadlines at or after the last fired one in radix
  // buckets and earlier ones in a heap (detail/timer_queue.hpp): both
  // structures, and deadlines equal to the last fired one, in one batch.
  LoopFixture f(asyncio::testing::new_virtual_time_loop({.autojump = false, .start = 100.0}));
  asyncio::testing::VirtualClock& clock = *asyncio::testing::virtual_clock(*f.loop);
  f.loop->call_at(110.0, f.record("a@110"));
  f.loop->call_at(120.0, f.record("b@120"));
  clock.advance(10.0);
  f.run_briefly();
  REQUIRE(f.events == std::vector<std::string>{"a@110"});
  f.loop->call_at(110.0, f.record("c@110"));  // equal to the last fired
  f.loop->call_at(105.0, f.record("d@105"));  // before it
  f.loop->call_at(120.0, f.record("e@120"));  // equal to a pending one
  f.loop->call_at(105.0, f.record("f@105"));
  f.loop->call_later(0.0, f.record("g@110"));
  f.loop->call_at(107.0, f.record("h@107"));
  f.loop->call_at(110.0, f.record("i@110"));
  clock.advance(10.0);
  f.run_briefly();
  CHECK(f.events == std::vector<std::string>{"a@110", "d@105", "f@105", "h@107", "c@110", "g@110", "i@110", "b@120",
                                             "e@120"});
  CHECK(asyncio::detail::internals(*f.loop).scheduled_timer_count() == 0);
}

TEST_CASE("timers fire by (deadline, scheduling order) under any mix of scheduling and cancelling", "[events]") {
  // A model check of the timer queue: rounds of timers scheduled in order,
  // out of order, on a shared grid of deadlines (equal deadlines across
  // rounds, some already past), from callbacks (at their own deadline, and
  // before it), with a third or two thirds cancelled (the latter makes the
  // loop compact); the clock moves by steps, one iteration per step. Each
  // iteration must fire exactly the due, uncancelled timers, sorted by
  // (deadline, scheduling order). Clock origins far apart change which
  // bits of the deadlines differ.
  const double start = GENERATE(0.0, 1000.0, 123456.789);
  LoopFixture f(asyncio::testing::new_virtual_time_loop({.autojump = false, .start = start}));
  asyncio::testing::VirtualClock& clock = *asyncio::testing::virtual_clock(*f.loop);
  std::mt19937 rng(static_cast<unsigned>(start) + 7);
  struct Timer {
    double when;
    bool cancelled = false;
    int fired = 0;
  };
  std::vector<Timer> model;
  std::vector<asyncio::TimerHandle> handles;
  std::vector<int> fired_now;
  std::function<void(double)> schedule = [&](double when) {
    const int id = static_cast<int>(model.size());
    model.push_back({when});
    auto fire = [&, id] {
      fired_now.push_back(id);
      ++model[static_cast<std::size_t>(id)].fired;
      const double own = model[static_cast<std::size_t>(id)].when;
      if (id % 5 == 0) schedule(own);  // equal to the deadline just fired
      if (id % 7 == 0) schedule(own - 0.002);  // before it (already past)
      if (id % 11 == 0) f.loop->call_later(0.0, [&fired_now] { fired_now.push_back(-1); });
    };
    handles.push_back(f.loop->call_at(when, fire));
  };
  auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  for (int round = 0; round < 60; ++round) {
    const double now = clock.time();
    switch (round % 4) {
      case 0:  // in order, some delays repeated
        for (int k = 0, d = 0; k < 40; ++k, d += pick(2)) schedule(now + d * 0.0005);
        break;
      case 1:  // out of order on ten deadlines
        for (int k = 0; k < 40; ++k) schedule(now + pick(10) * 0.001);
        break;
      case 2: {  // on a grid shared by all rounds, a few slots already past
        const double slot = std::floor((now - start) / 0.001);
        for (int k = 0; k < 40; ++k) schedule(start + (slot - 3 + pick(24)) * 0.001);
        break;
      }
      default:  // anywhere in the next 50 ms
        for (int k = 0; k < 40; ++k) schedule(now + std::uniform_real_distribution<double>(0.0, 0.05)(rng));
    }
    const int cancel_per_6 = round % 8 == 7 ? 4 : 2;
    for (std::size_t i = 0; i < model.size(); ++i) {
      if (model[i].fired != 0 || model[i].cancelled || pick(6) >= cancel_per_6) continue;
      model[i].cancelled = true;
      handles[i].cancel();
    }
    const double steps[] = {0.0, 0.0005, 0.001, 0.003};
    clock.advance(steps[pick(4)]);
    std::vector<std::tuple<double, int>> due;
    for (std::size_t i = 0; i < model.size(); ++i) {
      const Timer& t = model[i];
      if (t.fired == 0 && !t.cancelled && t.when < clock.time() + 1e-9) due.emplace_back(t.when, static_cast<int>(i));
    }
    std::sort(due.begin(), due.end());
    std::vector<int> expected;
    for (const auto& d : due) expected.push_back(std::get<1>(d));
    fired_now.clear();
    f.run_briefly();
    std::erase(fired_now, -1);  // the call_later(0)s
    INFO("round " << round);
    REQUIRE(fired_now == expected);
  }
  clock.advance(1.0);
  for (int i = 0; i < 100 && asyncio::detail::internals(*f.loop).scheduled_timer_count() > 0; ++i) f.run_briefly();
  for (const Timer& t : model) CHECK(t.fired == (t.cancelled ? 0 : 1));
  CHECK(asyncio::detail::internals(*f.loop).scheduled_timer_count() == 0);
}

TEST_CASE("timers fire in deadline order", "[events]") {
  LoopFixture f;
  // 50 ms apart: under qemu the first call of each call_later instantiation
  // can take over 10 ms, which would shift a later deadline past an earlier.
  f.loop->call_later(0.15, f.record("150ms"));
  f.loop->call_later(0.05, f.record("50ms"));
  f.loop->call_later(100ms, f.record("100ms"));
  f.loop->call_later(0.2, [&] { f.loop->stop(); });
  f.loop->run_forever();
  CHECK(f.events == std::vector<std::string>{"50ms", "100ms", "150ms"});
}

TEST_CASE("due timers run after the callbacks already ready", "[events]") {
  // CPython: call_later(0, b) then call_soon(a) runs a, then b.
  LoopFixture f;
  f.loop->call_later(0, f.record("b"));
  f.loop->call_soon(f.record("a"));
  f.loop->call_soon([&] { f.loop->stop(); });
  f.loop->run_forever();
  CHECK(f.events == std::vector<std::string>{"a", "b"});
}

TEST_CASE("a negative delay runs on the next iteration", "[events]") {
  LoopFixture f;
  f.loop->call_later(-5.0, f.record("late"));
  f.run_briefly();
  CHECK(f.events == std::vector<std::string>{"late"});
}

TEST_CASE("a timer does not fire before its deadline", "[events]") {
  LoopFixture f;
  double fired_at = 0;
  const double start = f.loop->time();
  f.loop->call_later(0.05, [&] {
    fired_at = f.loop->time();
    f.loop->stop();
  });
  f.loop->run_forever();
  CHECK(fired_at - start >= 0.05 - 1e-9);
}

TEST_CASE("TimerHandle::when is the scheduled loop time", "[events]") {
  LoopFixture f;
  const double when = f.loop->time() + 100;
  asyncio::TimerHandle h = f.loop->call_at(when, [] {});
  CHECK(h.when() == when);
  asyncio::TimerHandle h2 = f.loop->call_later(10.0, [] {});
  CHECK(h2.when() >= f.loop->time() + 9.9);
  h.cancel();
  h2.cancel();
}

TEST_CASE("a cancelled handle never runs", "[events]") {
  LoopFixture f;
  asyncio::Handle h = f.loop->call_soon(f.record("cancelled"));
  f.loop->call_soon(f.record("kept"));
  CHECK_FALSE(h.cancelled());
  h.cancel();
  CHECK(h.cancelled());
  h.cancel();  // idempotent
  f.run_briefly();
  CHECK(f.events == std::vector<std::string>{"kept"});
}

TEST_CASE("a cancelled timer never runs and leaves the heap", "[events]") {
  LoopFixture f;
  asyncio::TimerHandle h = f.loop->call_later(0.01, f.record("timer"));
  CHECK(asyncio::detail::internals(*f.loop).scheduled_timer_count() == 1);
  h.cancel();
  f.loop->call_later(0.02, [&] { f.loop->stop(); });
  f.loop->run_forever();
  CHECK(f.events.empty());
  CHECK(asyncio::detail::internals(*f.loop).scheduled_timer_count() == 0);
}

TEST_CASE("cancelled timers are purged in bulk when they are most of the heap", "[events]") {
  // CPython rebuilds the heap when more than 100 timers are scheduled and
  // more than half of them are cancelled.
  LoopFixture f;
  std::vector<asyncio::TimerHandle> handles;
  for (int i = 0; i < 150; ++i) handles.push_back(f.loop->call_later(1000.0 + i, [] {}));
  asyncio::TimerHandle first = f.loop->call_later(500.0, [] {});
  for (int i = 0; i < 100; ++i) handles[static_cast<std::size_t>(i)].cancel();
  f.run_briefly();
  CHECK(asyncio::detail::internals(*f.loop).scheduled_timer_count() == 51);
  first.cancel();
  for (auto& h : handles) h.cancel();
  f.run_briefly();
  CHECK(asyncio::detail::internals(*f.loop).scheduled_timer_count() == 0);
}

TEST_CASE("cancelled timers at the head of the heap are dropped lazily", "[events]") {
  LoopFixture f;
  asyncio::TimerHandle a = f.loop->call_later(100.0, [] {});
  asyncio::TimerHandle b = f.loop->call_later(200.0, [] {});
  b.cancel();
  f.run_briefly();
  CHECK(asyncio::detail::internals(*f.loop).scheduled_timer_count() == 2);  // b is not at the head
  a.cancel();
  f.run_briefly();
  CHECK(asyncio::detail::internals(*f.loop).scheduled_timer_count() == 0);
}

TEST_CASE("a callback may cancel its own handle while running", "[events]") {
  LoopFixture f;
  asyncio::Handle self;
  int runs = 0;
  self = f.loop->call_soon([&] {
    ++runs;
    self.cancel();
  });
  f.run_briefly();
  CHECK(runs == 1);
  CHECK(self.cancelled());
}

TEST_CASE("cancelling a handle releases its callback at once", "[events]") {
  LoopFixture f;
  auto resource = std::make_shared<int>(1);
  asyncio::TimerHandle h = f.loop->call_later(1000.0, [resource] {});
  CHECK(resource.use_count() == 2);
  h.cancel();
  CHECK(resource.use_count() == 1);
}

TEST_CASE("dropping a Handle does not cancel the callback", "[events]") {
  LoopFixture f;
  { (void)f.loop->call_soon(f.record("ran")); }
  f.run_briefly();
  CHECK(f.events == std::vector<std::string>{"ran"});
}

TEST_CASE("Handle repr follows CPython", "[events]") {
  LoopFixture f;
  asyncio::Handle h = f.loop->call_soon([] {});
  CHECK(h.repr().rfind("<Handle ", 0) == 0);
  h.cancel();
  CHECK(h.repr() == "<Handle cancelled>");
  asyncio::TimerHandle t = f.loop->call_at(123.5, [] {});
  CHECK(t.repr().rfind("<TimerHandle when=123.5 ", 0) == 0);
  t.cancel();
  CHECK(t.repr() == "<TimerHandle cancelled when=123.5>");
  CHECK(asyncio::Handle().repr() == "<Handle empty>");
}

TEST_CASE("call_at with a NaN deadline raises ValueError", "[events]") {
  LoopFixture f;
  CHECK_THROWS_AS(f.loop->call_at(std::nan(""), [] {}), asyncio::ValueError);
  CHECK_THROWS_AS(f.loop->call_later(std::nan(""), [] {}), asyncio::ValueError);
}

TEST_CASE("scheduling on a closed loop raises RuntimeError", "[events]") {
  LoopFixture f;
  f.loop->close();
  CHECK_THROWS_WITH(f.loop->call_soon([] {}), "Event loop is closed");
  CHECK_THROWS_WITH(f.loop->call_later(1.0, [] {}), "Event loop is closed");
  CHECK_THROWS_WITH(f.loop->call_soon_threadsafe([] {}), "Event loop is closed");
  CHECK_THROWS_WITH(f.loop->run_forever(), "Event loop is closed");
}

TEST_CASE("close is idempotent and drops pending callbacks and timers", "[events]") {
  LoopFixture f;
  auto resource = std::make_shared<int>(0);
  f.loop->call_soon([resource] {});
  f.loop->call_later(10.0, [resource] {});
  CHECK(resource.use_count() == 3);
  CHECK_FALSE(f.loop->is_closed());
  f.loop->close();
  CHECK(f.loop->is_closed());
  CHECK(resource.use_count() == 1);
  CHECK(asyncio::detail::internals(*f.loop).ready_count() == 0);
  CHECK(asyncio::detail::internals(*f.loop).scheduled_timer_count() == 0);
  f.loop->close();
}

TEST_CASE("closing a running loop raises RuntimeError", "[events]") {
  LoopFixture f;
  std::string message;
  f.loop->call_soon([&] {
    try {
      f.loop->close();
    } catch (const asyncio::RuntimeError& e) {
      message = e.what();
    }
    f.loop->stop();
  });
  f.loop->run_forever();
  CHECK(message == "Cannot close a running event loop");
}

TEST_CASE("running a running loop raises RuntimeError", "[events]") {
  LoopFixture f;
  std::string message;
  f.loop->call_soon([&] {
    try {
      f.loop->run_forever();
    } catch (const asyncio::RuntimeError& e) {
      message = e.what();
    }
    f.loop->stop();
  });
  f.loop->run_forever();
  CHECK(message == "This event loop is already running");
}

TEST_CASE("running a second loop inside a running one raises RuntimeError", "[events]") {
  LoopFixture f;
  auto other = asyncio::new_event_loop();
  std::string message;
  f.loop->call_soon([&] {
    try {
      other->run_forever();
    } catch (const asyncio::RuntimeError& e) {
      message = e.what();
    }
    f.loop->stop();
  });
  f.loop->run_forever();
  other->close();
  CHECK(message == "Cannot run the event loop while another loop is running");
}

TEST_CASE("is_running is true only inside run_forever", "[events]") {
  LoopFixture f;
  bool inside = false;
  f.loop->call_soon([&] {
    inside = f.loop->is_running();
    f.loop->stop();
  });
  CHECK_FALSE(f.loop->is_running());
  f.loop->run_forever();
  CHECK(inside);
  CHECK_FALSE(f.loop->is_running());
}

TEST_CASE("an exception escaping a callback goes to the handler and the loop goes on", "[events]") {
  LoopFixture f;
  f.expect_report("Exception in callback ");
  f.loop->call_soon([] { throw std::runtime_error("boom"); });
  f.loop->call_soon(f.record("after"));
  f.run_briefly();
  REQUIRE(f.errors.size() == 1);
  CHECK(f.errors[0].message.rfind("Exception in callback ", 0) == 0);
  CHECK(test::message_of(f.errors[0].exception) == "boom");
  CHECK(f.errors[0].handle.has_value());
  CHECK(f.events == std::vector<std::string>{"after"});
}

TEST_CASE("the default exception handler logs the context at ERROR", "[events]") {
  auto loop = asyncio::new_event_loop();
  test::LogCapture log;
  loop->call_soon([] { throw asyncio::ValueError("bad value"); });
  loop->call_soon([&] { loop->stop(); });
  loop->run_forever();
  loop->close();
  REQUIRE(log.records.size() == 1);
  CHECK(log.records[0].first == asyncio::LogLevel::error);
  const std::string& text = log.records[0].second;
  CHECK(text.rfind("Exception in callback ", 0) == 0);
  CHECK(text.find("\nhandle: <Handle ") != std::string::npos);
  CHECK(text.find("ValueError: bad value") != std::string::npos);
}

TEST_CASE("default_exception_handler sorts the context keys and names the exception", "[events]") {
  auto loop = asyncio::new_event_loop();
  test::LogCapture log;
  asyncio::ExceptionContext context;
  context.extra = {{"transport", "<T>"}, {"protocol", "<P>"}};
  context.exception = std::make_exception_ptr(asyncio::RuntimeError("x"));
  loop->default_exception_handler(context);
  loop->close();
  REQUIRE(log.records.size() == 1);
  CHECK(log.records[0].second == "Unhandled exception in event loop\nprotocol: <P>\ntransport: <T>\nRuntimeError: x");
}

TEST_CASE("an error in a custom exception handler is logged by the default one", "[events]") {
  auto loop = asyncio::new_event_loop();
  test::LogCapture log;
  loop->set_exception_handler([](EventLoop&, const asyncio::ExceptionContext&) { throw std::logic_error("oops"); });
  asyncio::ExceptionContext context;
  context.message = "original";
  loop->call_exception_handler(context);
  loop->close();
  REQUIRE(log.records.size() == 1);
  CHECK(log.records[0].second.rfind("Unhandled error in exception handler\ncontext: ", 0) == 0);
  CHECK(log.records[0].second.find("original") != std::string::npos);
  CHECK(log.records[0].second.find("oops") != std::string::npos);
}

TEST_CASE("set_exception_handler with nullptr restores the default handler", "[events]") {
  auto loop = asyncio::new_event_loop();
  CHECK_FALSE(loop->get_exception_handler());
  int calls = 0;
  loop->set_exception_handler([&](EventLoop&, const asyncio::ExceptionContext&) { ++calls; });
  CHECK(static_cast<bool>(loop->get_exception_handler()));
  loop->call_exception_handler({});
  loop->set_exception_handler(nullptr);
  test::LogCapture log;
  loop->call_exception_handler({});
  loop->close();
  CHECK(calls == 1);
  CHECK(log.records.size() == 1);
}

TEST_CASE("KeyboardInterrupt escaping a callback stops run_forever and keeps the rest", "[events]") {
  LoopFixture f;
  f.loop->call_soon([] { throw asyncio::KeyboardInterrupt(); });
  f.loop->call_soon(f.record("after"));
  CHECK_THROWS_AS(f.loop->run_forever(), asyncio::KeyboardInterrupt);
  CHECK_FALSE(f.loop->is_running());
  CHECK(f.errors.empty());
  f.run_briefly();  // the loop is still usable; the next callback was kept
  CHECK(f.events == std::vector<std::string>{"after"});
}

TEST_CASE("SystemExit escaping a callback propagates out of run_forever", "[events]") {
  LoopFixture f;
  f.loop->call_soon([] { throw asyncio::SystemExit(3); });
  try {
    f.loop->run_forever();
    FAIL("no SystemExit");
  } catch (const asyncio::SystemExit& e) {
    CHECK(e.code() == 3);
  }
}

TEST_CASE("call_soon_threadsafe wakes a loop blocked waiting", "[events][threads]") {
  LoopFixture f;
  f.loop->call_later(30.0, [] {});  // the loop would otherwise sleep 30 s
  std::atomic<bool> ran{false};
  std::thread other([&] {
    std::this_thread::sleep_for(50ms);
    f.loop->call_soon_threadsafe([&] {
      ran = true;
      f.loop->stop();
    });
  });
  const double start = f.loop->time();
  f.loop->run_forever();
  other.join();
  CHECK(ran.load());
  CHECK(f.loop->time() - start < 10.0);
}

TEST_CASE("call_soon_threadsafe callbacks from many threads all run", "[events][threads]") {
  LoopFixture f;
  std::atomic<int> count{0};
  constexpr int kThreads = 4, kEach = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) f.loop->call_soon_threadsafe([&] { ++count; });
    });
  }
  f.loop->call_soon_threadsafe([] {});
  std::function<void()> poll_done = [&] {
    if (count.load() == kThreads * kEach)
      f.loop->stop();
    else
      f.loop->call_later(0.001, poll_done);
  };
  f.loop->call_soon(poll_done);
  f.loop->run_forever();
  for (auto& t : threads) t.join();
  CHECK(count.load() == kThreads * kEach);
}

TEST_CASE("a call_soon_threadsafe handle can be cancelled from another thread", "[events][threads]") {
  LoopFixture f;
  asyncio::Handle h;
  std::thread other([&] { h = f.loop->call_soon_threadsafe(f.record("never")); });
  other.join();
  std::thread canceller([&] { h.cancel(); });
  canceller.join();
  CHECK(h.cancelled());
  f.run_briefly();
  CHECK(f.events.empty());
}

namespace {
// Loop-thread state, touched without atomics by the loop's callbacks and by
// the destructor of the callable below.
struct LoopSide {
  int touches = 0;
  std::thread::id destroyed_in;
};
// A callable that must never run (its handle is cancelled); its destructor
// touches the loop-side state, as a capture shared with the loop would.
struct NeverRuns {
  LoopSide* side;
  explicit NeverRuns(LoopSide* s) : side(s) {}
  NeverRuns(NeverRuns&& o) noexcept : side(std::exchange(o.side, nullptr)) {}
  NeverRuns& operator=(NeverRuns&&) = delete;
  ~NeverRuns() {
    if (side == nullptr) return;  // moved from
    ++side->touches;
    side->destroyed_in = std::this_thread::get_id();
  }
  void operator()() const { FAIL_CHECK("a cancelled callback ran"); }
};

asyncio::Coro<> touch_until(LoopSide& side, const bool& done) {
  while (!done) {
    ++side.touches;
    co_await asyncio::sleep(0);
  }
}
}  // namespace

TEST_CASE("a call_soon_threadsafe callback cancelled from another thread is destroyed in the loop's thread",
          "[events][threads]") {
  // Python 3.14's _ThreadSafeHandle. Destroying the callable in the
  // cancelling thread would race with the loop on what it captured (a data
  // race ThreadSanitizer reports).
  LoopFixture f;
  LoopSide side;
  bool done = false;
  std::thread other([&] {
    asyncio::Handle h = f.loop->call_soon_threadsafe(NeverRuns(&side));
    h.cancel();
    h = asyncio::Handle();  // this thread lets go of it too
    f.loop->call_soon_threadsafe([&done] { done = true; });
  });
  f.loop->run_until_complete(touch_until(side, done));
  other.join();
  CHECK(side.destroyed_in == std::this_thread::get_id());
  CHECK(side.touches >= 2);  // the loop's touches and the destructor's
}

TEST_CASE("a call_soon_threadsafe callback pending when its loop closes is destroyed in the closing thread",
          "[events][threads]") {
  LoopFixture f;
  LoopSide side;
  asyncio::Handle h;
  std::thread other([&] { h = f.loop->call_soon_threadsafe(NeverRuns(&side)); });
  other.join();
  h.cancel();
  std::thread releaser([&] { h = asyncio::Handle(); });  // the last Handle goes in another thread...
  releaser.join();
  CHECK(side.touches == 0);  // ... and the callable is still there
  f.loop->close();
  CHECK(side.destroyed_in == std::this_thread::get_id());
}

TEST_CASE("time is the monotonic clock in seconds", "[events]") {
  LoopFixture f;
  const double a = f.loop->time();
  std::this_thread::sleep_for(20ms);
  const double b = f.loop->time();
  CHECK(b - a >= 0.019);
  CHECK(b - a < 5.0);
}

TEST_CASE("debug mode logs callbacks slower than slow_callback_duration", "[events]") {
  LoopFixture f;
  test::LogCapture log;
  f.loop->set_debug(true);
  CHECK(f.loop->get_debug());
  f.loop->slow_callback_duration = 0.01;
  f.loop->call_soon([] { std::this_thread::sleep_for(30ms); });
  f.loop->call_soon([] {});
  f.run_briefly();
  int slow = 0;
  for (const auto& r : log.records) {
    if (r.second.rfind("Executing <Handle ", 0) == 0 && r.second.find(" took ") != std::string::npos) {
      CHECK(r.first == asyncio::LogLevel::warning);
      ++slow;
    }
  }
  CHECK(slow == 1);
}

TEST_CASE("debug mode rejects call_soon from another thread while running", "[events][threads]") {
  LoopFixture f;
  f.loop->set_debug(true);
  std::string message;
  f.loop->call_soon([&] {
    std::thread other([&] {
      try {
        f.loop->call_soon([] {});
      } catch (const asyncio::RuntimeError& e) {
        message = e.what();
      }
    });
    other.join();
    f.loop->stop();
  });
  f.loop->run_forever();
  CHECK(message == "Non-thread-safe operation invoked on an event loop other than the current one");
}

TEST_CASE("get_running_loop raises outside a running loop and finds it inside", "[events]") {
  CHECK_THROWS_WITH(asyncio::get_running_loop(), "no running event loop");
  CHECK(asyncio::_get_running_loop() == nullptr);
  LoopFixture f;
  EventLoop* seen = nullptr;
  f.loop->call_soon([&] {
    seen = &asyncio::get_running_loop();
    f.loop->stop();
  });
  f.loop->run_forever();
  CHECK(seen == f.loop.get());
  CHECK(asyncio::_get_running_loop() == nullptr);
}

TEST_CASE("get_event_loop raises without a current loop (Python 3.14)", "[events][threads]") {
  asyncio::set_event_loop(nullptr);
  CHECK_THROWS_WITH(asyncio::get_event_loop(), "There is no current event loop in thread 'MainThread'.");
  std::string from_thread;
  std::thread other([&] {
    try {
      asyncio::get_event_loop();
    } catch (const asyncio::RuntimeError& e) {
      from_thread = e.what();
    }
  });
  other.join();
  CHECK(from_thread.rfind("There is no current event loop in thread <thread ", 0) == 0);
}

TEST_CASE("set_event_loop makes a loop current for this thread only", "[events][threads]") {
  auto loop = asyncio::new_event_loop();
  asyncio::set_event_loop(loop);
  CHECK(&asyncio::get_event_loop() == loop.get());
  bool other_has_loop = true;
  std::thread other([&] {
    try {
      asyncio::get_event_loop();
    } catch (const asyncio::RuntimeError&) {
      other_has_loop = false;
    }
  });
  other.join();
  CHECK_FALSE(other_has_loop);
  asyncio::set_event_loop(nullptr);
  CHECK_THROWS_AS(asyncio::get_event_loop(), asyncio::RuntimeError);
  loop->close();
}

TEST_CASE("get_event_loop returns the running loop first", "[events]") {
  auto current = asyncio::new_event_loop();
  asyncio::set_event_loop(current);
  LoopFixture f;
  EventLoop* seen = nullptr;
  f.loop->call_soon([&] {
    seen = &asyncio::get_event_loop();
    f.loop->stop();
  });
  f.loop->run_forever();
  CHECK(seen == f.loop.get());
  asyncio::set_event_loop(nullptr);
  current->close();
}

TEST_CASE("new_event_loop returns a new loop each time and does not make it current", "[events]") {
  asyncio::set_event_loop(nullptr);
  auto a = asyncio::new_event_loop();
  auto b = asyncio::new_event_loop();
  CHECK(a != b);
  CHECK_THROWS_AS(asyncio::get_event_loop(), asyncio::RuntimeError);
  a->close();
  b->close();
}

namespace {
struct CountingPolicy : asyncio::DefaultEventLoopPolicy {
  int created = 0;
  std::shared_ptr<EventLoop> new_event_loop() override {
    ++created;
    return DefaultEventLoopPolicy::new_event_loop();
  }
};
}  // namespace

TEST_CASE("set_event_loop_policy replaces the policy and nullptr restores the default", "[events]") {
  auto policy = std::make_shared<CountingPolicy>();
  asyncio::set_event_loop_policy(policy);
  CHECK(&asyncio::get_event_loop_policy() == policy.get());
  auto loop = asyncio::new_event_loop();
  CHECK(policy->created == 1);
  loop->close();
  asyncio::set_event_loop_policy(nullptr);
  CHECK(dynamic_cast<CountingPolicy*>(&asyncio::get_event_loop_policy()) == nullptr);
}

TEST_CASE("the loop destructor closes the loop", "[events]") {
  auto resource = std::make_shared<int>(0);
  {
    auto loop = asyncio::new_event_loop();
    loop->call_later(10.0, [resource] {});
    CHECK(resource.use_count() == 2);
  }
  CHECK(resource.use_count() == 1);
}

TEST_CASE("run_until_complete on a done future still runs one iteration", "[events]") {
  // CPython: the callbacks already scheduled run before it returns.
  LoopFixture f;
  asyncio::Future<int> fut(*f.loop);
  fut.set_result(5);
  f.loop->call_soon(f.record("a"));
  CHECK(f.loop->run_until_complete(fut) == 5);
  CHECK(f.events == std::vector<std::string>{"a"});
}

TEST_CASE("run_until_complete refuses a future of another loop", "[events]") {
  LoopFixture f;
  auto other = asyncio::new_event_loop();
  asyncio::Future<int> foreign(*other);
  CHECK_THROWS_AS(f.loop->run_until_complete(foreign), asyncio::ValueError);
  other->close();
}

TEST_CASE("stopping the loop under run ends it with RuntimeError", "[events]") {
  auto stopper = []() -> asyncio::Coro<> {
    asyncio::get_running_loop().stop();
    co_await asyncio::sleep(1);
  };
  test::LogCapture log;  // the abandoned main task is reported when the loop closes
  CHECK_THROWS_WITH(asyncio::run(stopper()), "Event loop stopped before Future completed.");
}

TEST_CASE("an exception in a done callback goes to the exception handler", "[events]") {
  LoopFixture f;
  f.expect_report("Exception in callback ");
  asyncio::Future<int> fut(*f.loop);
  fut.add_done_callback([](asyncio::Future<int>) { throw std::runtime_error("in callback"); });
  fut.set_result(1);
  f.run_briefly();
  REQUIRE(f.errors.size() == 1);
  CHECK(f.errors[0].message.rfind("Exception in callback ", 0) == 0);
  CHECK(test::message_of(f.errors[0].exception) == "in callback");
}

TEST_CASE("stop twice before run_forever still runs one iteration", "[events]") {
  LoopFixture f;
  f.loop->call_soon(f.record("1"));
  f.loop->stop();
  f.loop->stop();
  f.loop->run_forever();
  CHECK(f.events == std::vector<std::string>{"1"});
  CHECK_FALSE(f.loop->is_running());
}
