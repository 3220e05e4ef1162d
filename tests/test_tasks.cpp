// Tasks: scheduling, results, names, cancellation, introspection, sleep,
// factories, diagnostics. Python: test_tasks.py.
#include <chrono>
#include <memory>

#include "support.hpp"
#include "asyncio/detail/loop_internals.hpp"

using namespace std::chrono_literals;
using asyncio::Coro;
using asyncio::Task;
using test::LoopFixture;
using test::value_after;

namespace {


Coro<> record_steps(std::vector<std::string>& out, std::string name, int steps) {
  for (int i = 0; i < steps; ++i) {
    out.push_back(name + std::to_string(i));
    co_await asyncio::sleep(0);
  }
}

Coro<> sleep_forever(std::vector<std::string>& out) {
  try {
    co_await asyncio::sleep(3600);
  } catch (const asyncio::CancelledError& e) {
    out.push_back(std::string("cancelled:") + e.what());
    throw;
  }
}

Coro<int> noop_int() { co_return 1; }

Coro<> fail_with(std::string what) {
  throw asyncio::RuntimeError(what);
  co_return;
}

}  // namespace

TEST_CASE("create_task starts the coroutine on the next iteration, in FIFO order", "[tasks]") {
  LoopFixture f;
  f.loop->call_soon(f.record("a"));
  auto task = f.loop->create_task(record_steps(f.events, "t", 1));
  f.loop->call_soon(f.record("b"));
  CHECK(f.events.empty());
  f.loop->run_until_complete(task);
  CHECK(f.events == std::vector<std::string>{"a", "t0", "b"});
}

TEST_CASE("tasks start in creation order", "[tasks]") {
  LoopFixture f;
  auto t1 = f.loop->create_task(record_steps(f.events, "x", 1));
  auto t2 = f.loop->create_task(record_steps(f.events, "y", 1));
  auto t3 = f.loop->create_task(record_steps(f.events, "z", 1));
  f.loop->run_until_complete(t3);
  CHECK(f.events == std::vector<std::string>{"x0", "y0", "z0"});
}

TEST_CASE("sleep(0) yields for exactly one iteration", "[tasks]") {
  LoopFixture f;
  auto a = f.loop->create_task(record_steps(f.events, "A", 3));
  auto b = f.loop->create_task(record_steps(f.events, "B", 3));
  f.loop->run_until_complete(b);
  f.loop->run_until_complete(a);
  CHECK(f.events == std::vector<std::string>{"A0", "B0", "A1", "B1", "A2", "B2"});
}

TEST_CASE("a task's result is its coroutine's return value", "[tasks]") {
  LoopFixture f;
  Task<int> task = f.loop->create_task(value_after(0.001, 7));
  CHECK_FALSE(task.done());
  CHECK(f.loop->run_until_complete(task) == 7);
  CHECK(task.done());
  CHECK(task.result() == 7);
}

TEST_CASE("awaiting a task from another task returns its result", "[tasks]") {
  LoopFixture f;
  auto outer = []() -> Coro<int> {
    Task<int> inner = asyncio::create_task(value_after(0.001, 20));
    int v = co_await inner;
    co_return v + co_await inner;  // a done task can be awaited again
  };
  CHECK(f.loop->run_until_complete(outer()) == 40);
}

TEST_CASE("a task's exception reaches its awaiters", "[tasks]") {
  LoopFixture f;
  auto outer = []() -> Coro<std::string> {
    auto t = asyncio::create_task(fail_with("inner failed"));
    try {
      co_await t;
    } catch (const asyncio::RuntimeError& e) {
      co_return e.what();
    }
    co_return "";
  };
  CHECK(f.loop->run_until_complete(outer()) == "inner failed");
}

TEST_CASE("tasks get Task-N names unless named", "[tasks]") {
  LoopFixture f;
  auto a = f.loop->create_task(noop_int());
  auto b = f.loop->create_task(noop_int(), {.name = "worker"});
  auto c = f.loop->create_task(noop_int());
  const std::string an = a.get_name(), cn = c.get_name();
  REQUIRE(an.rfind("Task-", 0) == 0);
  REQUIRE(cn.rfind("Task-", 0) == 0);
  CHECK(std::stoul(cn.substr(5)) == std::stoul(an.substr(5)) + 1);  // named tasks take no number
  CHECK(b.get_name() == "worker");
  b.set_name("renamed");
  CHECK(b.get_name() == "renamed");
  f.loop->run_until_complete(c);
  f.loop->run_until_complete(b);
  f.loop->run_until_complete(a);
}

