// TaskGroup. Python: test_taskgroups.py (3.14).
#include <functional>
#include <set>
#include <stdexcept>
#include <string>
#include <typeinfo>

#include "support.hpp"

using asyncio::Coro;
using asyncio::Task;
using asyncio::TaskGroup;
using test::LoopFixture;

namespace {

struct MyExc : std::runtime_error {
  MyExc() : std::runtime_error("MyExc") {}
};
struct MyBaseExc : asyncio::BaseException {};
struct ZeroDivisionError : std::domain_error {
  ZeroDivisionError() : std::domain_error("division by zero") {}
};

Coro<int> value_after(double delay, int v) {
  co_await asyncio::sleep(delay);
  co_return v;
}

Coro<> crash_after(double delay) {
  co_await asyncio::sleep(delay);
  throw ZeroDivisionError();
}

// Sleeps; a cancellation is counted in `n` and let through.
Coro<> sleep_counting_cancel(double delay, int& n) {
  try {
    co_await asyncio::sleep(delay);
  } catch (const asyncio::CancelledError&) {
    ++n;
    throw;
  }
}

// Sleeps until cancelled, then fails (Python: try: await sleep(10)
// finally: 1 / 0).
Coro<> fail_when_cancelled() {
  try {
    co_await asyncio::sleep(10);
  } catch (const asyncio::CancelledError&) {
  }
  throw ZeroDivisionError();
}

// The type names of a group's exceptions (Python's get_error_types).
std::set<std::string> error_types(const asyncio::BaseExceptionGroup& g) {
  std::set<std::string> out;
  for (const auto& e : g.exceptions()) {
    try {
      std::rethrow_exception(e);
    } catch (const ZeroDivisionError&) {
      out.insert("ZeroDivisionError");
    } catch (const MyExc&) {
      out.insert("MyExc");
    } catch (const MyBaseExc&) {
      out.insert("MyBaseExc");
    } catch (const asyncio::ExceptionGroup&) {
      out.insert("ExceptionGroup");
    } catch (const asyncio::ValueError&) {
      out.insert("ValueError");
    } catch (const asyncio::TypeError&) {
      out.insert("TypeError");
    } catch (...) {
      out.insert("?");
    }
  }
  return out;
}

// Runs `task` to its end and returns the ExceptionGroup it raised.
template <class T>
std::set<std::string> group_error_types(LoopFixture& f, Task<T> task) {
  try {
    f.loop->run_until_complete(task);
  } catch (const asyncio::BaseExceptionGroup& g) {
    return error_types(g);
  }
  return {"no group"};
}

}  // namespace

TEST_CASE("a task group waits for all its tasks", "[taskgroups]") {
  // Python: test_taskgroup_01, test_taskgroup_02
  LoopFixture f;
  auto body = []() -> Coro<int> {
    Task<int> t1, t2, t3;
    co_await asyncio::task_group([&](TaskGroup& g) -> Coro<> {
      t1 = g.create_task(value_after(0.01, 42));
      t2 = g.create_task(value_after(0.02, 11));
      co_await asyncio::sleep(0.015);
      t3 = g.create_task(value_after(0.01, 1));
    });
    CHECK(t1.done());
    CHECK(t2.done());
    CHECK(t3.done());
    co_return t1.result() + t2.result() + t3.result();
  };
  CHECK(f.loop->run_until_complete(body()) == 54);
}

TEST_CASE("the block's result is the group's result", "[taskgroups]") {
  LoopFixture f;
  auto body = []() -> Coro<int> {
    co_return co_await asyncio::task_group([](TaskGroup& g) -> Coro<int> {
      auto t = g.create_task(value_after(0, 5));
      co_return 2 * co_await t;
    });
  };
  CHECK(f.loop->run_until_complete(body()) == 10);
}

