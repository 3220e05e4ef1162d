// Synchronization primitives: Lock, Event, Condition, Semaphore,
// BoundedSemaphore, Barrier, and the hold() guard. Python: test_locks.py
// (each CPython test is ported where C++ can express it; the
// "Python:" comments name the original).
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support.hpp"
#include "task_helpers.hpp"

using asyncio::Coro;
using asyncio::Task;
using test::cancel_message;
using test::contains;
using test::ends_with;
using test::LoopFixture;
using test::raised;
using test::raised_as;
using test::results_of;
using test::settle;

namespace {

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// CPython's STR_RGX_REPR, by hand: "<... object at ...[STATE]>" where STATE
// is a state word, then optionally ", value:N", ", waiters:N" and (for a
// Barrier) ", waiters:N/M", in that order.
bool repr_matches(const std::string& repr) {
  const std::size_t at = repr.find(" object at ");
  const std::size_t open = repr.find('[', at == std::string::npos ? 0 : at);
  if (repr.rfind('<', 0) != 0 || at == std::string::npos || open == std::string::npos || !ends_with(repr, "]>"))
    return false;
  std::vector<std::string> parts;
  const std::string extras = repr.substr(open + 1, repr.size() - open - 3);
  for (std::size_t start = 0;;) {
    const std::size_t comma = extras.find(", ", start);
    parts.push_back(extras.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 2;
  }
  static const std::vector<std::string> states{"set",      "unset",    "locked",    "unlocked",
                                               "filling", "draining", "resetting", "broken"};
  if (std::find(states.begin(), states.end(), parts[0]) == states.end()) return false;
  std::size_t i = 1;
  if (i < parts.size() && parts[i].rfind("value:", 0) == 0) {
    if (!all_digits(parts[i].substr(6))) return false;
    ++i;
  }
  if (i < parts.size() && parts[i].rfind("waiters:", 0) == 0) {
    const std::string n = parts[i].substr(8);
    const std::size_t slash = n.find('/');
    const bool ok = slash == std::string::npos ? all_digits(n)
                                               : all_digits(n.substr(0, slash)) && all_digits(n.substr(slash + 1));
    if (!ok) return false;
    ++i;
  }
  return i == parts.size();
}

// Python: asyncio.create_task(lock.acquire()) and friends.
template <class P>
Coro<bool> acquire_of(P& primitive) {
  co_return co_await primitive.acquire();
}
Coro<bool> wait_of(asyncio::Event& event) { co_return co_await event.wait(); }

}  // namespace

// ============================================================== Lock

TEST_CASE("Lock repr shows locked and unlocked", "[locks]") {
  // Python: LockTests.test_repr
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Lock lock;
    CHECK(ends_with(lock.repr(), "[unlocked]>"));
    CHECK(repr_matches(lock.repr()));
    CHECK(contains(lock.repr(), "<asyncio.locks.Lock object at 0x"));
    co_await lock.acquire();
    CHECK(ends_with(lock.repr(), "[locked]>"));
    CHECK(repr_matches(lock.repr()));
    lock.release();
  }());
}

Coro<bool> record_after_acquire(asyncio::Lock& lock, std::vector<int>& result, int tag) {
  // (Not `if (co_await ...)`: GCC 12 miscompiles a co_await that is the
  // condition of an if or while statement; bind the result first.)
  const bool acquired = co_await lock.acquire();
  if (acquired) result.push_back(tag);
  co_return true;
}

TEST_CASE("Lock wakes one waiter per release in FIFO order", "[locks]") {
  // Python: LockTests.test_acquire
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Lock lock;
    std::vector<int> result;
    CO_CHECK(co_await lock.acquire());
    auto t1 = asyncio::create_task(record_after_acquire(lock, result, 1));
    auto t2 = asyncio::create_task(record_after_acquire(lock, result, 2));
    co_await asyncio::sleep(0);
    CHECK(result.empty());
    lock.release();
    co_await asyncio::sleep(0);
    CHECK((result == std::vector<int>{1}));
    co_await asyncio::sleep(0);
    CHECK((result == std::vector<int>{1}));
    auto t3 = asyncio::create_task(record_after_acquire(lock, result, 3));
    lock.release();
    co_await asyncio::sleep(0);
    CHECK((result == std::vector<int>{1, 2}));
    lock.release();
    co_await asyncio::sleep(0);
    CHECK((result == std::vector<int>{1, 2, 3}));
    CHECK((t1.done() && t1.result()));
    CHECK((t2.done() && t2.result()));
    CHECK((t3.done() && t3.result()));
    lock.release();
  }());
}

TEST_CASE("Lock acquire cancelled while waiting raises CancelledError and leaves no waiter", "[locks]") {
  // Python: LockTests.test_acquire_cancel
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Lock lock;
    CO_CHECK(co_await lock.acquire());
    auto task = asyncio::create_task(acquire_of(lock));
    asyncio::get_running_loop().call_soon([task]() mutable { task.cancel(); });
    bool cancelled = false;
    try {
      co_await task;
    } catch (const asyncio::CancelledError&) {
      cancelled = true;
    }
    CHECK(cancelled);
    CHECK_FALSE(contains(lock.repr(), "waiters"));
    CHECK(lock.locked());
    lock.release();
  }());
}

Coro<> lock_then_block(asyncio::Lock& lock, std::optional<asyncio::Future<void>> blocker) {
  co_await lock.acquire();
  try {
    if (blocker) co_await *blocker;
  } catch (...) {
    lock.release();
    throw;
  }
  lock.release();
}

TEST_CASE("Lock release skips a waiter cancelled in the same iteration", "[locks]") {
  // Python: LockTests.test_cancel_race
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Lock lock;
    auto fa = asyncio::get_running_loop().create_future<void>();
    auto ta = asyncio::create_task(lock_then_block(lock, fa));
    co_await asyncio::sleep(0);
    CHECK(lock.locked());
    auto tb = asyncio::create_task(lock_then_block(lock, std::nullopt));
    co_await asyncio::sleep(0);
    CHECK(contains(lock.repr(), "waiters:1"));
    auto tc = asyncio::create_task(lock_then_block(lock, std::nullopt));
    co_await asyncio::sleep(0);
    CHECK(contains(lock.repr(), "waiters:2"));
    // A releases (when it runs) while B's wait is being cancelled.
    fa.set_result();
    tb.cancel();
    co_await asyncio::sleep(0);
    CHECK_FALSE(lock.locked());
    CHECK(ta.done());
    CHECK(tb.cancelled());
    co_await tc;
    CHECK_FALSE(lock.locked());
  }());
}

TEST_CASE("Lock cancelling a waiter and releasing together grants the lock once", "[locks]") {
  // Python: LockTests.test_cancel_release_race (bpo-32734)
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Lock lock;
    int lock_count = 0;
    int call_count = 0;
    auto lockit = [](asyncio::Lock& l, int& calls, int& locks) -> Coro<> {
      ++calls;
      co_await l.acquire();
      ++locks;
    };
    co_await lock.acquire();
    auto t1 = asyncio::create_task(lockit(lock, call_count, lock_count));
    auto t2 = asyncio::create_task(lockit(lock, call_count, lock_count));
    auto t3 = asyncio::create_task(lockit(lock, call_count, lock_count));
    co_await asyncio::sleep(0);
    asyncio::get_running_loop().call_soon([&lock, t1]() mutable {
      t1.cancel();
      lock.release();
    });
    bool cancelled = false;
    try {
      co_await t1;
    } catch (const asyncio::CancelledError&) {
      cancelled = true;
    }
    CHECK(cancelled);
    CHECK(lock_count == 1);
    CHECK(call_count == 3);
    CHECK((t1.cancelled() && t2.done()));
    t3.cancel();
    co_await asyncio::sleep(0);
    CHECK(t3.cancelled());
    lock.release();
  }());
}

TEST_CASE("Lock waiter woken then cancelled passes the lock to the next waiter", "[locks]") {
  // Python: LockTests.test_finished_waiter_cancelled
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Lock lock;
    co_await lock.acquire();
    CHECK(lock.locked());
    auto tb = asyncio::create_task(acquire_of(lock));
    co_await asyncio::sleep(0);
    CHECK(contains(lock.repr(), "waiters:1"));
    auto tc = asyncio::create_task(acquire_of(lock));
    tb.cancel();
    lock.release();
    co_await asyncio::sleep(0);
    CHECK(lock.locked());
    CHECK(tb.cancelled());
    CO_CHECK(co_await tc);
    lock.release();
  }());
}

TEST_CASE("Lock waiter woken then cancelled before running raises CancelledError and the next gets the lock",
          "[locks]") {
  // The grant is passed on when the cancelled waiter runs (Python's
  // except branch of Lock.acquire), one iteration later.
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Lock lock;
    co_await lock.acquire();
    auto tb = asyncio::create_task(acquire_of(lock));
    auto tc = asyncio::create_task(acquire_of(lock));
    co_await asyncio::sleep(0);
    lock.release();  // wakes B
    tb.cancel("late");
    co_await asyncio::sleep(0);  // B runs: CancelledError, wakes C
    CHECK(tb.cancelled());
    CHECK(cancel_message(tb) == std::string("late"));
    CHECK_FALSE(lock.locked());
    CHECK_FALSE(tc.done());
    co_await asyncio::sleep(0);
    CHECK(tc.done());
    CHECK(lock.locked());
    lock.release();
  }());
}