TEST_CASE("a task cancelled before it starts never runs its coroutine", "[tasks]") {
  LoopFixture f;
  bool ran = false;
  auto body = [](bool& flag) -> Coro<> {
    flag = true;
    co_return;
  };
  auto task = f.loop->create_task(body(ran));
  CHECK(task.cancel("early"));
  CHECK_FALSE(task.done());  // cancellation is delivered by the next step
  try {
    f.loop->run_until_complete(task);
    FAIL("no CancelledError");
  } catch (const asyncio::CancelledError& e) {
    CHECK(std::string(e.what()) == "early");
  }
  CHECK(task.cancelled());
  CHECK_FALSE(ran);
}

TEST_CASE("cancelling a sleeping task raises CancelledError at its await", "[tasks]") {
  LoopFixture f;
  auto task = f.loop->create_task(sleep_forever(f.events));
  f.run_briefly();
  CHECK(task.cancel("because"));
  CHECK_THROWS_AS(f.loop->run_until_complete(task), asyncio::CancelledError);
  CHECK(task.cancelled());
  CHECK(f.events == std::vector<std::string>{"cancelled:because"});
  CHECK(asyncio::detail::internals(*f.loop).scheduled_timer_count() == 0);  // the sleep's timer went with it
}

TEST_CASE("the cancel message reaches the task's awaiters", "[tasks]") {
  LoopFixture f;
  auto outer = [](std::vector<std::string>& out) -> Coro<std::string> {
    auto t = asyncio::create_task(sleep_forever(out));
    co_await asyncio::sleep(0);
    t.cancel("the message");
    try {
      co_await t;
    } catch (const asyncio::CancelledError& e) {
      co_return e.what();
    }
    co_return "";
  };
  CHECK(f.loop->run_until_complete(outer(f.events)) == "the message");
}

TEST_CASE("a task that swallows its cancellation finishes normally", "[tasks]") {
  LoopFixture f;
  auto stubborn = []() -> Coro<int> {
    try {
      co_await asyncio::sleep(3600);
    } catch (const asyncio::CancelledError&) {
      co_return 5;
    }
    co_return 0;
  };
  auto task = f.loop->create_task(stubborn());
  f.run_briefly();
  task.cancel();
  CHECK(f.loop->run_until_complete(task) == 5);
  CHECK_FALSE(task.cancelled());
  CHECK(task.cancelling() == 1);
  CHECK(task.uncancel() == 0);
}

TEST_CASE("cancel returns false for a done task", "[tasks]") {
  LoopFixture f;
  auto task = f.loop->create_task(noop_int());
  f.loop->run_until_complete(task);
  CHECK_FALSE(task.cancel());
  CHECK(task.cancelling() == 0);
}

TEST_CASE("cancelling counts requests and uncancel withdraws them", "[tasks]") {
  LoopFixture f;
  auto task = f.loop->create_task(sleep_forever(f.events));
  f.run_briefly();
  CHECK(task.cancelling() == 0);
  task.cancel();
  task.cancel();
  CHECK(task.cancelling() == 2);
  CHECK(task.uncancel() == 1);
  CHECK(task.uncancel() == 0);
  CHECK(task.uncancel() == 0);
  CHECK_THROWS_AS(f.loop->run_until_complete(task), asyncio::CancelledError);
}

TEST_CASE("uncancel to zero withdraws a pending cancellation (Python 3.13)", "[tasks]") {
  LoopFixture f;
  auto self_cancel = []() -> Coro<std::string> {
    auto me = *asyncio::current_task();
    me.cancel();  // nothing to cancel yet: pending until the next await
    me.uncancel();
    co_await asyncio::sleep(0);
    co_return "not cancelled";
  };
  CHECK(f.loop->run_until_complete(self_cancel()) == "not cancelled");
}