TEST_CASE("a task cancelled explicitly does not stop the group", "[taskgroups]") {
  // Python: test_taskgroup_03
  LoopFixture f;
  auto body = []() -> Coro<> {
    Task<int> t1, t2;
    co_await asyncio::task_group([&](TaskGroup& g) -> Coro<> {
      t1 = g.create_task(value_after(1, 42));
      co_await asyncio::sleep(0.01);
      t1.cancel();
      t2 = g.create_task(value_after(0.01, 11));
    });
    CHECK(t1.cancelled());
    CHECK(t2.result() == 11);
  };
  f.loop->run_until_complete(body());
}

TEST_CASE("a failing task cancels its siblings and the group raises ExceptionGroup", "[taskgroups]") {
  // Python: test_taskgroup_04
  LoopFixture f;
  int num = 0;
  bool t2_cancel = false;
  Task<> t2;
  auto foo2 = [](bool& cancelled, int& n) -> Coro<> {
    try {
      co_await asyncio::sleep(1);
    } catch (const asyncio::CancelledError&) {
      cancelled = true;
      throw;
    }
    ++n;
  };
  auto runner = [&]() -> Coro<> {
    co_await asyncio::task_group([&](TaskGroup& g) -> Coro<> {
      g.create_task(crash_after(0.01));
      t2 = g.create_task(foo2(t2_cancel, num));
      co_return;
    });
    num += 10;
  };
  CHECK(group_error_types(f, f.loop->create_task(runner())) == std::set<std::string>{"ZeroDivisionError"});
  CHECK(num == 0);
  CHECK(t2_cancel);
  CHECK(t2.cancelled());
}

TEST_CASE("a child failure cancels the block once and the group uncancels it", "[taskgroups]") {
  // Python: test_cancel_children_on_child_error
  LoopFixture f;
  bool runner_cancel = false;
  int runner_cancelling = -1;
  auto runner = [&]() -> Coro<> {
    try {
      co_await asyncio::task_group([&](TaskGroup& g) -> Coro<> {
        g.create_task(crash_after(0.01));
        g.create_task(crash_after(0.01));
        g.create_task(crash_after(0.01));
        g.create_task(value_after(5, 1));
        try {
          co_await asyncio::sleep(10);
        } catch (const asyncio::CancelledError&) {
          runner_cancel = true;
          throw;
        }
      });
    } catch (const asyncio::ExceptionGroup&) {
      runner_cancelling = static_cast<int>(asyncio::current_task()->cancelling());
      throw;
    }
  };
  auto types = group_error_types(f, f.loop->create_task(runner()));
  CHECK(types == std::set<std::string>{"ZeroDivisionError"});
  CHECK(runner_cancel);
  CHECK(runner_cancelling == 0);
}

TEST_CASE("the group raises every failure it saw", "[taskgroups]") {
  LoopFixture f;
  auto runner = []() -> Coro<std::size_t> {
    try {
      co_await asyncio::task_group([](TaskGroup& g) -> Coro<> {
        g.create_task(crash_after(0));
        g.create_task(crash_after(0));
        co_return;
      });
    } catch (const asyncio::ExceptionGroup& eg) {
      CHECK(eg.message() == "unhandled errors in a TaskGroup");
      CHECK(std::string(eg.what()) == "unhandled errors in a TaskGroup (2 sub-exceptions)");
      co_return eg.exceptions().size();
    }
    co_return 0;
  };
  CHECK(f.loop->run_until_complete(runner()) == 2);
}

TEST_CASE("cancelling the parent cancels the group's tasks and raises CancelledError", "[taskgroups]") {
  // Python: test_cancellation, test_taskgroup_07, test_taskgroup_22
  LoopFixture f;
  int num = 0;
  auto runner = [&]() -> Coro<> {
    co_await asyncio::task_group([&](TaskGroup& g) -> Coro<> {
      for (int i = 0; i < 5; ++i) g.create_task(sleep_counting_cancel(5, num));
      try {
        co_await asyncio::sleep(10);
      } catch (const asyncio::CancelledError&) {
        num += 10;
        throw;
      }
    });
  };
  auto r = f.loop->create_task(runner());
  f.run_briefly();
  f.run_briefly();
  CHECK_FALSE(r.done());
  r.cancel();
  CHECK_THROWS_AS(f.loop->run_until_complete(r), asyncio::CancelledError);
  CHECK(r.cancelled());
  CHECK(num == 15);
}

