// wait_for(). Python: test_waitfor.py (3.12+, where wait_for runs on
// timeouts).
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

#include "support.hpp"

using namespace std::chrono_literals;
using asyncio::Coro;
using asyncio::Future;
using asyncio::Task;
using test::LoopFixture;

namespace {

// A very small timeout: it passes "timeout > 0" but costs nothing.
constexpr double kEpsilon = 0.0001;

// Runs for kSlowTaskTime seconds, ignoring cancellation (Python: SlowTask).
constexpr double kSlowTaskTime = 0.05;
Coro<> slow_task(bool& exited) {
  auto& loop = asyncio::get_running_loop();
  const double exit_at = loop.time() + kSlowTaskTime;
  for (int i = 0; i < 1000; ++i) {
    double to_sleep = exit_at - loop.time();
    if (to_sleep <= 0) break;
    try {
      co_await asyncio::sleep(to_sleep);
    } catch (const asyncio::CancelledError&) {
    }
  }
  exited = true;
}

}  // namespace

TEST_CASE("wait_for waits for a cancelled coroutine to finish", "[waitfor]") {
  // Python: test_asyncio_wait_for_cancelled
  test::VirtualLoopFixture f;
  bool exited = false;
  auto body = [&]() -> Coro<> {
    auto t = asyncio::create_task(asyncio::wait_for(slow_task(exited), kSlowTaskTime * 2));
    co_await asyncio::sleep(0);
    t.cancel();
    std::vector<Task<>> tasks;  // (GCC 12 cannot brace-initialize one across a co_await)
    tasks.push_back(t);
    co_await asyncio::wait(tasks);
    CHECK(exited);
  };
  f.loop->run_until_complete(body());
}

TEST_CASE("wait_for's timeout waits for the coroutine to end", "[waitfor]") {
  // Python: test_asyncio_wait_for_timeout: the coroutine swallows the
  // cancellation, so its end (not a TimeoutError) is what wait_for returns.
  test::VirtualLoopFixture f;
  bool exited = false;
  auto body = [&]() -> Coro<> {
    try {
      co_await asyncio::wait_for(slow_task(exited), kSlowTaskTime / 2);
    } catch (const asyncio::TimeoutError&) {
    }
    CHECK(exited);
  };
  f.loop->run_until_complete(body());
}

TEST_CASE("wait_for with a zero timeout returns a done future's result", "[waitfor]") {
  // Python: test_wait_for_timeout_less_then_0_or_0_future_done
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<std::string> {
    Future<std::string> fut = asyncio::get_running_loop().create_future<std::string>();
    fut.set_result("done");
    std::string a = co_await asyncio::wait_for(fut, 0);
    std::string b = co_await asyncio::wait_for(fut, -1);
    co_return a + b;
  };
  CHECK(f.loop->run_until_complete(body()) == "donedone");
}

TEST_CASE("wait_for with a zero timeout never starts a coroutine", "[waitfor]") {
  // Python: test_wait_for_timeout_less_then_0_or_0_coroutine_do_not_started
  test::VirtualLoopFixture f;
  bool started = false;
  auto foo = [](bool& s) -> Coro<> {
    s = true;
    co_return;
  };
  auto body = [&]() -> Coro<> {
    CHECK_THROWS_AS(co_await asyncio::wait_for(foo(started), 0), asyncio::TimeoutError);
  };
  f.loop->run_until_complete(body());
  CHECK_FALSE(started);
}

TEST_CASE("wait_for with a zero timeout cancels a running task", "[waitfor]") {
  // Python: test_wait_for_timeout_less_then_0_or_0
  test::VirtualLoopFixture f;
  for (double timeout : {0.0, -1.0}) {
    bool running = false;
    auto foo = [](bool& r, Future<> started) -> Coro<std::string> {
      r = true;
      started.set_result();
      try {
        co_await asyncio::sleep(10);
      } catch (...) {
        r = false;
        throw;
      }
      co_return "done";
    };
    auto body = [&]() -> Coro<> {
      Future<> started = asyncio::get_running_loop().create_future();
      auto fut = asyncio::create_task(foo(running, started));
      co_await started;
      CHECK_THROWS_AS(co_await asyncio::wait_for(fut, timeout), asyncio::TimeoutError);
      CHECK(fut.done());
      CHECK(fut.cancelled());
      CHECK_FALSE(running);
    };
    f.loop->run_until_complete(body());
  }
}