TEST_CASE("a task cancelled in its final step ends cancelled", "[tasks]") {
  LoopFixture f;
  auto self_cancel = []() -> Coro<int> {
    asyncio::current_task()->cancel();
    co_return 1;  // returns, but cancel() was called: CPython marks it cancelled
  };
  auto task = f.loop->create_task(self_cancel());
  CHECK_THROWS_AS(f.loop->run_until_complete(task), asyncio::CancelledError);
  CHECK(task.cancelled());
}

TEST_CASE("a task cancelling itself is cancelled at its next await", "[tasks]") {
  LoopFixture f;
  auto self_cancel = [](std::vector<std::string>& out) -> Coro<> {
    asyncio::current_task()->cancel("self");
    out.push_back("still running");
    try {
      co_await asyncio::sleep(10);
    } catch (const asyncio::CancelledError& e) {
      out.push_back(std::string("cancelled ") + e.what());
      throw;
    }
  };
  CHECK_THROWS_AS(f.loop->run_until_complete(self_cancel(f.events)), asyncio::CancelledError);
  CHECK(f.events == std::vector<std::string>{"still running", "cancelled self"});
  CHECK(asyncio::detail::internals(*f.loop).scheduled_timer_count() == 0);
}

TEST_CASE("a cancel arriving after the awaited future finished replaces its result", "[tasks]") {
  // CPython: the wake-up is scheduled, the future cannot be cancelled any
  // more, so the task is marked and CancelledError is thrown instead.
  LoopFixture f;
  asyncio::Future<int> fut(*f.loop);
  auto waiter = [](asyncio::Future<int> target) -> Coro<int> { co_return co_await target; };
  auto task = f.loop->create_task(waiter(fut));
  f.run_briefly();
  fut.set_result(3);
  CHECK(task.cancel());
  CHECK_THROWS_AS(f.loop->run_until_complete(task), asyncio::CancelledError);
  CHECK(task.cancelled());
}

TEST_CASE("cancelling a task waiting on a future cancels the future", "[tasks]") {
  LoopFixture f;
  asyncio::Future<int> fut(*f.loop);
  auto waiter = [](asyncio::Future<int> target) -> Coro<int> { co_return co_await target; };
  auto task = f.loop->create_task(waiter(fut));
  f.run_briefly();
  task.cancel("stop");
  CHECK(fut.cancelled());
  CHECK_THROWS_AS(f.loop->run_until_complete(task), asyncio::CancelledError);
}

TEST_CASE("cancellation propagates down a chain of awaited tasks", "[tasks]") {
  LoopFixture f;
  auto middle = [](std::vector<std::string>& out) -> Coro<> {
    auto inner = asyncio::create_task(sleep_forever(out));
    co_await inner;
  };
  auto task = f.loop->create_task(middle(f.events));
  f.run_briefly();
  f.run_briefly();
  task.cancel("down");
  CHECK_THROWS_AS(f.loop->run_until_complete(task), asyncio::CancelledError);
  CHECK(f.events == std::vector<std::string>{"cancelled:down"});
}

TEST_CASE("an awaited task that swallows cancellation lets its awaiter continue", "[tasks]") {
  LoopFixture f;
  auto stubborn = []() -> Coro<int> {
    try {
      co_await asyncio::sleep(3600);
    } catch (const asyncio::CancelledError&) {
    }
    co_return 11;
  };
  auto outer = [](Coro<int> inner_coro) -> Coro<int> {
    auto inner = asyncio::create_task(std::move(inner_coro));
    co_return co_await inner;
  };
  auto task = f.loop->create_task(outer(stubborn()));
  f.run_briefly();
  f.run_briefly();
  task.cancel();
  CHECK(f.loop->run_until_complete(task) == 11);
  CHECK(task.cancelling() == 1);
}

TEST_CASE("current_task is the running task, or empty in plain callbacks", "[tasks]") {
  LoopFixture f;
  auto body = []() -> Coro<std::string> {
    auto me = asyncio::current_task();
    REQUIRE(me.has_value());
    co_return me->get_name();
  };
  auto task = f.loop->create_task(body(), {.name = "me"});
  CHECK(f.loop->run_until_complete(task) == "me");
  bool empty_in_callback = false;
  f.loop->call_soon([&] {
    empty_in_callback = !asyncio::current_task().has_value();
    f.loop->stop();
  });
  f.loop->run_forever();
  CHECK(empty_in_callback);
  CHECK_THROWS_WITH(asyncio::current_task(), "no running event loop");
  CHECK_FALSE(asyncio::current_task(*f.loop).has_value());
}

