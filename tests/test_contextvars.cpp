// Context variables and the context= arguments of asyncio. Python:
// test_context.py (ContextVar, Token, Context), test_tasks.py
// (test_context_1..6, test_get_context), test_events.py (Handle context),
// test_threads.py (to_thread contextvars), test_runners.py
// (test_run_keeps_context), test_eager_task_factory.py (contextvars).
#include <atomic>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support.hpp"

using asyncio::Context;
using asyncio::ContextVar;
using asyncio::Coro;
using test::LoopFixture;

namespace {

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

// ---- ContextVar, Token, Context on their own (test_context.py) ----

TEST_CASE("ContextVar.get returns the default, or raises LookupError naming the variable", "[contextvars]") {
  ContextVar<int> plain("plain");
  ContextVar<int> with_default("with_default", 3);
  CHECK(with_default.get() == 3);
  CHECK(plain.get(5) == 5);
  CHECK(with_default.get(5) == 5);  // the argument wins over the variable's default
  try {
    (void)plain.get();
    FAIL("no LookupError");
  } catch (const asyncio::LookupError& e) {
    CHECK(std::string(e.what()) == plain.repr());
  }
  CHECK(starts_with(plain.repr(), "<ContextVar name='plain' at 0x"));
  CHECK(starts_with(with_default.repr(), "<ContextVar name='with_default' default=3 at 0x"));
  CHECK(plain.name() == "plain");
}

TEST_CASE("ContextVar.set returns a token that reset() uses to restore the old value", "[contextvars]") {
  Context ctx;
  ctx.run([] {
    ContextVar<std::string> var("var");
    auto t1 = var.set("a");
    CHECK_FALSE(t1.old_value().has_value());  // Token.MISSING
    CHECK(&t1.var() == &var);
    auto t2 = var.set("b");
    CHECK(t2.old_value() == std::optional<std::string>("a"));
    CHECK(var.get() == "b");
    var.reset(t2);
    CHECK(var.get() == "a");
    CHECK(t2.used());
    var.reset(t1);
    CHECK_THROWS_AS(var.get(), asyncio::LookupError);
  });
  CHECK(ctx.size() == 0);
}

TEST_CASE("ContextVar.reset rejects used tokens, other variables' and other contexts' tokens", "[contextvars]") {
  // Python: test_context_var_reset_* (messages from CPython's _contextvars)
  Context ctx;
  ctx.run([] {
    ContextVar<int> a("a");
    ContextVar<int> b("b");
    auto t = a.set(1);
    a.reset(t);
    try {
      a.reset(t);
      FAIL("no RuntimeError");
    } catch (const asyncio::RuntimeError& e) {
      std::string msg = e.what();
      CHECK(starts_with(msg, "<Token used var=<ContextVar name='a' at 0x"));
      CHECK(ends_with(msg, "> has already been used once"));
    }
    auto tb = b.set(2);
    try {
      a.reset(tb);
      FAIL("no ValueError");
    } catch (const asyncio::ValueError& e) {
      std::string msg = e.what();
      CHECK(starts_with(msg, "<Token var=<ContextVar name='b' at 0x"));
      CHECK(ends_with(msg, "> was created by a different ContextVar"));
    }
    auto ta = a.set(3);
    Context other;
    try {
      other.run([&] { a.reset(ta); });
      FAIL("no ValueError");
    } catch (const asyncio::ValueError& e) {
      CHECK(ends_with(e.what(), "> was created in a different Context"));
    }
    CHECK(a.get() == 3);  // the failed resets changed nothing
  });
}

TEST_CASE("a copied context keeps its values when the original changes, and the other way round",
          "[contextvars]") {
  ContextVar<int> var("var", 0);
  Context ctx;
  ctx.run([&] { (void)var.set(1); });
  Context copy = ctx.copy();
  CHECK(copy.get(var) == std::optional<int>(1));
  ctx.run([&] { (void)var.set(2); });
  copy.run([&] { (void)var.set(3); });
  CHECK(ctx[var] == 2);
  CHECK(copy[var] == 3);
  CHECK_FALSE(ctx == copy);
  Context same = ctx;  // another reference to the same context
  CHECK(same == ctx);
  CHECK(starts_with(ctx.repr(), "<_contextvars.Context object at 0x"));
}

TEST_CASE("Context reads: contains, get, operator[] with KeyError, size", "[contextvars]") {
  ContextVar<int> a("a");
  ContextVar<int> b("b", 9);
  Context ctx;
  CHECK(ctx.size() == 0);
  CHECK_FALSE(ctx.contains(a));
  CHECK_FALSE(ctx.get(b).has_value());  // a variable's default is not a value in the context
  CHECK(ctx.get(a, 4) == 4);
  CHECK_THROWS_AS(ctx[a], asyncio::KeyError);
  ctx.run([&] { (void)a.set(1); });
  CHECK(ctx.contains(a));
  CHECK(ctx[a] == 1);
  CHECK(ctx.size() == 1);
}

TEST_CASE("Context.run returns the function's result and leaves the context afterwards", "[contextvars]") {
  ContextVar<int> var("var", -1);
  Context ctx;
  int r = ctx.run(
      [&](int x) {
        (void)var.set(x);
        return var.get() * 2;
      },
      21);
  CHECK(r == 42);
  CHECK(var.get() == -1);  // back in the thread's own context
  CHECK(ctx[var] == 21);
  // An exception leaves the context too, and the value set before it stays.
  CHECK_THROWS_AS(ctx.run([&] {
    (void)var.set(7);
    throw std::runtime_error("boom");
  }),
                  std::runtime_error);
  CHECK(var.get() == -1);
  CHECK(ctx[var] == 7);
}

TEST_CASE("Context.run of a context already entered raises RuntimeError", "[contextvars]") {
  // Python: test_context_run_5 / "cannot enter context: ... is already entered"
  Context ctx;
  try {
    ctx.run([&] { ctx.run([] {}); });
    FAIL("no RuntimeError");
  } catch (const asyncio::RuntimeError& e) {
    CHECK(std::string(e.what()) == "cannot enter context: " + ctx.repr() + " is already entered");
  }
  ctx.run([] {});  // left properly after the error
}

TEST_CASE("Context.run nests, each level seeing its own values", "[contextvars]") {
  ContextVar<int> var("var", 0);
  Context outer;
  Context inner;
  outer.run([&] {
    (void)var.set(1);
    inner.run([&] {
      CHECK(var.get() == 0);
      (void)var.set(2);
    });
    CHECK(var.get() == 1);
  });
  CHECK(inner[var] == 2);
}

TEST_CASE("copy_context copies the current context's values", "[contextvars]") {
  ContextVar<int> var("var");
  Context ctx;
  Context copied = ctx.run([&] {
    (void)var.set(5);
    return asyncio::copy_context();
  });
  CHECK(copied[var] == 5);
  CHECK_FALSE(copied == ctx);
}

TEST_CASE("a value set in the thread's own context is seen there and not by another thread", "[contextvars][threads]") {
  ContextVar<int> var("var", 0);
  auto token = var.set(8);
  CHECK(var.get() == 8);
  int seen = -1;
  std::thread other([&] { seen = var.get(); });
  other.join();
  CHECK(seen == 0);
  var.reset(token);
  CHECK(var.get() == 0);
}

// ---- Tasks (test_tasks.py) ----

namespace {

ContextVar<std::string> cvar("cvar", "nope");

Coro<> context_1_sub() {
  co_await asyncio::sleep(0.01);
  CHECK(cvar.get() == "nope");
  (void)cvar.set("something else");
}

Coro<> context_1_main() {
  CHECK(cvar.get() == "nope");
  auto subtask = asyncio::create_task(context_1_sub());
  (void)cvar.set("yes");
  CHECK(cvar.get() == "yes");
  co_await subtask;
  CHECK(cvar.get() == "yes");
}

}  // namespace

TEST_CASE("a task sees its creator's values at creation, what it sets stays in the task", "[contextvars]") {
  // Python: test_tasks.test_context_1
  LoopFixture f;
  f.loop->run_until_complete(context_1_main());
  CHECK(cvar.get() == "nope");
}

namespace {

Coro<> context_2_main(asyncio::EventLoop& loop) {
  CHECK(cvar.get() == "nope");
  for (int j = 0; j < 2; ++j) {
    auto fut = loop.create_future<void>();
    // This change must not pollute the context of the main task.
    fut.add_done_callback([](const asyncio::AnyFuture&) { (void)cvar.set("something else"); });
    (void)cvar.set("yes" + std::to_string(j));
    loop.call_soon([fut]() mutable { fut.set_result(); });
    co_await fut;
    CHECK(cvar.get() == "yes" + std::to_string(j));
    for (int i = 0; i < 3; ++i) {
      (void)cvar.set("yes" + std::to_string(i) + "-" + std::to_string(j));
      co_await asyncio::sleep(0.001);
      CHECK(cvar.get() == "yes" + std::to_string(i) + "-" + std::to_string(j));
    }
  }
}

}  // namespace

TEST_CASE("callbacks set variables in their own copy, never in the task's context", "[contextvars]") {
  // Python: test_tasks.test_context_2
  LoopFixture f;
  f.loop->run_until_complete(context_2_main(*f.loop));
  CHECK(cvar.get() == "nope");
  CHECK(f.errors.empty());
}

namespace {

ContextVar<int> ivar("ivar", -1);

Coro<> context_3_sub(int num, unsigned seed) {
  std::minstd_rand rng(seed);
  for (int i = 0; i < 10; ++i) {
    (void)ivar.set(num + i);
    co_await asyncio::sleep(static_cast<double>(rng() % 10) / 1000.0);
    CHECK(ivar.get() == num + i);
  }
}

Coro<> context_3_main() {
  std::vector<asyncio::Task<void>> tasks;
  for (int i = 0; i < 100; ++i) tasks.push_back(asyncio::create_task(context_3_sub(i % 11, static_cast<unsigned>(i + 1))));
  auto all = asyncio::gather(tasks);
  co_await std::move(all);
}

}  // namespace

TEST_CASE("100 tasks in parallel each keep their own value", "[contextvars]") {
  // Python: test_tasks.test_context_3
  LoopFixture f;
  f.loop->run_until_complete(context_3_main());
  CHECK(ivar.get() == -1);
}

namespace {

ContextVar<int> nvar("nvar");

Coro<> set_after_yield(int val) {
  co_await asyncio::sleep(0);
  (void)nvar.set(val);
}

Coro<std::vector<std::optional<int>>> context_4_main() {
  std::vector<std::optional<int>> ret;
  Context ctx = asyncio::copy_context();
  ret.push_back(ctx.get(nvar));
  auto t1 = asyncio::create_task(set_after_yield(1), {.context = ctx});
  co_await t1;
  ret.push_back(ctx.get(nvar));
  auto t2 = asyncio::create_task(set_after_yield(2), {.context = ctx});
  co_await t2;
  ret.push_back(ctx.get(nvar));
  co_return ret;
}

Coro<std::vector<std::optional<int>>> context_5_main() {
  std::vector<std::optional<int>> ret;
  Context ctx = asyncio::copy_context();
  ret.push_back(ctx.get(nvar));
  auto t1 = asyncio::gather(set_after_yield(1));
  co_await std::move(t1);
  ret.push_back(ctx.get(nvar));
  auto t2 = asyncio::gather(set_after_yield(2));
  co_await std::move(t2);
  ret.push_back(ctx.get(nvar));
  co_return ret;
}

}  // namespace

TEST_CASE("create_task(coro, {.context}) runs the task in that very context", "[contextvars]") {
  // Python: test_tasks.test_context_4
  LoopFixture f;
  auto ret = f.loop->run_until_complete(context_4_main());
  CHECK(ret == std::vector<std::optional<int>>{std::nullopt, 1, 2});
}

TEST_CASE("gather's children run in copies: the caller's context does not change", "[contextvars]") {
  // Python: test_tasks.test_context_5
  LoopFixture f;
  auto ret = f.loop->run_until_complete(context_5_main());
  CHECK(ret == std::vector<std::optional<int>>{std::nullopt, std::nullopt, std::nullopt});
}

TEST_CASE("Task.get_context returns the context given, or the task's own copy", "[contextvars]") {
  // Python: test_tasks.test_get_context
  LoopFixture f;
  auto body = []() -> Coro<> {
    Context ctx;
    auto given = asyncio::create_task(set_after_yield(3), {.context = ctx});
    CHECK(given.get_context() == ctx);
    co_await given;
    CHECK(ctx[nvar] == 3);

    auto own = asyncio::create_task(set_after_yield(4));
    Context before = own.get_context();
    CHECK_FALSE(before.contains(nvar));
    co_await own;
    // The same object before and after: what the task set is in it.
    CHECK(own.get_context() == before);
    CHECK(before[nvar] == 4);
    CHECK_FALSE(nvar.get(-1) == 4);
  };
  f.loop->run_until_complete(body());
}

TEST_CASE("Task.get_context called by the running task is the context it writes to", "[contextvars]") {
  LoopFixture f;
  auto body = []() -> Coro<> {
    auto me = *asyncio::current_task();
    Context ctx = me.get_context();
    (void)nvar.set(12);
    CHECK(ctx[nvar] == 12);
    // It is entered: running it again is an error, as in Python.
    CHECK_THROWS_AS(ctx.run([] {}), asyncio::RuntimeError);
    co_return;
  };
  f.loop->run_until_complete(body());
}

TEST_CASE("a value set before the loop runs is seen by its tasks, and their changes stay in them",
          "[contextvars]") {
  LoopFixture f;
  auto token = nvar.set(100);
  auto body = []() -> Coro<int> {
    int seen = nvar.get();
    (void)nvar.set(200);
    co_await asyncio::sleep(0);
    co_return seen;
  };
  CHECK(f.loop->run_until_complete(body()) == 100);
  CHECK(nvar.get() == 100);
  nvar.reset(token);
  CHECK_FALSE(nvar.get(-1) == 100);
}

TEST_CASE("task_group children inherit the parent's values at creation", "[contextvars]") {
  LoopFixture f;
  auto body = []() -> Coro<> {
    (void)nvar.set(1);
    std::vector<int> seen;
    auto child = [](std::vector<int>& out, int v) -> Coro<> {
      out.push_back(nvar.get());
      (void)nvar.set(v);
      co_await asyncio::sleep(0);
      out.push_back(nvar.get());
    };
    auto block = [&](asyncio::TaskGroup& g) -> Coro<> {
      g.create_task(child(seen, 10));
      (void)nvar.set(2);
      g.create_task(child(seen, 20));
      co_return;
    };
    auto group = asyncio::task_group(block);
    co_await std::move(group);
    CHECK(seen == std::vector<int>{1, 2, 10, 20});
    CHECK(nvar.get() == 2);
  };
  f.loop->run_until_complete(body());
}

TEST_CASE("an eager task starts in a copy of its creator's context", "[contextvars][eager]") {
  // Python: test_eager_task_factory.test_context_vars
  LoopFixture f;
  f.loop->set_task_factory(asyncio::eager_task_factory);
  auto body = []() -> Coro<> {
    (void)nvar.set(1);
    auto child = []() -> Coro<int> {
      int seen = nvar.get();
      (void)nvar.set(2);  // during the eager step, inside create_task()
      co_await asyncio::sleep(0);
      CHECK(nvar.get() == 2);
      co_return seen;
    };
    auto t = asyncio::create_task(child());
    CHECK(nvar.get() == 1);  // the eager step did not write to the creator's context
    int seen = co_await t;
    CHECK(seen == 1);
    CHECK(t.get_context()[nvar] == 2);
  };
  f.loop->run_until_complete(body());
}

TEST_CASE("an eager task given its creator's own context runs in it", "[contextvars][eager]") {
  LoopFixture f;
  auto body = []() -> Coro<> {
    Context mine = (*asyncio::current_task()).get_context();
    auto child = []() -> Coro<> {
      (void)nvar.set(5);
      co_return;
    };
    auto t = asyncio::create_task(child(), {.context = mine, .eager_start = true});
    CHECK(t.done());
    CHECK(nvar.get() == 5);  // shared context: the write is ours too
    co_return;
  };
  f.loop->run_until_complete(body());
}

// ---- Callbacks (test_events.py, test_futures2.py) ----

TEST_CASE("call_soon, call_later and call_at run the callback in the context given", "[contextvars]") {
  LoopFixture f;
  Context ctx;
  ctx.run([] { (void)nvar.set(7); });
  std::vector<int> seen;
  auto record = [&] {
    seen.push_back(nvar.get(-1));
    (void)nvar.set(8);
  };
  asyncio::Handle h = f.loop->call_soon({.context = ctx}, record);
  CHECK(h.get_context() == ctx);
  f.loop->call_later(0.001, {.context = ctx}, record);
  f.loop->call_at(f.loop->time(), {.context = ctx}, record);
  f.loop->call_soon(record);  // a copy of the (empty) current context
  auto wait = []() -> Coro<> { co_await asyncio::sleep(0.01); };
  f.loop->run_until_complete(wait());
  CHECK(seen.size() == 4);
  // Order: the two call_soon() callbacks, then the due call_at() timer,
  // then call_later()'s.
  CHECK(seen[0] == 7);
  CHECK(seen[1] == -1);
  CHECK(seen[2] == 8);  // the first callback's write went to ctx itself
  CHECK(seen[3] == 8);
  CHECK(ctx[nvar] == 8);
  CHECK(nvar.get(-1) == -1);
}

TEST_CASE("a callback without context= runs in a copy taken when it was scheduled", "[contextvars]") {
  LoopFixture f;
  auto body = [](asyncio::EventLoop& loop) -> Coro<> {
    (void)nvar.set(1);
    int seen = 0;
    asyncio::Handle h = loop.call_soon([&seen] {
      seen = nvar.get();
      (void)nvar.set(3);
    });
    (void)nvar.set(2);  // after scheduling: not seen by the callback
    co_await asyncio::sleep(0);
    CHECK(seen == 1);
    CHECK(nvar.get() == 2);
    CHECK(h.get_context()[nvar] == 3);  // the handle's own copy
  };
  f.loop->run_until_complete(body(*f.loop));
}

TEST_CASE("call_soon_threadsafe runs the callback in the calling thread's context", "[contextvars][threads]") {
  LoopFixture f;
  std::atomic<int> seen{0};
  int seen_given = 0;
  Context ctx;
  ctx.run([] { (void)nvar.set(40); });
  std::thread other([&] {
    auto token = nvar.set(30);
    f.loop->call_soon_threadsafe([&] { seen = nvar.get(-1); });
    f.loop->call_soon_threadsafe({.context = ctx}, [&] { seen_given = nvar.get(-1); });
    f.loop->call_soon_threadsafe([&] { f.loop->stop(); });
    nvar.reset(token);
  });
  f.loop->run_forever();
  other.join();
  CHECK(seen == 30);
  CHECK(seen_given == 40);
}

TEST_CASE("the exception handler runs in the failing callback's context", "[contextvars]") {
  // Python 3.12: test_futures2 test_exception_handler_context (gh-91150)
  LoopFixture f;
  int seen = 0;
  f.loop->set_exception_handler([&](asyncio::EventLoop&, const asyncio::ExceptionContext&) { seen = nvar.get(-1); });
  Context ctx;
  ctx.run([] { (void)nvar.set(55); });
  f.loop->call_soon({.context = ctx}, [] { throw std::runtime_error("x"); });
  f.run_briefly();
  CHECK(seen == 55);
}

// ---- Threads and runners ----

TEST_CASE("to_thread runs the function in a copy of the caller's context", "[contextvars][threads]") {
  // Python: test_threads.test_to_thread_contextvars
  LoopFixture f;
  auto body = []() -> Coro<> {
    (void)nvar.set(11);
    auto fn = [](int add) {
      int v = nvar.get();
      (void)nvar.set(99);  // stays in the copy
      return v + add;
    };
    int r = co_await asyncio::to_thread(fn, 1);
    CHECK(r == 12);
    CHECK(nvar.get() == 11);
  };
  f.loop->run_until_complete(body());
  f.loop->run_until_complete(f.loop->shutdown_default_executor());
}

TEST_CASE("run_in_executor does not pass the context on (as in Python)", "[contextvars][threads]") {
  LoopFixture f;
  auto body = [](asyncio::EventLoop& loop) -> Coro<> {
    (void)nvar.set(11);
    auto fn = [] { return nvar.get(-1); };
    auto fut = loop.run_in_executor(nullptr, fn);
    int r = co_await std::move(fut);
    CHECK(r == -1);
  };
  f.loop->run_until_complete(body(*f.loop));
  f.loop->run_until_complete(f.loop->shutdown_default_executor());
}

TEST_CASE("run_coroutine_threadsafe runs the coroutine in the submitting thread's context", "[contextvars][threads]") {
  LoopFixture f;
  int result = 0;
  auto coro = []() -> Coro<int> {
    co_await asyncio::sleep(0);
    co_return nvar.get(-1);
  };
  std::thread other([&] {
    auto token = nvar.set(77);
    auto fut = asyncio::run_coroutine_threadsafe(coro(), *f.loop);
    result = fut.result(10.0);
    nvar.reset(token);
    f.loop->call_soon_threadsafe([&] { f.loop->stop(); });
  });
  f.loop->run_forever();
  other.join();
  CHECK(result == 77);
}

TEST_CASE("Runner.run runs every coroutine in the runner's context, kept between runs", "[contextvars][runners]") {
  // Python: test_runners.test_run_keeps_context
  ContextVar<int> var("var", -1);
  auto f = [](ContextVar<int>& v, int val) -> Coro<int> {
    int old = v.get();
    co_await asyncio::sleep(0);
    (void)v.set(val);
    co_return old;
  };
  auto get_context = []() -> Coro<Context> { co_return asyncio::copy_context(); };
  asyncio::Runner runner;
  CHECK(runner.run(f(var, 1)) == -1);
  CHECK(runner.run(f(var, 2)) == 1);
  CHECK(runner.run(get_context())[var] == 2);
  // An explicit context replaces the runner's.
  Context mine;
  CHECK(runner.run(f(var, 3), mine) == -1);
  CHECK(mine[var] == 3);
  CHECK(runner.run(f(var, 4)) == 2);
  runner.close();
  CHECK(var.get() == -1);
}

// ---- The first context of the process (no switching until then) ----
// Until a context object exists, tasks and callbacks enter no context (a
// program without variables pays nothing); the first set() inside a step
// must still land in that step's own context. CTest runs each test case in
// its own process, so these start with no context made.

namespace {
Coro<> lazy_pause() { co_await asyncio::sleep(0.001); }
}  // namespace

TEST_CASE("a first set() inside a callback stays in the callback's context", "[contextvars][lazy]") {
  ContextVar<int> var("var", -1);
  LoopFixture f;
  int seen_by_child = 0;
  int seen_after = 0;
  f.loop->call_soon([&] {
    (void)var.set(7);
    // Scheduled from inside: runs in a copy of the callback's context.
    f.loop->call_soon([&] { seen_by_child = var.get(); });
  });
  f.loop->call_soon([&] { seen_after = var.get(); });
  f.loop->run_until_complete(lazy_pause());
  CHECK(seen_by_child == 7);
  CHECK(seen_after == -1);
  CHECK(var.get() == -1);
}

TEST_CASE("a first set() inside a task is seen by the tasks it creates, not by its creator", "[contextvars][lazy]") {
  ContextVar<int> var("var", -1);
  LoopFixture f;
  auto child = [](ContextVar<int>& v) -> Coro<int> { co_return v.get(); };
  auto inner = [&child](ContextVar<int>& v) -> Coro<int> {
    (void)v.set(3);
    auto t = asyncio::create_task(child(v));
    int got = co_await std::move(t);
    co_return got;
  };
  auto outer = [&inner](ContextVar<int>& v) -> Coro<std::pair<int, int>> {
    auto t = asyncio::create_task(inner(v));
    int child_saw = co_await std::move(t);
    co_return std::pair<int, int>{child_saw, v.get()};
  };
  auto [child_saw, outer_sees] = f.loop->run_until_complete(outer(var));
  CHECK(child_saw == 3);
  CHECK(outer_sees == -1);
  CHECK(var.get() == -1);
}

TEST_CASE("a first set() in an eager task started by a callback stays in the task", "[contextvars][lazy][eager]") {
  ContextVar<int> var("var", -1);
  LoopFixture f;
  auto body = [](ContextVar<int>& v) -> Coro<int> {
    (void)v.set(5);
    co_await asyncio::sleep(0);
    co_return v.get();
  };
  int callback_saw = 0;
  std::optional<asyncio::Task<int>> task;
  f.loop->call_soon([&] {
    asyncio::TaskOptions options;
    options.eager_start = true;
    task = f.loop->create_task(body(var), std::move(options));
    callback_saw = var.get();
  });
  f.loop->run_until_complete(lazy_pause());
  REQUIRE(task);
  CHECK(task->result() == 5);
  CHECK(callback_saw == -1);
  CHECK(var.get() == -1);
}

TEST_CASE("Runner: a first set() in one run() is seen by the next", "[contextvars][lazy][runners]") {
  ContextVar<int> var("var", -1);
  auto f = [](ContextVar<int>& v, int val) -> Coro<int> {
    int old = v.get();
    (void)v.set(val);
    co_return old;
  };
  asyncio::Runner runner;
  CHECK(runner.run(f(var, 1)) == -1);
  CHECK(runner.run(f(var, 2)) == 1);
  runner.close();
  CHECK(var.get() == -1);
}
