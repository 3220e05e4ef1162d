// timeout(), timeout_at(), Timeout. Python: test_timeouts.py.
#include <chrono>
#include <cmath>
#include <string>

#include "support.hpp"
#include "asyncio/detail/loop_internals.hpp"

using namespace std::chrono_literals;
using asyncio::Coro;
using asyncio::Timeout;
using test::LoopFixture;

namespace {

Coro<int> value_after(double delay, int v) {
  co_await asyncio::sleep(delay);
  co_return v;
}

Coro<> sleep_for(double delay) { co_await asyncio::sleep(delay); }

}  // namespace

TEST_CASE("timeout raises TimeoutError when the block runs past its delay", "[timeouts]") {
  // Python: test_timeout_basic
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<> {
    Timeout cm = asyncio::timeout(0.01);
    CHECK_THROWS_AS(co_await cm.async_with(sleep_for(10)), asyncio::TimeoutError);
    CHECK(cm.expired());
  };
  f.loop->run_until_complete(body());
}

TEST_CASE("timeout returns the block's result when it finishes in time", "[timeouts]") {
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<int> {
    int a = co_await asyncio::timeout(10s, value_after(0, 4));
    int b = co_await asyncio::timeout(10.0, [](Timeout& cm) -> Coro<int> {
      CHECK_FALSE(cm.expired());
      co_return 5;
    });
    int c = co_await asyncio::timeout(std::nullopt, []() -> Coro<int> { co_return 6; });
    co_return a + b + c;
  };
  CHECK(f.loop->run_until_complete(body()) == 15);
}

TEST_CASE("timeout_at uses an absolute deadline", "[timeouts]") {
  // Python: test_timeout_at_basic
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<> {
    double deadline = asyncio::get_running_loop().time() + 0.01;
    Timeout cm = asyncio::timeout_at(deadline);
    CHECK_THROWS_AS(co_await cm.async_with(sleep_for(10)), asyncio::TimeoutError);
    CHECK(cm.expired());
    CHECK(cm.when() == deadline);
    CHECK_THROWS_AS(co_await asyncio::timeout_at(deadline, sleep_for(10)), asyncio::TimeoutError);
  };
  f.loop->run_until_complete(body());
}

TEST_CASE("only the outermost of nested timeouts with one deadline raises TimeoutError", "[timeouts]") {
  // Python: test_nested_timeouts
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<> {
    double deadline = asyncio::get_running_loop().time() + 0.01;
    Timeout cm1 = asyncio::timeout_at(deadline);
    Timeout cm2 = asyncio::timeout_at(deadline);
    bool cancelled = false;
    CHECK_THROWS_AS(co_await cm1.async_with([&]() -> Coro<> {
      try {
        co_await cm2.async_with(sleep_for(10));
      } catch (const asyncio::CancelledError&) {
        cancelled = true;
        throw;
      }
    }),
                    asyncio::TimeoutError);
    CHECK(cancelled);
    CHECK(cm1.expired());
    CHECK(cm2.expired());
  };
  f.loop->run_until_complete(body());
}

TEST_CASE("the block sees CancelledError when the timeout fires", "[timeouts]") {
  // Python: test_waiter_cancelled
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<bool> {
    bool cancelled = false;
    try {
      co_await asyncio::timeout(0.01, [&]() -> Coro<> {
        try {
          co_await asyncio::sleep(10);
        } catch (const asyncio::CancelledError&) {
          cancelled = true;
          throw;
        }
      });
    } catch (const asyncio::TimeoutError&) {
      co_return cancelled;
    }
    co_return false;
  };
  CHECK(f.loop->run_until_complete(body()));
}

TEST_CASE("a timeout that does not fire leaves no trace", "[timeouts]") {
  // Python: test_timeout_not_called, test_timeout_disabled, test_timeout_at_disabled
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<> {
    auto& loop = asyncio::get_running_loop();
    Timeout cm = asyncio::timeout(10);
    co_await cm.async_with(sleep_for(0.01));
    CHECK_FALSE(cm.expired());
    CHECK(*cm.when() > loop.time());
    Timeout none = asyncio::timeout(std::nullopt);
    co_await none.async_with(sleep_for(0.01));
    CHECK_FALSE(none.expired());
    CHECK_FALSE(none.when().has_value());
    Timeout none_at = asyncio::timeout_at(std::nullopt);
    co_await none_at.async_with(sleep_for(0.01));
    CHECK_FALSE(none_at.expired());
    CHECK(asyncio::detail::internals(loop).scheduled_timer_count() == 0);
  };
  f.loop->run_until_complete(body());
}