TEST_CASE("all_tasks lists the tasks that are not done", "[tasks]") {
  LoopFixture f;
  auto t1 = f.loop->create_task(value_after(0.001, 1), {.name = "one"});
  auto t2 = f.loop->create_task(value_after(0.05, 2), {.name = "two"});
  auto names = [&] {
    std::vector<std::string> out;
    for (auto& t : asyncio::all_tasks(*f.loop)) out.push_back(t.get_name());
    return out;
  };
  CHECK(names() == std::vector<std::string>{"one", "two"});
  f.loop->run_until_complete(t1);
  CHECK(names() == std::vector<std::string>{"two"});
  f.loop->run_until_complete(t2);
  CHECK(names().empty());
}

TEST_CASE("a task runs to completion even when its handle is dropped", "[tasks]") {
  LoopFixture f;
  auto body = [](std::vector<std::string>& out) -> Coro<> {
    co_await asyncio::sleep(0.01);
    out.push_back("finished");
  };
  { (void)f.loop->create_task(body(f.events)); }
  auto wait = []() -> Coro<> { co_await asyncio::sleep(0.03); };
  f.loop->run_until_complete(wait());
  CHECK(f.events == std::vector<std::string>{"finished"});
}

TEST_CASE("a failed task nobody awaited reports its exception", "[tasks]") {
  LoopFixture f;
  f.expect_report("Task exception was never retrieved");
  { (void)f.loop->create_task(fail_with("unobserved"), {.name = "lost"}); }
  auto wait = []() -> Coro<> { co_await asyncio::sleep(0.001); };
  f.loop->run_until_complete(wait());
  REQUIRE(f.errors.size() == 1);
  CHECK(f.errors[0].message == "Task exception was never retrieved");
  CHECK(test::message_of(f.errors[0].exception) == "unobserved");
  REQUIRE(f.errors[0].future.has_value());
  CHECK(f.errors[0].future->repr().rfind("<Task finished name='lost' coro=<fail_with() done> exception=RuntimeError('unobserved')>", 0) == 0);
}

TEST_CASE("an awaited task's exception is not reported", "[tasks]") {
  LoopFixture f;
  auto outer = []() -> Coro<> {
    try {
      co_await asyncio::create_task(fail_with("seen"));
    } catch (const asyncio::RuntimeError&) {
    }
  };
  f.loop->run_until_complete(outer());
  CHECK(f.errors.empty());
}

TEST_CASE("sleep waits at least its delay and can return a result", "[tasks]") {
  LoopFixture f;
  auto body = [](asyncio::EventLoop& loop) -> Coro<double> {
    const double start = loop.time();
    std::string r = co_await asyncio::sleep(20ms, std::string("done"));
    CHECK(r == "done");
    co_return loop.time() - start;
  };
  CHECK(f.loop->run_until_complete(body(*f.loop)) >= 0.02 - 1e-9);
}

TEST_CASE("sleep with a NaN delay raises ValueError", "[tasks]") {
  LoopFixture f;
  auto body = []() -> Coro<> { co_await asyncio::sleep(std::nan("")); };
  CHECK_THROWS_WITH(f.loop->run_until_complete(body()), "Invalid delay: NaN (not a number)");
}

