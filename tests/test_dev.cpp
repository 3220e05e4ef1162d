// Debug mode and the logger. Python: "Developing with asyncio",
// test_base_events.py (debug checks), test_tasks.py / test_futures.py
// (source_traceback, "created at" in reprs).
#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "net_support.hpp"
#include "support.hpp"

using namespace std::chrono_literals;
using asyncio::Coro;
using test::LoopFixture;

namespace {

// setenv() is POSIX; Windows' C runtime spells it _putenv_s, where an empty
// value unsets the variable.
void set_env(const char* name, const char* value) {
#ifdef _WIN32
  _putenv_s(name, value != nullptr ? value : "");
#else
  if (value != nullptr) {
    ::setenv(name, value, 1);
  } else {
    ::unsetenv(name);
  }
#endif
}

struct QuietProtocol : asyncio::Protocol {};

bool contains(const std::string& s, const std::string& needle) { return s.find(needle) != std::string::npos; }

Coro<> fail_soon() {
  co_await asyncio::sleep(0);
  throw std::runtime_error("boom");
}

Coro<> sleep_long() { co_await asyncio::sleep(10); }

// The line of this file a create_task() call below is on.
std::string here(int line) { return std::string("test_dev.cpp:") + std::to_string(line); }

}  // namespace

TEST_CASE("debug mode: a task's repr says where it was created", "[dev]") {
  LoopFixture f;
  f.loop->set_debug(true);
  std::string repr;
  int line = 0;
  auto body = [&]() -> Coro<> {
    line = __LINE__ + 1;
    auto t = asyncio::create_task(sleep_long());
    repr = t.repr();
    t.cancel();
    co_await asyncio::sleep(0);
  };
  f.loop->run_until_complete(body());
  CHECK(contains(repr, " created at "));
  CHECK(contains(repr, here(line) + ">"));
}

TEST_CASE("without debug mode, reprs do not carry a creation place", "[dev]") {
  LoopFixture f;
  std::string repr;
  auto body = [&]() -> Coro<> {
    auto t = asyncio::create_task(sleep_long());
    repr = t.repr();
    t.cancel();
    co_await asyncio::sleep(0);
  };
  f.loop->run_until_complete(body());
  CHECK_FALSE(contains(repr, "created at"));
}

TEST_CASE("debug mode: loop.create_future records where it was created", "[dev]") {
  LoopFixture f;
  f.loop->set_debug(true);
  const int line = __LINE__ + 1;
  auto fut = f.loop->create_future<int>();
  CHECK(fut.repr() == "<Future pending created at " + std::string(__FILE__) + ":" + std::to_string(line) + ">");
  fut.cancel();
}

TEST_CASE("debug mode: 'Task exception was never retrieved' names where the task was created", "[dev]") {
  LoopFixture f;
  f.expect_report("Task exception was never retrieved");
  f.loop->set_debug(true);
  int line = 0;
  auto body = [&]() -> Coro<> {
    line = __LINE__ + 1;
    asyncio::create_task(fail_soon());  // dropped: its exception is never retrieved
    co_await asyncio::sleep(0.01);
  };
  f.loop->run_until_complete(body());
  f.loop->close();
  REQUIRE(f.errors.size() == 1);
  CHECK(f.errors[0].message == "Task exception was never retrieved");
  const std::string* tb = f.errors[0].get("source_traceback");
  REQUIRE(tb != nullptr);
  CHECK(contains(*tb, "Object created at (most recent call last):\n  File \""));
  CHECK(contains(*tb, "test_dev.cpp\", line " + std::to_string(line) + ", in "));
}

TEST_CASE("debug mode: the default handler logs the source_traceback entry", "[dev]") {
  auto loop = asyncio::new_event_loop();
  loop->set_debug(true);
  test::LogCapture log;
  auto body = []() -> Coro<> {
    asyncio::create_task(fail_soon());
    co_await asyncio::sleep(0.01);
  };
  loop->run_until_complete(body());
  loop->close();
  bool found = false;
  for (const auto& r : log.records) {
    if (contains(r.second, "Task exception was never retrieved")) {
      found = true;
      CHECK(r.first == asyncio::LogLevel::error);
      CHECK(contains(r.second, "\nsource_traceback: Object created at (most recent call last):\n  File \""));
      CHECK(contains(r.second, " created at "));  // the task's repr too
    }
  }
  CHECK(found);
}

TEST_CASE("debug mode: 'Task was destroyed but it is pending!' names where the task was created", "[dev]") {
  LoopFixture f;
  f.expect_report("Task was destroyed but it is pending!");
  f.loop->set_debug(true);
  int line = 0;
  auto body = [&]() -> Coro<> {
    line = __LINE__ + 1;
    asyncio::create_task(sleep_long());
    co_await asyncio::sleep(0);
  };
  f.loop->run_until_complete(body());
  f.loop->close();
  REQUIRE(f.errors.size() == 1);
  CHECK(f.errors[0].message == "Task was destroyed but it is pending!");
  const std::string* tb = f.errors[0].get("source_traceback");
  REQUIRE(tb != nullptr);
  CHECK(contains(*tb, "test_dev.cpp\", line " + std::to_string(line) + ", in "));
}