TEST_CASE("a zero or past timeout fires on the next iteration", "[timeouts]") {
  // Python: test_timeout_zero, test_timeout_zero_sleep_zero,
  // test_timeout_in_the_past_sleep_zero
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<> {
    auto& loop = asyncio::get_running_loop();
    double t0 = loop.time();
    Timeout a = asyncio::timeout(0);
    CHECK_THROWS_AS(co_await a.async_with(sleep_for(10)), asyncio::TimeoutError);
    CHECK(a.expired());
    CHECK(*a.when() >= t0);
    CHECK(*a.when() <= loop.time());
    Timeout b = asyncio::timeout(0);
    CHECK_THROWS_AS(co_await b.async_with(sleep_for(0)), asyncio::TimeoutError);
    CHECK(b.expired());
    Timeout c = asyncio::timeout(-11);
    CHECK_THROWS_AS(co_await c.async_with(sleep_for(0)), asyncio::TimeoutError);
    CHECK(c.expired());
    CHECK(*c.when() < t0);
  };
  f.loop->run_until_complete(body());
}

TEST_CASE("an exception from the block passes through the timeout", "[timeouts]") {
  // Python: test_foreign_exception_passed
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<> {
    Timeout cm = asyncio::timeout(0.01);
    CHECK_THROWS_AS(co_await cm.async_with([]() -> Coro<> {
      throw std::out_of_range("key");
      co_return;
    }),
                    std::out_of_range);
    CHECK_FALSE(cm.expired());
  };
  f.loop->run_until_complete(body());
}

TEST_CASE("an exception raised while handling the timeout's cancellation passes unchanged", "[timeouts]") {
  // Python: test_foreign_exception_on_timeout. Divergence: Python 3.13
  // inserts a TimeoutError into its context chain; C++ has no chain, and
  // expired() tells what happened.
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<> {
    auto crash = []() -> Coro<> {
      try {
        co_await asyncio::sleep(1);
      } catch (const asyncio::CancelledError&) {
      }
      throw std::domain_error("1/0");
    };
    Timeout cm = asyncio::timeout(0.01);
    CHECK_THROWS_AS(co_await cm.async_with(crash()), std::domain_error);
    CHECK(cm.expired());
    CHECK(asyncio::current_task()->cancelling() == 0);
  };
  f.loop->run_until_complete(body());
}

TEST_CASE("a cancellation from elsewhere is not turned into TimeoutError", "[timeouts]") {
  // Python: test_foreign_cancel_doesnt_timeout_if_not_expired
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<> {
    Timeout cm = asyncio::timeout(10);
    CHECK_THROWS_AS(co_await cm.async_with([]() -> Coro<> {
      asyncio::current_task()->cancel();
      co_await asyncio::sleep(10);
    }),
                    asyncio::CancelledError);
    CHECK_FALSE(cm.expired());
    asyncio::current_task()->uncancel();
  };
  f.loop->run_until_complete(body());
}

TEST_CASE("the task running an expired timeout is not cancelled", "[timeouts]") {
  // Python: test_outer_task_is_not_cancelled
  test::VirtualLoopFixture f;
  auto outer = []() -> Coro<> {
    CHECK_THROWS_AS(co_await asyncio::timeout(0.001, sleep_for(10)), asyncio::TimeoutError);
  };
  auto task = f.loop->create_task(outer());
  f.loop->run_until_complete(task);
  CHECK_FALSE(task.cancelled());
  CHECK(task.done());
  CHECK(task.cancelling() == 0);
}

