// gather() and shield(). Python: test_tasks.py (GatherTestsBase,
// FutureGatherTests, CoroutineGatherTests, test_shield_*, test_cancel_gather_*).
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "support.hpp"
#include "asyncio/detail/loop_internals.hpp"

using asyncio::Coro;
using asyncio::Future;
using asyncio::Task;
using test::LoopFixture;
using test::value_after;

namespace {


Coro<> nothing_after(double delay) { co_await asyncio::sleep(delay); }

template <class T>
Coro<T> await_future(Future<T> f) {
  co_return co_await f;
}

Coro<int> fail_after(double delay, std::string what) {
  co_await asyncio::sleep(delay);
  throw asyncio::RuntimeError(what);
}

// Runs the loop until nothing is ready (Python's GatherTestsBase._run_loop).
void run_until_idle(LoopFixture& f) {
  for (int i = 0; i < 100 && asyncio::detail::internals(*f.loop).ready_count() > 0; ++i) f.run_briefly();
}

}  // namespace

TEST_CASE("gather returns the results in argument order as a tuple", "[gather]") {
  LoopFixture f;
  auto body = []() -> Coro<int> {
    auto [a, b, c] = co_await asyncio::gather(value_after(0.03, 1), value_after(0.01, 2), value_after(0.02, 3));
    co_return a * 100 + b * 10 + c;
  };
  CHECK(f.loop->run_until_complete(body()) == 123);
}

TEST_CASE("gather of futures completes once the last child is done", "[gather]") {
  // Python: GatherTestsBase._check_success
  LoopFixture f;
  Future<int> a(*f.loop), b(*f.loop), c(*f.loop);
  auto fut = asyncio::gather(a, b, c);
  bool called = false;
  fut.add_done_callback([&called](const auto&) { called = true; });
  b.set_result(1);
  a.set_result(2);
  run_until_idle(f);
  CHECK_FALSE(called);
  CHECK_FALSE(fut.done());
  c.set_result(3);
  run_until_idle(f);
  CHECK(called);
  CHECK(fut.result() == std::tuple<int, int, int>{2, 1, 3});
}

TEST_CASE("gather represents children without a result by monostate", "[gather]") {
  LoopFixture f;
  auto body = []() -> Coro<int> {
    auto [x, nothing, y] = co_await asyncio::gather(value_after(0, 4), nothing_after(0), value_after(0, 5));
    static_assert(std::is_same_v<decltype(nothing), std::monostate>);
    co_return x + y;
  };
  CHECK(f.loop->run_until_complete(body()) == 9);
}

TEST_CASE("gather of a range returns a vector in the range's order", "[gather]") {
  LoopFixture f;
  auto body = []() -> Coro<std::vector<int>> {
    std::vector<Coro<int>> coros;
    for (int i = 0; i < 5; ++i) coros.push_back(value_after(0.001 * (5 - i), i));
    co_return co_await asyncio::gather(std::move(coros));
  };
  CHECK(f.loop->run_until_complete(body()) == std::vector<int>{0, 1, 2, 3, 4});
}

TEST_CASE("gather of a range of tasks keeps the caller's tasks", "[gather]") {
  LoopFixture f;
  auto body = []() -> Coro<int> {
    std::vector<Task<int>> tasks;
    for (int i = 1; i <= 3; ++i) tasks.push_back(asyncio::create_task(value_after(0, i)));
    std::vector<int> r = co_await asyncio::gather(tasks);
    co_return r[0] + r[1] + r[2] + tasks[2].result();
  };
  CHECK(f.loop->run_until_complete(body()) == 9);
}

TEST_CASE("gather with no awaitables is an already done future", "[gather]") {
  LoopFixture f;
  auto body = []() -> Coro<std::size_t> {
    auto empty = asyncio::gather();
    CHECK(empty.done());
    std::vector<Task<int>> none;
    auto v = asyncio::gather(none);
    CHECK(v.done());
    co_await empty;
    co_return (co_await v).size();
  };
  CHECK(f.loop->run_until_complete(body()) == 0);
}

TEST_CASE("gather without arguments needs a current loop", "[gather]") {
  // Python 3.14: get_event_loop() raises without a current loop.
  CHECK_THROWS_AS(asyncio::gather(), asyncio::RuntimeError);
}