TEST_CASE("a sleeping task resumes the iteration after its timer fires", "[tasks]") {
  // CPython: sleep's timer resolves a future, whose wake-up is queued;
  // a callback due at the same time runs first.
  LoopFixture f;
  auto body = [](asyncio::EventLoop& loop, std::vector<std::string>& out) -> Coro<> {
    auto sleeper = [](std::vector<std::string>& o) -> Coro<> {
      co_await asyncio::sleep(0.05);
      o.push_back("task");
    };
    auto t = asyncio::create_task(sleeper(out));
    co_await asyncio::sleep(0);
    // 200 ms after the sleeper's timer (the only one), measured from its
    // deadline: a slow or loaded machine (qemu, sanitizers) that wakes late
    // must not find both due.
    loop.call_at(*asyncio::detail::internals(loop).next_deadline() + 0.2, [&out] { out.push_back("cb"); });
    co_await t;
    co_await asyncio::sleep(0.3);  // deadline after cb's: cb runs first
  };
  f.loop->run_until_complete(body(*f.loop, f.events));
  CHECK(f.events == std::vector<std::string>{"task", "cb"});
  f.events.clear();
  // Same deadline: the timer callback runs before the task's wake-up.
  auto same = [](asyncio::EventLoop& loop, std::vector<std::string>& out) -> Coro<> {
    auto sleeper = [](std::vector<std::string>& o) -> Coro<> {
      co_await asyncio::sleep(0.05);
      o.push_back("task");
    };
    auto t = asyncio::create_task(sleeper(out));
    co_await asyncio::sleep(0);
    loop.call_at(*asyncio::detail::internals(loop).next_deadline(), [&out] { out.push_back("cb"); });
    co_await t;
  };
  f.loop->run_until_complete(same(*f.loop, f.events));
  CHECK(f.events == std::vector<std::string>{"cb", "task"});
}

TEST_CASE("a task awaiting itself gets RuntimeError", "[tasks]") {
  LoopFixture f;
  auto body = []() -> Coro<std::string> {
    asyncio::AnyTask me = *asyncio::current_task();
    try {
      co_await me;
    } catch (const asyncio::RuntimeError& e) {
      co_return e.what();
    }
    co_return "";
  };
  std::string message = f.loop->run_until_complete(body());
  CHECK(message.rfind("Task cannot await on itself: <Task pending name=", 0) == 0);
}

TEST_CASE("set_result on a task raises RuntimeError", "[tasks]") {
  LoopFixture f;
  auto task = f.loop->create_task(noop_int());
  asyncio::Future<int>& as_future = task;
  CHECK_THROWS_WITH(as_future.set_result(2), "Task does not support set_result operation");
  asyncio::AnyFuture any = task;
  CHECK_THROWS_WITH(any.set_exception(std::runtime_error("x")), "Task does not support set_exception operation");
  f.loop->run_until_complete(task);
}

TEST_CASE("KeyboardInterrupt in a task stops the loop and is stored on the task", "[tasks]") {
  LoopFixture f;
  auto body = []() -> Coro<> {
    co_await asyncio::sleep(0);
    throw asyncio::KeyboardInterrupt();
  };
  auto task = f.loop->create_task(body());
  CHECK_THROWS_AS(f.loop->run_until_complete(task), asyncio::KeyboardInterrupt);
  CHECK(task.done());
  CHECK_THROWS_AS(task.result(), asyncio::KeyboardInterrupt);
}

TEST_CASE("closing a loop destroys pending tasks and reports them", "[tasks]") {
  LoopFixture f;
  f.expect_report("Task was destroyed but it is pending!");
  const auto& loop = f.loop;
  const auto& errors = f.errors;
  auto guard = std::make_shared<int>(0);
  auto body = [](std::shared_ptr<int> g) -> Coro<> {
    co_await asyncio::sleep(3600);
    (void)g;
  };
  auto task = loop->create_task(body(guard), {.name = "stuck"});
  loop->run_until_complete(noop_int());
  CHECK(guard.use_count() == 2);
  loop->close();
  CHECK(guard.use_count() == 1);  // the coroutine frame is gone
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].message == "Task was destroyed but it is pending!");
  REQUIRE(errors[0].task.has_value());
  CHECK(errors[0].task->get_name() == "stuck");
  CHECK_FALSE(task.done());
}

TEST_CASE("task repr follows CPython", "[tasks]") {
  LoopFixture f;
  auto task = f.loop->create_task(noop_int(), {.name = "r"});
  CHECK(task.repr() == "<Task pending name='r' coro=<noop_int() running>>");
  f.loop->run_until_complete(task);
  CHECK(task.repr() == "<Task finished name='r' coro=<noop_int() done> result=1>");
  auto c = f.loop->create_task(sleep_forever(f.events), {.name = "c"});
  f.run_briefly();
  c.cancel();
  CHECK(c.repr() == "<Task cancelling name='c' coro=<sleep_forever() running>>");
  CHECK_THROWS(f.loop->run_until_complete(c));
  CHECK(c.repr() == "<Task cancelled name='c' coro=<sleep_forever() done>>");
}