TEST_CASE("wait_for cancels a task on timeout and waits for it", "[waitfor]") {
  // Python: test_wait_for
  test::VirtualLoopFixture f;
  bool running = false;
  auto foo = [](bool& r) -> Coro<std::string> {
    r = true;
    try {
      co_await asyncio::sleep(10);
    } catch (...) {
      r = false;
      throw;
    }
    co_return "done";
  };
  auto body = [&]() -> Coro<> {
    auto fut = asyncio::create_task(foo(running));
    CHECK_THROWS_AS(co_await asyncio::wait_for(fut, 0.01), asyncio::TimeoutError);
    CHECK(fut.done());
    CHECK(fut.cancelled());
    CHECK_FALSE(running);
    CHECK(asyncio::current_task()->cancelling() == 0);
  };
  f.loop->run_until_complete(body());
}

TEST_CASE("wait_for without a timeout waits as long as it takes", "[waitfor]") {
  // Python: test_wait_for_blocking
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<std::string> {
    co_return co_await asyncio::wait_for([]() -> Coro<std::string> { co_return "done"; }(), std::nullopt);
  };
  CHECK(f.loop->run_until_complete(body()) == "done");
}

TEST_CASE("wait_for returns a result arriving before the timeout", "[waitfor]") {
  // Python: test_wait_for_race_condition
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<std::string> {
    auto& loop = asyncio::get_running_loop();
    Future<std::string> fut = loop.create_future<std::string>();
    auto w = asyncio::wait_for(fut, 0.2);
    loop.call_later(0.01, [fut]() mutable { fut.set_result("ok"); });
    co_return co_await std::move(w);
  };
  CHECK(f.loop->run_until_complete(body()) == "ok");
}

TEST_CASE("wait_for returns the value of a coroutine that swallows the cancellation", "[waitfor]") {
  // Python: test_wait_for_cancellation_race_condition
  test::VirtualLoopFixture f;
  auto inner = []() -> Coro<int> {
    CHECK_THROWS_AS(co_await asyncio::sleep(1), asyncio::CancelledError);
    co_return 1;
  };
  auto body = [&]() -> Coro<int> { co_return co_await asyncio::wait_for(inner(), 0.01); };
  CHECK(f.loop->run_until_complete(body()) == 1);
}

TEST_CASE("wait_for raises TimeoutError only once the task finished cancelling", "[waitfor]") {
  // Python: test_wait_for_waits_for_task_cancellation
  test::VirtualLoopFixture f;
  bool task_done = false;
  auto inner = [](bool& done) -> Coro<> {
    try {
      co_await asyncio::sleep(10);
    } catch (const asyncio::CancelledError&) {
    }
    co_await asyncio::sleep(kEpsilon);
    done = true;
    throw asyncio::CancelledError();
  };
  auto body = [&]() -> Coro<> {
    auto inner_task = asyncio::create_task(inner(task_done));
    CHECK_THROWS_AS(co_await asyncio::wait_for(inner_task, kEpsilon), asyncio::TimeoutError);
    CHECK(task_done);
  };
  f.loop->run_until_complete(body());
}

TEST_CASE("wait_for with a zero timeout waits for the task to finish cancelling", "[waitfor]") {
  // Python: test_wait_for_waits_for_task_cancellation_w_timeout_0
  test::VirtualLoopFixture f;
  bool task_done = false;
  auto inner = [](bool& done) -> Coro<> {
    try {
      co_await asyncio::sleep(10);
    } catch (const asyncio::CancelledError&) {
    }
    co_await asyncio::sleep(kEpsilon);
    done = true;
    throw asyncio::CancelledError();
  };
  auto body = [&]() -> Coro<> {
    auto inner_task = asyncio::create_task(inner(task_done));
    co_await asyncio::sleep(kEpsilon);
    CHECK_THROWS_AS(co_await asyncio::wait_for(inner_task, 0), asyncio::TimeoutError);
    CHECK(task_done);
  };
  f.loop->run_until_complete(body());
}

TEST_CASE("an exception raised while the task is cancelled replaces TimeoutError", "[waitfor]") {
  // Python: test_wait_for_reraises_exception_during_cancellation
  test::VirtualLoopFixture f;
  struct FooException : std::runtime_error {
    FooException() : std::runtime_error("foo") {}
  };
  auto inner = []() -> Coro<> {
    try {
      co_await asyncio::sleep(0.2);
    } catch (...) {
    }
    throw FooException();
  };
  auto body = [&]() -> Coro<> {
    auto inner_task = asyncio::create_task(inner());
    co_await asyncio::wait_for(inner_task, kEpsilon);
  };
  CHECK_THROWS_AS(f.loop->run_until_complete(body()), FooException);
  auto zero = [&]() -> Coro<> {
    auto inner_task = asyncio::create_task(inner());
    co_await asyncio::sleep(0);
    co_await asyncio::wait_for(inner_task, 0);
  };
  CHECK_THROWS_AS(f.loop->run_until_complete(zero()), FooException);
}