TEST_CASE("gather raises the first exception without cancelling the other children", "[gather]") {
  LoopFixture f;
  {
    Future<int> a(*f.loop), b(*f.loop), c(*f.loop), d(*f.loop), e(*f.loop);
    auto fut = asyncio::gather(a, b, c, d, e);
    a.set_result(1);
    b.set_exception(asyncio::ValueError("bad"));
    run_until_idle(f);
    REQUIRE(fut.done());
    CHECK(test::message_of(fut.exception()) == "bad");
    CHECK_FALSE(c.done());
    CHECK_FALSE(d.done());
    // Later outcomes change nothing, and e's exception counts as retrieved.
    c.set_result(3);
    d.cancel();
    e.set_exception(asyncio::RuntimeError("later"));
    run_until_idle(f);
    CHECK(test::message_of(fut.exception()) == "bad");
  }
  CHECK(f.errors.empty());  // no "exception was never retrieved"
}

TEST_CASE("a child's cancellation is an error of gather not its cancellation", "[gather]") {
  // Python: FutureGatherTests.test_one_cancellation
  LoopFixture f;
  Future<int> a(*f.loop), b(*f.loop), c(*f.loop);
  auto fut = asyncio::gather(a, b, c);
  a.set_result(1);
  b.cancel("child msg");
  run_until_idle(f);
  REQUIRE(fut.done());
  CHECK_FALSE(fut.cancelled());
  try {
    std::rethrow_exception(fut.exception());
  } catch (const asyncio::CancelledError& e) {
    CHECK(std::string(e.what()) == "child msg");
  }
  CHECK_FALSE(c.done());
  c.set_result(3);
  run_until_idle(f);
}

TEST_CASE("gather with return_exceptions collects outcomes", "[gather]") {
  // Python: test_return_exceptions and test_result_exception_one_cancellation
  LoopFixture f;
  Future<int> a(*f.loop), b(*f.loop), c(*f.loop), d(*f.loop);
  auto fut = asyncio::gather(asyncio::return_exceptions, a, b, c, d);
  b.set_result(1);
  c.set_exception(asyncio::ValueError("c failed"));
  a.set_result(3);
  run_until_idle(f);
  CHECK_FALSE(fut.done());
  d.cancel();
  run_until_idle(f);
  REQUIRE(fut.done());
  auto& [ra, rb, rc, rd] = fut.result();
  CHECK(ra.value() == 3);
  CHECK(*rb == 1);
  CHECK_FALSE(rc.has_value());
  CHECK(test::message_of(rc.exception()) == "c failed");
  CHECK_THROWS_AS(rc.value(), asyncio::ValueError);
  CHECK_THROWS_AS(rd.value(), asyncio::CancelledError);
}

TEST_CASE("gather with return_exceptions over a range gives a vector of outcomes", "[gather]") {
  LoopFixture f;
  auto body = []() -> Coro<int> {
    std::vector<Coro<int>> coros;
    coros.push_back(value_after(0, 1));
    coros.push_back(fail_after(0, "no"));
    coros.push_back(value_after(0, 3));
    std::vector<asyncio::Outcome<int>> r = co_await asyncio::gather(asyncio::return_exceptions, std::move(coros));
    co_return r[0].value() + r[2].value() + (r[1].has_value() ? 100 : 0);
  };
  CHECK(f.loop->run_until_complete(body()) == 4);
}

TEST_CASE("cancelling gather cancels every child and ends with CancelledError", "[gather]") {
  LoopFixture f;
  auto body = [](LoopFixture& fx) -> Coro<> {
    auto t1 = asyncio::create_task(value_after(10, 1));
    auto t2 = asyncio::create_task(value_after(10, 2));
    auto g = asyncio::gather(t1, t2);
    co_await asyncio::sleep(0);
    CHECK(g.cancel("stop"));
    try {
      co_await g;
      FAIL("gather did not raise");
    } catch (const asyncio::CancelledError& e) {
      CHECK(std::string(e.what()) == "stop");
    }
    CHECK(t1.cancelled());
    CHECK(t2.cancelled());
    CHECK(g.done());
    CHECK_FALSE(g.cancelled());  // Python: it finished with CancelledError
    CHECK_FALSE(g.cancel());     // done: nothing to cancel
    (void)fx;
  };
  f.loop->run_until_complete(body(f));
}