TEST_CASE("the parent cancelled while waiting for the tasks cancels them", "[taskgroups]") {
  // Python: test_cancellation (the block already finished)
  LoopFixture f;
  int num = 0;
  auto runner = [&]() -> Coro<> {
    co_await asyncio::task_group([&](TaskGroup& g) -> Coro<> {
      for (int i = 0; i < 5; ++i) g.create_task(sleep_counting_cancel(5, num));
      co_return;
    });
  };
  auto r = f.loop->create_task(runner());
  f.run_briefly();
  f.run_briefly();
  r.cancel();
  CHECK_THROWS_AS(f.loop->run_until_complete(r), asyncio::CancelledError);
  CHECK(num == 5);
  CHECK(r.cancelling() == 1);
}

TEST_CASE("tasks failing while the parent is cancelled raise ExceptionGroup and keep the cancel count",
          "[taskgroups]") {
  // Python: test_taskgroup_08 and the 3.13 uncancel/cancel dance: the
  // errors win, the parent's cancel request stays counted and pending.
  LoopFixture f;
  int cancelling_after = -1;
  bool cancelled_again = false;
  auto runner = [&]() -> Coro<> {
    try {
      co_await asyncio::task_group([&](TaskGroup& g) -> Coro<> {
        for (int i = 0; i < 5; ++i) g.create_task(fail_when_cancelled());
        co_await asyncio::sleep(10);
      });
    } catch (const asyncio::ExceptionGroup&) {
      cancelling_after = static_cast<int>(asyncio::current_task()->cancelling());
    }
    try {
      co_await asyncio::sleep(0);  // the cancellation is delivered again here
    } catch (const asyncio::CancelledError&) {
      cancelled_again = true;
      throw;
    }
  };
  auto r = f.loop->create_task(runner());
  f.run_briefly();
  f.run_briefly();
  r.cancel();
  CHECK_THROWS_AS(f.loop->run_until_complete(r), asyncio::CancelledError);
  CHECK(cancelling_after == 1);
  CHECK(cancelled_again);
}

TEST_CASE("an error in the block cancels the tasks and joins the group", "[taskgroups]") {
  // Python: test_taskgroup_09, test_taskgroup_10
  LoopFixture f;
  Task<int> t1, t2;
  auto runner = [&](bool sleep_first) -> Coro<> {
    co_await asyncio::task_group([&](TaskGroup& g) -> Coro<> {
      t1 = g.create_task(value_after(1, 42));
      t2 = g.create_task(value_after(2, 11));
      if (sleep_first) co_await asyncio::sleep(0.01);
      throw ZeroDivisionError();
    });
  };
  CHECK(group_error_types(f, f.loop->create_task(runner(true))) == std::set<std::string>{"ZeroDivisionError"});
  CHECK(t1.cancelled());
  CHECK(t2.cancelled());
  CHECK(group_error_types(f, f.loop->create_task(runner(false))) == std::set<std::string>{"ZeroDivisionError"});
  CHECK(t1.cancelled());
  CHECK(t2.cancelled());
}

TEST_CASE("nested groups raise nested ExceptionGroups", "[taskgroups]") {
  // Python: test_taskgroup_11, test_taskgroup_12
  LoopFixture f;
  auto runner = [&]() -> Coro<> {
    co_await asyncio::task_group([&](TaskGroup& g1) -> Coro<> {
      g1.create_task(value_after(10, 1));
      co_await asyncio::task_group([&](TaskGroup& g2) -> Coro<> {
        for (int i = 0; i < 5; ++i) g2.create_task(fail_when_cancelled());
        co_await asyncio::sleep(10);
      });
    });
  };
  auto r = f.loop->create_task(runner());
  f.run_briefly();
  f.run_briefly();
  r.cancel();
  try {
    f.loop->run_until_complete(r);
    FAIL("no ExceptionGroup");
  } catch (const asyncio::ExceptionGroup& eg) {
    CHECK(error_types(eg) == std::set<std::string>{"ExceptionGroup"});
    try {
      std::rethrow_exception(eg.exceptions()[0]);
    } catch (const asyncio::ExceptionGroup& inner) {
      CHECK(error_types(inner) == std::set<std::string>{"ZeroDivisionError"});
    }
  }
}