TEST_CASE("Lock release of an unlocked lock raises RuntimeError", "[locks]") {
  // Python: LockTests.test_release_not_acquired
  asyncio::Lock lock;
  CHECK_THROWS_AS(lock.release(), asyncio::RuntimeError);
  CHECK_THROWS_WITH(lock.release(), "Lock is not acquired.");
}

TEST_CASE("Lock release without waiters unlocks", "[locks]") {
  // Python: LockTests.test_release_no_waiters
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Lock lock;
    co_await lock.acquire();
    CHECK(lock.locked());
    lock.release();
    CHECK_FALSE(lock.locked());
  }());
}

TEST_CASE("Lock acquire on a free lock does not yield to the loop", "[locks]") {
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Lock lock;
    bool ran = false;
    asyncio::get_running_loop().call_soon([&ran] { ran = true; });
    CO_CHECK(co_await lock.acquire());
    CHECK_FALSE(ran);
    lock.release();
    co_await asyncio::sleep(0);
    CHECK(ran);
  }());
}

TEST_CASE("Lock does not let a newcomer barge past a woken waiter", "[locks]") {
  // The fast path requires no live waiter: between release() and the woken
  // waiter's step the lock is unlocked but still taken by nobody else.
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Lock lock;
    std::vector<int> order;
    co_await lock.acquire();
    auto first = asyncio::create_task(record_after_acquire(lock, order, 1));
    co_await asyncio::sleep(0);
    lock.release();
    CHECK_FALSE(lock.locked());
    auto second = asyncio::create_task(record_after_acquire(lock, order, 2));
    co_await asyncio::sleep(0);
    CHECK((order == std::vector<int>{1}));
    CHECK(contains(lock.repr(), "waiters:1"));
    lock.release();
    co_await second;
    CHECK((order == std::vector<int>{1, 2}));
    CHECK(first.done());
    lock.release();
  }());
}

TEST_CASE("Lock acquire skips the line when every waiter is cancelled", "[locks]") {
  // Python's fast path: not locked and all waiters cancelled.
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Lock lock;
    co_await lock.acquire();
    auto waiter = asyncio::create_task(acquire_of(lock));
    co_await asyncio::sleep(0);
    waiter.cancel();
    lock.release();  // the only waiter is cancelled: nobody to wake
    CHECK(contains(lock.repr(), "waiters:1"));
    bool ran = false;
    asyncio::get_running_loop().call_soon([&ran] { ran = true; });
    CO_CHECK(co_await lock.acquire());  // no wait despite the queued node
    CHECK_FALSE(ran);
    co_await asyncio::sleep(0);
    CHECK(waiter.cancelled());
    lock.release();
  }());
}

TEST_CASE("Lock cancellation message reaches the waiting task", "[locks]") {
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Lock lock;
    co_await lock.acquire();
    auto waiter = asyncio::create_task(acquire_of(lock));
    co_await asyncio::sleep(0);
    const bool accepted = waiter.cancel("stop waiting");
    CHECK(accepted);
    co_await settle(waiter);
    CHECK(waiter.cancelled());
    CHECK(cancel_message(waiter) == std::string("stop waiting"));
    lock.release();
  }());
}

TEST_CASE("Lock cancelled before it starts waiting never waits", "[locks]") {
  // The task cancels itself, then awaits: the wait is cancelled at once
  // (Python: Task.__step cancels the new _fut_waiter).
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Lock lock;
    co_await lock.acquire();
    auto self_cancelling = [](asyncio::Lock& l) -> Coro<bool> {
      asyncio::current_task()->cancel();
      co_return co_await l.acquire();
    };
    auto t = asyncio::create_task(self_cancelling(lock));
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    CHECK(t.cancelled());
    CHECK_FALSE(contains(lock.repr(), "waiters"));
    lock.release();
  }());
}

TEST_CASE("Lock hold guard releases at the end of its scope", "[locks]") {
  // Python: LockTests.test_context_manager (async with lock)
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Lock lock;
    CHECK_FALSE(lock.locked());
    {
      auto held = co_await asyncio::hold(lock);
      CHECK(lock.locked());
      CHECK(held.holds());
    }
    CHECK_FALSE(lock.locked());
  }());
}

TEST_CASE("Lock hold guard releases when an exception leaves the scope", "[locks]") {
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Lock lock;
    bool caught = false;
    try {
      auto held = co_await asyncio::hold(lock);
      throw asyncio::ValueError("inside");
    } catch (const asyncio::ValueError&) {
      caught = true;
      CHECK_FALSE(lock.locked());
    }
    CHECK(caught);
  }());
}

TEST_CASE("Lock hold guard can release early and be moved", "[locks]") {
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Lock lock;
    auto held = co_await asyncio::hold(lock);
    asyncio::Held<asyncio::Lock> moved = std::move(held);
    CHECK_FALSE(held.holds());
    CHECK(moved.holds());
    CHECK(lock.locked());
    moved.release();
    CHECK_FALSE(lock.locked());
    CHECK_FALSE(moved);
    CHECK_THROWS_AS(moved.release(), asyncio::RuntimeError);
  }());
}

TEST_CASE("Lock hold guard logs when the lock was already released", "[locks]") {
  test::LogCapture log;
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Lock lock;
    auto held = co_await asyncio::hold(lock);
    lock.release();  // behind the guard's back
  }());
  CHECK(log.contains("Lock is not acquired."));
}

TEST_CASE("Lock hold cancelled while waiting holds nothing", "[locks]") {
  // Python: async with lock: cancelled in __aenter__ never runs __aexit__.
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Lock lock;
    co_await lock.acquire();
    bool body_ran = false;
    auto guarded = [](asyncio::Lock& l, bool& ran) -> Coro<> {
      auto held = co_await asyncio::hold(l);
      ran = true;
    };
    auto t = asyncio::create_task(guarded(lock, body_ran));
    co_await asyncio::sleep(0);
    t.cancel();
    co_await settle(t);
    CHECK(t.cancelled());
    CHECK_FALSE(body_ran);
    CHECK(lock.locked());  // still ours: the guard released nothing
    lock.release();
  }());
}

TEST_CASE("Lock blocked in another loop is bound to it", "[locks]") {
  // Python: _LoopBoundMixin: "... is bound to a different event loop"
  asyncio::Lock lock;
  LoopFixture f;
  f.loop->run_until_complete(acquire_of(lock));  // uncontended: binds nothing
  test::block_once_in_new_loop(acquire_of(lock));
  const std::string message = test::runtime_error_of(*f.loop, acquire_of(lock));
  CHECK(contains(message, "<asyncio.locks.Lock object at 0x"));
  CHECK(ends_with(message, "[locked]> is bound to a different event loop"));
  lock.release();
  // Uncontended use needs no loop at all, from any loop.
  f.loop->run_until_complete(acquire_of(lock));
  lock.release();
}

TEST_CASE("Lock waiter destroyed with its loop leaves the lock usable", "[locks]") {
  asyncio::Lock lock;
  {
    LoopFixture f;
    f.expect_report("Task was destroyed but it is pending!");
    f.loop->run_until_complete([](asyncio::Lock& l) -> Coro<> {
      co_await l.acquire();
      (void)asyncio::create_task(acquire_of(l));
      co_await asyncio::sleep(0);
    }(lock));
    CHECK(contains(lock.repr(), "waiters:1"));
    f.loop->close();  // destroys the pending task, unlinking its wait
    CHECK(f.errors.size() == 1);
  }
  CHECK_FALSE(contains(lock.repr(), "waiters"));
  lock.release();
  CHECK_FALSE(lock.locked());
}

// ============================================================== Event

TEST_CASE("Event repr shows set and unset and waiters", "[locks]") {
  // Python: EventTests.test_repr
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Event ev;
    CHECK(ends_with(ev.repr(), "[unset]>"));
    CHECK(repr_matches(ev.repr()));
    ev.set();
    CHECK(ends_with(ev.repr(), "[set]>"));
    ev.clear();
    auto t = asyncio::create_task(wait_of(ev));
    co_await asyncio::sleep(0);
    CHECK(contains(ev.repr(), "[unset, waiters:1]"));
    CHECK(repr_matches(ev.repr()));
    ev.set();
    co_await t;
  }());
}

Coro<> record_after_event(asyncio::Event& ev, std::vector<int>& result, int tag) {
  const bool set = co_await ev.wait();
  if (set) result.push_back(tag);
}

TEST_CASE("Event set wakes every waiter in order after tasks already scheduled", "[locks]") {
  // Python: EventTests.test_wait
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Event ev;
    CHECK_FALSE(ev.is_set());
    std::vector<int> result;
    auto t1 = asyncio::create_task(record_after_event(ev, result, 1));
    auto t2 = asyncio::create_task(record_after_event(ev, result, 2));
    co_await asyncio::sleep(0);
    CHECK(result.empty());
    auto t3 = asyncio::create_task(record_after_event(ev, result, 3));
    ev.set();
    co_await asyncio::sleep(0);
    CHECK((result == std::vector<int>{3, 1, 2}));
    CHECK(t1.done());
    CHECK(t2.done());
    CHECK(t3.done());
  }());
}

TEST_CASE("Event wait on a set event returns true without yielding", "[locks]") {
  // Python: EventTests.test_wait_on_set
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Event ev;
    ev.set();
    bool ran = false;
    asyncio::get_running_loop().call_soon([&ran] { ran = true; });
    CO_CHECK(co_await ev.wait());
    CHECK_FALSE(ran);
    co_await asyncio::sleep(0);
  }());
}