TEST_CASE("cancelling gather with return_exceptions still raises CancelledError", "[gather]") {
  LoopFixture f;
  auto body = []() -> Coro<> {
    auto g = asyncio::gather(asyncio::return_exceptions, value_after(10, 1), value_after(10, 2));
    co_await asyncio::sleep(0);
    g.cancel();
    CHECK_THROWS_AS(co_await g, asyncio::CancelledError);
  };
  f.loop->run_until_complete(body());
}

TEST_CASE("cancelling the task awaiting gather cancels the children", "[gather]") {
  // Python: CoroutineGatherTests.test_cancellation_broadcast
  LoopFixture f;
  Future<int> waiter(*f.loop);
  int proof = 0;
  auto inner = [](Future<int> w, int& p) -> Coro<> {
    co_await w;
    ++p;
  };
  auto child1 = f.loop->create_task(inner(waiter, proof));
  auto child2 = f.loop->create_task(inner(waiter, proof));
  std::optional<Future<std::tuple<std::monostate, std::monostate>>> gatherer;
  auto outer = [](Task<> c1, Task<> c2, int& p, decltype(gatherer)& g) -> Coro<> {
    g = asyncio::gather(c1, c2);
    co_await *g;
    p += 100;
  };
  auto t = f.loop->create_task(outer(child1, child2, proof, gatherer));
  f.run_briefly();
  CHECK(t.cancel());
  CHECK_THROWS_AS(f.loop->run_until_complete(t), asyncio::CancelledError);
  CHECK_FALSE(gatherer->cancel());
  CHECK(waiter.cancelled());
  CHECK(child1.cancelled());
  CHECK(child2.cancelled());
  f.run_briefly();
  CHECK(proof == 0);
}

TEST_CASE("gather refuses cancellation once all children are done", "[gather]") {
  // Python: test_cancel_gather_1 (issue #26923)
  LoopFixture f;
  Future<int> fut(*f.loop);
  std::optional<Future<std::tuple<int>>> gather_future;
  auto make = [](Future<int> x, std::optional<Future<std::tuple<int>>>& out) -> Coro<> {
    out = asyncio::gather(await_future(x));
    co_return;
  };
  f.loop->run_until_complete(make(fut, gather_future));
  std::optional<bool> cancel_result;
  fut.add_done_callback([&](const auto&) { cancel_result = gather_future->cancel(); });
  fut.set_result(42);
  CHECK(std::get<0>(f.loop->run_until_complete(*gather_future)) == 42);
  REQUIRE(cancel_result);
  CHECK_FALSE(*cancel_result);
  CHECK_FALSE(gather_future->cancelled());
}

TEST_CASE("the same future passed twice is one child", "[gather]") {
  LoopFixture f;
  Future<int> a(*f.loop);
  auto body = [](Future<int> x) -> Coro<int> {
    auto [p, q, r] = co_await asyncio::gather(x, x, value_after(0, 5));
    co_return p + q + r;
  };
  auto t = f.loop->create_task(body(a));
  f.run_briefly();
  a.set_result(7);
  CHECK(f.loop->run_until_complete(t) == 19);
}

TEST_CASE("futures of different loops cannot be gathered", "[gather]") {
  LoopFixture f;
  auto other = asyncio::new_event_loop();
  Future<int> a(*f.loop), b(*other);
  CHECK_THROWS_AS(asyncio::gather(a, b), asyncio::ValueError);
  other->close();
}

TEST_CASE("gather uses the loop of its futures", "[gather]") {
  // Python: test_constructor_homogenous_futures
  LoopFixture f;
  auto other = asyncio::new_event_loop();
  Future<int> a(*other), b(*other);
  auto g = asyncio::gather(a, b);
  CHECK(&g.get_loop() == other.get());
  a.set_result(1);
  b.set_result(2);
  CHECK(other->run_until_complete(g) == std::tuple<int, int>{1, 2});
  other->close();
}

TEST_CASE("gather of children already done completes at once", "[gather]") {
  // Python 3.12+: children done when gather is called are handled
  // synchronously, so gather's future is done before it returns.
  LoopFixture f;
  Future<int> a(*f.loop), b(*f.loop);
  a.set_result(1);
  b.set_result(2);
  auto g = asyncio::gather(a, b);
  CHECK(g.done());
  CHECK(g.result() == std::tuple<int, int>{1, 2});
}