TEST_CASE("wait_for returns the value of a task that holds off every cancellation", "[waitfor]") {
  // Python: test_wait_for_self_cancellation. With wait_for built on
  // timeout() (3.12+), both the timeout's cancel and the caller's reach
  // the inner task, which swallows them and returns a value: that value is
  // returned, and the caller's request stays counted by cancelling().
  test::VirtualLoopFixture f;
  auto inner = []() -> Coro<int> {
    bool cancelled = false;
    try {
      co_await asyncio::sleep(0.06);
    } catch (const asyncio::CancelledError&) {
      cancelled = true;
    }
    if (cancelled) {
      try {
        co_await asyncio::sleep(0.06);
      } catch (const asyncio::CancelledError&) {
      }
    }
    co_return 42;
  };
  auto body = [&]() -> Coro<> {
    auto inner_task = asyncio::create_task(inner());
    auto task = asyncio::create_task(asyncio::wait_for(inner_task, 0.02));
    co_await asyncio::sleep(0.04);
    task.cancel();
    CHECK(co_await task == 42);
    CHECK(task.cancelling() == 1);
    CHECK(co_await inner_task == 42);
  };
  f.loop->run_until_complete(body());
}

TEST_CASE("cancelling wait_for cancels the task it waits for", "[waitfor]") {
  // Python: test_cancel_blocking_wait_for, test_cancel_wait_for (issue #23219)
  test::VirtualLoopFixture f;
  for (std::optional<double> timeout : {std::optional<double>(), std::optional<double>(60.0)}) {
    auto body = [&]() -> Coro<> {
      auto& loop = asyncio::get_running_loop();
      auto blocking = [](Future<> fut) -> Coro<> { co_await fut; };
      auto task = asyncio::create_task(blocking(loop.create_future()));
      auto wait = asyncio::create_task(asyncio::wait_for(task, timeout));
      loop.call_soon([wait]() mutable { wait.cancel(); });
      CHECK_THROWS_AS(co_await wait, asyncio::CancelledError);
      CHECK(task.cancelled());
    };
    f.loop->run_until_complete(body());
  }
}

TEST_CASE("wait_for runs a coroutine in the calling task", "[waitfor]") {
  // Python 3.12+: no wrapper task; the coroutine sees the caller as the
  // current task.
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<bool> {
    auto me = asyncio::current_task();
    bool same = co_await asyncio::wait_for([](asyncio::AnyTask caller) -> Coro<bool> {
      co_return *asyncio::current_task() == caller;
    }(*me),
                                           1s);
    co_return same;
  };
  CHECK(f.loop->run_until_complete(body()));
}

TEST_CASE("wait_for passes the awaitable's exception on", "[waitfor]") {
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<> {
    co_await asyncio::wait_for([]() -> Coro<> {
      co_await asyncio::sleep(0);
      throw asyncio::ValueError("inner");
    }(),
                               1.0);
  };
  CHECK_THROWS_WITH(f.loop->run_until_complete(body()), "inner");
}

TEST_CASE("wait_for accepts other awaitables", "[waitfor]") {
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<int> {
    int v = co_await asyncio::wait_for(asyncio::sleep(0, 5), 1.0);
    CHECK_THROWS_AS(co_await asyncio::wait_for(asyncio::sleep(10), 0.01), asyncio::TimeoutError);
    co_return v;
  };
  CHECK(f.loop->run_until_complete(body()) == 5);
}

TEST_CASE("wait_for moves a move-only result out", "[waitfor]") {
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<int> {
    auto p = co_await asyncio::wait_for([]() -> Coro<std::unique_ptr<int>> { co_return std::make_unique<int>(3); }(),
                                        1.0);
    co_return *p;
  };
  CHECK(f.loop->run_until_complete(body()) == 3);
}

TEST_CASE("wait_for leaves the result in the caller's future", "[waitfor]") {
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<std::string> {
    auto& loop = asyncio::get_running_loop();
    Future<std::string> done = loop.create_future<std::string>();
    done.set_result("kept");
    std::string a = co_await asyncio::wait_for(done, 1.0);
    Future<std::string> later = loop.create_future<std::string>();
    loop.call_soon([later]() mutable { later.set_result("kept too"); });
    std::string b = co_await asyncio::wait_for(later, 1.0);
    co_return a + "," + b + "," + done.result() + "," + later.result();
  };
  CHECK(f.loop->run_until_complete(body()) == "kept,kept too,kept,kept too");
}