TEST_CASE("Event wait cancelled raises CancelledError and leaves no waiter", "[locks]") {
  // Python: EventTests.test_wait_cancel
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Event ev;
    auto wait = asyncio::create_task(wait_of(ev));
    asyncio::get_running_loop().call_soon([wait]() mutable { wait.cancel("bye"); });
    bool cancelled = false;
    try {
      co_await wait;
    } catch (const asyncio::CancelledError& e) {
      cancelled = true;
      CHECK(std::string(e.what()) == std::string("bye"));
    }
    CHECK(cancelled);
    CHECK_FALSE(contains(ev.repr(), "waiters"));
  }());
}

TEST_CASE("Event clear resets the flag", "[locks]") {
  // Python: EventTests.test_clear
  asyncio::Event ev;
  CHECK_FALSE(ev.is_set());
  ev.set();
  CHECK(ev.is_set());
  ev.clear();
  CHECK_FALSE(ev.is_set());
}

TEST_CASE("Event set then clear still wakes the waiter once", "[locks]") {
  // Python: EventTests.test_clear_with_waiters
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Event ev;
    std::vector<int> result;
    auto t = asyncio::create_task(record_after_event(ev, result, 1));
    co_await asyncio::sleep(0);
    CHECK(result.empty());
    ev.set();
    ev.clear();
    CHECK_FALSE(ev.is_set());
    ev.set();
    ev.set();
    co_await asyncio::sleep(0);
    CHECK((result == std::vector<int>{1}));
    CHECK_FALSE(contains(ev.repr(), "waiters"));
    CHECK(t.done());
  }());
}

TEST_CASE("Event waiter cancelled after set raises CancelledError", "[locks]") {
  // The waiter's future is done when cancel() comes: Task.cancel() marks
  // the task and its next step raises CancelledError.
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Event ev;
    auto t = asyncio::create_task(wait_of(ev));
    co_await asyncio::sleep(0);
    ev.set();
    const bool accepted = t.cancel("after set");
    CHECK(accepted);
    co_await settle(t);
    CHECK(t.cancelled());
    CHECK(cancel_message(t) == std::string("after set"));
  }());
}

TEST_CASE("Event waiter cancelled then uncancelled still raises CancelledError", "[locks]") {
  // As in CPython 3.13: the wait itself was cancelled; uncancel() only
  // withdraws the request count.
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Event ev;
    auto t = asyncio::create_task(wait_of(ev));
    co_await asyncio::sleep(0);
    t.cancel();
    CHECK(t.uncancel() == 0);
    co_await settle(t);
    CHECK(t.cancelled());
  }());
}

TEST_CASE("Event wait by a task that cancelled itself raises CancelledError without waiting", "[locks]") {
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Event ev;
    auto self_cancelling = [](asyncio::Event& e) -> Coro<bool> {
      asyncio::current_task()->cancel("self");
      co_return co_await e.wait();
    };
    auto t = asyncio::create_task(self_cancelling(ev));
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    CHECK(t.cancelled());
    CHECK(cancel_message(t) == std::string("self"));
    CHECK_FALSE(contains(ev.repr(), "waiters"));
  }());
}

TEST_CASE("Event cancelling one waiter of many leaves the others waiting", "[locks]") {
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Event ev;
    std::vector<int> result;
    std::vector<Task<void>> tasks;
    for (int i = 0; i < 5; ++i) tasks.push_back(asyncio::create_task(record_after_event(ev, result, i)));
    co_await asyncio::sleep(0);
    CHECK(contains(ev.repr(), "waiters:5"));
    tasks[2].cancel();  // middle
    tasks[4].cancel();  // tail
    tasks[0].cancel();  // head
    co_await asyncio::sleep(0);
    CHECK(contains(ev.repr(), "waiters:2"));
    ev.set();
    co_await settle(tasks);
    CHECK((result == std::vector<int>{1, 3}));
    CHECK(tasks[0].cancelled());
    CHECK(tasks[2].cancelled());
    CHECK(tasks[4].cancelled());
  }());
}

TEST_CASE("Event set wakes a thousand waiters in FIFO order", "[locks]") {
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Event ev;
    std::vector<int> result;
    std::vector<Task<void>> tasks;
    for (int i = 0; i < 1000; ++i) tasks.push_back(asyncio::create_task(record_after_event(ev, result, i)));
    co_await asyncio::sleep(0);
    ev.set();
    co_await asyncio::sleep(0);
    REQUIRE(result.size() == 1000);
    bool in_order = true;
    for (int i = 0; i < 1000; ++i) in_order = in_order && result[static_cast<std::size_t>(i)] == i;
    CHECK(in_order);
  }());
}

TEST_CASE("Event can be waited for again after clear", "[locks]") {
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Event ev;
    std::vector<int> result;
    auto t1 = asyncio::create_task(record_after_event(ev, result, 1));
    co_await asyncio::sleep(0);
    ev.set();
    co_await t1;
    ev.clear();
    auto t2 = asyncio::create_task(record_after_event(ev, result, 2));
    co_await asyncio::sleep(0);
    CHECK_FALSE(t2.done());
    ev.set();
    co_await t2;
    CHECK((result == std::vector<int>{1, 2}));
  }());
}

TEST_CASE("Event blocked in another loop is bound to it", "[locks]") {
  asyncio::Event ev;
  test::block_once_in_new_loop(wait_of(ev));
  LoopFixture f;
  const std::string message = test::runtime_error_of(*f.loop, wait_of(ev));
  CHECK(contains(message, "<asyncio.locks.Event object at 0x"));
  CHECK(ends_with(message, "[unset]> is bound to a different event loop"));
  ev.set();  // set() never needs a loop
  CHECK(f.loop->run_until_complete(wait_of(ev)));
}

TEST_CASE("Event waiters destroyed with their loop are unlinked", "[locks]") {
  asyncio::Event ev;
  {
    LoopFixture f;
    f.expect_report("Task was destroyed but it is pending!", 3);
    f.loop->run_until_complete([](asyncio::Event& e) -> Coro<> {
      for (int i = 0; i < 3; ++i) (void)asyncio::create_task(wait_of(e));
      co_await asyncio::sleep(0);
    }(ev));
    CHECK(contains(ev.repr(), "waiters:3"));
    f.loop->close();
    CHECK(f.errors.size() == 3);
  }
  CHECK_FALSE(contains(ev.repr(), "waiters"));
  ev.set();
  CHECK(ev.is_set());
}

// ============================================================== Condition

Coro<bool> cond_wait_record(asyncio::Condition& cond, std::vector<int>& result, int tag, bool release_after) {
  co_await cond.acquire();
  const bool notified = co_await cond.wait();
  if (notified) {
    result.push_back(tag);
    if (release_after) cond.release();
  }
  co_return true;
}

TEST_CASE("Condition wait releases the lock and notified waiters re-acquire it in turn", "[locks]") {
  // Python: ConditionTests.test_wait
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Condition cond;
    std::vector<int> result;
    auto t1 = asyncio::create_task(cond_wait_record(cond, result, 1, false));
    auto t2 = asyncio::create_task(cond_wait_record(cond, result, 2, false));
    auto t3 = asyncio::create_task(cond_wait_record(cond, result, 3, false));
    co_await asyncio::sleep(0);
    CHECK(result.empty());
    CHECK_FALSE(cond.locked());

    CO_CHECK(co_await cond.acquire());
    cond.notify();
    co_await asyncio::sleep(0);
    CHECK(result.empty());
    CHECK(cond.locked());

    cond.release();
    co_await asyncio::sleep(0);
    CHECK((result == std::vector<int>{1}));
    CHECK(cond.locked());

    cond.notify(2);
    co_await asyncio::sleep(0);
    CHECK((result == std::vector<int>{1}));
    CHECK(cond.locked());

    cond.release();
    co_await asyncio::sleep(0);
    CHECK((result == std::vector<int>{1, 2}));
    CHECK(cond.locked());

    cond.release();
    co_await asyncio::sleep(0);
    CHECK((result == std::vector<int>{1, 2, 3}));
    CHECK(cond.locked());

    CHECK((t1.done() && t1.result()));
    CHECK((t2.done() && t2.result()));
    CHECK((t3.done() && t3.result()));
    cond.release();
  }());
}

Coro<bool> cond_wait_of(asyncio::Condition& cond) { co_return co_await cond.wait(); }

TEST_CASE("Condition wait cancelled re-acquires the lock before raising", "[locks]") {
  // Python: ConditionTests.test_wait_cancel
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Condition cond;
    co_await cond.acquire();
    auto wait = asyncio::create_task(cond_wait_of(cond));
    asyncio::get_running_loop().call_soon([wait]() mutable { wait.cancel(); });
    bool cancelled = false;
    try {
      co_await wait;
    } catch (const asyncio::CancelledError&) {
      cancelled = true;
    }
    CHECK(cancelled);
    CHECK_FALSE(contains(cond.repr(), "waiters"));
    CHECK(cond.locked());
    cond.release();
  }());
}

TEST_CASE("Condition wait cancelled while contending for the lock still ends holding it", "[locks]") {
  // Python: ConditionTests.test_wait_cancel_contested
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Condition cond;
    co_await cond.acquire();
    CHECK(cond.locked());
    auto wait_task = asyncio::create_task(cond_wait_of(cond));
    co_await asyncio::sleep(0);
    CHECK_FALSE(cond.locked());
    co_await cond.acquire();
    CHECK(cond.locked());
    cond.notify();
    auto& loop = asyncio::get_running_loop();
    loop.call_soon([wait_task]() mutable { wait_task.cancel(); });
    loop.call_soon([&cond] { cond.release(); });
    try {
      co_await wait_task;
    } catch (const asyncio::CancelledError&) {
    }
    CHECK(cond.locked());  // the waiter re-acquired it on its way out
    cond.release();
  }());
}