TEST_CASE("gather with eager tasks that finish at once is done at once", "[gather]") {
  LoopFixture f;
  f.loop->set_task_factory(asyncio::eager_task_factory);
  auto body = []() -> Coro<bool> {
    auto quick = [](int v) -> Coro<int> { co_return v; };
    auto g = asyncio::gather(quick(1), quick(2));
    co_return g.done() && g.result() == std::tuple<int, int>{1, 2};
  };
  CHECK(f.loop->run_until_complete(body()));
}

TEST_CASE("the results of gather arrive two iterations after the last child", "[gather]") {
  // The child's completion schedules gather's callback (one iteration),
  // which completes gather, whose awaiter wakes on the next one.
  LoopFixture f;
  auto body = [](std::vector<std::string>& ev) -> Coro<> {
    Future<int> x = asyncio::get_running_loop().create_future<int>();
    auto g = asyncio::gather(x);
    asyncio::get_running_loop().call_soon([&ev, x]() mutable {
      x.set_result(1);
      ev.push_back("set");
      asyncio::get_running_loop().call_soon([&ev] {
        ev.push_back("tick1");
        asyncio::get_running_loop().call_soon([&ev] { ev.push_back("tick2"); });
      });
    });
    co_await g;
    ev.push_back("resumed");
  };
  f.loop->run_until_complete(body(f.events));
  CHECK(f.events == std::vector<std::string>{"set", "tick1", "resumed", "tick2"});
}

TEST_CASE("gather wraps other awaitables in tasks", "[gather]") {
  LoopFixture f;
  auto body = []() -> Coro<int> {
    auto [a, b] = co_await asyncio::gather(asyncio::sleep(0.001, 3), asyncio::sleep(0, 4));
    co_return a + b;
  };
  CHECK(f.loop->run_until_complete(body()) == 7);
}

TEST_CASE("gather moves move-only results out of its own tasks", "[gather]") {
  LoopFixture f;
  auto body = []() -> Coro<int> {
    auto make = [](int v) -> Coro<std::unique_ptr<int>> { co_return std::make_unique<int>(v); };
    auto [a, b] = co_await asyncio::gather(make(1), make(2));
    co_return *a + *b;
  };
  CHECK(f.loop->run_until_complete(body()) == 3);
}

TEST_CASE("gather awaited by a cancelled task cancels a nested gather", "[gather]") {
  LoopFixture f;
  auto body = []() -> Coro<> {
    auto inner = asyncio::gather(value_after(10, 1), value_after(10, 2));
    auto outer = asyncio::gather(inner, value_after(10, 3));
    co_await asyncio::sleep(0);
    outer.cancel();
    CHECK_THROWS_AS(co_await outer, asyncio::CancelledError);
    CHECK(inner.done());
    CHECK_THROWS_AS(inner.result(), asyncio::CancelledError);
  };
  f.loop->run_until_complete(body());
}

TEST_CASE("a failing child of an abandoned gather does not report twice", "[gather]") {
  // Python: CoroutineGatherTests.test_exception_marking — once gather is
  // done, the other children's exceptions count as retrieved.
  LoopFixture f;
  Future<> a(*f.loop), b(*f.loop);
  auto inner = [](Future<> x) -> Coro<> {
    co_await x;
    throw asyncio::RuntimeError("should not be ignored");
  };
  auto outer = [&]() -> Coro<> { co_await asyncio::gather(inner(a), inner(b)); };
  auto t = f.loop->create_task(outer());
  f.run_briefly();
  a.set_result();
  f.run_briefly();
  b.set_result();
  f.run_briefly();
  f.run_briefly();
  f.run_briefly();
  REQUIRE(t.done());
  CHECK_THROWS_AS(t.result(), asyncio::RuntimeError);
  CHECK(f.errors.empty());
}

// ---- shield ----

TEST_CASE("shield returns the inner result", "[gather]") {
  LoopFixture f;
  auto body = []() -> Coro<int> { co_return co_await asyncio::shield(value_after(0.001, 8)); };
  CHECK(f.loop->run_until_complete(body()) == 8);
}

