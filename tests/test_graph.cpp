// Call-graph introspection. Python: test_graph.py (3.14).
#include <cctype>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "support.hpp"

using asyncio::Coro;
using asyncio::FutureCallGraph;
using asyncio::TaskGroup;
using test::LoopFixture;

namespace {

std::vector<std::string> names(const FutureCallGraph& g) {
  std::vector<std::string> out;
  for (const auto& e : g.call_stack) out.push_back(e.name);
  return out;
}

std::string task_name(const FutureCallGraph& g) {
  if (!g.future.is_task()) return "Future";
  return asyncio::AnyTask(static_cast<asyncio::detail::TaskBase*>(g.future.state_ptr()), true).get_name();
}

// The text with every "id=0x..." replaced by "id=ID".
std::string without_ids(std::string text) {
  for (std::string::size_type at = text.find("id=0x"); at != std::string::npos; at = text.find("id=0x", at)) {
    std::string::size_type end = at + 5;
    while (end < text.size() && std::isxdigit(static_cast<unsigned char>(text[end]))) ++end;
    text.replace(at, end - at, "id=ID");
    at += 5;
  }
  return text;
}

std::optional<FutureCallGraph> g_captured;

Coro<> c3(int depth) {
  co_await asyncio::sleep(0);
  g_captured = asyncio::capture_call_graph({.depth = depth});
}
Coro<> c2(int depth) { co_await c3(depth); }
Coro<> c1(int depth) { co_await c2(depth); }

Coro<> leaf_waits(asyncio::Future<> fut) { co_await fut; }
Coro<> middle(asyncio::Future<> fut) { co_await leaf_waits(fut); }

Coro<> capture_in_child(asyncio::Future<> release) {
  co_await asyncio::sleep(0);
  g_captured = asyncio::capture_call_graph();
  co_await release;
}

Coro<> main_gather(asyncio::Future<> release) {
  co_await asyncio::gather(capture_in_child(release), leaf_waits(release));
}

Coro<> main_task_group(asyncio::Future<> release) {
  // A named block: GCC 12 destroys a capturing lambda temporary created
  // inside a co_await expression twice (see docs/taskgroups.md).
  auto block = [release](TaskGroup& tg) -> Coro<> {
    tg.create_task(capture_in_child(release), {.name = "child"});
    co_return;
  };
  co_await asyncio::task_group(block);
}

Coro<> main_timeout() {
  co_await asyncio::timeout(10, c1(1));
}

}  // namespace

TEST_CASE("capture_call_graph shows the current task's coroutines innermost first", "[graph]") {
  LoopFixture f;
  f.loop->run_until_complete(f.loop->create_task(c1(1), {.name = "main"}));
  REQUIRE(g_captured);
  CHECK(task_name(*g_captured) == "main");
  CHECK(names(*g_captured) == std::vector<std::string>{"c3", "c2", "c1"});
  CHECK(g_captured->awaited_by.empty());
  g_captured.reset();
}

TEST_CASE("capture_call_graph's depth skips the innermost coroutines", "[graph]") {
  LoopFixture f;
  f.loop->run_until_complete(c1(2));
  REQUIRE(g_captured);
  CHECK(names(*g_captured) == std::vector<std::string>{"c2", "c1"});
  g_captured.reset();
}

TEST_CASE("capture_call_graph's limit keeps the innermost or the outermost frames", "[graph]") {
  LoopFixture f;
  asyncio::Future<> fut(*f.loop);
  auto task = f.loop->create_task(middle(fut));
  f.run_briefly();
  CHECK(names(*asyncio::capture_call_graph(task)) == std::vector<std::string>{"leaf_waits", "middle"});
  CHECK(names(*asyncio::capture_call_graph(task, {.limit = 1})) == std::vector<std::string>{"leaf_waits"});
  CHECK(names(*asyncio::capture_call_graph(task, {.limit = -1})) == std::vector<std::string>{"middle"});
  CHECK(asyncio::capture_call_graph(task, {.limit = 0})->call_stack.empty());
  fut.set_result();
  f.loop->run_until_complete(task);
}

TEST_CASE("a task's graph shows who awaits it", "[graph]") {
  LoopFixture f;
  asyncio::Future<> fut(*f.loop);
  auto inner = f.loop->create_task(middle(fut), {.name = "inner"});
  auto outer_coro = [](asyncio::Task<> t) -> Coro<> { co_await t; };
  auto outer = f.loop->create_task(outer_coro(inner), {.name = "outer"});
  f.run_briefly();
  f.run_briefly();
  auto g = asyncio::capture_call_graph(inner);
  REQUIRE(g);
  REQUIRE(g->awaited_by.size() == 1);
  CHECK(task_name(g->awaited_by[0]) == "outer");
  CHECK(names(g->awaited_by[0]) == std::vector<std::string>{"operator()"});
  // The future at the bottom is awaited by the inner task.
  auto fg = asyncio::capture_call_graph(fut);
  REQUIRE(fg->awaited_by.size() == 1);
  CHECK(task_name(fg->awaited_by[0]) == "inner");
  CHECK(task_name(fg->awaited_by[0].awaited_by[0]) == "outer");
  fut.set_result();
  f.loop->run_until_complete(outer);
}

TEST_CASE("a gather child is awaited by the task that called gather", "[graph]") {
  LoopFixture f;
  asyncio::Future<> release(*f.loop);
  auto main = f.loop->create_task(main_gather(release), {.name = "main"});
  for (int i = 0; i < 3; ++i) f.run_briefly();
  REQUIRE(g_captured);
  CHECK(names(*g_captured) == std::vector<std::string>{"capture_in_child"});
  REQUIRE(g_captured->awaited_by.size() == 1);
  CHECK(task_name(g_captured->awaited_by[0]) == "main");
  CHECK(names(g_captured->awaited_by[0]) == std::vector<std::string>{"main_gather"});
  g_captured.reset();
  release.set_result();
  f.loop->run_until_complete(main);
}