TEST_CASE("an outer timeout firing inside an inner one belongs to the outer one", "[timeouts]") {
  // Python: test_nested_timeouts_concurrent: the inner block sees the
  // outer timeout's CancelledError and lets it through.
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<std::string> {
    std::string inner_saw = "nothing";
    try {
      co_await asyncio::timeout(0.002, [&]() -> Coro<> {
        try {
          co_await asyncio::timeout(0.1, []() -> Coro<> {
            asyncio::testing::running_clock().advance(0.010);  // pretend we crunch numbers for 10 ms
            co_await asyncio::sleep(1);
          });
        } catch (const asyncio::TimeoutError&) {
          inner_saw = "TimeoutError";
        } catch (const asyncio::CancelledError&) {
          inner_saw = "CancelledError";
          throw;
        }
      });
    } catch (const asyncio::TimeoutError&) {
      co_return inner_saw + " then TimeoutError";
    }
    co_return inner_saw;
  };
  CHECK(f.loop->run_until_complete(body()) == "CancelledError then TimeoutError");
}

TEST_CASE("nested timeouts expiring in the same iteration give TimeoutError to the outer one", "[timeouts]") {
  // Python: test_nested_timeouts_loop_busy. Both timeouts fire while the
  // loop is busy: two cancel requests, so the inner one (which finds one
  // left after withdrawing its own) lets CancelledError through.
  test::VirtualLoopFixture f;
  f.loop->slow_callback_duration = 10;
  auto body = []() -> Coro<std::string> {
    auto& loop = asyncio::get_running_loop();
    double t0 = loop.time();
    std::string inner_saw = "nothing";
    try {
      co_await asyncio::timeout(0.05, [&]() -> Coro<> {
        try {
          co_await asyncio::timeout(0.01, []() -> Coro<> {
            asyncio::testing::running_clock().advance(0.060);  // the loop is busy for 60 ms
            co_await asyncio::sleep(1);
          });
        } catch (const asyncio::TimeoutError&) {
          inner_saw = "TimeoutError";
        } catch (const asyncio::CancelledError&) {
          inner_saw = "CancelledError";
          throw;
        }
        co_await asyncio::sleep(10);
      });
    } catch (const asyncio::TimeoutError&) {
      CHECK(loop.time() - t0 < 5);
      co_return inner_saw + " then TimeoutError";
    }
    co_return inner_saw;
  };
  CHECK(f.loop->run_until_complete(body()) == "CancelledError then TimeoutError");
}

TEST_CASE("reschedule moves or disables the deadline", "[timeouts]") {
  // Python: test_reschedule
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<> {
    auto& loop = asyncio::get_running_loop();
    asyncio::Future<Timeout*> fut = loop.create_future<Timeout*>();
    double deadline1 = loop.time() + 10;
    double deadline2 = deadline1 + 20;
    auto inner = [](double d, asyncio::Future<Timeout*> out) -> Coro<> {
      // A named block: GCC 12 destroys a capturing lambda temporary
      // created inside a co_await expression twice (docs/timeouts.md).
      auto block = [out](Timeout& cm) mutable -> Coro<> {
        out.set_result(&cm);
        co_await asyncio::sleep(50);
      };
      co_await asyncio::timeout_at(d, block);
    };
    auto task = asyncio::create_task(inner(deadline1, fut));
    Timeout* cm = co_await fut;
    CHECK(cm->when() == deadline1);
    cm->reschedule(deadline2);
    CHECK(cm->when() == deadline2);
    cm->reschedule(std::nullopt);
    CHECK_FALSE(cm->when().has_value());
    task.cancel();
    CHECK_THROWS_AS(co_await task, asyncio::CancelledError);
  };
  f.loop->run_until_complete(body());
}

TEST_CASE("reschedule to a time already past fires on the next iteration", "[timeouts]") {
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<> {
    Timeout cm = asyncio::timeout(10);
    CHECK_THROWS_AS(co_await cm.async_with([](Timeout& t) -> Coro<> {
      t.reschedule(asyncio::get_running_loop().time() - 1);
      co_await asyncio::sleep(10);
    }),
                    asyncio::TimeoutError);
    CHECK(cm.expired());
  };
  f.loop->run_until_complete(body());
}