TEST_CASE("debug mode: TaskGroup.create_task and ensure_future record their caller", "[dev]") {
  LoopFixture f;
  f.loop->set_debug(true);
  std::string group_repr;
  std::string ensure_repr;
  int group_line = 0;
  int ensure_line = 0;
  auto body = [&]() -> Coro<> {
    auto block = [&](asyncio::TaskGroup& g) -> Coro<> {
      group_line = __LINE__ + 1;
      auto t = g.create_task(sleep_long());
      group_repr = t.repr();
      t.cancel();
      co_return;
    };
    auto group = asyncio::task_group(block);
    co_await std::move(group);
    ensure_line = __LINE__ + 1;
    auto e = asyncio::ensure_future(sleep_long());
    ensure_repr = e.repr();
    e.cancel();
    co_await asyncio::sleep(0);
  };
  f.loop->run_until_complete(body());
  CHECK(contains(group_repr, here(group_line)));
  CHECK(contains(ensure_repr, here(ensure_line)));
}

TEST_CASE("debug mode: a slow task step is logged with the task's repr, as CPython words it", "[dev]") {
  LoopFixture f;
  test::LogCapture log;
  f.loop->set_debug(true);
  f.loop->slow_callback_duration = 0.01;
  auto body = []() -> Coro<> {
    std::this_thread::sleep_for(30ms);  // blocks the loop
    co_return;
  };
  f.loop->run_until_complete(body());
  int slow = 0;
  for (const auto& r : log.records) {
    // Python: logger.warning('Executing %s took %.3f seconds', ...)
    if (r.second.rfind("Executing <Task ", 0) == 0 && contains(r.second, " took ") &&
        r.second.size() > 8 && r.second.compare(r.second.size() - 8, 8, " seconds") == 0) {
      CHECK(r.first == asyncio::LogLevel::warning);
      CHECK(contains(r.second, "coro=<"));
      ++slow;
    }
  }
  CHECK(slow == 1);
}

TEST_CASE("debug mode: create_task from another thread raises CPython's RuntimeError", "[dev][threads]") {
  LoopFixture f;
  f.loop->set_debug(true);
  std::string message;
  f.loop->call_soon([&] {
    std::thread other([&] {
      try {
        (void)f.loop->create_task(sleep_long());
      } catch (const asyncio::RuntimeError& e) {
        message = e.what();
      }
    });
    other.join();
    f.loop->stop();
  });
  f.loop->run_forever();
  CHECK(message == "Non-thread-safe operation invoked on an event loop other than the current one");
}

TEST_CASE("debug mode: a slow executor job is logged", "[dev][threads]") {
  LoopFixture f;
  // The worker thread logs too: a capture with a lock (the logger calls
  // its handler from whatever thread logs).
  std::mutex mutex;
  std::vector<std::string> records;
  asyncio::logger().set_handler([&](asyncio::LogLevel, std::string_view msg) {
    std::lock_guard<std::mutex> lock(mutex);
    records.emplace_back(msg);
  });
  f.loop->set_debug(true);
  f.loop->slow_callback_duration = 0.01;
  auto body = [](asyncio::EventLoop& loop) -> Coro<> {
    auto fut = loop.run_in_executor(nullptr, [] { std::this_thread::sleep_for(30ms); });
    co_await std::move(fut);
    auto fast = loop.run_in_executor(nullptr, [] {});
    co_await std::move(fast);
  };
  f.loop->run_until_complete(body(*f.loop));
  f.loop->run_until_complete(f.loop->shutdown_default_executor());
  asyncio::logger().set_handler(nullptr);
  int slow = 0;
  for (const auto& r : records)
    if (contains(r, "() in an executor took ")) ++slow;
  CHECK(slow == 1);
}

TEST_CASE("debug mode: an event loop destroyed unclosed is reported with where it was created", "[dev]") {
  test::LogCapture log;
  int line = 0;
  {
    line = __LINE__ + 1;
    auto loop = asyncio::new_event_loop();
    loop->set_debug(true);
  }
  bool found = false;
  for (const auto& r : log.records) {
    if (r.second.rfind("ResourceWarning: unclosed event loop <EventLoop running=False closed=False debug=True>", 0) ==
        0) {
      found = true;
      CHECK(r.first == asyncio::LogLevel::warning);
      CHECK(contains(r.second, "test_dev.cpp\", line " + std::to_string(line)));
    }
  }
  CHECK(found);
  // Closed loops, and loops outside debug mode, say nothing.
  test::LogCapture quiet;
  {
    auto closed = asyncio::new_event_loop();
    closed->set_debug(true);
    closed->close();
    auto plain = asyncio::new_event_loop();
  }
  CHECK_FALSE(quiet.contains("unclosed"));
}

TEST_CASE("ASYNCIO_DEBUG=1 turns debug mode on for new loops", "[dev]") {
  const char* before = std::getenv("ASYNCIO_DEBUG");
  std::optional<std::string> saved;
  if (before) saved = before;
  set_env("ASYNCIO_DEBUG", "1");
  auto on = asyncio::new_event_loop();
  set_env("ASYNCIO_DEBUG", nullptr);
  auto off = asyncio::new_event_loop();
  if (saved) set_env("ASYNCIO_DEBUG", saved->c_str());
  CHECK(on->get_debug());
  CHECK((saved.has_value() || !off->get_debug()));
  on->close();
  off->close();
}

