// The inspector and asyncio-ps (Python 3.14: python -m asyncio ps / pstree,
// Lib/test/test_asyncio/test_tools.py for the table and tree). A loop runs a
// known task graph in a thread of this process; asyncio-ps, another process,
// reads it through the inspector's socket.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <future>
#include <optional>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "asyncio/inspect.hpp"
#include "support.hpp"

using asyncio::Coro;
using nlohmann::json;

namespace {

struct Result {
  int status = -1;
  std::string out;  // stdout and stderr together
};

Result run_tool(const std::string& args) {
  Result r;
  const std::string cmd = std::string(ASYNCIO_PS_PATH) + " " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  // No Catch2 assertion here: the concurrent-requests test calls this from
  // several threads, and Catch2's assertion handling is not thread-safe.
  if (p == nullptr) {
    r.out = "popen failed: " + std::string(std::strerror(errno));
    return r;  // status -1: the caller's check on it fails
  }
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::string pid_arg() { return std::to_string(static_cast<long>(::getpid())); }

// ---- the known graph ----

Coro<> leaf(asyncio::Future<> release) { co_await release; }
Coro<> gatherer(asyncio::Future<> release) {
  auto g = asyncio::gather(leaf(release), leaf(release));
  co_await std::move(g);
}
Coro<> group_owner(asyncio::Future<> release) {
  auto block = [release](asyncio::TaskGroup& tg) -> Coro<> {
    tg.create_task(leaf(release), {.name = "tg-child"});
    co_return;
  };
  auto run = asyncio::task_group(block);  // the block named (GCC 12: docs/compilers.md)
  co_await std::move(run);
}
Coro<> shielder(asyncio::Task<> inner) { co_await asyncio::shield(inner); }
Coro<> awaits_task(std::shared_ptr<asyncio::Task<>> other, asyncio::Future<> ready) {
  co_await ready;
  co_await *other;
}

// Runs the graph on its own loop and thread until stop() (with_cycle: two
// more tasks awaiting each other).
class GraphThread {
 public:
  explicit GraphThread(bool with_cycle) {
    auto started_f = started_.get_future();
    thread_ = std::thread([this, with_cycle] { body(with_cycle, started_); });
    started_f.wait();
  }
  ~GraphThread() { stop(); }
  void stop() {
    if (!thread_.joinable()) return;
    loop_->call_soon_threadsafe([this] { release_->set_result(); });
    thread_.join();
  }

 private:
  void body(bool with_cycle, std::promise<void>& started) {
    loop_ = asyncio::new_event_loop();
    asyncio::EventLoop& loop = *loop_;
    release_.emplace(loop.create_future<void>());
    auto main = [](asyncio::EventLoop& l, asyncio::Future<> release, bool cycle,
                   std::promise<void>* started_p) -> Coro<> {
      auto g = l.create_task(gatherer(release), {.name = "gatherer"});
      auto t = l.create_task(group_owner(release), {.name = "group-owner"});
      auto inner = l.create_task(leaf(release), {.name = "shielded"});
      auto s = l.create_task(shielder(inner), {.name = "shielder"});
      std::vector<asyncio::Task<>> cyc;
      auto a_slot = std::make_shared<asyncio::Task<>>();
      auto b_slot = std::make_shared<asyncio::Task<>>();
      auto ready = l.create_future<void>();
      if (cycle) {
        *a_slot = l.create_task(awaits_task(b_slot, ready), {.name = "cycle-a"});
        *b_slot = l.create_task(awaits_task(a_slot, ready), {.name = "cycle-b"});
        ready.set_result();
      }
      for (int i = 0; i < 3; ++i) co_await asyncio::sleep(0);
      started_p->set_value();
      co_await release;
      co_await g;
      co_await t;
      co_await s;
      // The cycle stays pending: cancelling either task would cancel the
      // other, which cancels the first again (Python recurses the same
      // way); closing the loop destroys both.
    };
    loop.run_until_complete(loop.create_task(main(loop, *release_, with_cycle, &started), {.name = "Task-main"}));
    loop.close();
  }

  std::promise<void> started_;  // a member: set_value() may still run when wait() returns
  std::thread thread_;
  std::shared_ptr<asyncio::EventLoop> loop_;
  std::optional<asyncio::Future<>> release_;  // made on the loop's thread
};

json tasks_by_name(const json& doc) {
  json out = json::object();
  for (const json& loop : doc["loops"])
    for (const json& t : loop["tasks"]) out[t["name"].get<std::string>()] = t;
  return out;
}

std::set<std::string> awaiter_names(const json& task) {
  std::set<std::string> out;
  for (const json& w : task["awaited_by"]) out.insert(w["name"].get<std::string>());
  return out;
}

}  // namespace

TEST_CASE("ASYNCIO_INSPECT=1 enables the inspector when a loop is created", "[inspect][threads]") {
  // First in the file: in a run of the whole binary nothing enabled it yet
  // (CTest runs each case in its own process anyway).
  CHECK_FALSE(asyncio::inspect::enabled());
  ::setenv("ASYNCIO_INSPECT", "1", 1);
  auto loop = asyncio::new_event_loop();
  ::unsetenv("ASYNCIO_INSPECT");
  CHECK(asyncio::inspect::enabled());
  loop->close();
}

TEST_CASE("the inspector's socket is named after the pid, mode 0600", "[inspect][threads]") {
  asyncio::inspect::enable();
  asyncio::inspect::enable();  // once only
  CHECK(asyncio::inspect::enabled());
  const std::string path = asyncio::inspect::socket_path(static_cast<long>(::getpid()));
  CHECK(path.find("asyncio-" + pid_arg() + ".sock") != std::string::npos);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("asyncio-ps --json: every task with its name, coroutine stack and awaiters", "[inspect][threads]") {
  asyncio::inspect::enable();
  GraphThread graph(false);
  Result r = run_tool("--json ps " + pid_arg());
  REQUIRE(r.status == 0);
  json doc = json::parse(r.out);
  CHECK(doc["pid"] == static_cast<long>(::getpid()));
  json tasks = tasks_by_name(doc);
  INFO(r.out);
  REQUIRE(tasks.contains("Task-main"));
  REQUIRE(tasks.contains("gatherer"));
  REQUIRE(tasks.contains("tg-child"));
  REQUIRE(tasks.contains("shielded"));
  CHECK(tasks["Task-main"]["coroutine_stack"][0]["name"] == "operator()");
  CHECK(tasks["gatherer"]["coroutine_stack"][0]["name"] == "gatherer");
  CHECK(tasks["tg-child"]["coroutine_stack"][0]["name"] == "leaf");
  // The TaskGroup's child is awaited by the task owning the group; the
  // shielded task by the one that shielded it; gather's children by the
  // task awaiting the gather.
  CHECK(awaiter_names(tasks["tg-child"]) == std::set<std::string>{"group-owner"});
  CHECK(awaiter_names(tasks["shielded"]) == std::set<std::string>{"shielder"});
  int gather_children = 0;
  for (auto& [name, t] : tasks.items())
    if (awaiter_names(t) == std::set<std::string>{"gatherer"}) ++gather_children;
  CHECK(gather_children == 2);
  // The other side of the edges.
  CHECK(tasks["shielder"]["awaits"].size() == 1);
  CHECK(tasks["shielder"]["awaits"][0] == tasks["shielded"]["id"]);
  CHECK(doc["loops"].size() >= 1);
}

TEST_CASE("asyncio-ps ps prints CPython's table: one row per task and awaiter", "[inspect][threads]") {
  asyncio::inspect::enable();
  GraphThread graph(false);
  Result r = run_tool("ps " + pid_arg());
  REQUIRE(r.status == 0);
  INFO(r.out);
  const std::string header = "tid        task id              task name            coroutine stack";
  CHECK(r.out.rfind(header, 0) == 0);
  CHECK(r.out.find("awaiter chain") != std::string::npos);
  CHECK(r.out.find("\n" + std::string(180, '-') + "\n") != std::string::npos);
  // tg-child's row names its awaiter and the awaiter's coroutine chain.
  std::string row;
  std::size_t at = r.out.find(" tg-child ");
  REQUIRE(at != std::string::npos);
  row = r.out.substr(r.out.rfind('\n', at) + 1, r.out.find('\n', at) - r.out.rfind('\n', at) - 1);
  CHECK(row.find("leaf") != std::string::npos);
  CHECK(row.find("group-owner") != std::string::npos);
  CHECK(row.find("group_owner") != std::string::npos);
  // A task nobody awaits: empty chain, awaiter id 0x0.
  at = r.out.find(" Task-main ");
  REQUIRE(at != std::string::npos);
  row = r.out.substr(at, r.out.find('\n', at) - at);
  CHECK(row.find("0x0") != std::string::npos);
}

TEST_CASE("asyncio-ps pstree prints the await tree", "[inspect][threads]") {
  asyncio::inspect::enable();
  GraphThread graph(false);
  Result r = run_tool("pstree " + pid_arg());
  REQUIRE(r.status == 0);
  INFO(r.out);
  CHECK(r.out.find("└── (T) Task-main") != std::string::npos);
  CHECK(r.out.find("(T) group-owner") != std::string::npos);
  CHECK(r.out.find("(T) tg-child") != std::string::npos);
  CHECK(r.out.find("── (T) shielded") != std::string::npos);
  CHECK(r.out.find("──  leaf") != std::string::npos);  // a coroutine frame: no flag, two spaces
  // tg-child sits below group-owner's frames.
  CHECK(r.out.find("(T) group-owner") < r.out.find("(T) tg-child"));
}

TEST_CASE("asyncio-ps pstree reports a cycle as CPython does, ps still works", "[inspect][threads]") {
  asyncio::inspect::enable();
  GraphThread graph(true);
  Result r = run_tool("pstree " + pid_arg());
  INFO(r.out);
  CHECK(r.status == 1);
  CHECK(r.out.find("ERROR: await-graph contains cycles - cannot print a tree!\n\n") != std::string::npos);
  const bool ab = r.out.find("cycle: cycle-a → cycle-b → cycle-a") != std::string::npos;
  const bool ba = r.out.find("cycle: cycle-b → cycle-a → cycle-b") != std::string::npos;
  CHECK((ab || ba));
  Result table = run_tool("ps " + pid_arg());
  CHECK(table.status == 0);
  CHECK(table.out.find("cycle-a") != std::string::npos);
}

TEST_CASE("asyncio-ps: clear errors for a missing pid, no inspector, bad arguments", "[inspect][threads]") {
  Result r = run_tool("ps 999999999");
  CHECK(r.status == 1);
  CHECK(r.out.find("no process with pid 999999999") != std::string::npos);
  // A live process without the inspector: our parent (the shell of popen
  // is gone by then; pid 1 may belong to root, so use a child of ours).
  Result self = run_tool("ps $$");  // the shell popen runs: alive, no inspector
  CHECK(self.status == 1);
  CHECK(self.out.find("does not run the asyncio inspector") != std::string::npos);
  CHECK(self.out.find("ASYNCIO_INSPECT=1") != std::string::npos);
  Result bad = run_tool("ps nope");
  CHECK(bad.status == 1);
  CHECK(bad.out.find("not a process id: 'nope'") != std::string::npos);
  Result usage = run_tool("top 1");
  CHECK(usage.status == 2);
  CHECK(usage.out.find("usage: asyncio-ps") != std::string::npos);
}

TEST_CASE("concurrent requests while the process runs 10,000 tasks", "[inspect][threads]") {
  asyncio::inspect::enable();
  std::promise<void> started;
  auto started_f = started.get_future();
  std::shared_ptr<asyncio::EventLoop> loop;
  std::atomic<bool> stop{false};
  std::thread runner([&] {
    loop = asyncio::new_event_loop();
    auto worker = [](std::atomic<bool>* s) -> Coro<> {
      while (!s->load()) co_await asyncio::sleep(0.001);
    };
    auto main = [&worker](std::atomic<bool>* s, std::promise<void>* st) -> Coro<> {
      std::vector<asyncio::Task<>> tasks;
      for (int i = 0; i < 10000; ++i) tasks.push_back(asyncio::create_task(worker(s)));
      co_await asyncio::sleep(0);
      st->set_value();
      auto all = asyncio::gather(tasks);
      co_await std::move(all);
    };
    loop->run_until_complete(main(&stop, &started));
    loop->close();
  });
  started_f.wait();
  std::vector<std::future<Result>> requests;
  for (int i = 0; i < 3; ++i)
    requests.push_back(std::async(std::launch::async, [] { return run_tool("--json ps " + pid_arg()); }));
  for (auto& f : requests) {
    Result r = f.get();
    REQUIRE(r.status == 0);
    json doc = json::parse(r.out);
    std::size_t n = 0;
    for (const json& l : doc["loops"]) n += l["tasks"].size();
    CHECK(n >= 10001);
  }
  stop = true;
  runner.join();
}
