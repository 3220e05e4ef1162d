// Futures: states, results, callbacks, awaiting, diagnostics.
// Python: test_futures.py.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support.hpp"

using asyncio::Future;
using test::LoopFixture;

TEST_CASE("a new future is pending", "[futures]") {
  LoopFixture f;
  Future<int> fut = f.loop->create_future<int>();
  CHECK_FALSE(fut.done());
  CHECK_FALSE(fut.cancelled());
  CHECK(&fut.get_loop() == f.loop.get());
  CHECK(fut.repr() == "<Future pending>");
}

TEST_CASE("result and exception of a pending future raise InvalidStateError", "[futures]") {
  LoopFixture f;
  Future<int> fut(*f.loop);
  CHECK_THROWS_AS(fut.result(), asyncio::InvalidStateError);
  CHECK_THROWS_WITH(fut.result(), "Result is not set.");
  CHECK_THROWS_WITH(fut.exception(), "Exception is not set.");
}

TEST_CASE("set_result finishes the future", "[futures]") {
  LoopFixture f;
  Future<int> fut(*f.loop);
  fut.set_result(42);
  CHECK(fut.done());
  CHECK_FALSE(fut.cancelled());
  CHECK(fut.result() == 42);
  CHECK(fut.exception() == nullptr);
  CHECK(fut.repr() == "<Future finished result=42>");
}

TEST_CASE("setting an outcome twice raises InvalidStateError", "[futures]") {
  LoopFixture f;
  Future<int> fut(*f.loop);
  fut.set_result(1);
  CHECK_THROWS_WITH(fut.set_result(2), "invalid state");
  CHECK_THROWS_AS(fut.set_exception(std::runtime_error("x")), asyncio::InvalidStateError);
  CHECK(fut.result() == 1);
  Future<int> cancelled(*f.loop);
  cancelled.cancel();
  CHECK_THROWS_AS(cancelled.set_result(3), asyncio::InvalidStateError);
}

TEST_CASE("set_exception makes result rethrow and exception return it", "[futures]") {
  LoopFixture f;
  Future<int> fut(*f.loop);
  fut.set_exception(asyncio::RuntimeError("boom"));
  CHECK(fut.done());
  CHECK_THROWS_AS(fut.result(), asyncio::RuntimeError);
  CHECK(test::message_of(fut.exception()) == "boom");
  CHECK(fut.repr() == "<Future finished exception=RuntimeError('boom')>");
}

TEST_CASE("set_exception needs an exception", "[futures]") {
  LoopFixture f;
  Future<int> fut(*f.loop);
  CHECK_THROWS_AS(fut.set_exception(std::exception_ptr()), asyncio::TypeError);
  CHECK_FALSE(fut.done());
}

TEST_CASE("cancel marks the future cancelled once", "[futures]") {
  LoopFixture f;
  Future<int> fut(*f.loop);
  CHECK(fut.cancel());
  CHECK(fut.cancelled());
  CHECK(fut.done());
  CHECK_FALSE(fut.cancel());
  CHECK_THROWS_AS(fut.result(), asyncio::CancelledError);
  CHECK_THROWS_AS(fut.exception(), asyncio::CancelledError);
  CHECK(fut.repr() == "<Future cancelled>");
}

TEST_CASE("cancel with a message puts it in the CancelledError", "[futures]") {
  LoopFixture f;
  Future<int> fut(*f.loop);
  fut.cancel("stop now");
  try {
    (void)fut.result();
    FAIL("no CancelledError");
  } catch (const asyncio::CancelledError& e) {
    CHECK(e.message() == std::optional<std::string>("stop now"));
    CHECK(std::string(e.what()) == "stop now");
  }
  Future<int> plain(*f.loop);
  plain.cancel();
  try {
    (void)plain.result();
  } catch (const asyncio::CancelledError& e) {
    CHECK_FALSE(e.message().has_value());
  }
}