TEST_CASE("the logger drops records below its level and hands the rest to the sink", "[dev]") {
  test::LogCapture log;
  const asyncio::LogLevel before = asyncio::logger().level();
  asyncio::logger().set_level(asyncio::LogLevel::error);
  asyncio::logger().warning("dropped");
  asyncio::logger().error("kept");
  asyncio::logger().set_level(asyncio::LogLevel::debug);
  asyncio::logger().debug("debug kept");
  asyncio::logger().set_level(before);
  REQUIRE(log.records.size() == 2);
  CHECK(log.records[0].first == asyncio::LogLevel::error);
  CHECK(log.records[0].second == "kept");
  CHECK(log.records[1].first == asyncio::LogLevel::debug);
  CHECK(asyncio::level_name(asyncio::LogLevel::warning) == "WARNING");
}

TEST_CASE("debug mode: a slow callback is logged with the handle's repr, as CPython words it", "[dev]") {
  LoopFixture f;
  test::LogCapture log;
  f.loop->set_debug(true);
  f.loop->slow_callback_duration = 0.01;
  f.loop->call_soon([] { std::this_thread::sleep_for(30ms); });
  f.loop->call_soon([&] { f.loop->stop(); });
  f.loop->run_forever();
  int slow = 0;
  for (const auto& r : log.records) {
    // Python: logger.warning('Executing %s took %.3f seconds', handle, dt)
    if (r.second.rfind("Executing <Handle ", 0) == 0 && contains(r.second, " took ") &&
        r.second.compare(r.second.size() - 8, 8, " seconds") == 0) {
      CHECK(r.first == asyncio::LogLevel::warning);
      ++slow;
    }
  }
  CHECK(slow == 1);
}

TEST_CASE("debug mode: call_soon and call_later from another thread raise CPython's RuntimeError", "[dev][threads]") {
  LoopFixture f;
  f.loop->set_debug(true);
  std::vector<std::string> messages;
  f.loop->call_soon([&] {
    std::thread other([&] {
      try {
        (void)f.loop->call_soon([] {});
      } catch (const asyncio::RuntimeError& e) {
        messages.push_back(e.what());
      }
      try {
        (void)f.loop->call_later(1.0, [] {});
      } catch (const asyncio::RuntimeError& e) {
        messages.push_back(e.what());
      }
    });
    other.join();
    f.loop->stop();
  });
  f.loop->run_forever();
  REQUIRE(messages.size() == 2);
  for (const std::string& m : messages)
    CHECK(m == "Non-thread-safe operation invoked on an event loop other than the current one");
}

namespace {
struct QuietSubprocessProtocol : asyncio::SubprocessProtocol {};
}  // namespace

TEST_CASE("debug mode: a subprocess transport left open when its loop closes is reported", "[dev][subprocess][spawn]") {
  test::LogCapture log;
  {
    LoopFixture f;
    f.expect_open_at_close(5);  // the process and its pipes, on purpose
    f.loop->set_debug(true);
    auto body = [](asyncio::EventLoop& loop) -> Coro<> {
      auto factory = [] { return std::make_shared<QuietSubprocessProtocol>(); };
      auto started = loop.subprocess_exec(factory, {"sleep", "5"});
      auto pair = co_await std::move(started);
      co_await asyncio::sleep(0);
      (void)pair;  // never closed
    };
    f.loop->run_until_complete(body(*f.loop));
    f.loop->close();
  }
  CHECK(log.contains("unclosed transport <"));
}

TEST_CASE("debug mode: a server still serving when its loop closes is reported", "[dev][net]") {
  test::LogCapture log;
  {
    LoopFixture f;
    f.expect_open_at_close(test::kHandlesPerTcpServer);  // the server, on purpose
    f.loop->set_debug(true);
    auto body = [](asyncio::EventLoop& loop) -> Coro<> {
      auto factory = [] { return std::make_shared<QuietProtocol>(); };
      auto made = loop.create_server(factory, "127.0.0.1", 0);
      auto server = co_await std::move(made);
      (void)server;  // never closed
    };
    f.loop->run_until_complete(body(*f.loop));
    f.loop->close();
  }
  CHECK(log.contains("ResourceWarning: unclosed <Server sockets=(<asyncio.TransportSocket"));
  // Without debug mode: nothing.
  test::LogCapture quiet;
  {
    LoopFixture f;
    f.expect_open_at_close(test::kHandlesPerTcpServer);
    auto body = [](asyncio::EventLoop& loop) -> Coro<> {
      auto factory = [] { return std::make_shared<QuietProtocol>(); };
      auto made = loop.create_server(factory, "127.0.0.1", 0);
      auto server = co_await std::move(made);
      (void)server;
    };
    f.loop->run_until_complete(body(*f.loop));
    f.loop->close();
  }
  CHECK_FALSE(quiet.contains("unclosed"));
}