TEST_CASE("Condition wait cancelled after notify while re-acquiring ends cancelled", "[locks]") {
  // Python: ConditionTests.test_wait_cancel_after_notify (bpo-32841)
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Condition cond;
    bool waited = false;
    auto wait_on_cond = [](asyncio::Condition& c, bool& w) -> Coro<> {
      auto held = co_await asyncio::hold(c);
      w = true;
      co_await c.wait();
    };
    auto waiter = asyncio::create_task(wait_on_cond(cond, waited));
    co_await asyncio::sleep(0);
    co_await cond.acquire();
    cond.notify();
    co_await asyncio::sleep(0);  // the waiter gets to acquire()
    waiter.cancel();
    co_await asyncio::sleep(0);  // cancellation lands
    cond.release();
    co_await asyncio::sleep(0);  // the waiter re-acquires, then raises
    CHECK(waiter.cancelled());
    CHECK(waited);
    CHECK_FALSE(cond.locked());
  }());
}

TEST_CASE("Condition wait without the lock raises RuntimeError", "[locks]") {
  // Python: ConditionTests.test_wait_unacquired
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Condition cond;
    std::string message;
    try {
      co_await cond.wait();
    } catch (const asyncio::RuntimeError& e) {
      message = e.what();
    }
    CHECK(message == std::string("cannot wait on un-acquired lock"));
  }());
}

TEST_CASE("Condition wait_for waits until the predicate holds", "[locks]") {
  // Python: ConditionTests.test_wait_for
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Condition cond;
    bool presult = false;
    std::vector<int> result;
    auto c1 = [](asyncio::Condition& c, bool& p, std::vector<int>& r) -> Coro<bool> {
      co_await c.acquire();
      const bool ok = co_await c.wait_for([&p] { return p; });
      if (ok) {
        r.push_back(1);
        c.release();
      }
      co_return true;
    };
    auto t = asyncio::create_task(c1(cond, presult, result));
    co_await asyncio::sleep(0);
    CHECK(result.empty());
    co_await cond.acquire();
    cond.notify();
    cond.release();
    co_await asyncio::sleep(0);
    CHECK(result.empty());
    presult = true;
    co_await cond.acquire();
    cond.notify();
    cond.release();
    co_await asyncio::sleep(0);
    CHECK((result == std::vector<int>{1}));
    CHECK((t.done() && t.result()));
  }());
}

TEST_CASE("Condition wait_for gives a true predicate value at once even without the lock", "[locks]") {
  // Python: ConditionTests.test_wait_for_unacquired
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Condition cond;
    // Python returns the predicate's value ([1, 2, 3] there): any type that
    // tests as a bool here.
    std::optional<int> res = co_await cond.wait_for([] { return std::optional<int>(123); });
    CHECK(res == std::optional<int>(123));
    bool raised_runtime = false;
    try {
      (void)co_await cond.wait_for([] { return false; });
    } catch (const asyncio::RuntimeError&) {
      raised_runtime = true;
    }
    CHECK(raised_runtime);
  }());
}

TEST_CASE("Condition notify wakes n waiters in FIFO order", "[locks]") {
  // Python: ConditionTests.test_notify
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Condition cond;
    std::vector<int> result;
    auto t1 = asyncio::create_task(cond_wait_record(cond, result, 1, true));
    auto t2 = asyncio::create_task(cond_wait_record(cond, result, 2, true));
    auto t3 = asyncio::create_task(cond_wait_record(cond, result, 3, true));
    co_await asyncio::sleep(0);
    CHECK(result.empty());
    co_await cond.acquire();
    cond.notify(1);
    cond.release();
    co_await asyncio::sleep(0);
    CHECK((result == std::vector<int>{1}));
    co_await cond.acquire();
    cond.notify(1);
    cond.notify(2048);
    cond.release();
    co_await asyncio::sleep(0);
    CHECK((result == std::vector<int>{1, 2, 3}));
    CHECK((t1.done() && t2.done() && t3.done()));
  }());
}

TEST_CASE("Condition notify_all wakes every waiter", "[locks]") {
  // Python: ConditionTests.test_notify_all
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Condition cond;
    std::vector<int> result;
    auto t1 = asyncio::create_task(cond_wait_record(cond, result, 1, true));
    auto t2 = asyncio::create_task(cond_wait_record(cond, result, 2, true));
    co_await asyncio::sleep(0);
    CHECK(result.empty());
    co_await cond.acquire();
    cond.notify_all();
    cond.release();
    co_await asyncio::sleep(0);
    CHECK((result == std::vector<int>{1, 2}));
    CHECK((t1.done() && t2.done()));
  }());
}

TEST_CASE("Condition notify without the lock raises RuntimeError", "[locks]") {
  // Python: ConditionTests.test_notify_unacquired, test_notify_all_unacquired
  asyncio::Condition cond;
  CHECK_THROWS_WITH(cond.notify(), "cannot notify on un-acquired lock");
  CHECK_THROWS_AS(cond.notify_all(), asyncio::RuntimeError);
}

TEST_CASE("Condition repr shows the lock state and waiters", "[locks]") {
  // Python: ConditionTests.test_repr
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Condition cond;
    CHECK(contains(cond.repr(), "unlocked"));
    CHECK(repr_matches(cond.repr()));
    co_await cond.acquire();
    CHECK(contains(cond.repr(), "[locked]"));
    cond.release();
    std::vector<int> result;
    auto t1 = asyncio::create_task(cond_wait_record(cond, result, 1, true));
    co_await asyncio::sleep(0);
    CHECK(contains(cond.repr(), "waiters:1"));
    CHECK(repr_matches(cond.repr()));
    t1.cancel();
    co_await settle(t1);
  }());
}

TEST_CASE("Condition hold guard acquires and releases the lock", "[locks]") {
  // Python: ConditionTests.test_context_manager
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Condition cond;
    CHECK_FALSE(cond.locked());
    {
      auto held = co_await asyncio::hold(cond);
      CHECK(cond.locked());
    }
    CHECK_FALSE(cond.locked());
  }());
}

Coro<> check_explicit_lock(asyncio::Lock& lock, asyncio::Condition& cond) {
  CHECK_FALSE(lock.locked());
  CHECK_FALSE(cond.locked());
  {
    auto held = co_await asyncio::hold(cond);
    CHECK(lock.locked());
    CHECK(cond.locked());
  }
  CHECK_FALSE(lock.locked());
  CHECK_FALSE(cond.locked());
  {
    auto held = co_await asyncio::hold(lock);
    CHECK(lock.locked());
    CHECK(cond.locked());
  }
  CHECK_FALSE(lock.locked());
  CHECK_FALSE(cond.locked());
}

TEST_CASE("Condition shares an explicit lock", "[locks]") {
  // Python: ConditionTests.test_explicit_lock
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Lock lock1;
    asyncio::Condition cond1(lock1);
    co_await check_explicit_lock(lock1, cond1);
    asyncio::Lock lock2;
    asyncio::Condition cond2(lock2);
    asyncio::Condition cond3(lock2);  // two conditions, one lock
    co_await check_explicit_lock(lock2, cond2);
    co_await check_explicit_lock(lock2, cond3);
  }());
}

TEST_CASE("Condition and its lock each check the loop they are bound to", "[locks]") {
  // Python: ConditionTests.test_ambiguous_loops
  asyncio::Lock lock;
  asyncio::Condition cond(lock);
  asyncio::Condition cond_own;
  auto other = asyncio::new_event_loop();
  other->run_until_complete([](asyncio::Lock& l, asyncio::Condition& c) -> Coro<> {
    co_await l.acquire();
    auto waiter = asyncio::create_task(acquire_of(l));  // binds the lock
    co_await asyncio::sleep(0);
    waiter.cancel();
    co_await settle(waiter);
    l.release();
    co_await c.acquire();
    auto cw = asyncio::create_task(cond_wait_of(c));
    co_await asyncio::sleep(0);  // it waits (binding the condition), releasing our lock
    cw.cancel();
    co_await settle(cw);  // it re-acquired the lock on its way out
    c.release();
  }(lock, cond_own));
  other->close();

  LoopFixture f;
  f.loop->run_until_complete([](asyncio::Lock& l, asyncio::Condition& c, asyncio::Condition& c_own) -> Coro<> {
    {
      auto held = co_await asyncio::hold(l);  // fast path: no loop involved
      std::string message;
      try {
        co_await c.acquire();  // must wait: discovers the lock's loop
      } catch (const asyncio::RuntimeError& e) {
        message = e.what();
      }
      CHECK(contains(message, "Lock object"));
      CHECK(ends_with(message, "is bound to a different event loop"));
    }
    co_await c_own.acquire();
    std::string message;
    try {
      co_await c_own.wait();
    } catch (const asyncio::RuntimeError& e) {
      message = e.what();
    }
    CHECK(contains(message, "Condition object"));
    CHECK(ends_with(message, "is bound to a different event loop"));
    CHECK(c_own.locked());  // the check comes before the lock is released
    c_own.release();
  }(lock, cond, cond_own));
}

Coro<> wait_for_flag_then_rethrow(asyncio::Condition& cond, bool& wake, std::string& seen) {
  auto held = co_await asyncio::hold(cond);
  try {
    co_await cond.wait_for([&wake] { return wake; });
  } catch (const asyncio::CancelledError& e) {
    seen = e.what();
    throw;
  }
}