TEST_CASE("an outer group's failure cancels an inner group", "[taskgroups]") {
  // Python: test_taskgroup_13, test_taskgroup_14
  LoopFixture f;
  auto crash_value = [](double t) -> Coro<> {
    co_await asyncio::sleep(t);
    throw asyncio::ValueError("crash");
  };
  auto runner = [&](double outer_delay, double inner_delay) -> Coro<> {
    co_await asyncio::task_group([&, outer_delay, inner_delay](TaskGroup& g1) -> Coro<> {
      g1.create_task(crash_value(outer_delay));
      co_await asyncio::task_group([&, inner_delay](TaskGroup& g2) -> Coro<> {
        g2.create_task(crash_value(inner_delay));
        co_return;
      });
    });
  };
  CHECK(group_error_types(f, f.loop->create_task(runner(0.01, 10))) == std::set<std::string>{"ValueError"});
  CHECK(group_error_types(f, f.loop->create_task(runner(10, 0.01))) == std::set<std::string>{"ExceptionGroup"});
}

TEST_CASE("a child failing while the block handles a cancellation joins the group", "[taskgroups]") {
  // Python: test_taskgroup_15, test_taskgroup_16
  LoopFixture f;
  auto nested_runner = []() -> Coro<> {
    co_await asyncio::task_group([](TaskGroup& g) -> Coro<> {
      g.create_task(crash_after(0.03));
      try {
        co_await asyncio::sleep(10);
      } catch (const asyncio::CancelledError&) {
      }
      co_await asyncio::sleep(0.05);
      throw asyncio::CancelledError();
    });
  };
  auto runner = [&]() -> Coro<> { co_await asyncio::create_task(nested_runner()); };
  auto r = f.loop->create_task(runner());
  for (int i = 0; i < 3; ++i) f.run_briefly();
  r.cancel();
  CHECK(group_error_types(f, r) == std::set<std::string>{"ZeroDivisionError"});
}

TEST_CASE("a group without tasks passes the parent's cancellation on", "[taskgroups]") {
  // Python: test_taskgroup_17
  LoopFixture f;
  int num = 0;
  auto runner = [&]() -> Coro<> {
    co_await asyncio::task_group([&]() -> Coro<> {
      try {
        co_await asyncio::sleep(10);
      } catch (const asyncio::CancelledError&) {
        num += 10;
        throw;
      }
    });
  };
  auto r = f.loop->create_task(runner());
  f.run_briefly();
  r.cancel();
  CHECK_THROWS_AS(f.loop->run_until_complete(r), asyncio::CancelledError);
  CHECK(num == 10);
}

TEST_CASE("an error raised by the block on cancellation goes into the group", "[taskgroups]") {
  // Python: test_taskgroup_18
  LoopFixture f;
  auto runner = []() -> Coro<> {
    co_await asyncio::task_group([]() -> Coro<> {
      try {
        co_await asyncio::sleep(10);
      } catch (const asyncio::CancelledError&) {
      }
      throw MyExc();
    });
  };
  auto r = f.loop->create_task(runner());
  f.run_briefly();
  r.cancel();
  CHECK(group_error_types(f, r) == std::set<std::string>{"MyExc"});
}

TEST_CASE("the block's error and the children's are grouped together", "[taskgroups]") {
  // Python: test_taskgroup_19
  LoopFixture f;
  auto runner = []() -> Coro<> {
    co_await asyncio::task_group([](TaskGroup& g) -> Coro<> {
      g.create_task(crash_after(0.01));
      try {
        co_await asyncio::sleep(10);
      } catch (const asyncio::CancelledError&) {
      }
      throw MyExc();
    });
  };
  CHECK(group_error_types(f, f.loop->create_task(runner())) == std::set<std::string>{"MyExc", "ZeroDivisionError"});
}

