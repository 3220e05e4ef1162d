// Eager task factories. Python: test_eager_task_factory.py.
#include <string>
#include <vector>

#include "support.hpp"

using asyncio::Coro;
using test::LoopFixture;

namespace {

Coro<int> record_then_sleep(std::vector<std::string>& ev, std::string name) {
  ev.push_back(name + " start");
  co_await asyncio::sleep(0);
  ev.push_back(name + " end");
  co_return 1;
}

}  // namespace

TEST_CASE("eager_task_factory runs each coroutine until its first suspension", "[eager]") {
  LoopFixture f;
  f.loop->set_task_factory(asyncio::eager_task_factory);
  auto body = [](std::vector<std::string>& ev) -> Coro<> {
    auto t = asyncio::create_task(record_then_sleep(ev, "child"));
    ev.push_back("after create_task");
    CHECK_FALSE(t.done());
    co_await t;
  };
  f.loop->run_until_complete(body(f.events));
  CHECK(f.events == std::vector<std::string>{"child start", "after create_task", "child end"});
}

TEST_CASE("an eager task that never suspends is done before create_task returns", "[eager]") {
  LoopFixture f;
  f.loop->set_task_factory(asyncio::eager_task_factory);
  auto body = []() -> Coro<> {
    auto outer = asyncio::current_task();
    auto t = asyncio::create_task([](asyncio::AnyTask parent) -> Coro<int> {
      // The new task is the current task during its eager step.
      CHECK_FALSE(*asyncio::current_task() == parent);
      co_return 7;
    }(*outer));
    CHECK(t.done());
    CHECK(t.result() == 7);
    CHECK(t.get_coro().address == nullptr);  // Python: get_coro() is None
    CHECK(*asyncio::current_task() == *outer);
    co_return;
  };
  f.loop->run_until_complete(body());
}

TEST_CASE("an eager factory honours an explicit eager_start of false", "[eager]") {
  LoopFixture f;
  f.loop->set_task_factory(asyncio::eager_task_factory);
  auto body = [](std::vector<std::string>& ev) -> Coro<> {
    auto t = asyncio::create_task(record_then_sleep(ev, "lazy"), {.eager_start = false});
    ev.push_back("after create_task");
    co_await t;
  };
  f.loop->run_until_complete(body(f.events));
  CHECK(f.events == std::vector<std::string>{"after create_task", "lazy start", "lazy end"});
}

TEST_CASE("create_eager_task_factory wraps a custom task constructor", "[eager]") {
  LoopFixture f;
  std::vector<bool> eager_flags;
  f.loop->set_task_factory(asyncio::create_eager_task_factory(
      [&eager_flags](asyncio::EventLoop& loop, asyncio::AnyCoro coro, const asyncio::TaskOptions& options) {
        eager_flags.push_back(options.eager_start.value_or(false));
        asyncio::TaskOptions named = options;
        named.name = "custom";
        return asyncio::make_task(loop, std::move(coro), named);
      }));
  auto body = []() -> Coro<std::string> {
    auto t = asyncio::create_task([]() -> Coro<int> { co_return 1; }());
    CHECK(t.done());
    co_return t.get_name();
  };
  CHECK(f.loop->run_until_complete(body()) == "custom");
  // run_until_complete's own task is made by the factory too, not eagerly
  // (the loop is not running yet).
  CHECK(eager_flags == std::vector<bool>{true, true});
}

TEST_CASE("eager tasks fail and get cancelled like other tasks", "[eager]") {
  LoopFixture f;
  f.loop->set_task_factory(asyncio::eager_task_factory);
  auto body = []() -> Coro<> {
    auto failing = asyncio::create_task([]() -> Coro<> {
      throw asyncio::ValueError("at once");
      co_return;
    }());
    CHECK(failing.done());
    CHECK_THROWS_WITH(co_await failing, "at once");
    auto sleeping = asyncio::create_task(asyncio::wait_for(asyncio::sleep(10), std::nullopt));
    CHECK_FALSE(sleeping.done());
    sleeping.cancel();
    CHECK_THROWS_AS(co_await sleeping, asyncio::CancelledError);
  };
  f.loop->run_until_complete(body());
}