TEST_CASE("Condition cancelled while waiting re-raises the CancelledError unchanged", "[locks]") {
  // Python: ConditionTests.test_cancelled_error_wakeup
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Condition cond;
    bool wake = false;
    std::string seen;
    auto task = asyncio::create_task(wait_for_flag_then_rethrow(cond, wake, seen));
    co_await asyncio::sleep(0);
    task.cancel("foo");
    co_await settle(task);
    CHECK(task.cancelled());
    CHECK(cancel_message(task) == std::string("foo"));
    CHECK(seen == std::string("foo"));
    CHECK_FALSE(cond.locked());
  }());
}

TEST_CASE("Condition cancelled while re-acquiring the lock re-raises the CancelledError unchanged", "[locks]") {
  // Python: ConditionTests.test_cancelled_error_re_aquire
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Condition cond;
    bool wake = false;
    std::string seen;
    auto task = asyncio::create_task(wait_for_flag_then_rethrow(cond, wake, seen));
    co_await asyncio::sleep(0);
    co_await cond.acquire();
    wake = true;
    cond.notify();
    co_await asyncio::sleep(0);  // the task now waits to re-acquire the lock
    task.cancel("foo");
    cond.release();
    co_await settle(task);
    CHECK(task.cancelled());
    CHECK(cancel_message(task) == std::string("foo"));
    CHECK(seen == std::string("foo"));
    CHECK_FALSE(cond.locked());
  }());
}

Coro<> consume_state(asyncio::Condition& cond, int& state) {
  auto held = co_await asyncio::hold(cond);
  for (;;) {
    co_await cond.wait_for([&state] { return state != 0; });
    if (state < 0) co_return;
    state -= 1;
  }
}

// Releases the condition and polls (bounded) until `state` is 0.
Coro<bool> state_drains(asyncio::Condition& cond, int& state) {
  cond.release();
  for (int i = 0; i < 50 && state != 0; ++i) co_await asyncio::sleep(0);
  co_await cond.acquire();
  co_return state == 0;
}

TEST_CASE("Condition waiter cancelled right after notify passes the notification on", "[locks]") {
  // Python: ConditionTests.test_cancelled_wakeup (a lost wake-up would
  // leave state at 1). The original bounds the wait with timeout().
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Condition cond;
    int state = 0;
    std::vector<Task<void>> c;
    for (int i = 0; i < 2; ++i) c.push_back(asyncio::create_task(consume_state(cond, state)));
    co_await asyncio::sleep(0);
    {
      auto held = co_await asyncio::hold(cond);
      state += 1;
      cond.notify(1);
      c[0].cancel();  // while it waits to run
      CO_CHECK(co_await state_drains(cond, state));
      state = -1;
      cond.notify_all();
    }
    co_await c[1];
    co_await settle(c);
    CHECK(c[0].cancelled());
  }());
}

TEST_CASE("Condition waiter cancelled while re-acquiring the lock passes the notification on", "[locks]") {
  // Python: ConditionTests.test_cancelled_wakeup_relock
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Condition cond;
    int state = 0;
    std::vector<Task<void>> c;
    for (int i = 0; i < 2; ++i) c.push_back(asyncio::create_task(consume_state(cond, state)));
    co_await asyncio::sleep(0);
    {
      auto held = co_await asyncio::hold(cond);
      state += 1;
      cond.notify(1);
      co_await asyncio::sleep(0);  // it wakes and settles on re-acquiring the lock
      c[0].cancel();
      CO_CHECK(co_await state_drains(cond, state));
      state = -1;
      cond.notify_all();
    }
    co_await c[1];
    co_await settle(c);
    CHECK(c[0].cancelled());
  }());
}

// ============================================================== Semaphore

TEST_CASE("Semaphore with initial value zero is locked", "[locks]") {
  // Python: SemaphoreTests.test_initial_value_zero
  asyncio::Semaphore sem(0);
  CHECK(sem.locked());
}

TEST_CASE("Semaphore repr shows the value and waiters", "[locks]") {
  // Python: SemaphoreTests.test_repr
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Semaphore sem;
    CHECK(ends_with(sem.repr(), "[unlocked, value:1]>"));
    CHECK(repr_matches(sem.repr()));
    co_await sem.acquire();
    CHECK(ends_with(sem.repr(), "[locked]>"));
    CHECK_FALSE(contains(sem.repr(), "waiters"));
    CHECK(repr_matches(sem.repr()));
    auto t1 = asyncio::create_task(acquire_of(sem));
    auto t2 = asyncio::create_task(acquire_of(sem));
    co_await asyncio::sleep(0);
    CHECK(ends_with(sem.repr(), "[locked, waiters:2]>"));
    CHECK(repr_matches(sem.repr()));
    sem.release();
    sem.release();
    co_await settle(t1, t2);
    CHECK(contains(asyncio::BoundedSemaphore(2).repr(), "<asyncio.locks.BoundedSemaphore object at 0x"));
  }());
}

TEST_CASE("Semaphore with a negative value raises ValueError", "[locks]") {
  // Python: SemaphoreTests.test_semaphore_value
  CHECK_THROWS_AS(asyncio::Semaphore(-1), asyncio::ValueError);
  CHECK_THROWS_WITH(asyncio::Semaphore(-1), "Semaphore initial value must be >= 0");
  CHECK_THROWS_AS(asyncio::BoundedSemaphore(-1), asyncio::ValueError);
}

Coro<bool> sem_record(asyncio::Semaphore& sem, std::vector<int>& result, int tag) {
  co_await sem.acquire();
  result.push_back(tag);
  co_return true;
}

TEST_CASE("Semaphore hands permits out in FIFO order as they are released", "[locks]") {
  // Python: SemaphoreTests.test_acquire
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Semaphore sem(3);
    std::vector<int> result;
    CO_CHECK(co_await sem.acquire());
    CO_CHECK(co_await sem.acquire());
    CHECK_FALSE(sem.locked());
    auto t1 = asyncio::create_task(sem_record(sem, result, 1));
    auto t2 = asyncio::create_task(sem_record(sem, result, 2));
    auto t3 = asyncio::create_task(sem_record(sem, result, 3));
    co_await asyncio::sleep(0);
    CHECK((result == std::vector<int>{1}));
    CHECK(sem.locked());
    CHECK(contains(sem.repr(), "waiters:2"));
    auto t4 = asyncio::create_task(sem_record(sem, result, 4));
    sem.release();
    sem.release();
    CHECK(sem.locked());  // both permits are promised to waiters
    co_await asyncio::sleep(0);
    CHECK(result.size() == 3);
    CHECK(sem.locked());
    CHECK(contains(sem.repr(), "waiters:1"));
    CHECK((t1.done() && t1.result()));
    int done = 0;
    for (auto* t : {&t2, &t3, &t4}) done += t->done() ? 1 : 0;
    CHECK(done == 2);
    sem.release();
    co_await settle(t2, t3, t4);
    CHECK(result.size() == 4);
  }());
}

TEST_CASE("Semaphore acquire cancelled while waiting raises CancelledError", "[locks]") {
  // Python: SemaphoreTests.test_acquire_cancel
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Semaphore sem;
    co_await sem.acquire();
    auto acquire = asyncio::create_task(acquire_of(sem));
    asyncio::get_running_loop().call_soon([acquire]() mutable { acquire.cancel(); });
    bool cancelled = false;
    try {
      co_await acquire;
    } catch (const asyncio::CancelledError&) {
      cancelled = true;
    }
    CHECK(cancelled);
    CHECK_FALSE(contains(sem.repr(), "waiters"));
    sem.release();
    CHECK_FALSE(sem.locked());
  }());
}

TEST_CASE("Semaphore waiters cancelled before being woken do not take permits", "[locks]") {
  // Python: SemaphoreTests.test_acquire_cancel_before_awoken
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Semaphore sem(0);
    std::vector<Task<bool>> t;
    for (int i = 0; i < 4; ++i) t.push_back(asyncio::create_task(acquire_of(sem)));
    co_await asyncio::sleep(0);
    t[0].cancel();
    t[1].cancel();
    sem.release();
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    CHECK(t[2].done());
    CHECK_FALSE(t[3].done());
    t[2].cancel();
    t[3].cancel();
    co_await settle(t);
  }());
}

TEST_CASE("Semaphore release after a cancelled waiter reaches the next waiter", "[locks]") {
  // Python: SemaphoreTests.test_acquire_hang
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Semaphore sem(0);
    auto t1 = asyncio::create_task(acquire_of(sem));
    auto t2 = asyncio::create_task(acquire_of(sem));
    co_await asyncio::sleep(0);
    t1.cancel();
    sem.release();
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    CHECK(sem.locked());
    CHECK(t2.done());
    co_await settle(t1, t2);
  }());
}

TEST_CASE("Semaphore waiter woken then cancelled gives its permit back", "[locks]") {
  // Python: SemaphoreTests.test_acquire_no_hang
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Semaphore sem(1);
    Task<void> t2;
    auto c1 = [](asyncio::Semaphore& s, Task<void>& other) -> Coro<> {
      {
        auto held = co_await asyncio::hold(s);
        co_await asyncio::sleep(0);
      }
      other.cancel();  // other was just woken: cancel it before it runs
    };
    auto c2 = [](asyncio::Semaphore& s) -> Coro<> {
      auto held = co_await asyncio::hold(s);
      FAIL("the cancelled waiter must not get the permit");
    };
    auto t1 = asyncio::create_task(c1(sem, t2));
    t2 = asyncio::create_task(c2(sem));
    co_await t1;
    co_await settle(t2);
    CHECK(t2.cancelled());
    CHECK_FALSE(sem.locked());
    bool ran = false;
    asyncio::get_running_loop().call_soon([&ran] { ran = true; });
    CO_CHECK(co_await sem.acquire());  // the permit is there: no wait
    CHECK_FALSE(ran);
    sem.release();
    co_await asyncio::sleep(0);  // let the callback run while `ran` lives
    CHECK(ran);
  }());
}