TEST_CASE("KeyboardInterrupt from the block leaves the group unwrapped", "[taskgroups]") {
  // Python: test_taskgroup_20; the other errors are reported (gh-135736)
  LoopFixture f;
  f.expect_report("TaskGroup task exception was not propagated");
  auto runner = []() -> Coro<> {
    co_await asyncio::task_group([](TaskGroup& g) -> Coro<> {
      g.create_task(crash_after(0.01));
      try {
        co_await asyncio::sleep(10);
      } catch (const asyncio::CancelledError&) {
      }
      throw asyncio::KeyboardInterrupt();
    });
  };
  CHECK_THROWS_AS(f.loop->run_until_complete(runner()), asyncio::KeyboardInterrupt);
  REQUIRE(f.errors.size() == 1);
  CHECK(f.errors[0].message ==
        "TaskGroup task exception was not propagated because the TaskGroup body is being closed with a "
        "BaseException");
  REQUIRE(f.errors[0].get("task_group") != nullptr);
}

TEST_CASE("a BaseException that is not an interrupt makes a BaseExceptionGroup", "[taskgroups]") {
  // Python: test_taskgroup_20a, test_taskgroup_21a
  LoopFixture f;
  auto runner = [](bool child_base) -> Coro<> {
    co_await asyncio::task_group([child_base](TaskGroup& g) -> Coro<> {
      if (child_base) {
        g.create_task([]() -> Coro<> {
          co_await asyncio::sleep(0.01);
          throw MyBaseExc();
        }());
      } else {
        g.create_task(crash_after(0.01));
      }
      try {
        co_await asyncio::sleep(10);
      } catch (const asyncio::CancelledError&) {
      }
      if (child_base) throw asyncio::TypeError("t");
      throw MyBaseExc();
    });
  };
  for (bool child_base : {false, true}) {
    try {
      f.loop->run_until_complete(runner(child_base));
      FAIL("no group");
    } catch (const asyncio::ExceptionGroup&) {
      FAIL("an ExceptionGroup holding a BaseException");
    } catch (const asyncio::BaseExceptionGroup& g) {
      if (child_base)
        CHECK(error_types(g) == std::set<std::string>{"MyBaseExc", "TypeError"});
      else
        CHECK(error_types(g) == std::set<std::string>{"MyBaseExc", "ZeroDivisionError"});
    }
  }
}

TEST_CASE("KeyboardInterrupt in a child escapes the loop and then the group", "[taskgroups]") {
  // A task's KeyboardInterrupt escapes run_forever (as in Python); the
  // group then raises it unwrapped from the parent.
  LoopFixture f;
  auto runner = []() -> Coro<> {
    co_await asyncio::task_group([](TaskGroup& g) -> Coro<> {
      g.create_task([]() -> Coro<> {
        co_await asyncio::sleep(0.01);
        throw asyncio::KeyboardInterrupt();
      }());
      co_await asyncio::sleep(10);
    });
  };
  auto r = f.loop->create_task(runner());
  CHECK_THROWS_AS(f.loop->run_until_complete(r), asyncio::KeyboardInterrupt);
  CHECK_FALSE(r.done());
  CHECK_THROWS_AS(f.loop->run_until_complete(r), asyncio::KeyboardInterrupt);
  REQUIRE(r.done());
  CHECK_THROWS_AS(r.result(), asyncio::KeyboardInterrupt);
}

TEST_CASE("tasks added while the group waits are waited for", "[taskgroups]") {
  // Python: test_taskgroup_23, test_taskgroup_24
  LoopFixture f;
  auto root = [](TaskGroup& g, int& count) -> Coro<> {
    co_await asyncio::sleep(0.01);
    g.create_task([](int& c) -> Coro<> {
      co_await asyncio::sleep(0.01);
      ++c;
    }(count));
    g.create_task([](int& c) -> Coro<> {
      co_await asyncio::sleep(0.02);
      ++c;
    }(count));
  };
  auto runner = [&]() -> Coro<int> {
    int count = 0;
    co_await asyncio::task_group([&](TaskGroup& g) -> Coro<> {
      g.create_task(root(g, count));
      co_return;
    });
    co_return count;
  };
  CHECK(f.loop->run_until_complete(runner()) == 2);
}

