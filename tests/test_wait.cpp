// wait() and as_completed(). Python: test_tasks.py (test_wait_*,
// test_as_completed_*).
#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "support.hpp"
#include "asyncio/detail/loop_internals.hpp"

using asyncio::Coro;
using asyncio::Future;
using asyncio::Task;
using test::LoopFixture;
using test::value_after;

namespace {


Coro<int> fail_after(double delay) {
  co_await asyncio::sleep(delay);
  throw asyncio::ValueError("err");
}

template <class F>
bool contains(const std::vector<F>& v, const F& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

TEST_CASE("wait returns every future done by default", "[wait]") {
  // Python: test_wait
  test::VirtualLoopFixture f;
  auto a = f.loop->create_task(value_after(0.01, 1));
  auto b = f.loop->create_task(value_after(0.015, 2));
  auto foo = [](Task<int> x, Task<int> y) -> Coro<int> {
    std::vector<Task<int>> fs{y, x};
    auto [done, pending] = co_await asyncio::wait(fs);
    CHECK(done.size() == 2);
    CHECK(contains(done, x));
    CHECK(contains(done, y));
    CHECK(pending.empty());
    co_return 42;
  };
  CHECK(f.loop->run_until_complete(foo(a, b)) == 42);
  // Again: already done, nothing to wait for.
  CHECK(f.loop->run_until_complete(foo(a, b)) == 42);
}

TEST_CASE("wait counts the same future once", "[wait]") {
  // Python: test_wait_duplicate_coroutines
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<std::size_t> {
    auto c = asyncio::create_task(value_after(0, 1));
    std::vector<Task<int>> fs{c, c, asyncio::create_task(value_after(0, 2))};
    auto r = co_await asyncio::wait(fs);
    CHECK(r.pending.empty());
    co_return r.done.size();
  };
  CHECK(f.loop->run_until_complete(body()) == 2);
}

TEST_CASE("wait rejects an empty set and a bad return_when", "[wait]") {
  // Python: test_wait_errors
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<> {
    std::vector<Future<int>> none;
    CHECK_THROWS_WITH(co_await asyncio::wait(none), "Set of Tasks/Futures is empty.");
    std::vector<Future<int>> one{asyncio::get_running_loop().create_future<int>()};
    CHECK_THROWS_AS(co_await asyncio::wait(one, {.return_when = static_cast<asyncio::ReturnWhen>(99)}),
                    asyncio::ValueError);
  };
  f.loop->run_until_complete(body());
}

TEST_CASE("wait with FIRST_COMPLETED returns after the first future is done", "[wait]") {
  // Python: test_wait_first_completed
  test::VirtualLoopFixture f;
  auto a = f.loop->create_task(value_after(10, 1));
  auto b = f.loop->create_task(value_after(0.01, 2));
  auto body = [](Task<int> x, Task<int> y) -> Coro<> {
    std::vector<Task<int>> fs{y, x};
    auto [done, pending] = co_await asyncio::wait(fs, {.return_when = asyncio::FIRST_COMPLETED});
    CHECK(done == std::vector<Task<int>>{y});
    CHECK(pending == std::vector<Task<int>>{x});
    CHECK_FALSE(x.done());
    CHECK(y.result() == 2);
    x.cancel();
  };
  f.loop->run_until_complete(body(a, b));
  CHECK_THROWS_AS(f.loop->run_until_complete(a), asyncio::CancelledError);
}

TEST_CASE("wait sees every future done when it wakes", "[wait]") {
  // Python: test_wait_really_done: futures done but whose callbacks have
  // not run yet count as done.
  test::VirtualLoopFixture f;
  auto coro1 = []() -> Coro<> { co_await asyncio::sleep(0); };
  auto coro2 = []() -> Coro<> {
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
  };
  auto a = f.loop->create_task(coro1());
  auto b = f.loop->create_task(coro2());
  auto body = [](Task<> x, Task<> y) -> Coro<std::size_t> {
    std::vector<Task<>> fs{y, x};
    auto r = co_await asyncio::wait(fs, {.return_when = asyncio::FIRST_COMPLETED});
    co_return r.done.size();
  };
  CHECK(f.loop->run_until_complete(body(a, b)) == 2);
}

TEST_CASE("wait with FIRST_EXCEPTION returns at the first failure", "[wait]") {
  // Python: test_wait_first_exception, test_wait_first_exception_in_wait
  test::VirtualLoopFixture f;
  for (double delay : {0.0, 0.01}) {
    auto a = f.loop->create_task(value_after(10, 1));
    auto b = f.loop->create_task(fail_after(delay));
    auto body = [](Task<int> x, Task<int> y) -> Coro<> {
      std::vector<Task<int>> fs{y, x};
      auto [done, pending] = co_await asyncio::wait(fs, {.return_when = asyncio::FIRST_EXCEPTION});
      CHECK(done == std::vector<Task<int>>{y});
      CHECK(pending == std::vector<Task<int>>{x});
      CHECK(y.exception() != nullptr);
      x.cancel();
    };
    f.loop->run_until_complete(body(a, b));
    CHECK_THROWS_AS(f.loop->run_until_complete(a), asyncio::CancelledError);
  }
}

TEST_CASE("wait with FIRST_EXCEPTION does not count a cancellation", "[wait]") {
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<> {
    auto& loop = asyncio::get_running_loop();
    Future<int> x = loop.create_future<int>(), y = loop.create_future<int>();
    loop.call_soon([x]() mutable { x.cancel(); });
    loop.call_later(0.01, [y]() mutable { y.set_result(1); });
    std::vector<Future<int>> fs{x, y};
    auto [done, pending] = co_await asyncio::wait(fs, {.return_when = asyncio::FIRST_EXCEPTION});
    CHECK(done.size() == 2);
    CHECK(pending.empty());
  };
  f.loop->run_until_complete(body());
}

TEST_CASE("wait returns at the timeout without raising or cancelling", "[wait]") {
  // Python: test_wait_with_timeout
  test::VirtualLoopFixture f;
  auto a = f.loop->create_task(value_after(0.01, 1));
  auto b = f.loop->create_task(value_after(10, 2));
  auto body = [](Task<int> x, Task<int> y) -> Coro<> {
    std::vector<Task<int>> fs{y, x};
    auto [done, pending] = co_await asyncio::wait(fs, {.timeout = 0.02});
    CHECK(done == std::vector<Task<int>>{x});
    CHECK(pending == std::vector<Task<int>>{y});
    CHECK_FALSE(y.cancelled());
    y.cancel();
  };
  f.loop->run_until_complete(body(a, b));
  CHECK_THROWS_AS(f.loop->run_until_complete(b), asyncio::CancelledError);
}

TEST_CASE("cancelling wait leaves the futures alone", "[wait]") {
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<> {
    auto& loop = asyncio::get_running_loop();
    Future<int> x = loop.create_future<int>();
    std::vector<Future<int>> fs{x};
    auto w = asyncio::create_task(asyncio::wait(fs));
    co_await asyncio::sleep(0);
    w.cancel();
    CHECK_THROWS_AS(co_await w, asyncio::CancelledError);
    CHECK_FALSE(x.done());
    x.set_result(1);
    co_await asyncio::sleep(0);
  };
  f.loop->run_until_complete(body());
  CHECK(f.errors.empty());
}

TEST_CASE("wait accepts any range of futures", "[wait]") {
  // Python: test_wait_with_iterator_of_tasks
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<std::size_t> {
    std::set<asyncio::AnyFuture> fs;
    fs.insert(asyncio::AnyFuture(asyncio::create_task(value_after(0, 1))));
    fs.insert(asyncio::AnyFuture(asyncio::create_task(value_after(0, 2))));
    auto r = co_await asyncio::wait(fs);
    co_return r.done.size();
  };
  CHECK(f.loop->run_until_complete(body()) == 2);
}

// ---- as_completed ----

TEST_CASE("as_completed yields futures in the order they finish", "[wait]") {
  // Python: test_as_completed (async iteration)
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<std::vector<int>> {
    std::vector<Task<int>> tasks;
    tasks.push_back(asyncio::create_task(value_after(0.03, 1)));
    tasks.push_back(asyncio::create_task(value_after(0.01, 2)));
    tasks.push_back(asyncio::create_task(value_after(0.02, 3)));
    std::vector<int> order;
    auto it = asyncio::as_completed(tasks);
    CHECK(it.size() == 3);
    while (std::optional<Task<int>> t = co_await it.next()) {
      CHECK(contains(tasks, *t));  // the very tasks given
      order.push_back(t->result());
    }
    CHECK(it.size() == 0);
    co_return order;
  };
  CHECK(f.loop->run_until_complete(body()) == std::vector<int>{2, 3, 1});
}

TEST_CASE("as_completed iterated plainly gives awaitables of the results", "[wait]") {
  // Python: for coro in as_completed(aws): await coro
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<std::vector<int>> {
    std::vector<Coro<int>> coros;
    coros.push_back(value_after(0.02, 1));
    coros.push_back(value_after(0.01, 2));
    std::vector<int> out;
    for (Coro<int> next : asyncio::as_completed(std::move(coros))) out.push_back(co_await next);
    co_return out;
  };
  CHECK(f.loop->run_until_complete(body()) == std::vector<int>{2, 1});
}

TEST_CASE("as_completed raises TimeoutError for the futures left at the timeout", "[wait]") {
  // Python: test_as_completed_with_timeout
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<std::vector<std::string>> {
    std::vector<Task<int>> tasks;
    tasks.push_back(asyncio::create_task(value_after(0.01, 1)));
    tasks.push_back(asyncio::create_task(value_after(10, 2)));
    std::vector<std::string> out;
    // A wide margin between the first result and the timeout: a loaded
    // machine (sanitizers, qemu) can wake tens of milliseconds late.
    for (Coro<int> next : asyncio::as_completed(tasks, {.timeout = 0.5})) {
      try {
        out.push_back(std::to_string(co_await next));
      } catch (const asyncio::TimeoutError&) {
        out.push_back("timeout");
      }
    }
    CHECK_FALSE(tasks[1].done());
    tasks[1].cancel();
    co_return out;
  };
  CHECK(f.loop->run_until_complete(body()) == std::vector<std::string>{"1", "timeout"});
}

TEST_CASE("an unused as_completed timeout does nothing", "[wait]") {
  // Python: test_as_completed_with_unused_timeout
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<int> {
    std::vector<Coro<int>> coros;
    coros.push_back(value_after(0.01, 7));
    int v = 0;
    for (Coro<int> next : asyncio::as_completed(std::move(coros), {.timeout = 0.5})) v = co_await next;
    CHECK(asyncio::detail::internals(asyncio::get_running_loop()).scheduled_timer_count() == 0);
    co_return v;
  };
  CHECK(f.loop->run_until_complete(body()) == 7);
}

TEST_CASE("as_completed results can be awaited in reverse", "[wait]") {
  // Python: test_as_completed_reverse_wait
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<std::vector<int>> {
    std::vector<Coro<int>> coros;
    coros.push_back(value_after(0.01, 1));
    coros.push_back(value_after(0.02, 2));
    auto it = asyncio::as_completed(std::move(coros));
    std::vector<Coro<int>> waiters;
    for (Coro<int> next : it) waiters.push_back(std::move(next));
    std::vector<int> out;
    out.push_back(co_await waiters[1]);
    out.push_back(co_await waiters[0]);
    co_return out;
  };
  CHECK(f.loop->run_until_complete(body()) == std::vector<int>{1, 2});
}

TEST_CASE("as_completed passes exceptions through its awaitables", "[wait]") {
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<std::string> {
    std::vector<Coro<int>> coros;
    coros.push_back(fail_after(0));
    std::string out;
    for (Coro<int> next : asyncio::as_completed(std::move(coros))) {
      try {
        co_await next;
      } catch (const asyncio::ValueError& e) {
        out = e.what();
      }
    }
    co_return out;
  };
  CHECK(f.loop->run_until_complete(body()) == "err");
}

TEST_CASE("as_completed counts the same future once", "[wait]") {
  // Python: test_as_completed_duplicate_coroutines
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<std::size_t> {
    auto t = asyncio::create_task(value_after(0, 1));
    std::vector<Task<int>> tasks{t, t};
    std::size_t n = 0;
    for (Coro<int> next : asyncio::as_completed(tasks)) {
      co_await next;
      ++n;
    }
    co_return n;
  };
  CHECK(f.loop->run_until_complete(body()) == 1);
}

TEST_CASE("as_completed with nothing yields nothing", "[wait]") {
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<bool> {
    std::vector<Task<int>> none;
    auto it = asyncio::as_completed(none);
    auto next = co_await it.next();
    co_return !next.has_value();
  };
  CHECK(f.loop->run_until_complete(body()));
}

TEST_CASE("as_completed needs a current loop", "[wait]") {
  // Python 3.14: get_event_loop() raises without a current loop; the
  // coroutines never run, which is reported.
  test::LogCapture log;
  {
    std::vector<Coro<int>> coros;
    coros.push_back(value_after(0, 1));
    CHECK_THROWS_AS(asyncio::as_completed(std::move(coros)), asyncio::RuntimeError);
  }
  CHECK(log.contains("coroutine 'value_after' was never awaited"));
}

TEST_CASE("as_completed uses the current loop outside a running one", "[wait]") {
  // Python: test_as_completed_coroutine_use_global_loop
  test::VirtualLoopFixture f;
  asyncio::set_event_loop(f.loop);
  {
    std::vector<Coro<int>> coros;
    coros.push_back(value_after(0, 5));
    auto it = asyncio::as_completed(std::move(coros));
    auto body = [](decltype(it)& i) -> Coro<int> {
      auto t = co_await i.next();
      co_return t->result();
    };
    CHECK(f.loop->run_until_complete(body(it)) == 5);
  }
  asyncio::set_event_loop(nullptr);
}