TEST_CASE("create_task rejects empty and reused coroutines and closed loops", "[tasks]") {
  LoopFixture f;
  CHECK_THROWS_AS(f.loop->create_task(Coro<int>()), asyncio::TypeError);
  auto reuse = []() -> Coro<bool> {
    Coro<int> c = noop_int();
    co_await c;
    try {
      (void)asyncio::create_task(std::move(c));
    } catch (const asyncio::RuntimeError&) {
      co_return true;
    }
    co_return false;
  };
  CHECK(f.loop->run_until_complete(reuse()));
  f.loop->close();
  test::LogCapture log;  // the refused coroutine is reported as never awaited
  CHECK_THROWS_WITH(f.loop->create_task(noop_int()), "Event loop is closed");
  CHECK(log.contains("was never awaited"));
}

TEST_CASE("create_task needs a running loop", "[tasks]") {
  test::LogCapture log;
  CHECK_THROWS_WITH(asyncio::create_task(noop_int()), "no running event loop");
}

TEST_CASE("eager_start runs the coroutine until its first suspension inside create_task", "[tasks]") {
  LoopFixture f;
  auto body = [](std::vector<std::string>& out) -> Coro<int> {
    out.push_back("eager part");
    co_await asyncio::sleep(0);
    out.push_back("rest");
    co_return 3;
  };
  auto outer = [](Coro<int> c, std::vector<std::string>& out) -> Coro<int> {
    auto t = asyncio::create_task(std::move(c), {.eager_start = true});
    out.push_back("after create_task");
    co_return co_await t;
  };
  CHECK(f.loop->run_until_complete(outer(body(f.events), f.events)) == 3);
  CHECK(f.events == std::vector<std::string>{"eager part", "after create_task", "rest"});
}

TEST_CASE("an eager task that finishes at once is done when create_task returns", "[tasks]") {
  LoopFixture f;
  auto outer = []() -> Coro<bool> {
    auto t = asyncio::create_task(noop_int(), {.eager_start = true});
    bool done = t.done();
    CHECK(t.result() == 1);
    co_return done;
  };
  CHECK(f.loop->run_until_complete(outer()));
}

TEST_CASE("the task factory creates every task", "[tasks]") {
  LoopFixture f;
  int made = 0;
  f.loop->set_task_factory([&](asyncio::EventLoop& loop, asyncio::AnyCoro coro, const asyncio::TaskOptions& o) {
    ++made;
    asyncio::TaskOptions named = o;
    named.name = std::string("factory-") + coro.name();
    return asyncio::make_task(loop, std::move(coro), named);
  });
  CHECK(static_cast<bool>(f.loop->get_task_factory()));
  auto task = f.loop->create_task(noop_int());
  CHECK(task.get_name() == "factory-noop_int");
  CHECK(f.loop->run_until_complete(task) == 1);
  CHECK(made == 1);  // run_until_complete made no second task: it got a task
  f.loop->set_task_factory(nullptr);
  CHECK_FALSE(f.loop->get_task_factory());
}

TEST_CASE("a task factory must return the task for its coroutine", "[tasks]") {
  LoopFixture f;
  f.loop->set_task_factory([](asyncio::EventLoop& loop, asyncio::AnyCoro coro, const asyncio::TaskOptions& o) {
    (void)coro;  // dropped: a different task is returned
    return asyncio::make_task(loop, asyncio::AnyCoro(noop_int()), o);
  });
  test::LogCapture log;
  CHECK_THROWS_AS(f.loop->create_task(noop_int()), asyncio::TypeError);
  f.loop->set_task_factory(nullptr);
  f.run_briefly();
}

TEST_CASE("ensure_future wraps coroutines and passes futures through", "[tasks]") {
  LoopFixture f;
  asyncio::Future<int> fut(*f.loop);
  CHECK(asyncio::ensure_future(fut) == fut);
  auto t = asyncio::ensure_future(noop_int(), f.loop.get());
  CHECK(t.is_task());
  CHECK(f.loop->run_until_complete(t) == 1);
}