TEST_CASE("Timeout repr follows CPython", "[timeouts]") {
  // Python: test_repr_active, test_repr_expired, test_repr_finished, test_repr_disabled
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<> {
    Timeout created = asyncio::timeout(10);
    CHECK(created.repr() == "<Timeout [created]>");
    co_await created.async_with([](Timeout& cm) -> Coro<> {
      const std::string r = cm.repr();
      const std::string prefix = "<Timeout [active] when=";
      REQUIRE(r.rfind(prefix, 0) == 0);
      REQUIRE(r.back() == '>');
      const std::string when = r.substr(prefix.size(), r.size() - prefix.size() - 1);
      CHECK(std::abs(std::stod(when) - *cm.when()) < 0.001);  // rounded to 3 places
      co_return;
    });
    CHECK(created.repr() == "<Timeout [finished]>");
    Timeout expired = asyncio::timeout(0.01);
    CHECK_THROWS_AS(co_await expired.async_with(sleep_for(10)), asyncio::TimeoutError);
    CHECK(expired.repr() == "<Timeout [expired]>");
    co_await asyncio::timeout(std::nullopt, [](Timeout& cm) -> Coro<> {
      CHECK(cm.repr() == "<Timeout [active] when=None>");
      co_return;
    });
  };
  f.loop->run_until_complete(body());
}

TEST_CASE("a timeout nested in cleanup code of an expired one works", "[timeouts]") {
  // Python: test_nested_timeout_in_finally
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<> {
    CHECK_THROWS_AS(co_await asyncio::timeout(0.01, []() -> Coro<> {
      std::exception_ptr pending;
      try {
        co_await asyncio::sleep(1);
      } catch (...) {
        pending = std::current_exception();
      }
      CHECK_THROWS_AS(co_await asyncio::timeout(0.01, sleep_for(10)), asyncio::TimeoutError);
      if (pending) std::rethrow_exception(pending);
    }),
                    asyncio::TimeoutError);
  };
  f.loop->run_until_complete(body());
}

TEST_CASE("a timeout works after a swallowed cancellation", "[timeouts]") {
  // Python: test_timeout_after_cancellation: the task's cancelling() is 1
  // when the timeout is entered, and the timeout accounts for it.
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<> {
    try {
      asyncio::current_task()->cancel();
      co_await asyncio::sleep(1);
    } catch (const asyncio::CancelledError&) {
    }
    CHECK(asyncio::current_task()->cancelling() == 1);
    CHECK_THROWS_AS(co_await asyncio::timeout(0.0, sleep_for(1)), asyncio::TimeoutError);
    CHECK(asyncio::current_task()->cancelling() == 1);
    asyncio::current_task()->uncancel();
  };
  f.loop->run_until_complete(body());
}

TEST_CASE("a cancel inside a timeout after a swallowed cancellation propagates", "[timeouts]") {
  // Python: test_cancel_in_timeout_after_cancellation
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<> {
    try {
      asyncio::current_task()->cancel();
      co_await asyncio::sleep(1);
    } catch (const asyncio::CancelledError&) {
    }
    CHECK_THROWS_AS(co_await asyncio::timeout(1.0, []() -> Coro<> {
      asyncio::current_task()->cancel();
      co_await asyncio::sleep(2);
    }),
                    asyncio::CancelledError);
    CHECK(asyncio::current_task()->cancelling() == 2);
    asyncio::current_task()->uncancel();
    asyncio::current_task()->uncancel();
  };
  f.loop->run_until_complete(body());
}

TEST_CASE("a cancel arriving as the timeout fires propagates as CancelledError", "[timeouts]") {
  // The timeout's cancel and another one both count: the timeout only
  // converts its own, so CancelledError leaves the block.
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<> {
    auto& loop = asyncio::get_running_loop();
    auto task = *asyncio::current_task();
    Timeout cm = asyncio::timeout(0.01);
    CHECK_THROWS_AS(co_await cm.async_with([&]() -> Coro<> {
      // Due at the timeout's deadline: both cancels land before the task runs.
      loop.call_at(*cm.when(), [task]() mutable { task.cancel(); });
      co_await asyncio::sleep(1);
    }),
                    asyncio::CancelledError);
    CHECK(cm.expired());
    CHECK(task.cancelling() == 1);
    task.uncancel();
  };
  f.loop->run_until_complete(body());
}

TEST_CASE("a block that swallows the timeout's cancellation returns normally", "[timeouts]") {
  // Python: test_timeout_expiring: the timeout withdraws its cancel request.
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<int> {
    Timeout cm = asyncio::timeout(0.01);
    int v = co_await cm.async_with([](Timeout& t) -> Coro<int> {
      CHECK_THROWS_AS(co_await asyncio::sleep(1), asyncio::CancelledError);
      CHECK_THROWS_WITH(t.reschedule(0.02), "Cannot change state of expiring Timeout");
      co_return 3;
    });
    CHECK(cm.expired());
    CHECK(asyncio::current_task()->cancelling() == 0);
    co_return v;
  };
  CHECK(f.loop->run_until_complete(body()) == 3);
}

