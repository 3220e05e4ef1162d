// Helpers for tests that drive several tasks: awaiting them all, reading
// how they ended, checking awaited values. Used by the locks and queues
// tests.
#pragma once

#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include <exception>
#include <string>
#include <utility>
#include <vector>

// CHECK(co_await x) keeps Catch's assertion temporaries alive across the
// suspension, which GCC 12 miscompiles: await first, then check.
// (Likewise never write `if (co_await x)` or `while (co_await x)`: GCC 12
// miscompiles a co_await that is an if/while condition.)
#define CO_CHECK(...)                   \
  do {                                  \
    const bool co_check_ = __VA_ARGS__; \
    CHECK(co_check_);                   \
  } while (false)

namespace test {

/// Awaits every task, ignoring how they end (Python:
/// gather(..., return_exceptions=True)). Tasks are passed one by one or as
/// a vector: GCC 12 miscompiles braced lists inside co_await expressions.
template <class T>
asyncio::Coro<> settle(std::vector<asyncio::Task<T>> tasks) {
  for (auto& t : tasks) {
    try {
      co_await t;
    } catch (...) {
    }
  }
}
template <class T, class... More>
asyncio::Coro<> settle(asyncio::Task<T> first, More... more) {
  try {
    co_await first;
  } catch (...) {
  }
  if constexpr (sizeof...(More) > 0) co_await settle(more...);
}

/// The results of the tasks, in order (Python: gather(...)).
template <class T>
asyncio::Coro<std::vector<T>> results_of(std::vector<asyncio::Task<T>> tasks) {
  std::vector<T> out;
  for (auto& t : tasks) out.push_back(co_await t);
  co_return out;
}

/// The message of the CancelledError a done task ended with.
template <class T>
std::string cancel_message(asyncio::Task<T>& task) {
  try {
    task.check_result();
  } catch (const asyncio::CancelledError& e) {
    return e.what();
  } catch (...) {
  }
  return "<not cancelled>";
}

/// True if the task finished with an exception (not cancelled).
template <class T>
bool raised(asyncio::Task<T>& task) {
  return task.done() && !task.cancelled() && task.exception() != nullptr;
}

/// True if the task finished with an exception of type E.
template <class E, class T>
bool raised_as(asyncio::Task<T>& task) {
  if (!raised(task)) return false;
  try {
    std::rethrow_exception(task.exception());
  } catch (const E&) {
    return true;
  } catch (...) {
    return false;
  }
}

/// Runs `blocking` as a task on a new loop until it blocks, then cancels it
/// and closes that loop: what it blocked on is now bound to that loop.
template <class T>
void block_once_in_new_loop(asyncio::Coro<T> blocking) {
  auto other = asyncio::new_event_loop();
  other->run_until_complete([](asyncio::Coro<T> c) -> asyncio::Coro<> {
    auto task = asyncio::create_task(std::move(c));
    co_await asyncio::sleep(0);
    task.cancel();
    co_await settle(task);
  }(std::move(blocking)));
  other->close();
}

/// The message of the RuntimeError running `coro` on `loop` raises ("" if
/// it raises none).
template <class T>
std::string runtime_error_of(asyncio::EventLoop& loop, asyncio::Coro<T> coro) {
  try {
    loop.run_until_complete(std::move(coro));
  } catch (const asyncio::RuntimeError& e) {
    return e.what();
  }
  return "";
}

inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

inline bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace test