TEST_CASE("shield passes the inner exception on", "[gather]") {
  LoopFixture f;
  auto body = []() -> Coro<> { co_await asyncio::shield(fail_after(0, "inner")); };
  CHECK_THROWS_WITH(f.loop->run_until_complete(body()), "inner");
}

TEST_CASE("cancelling the inner future cancels the shield", "[gather]") {
  // Python: test_shield_cancel_inner
  LoopFixture f;
  Future<int> inner(*f.loop);
  auto outer = asyncio::shield(inner);
  f.run_briefly();
  inner.cancel();
  f.run_briefly();
  CHECK(outer.cancelled());
}

TEST_CASE("cancelling the shield leaves the inner future running", "[gather]") {
  // Python: test_shield_cancel_outer
  LoopFixture f;
  Future<int> inner(*f.loop);
  auto outer = asyncio::shield(inner);
  f.run_briefly();
  CHECK(outer.cancel());
  f.run_briefly();
  CHECK(outer.cancelled());
  CHECK_FALSE(inner.cancelled());
  inner.set_result(1);
  f.run_briefly();
  CHECK(f.errors.empty());
}

TEST_CASE("shield of a done future returns it", "[gather]") {
  // Python: test_shield_shortcut
  LoopFixture f;
  Future<int> fut(*f.loop);
  fut.set_result(42);
  auto res = asyncio::shield(fut);
  CHECK(res == fut);
}

TEST_CASE("cancelling the task awaiting a shield does not cancel the inner task", "[gather]") {
  // Python: test_shield_effect
  LoopFixture f;
  std::vector<std::string> proof;
  Future<> waiter(*f.loop);
  auto inner = [](Future<> w, std::vector<std::string>& p) -> Coro<> {
    co_await w;
    p.push_back("inner");
  };
  auto outer = [&]() -> Coro<> {
    co_await asyncio::shield(inner(waiter, proof));
    proof.push_back("outer");
  };
  auto t = f.loop->create_task(outer());
  f.run_briefly();
  f.run_briefly();
  t.cancel();
  CHECK_THROWS_AS(f.loop->run_until_complete(t), asyncio::CancelledError);
  waiter.set_result();
  f.run_briefly();
  f.run_briefly();
  CHECK(proof == std::vector<std::string>{"inner"});
}

TEST_CASE("a shielded future failing after the shield was cancelled is reported", "[gather]") {
  // Python 3.14: _log_on_exception, "<Type> exception in shielded future"
  LoopFixture f;
  f.expect_report("ValueError exception in shielded future");
  Future<int> inner(*f.loop);
  {
    auto outer = asyncio::shield(inner);
    f.run_briefly();
    outer.cancel();
    f.run_briefly();
  }
  inner.set_exception(asyncio::ValueError("late"));
  f.run_briefly();
  f.run_briefly();
  REQUIRE(f.errors.size() == 1);
  CHECK(f.errors[0].message == "ValueError exception in shielded future");
  CHECK(test::message_of(f.errors[0].exception) == "late");
  REQUIRE(f.errors[0].future);
  CHECK(*f.errors[0].future == inner);
}

TEST_CASE("shield and gather compose", "[gather]") {
  // Python: test_shield_gather and test_gather_shield
  LoopFixture f;
  Future<int> c1(*f.loop), c2(*f.loop);
  auto parent = asyncio::gather(c1, c2);
  auto outer = asyncio::shield(parent);
  f.run_briefly();
  CHECK(outer.cancel());
  f.run_briefly();
  CHECK(outer.cancelled());
  CHECK_FALSE(parent.done());
  c1.set_result(1);
  c2.set_result(2);
  CHECK(f.loop->run_until_complete(parent) == std::tuple<int, int>{1, 2});

  Future<int> d1(*f.loop), d2(*f.loop);
  auto g = asyncio::gather(asyncio::shield(d1), asyncio::shield(d2));
  f.run_briefly();
  CHECK(g.cancel());
  CHECK_THROWS_AS(f.loop->run_until_complete(g), asyncio::CancelledError);
  CHECK_FALSE(d1.cancelled());
  CHECK_FALSE(d2.cancelled());
  d1.set_result(1);
  d2.set_result(2);
  f.run_briefly();
}
