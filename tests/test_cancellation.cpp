// Cancellation messages: when a task is cancelled twice before it wakes up,
// the first request's message is the one delivered, whatever the task
// awaits. CPython's Task.cancel() cancels the awaited future with the first
// message; a later cancel() in the same iteration finds that future done
// and only counts (cancelling()), so the wake-up raises the first message.
// Checked against CPython 3.11 (tests/conformance: cancel_messages.py).
#include <functional>
#include <memory>
#include <string>

#include "support.hpp"

using asyncio::Coro;
using test::LoopFixture;

namespace {

// What the cancelled coroutine saw and what its awaiter saw.
struct Seen {
  std::string inner = "<none>";
  std::string outer = "<none>";
  int cancelling = -1;
};

// Awaits what `make` builds, recording the CancelledError's message.
Coro<> await_recording(std::function<Coro<>()> make, std::string& inner) {
  try {
    Coro<> c = make();
    co_await std::move(c);
  } catch (const asyncio::CancelledError& e) {
    inner = e.what();
    throw;
  }
}

// Starts a task awaiting make(), lets it suspend, then cancels it with
// `first` and then `second` (std::nullopt: no message) in one iteration.
Seen cancel_twice(LoopFixture& f, std::function<Coro<>()> make, std::optional<std::string> second,
                  bool before_first_step = false, int iterations = 1) {
  Seen seen;
  auto task = f.loop->create_task(await_recording(std::move(make), seen.inner));
  if (!before_first_step)
    for (int i = 0; i < iterations; ++i) f.run_briefly();
  task.cancel("first");
  if (second)
    task.cancel(*second);
  else
    task.cancel();
  try {
    f.loop->run_until_complete(task);
  } catch (const asyncio::CancelledError& e) {
    seen.outer = e.what();
  }
  seen.cancelling = static_cast<int>(task.cancelling());
  return seen;
}

Coro<> sleep_long() { co_await asyncio::sleep(3600); }

}  // namespace

TEST_CASE("cancel('first') then cancel('second') delivers 'first' to a task in sleep()", "[tasks][cancellation]") {
  LoopFixture f;
  Seen s = cancel_twice(f, [] { return sleep_long(); }, "second");
  CHECK(s.inner == "first");
  CHECK(s.outer == "first");
  CHECK(s.cancelling == 2);
}

TEST_CASE("cancel('first') then cancel() keeps 'first' for a task in sleep()", "[tasks][cancellation]") {
  LoopFixture f;
  Seen s = cancel_twice(f, [] { return sleep_long(); }, std::nullopt);
  CHECK(s.inner == "first");
  CHECK(s.outer == "first");
}

TEST_CASE("a task cancelled twice before its first step gets the second message, as CPython",
          "[tasks][cancellation]") {
  // Python: no future is awaited yet, so the second cancel() replaces the
  // pending message (Task._cancel_message); the coroutine never runs.
  LoopFixture f;
  Seen s = cancel_twice(f, [] { return sleep_long(); }, "second", /*before_first_step=*/true);
  CHECK(s.inner == "<none>");
  CHECK(s.outer == "second");
}

TEST_CASE("cancel twice delivers 'first' to a task awaiting a future", "[futures][cancellation]") {
  LoopFixture f;
  for (std::optional<std::string> second : {std::optional<std::string>("second"), std::optional<std::string>()}) {
    auto fresh = f.loop->create_future<int>();
    auto m = [fresh]() -> Coro<> {
      auto copy = fresh;
      (void)co_await copy;
    };
    Seen s = cancel_twice(f, m, second);
    CHECK(s.inner == "first");
    CHECK(s.outer == "first");
    CHECK(fresh.cancelled());
  }
}

TEST_CASE("cancel twice delivers 'first' to a task awaiting another task", "[tasks][cancellation]") {
  LoopFixture f;
  auto inner = f.loop->create_task(sleep_long());
  auto m = [inner]() -> Coro<> {
    auto copy = inner;
    co_await copy;
  };
  Seen s = cancel_twice(f, m, "second");
  CHECK(s.inner == "first");
  CHECK(s.outer == "first");
  CHECK(inner.cancelled());
}

TEST_CASE("cancel twice delivers 'first' to a task waiting for a Lock", "[locks][cancellation]") {
  LoopFixture f;
  asyncio::Lock lock;
  auto hold = [&lock]() -> Coro<> { co_await lock.acquire(); };
  f.loop->run_until_complete(hold());
  auto m = [&lock]() -> Coro<> { co_await lock.acquire(); };
  Seen s = cancel_twice(f, m, "second");
  CHECK(s.inner == "first");
  CHECK(s.outer == "first");
  lock.release();
}