TEST_CASE("BoundedSemaphore released past its initial value raises ValueError", "[locks]") {
  // Python: SemaphoreTests.test_release_not_acquired
  asyncio::BoundedSemaphore sem;
  CHECK_THROWS_AS(sem.release(), asyncio::ValueError);
  CHECK_THROWS_WITH(sem.release(), "BoundedSemaphore released too many times");
  LoopFixture f;
  f.loop->run_until_complete([](asyncio::BoundedSemaphore& s) -> Coro<> {
    co_await s.acquire();
    s.release();
    CHECK_THROWS_AS(s.release(), asyncio::ValueError);
    // Through a Semaphore reference, the bound still holds.
    asyncio::Semaphore& base = s;
    CHECK_THROWS_AS(base.release(), asyncio::ValueError);
  }(sem));
}

TEST_CASE("Semaphore release without waiters unlocks and may exceed the initial value", "[locks]") {
  // Python: SemaphoreTests.test_release_no_waiters
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Semaphore sem;
    co_await sem.acquire();
    CHECK(sem.locked());
    sem.release();
    CHECK_FALSE(sem.locked());
    sem.release();
    CHECK(ends_with(sem.repr(), "[unlocked, value:2]>"));
  }());
}

Coro<> sem_twice(asyncio::Semaphore& sem, std::vector<std::string>& result, std::string tag) {
  co_await sem.acquire();
  result.push_back(tag + "_1");
  co_await asyncio::sleep(0.01);
  sem.release();
  co_await sem.acquire();
  result.push_back(tag + "_2");
  co_await asyncio::sleep(0.01);
  sem.release();
}

TEST_CASE("Semaphore keeps FIFO order across repeated acquisitions", "[locks]") {
  // Python: SemaphoreTests.test_acquire_fifo_order
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Semaphore sem(1);
    std::vector<std::string> result;
    std::vector<Task<void>> tasks;
    for (const char* tag : {"c1", "c2", "c3"}) tasks.push_back(asyncio::create_task(sem_twice(sem, result, tag)));
    co_await settle(tasks);
    CHECK((result == std::vector<std::string>{"c1_1", "c2_1", "c3_1", "c1_2", "c2_2", "c3_2"}));
  }());
}

TEST_CASE("Semaphore release then re-acquire queues behind earlier waiters", "[locks]") {
  // Python: SemaphoreTests.test_acquire_fifo_order_2
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Semaphore sem(1);
    std::vector<int> result;
    auto c2 = [](asyncio::Semaphore& s, std::vector<int>& r) -> Coro<bool> {
      co_await s.acquire();
      r.push_back(2);
      s.release();
      co_await s.acquire();
      r.push_back(4);
      co_return true;
    };
    auto t1 = asyncio::create_task(sem_record(sem, result, 1));
    auto t2 = asyncio::create_task(c2(sem, result));
    auto t3 = asyncio::create_task(sem_record(sem, result, 3));
    co_await asyncio::sleep(0);
    sem.release();
    sem.release();
    co_await settle(t1, t2, t3);
    CHECK((result == std::vector<int>{1, 2, 3, 4}));
  }());
}

TEST_CASE("Semaphore skips a waiter cancelled before any release", "[locks]") {
  // Python: SemaphoreTests.test_acquire_fifo_order_3
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Semaphore sem(0);
    std::vector<int> result;
    std::vector<Task<bool>> tasks;
    for (int i = 1; i <= 3; ++i) tasks.push_back(asyncio::create_task(sem_record(sem, result, i)));
    co_await asyncio::sleep(0);
    tasks[0].cancel();
    co_await asyncio::sleep(0);
    sem.release();
    sem.release();
    co_await settle(tasks);
    CHECK((result == std::vector<int>{2, 3}));
  }());
}

TEST_CASE("Semaphore successful acquire wakes further waiters queued by FIFO rules", "[locks]") {
  // Python: SemaphoreTests.test_acquire_fifo_order_4
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Semaphore sem(0);
    std::vector<int> result;
    Task<bool> t4;
    auto c4 = [](std::vector<int>& r) -> Coro<bool> {
      r.push_back(4);
      co_return true;
    };
    auto c1 = [&c4](asyncio::Semaphore& s, std::vector<int>& r, Task<bool>& fourth) -> Coro<bool> {
      CHECK(s.locked());
      co_await s.acquire();
      // Every waiter got its permit already: a new task runs after c3.
      fourth = asyncio::create_task(c4(r));
      r.push_back(1);
      co_return true;
    };
    auto c2 = [](asyncio::Semaphore& s, std::vector<int>& r) -> Coro<bool> {
      s.release();
      s.release();
      s.release();
      CHECK(s.locked());  // c1 has not run yet: FIFO keeps it locked
      co_await s.acquire();
      r.push_back(2);
      co_return true;
    };
    auto c3 = [](asyncio::Semaphore& s, std::vector<int>& r) -> Coro<bool> {
      co_await s.acquire();
      CHECK(s.locked());
      r.push_back(3);
      co_return true;
    };
    auto t1 = asyncio::create_task(c1(sem, result, t4));
    auto t2 = asyncio::create_task(c2(sem, result));
    auto t3 = asyncio::create_task(c3(sem, result));
    co_await asyncio::sleep(0);
    CHECK(ends_with(sem.repr(), "[locked, waiters:3]>"));
    co_await asyncio::sleep(0);
    co_await settle(t1, t2, t3);
    REQUIRE(t4);
    co_await t4;
    CHECK((result == std::vector<int>{1, 2, 3, 4}));
  }());
}

TEST_CASE("Semaphore hold guard returns the permit", "[locks]") {
  // Python: async with sem (test_lock_by_with_statement, context managers)
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Semaphore sem(2);
    asyncio::BoundedSemaphore bounded(1);
    {
      auto a = co_await asyncio::hold(sem);
      auto b = co_await asyncio::hold(sem);
      auto c = co_await asyncio::hold(bounded);
      CHECK(sem.locked());
      CHECK(bounded.locked());
    }
    CHECK(ends_with(sem.repr(), "[unlocked, value:2]>"));
    CHECK_FALSE(bounded.locked());
  }());
}

TEST_CASE("Semaphore blocked in another loop is bound to it", "[locks]") {
  asyncio::Semaphore sem(0);
  test::block_once_in_new_loop(acquire_of(sem));
  LoopFixture f;
  CHECK(ends_with(test::runtime_error_of(*f.loop, acquire_of(sem)), "[locked]> is bound to a different event loop"));
}

// ============================================================== Barrier

TEST_CASE("Barrier with fewer than one party raises ValueError", "[locks]") {
  // Python: BarrierTests.test_barrier_parties
  CHECK_THROWS_WITH(asyncio::Barrier(0), "parties must be > 0");
  CHECK_THROWS_AS(asyncio::Barrier(-4), asyncio::ValueError);
  CHECK(asyncio::Barrier(5).parties() == 5);
}

Coro<> barrier_wait_only(asyncio::Barrier& barrier) { (void)co_await barrier.wait(); }

TEST_CASE("Barrier repr follows its states", "[locks]") {
  // Python: BarrierTests.test_repr, test_barrier
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    const std::size_t n = 5;
    asyncio::Barrier barrier(n);
    CHECK(repr_matches(barrier.repr()));
    CHECK(contains(barrier.repr(), "filling"));
    std::vector<Task<void>> waiters;
    for (int i = 0; i < 2; ++i) waiters.push_back(asyncio::create_task(barrier_wait_only(barrier)));
    co_await asyncio::sleep(0);
    CHECK(repr_matches(barrier.repr()));
    CHECK(contains(barrier.repr(), "waiters:2/5"));
    CHECK(contains(barrier.repr(), "filling"));
    for (std::size_t i = 0; i < barrier.parties() - barrier.n_waiting(); ++i)
      waiters.push_back(asyncio::create_task(barrier_wait_only(barrier)));
    co_await asyncio::sleep(0);
    CHECK(repr_matches(barrier.repr()));
    CHECK(contains(barrier.repr(), "draining"));
    for (int i = 0; i < 2; ++i) waiters.push_back(asyncio::create_task(barrier_wait_only(barrier)));
    co_await asyncio::sleep(0);
    co_await barrier.reset();
    CHECK(repr_matches(barrier.repr()));
    CHECK(contains(barrier.repr(), "resetting"));
    for (int i = 0; i < 2; ++i) waiters.push_back(asyncio::create_task(barrier_wait_only(barrier)));
    co_await asyncio::sleep(0);
    co_await barrier.abort();
    CHECK(repr_matches(barrier.repr()));
    CHECK(ends_with(barrier.repr(), "[broken]>"));
    CHECK(barrier.broken());
    co_await settle(waiters);
  }());
}

TEST_CASE("Barrier wait gives each party a distinct arrival index", "[locks]") {
  // Python: BarrierTests.test_context_manager
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Barrier barrier(3);
    std::vector<Task<std::size_t>> tasks;
    for (int i = 0; i < 3; ++i) tasks.push_back(asyncio::create_task(barrier.wait()));
    std::vector<std::size_t> results = co_await results_of(tasks);
    std::sort(results.begin(), results.end());
    CHECK((results == std::vector<std::size_t>{0, 1, 2}));
    CHECK(barrier.n_waiting() == 0);
    CHECK_FALSE(barrier.broken());
  }());
}