TEST_CASE("a task group's task is awaited by the group's parent task", "[graph]") {
  LoopFixture f;
  asyncio::Future<> release(*f.loop);
  auto main = f.loop->create_task(main_task_group(release), {.name = "main"});
  for (int i = 0; i < 3; ++i) f.run_briefly();
  REQUIRE(g_captured);
  CHECK(task_name(*g_captured) == "child");
  REQUIRE(g_captured->awaited_by.size() == 1);
  CHECK(task_name(g_captured->awaited_by[0]) == "main");
  // Python shows _aexit / __aexit__ frames; here the group's exit and its block.
  CHECK(names(g_captured->awaited_by[0]) == std::vector<std::string>{"exit", "task_group", "main_task_group"});
  g_captured.reset();
  release.set_result();
  f.loop->run_until_complete(main);
}

TEST_CASE("a shielded task is awaited by the task that shielded it", "[graph]") {
  LoopFixture f;
  asyncio::Future<> fut(*f.loop);
  auto inner = f.loop->create_task(middle(fut), {.name = "inner"});
  auto outer_coro = [](asyncio::Task<> t) -> Coro<> { co_await asyncio::shield(t); };
  auto outer = f.loop->create_task(outer_coro(inner), {.name = "outer"});
  f.run_briefly();
  f.run_briefly();
  auto g = asyncio::capture_call_graph(inner);
  REQUIRE(g->awaited_by.size() == 1);
  CHECK(task_name(g->awaited_by[0]) == "outer");
  fut.set_result();
  f.loop->run_until_complete(outer);
}

TEST_CASE("a timeout's block appears in the call stack", "[graph]") {
  LoopFixture f;
  f.loop->run_until_complete(main_timeout());
  REQUIRE(g_captured);
  CHECK(names(*g_captured) == std::vector<std::string>{"c3", "c2", "c1", "timeout", "main_timeout"});
  g_captured.reset();
}

TEST_CASE("format_call_graph renders like CPython", "[graph]") {
  LoopFixture f;
  asyncio::Future<> fut(*f.loop);
  auto inner = f.loop->create_task(middle(fut), {.name = "inner"});
  auto outer_coro = [](asyncio::Task<> t) -> Coro<> { co_await t; };
  auto outer = f.loop->create_task(outer_coro(inner), {.name = "outer"});
  f.run_briefly();
  f.run_briefly();
  std::string text = asyncio::format_call_graph(inner);
  CHECK(without_ids(text) ==
        "* Task(name='inner', id=ID)\n"
        "  + Call stack:\n"
        "  |   async leaf_waits()\n"
        "  |   async middle()\n"
        "  + Awaited by:\n"
        "    * Task(name='outer', id=ID)\n"
        "      + Call stack:\n"
        "      |   async operator()()");
  std::ostringstream out;
  asyncio::print_call_graph(fut, {.file = &out});
  CHECK(without_ids(out.str()).rfind("* Future(id=ID)\n  + Awaited by:\n    * Task(name='inner', id=ID)\n", 0) == 0);
  CHECK(out.str().back() == '\n');
  fut.set_result();
  f.loop->run_until_complete(outer);
}

TEST_CASE("capture_call_graph without a task", "[graph]") {
  // Python: RuntimeError outside a running loop; None without a current task.
  CHECK_THROWS_AS(asyncio::capture_call_graph(), asyncio::RuntimeError);
  LoopFixture f;
  bool checked = false;
  f.loop->call_soon([&] {
    CHECK_FALSE(asyncio::capture_call_graph().has_value());
    CHECK(asyncio::format_call_graph().empty());
    checked = true;
    f.loop->stop();
  });
  f.loop->run_forever();
  CHECK(checked);
}

TEST_CASE("a task not started yet shows its coroutine and a done one shows nothing", "[graph]") {
  LoopFixture f;
  asyncio::Future<> fut(*f.loop);
  auto task = f.loop->create_task(middle(fut));
  CHECK(names(*asyncio::capture_call_graph(task)) == std::vector<std::string>{"middle"});
  fut.set_result();
  f.loop->run_until_complete(task);
  CHECK(asyncio::capture_call_graph(task)->call_stack.empty());
}

TEST_CASE("tasks awaiting each other in a cycle do not loop the graph", "[graph]") {
  LoopFixture f;
  f.expect_report("Task was destroyed but it is pending!", 2);
  asyncio::Future<asyncio::Task<>> other_fut(*f.loop);
  auto a_coro = [](asyncio::Future<asyncio::Task<>> other) -> Coro<> {
    asyncio::Task<> b = co_await other;
    co_await b;
  };
  auto a = f.loop->create_task(a_coro(other_fut));
  auto b_coro = [](asyncio::Task<> x) -> Coro<> { co_await x; };
  auto b = f.loop->create_task(b_coro(a));
  f.run_briefly();
  other_fut.set_result(b);
  f.run_briefly();
  f.run_briefly();
  auto g = asyncio::capture_call_graph(a);
  REQUIRE(g->awaited_by.size() == 1);
  CHECK(g->awaited_by[0].awaited_by.empty());  // stops at the repeat
  // Deadlocked for good (cancelling one would cancel the other, and so on,
  // as in Python): closing the loop destroys both.
  f.loop->close();
  CHECK(f.errors.size() == 2);
}
