// Helpers shared by the tests.
#pragma once

#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include <cstddef>
#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace test {

/// A fresh loop for one test, strict about how the test leaves it. When the
/// fixture goes away it closes the loop (unless the test did) and fails the
/// test on:
///   - any exception-handler report the test did not declare with
///     expect_report() (a pending task destroyed by close() is reported as
///     "Task was destroyed but it is pending!": expect that too);
///   - a declared report that did not come, or came a different number of
///     times;
///   - transports or servers still open when the loop closed (the test must
///     close them, as libuv's tests require uv_loop_close() == 0), unless
///     declared with expect_open_at_close();
///   - close() raising (the libuv backend checks uv_loop_close()).
/// Every report is also in `errors`, for the test to inspect.
///
///   test::LoopFixture f;
///   f.expect_report("Task exception was never retrieved");
///   ... run something that loses an exception ...
///   CHECK(f.errors.at(0).exception != nullptr);
struct LoopFixture {
  std::shared_ptr<asyncio::EventLoop> loop;
  std::vector<std::string> events;
  std::vector<asyncio::ExceptionContext> errors;

  LoopFixture() : LoopFixture(asyncio::new_event_loop()) {}
  /// The same checks around a loop of the test's (e.g. a virtual-time loop,
  /// or one on a backend of its own).
  explicit LoopFixture(std::shared_ptr<asyncio::EventLoop> l) : loop(std::move(l)) {
    loop->set_exception_handler(
        [this](asyncio::EventLoop&, const asyncio::ExceptionContext& c) { errors.push_back(c); });
  }
  LoopFixture(const LoopFixture&) = delete;
  LoopFixture& operator=(const LoopFixture&) = delete;
  ~LoopFixture() { check_and_close(); }

  /// Declares that the test expects `count` exception-handler reports whose
  /// message starts with `message` (in any order among the others).
  void expect_report(std::string message, std::size_t count = 1) {
    expected_.push_back({std::move(message), count, count});
  }
  /// The same, for a report that comes one or more times (a retry loop).
  void expect_repeated_report(std::string message) {
    expected_.push_back({std::move(message), 1, static_cast<std::size_t>(-1)});
  }
  /// Declares that `count` OS handles (transports, servers) are expected to
  /// be still open when the loop closes (tests of what close() does to them).
  void expect_open_at_close(std::size_t count) { expected_open_ = count; }

  /// A callback appending `what` to events.
  auto record(std::string what) {
    return [this, what = std::move(what)] { events.push_back(what); };
  }
  /// Runs one loop iteration (Python's test_utils.run_briefly).
  void run_briefly() {
    loop->call_soon([this] { loop->stop(); });
    loop->run_forever();
  }

 private:
  struct Expected {
    std::string prefix;
    std::size_t min;
    std::size_t max;
  };

  static std::string describe(const asyncio::ExceptionContext& c) {
    std::string out = "\"" + c.message + "\"";
    if (c.exception) out += " (" + asyncio::describe_exception(c.exception) + ")";
    if (c.task) out += " task " + c.task->repr();
    return out;
  }

  void check_and_close() {
    if (loop->is_running()) return;  // a test that threw out of a callback: nothing sensible to check
    std::string close_error;
    try {
      loop->close();
    } catch (...) {
      close_error = asyncio::describe_exception(std::current_exception());
    }
    // A test already failing by an exception gets no more reports.
    if (std::uncaught_exceptions() > 0) return;
    if (!close_error.empty()) FAIL_CHECK("closing the loop raised " << close_error);

    std::vector<bool> matched(errors.size(), false);
    for (const Expected& e : expected_) {
      std::size_t n = 0;
      for (std::size_t i = 0; i < errors.size(); ++i) {
        if (!matched[i] && errors[i].message.rfind(e.prefix, 0) == 0) {
          matched[i] = true;
          ++n;
        }
      }
      if (n < e.min || n > e.max) {
        FAIL_CHECK("expected " << (e.min == e.max ? std::to_string(e.min) : "some") << " report(s) \"" << e.prefix
                               << "...\", got " << n);
      }
    }
    for (std::size_t i = 0; i < errors.size(); ++i) {
      if (!matched[i]) FAIL_CHECK("unexpected exception-handler report: " << describe(errors[i]));
    }
    const std::vector<std::string> open = loop->backend().open_at_close();
    if (open.size() != expected_open_) {
      std::string what;
      for (const std::string& o : open) what += (what.empty() ? "" : ", ") + o;
      FAIL_CHECK(open.size() << " OS handle(s) still open when the loop closed (expected " << expected_open_
                             << "): " << what << " (close transports and servers before the test ends)");
    }
  }

  std::vector<Expected> expected_;
  std::size_t expected_open_ = 0;
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