TEST_CASE("Barrier of one party passes at once every time", "[locks]") {
  // Python: BarrierTests.test_filling_one_task, test_filling_one_task_twice
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Barrier barrier(1);
    CO_CHECK(co_await barrier.wait() == 0);
    auto t1 = asyncio::create_task(barrier.wait());
    co_await asyncio::sleep(0);
    CHECK(barrier.n_waiting() == 0);
    auto t2 = asyncio::create_task(barrier.wait());
    co_await asyncio::sleep(0);
    CHECK(t1.result() == t2.result());
    CHECK(t1.done() == t2.done());
    CHECK(barrier.n_waiting() == 0);
    CHECK_FALSE(barrier.broken());
  }());
}

TEST_CASE("Barrier counts waiting tasks while it fills", "[locks]") {
  // Python: BarrierTests.test_filling_task_by_task
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Barrier barrier(3);
    auto t1 = asyncio::create_task(barrier.wait());
    co_await asyncio::sleep(0);
    CHECK(barrier.n_waiting() == 1);
    CHECK(contains(barrier.repr(), "filling"));
    auto t2 = asyncio::create_task(barrier.wait());
    co_await asyncio::sleep(0);
    CHECK(barrier.n_waiting() == 2);
    auto t3 = asyncio::create_task(barrier.wait());
    co_await asyncio::sleep(0);
    std::vector<Task<std::size_t>> all{t1, t2, t3};
    co_await results_of(all);
    CHECK(barrier.n_waiting() == 0);
    CHECK_FALSE(barrier.broken());
  }());
}

Coro<std::size_t> barrier_twice(asyncio::Barrier& barrier, std::vector<bool>& results) {
  (void)co_await barrier.wait();
  results.push_back(true);
  std::size_t i = co_await barrier.wait();
  results.push_back(false);
  co_return i;
}

TEST_CASE("Barrier can be passed twice by the same tasks", "[locks]") {
  // Python: BarrierTests.test_filling_tasks_wait_twice, test_filling_tasks_check_return_value
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    const int n = 5;
    asyncio::Barrier barrier(n);
    std::vector<bool> results;
    std::vector<Task<std::size_t>> tasks;
    for (int i = 0; i < n; ++i) tasks.push_back(asyncio::create_task(barrier_twice(barrier, results)));
    std::vector<std::size_t> indices = co_await results_of(tasks);
    CHECK(results.size() == 2 * n);
    CHECK(std::count(results.begin(), results.end(), true) == n);
    std::sort(indices.begin(), indices.end());
    CHECK((indices == std::vector<std::size_t>{0, 1, 2, 3, 4}));
    CHECK(barrier.n_waiting() == 0);
    CHECK_FALSE(barrier.broken());
  }());
}

TEST_CASE("Barrier drains before the last task leaves", "[locks]") {
  // Python: BarrierTests.test_draining_state
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    const int n = 5;
    asyncio::Barrier barrier(n);
    std::vector<bool> results;
    auto coro = [](asyncio::Barrier& b, std::vector<bool>& r) -> Coro<> {
      (void)co_await b.wait();
      r.push_back(contains(b.repr(), "draining"));
    };
    std::vector<Task<void>> tasks;
    for (int i = 0; i < n; ++i) tasks.push_back(asyncio::create_task(coro(barrier, results)));
    co_await settle(tasks);
    REQUIRE(results.size() == static_cast<std::size_t>(n));
    CHECK_FALSE(results.back());
    CHECK(std::all_of(results.begin(), results.end() - 1, [](bool b) { return b; }));
  }());
}

TEST_CASE("Barrier blocks new arrivals while it drains", "[locks]") {
  // Python: BarrierTests.test_blocking_tasks_while_draining
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    const int n = 5;
    const int rewait = 2;
    asyncio::Barrier barrier(n);
    asyncio::Barrier barrier_nowaiting(n - rewait);
    int rewait_n = rewait;
    auto coro = [](asyncio::Barrier& b, asyncio::Barrier& nowaiting, int& rewaits) -> Coro<> {
      (void)co_await b.wait();
      if (rewaits > 0) {
        --rewaits;
        (void)co_await b.wait();
      } else {
        (void)co_await nowaiting.wait();
        (void)co_await b.wait();
      }
    };
    std::vector<Task<void>> tasks;
    for (int i = 0; i < n; ++i) tasks.push_back(asyncio::create_task(coro(barrier, barrier_nowaiting, rewait_n)));
    for (auto& t : tasks) co_await t;
    CHECK(barrier.n_waiting() == 0);
  }());
}

TEST_CASE("Barrier waiter cancelled while filling leaves the count", "[locks]") {
  // Python: BarrierTests.test_filling_tasks_cancel_one
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Barrier barrier(3);
    int passed = 0;
    auto coro = [](asyncio::Barrier& b, int& p) -> Coro<> {
      (void)co_await b.wait();
      ++p;
    };
    auto t1 = asyncio::create_task(coro(barrier, passed));
    co_await asyncio::sleep(0);
    CHECK(barrier.n_waiting() == 1);
    auto t2 = asyncio::create_task(coro(barrier, passed));
    co_await asyncio::sleep(0);
    CHECK(barrier.n_waiting() == 2);
    t1.cancel();
    co_await asyncio::sleep(0);
    CHECK(barrier.n_waiting() == 1);
    co_await settle(t1);
    CHECK(t1.cancelled());
    auto t3 = asyncio::create_task(coro(barrier, passed));
    co_await asyncio::sleep(0);
    CHECK(barrier.n_waiting() == 2);
    auto t4 = asyncio::create_task(coro(barrier, passed));
    co_await t2;
    co_await t3;
    co_await t4;
    CHECK(passed == 3);
    CHECK(barrier.n_waiting() == 0);
    CHECK_FALSE(barrier.broken());
  }());
}

TEST_CASE("Barrier reset with nobody waiting leaves it filling", "[locks]") {
  // Python: BarrierTests.test_reset_barrier
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Barrier barrier(1);
    auto t = asyncio::create_task(barrier.reset());
    co_await asyncio::sleep(0);
    CHECK(t.done());
    CHECK(barrier.n_waiting() == 0);
    CHECK_FALSE(barrier.broken());
  }());
}

Coro<> wait_catch_broken(asyncio::Barrier& barrier, std::vector<bool>& results) {
  try {
    (void)co_await barrier.wait();
  } catch (const asyncio::BrokenBarrierError& e) {
    results.push_back(std::string(e.what()) == std::string("Abort or reset of barrier"));
  }
}

TEST_CASE("Barrier reset while tasks wait breaks their wait", "[locks]") {
  // Python: BarrierTests.test_reset_barrier_while_tasks_waiting
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    const int n = 5;
    asyncio::Barrier barrier(n);
    std::vector<bool> results;
    std::vector<Task<void>> tasks;
    for (int i = 0; i < n - 1; ++i) tasks.push_back(asyncio::create_task(wait_catch_broken(barrier, results)));
    co_await asyncio::sleep(0);
    auto resetter = asyncio::create_task(barrier.reset());
    co_await settle(tasks);
    co_await resetter;
    CHECK(results.size() == static_cast<std::size_t>(n - 1));
    CHECK(std::all_of(results.begin(), results.end(), [](bool b) { return b; }));
    CHECK(barrier.n_waiting() == 0);
    CHECK_FALSE(contains(barrier.repr(), "resetting"));
    CHECK_FALSE(barrier.broken());
  }());
}

TEST_CASE("Barrier reset when half the tasks have drained", "[locks]") {
  // Python: BarrierTests.test_reset_barrier_when_tasks_half_draining
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    const int n = 5;
    asyncio::Barrier barrier(n);
    std::vector<bool> results1;
    int passed = 0;
    auto coro = [](asyncio::Barrier& b, std::vector<bool>& r, int& p) -> Coro<> {
      bool broken = false;
      try {
        (void)co_await b.wait();
      } catch (const asyncio::BrokenBarrierError&) {
        r.push_back(true);
        broken = true;
      }
      // Python resets once rest_of_tasks (2) tasks are still inside; here:
      // the third task out resets.
      if (!broken && ++p == 3) co_await b.reset();
    };
    std::vector<Task<void>> tasks;
    for (int i = 0; i < n; ++i) tasks.push_back(asyncio::create_task(coro(barrier, results1, passed)));
    co_await settle(tasks);
    for (auto& t : tasks) CHECK_FALSE(raised(t));
    // The two tasks still inside (woken, waiting for the lock) see the reset.
    CHECK(results1 == std::vector<bool>(2, true));
    CHECK(barrier.n_waiting() == 0);
    CHECK_FALSE(contains(barrier.repr(), "resetting"));
    CHECK_FALSE(barrier.broken());
  }());
}