TEST_CASE("cancel on a finished future returns false", "[futures]") {
  LoopFixture f;
  Future<int> fut(*f.loop);
  fut.set_result(1);
  CHECK_FALSE(fut.cancel());
  CHECK(fut.result() == 1);
}

TEST_CASE("done callbacks run through the loop, never synchronously", "[futures]") {
  LoopFixture f;
  Future<int> fut(*f.loop);
  int seen = 0;
  fut.add_done_callback([&](Future<int> done) { seen = done.result(); });
  fut.set_result(7);
  CHECK(seen == 0);
  f.run_briefly();
  CHECK(seen == 7);
}

TEST_CASE("done callbacks run in registration order", "[futures]") {
  LoopFixture f;
  Future<int> fut(*f.loop);
  for (int i = 0; i < 4; ++i) fut.add_done_callback([&, i](Future<int>) { f.events.push_back(std::to_string(i)); });
  fut.cancel();
  f.run_briefly();
  CHECK(f.events == std::vector<std::string>{"0", "1", "2", "3"});
}

TEST_CASE("done callbacks take their place in the ready queue", "[futures]") {
  // CPython: call_soon(a); set_result (schedules cb); call_soon(b) -> a, cb, b.
  LoopFixture f;
  Future<int> fut(*f.loop);
  fut.add_done_callback([&](Future<int>) { f.events.push_back("cb"); });
  f.loop->call_soon(f.record("a"));
  fut.set_result(1);
  f.loop->call_soon(f.record("b"));
  f.run_briefly();
  CHECK(f.events == std::vector<std::string>{"a", "cb", "b"});
}

TEST_CASE("add_done_callback on a done future schedules the callback", "[futures]") {
  LoopFixture f;
  Future<int> fut(*f.loop);
  fut.set_result(3);
  bool ran = false;
  fut.add_done_callback([&](Future<int>) { ran = true; });
  CHECK_FALSE(ran);
  f.run_briefly();
  CHECK(ran);
}

TEST_CASE("remove_done_callback unregisters a callback", "[futures]") {
  LoopFixture f;
  Future<int> fut(*f.loop);
  auto id1 = fut.add_done_callback([&](Future<int>) { f.events.push_back("one"); });
  fut.add_done_callback([&](Future<int>) { f.events.push_back("two"); });
  CHECK(fut.remove_done_callback(id1) == 1);
  CHECK(fut.remove_done_callback(id1) == 0);
  fut.set_result(0);
  f.run_briefly();
  CHECK(f.events == std::vector<std::string>{"two"});
}

TEST_CASE("untyped futures take callbacks too", "[futures]") {
  LoopFixture f;
  Future<int> fut(*f.loop);
  asyncio::AnyFuture any = fut;
  bool cancelled = false;
  any.add_done_callback([&](asyncio::AnyFuture done) { cancelled = done.cancelled(); });
  any.cancel("bye");
  f.run_briefly();
  CHECK(cancelled);
}

TEST_CASE("copies of a future share its state", "[futures]") {
  LoopFixture f;
  Future<std::string> a(*f.loop);
  Future<std::string> b = a;
  a.set_result("shared");
  CHECK(b.done());
  CHECK(b.result() == "shared");
  CHECK(a == b);
}

TEST_CASE("a future's default constructor uses the current event loop", "[futures]") {
  asyncio::set_event_loop(nullptr);
  CHECK_THROWS_AS(Future<int>(), asyncio::RuntimeError);
  auto loop = asyncio::new_event_loop();
  asyncio::set_event_loop(loop);
  {
    Future<int> fut;
    CHECK(&fut.get_loop() == loop.get());
  }
  asyncio::set_event_loop(nullptr);
  loop->close();
}

