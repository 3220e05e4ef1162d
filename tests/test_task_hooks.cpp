// The documented task bookkeeping hooks (_register_task, _enter_task, ...),
// pinned to CPython 3.11's asyncio.tasks. Python: test_tasks.py
// (test__enter_task, test__leave_task, test__register_task...).
#include "support.hpp"

using asyncio::Coro;
using test::LoopFixture;

namespace {

Coro<> wait_long() { co_await asyncio::sleep(3600); }

asyncio::AnyTask named_task(asyncio::EventLoop& loop, const char* name) {
  return loop.create_task(wait_long(), {.name = name});
}

std::string current_name(asyncio::EventLoop& loop) {
  std::optional<asyncio::AnyTask> t = asyncio::current_task(loop);
  return t ? t->get_name() : std::string("None");
}

}  // namespace

TEST_CASE("_enter_task makes a task current and _leave_task ends it", "[tasks][hooks]") {
  LoopFixture f;
  asyncio::AnyTask a = named_task(*f.loop, "A");
  asyncio::_enter_task(*f.loop, a);
  CHECK(current_name(*f.loop) == "A");
  asyncio::_leave_task(*f.loop, a);
  CHECK(current_name(*f.loop) == "None");
  a.cancel();
  f.run_briefly();
}

TEST_CASE("_enter_task while another task is current raises RuntimeError", "[tasks][hooks]") {
  LoopFixture f;
  asyncio::AnyTask a = named_task(*f.loop, "A");
  asyncio::AnyTask b = named_task(*f.loop, "B");
  asyncio::_enter_task(*f.loop, a);
  try {
    asyncio::_enter_task(*f.loop, b);
    FAIL("no RuntimeError");
  } catch (const asyncio::RuntimeError& e) {
    const std::string msg = e.what();
    CHECK(msg.rfind("Cannot enter into task <Task pending name='B'", 0) == 0);
    CHECK(msg.find("while another task <Task pending name='A'") != std::string::npos);
    CHECK(msg.find("is being executed.") != std::string::npos);
  }
  CHECK(current_name(*f.loop) == "A");  // unchanged
  asyncio::_leave_task(*f.loop, a);
  a.cancel();
  b.cancel();
  f.run_briefly();
}

TEST_CASE("_leave_task of a task that is not current raises RuntimeError", "[tasks][hooks]") {
  LoopFixture f;
  asyncio::AnyTask a = named_task(*f.loop, "A");
  asyncio::AnyTask b = named_task(*f.loop, "B");
  asyncio::_enter_task(*f.loop, a);
  try {
    asyncio::_leave_task(*f.loop, b);
    FAIL("no RuntimeError");
  } catch (const asyncio::RuntimeError& e) {
    const std::string msg = e.what();
    CHECK(msg.rfind("Leaving task <Task pending name='B'", 0) == 0);
    CHECK(msg.find("does not match the current task <Task pending name='A'") != std::string::npos);
  }
  asyncio::_leave_task(*f.loop, a);
  try {
    asyncio::_leave_task(*f.loop, a);
    FAIL("no RuntimeError");
  } catch (const asyncio::RuntimeError& e) {
    CHECK(std::string(e.what()).find("does not match the current task None.") != std::string::npos);
  }
  a.cancel();
  b.cancel();
  f.run_briefly();
}

TEST_CASE("_swap_current_task returns the task that was current, without checks", "[tasks][hooks]") {
  LoopFixture f;
  asyncio::AnyTask a = named_task(*f.loop, "A");
  asyncio::AnyTask b = named_task(*f.loop, "B");
  CHECK_FALSE(asyncio::_swap_current_task(*f.loop, a).has_value());
  std::optional<asyncio::AnyTask> prev = asyncio::_swap_current_task(*f.loop, b);  // no RuntimeError
  REQUIRE(prev.has_value());
  CHECK(prev->get_name() == "A");
  CHECK(current_name(*f.loop) == "B");
  prev = asyncio::_swap_current_task(*f.loop, std::nullopt);
  REQUIRE(prev.has_value());
  CHECK(prev->get_name() == "B");
  CHECK(current_name(*f.loop) == "None");
  a.cancel();
  b.cancel();
  f.run_briefly();
}

TEST_CASE("_register_task and _unregister_task decide what all_tasks reports, idempotently", "[tasks][hooks]") {
  LoopFixture f;
  asyncio::AnyTask a = named_task(*f.loop, "A");
  asyncio::AnyTask b = named_task(*f.loop, "B");
  CHECK(asyncio::all_tasks(*f.loop).size() == 2);
  asyncio::_unregister_task(a);
  CHECK(asyncio::all_tasks(*f.loop).size() == 1);
  asyncio::_unregister_task(a);  // not there: nothing
  CHECK(asyncio::all_tasks(*f.loop).size() == 1);
  asyncio::_register_task(a);
  asyncio::_register_task(a);  // a set in Python: once
  CHECK(asyncio::all_tasks(*f.loop).size() == 2);
  a.cancel();
  b.cancel();
  f.run_briefly();
  f.run_briefly();
  CHECK(asyncio::all_tasks(*f.loop).empty());
  CHECK(a.cancelled());
}

TEST_CASE("The hooks reject an empty task handle with InvalidStateError", "[tasks][hooks]") {
  LoopFixture f;
  asyncio::AnyTask empty;
  CHECK_THROWS_AS(asyncio::_register_task(empty), asyncio::InvalidStateError);
  CHECK_THROWS_AS(asyncio::_enter_task(*f.loop, empty), asyncio::InvalidStateError);
  CHECK(current_name(*f.loop) == "None");
}