TEST_CASE("cancel twice delivers 'first' to a task waiting on an Event, a Condition, a Semaphore, a Barrier",
          "[locks][cancellation]") {
  LoopFixture f;
  asyncio::Event event;
  asyncio::Condition cond;
  asyncio::Semaphore sem(0);
  asyncio::Barrier barrier(2);
  std::vector<std::function<Coro<>()>> makers{
      [&event]() -> Coro<> { co_await event.wait(); },
      [&cond]() -> Coro<> {
        co_await cond.acquire();
        auto w = cond.wait();
        co_await std::move(w);
      },
      [&sem]() -> Coro<> { co_await sem.acquire(); },
      [&barrier]() -> Coro<> {
        auto w = barrier.wait();
        (void)co_await std::move(w);
      },
  };
  for (auto& make : makers) {
    Seen s = cancel_twice(f, make, "second");
    CHECK(s.inner == "first");
    CHECK(s.outer == "first");
  }
}

TEST_CASE("cancel twice delivers 'first' to a task reading a StreamReader", "[streams][cancellation]") {
  LoopFixture f;
  asyncio::StreamReader reader;
  std::vector<std::function<Coro<>()>> makers{
      [&reader]() -> Coro<> { (void)co_await reader.readline(); },
      [&reader]() -> Coro<> { (void)co_await reader.read(10); },
      [&reader]() -> Coro<> { (void)co_await reader.readexactly(10); },
      [&reader]() -> Coro<> { (void)co_await reader.readuntil("!"); },
  };
  for (auto& make : makers) {
    Seen s = cancel_twice(f, make, "second");
    CHECK(s.inner == "first");
    CHECK(s.outer == "first");
    CHECK(s.cancelling == 2);
  }
}

TEST_CASE("cancel twice delivers 'first' to a task in Queue.get() and Queue.put()", "[queues][cancellation]") {
  LoopFixture f;
  asyncio::Queue<int> empty;
  asyncio::Queue<int> full(1);
  full.put_nowait(1);
  auto get = [&empty]() -> Coro<> { (void)co_await empty.get(); };
  auto put = [&full]() -> Coro<> { co_await full.put(2); };
  for (auto make : {std::function<Coro<>()>(get), std::function<Coro<>()>(put)}) {
    Seen s = cancel_twice(f, make, "second");
    CHECK(s.inner == "first");
    CHECK(s.outer == "first");
  }
}

TEST_CASE("cancel twice delivers 'first' through gather, shield, wait_for and timeout",
          "[tasks][cancellation]") {
  LoopFixture f;
  std::vector<asyncio::Task<void>> inners;
  std::vector<std::function<Coro<>()>> makers{
      [&f, &inners]() -> Coro<> {
        // Children already started (their sleeps are what gets cancelled).
        inners.push_back(f.loop->create_task(sleep_long()));
        inners.push_back(f.loop->create_task(sleep_long()));
        co_await asyncio::sleep(0);
        auto g = asyncio::gather(inners[inners.size() - 2], inners.back());
        (void)co_await std::move(g);
      },
      [&f, &inners]() -> Coro<> {
        inners.push_back(f.loop->create_task(sleep_long()));
        auto s = asyncio::shield(inners.back());
        co_await std::move(s);
      },
      []() -> Coro<> {
        auto w = asyncio::wait_for(sleep_long(), 5.0);
        co_await std::move(w);
      },
      []() -> Coro<> {
        auto t = asyncio::timeout(5.0, sleep_long());
        co_await std::move(t);
      },
  };
  const char* names[] = {"gather", "shield", "wait_for", "timeout"};
  for (std::size_t i = 0; i < makers.size(); ++i) {
    INFO(names[i]);
    Seen s = cancel_twice(f, makers[i], "second", false, i == 0 ? 2 : 1);
    CHECK(s.inner == "first");
    CHECK(s.outer == "first");
  }
  for (auto& t : inners) t.cancel();
  f.run_briefly();
}

TEST_CASE("gather whose children have not started yet passes the second message on, as CPython",
          "[tasks][cancellation]") {
  // Python: the children's first cancel() finds no awaited future, so the
  // second replaces the message their unstarted coroutines will get.
  LoopFixture f;
  auto make = []() -> Coro<> {
    auto g = asyncio::gather(sleep_long(), sleep_long());
    (void)co_await std::move(g);
  };
  Seen s = cancel_twice(f, make, "second");
  CHECK(s.inner == "second");
  CHECK(s.outer == "second");
}