TEST_CASE("awaiting a future returns its result to every waiter", "[futures]") {
  LoopFixture f;
  Future<int> fut(*f.loop);
  auto waiter = [](Future<int> target, std::vector<std::string>& out, std::string name) -> asyncio::Coro<int> {
    int v = co_await target;
    out.push_back(name + "=" + std::to_string(v));
    co_return v;
  };
  auto t1 = f.loop->create_task(waiter(fut, f.events, "w1"));
  auto t2 = f.loop->create_task(waiter(fut, f.events, "w2"));
  f.loop->call_later(0.01, [fut]() mutable { fut.set_result(5); });
  CHECK(f.loop->run_until_complete(t1) == 5);
  CHECK(f.loop->run_until_complete(t2) == 5);
  CHECK(f.events == std::vector<std::string>{"w1=5", "w2=5"});
}

TEST_CASE("awaiting a future rethrows its exception", "[futures]") {
  LoopFixture f;
  Future<int> fut(*f.loop);
  fut.set_exception(asyncio::ValueError("nope"));
  auto coro = [](Future<int> target) -> asyncio::Coro<std::string> {
    try {
      co_await target;
    } catch (const asyncio::ValueError& e) {
      co_return e.what();
    }
    co_return "no exception";
  };
  CHECK(f.loop->run_until_complete(coro(fut)) == "nope");
}

TEST_CASE("a task resumes one iteration after its future completes", "[futures]") {
  // CPython: the waiter's wake-up is queued behind what is already ready:
  // call_soon(A sets result); call_soon(B) -> A, B, then the task.
  LoopFixture f;
  Future<int> fut(*f.loop);
  auto waiter = [](Future<int> target, std::vector<std::string>& out) -> asyncio::Coro<> {
    co_await target;
    out.push_back("task");
  };
  auto task = f.loop->create_task(waiter(fut, f.events));
  f.run_briefly();  // the task is now waiting
  f.loop->call_soon([&] {
    f.events.push_back("A");
    fut.set_result(1);
  });
  f.loop->call_soon(f.record("B"));
  f.loop->run_until_complete(task);
  CHECK(f.events == std::vector<std::string>{"A", "B", "task"});
}

TEST_CASE("awaiting a done future does not suspend", "[futures]") {
  LoopFixture f;
  Future<int> fut(*f.loop);
  fut.set_result(1);
  auto coro = [](Future<int> target, std::vector<std::string>& out, asyncio::EventLoop& loop) -> asyncio::Coro<> {
    loop.call_soon([&out] { out.push_back("callback"); });
    co_await target;
    out.push_back("after await");
  };
  f.loop->run_until_complete(coro(fut, f.events, *f.loop));
  CHECK(f.events.front() == "after await");
}

TEST_CASE("awaiting a future of another loop raises RuntimeError", "[futures]") {
  LoopFixture f;
  auto other = asyncio::new_event_loop();
  Future<int> foreign(*other);
  auto coro = [](Future<int> target) -> asyncio::Coro<std::string> {
    try {
      co_await target;
    } catch (const asyncio::RuntimeError& e) {
      co_return e.what();
    }
    co_return "";
  };
  std::string message = f.loop->run_until_complete(coro(foreign));
  CHECK(message.find("attached to a different loop") != std::string::npos);
  other->close();
}

TEST_CASE("a future with a move-only result can be awaited", "[futures]") {
  LoopFixture f;
  auto coro = [](asyncio::EventLoop& loop) -> asyncio::Coro<int> {
    Future<std::unique_ptr<int>> fut(loop);
    loop.call_soon([fut]() mutable { fut.set_result(std::make_unique<int>(9)); });
    std::unique_ptr<int> p = co_await fut;
    co_return *p;
  };
  CHECK(f.loop->run_until_complete(coro(*f.loop)) == 9);
}

TEST_CASE("Future<void> finishes without a value", "[futures]") {
  LoopFixture f;
  Future<void> fut(*f.loop);
  fut.set_result();
  CHECK(fut.done());
  fut.result();
  CHECK(fut.repr() == "<Future finished result=None>");
}