TEST_CASE("a Timeout can be entered only once", "[timeouts]") {
  // Python: test_timeout_already_entered, test_timeout_double_enter
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<> {
    Timeout cm = asyncio::timeout(0.01);
    co_await cm.async_with([&]() -> Coro<> {
      CHECK_THROWS_WITH(co_await cm.async_with(sleep_for(0)), "Timeout has already been entered");
    });
    CHECK_THROWS_WITH(co_await cm.async_with(sleep_for(0)), "Timeout has already been entered");
  };
  f.loop->run_until_complete(body());
}

TEST_CASE("reschedule outside the block raises RuntimeError", "[timeouts]") {
  // Python: test_timeout_finished, test_timeout_expired, test_timeout_not_entered
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<> {
    // Far enough away that a loaded machine (qemu) finishes the block first.
    Timeout finished = asyncio::timeout(5);
    co_await finished.async_with(sleep_for(0));
    CHECK_THROWS_WITH(finished.reschedule(0.02), "Cannot change state of finished Timeout");
    Timeout expired = asyncio::timeout(0.01);
    CHECK_THROWS_AS(co_await expired.async_with(sleep_for(1)), asyncio::TimeoutError);
    CHECK_THROWS_WITH(expired.reschedule(0.02), "Cannot change state of expired Timeout");
    Timeout created = asyncio::timeout(0.01);
    CHECK_THROWS_WITH(created.reschedule(0.02), "Timeout has not been entered");
  };
  f.loop->run_until_complete(body());
}

TEST_CASE("timeout needs a running loop and a task", "[timeouts]") {
  // Python: test_timeout_without_task
  CHECK_THROWS_WITH(asyncio::timeout(0.01), "no running event loop");
  test::VirtualLoopFixture f;
  Timeout cm = asyncio::timeout_at(f.loop->time() + 1);
  f.loop->call_soon([&] {
    CHECK_THROWS_WITH(cm.enter(), "Timeout should be used inside a task");
    f.loop->stop();
  });
  f.loop->run_forever();
  CHECK_THROWS_WITH(cm.reschedule(0.02), "Timeout has not been entered");
}

TEST_CASE("a refused block is not reported as never awaited", "[timeouts]") {
  test::VirtualLoopFixture f;
  test::LogCapture log;
  auto body = []() -> Coro<> {
    Timeout cm = asyncio::timeout(1);
    co_await cm.async_with(sleep_for(0));
    CHECK_THROWS_AS(co_await cm.async_with(sleep_for(0)), asyncio::RuntimeError);
  };
  f.loop->run_until_complete(body());
  CHECK_FALSE(log.contains("never awaited"));
}

TEST_CASE("a timeout around a TaskGroup turns its cancellation into TimeoutError", "[timeouts]") {
  // Python: test_timeout_taskgroup
  test::VirtualLoopFixture f;
  auto body = []() -> Coro<> {
    CHECK_THROWS_AS(co_await asyncio::timeout(0.01, asyncio::task_group([](asyncio::TaskGroup& tg) -> Coro<> {
      tg.create_task(sleep_for(10));
      co_await asyncio::sleep(10);
    })),
                    asyncio::TimeoutError);
    CHECK(asyncio::current_task()->cancelling() == 0);
  };
  f.loop->run_until_complete(body());
}

TEST_CASE("closing the loop while a task waits inside a timeout is safe", "[timeouts]") {
  test::VirtualLoopFixture f;
  f.expect_report("Task was destroyed but it is pending!");
  auto body = []() -> Coro<> { co_await asyncio::timeout(100, sleep_for(100)); };
  auto task = f.loop->create_task(body());
  f.run_briefly();
  CHECK(asyncio::detail::internals(*f.loop).scheduled_timer_count() == 2);
  f.loop->close();  // destroys the pending task's frames
  CHECK(f.errors.size() == 1);  // "Task was destroyed but it is pending!"
}