TEST_CASE("a group keeps going until a failure stops it", "[taskgroups]") {
  // Python: test_taskgroup_25
  LoopFixture f;
  int nhydras = 0;
  std::function<Coro<>(TaskGroup&)> hydra = [&](TaskGroup& g) -> Coro<> {
    ++nhydras;
    co_await asyncio::sleep(0.01);
    g.create_task(hydra(g));
    g.create_task(hydra(g));
  };
  auto hercules = [&]() -> Coro<> {
    while (nhydras < 10) co_await asyncio::sleep(0.015);
    throw ZeroDivisionError();
  };
  auto runner = [&]() -> Coro<> {
    co_await asyncio::task_group([&](TaskGroup& g) -> Coro<> {
      g.create_task(hydra(g));
      g.create_task(hercules());
      co_return;
    });
  };
  CHECK(group_error_types(f, f.loop->create_task(runner())) == std::set<std::string>{"ZeroDivisionError"});
  CHECK(nhydras >= 10);
}

TEST_CASE("create_task in a group takes task options", "[taskgroups]") {
  // Python: test_taskgroup_task_name
  LoopFixture f;
  auto body = []() -> Coro<std::string> {
    std::string name;
    co_await asyncio::task_group([&](TaskGroup& g) -> Coro<> {
      auto t = g.create_task(value_after(0, 1), {.name = "yolo"});
      name = t.get_name();
      co_return;
    });
    co_return name;
  };
  CHECK(f.loop->run_until_complete(body()) == "yolo");
}

TEST_CASE("a group shutting down refuses new tasks", "[taskgroups]") {
  // Python: test_taskgroup_no_create_task_after_failure
  LoopFixture f;
  test::LogCapture log;
  auto coro2 = [](TaskGroup& g) -> Coro<> {
    try {
      co_await asyncio::sleep(1);
    } catch (const asyncio::CancelledError&) {
      CHECK_THROWS_WITH(g.create_task(crash_after(0.001)),
                        Catch::Matchers::Contains("is shutting down") &&
                            Catch::Matchers::StartsWith("TaskGroup <TaskGroup"));
    }
  };
  auto runner = [&]() -> Coro<> {
    co_await asyncio::task_group([&](TaskGroup& g) -> Coro<> {
      g.create_task(crash_after(0.001));
      g.create_task(coro2(g));
      co_return;
    });
  };
  CHECK(group_error_types(f, f.loop->create_task(runner())) == std::set<std::string>{"ZeroDivisionError"});
  CHECK_FALSE(log.contains("never awaited"));  // Python closes the refused coroutine
}

TEST_CASE("a group cannot be entered twice nor used outside its block", "[taskgroups]") {
  // Python: test_taskgroup_already_entered, test_taskgroup_double_enter,
  // test_taskgroup_finished, test_taskgroup_not_entered
  LoopFixture f;
  test::LogCapture log;
  auto body = []() -> Coro<> {
    TaskGroup tg;
    CHECK_THROWS_WITH(tg.create_task(value_after(0, 1)), "TaskGroup <TaskGroup> has not been entered");
    co_await tg.async_with([&]() -> Coro<> {
      CHECK_THROWS_WITH(co_await tg.async_with([]() -> Coro<> { co_return; }),
                        "TaskGroup <TaskGroup entered> has already been entered");
    });
    CHECK_THROWS_WITH(co_await tg.async_with([]() -> Coro<> { co_return; }),
                      "TaskGroup <TaskGroup entered> has already been entered");
    CHECK_THROWS_WITH(tg.create_task(value_after(0, 1)), "TaskGroup <TaskGroup entered> is finished");
  };
  f.loop->run_until_complete(body());
  CHECK_FALSE(log.contains("never awaited"));
}