TEST_CASE("Barrier reset while some tasks drain and others block", "[locks]") {
  // Python: BarrierTests.test_reset_barrier_when_tasks_half_draining_half_blocking
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    const int n = 5;
    const int blocking_tasks = n / 2;
    asyncio::Barrier barrier(n);
    std::vector<bool> results1;
    std::vector<bool> results2;
    int count = 0;
    auto coro = [](asyncio::Barrier& b, std::vector<bool>& r1, std::vector<bool>& r2, int& c,
                   int blocking) -> Coro<> {
      bool broken = false;
      try {
        (void)co_await b.wait();
      } catch (const asyncio::BrokenBarrierError&) {
        r1.push_back(true);
        broken = true;
      }
      if (broken) {
        (void)co_await b.wait();
        co_return;
      }
      ++c;
      if (c > blocking) {
        co_await b.reset();
        (void)co_await b.wait();
      } else {
        try {
          (void)co_await b.wait();
        } catch (const asyncio::BrokenBarrierError&) {
          r2.push_back(true);
        }
      }
    };
    std::vector<Task<void>> tasks;
    for (int i = 0; i < n; ++i)
      tasks.push_back(asyncio::create_task(coro(barrier, results1, results2, count, blocking_tasks)));
    co_await settle(tasks);
    CHECK(results1 == std::vector<bool>(blocking_tasks, true));
    CHECK(results2.empty());
    CHECK(barrier.n_waiting() == 0);
    CHECK_FALSE(contains(barrier.repr(), "resetting"));
    CHECK_FALSE(barrier.broken());
  }());
}

TEST_CASE("Barrier reset while tasks wait and then wait again", "[locks]") {
  // Python: BarrierTests.test_reset_barrier_while_tasks_waiting_and_waiting_again
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    const int n = 5;
    asyncio::Barrier barrier(n);
    std::vector<bool> results1;
    std::vector<bool> results2;
    auto coro1 = [](asyncio::Barrier& b, std::vector<bool>& r1, std::vector<bool>& r2) -> Coro<> {
      try {
        (void)co_await b.wait();
      } catch (const asyncio::BrokenBarrierError&) {
        r1.push_back(true);
      }
      (void)co_await b.wait();
      r2.push_back(true);
    };
    auto coro2 = [](asyncio::Barrier& b, std::vector<bool>& r2) -> Coro<> {
      (void)co_await b.wait();
      r2.push_back(true);
    };
    std::vector<Task<void>> tasks;
    for (int i = 0; i < n - 1; ++i) tasks.push_back(asyncio::create_task(coro1(barrier, results1, results2)));
    auto resetter = asyncio::create_task(barrier.reset());
    co_await asyncio::sleep(0);
    tasks.push_back(asyncio::create_task(coro2(barrier, results2)));
    co_await settle(tasks);
    co_await resetter;
    CHECK_FALSE(barrier.broken());
    CHECK(results1.size() == static_cast<std::size_t>(n - 1));
    CHECK(results2.size() == static_cast<std::size_t>(n));
    CHECK(barrier.n_waiting() == 0);
  }());
}

TEST_CASE("Barrier reset by the last task out while the others wait again", "[locks]") {
  // Python: BarrierTests.test_reset_barrier_while_tasks_draining
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    const int n = 5;
    asyncio::Barrier barrier(n);
    std::vector<bool> results1, results2, results3;
    int count = 0;
    auto coro = [](asyncio::Barrier& b, int& c, int parties, std::vector<bool>& r1, std::vector<bool>& r2,
                   std::vector<bool>& r3) -> Coro<> {
      (void)co_await b.wait();
      ++c;
      if (c == parties) {
        co_await b.reset();
        (void)co_await b.wait();
      } else {
        try {
          (void)co_await b.wait();
          r1.push_back(true);
        } catch (const std::exception&) {
          r2.push_back(true);
        }
      }
      (void)co_await b.wait();
      r3.push_back(true);
    };
    std::vector<Task<void>> tasks;
    for (int i = 0; i < n; ++i)
      tasks.push_back(asyncio::create_task(coro(barrier, count, n, results1, results2, results3)));
    co_await settle(tasks);
    CHECK_FALSE(barrier.broken());
    CHECK(results1.size() == static_cast<std::size_t>(n - 1));
    CHECK(results2.empty());
    CHECK(results3.size() == static_cast<std::size_t>(n));
    CHECK(barrier.n_waiting() == 0);
  }());
}

TEST_CASE("Barrier abort breaks it for good", "[locks]") {
  // Python: BarrierTests.test_abort_barrier
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Barrier barrier(1);
    auto t = asyncio::create_task(barrier.abort());
    co_await asyncio::sleep(0);
    CHECK(t.done());
    CHECK(barrier.n_waiting() == 0);
    CHECK(barrier.broken());
    std::string message;
    try {
      (void)co_await barrier.wait();
    } catch (const asyncio::BrokenBarrierError& e) {
      message = e.what();
    }
    CHECK(message == std::string("Barrier aborted"));
  }());
}

TEST_CASE("Barrier abort while some tasks drain and others block", "[locks]") {
  // Python: BarrierTests.test_abort_barrier_when_tasks_half_draining_half_blocking
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    const int n = 5;
    const int blocking_tasks = n / 2;
    asyncio::Barrier barrier(n);
    std::vector<bool> results1, results2;
    int count = 0;
    auto coro = [](asyncio::Barrier& b, std::vector<bool>& r1, std::vector<bool>& r2, int& c,
                   int blocking) -> Coro<> {
      try {
        (void)co_await b.wait();
      } catch (const asyncio::BrokenBarrierError&) {
        r1.push_back(true);
        co_return;
      }
      ++c;
      if (c > blocking) {
        co_await b.abort();
      } else {
        try {
          (void)co_await b.wait();
        } catch (const asyncio::BrokenBarrierError&) {
          r2.push_back(true);
        }
      }
    };
    std::vector<Task<void>> tasks;
    for (int i = 0; i < n; ++i)
      tasks.push_back(asyncio::create_task(coro(barrier, results1, results2, count, blocking_tasks)));
    co_await settle(tasks);
    CHECK(barrier.broken());
    CHECK(results1.size() == static_cast<std::size_t>(blocking_tasks));      // still draining
    CHECK(results2.size() == static_cast<std::size_t>(n - blocking_tasks - 1));  // blocked on the next wait
    CHECK(barrier.n_waiting() == 0);
    CHECK_FALSE(contains(barrier.repr(), "resetting"));
  }());
}

TEST_CASE("Barrier aborted after an error breaks the other parties", "[locks]") {
  // Python: BarrierTests.test_abort_barrier_when_exception
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    const int n = 5;
    asyncio::Barrier barrier(n);
    std::vector<bool> results1, results2;
    auto coro = [](asyncio::Barrier& b, int parties, std::vector<bool>& r1, std::vector<bool>& r2) -> Coro<> {
      bool failed = false;
      try {
        std::size_t i = co_await b.wait();
        if (i == static_cast<std::size_t>(parties / 2)) throw asyncio::RuntimeError("boom");
        (void)co_await b.wait();
        r1.push_back(true);
      } catch (const asyncio::BrokenBarrierError&) {
        r2.push_back(true);
      } catch (const asyncio::RuntimeError&) {
        failed = true;
      }
      if (failed) co_await b.abort();
    };
    std::vector<Task<void>> tasks;
    for (int i = 0; i < n; ++i) tasks.push_back(asyncio::create_task(coro(barrier, n, results1, results2)));
    co_await settle(tasks);
    CHECK(barrier.broken());
    CHECK(results1.empty());
    CHECK(results2.size() == static_cast<std::size_t>(n - 1));
    CHECK(barrier.n_waiting() == 0);
  }());
}

TEST_CASE("Barrier aborted then reset works again", "[locks]") {
  // Python: BarrierTests.test_abort_barrier_when_exception_then_resetting
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    const int n = 5;
    asyncio::Barrier barrier1(n);
    asyncio::Barrier barrier2(n);
    std::vector<bool> results1, results2, results3;
    auto coro = [](asyncio::Barrier& b1, asyncio::Barrier& b2, int parties, std::vector<bool>& r1,
                   std::vector<bool>& r2, std::vector<bool>& r3) -> Coro<> {
      bool failed = false;
      try {
        std::size_t i = co_await b1.wait();
        if (i == static_cast<std::size_t>(parties / 2)) throw asyncio::RuntimeError("boom");
        (void)co_await b1.wait();
        r1.push_back(true);
      } catch (const asyncio::BrokenBarrierError&) {
        r2.push_back(true);
      } catch (const asyncio::RuntimeError&) {
        failed = true;
      }
      if (failed) co_await b1.abort();
      // Everyone leaves b1 before the reset, nobody enters before it ends.
      std::size_t i = co_await b2.wait();
      if (i == static_cast<std::size_t>(parties / 2)) co_await b1.reset();
      (void)co_await b2.wait();
      (void)co_await b1.wait();
      r3.push_back(true);
    };
    std::vector<Task<void>> tasks;
    for (int i = 0; i < n; ++i)
      tasks.push_back(asyncio::create_task(coro(barrier1, barrier2, n, results1, results2, results3)));
    co_await settle(tasks);
    for (auto& t : tasks) CHECK_FALSE(raised(t));
    CHECK_FALSE(barrier1.broken());
    CHECK(results1.empty());
    CHECK(results2.size() == static_cast<std::size_t>(n - 1));
    CHECK(results3.size() == static_cast<std::size_t>(n));
    CHECK(barrier1.n_waiting() == 0);
  }());
}

TEST_CASE("Barrier wait raises BrokenBarrierError for waiters when aborted", "[locks]") {
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Barrier barrier(3);
    auto t1 = asyncio::create_task(barrier.wait());
    auto t2 = asyncio::create_task(barrier.wait());
    co_await asyncio::sleep(0);
    CHECK(barrier.n_waiting() == 2);
    co_await barrier.abort();
    co_await settle(t1, t2);
    CHECK(raised_as<asyncio::BrokenBarrierError>(t1));
    CHECK(raised_as<asyncio::BrokenBarrierError>(t2));
    CHECK(barrier.n_waiting() == 0);
  }());
}
