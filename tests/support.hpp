// Helpers shared by the tests.
#pragma once

#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace test {

/// A fresh loop for one test; closed (and checked) at the end.
struct LoopFixture {
  std::shared_ptr<asyncio::EventLoop> loop;
  std::vector<std::string> events;
  std::vector<asyncio::ExceptionContext> errors;

  LoopFixture() : LoopFixture(asyncio::new_event_loop()) {}
  /// The same around a loop of the test's (e.g. a virtual-time loop).
  explicit LoopFixture(std::shared_ptr<asyncio::EventLoop> l) : loop(std::move(l)) {
    loop->set_exception_handler(
        [this](asyncio::EventLoop&, const asyncio::ExceptionContext& c) { errors.push_back(c); });
  }
  ~LoopFixture() {
    if (!loop->is_closed()) loop->close();
  }
  /// A callback appending `what` to events.
  auto record(std::string what) {
    return [this, what = std::move(what)] { events.push_back(what); };
  }
  /// Runs one loop iteration (Python's test_utils.run_briefly).
  void run_briefly() {
    loop->call_soon([this] { loop->stop(); });
    loop->run_forever();
  }
};

/// LoopFixture on a virtual clock (asyncio::testing): timers fire in
/// deadline order at once, whatever the machine's load, so tests of
/// timeouts and sleeps neither wait nor flake. Simulate a busy loop with
/// clock().advance(seconds) instead of sleeping the thread.
struct VirtualLoopFixture : LoopFixture {
  VirtualLoopFixture() : LoopFixture(asyncio::testing::new_virtual_time_loop()) {}
  asyncio::testing::VirtualClock& clock() { return *asyncio::testing::virtual_clock(*loop); }
};

/// Collects what the asyncio logger receives while alive.
struct LogCapture {
  std::vector<std::pair<asyncio::LogLevel, std::string>> records;
  LogCapture() {
    asyncio::logger().set_handler([this](asyncio::LogLevel level, std::string_view msg) {
      records.emplace_back(level, std::string(msg));
    });
  }
  ~LogCapture() { asyncio::logger().set_handler(nullptr); }
  bool contains(const std::string& needle) const {
    for (const auto& r : records)
      if (r.second.find(needle) != std::string::npos) return true;
    return false;
  }
};

/// The message of the exception in `e` (what()).
inline std::string message_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (const asyncio::BaseException& ex) {
    return ex.what();
  } catch (...) {
    return "?";
  }
}

/// Sleeps `delay` seconds, then returns `v`: the trivial child task of the
/// task and combinator tests.
inline asyncio::Coro<int> value_after(double delay, int v) {
  co_await asyncio::sleep(delay);
  co_return v;
}

}  // namespace test
