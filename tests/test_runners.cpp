// asyncio::run and Runner. Python: test_runners.py. Ctrl-C: test_runners_posix.cpp
// (POSIX signals) and test_runners_win.cpp (console events).
#include "support.hpp"

using asyncio::Coro;

namespace {

Coro<int> answer() {
  co_await asyncio::sleep(0);
  co_return 42;
}

Coro<> fails() {
  co_await asyncio::sleep(0);
  throw asyncio::ValueError("main failed");
}

Coro<asyncio::EventLoop*> running_loop() { co_return &asyncio::get_running_loop(); }

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

TEST_CASE("run returns the coroutine's result", "[runners]") { CHECK(asyncio::run(answer()) == 42); }

TEST_CASE("run propagates the coroutine's exception", "[runners]") {
  CHECK_THROWS_WITH(asyncio::run(fails()), "main failed");
}

TEST_CASE("run uses a new loop each time and closes it", "[runners]") {
  asyncio::EventLoop* first = nullptr;
  std::shared_ptr<asyncio::EventLoop> kept;
  auto grab = [](std::shared_ptr<asyncio::EventLoop>& out) -> Coro<> {
    out = asyncio::get_running_loop().shared_from_this();
    co_return;
  };
  asyncio::run(grab(kept));
  first = kept.get();
  CHECK(kept->is_closed());
  std::shared_ptr<asyncio::EventLoop> second;
  asyncio::run(grab(second));
  CHECK(second != kept);
  CHECK(first != nullptr);
}

TEST_CASE("run inside a running loop raises RuntimeError", "[runners]") {
  auto nested = []() -> Coro<std::string> {
    try {
      asyncio::run(answer());
    } catch (const asyncio::RuntimeError& e) {
      co_return e.what();
    }
    co_return "";
  };
  test::LogCapture log;
  CHECK(asyncio::run(nested()) == "asyncio.run() cannot be called from a running event loop");
}

TEST_CASE("run's debug option sets the loop's debug mode", "[runners]") {
  auto debug = []() -> Coro<bool> { co_return asyncio::get_running_loop().get_debug(); };
  CHECK(asyncio::run(debug(), {.debug = true}));
  CHECK_FALSE(asyncio::run(debug(), {.debug = false}));
}

TEST_CASE("run uses the loop factory and does not make its loop current", "[runners]") {
  std::shared_ptr<asyncio::EventLoop> made;
  auto factory = [&] {
    made = asyncio::new_event_loop();
    return made;
  };
  asyncio::set_event_loop(nullptr);
  auto body = []() -> Coro<bool> {
    // The policy's current loop is not set by a runner with a factory.
    try {
      asyncio::get_event_loop_policy().get_event_loop();
    } catch (const asyncio::RuntimeError&) {
      co_return true;
    }
    co_return false;
  };
  CHECK(asyncio::run(body(), {.loop_factory = factory}));
  REQUIRE(made);
  CHECK(made->is_closed());
}

TEST_CASE("without a factory the runner's loop is current while it runs", "[runners]") {
  asyncio::set_event_loop(nullptr);
  auto body = []() -> Coro<bool> {
    co_return &asyncio::get_event_loop_policy().get_event_loop() == &asyncio::get_running_loop();
  };
  CHECK(asyncio::run(body()));
  CHECK_THROWS_AS(asyncio::get_event_loop(), asyncio::RuntimeError);
}

TEST_CASE("run cancels the tasks left over when main returns", "[runners]") {
  std::vector<std::string> events;
  auto main_coro = [](std::vector<std::string>& out) -> Coro<> {
    (void)asyncio::create_task(sleep_then_record(out, 3600));
    co_await asyncio::sleep(0);
  };
  asyncio::run(main_coro(events));
  CHECK(events == std::vector<std::string>{"cancelled"});
}

TEST_CASE("errors of leftover tasks during shutdown are reported", "[runners]") {
  std::vector<asyncio::ExceptionContext> errors;
  auto main_coro = [](std::vector<asyncio::ExceptionContext>& out) -> Coro<> {
    asyncio::get_running_loop().set_exception_handler(
        [&out](asyncio::EventLoop&, const asyncio::ExceptionContext& c) { out.push_back(c); });
    auto bad = []() -> Coro<> {
      try {
        co_await asyncio::sleep(3600);
      } catch (const asyncio::CancelledError&) {
        throw asyncio::RuntimeError("cleanup failed");
      }
    };
    (void)asyncio::create_task(bad(), {.name = "bad"});
    co_await asyncio::sleep(0);
  };
  asyncio::run(main_coro(errors));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].message == "unhandled exception during asyncio.run() shutdown");
  CHECK(test::message_of(errors[0].exception) == "cleanup failed");
  REQUIRE(errors[0].task.has_value());
  CHECK(errors[0].task->get_name() == "bad");
}

TEST_CASE("a Runner runs several coroutines on one loop", "[runners]") {
  asyncio::Runner runner;
  asyncio::EventLoop* a = runner.run(running_loop());
  asyncio::EventLoop* b = runner.run(running_loop());
  CHECK(a == b);
  CHECK(&runner.get_loop() == a);
  CHECK(runner.run(answer()) == 42);
  runner.close();
  CHECK_THROWS_WITH(runner.run(answer()), "Runner is closed");
  CHECK_THROWS_WITH(runner.get_loop(), "Runner is closed");
  runner.close();  // idempotent
}

TEST_CASE("a Runner keeps tasks between runs and cancels them when closed", "[runners]") {
  std::vector<std::string> events;
  {
    asyncio::Runner runner;
    auto start = [](std::vector<std::string>& out) -> Coro<> {
      (void)asyncio::create_task(sleep_then_record(out, 0.01));
      (void)asyncio::create_task(sleep_then_record(out, 3600));
      co_return;
    };
    runner.run(start(events));
    auto wait = []() -> Coro<> { co_await asyncio::sleep(0.05); };
    runner.run(wait());
    CHECK(events == std::vector<std::string>{"slept"});
  }  // the destructor closes the runner
  CHECK(events == std::vector<std::string>{"slept", "cancelled"});
}

TEST_CASE("Runner.run rejects an empty coroutine and a running loop", "[runners]") {
  asyncio::Runner runner;
  CHECK_THROWS_AS(runner.run(Coro<int>()), asyncio::ValueError);
  auto nested = [](asyncio::Runner& r) -> Coro<std::string> {
    try {
      r.run(answer());
    } catch (const asyncio::RuntimeError& e) {
      co_return e.what();
    }
    co_return "";
  };
  test::LogCapture log;
  asyncio::Runner outer;
  CHECK(outer.run(nested(runner)) == "Runner.run() cannot be called from a running event loop");
}

TEST_CASE("Runner.run accepts a future (Python 3.14: any awaitable)", "[runners]") {
  asyncio::Runner runner;
  asyncio::Future<int> fut(runner.get_loop());
  runner.get_loop().call_soon([fut]() mutable { fut.set_result(6); });
  CHECK(runner.run(fut) == 6);
}
