// Coro<T>: laziness, inline awaiting, results, errors, misuse, depth.
// Python: test_pep492.py, parts of test_tasks.py.
#include <memory>

#include "support.hpp"

using asyncio::Coro;
using test::LoopFixture;

namespace {

Coro<int> forty_two() { co_return 42; }

Coro<int> add_one(int x) {
  int y = co_await forty_two();
  co_return x + y - 41;
}

Coro<> throws_value_error() {
  throw asyncio::ValueError("from a coroutine");
  co_return;
}

Coro<int> recurse(int depth) {
  if (depth == 0) co_return 0;
  co_return 1 + co_await recurse(depth - 1);
}

Coro<int> trivial(int i) { co_return i; }

Coro<std::unique_ptr<int>> make_box(int v) { co_return std::make_unique<int>(v); }

}  // namespace

TEST_CASE("a coroutine does not run until it is awaited", "[coroutines]") {
  bool ran = false;
  auto body = [](bool& flag) -> Coro<> {
    flag = true;
    co_return;
  };
  LoopFixture f;
  {
    Coro<> c = body(ran);
    CHECK_FALSE(ran);
    CHECK_FALSE(c.done());
    f.loop->run_until_complete(std::move(c));
  }
  CHECK(ran);
}

TEST_CASE("awaiting a coroutine returns its value", "[coroutines]") {
  LoopFixture f;
  CHECK(f.loop->run_until_complete(add_one(1)) == 2);
}

TEST_CASE("awaiting a coroutine runs it in the same task without a loop iteration", "[coroutines]") {
  LoopFixture f;
  auto outer = [](asyncio::EventLoop& loop, std::vector<std::string>& out) -> Coro<> {
    auto before = asyncio::current_task();
    loop.call_soon([&out] { out.push_back("callback"); });
    auto inner = [](std::vector<std::string>& o) -> Coro<asyncio::AnyTask> {
      o.push_back("inner");
      co_return *asyncio::current_task();
    };
    asyncio::AnyTask seen = co_await inner(out);
    CHECK(seen == *before);
    out.push_back("outer");
  };
  f.loop->run_until_complete(outer(*f.loop, f.events));
  CHECK(f.events == std::vector<std::string>{"inner", "outer", "callback"});
}

TEST_CASE("an exception thrown in a coroutine reaches its awaiter", "[coroutines]") {
  LoopFixture f;
  auto catcher = []() -> Coro<std::string> {
    try {
      co_await throws_value_error();
    } catch (const asyncio::ValueError& e) {
      co_return e.what();
    }
    co_return "nothing";
  };
  CHECK(f.loop->run_until_complete(catcher()) == "from a coroutine");
  CHECK_THROWS_AS(f.loop->run_until_complete(throws_value_error()), asyncio::ValueError);
}

TEST_CASE("awaiting a coroutine twice raises RuntimeError", "[coroutines]") {
  LoopFixture f;
  auto twice = []() -> Coro<std::string> {
    Coro<int> c = forty_two();
    co_await c;
    try {
      co_await c;
    } catch (const asyncio::RuntimeError& e) {
      co_return e.what();
    }
    co_return "";
  };
  CHECK(f.loop->run_until_complete(twice()) == "cannot reuse already awaited coroutine");
}

TEST_CASE("awaiting an empty coroutine raises RuntimeError", "[coroutines]") {
  LoopFixture f;
  auto empty = []() -> Coro<bool> {
    Coro<int> c;
    try {
      co_await c;
    } catch (const asyncio::RuntimeError&) {
      co_return true;
    }
    co_return false;
  };
  CHECK(f.loop->run_until_complete(empty()));
}

TEST_CASE("deep recursion through awaits does not overflow the stack", "[coroutines][large-heap]") {
  LoopFixture f;
  CHECK(f.loop->run_until_complete(recurse(100000)) == 100000);
}

TEST_CASE("a million sequential awaits of finished coroutines run in constant stack", "[coroutines]") {
  LoopFixture f;
  auto loop_body = []() -> Coro<long> {
    long sum = 0;
    for (int i = 0; i < 1000000; ++i) sum += co_await trivial(i % 3);
    co_return sum;
  };
  CHECK(f.loop->run_until_complete(loop_body()) == 999999);
}

TEST_CASE("a coroutine never awaited logs a RuntimeWarning", "[coroutines]") {
  test::LogCapture log;
  { Coro<int> c = forty_two(); }
  CHECK(log.contains("RuntimeWarning: coroutine 'forty_two' was never awaited"));
}

TEST_CASE("a coroutine knows its function name", "[coroutines]") {
  Coro<int> c = forty_two();
  CHECK(std::string(c.name()) == "forty_two");
  LoopFixture f;
  f.loop->run_until_complete(std::move(c));
}

TEST_CASE("move-only results pass through coroutines", "[coroutines]") {
  LoopFixture f;
  auto unbox = []() -> Coro<int> {
    std::unique_ptr<int> p = co_await make_box(5);
    co_return *p;
  };
  CHECK(f.loop->run_until_complete(unbox()) == 5);
}

TEST_CASE("iscoroutine is true for Coro objects only", "[coroutines]") {
  Coro<int> c = forty_two();
  CHECK(asyncio::iscoroutine(c));
  CHECK_FALSE(asyncio::iscoroutine(3));
  LoopFixture f;
  f.loop->run_until_complete(std::move(c));
}

TEST_CASE("a moved-from coroutine is empty", "[coroutines]") {
  Coro<int> a = forty_two();
  Coro<int> b = std::move(a);
  CHECK_FALSE(static_cast<bool>(a));
  CHECK(static_cast<bool>(b));
  LoopFixture f;
  CHECK(f.loop->run_until_complete(std::move(b)) == 42);
}

TEST_CASE("coroutine parameters live until the coroutine finishes", "[coroutines]") {
  LoopFixture f;
  auto resource = std::make_shared<int>(3);
  auto uses = [](std::shared_ptr<int> r) -> Coro<long> {
    co_await asyncio::sleep(0);
    co_return r.use_count();
  };
  CHECK(f.loop->run_until_complete(uses(resource)) >= 2);
  CHECK(resource.use_count() == 1);
}