TEST_CASE("an exception nobody retrieved is reported when the future dies", "[futures]") {
  LoopFixture f;
  f.expect_report("Future exception was never retrieved");
  {
    Future<int> fut(*f.loop);
    fut.set_exception(asyncio::RuntimeError("lost"));
  }
  REQUIRE(f.errors.size() == 1);
  CHECK(f.errors[0].message == "Future exception was never retrieved");
  CHECK(test::message_of(f.errors[0].exception) == "lost");
  REQUIRE(f.errors[0].future.has_value());
  CHECK(f.errors[0].future->repr() == "<Future finished exception=RuntimeError('lost')>");
}

TEST_CASE("a lost exception is not reported to a new loop built where its dead loop was", "[futures][threads]") {
  // A future outliving its loop reports to the logger. A new loop at the
  // same address (here in the same storage) must not be taken for the dead
  // one: it runs in another thread, and its handler would be called from
  // this one (a data race ThreadSanitizer reports).
  test::LogCapture log;
  alignas(asyncio::EventLoop) unsigned char storage[sizeof(asyncio::EventLoop)];
  auto* first = new (storage) asyncio::EventLoop(asyncio::make_default_backend());
  std::optional<Future<int>> lost;
  lost.emplace(*first);
  lost->set_exception(asyncio::RuntimeError("lost"));
  first->close();
  first->~EventLoop();

  auto* second = new (storage) asyncio::EventLoop(asyncio::make_default_backend());
  REQUIRE(static_cast<void*>(second) == static_cast<void*>(first));
  std::vector<std::string> second_reports;  // the second loop's thread only
  second->set_exception_handler([&](asyncio::EventLoop&, const asyncio::ExceptionContext& c) {
    second_reports.push_back(c.message);
  });
  // An atomic flag, not std::promise: the cortex-m3 preset compiles this
  // test (registered as not run there) with a libstdc++ that has no <future>.
  std::atomic<bool> running{false};
  std::thread loop_thread([&] {
    second->call_soon([&] { running.store(true, std::memory_order_release); });
    // Reads its reports while running, as a loop's own code would.
    std::size_t seen = 0;
    std::function<void()> poll = [&] {
      seen += second_reports.size();
      second->call_later(0.001, poll);
    };
    second->call_soon(poll);
    second->run_forever();
    (void)seen;
  });
  while (!running.load(std::memory_order_acquire)) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  lost.reset();  // the last reference: the report
  second->call_soon_threadsafe([second] { second->stop(); });
  loop_thread.join();
  second->close();
  CHECK(second_reports.empty());
  CHECK(log.contains("Future exception was never retrieved"));
  second->~EventLoop();
}

TEST_CASE("a retrieved exception is not reported", "[futures]") {
  LoopFixture f;
  {
    Future<int> a(*f.loop);
    a.set_exception(asyncio::RuntimeError("seen"));
    (void)a.exception();
    Future<int> b(*f.loop);
    b.set_exception(asyncio::RuntimeError("seen"));
    CHECK_THROWS(b.result());
  }
  CHECK(f.errors.empty());
}

TEST_CASE("completing a future of a closed loop raises RuntimeError", "[futures]") {
  auto loop = asyncio::new_event_loop();
  Future<int> fut(*loop);
  fut.add_done_callback([](Future<int>) {});
  loop->close();
  CHECK_THROWS_WITH(fut.set_result(1), "Event loop is closed");
  CHECK(fut.done());
}

TEST_CASE("isfuture recognises futures and tasks only", "[futures]") {
  LoopFixture f;
  Future<int> fut(*f.loop);
  CHECK(asyncio::isfuture(fut));
  CHECK(asyncio::isfuture(asyncio::AnyFuture(fut)));
  CHECK_FALSE(asyncio::isfuture(42));
  auto noop = []() -> asyncio::Coro<> { co_return; };
  auto task = f.loop->create_task(noop());
  CHECK(asyncio::isfuture(task));
  f.loop->run_until_complete(task);
}

TEST_CASE("an empty future handle raises InvalidStateError", "[futures]") {
  asyncio::AnyFuture empty;
  CHECK_FALSE(static_cast<bool>(empty));
  CHECK_THROWS_AS(empty.done(), asyncio::InvalidStateError);
  CHECK(empty.repr() == "<Future empty>");
}