TEST_CASE("get_coro shows the task's coroutine", "[tasks]") {
  LoopFixture f;
  Coro<int> c = noop_int();
  void* address = c.handle().address();
  auto task = f.loop->create_task(std::move(c));
  CHECK(task.get_coro().address == address);
  CHECK(std::string(task.get_coro().name) == "noop_int");
  f.loop->run_until_complete(task);
  CHECK(task.get_coro().address == nullptr);
  CHECK(std::string(task.get_coro().name) == "noop_int");
}

TEST_CASE("done callbacks of a task run after it finishes", "[tasks]") {
  LoopFixture f;
  auto task = f.loop->create_task(value_after(0.001, 4));
  int seen = 0;
  task.add_done_callback([&](asyncio::Future<int> t) { seen = t.result(); });
  f.loop->run_until_complete(task);
  f.run_briefly();
  CHECK(seen == 4);
}

TEST_CASE("awaiting a task as an rvalue moves a move-only result out", "[tasks]") {
  LoopFixture f;
  auto make = []() -> Coro<std::unique_ptr<int>> { co_return std::make_unique<int>(8); };
  auto outer = [](Coro<std::unique_ptr<int>> c) -> Coro<int> {
    std::unique_ptr<int> p = co_await asyncio::create_task(std::move(c));
    co_return *p;
  };
  CHECK(f.loop->run_until_complete(outer(make())) == 8);
}

TEST_CASE("a cancelled task cancels every awaiter", "[tasks]") {
  LoopFixture f;
  auto target = f.loop->create_task(sleep_forever(f.events));
  auto awaiter = [](asyncio::Task<void> t) -> Coro<bool> {
    try {
      co_await t;
    } catch (const asyncio::CancelledError&) {
      co_return true;
    }
    co_return false;
  };
  auto a = f.loop->create_task(awaiter(target));
  auto b = f.loop->create_task(awaiter(target));
  f.run_briefly();
  target.cancel();
  CHECK(f.loop->run_until_complete(a));
  CHECK(f.loop->run_until_complete(b));
}

TEST_CASE("awaiting a future cancelled with a message raises that message", "[tasks]") {
  LoopFixture f;
  auto body = [](asyncio::EventLoop& loop) -> Coro<std::string> {
    asyncio::Future<int> fut(loop);
    loop.call_soon([fut]() mutable { fut.cancel("why"); });
    try {
      co_await fut;
    } catch (const asyncio::CancelledError& e) {
      co_return e.what();
    }
    co_return "";
  };
  CHECK(f.loop->run_until_complete(body(*f.loop)) == "why");
}

TEST_CASE("cancelling a task cancels its awaited future with the same message", "[tasks]") {
  // CPython: both the future and the task raise CancelledError('m').
  LoopFixture f;
  asyncio::Future<int> fut(*f.loop);
  auto waiter = [](asyncio::Future<int> target) -> Coro<> { co_await target; };
  auto task = f.loop->create_task(waiter(fut));
  f.run_briefly();
  task.cancel("m");
  f.run_briefly();
  try {
    (void)fut.result();
    FAIL("future not cancelled");
  } catch (const asyncio::CancelledError& e) {
    CHECK(std::string(e.what()) == "m");
  }
  try {
    f.loop->run_until_complete(task);
    FAIL("task not cancelled");
  } catch (const asyncio::CancelledError& e) {
    CHECK(std::string(e.what()) == "m");
  }
  CHECK(task.cancelling() == 1);
}

TEST_CASE("an exception in a task's first step is its result", "[tasks]") {
  LoopFixture f;
  auto task = f.loop->create_task(fail_with("at once"));
  CHECK_THROWS_WITH(f.loop->run_until_complete(task), "at once");
  CHECK(task.done());
  CHECK_FALSE(task.cancelled());
}

TEST_CASE("set_name on a running task shows in its repr", "[tasks]") {
  LoopFixture f;
  auto body = []() -> Coro<std::string> {
    auto me = *asyncio::current_task();
    me.set_name("42");
    co_return me.repr();
  };
  CHECK(f.loop->run_until_complete(body()).rfind("<Task pending name='42' ", 0) == 0);
}