TEST_CASE("a group needs a parent task", "[taskgroups]") {
  // Python: test_taskgroup_without_parent_task
  LoopFixture f;
  TaskGroup tg;
  f.loop->call_soon([&] {
    CHECK_THROWS_WITH(tg.enter(), "TaskGroup <TaskGroup> cannot determine the parent task");
    f.loop->stop();
  });
  f.loop->run_forever();
  CHECK_THROWS_WITH(tg.create_task(value_after(0, 1)), "TaskGroup <TaskGroup> has not been entered");
}

TEST_CASE("a group handles eager tasks that fail at once on the next iteration", "[taskgroups]") {
  // gh-128550: the failure is handled by the done callback, not inside
  // create_task, so the block is cancelled at its next await.
  LoopFixture f;
  f.loop->set_task_factory(asyncio::eager_task_factory);
  auto body = []() -> Coro<std::string> {
    std::string trace;
    try {
      co_await asyncio::task_group([&](TaskGroup& g) -> Coro<> {
        auto t = g.create_task([]() -> Coro<> {
          throw MyExc();
          co_return;
        }());
        trace += t.done() ? "done;" : "pending;";
        trace += "after create;";
        try {
          co_await asyncio::sleep(1);
        } catch (const asyncio::CancelledError&) {
          trace += "cancelled;";
          throw;
        }
      });
    } catch (const asyncio::ExceptionGroup& eg) {
      trace += std::to_string(eg.exceptions().size());
    }
    co_return trace;
  };
  CHECK(f.loop->run_until_complete(body()) == "done;after create;cancelled;1");
}

TEST_CASE("TaskGroup repr follows CPython", "[taskgroups]") {
  LoopFixture f;
  auto body = []() -> Coro<> {
    TaskGroup tg;
    CHECK(tg.repr() == "<TaskGroup>");
    try {
      co_await tg.async_with([&](TaskGroup& g) -> Coro<> {
        g.create_task(value_after(0.05, 1));
        g.create_task(value_after(0.05, 1));
        CHECK(g.repr() == "<TaskGroup tasks=2 entered>");
        g.create_task(crash_after(0));
        try {
          co_await asyncio::sleep(1);
        } catch (const asyncio::CancelledError&) {
          CHECK(g.repr() == "<TaskGroup tasks=2 errors=1 cancelling>");
          throw;
        }
      });
    } catch (const asyncio::ExceptionGroup&) {
    }
  };
  f.loop->run_until_complete(body());
}

TEST_CASE("an external cancel arriving after a child failure is kept", "[taskgroups]") {
  // The group's own cancel of the parent is withdrawn, another one stays:
  // cancelling() counts it and it is delivered at the next await.
  LoopFixture f;
  int count = -1;
  bool delivered = false;
  auto runner = [&]() -> Coro<> {
    auto self = *asyncio::current_task();
    try {
      co_await asyncio::task_group([&](TaskGroup& g) -> Coro<> {
        g.create_task(crash_after(0.01));
        try {
          co_await asyncio::sleep(10);
        } catch (const asyncio::CancelledError&) {
          self.cancel();  // someone else cancels us too
          throw;
        }
      });
    } catch (const asyncio::ExceptionGroup&) {
    }
    count = static_cast<int>(self.cancelling());
    try {
      co_await asyncio::sleep(0);
    } catch (const asyncio::CancelledError&) {
      delivered = true;
      throw;
    }
  };
  auto r = f.loop->create_task(runner());
  CHECK_THROWS_AS(f.loop->run_until_complete(r), asyncio::CancelledError);
  CHECK(count == 1);
  CHECK(delivered);
}

TEST_CASE("closing the loop while a group waits is safe", "[taskgroups]") {
  LoopFixture f;
  f.expect_report("Task was destroyed but it is pending!", 3);
  auto runner = []() -> Coro<> {
    co_await asyncio::task_group([](TaskGroup& g) -> Coro<> {
      g.create_task(value_after(10, 1));
      g.create_task(value_after(10, 2));
      co_return;
    });
  };
  auto r = f.loop->create_task(runner());
  f.run_briefly();
  f.run_briefly();
  f.loop->close();
  CHECK(f.errors.size() == 3);  // three pending tasks destroyed
}
