// Queues: Queue, LifoQueue, PriorityQueue, shutdown, join/task_done.
// Python: test_queues.py (each CPython test is ported where C++ can
// express it; the "Python:" comments name the original).
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "support.hpp"
#include "task_helpers.hpp"

using asyncio::Coro;
using asyncio::Task;
using test::contains;
using test::LoopFixture;
using test::raised_as;
using test::settle;

namespace {

template <class Q>
Coro<typename Q::value_type> get_of(Q& q) {
  co_return co_await q.get();
}
template <class Q>
Coro<> put_of(Q& q, typename Q::value_type item) {
  co_await q.put(std::move(item));
}
template <class Q>
Coro<> join_of(Q& q) {
  co_await q.join();
}

}  // namespace

// ============================================================== basics

TEST_CASE("Queue repr and str show getters putters items and tasks", "[queues]") {
  // Python: QueueBasicTests.test_repr, test_str
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Queue<int> q;
    CHECK(q.repr().rfind("<Queue at 0x", 0) == 0);
    CHECK(q.str() == std::string("<Queue maxsize=0>"));
    auto getter = asyncio::create_task(get_of(q));
    co_await asyncio::sleep(0);
    CHECK(contains(q.repr(), "_getters[1]"));
    CHECK(contains(q.str(), "_getters[1]"));
    q.put_nowait(0);
    CO_CHECK(co_await getter == 0);

    asyncio::Queue<int> bounded(1);
    bounded.put_nowait(1);
    auto putter = asyncio::create_task(put_of(bounded, 2));
    co_await asyncio::sleep(0);
    CHECK(contains(bounded.repr(), "_putters[1]"));
    CHECK(bounded.get_nowait() == 1);
    co_await putter;
    CHECK(putter.done());

    asyncio::Queue<int> items;
    items.put_nowait(1);
    CHECK(contains(items.repr(), "_queue=[1]"));
    CHECK(items.str() == std::string("<Queue maxsize=0 _queue=[1] tasks=1>"));
    asyncio::Queue<std::string> strings;
    strings.put_nowait("a");
    CHECK(strings.str() == std::string("<Queue maxsize=0 _queue=['a'] tasks=1>"));
  }());
}

TEST_CASE("Queue empty is true until an item is put", "[queues]") {
  // Python: QueueBasicTests.test_empty
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Queue<int> q;
    CHECK(q.empty());
    co_await q.put(1);
    CHECK_FALSE(q.empty());
    CO_CHECK(co_await q.get() == 1);
    CHECK(q.empty());
  }());
}

TEST_CASE("Queue full is never true without a maxsize", "[queues]") {
  // Python: QueueBasicTests.test_full
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Queue<int> q;
    CHECK_FALSE(q.full());
    asyncio::Queue<int> bounded(1);
    co_await bounded.put(1);
    CHECK(bounded.full());
    asyncio::Queue<int> negative(-3);  // <= 0: unbounded
    for (int i = 0; i < 10; ++i) negative.put_nowait(i);
    CHECK_FALSE(negative.full());
    CHECK(negative.qsize() == 10);
  }());
}

TEST_CASE("Queue gives items in FIFO order", "[queues]") {
  // Python: QueueBasicTests.test_order
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Queue<int> q;
    const int inputs[] = {1, 3, 2};
    for (int i : inputs) co_await q.put(i);
    std::vector<int> items;
    for (int i = 0; i < 3; ++i) items.push_back(co_await q.get());
    CHECK((items == std::vector<int>{1, 3, 2}));
  }());
}

TEST_CASE("Queue put blocks once maxsize items are in", "[queues]") {
  // Python: QueueBasicTests.test_maxsize
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Queue<int> q(2);
    CHECK(q.maxsize() == 2);
    std::vector<int> have_been_put;
    auto putter = [](asyncio::Queue<int>& queue, std::vector<int>& put) -> Coro<bool> {
      for (int i = 0; i < 3; ++i) {
        co_await queue.put(i);
        put.push_back(i);
      }
      co_return true;
    };
    auto t = asyncio::create_task(putter(q, have_been_put));
    for (int i = 0; i < 2; ++i) co_await asyncio::sleep(0);
    CHECK((have_been_put == std::vector<int>{0, 1}));
    CO_CHECK(co_await q.get() == 0);
    co_await asyncio::sleep(0);
    CHECK((have_been_put == std::vector<int>{0, 1, 2}));
    CO_CHECK(co_await q.get() == 1);
    CO_CHECK(co_await q.get() == 2);
    CHECK((t.done() && t.result()));
  }());
}

TEST_CASE("Queue get with an item there does not yield to the loop", "[queues]") {
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Queue<int> q;
    q.put_nowait(5);
    bool ran = false;
    asyncio::get_running_loop().call_soon([&ran] { ran = true; });
    CO_CHECK(co_await q.get() == 5);
    co_await q.put(6);
    CHECK_FALSE(ran);
    co_await asyncio::sleep(0);
    CHECK(ran);
  }());
}

// ============================================================== get

TEST_CASE("Queue get takes an item that is already there", "[queues]") {
  // Python: QueueGetTests.test_blocking_get
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Queue<int> q;
    q.put_nowait(1);
    CO_CHECK(co_await q.get() == 1);
  }());
}

TEST_CASE("Queue get wakes a blocked putter", "[queues]") {
  // Python: QueueGetTests.test_get_with_putters
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Queue<int> q(1);
    co_await q.put(1);
    auto putter = asyncio::create_task(put_of(q, 2));
    co_await asyncio::sleep(0);
    CHECK_FALSE(putter.done());
    CO_CHECK(co_await q.get() == 1);
    co_await asyncio::sleep(0);
    CHECK(putter.done());
    CHECK(q.get_nowait() == 2);
  }());
}

TEST_CASE("Queue get waits for an item put later", "[queues]") {
  // Python: QueueGetTests.test_blocking_get_wait
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Queue<int> q;
    asyncio::Event started;
    bool finished = false;
    auto queue_get = [](asyncio::Queue<int>& queue, asyncio::Event& s, bool& fin) -> Coro<int> {
      s.set();
      int res = co_await queue.get();
      fin = true;
      co_return res;
    };
    auto task = asyncio::create_task(queue_get(q, started, finished));
    co_await started.wait();
    CHECK_FALSE(finished);
    asyncio::get_running_loop().call_later(0.01, [&q] { q.put_nowait(1); });
    const int res = co_await task;
    CHECK(finished);
    CHECK(res == 1);
  }());
}

TEST_CASE("Queue get_nowait takes an item", "[queues]") {
  // Python: QueueGetTests.test_nonblocking_get
  asyncio::Queue<int> q;
  q.put_nowait(1);
  CHECK(q.get_nowait() == 1);
}

TEST_CASE("Queue get_nowait on an empty queue raises QueueEmpty", "[queues]") {
  // Python: QueueGetTests.test_nonblocking_get_exception
  asyncio::Queue<int> q;
  CHECK_THROWS_AS(q.get_nowait(), asyncio::QueueEmpty);
  CHECK_THROWS_WITH(q.get_nowait(), "");
}

TEST_CASE("Queue item put after a getter was cancelled goes to the next getter", "[queues]") {
  // Python: QueueGetTests.test_get_cancelled_race
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Queue<std::string> q;
    auto t1 = asyncio::create_task(get_of(q));
    auto t2 = asyncio::create_task(get_of(q));
    co_await asyncio::sleep(0);
    t1.cancel();
    co_await asyncio::sleep(0);
    CHECK(t1.done());
    co_await q.put("a");
    co_await asyncio::sleep(0);
    CO_CHECK(co_await t2 == std::string("a"));
  }());
}

TEST_CASE("Queue get releases waiting putters in FIFO order", "[queues]") {
  // Python: QueueGetTests.test_get_with_waiting_putters
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Queue<std::string> q(1);
    auto pa = asyncio::create_task(put_of(q, "a"));
    auto pb = asyncio::create_task(put_of(q, "b"));
    CO_CHECK(co_await q.get() == std::string("a"));
    CO_CHECK(co_await q.get() == std::string("b"));
    co_await settle(pa, pb);
  }());
}

Coro<> consume(asyncio::Queue<int>& q, int n, std::vector<int>& got) {
  for (int i = 0; i < n; ++i) got.push_back(co_await q.get());
}
Coro<> produce(asyncio::Queue<int>& q, int n) {
  for (int i = 0; i < n; ++i) co_await q.put(i);
}

TEST_CASE("Queue producer and consumer hand items over through a one-slot queue", "[queues]") {
  // Python: QueueGetTests.test_why_are_getters_waiting
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Queue<int> q(1);
    std::vector<int> got;
    auto p = asyncio::create_task(produce(q, 5));
    auto c = asyncio::create_task(consume(q, 5, got));
    co_await p;
    co_await c;
    CHECK((got == std::vector<int>{0, 1, 2, 3, 4}));
    CHECK(q.empty());
    CHECK_FALSE(contains(q.repr(), "_getters"));
  }());
}

TEST_CASE("Queue cancelled getters do not stay in the getters", "[queues]") {
  // Python: QueueGetTests.test_cancelled_getters_not_being_held_in_self_getters
  // (the original cancels through wait_for's timeout).
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Queue<int> q(5);
    auto t = asyncio::create_task(get_of(q));
    co_await asyncio::sleep(0);
    CHECK(contains(q.repr(), "_getters[1]"));
    t.cancel();
    co_await settle(t);
    CHECK(t.cancelled());
    CHECK_FALSE(contains(q.repr(), "_getters"));
  }());
}

TEST_CASE("Queue woken getter that lost its item to get_nowait waits again at the end of the line",
          "[queues]") {
  // Queues allow barging (unlike locks): get_nowait() takes an item a
  // waiting getter was woken for; that getter re-waits behind the others.
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Queue<int> q;
    auto g1 = asyncio::create_task(get_of(q));
    auto g2 = asyncio::create_task(get_of(q));
    co_await asyncio::sleep(0);
    q.put_nowait(1);  // wakes g1
    CHECK(q.get_nowait() == 1);
    CHECK(contains(q.repr(), "_getters[1]"));  // g1 was popped when woken
    co_await asyncio::sleep(0);                // g1 finds nothing: re-queues behind g2
    CHECK(contains(q.repr(), "_getters[2]"));
    CHECK_FALSE(g1.done());
    q.put_nowait(2);
    q.put_nowait(3);
    CO_CHECK(co_await g2 == 2);
    CO_CHECK(co_await g1 == 3);
  }());
}

// ============================================================== put

TEST_CASE("Queue put into an unbounded queue never blocks", "[queues]") {
  // Python: QueuePutTests.test_blocking_put
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Queue<int> q;
    co_await q.put(1);
    CO_CHECK(co_await q.get() == 1);
  }());
}

TEST_CASE("Queue put waits for a free slot", "[queues]") {
  // Python: QueuePutTests.test_blocking_put_wait
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Queue<int> q(1);
    asyncio::Event started;
    bool finished = false;
    auto queue_put = [](asyncio::Queue<int>& queue, asyncio::Event& s, bool& fin) -> Coro<> {
      s.set();
      co_await queue.put(1);
      co_await queue.put(2);
      fin = true;
    };
    asyncio::get_running_loop().call_later(0.01, [&q] { (void)q.get_nowait(); });
    auto task = asyncio::create_task(queue_put(q, started, finished));
    co_await started.wait();
    CHECK_FALSE(finished);
    co_await task;
    CHECK(finished);
    CHECK(q.get_nowait() == 2);
  }());
}

TEST_CASE("Queue put_nowait puts an item", "[queues]") {
  // Python: QueuePutTests.test_nonblocking_put
  asyncio::Queue<int> q;
  q.put_nowait(1);
  CHECK(q.get_nowait() == 1);
}

TEST_CASE("Queue getter cancelled after its item arrived does not lose the item", "[queues]") {
  // Python: QueuePutTests.test_get_cancel_drop_one_pending_reader
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Queue<int> q;
    auto reader = asyncio::create_task(get_of(q));
    co_await asyncio::sleep(0);
    q.put_nowait(1);
    q.put_nowait(2);
    reader.cancel();
    bool cancelled = false;
    try {
      co_await reader;
    } catch (const asyncio::CancelledError&) {
      cancelled = true;
    }
    CHECK(cancelled);
    auto again = asyncio::create_task(get_of(q));
    CO_CHECK(co_await again == 1);  // 2 would mean 1 was dropped
    CHECK(q.qsize() == 1);
  }());
}

TEST_CASE("Queue one of several woken getters cancelled hands its item to another", "[queues]") {
  // Python: QueuePutTests.test_get_cancel_drop_many_pending_readers
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Queue<int> q;
    auto reader1 = asyncio::create_task(get_of(q));
    auto reader2 = asyncio::create_task(get_of(q));
    auto reader3 = asyncio::create_task(get_of(q));
    co_await asyncio::sleep(0);
    q.put_nowait(1);
    q.put_nowait(2);
    reader1.cancel();
    co_await settle(reader1);
    CHECK(reader1.cancelled());
    const int r3 = co_await reader3;
    const int r2 = co_await reader2;
    CHECK(((r2 == 1 && r3 == 2) || (r2 == 2 && r3 == 1)));
    CHECK(q.empty());
  }());
}

TEST_CASE("Queue putter cancelled after a slot freed up does not lose the slot", "[queues]") {
  // Python: QueuePutTests.test_put_cancel_drop
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Queue<int> q(1);
    q.put_nowait(1);
    auto writer = asyncio::create_task(put_of(q, 2));
    co_await asyncio::sleep(0);
    CHECK(q.get_nowait() == 1);
    writer.cancel();
    bool cancelled = false;
    try {
      co_await writer;
    } catch (const asyncio::CancelledError&) {
      cancelled = true;
    }
    CHECK(cancelled);
    co_await asyncio::create_task(put_of(q, 2));
    CHECK(q.get_nowait() == 2);
    CHECK(q.qsize() == 0);
  }());
}

TEST_CASE("Queue put_nowait on a full queue raises QueueFull", "[queues]") {
  // Python: QueuePutTests.test_nonblocking_put_exception
  asyncio::Queue<int> q(1);
  q.put_nowait(1);
  CHECK_THROWS_AS(q.put_nowait(2), asyncio::QueueFull);
  CHECK(q.qsize() == 1);
}

TEST_CASE("Queue put in a task finishes once the item is got", "[queues]") {
  // Python: QueuePutTests.test_put_cancelled
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Queue<int> q;
    auto queue_put = [](asyncio::Queue<int>& queue) -> Coro<bool> {
      co_await queue.put(1);
      co_return true;
    };
    auto t = asyncio::create_task(queue_put(q));
    CO_CHECK(co_await q.get() == 1);
    CHECK((t.done() && t.result()));
  }());
}

TEST_CASE("Queue putter cancelled while waiting lets the next putter in", "[queues]") {
  // Python: QueuePutTests.test_put_cancelled_race
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Queue<std::string> q(1);
    auto put_a = asyncio::create_task(put_of(q, "a"));
    auto put_b = asyncio::create_task(put_of(q, "b"));
    auto put_c = asyncio::create_task(put_of(q, "X"));
    co_await asyncio::sleep(0);
    CHECK(put_a.done());
    CHECK_FALSE(put_b.done());
    put_c.cancel();
    co_await asyncio::sleep(0);
    CHECK(put_c.done());
    CHECK(q.get_nowait() == std::string("a"));
    co_await asyncio::sleep(0);
    CHECK(q.get_nowait() == std::string("b"));
    co_await put_b;
    CHECK(q.empty());
  }());
}

TEST_CASE("Queue put wakes a waiting getter", "[queues]") {
  // Python: QueuePutTests.test_put_with_waiting_getters
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Queue<std::string> q;
    auto t = asyncio::create_task(get_of(q));
    co_await asyncio::sleep(0);
    co_await q.put("a");
    CO_CHECK(co_await t == std::string("a"));
  }());
}

TEST_CASE("Queue putters blocked on a full queue all get in as it drains", "[queues]") {
  // Python: QueuePutTests.test_why_are_putters_waiting
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Queue<int> q(2);
    auto getter = [](asyncio::Queue<int>& queue) -> Coro<> {
      co_await asyncio::sleep(0);
      const std::size_t n = queue.qsize();
      for (std::size_t i = 0; i < n; ++i) (void)queue.get_nowait();
    };
    auto g = asyncio::create_task(getter(q));
    std::vector<Task<void>> putters;
    for (int i = 0; i < 4; ++i) putters.push_back(asyncio::create_task(put_of(q, i)));
    co_await g;
    for (auto& p : putters) co_await p;
    CHECK(q.qsize() == 2);
  }());
}

TEST_CASE("Queue cancelled putters do not stay in the putters", "[queues]") {
  // Python: QueuePutTests.test_cancelled_puts_not_being_held_in_self_putters
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Queue<int> q(1);
    q.put_nowait(1);
    auto put_task = asyncio::create_task(put_of(q, 1));
    co_await asyncio::sleep(0);
    CHECK(contains(q.repr(), "_putters[1]"));
    put_task.cancel();
    co_await settle(put_task);
    CHECK(put_task.cancelled());
    CHECK_FALSE(contains(q.repr(), "_putters"));
  }());
}

TEST_CASE("Queue putter woken by get_nowait then cancelled raises only CancelledError", "[queues]") {
  // Python: QueuePutTests.test_cancelled_put_silence_value_error_exception
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Queue<int> q(1);
    q.put_nowait(1);
    auto put_task = asyncio::create_task(put_of(q, 1));
    co_await asyncio::sleep(0);
    (void)q.get_nowait();  // pops the putter's node
    put_task.cancel();
    bool cancelled = false;
    try {
      co_await put_task;
    } catch (const asyncio::CancelledError&) {
      cancelled = true;
    }
    CHECK(cancelled);
    CHECK(q.empty());
  }());
}

TEST_CASE("Queue put cancelled while waiting puts nothing", "[queues]") {
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Queue<int> q(1);
    q.put_nowait(1);
    auto put_task = asyncio::create_task(put_of(q, 2));
    co_await asyncio::sleep(0);
    put_task.cancel();
    co_await settle(put_task);
    CHECK(put_task.cancelled());
    CHECK(q.qsize() == 1);
    CHECK(q.get_nowait() == 1);
    CHECK(q.empty());
  }());
}

TEST_CASE("Queue blocked putters and getters wake in FIFO order", "[queues]") {
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Queue<int> q;
    std::vector<int> order;
    auto getter = [](asyncio::Queue<int>& queue, std::vector<int>& out, int tag) -> Coro<> {
      const int item = co_await queue.get();
      out.push_back(tag * 10 + item);
    };
    std::vector<Task<void>> getters;
    for (int tag = 1; tag <= 3; ++tag) getters.push_back(asyncio::create_task(getter(q, order, tag)));
    co_await asyncio::sleep(0);
    for (int item = 1; item <= 3; ++item) q.put_nowait(item);
    co_await settle(getters);
    CHECK((order == std::vector<int>{11, 22, 33}));

    asyncio::Queue<int> bounded(1);
    bounded.put_nowait(0);
    std::vector<Task<void>> putters;
    for (int item = 1; item <= 3; ++item) putters.push_back(asyncio::create_task(put_of(bounded, item)));
    co_await asyncio::sleep(0);
    std::vector<int> got;
    for (int i = 0; i < 4; ++i) got.push_back(co_await bounded.get());
    CHECK((got == std::vector<int>{0, 1, 2, 3}));
    co_await settle(putters);
  }());
}

TEST_CASE("Queue holds move-only items", "[queues]") {
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Queue<std::unique_ptr<int>> q(1);
    co_await q.put(std::make_unique<int>(7));
    auto putter = [](asyncio::Queue<std::unique_ptr<int>>& queue) -> Coro<> {
      co_await queue.put(std::make_unique<int>(8));
    };
    auto t = asyncio::create_task(putter(q));
    co_await asyncio::sleep(0);
    std::unique_ptr<int> a = co_await q.get();
    std::unique_ptr<int> b = co_await q.get();
    CHECK(*a == 7);
    CHECK(*b == 8);
    co_await t;
    asyncio::LifoQueue<std::unique_ptr<int>> lifo;
    lifo.put_nowait(std::make_unique<int>(1));
    CHECK(*lifo.get_nowait() == 1);
  }());
}

TEST_CASE("Queue grows past its initial storage and keeps FIFO order", "[queues]") {
  asyncio::Queue<std::string> q;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 100; ++i) q.put_nowait(std::to_string(i));
    for (int i = 0; i < 60; ++i) REQUIRE(q.get_nowait() == std::to_string(i));
    for (int i = 0; i < 40; ++i) REQUIRE(q.get_nowait() == std::to_string(60 + i));
  }
  for (int i = 0; i < 5; ++i) q.put_nowait("x");
  CHECK(q.qsize() == 5);
}

TEST_CASE("Queue blocked in another loop is bound to it", "[queues]") {
  asyncio::Queue<int> q;
  test::block_once_in_new_loop(get_of(q));
  LoopFixture f;
  const std::string message = test::runtime_error_of(*f.loop, get_of(q));
  CHECK(message.rfind("<Queue at 0x", 0) == 0);
  CHECK(test::ends_with(message, "maxsize=0> is bound to a different event loop"));
  q.put_nowait(1);  // calls that do not wait need no loop
  CHECK(f.loop->run_until_complete(get_of(q)) == 1);
}

TEST_CASE("Queue getter destroyed with its loop leaves the queue usable", "[queues]") {
  asyncio::Queue<int> q;
  {
    LoopFixture f;
    f.expect_report("Task was destroyed but it is pending!");
    f.loop->run_until_complete([](asyncio::Queue<int>& queue) -> Coro<> {
      (void)asyncio::create_task(get_of(queue));
      co_await asyncio::sleep(0);
    }(q));
    CHECK(contains(q.repr(), "_getters[1]"));
    f.loop->close();
    CHECK(f.errors.size() == 1);
  }
  CHECK_FALSE(contains(q.repr(), "_getters"));
  q.put_nowait(1);
  CHECK(q.get_nowait() == 1);
}

// ============================================================== LifoQueue, PriorityQueue

TEST_CASE("LifoQueue gives the most recent item first", "[queues]") {
  // Python: LifoQueueTests.test_order
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::LifoQueue<int> q;
    const int inputs[] = {1, 3, 2};
    for (int i : inputs) co_await q.put(i);
    std::vector<int> items;
    for (int i = 0; i < 3; ++i) items.push_back(co_await q.get());
    CHECK((items == std::vector<int>{2, 3, 1}));
    CHECK(q.str() == std::string("<LifoQueue maxsize=0 tasks=3>"));
  }());
}

TEST_CASE("PriorityQueue gives the lowest item first", "[queues]") {
  // Python: PriorityQueueTests.test_order
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::PriorityQueue<int> q;
    const int inputs[] = {1, 3, 2};
    for (int i : inputs) co_await q.put(i);
    std::vector<int> items;
    for (int i = 0; i < 3; ++i) items.push_back(co_await q.get());
    CHECK((items == std::vector<int>{1, 2, 3}));
  }());
}

TEST_CASE("PriorityQueue orders pairs by priority and takes a comparator", "[queues]") {
  asyncio::PriorityQueue<std::pair<int, std::string>> q;
  q.put_nowait({3, "low"});
  q.put_nowait({1, "high"});
  q.put_nowait({2, "mid"});
  CHECK(q.get_nowait().second == std::string("high"));
  CHECK(q.get_nowait().second == std::string("mid"));
  CHECK(q.get_nowait().second == std::string("low"));

  asyncio::PriorityQueue<int, std::greater<int>> largest_first;
  for (int i : {5, 9, 1, 7}) largest_first.put_nowait(i);
  std::vector<int> items;
  while (!largest_first.empty()) items.push_back(largest_first.get_nowait());
  CHECK((items == std::vector<int>{9, 7, 5, 1}));
}

TEST_CASE("LifoQueue and PriorityQueue work through a Queue reference", "[queues]") {
  // Python: they are Queue subclasses.
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::LifoQueue<int> lifo;
    asyncio::PriorityQueue<int> prio;
    asyncio::Queue<int>* queues[] = {&lifo, &prio};
    const int inputs[] = {2, 1, 3};
    for (asyncio::Queue<int>* q : queues) {
      for (int i : inputs) co_await q->put(i);
    }
    asyncio::Queue<int>& as_queue = lifo;
    CO_CHECK(co_await as_queue.get() == 3);
    CHECK(contains(as_queue.repr(), "<LifoQueue at 0x"));
    asyncio::Queue<int>& as_queue2 = prio;
    CO_CHECK(co_await as_queue2.get() == 1);
    CHECK(contains(as_queue2.repr(), "_queue=[2, 3]"));
  }());
}

// Defines one test case per queue kind (Queue, LifoQueue, PriorityQueue of
// `item`) running body<kind>(): a coroutine run on a fresh loop, or a plain
// function. Python: the _QueueJoinTestMixin / _QueueShutdownTestMixin
// classes instantiated for each kind.
template <class R>
void run_body(R (*body)()) {
  if constexpr (std::is_void_v<R>) {
    body();
  } else {
    LoopFixture f;
    f.loop->run_until_complete(body());
  }
}
#define QUEUE_KINDS_TEST_CASE(description, body, item)                                                   \
  TEST_CASE("Queue " description, "[queues]") { run_body(&body<asyncio::Queue<item>>); }                 \
  TEST_CASE("LifoQueue " description, "[queues]") { run_body(&body<asyncio::LifoQueue<item>>); }         \
  TEST_CASE("PriorityQueue " description, "[queues]") { run_body(&body<asyncio::PriorityQueue<item>>); }

// ============================================================== join, task_done

template <class Q>
void check_task_done_underflow() {
  Q q;
  CHECK_THROWS_AS(q.task_done(), asyncio::ValueError);
  CHECK_THROWS_WITH(q.task_done(), "task_done() called too many times");
}

// Python: QueueJoinTests.test_task_done_underflow (the three queue kinds, as CPython's mixins)
QUEUE_KINDS_TEST_CASE("task_done called too often raises ValueError", check_task_done_underflow, int)

template <class Q>
Coro<> worker(Q& q, int& accumulator, bool& running) {
  while (running) {
    const int item = co_await q.get();
    accumulator += item;
    q.task_done();
  }
}

template <class Q>
Coro<> join_after_workers() {
  Q q;
  for (int i = 0; i < 100; ++i) q.put_nowait(i);
  int accumulator = 0;
  bool running = true;
  std::vector<Task<void>> tasks;
  for (int i = 0; i < 2; ++i) tasks.push_back(asyncio::create_task(worker(q, accumulator, running)));
  co_await q.join();
  CHECK(accumulator == 99 * 100 / 2);
  running = false;
  for (std::size_t i = 0; i < tasks.size(); ++i) q.put_nowait(0);
  for (auto& t : tasks) co_await t;
}

// Python: QueueJoinTests.test_task_done (the three queue kinds, as CPython's mixins)
QUEUE_KINDS_TEST_CASE("join waits until workers called task_done for every item", join_after_workers, int)

template <class Q>
Coro<> join_empty() {
  Q q;
  bool ran = false;
  asyncio::get_running_loop().call_soon([&ran] { ran = true; });
  co_await q.join();
  co_await q.join();
  CHECK_FALSE(ran);  // done at once, before anything else
  co_await asyncio::sleep(0);
}

// Python: QueueJoinTests.test_join_empty_queue (the three queue kinds, as CPython's mixins)
QUEUE_KINDS_TEST_CASE("join on an empty queue returns at once", join_empty, int)

TEST_CASE("Queue repr counts unfinished tasks", "[queues]") {
  // Python: QueueJoinTests.test_format
  asyncio::Queue<int> q;
  CHECK(q.str() == std::string("<Queue maxsize=0>"));
  q.put_nowait(1);
  q.put_nowait(2);
  (void)q.get_nowait();
  (void)q.get_nowait();
  CHECK(q.str() == std::string("<Queue maxsize=0 tasks=2>"));
  q.task_done();
  CHECK(q.str() == std::string("<Queue maxsize=0 tasks=1>"));
}

TEST_CASE("Queue join cancelled while waiting raises CancelledError", "[queues]") {
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Queue<int> q;
    q.put_nowait(1);
    auto joiner = asyncio::create_task(join_of(q));
    co_await asyncio::sleep(0);
    CHECK_FALSE(joiner.done());
    joiner.cancel();
    co_await settle(joiner);
    CHECK(joiner.cancelled());
    (void)q.get_nowait();
    q.task_done();
    co_await q.join();
  }());
}

// ============================================================== shutdown

template <class Q>
void check_shutdown_format() {
  Q q;
  q.shutdown();
  CHECK(test::ends_with(q.str(), " maxsize=0 shutdown>"));
}

// Python: QueueShutdownTests.test_format (the three queue kinds, as CPython's mixins)
QUEUE_KINDS_TEST_CASE("repr shows shutdown", check_shutdown_format, int)

template <class Q>
Coro<bool> put_raises_shutdown(Q& q) {
  try {
    co_await q.put("data");
  } catch (const asyncio::QueueShutDown&) {
    co_return true;
  }
  co_return false;
}
template <class Q>
Coro<bool> get_raises_shutdown(Q& q) {
  try {
    (void)co_await q.get();
  } catch (const asyncio::QueueShutDown&) {
    co_return true;
  }
  co_return false;
}
template <class Q>
Coro<> check_everything_raises_shutdown(Q& q) {
  CO_CHECK(co_await put_raises_shutdown(q));
  CHECK_THROWS_AS(q.put_nowait("data"), asyncio::QueueShutDown);
  CO_CHECK(co_await get_raises_shutdown(q));
  CHECK_THROWS_AS(q.get_nowait(), asyncio::QueueShutDown);
}

template <class Q>
Coro<> shutdown_empty() {
  Q q;
  auto get_task = asyncio::create_task(get_of(q));
  co_await asyncio::sleep(0);  // the getter waits before the shutdown
  q.shutdown({.immediate = false});
  CHECK(q.qsize() == 0);
  co_await q.join();
  co_await asyncio::sleep(0);
  CHECK(get_task.done());
  CHECK(raised_as<asyncio::QueueShutDown>(get_task));
  co_await check_everything_raises_shutdown(q);
}

// Python: QueueShutdownTests.test_shutdown_empty (the three queue kinds, as CPython's mixins)
QUEUE_KINDS_TEST_CASE("shutdown of an empty queue wakes getters with QueueShutDown", shutdown_empty, std::string)

template <class Q>
Coro<> shutdown_nonempty() {
  Q q(1);
  q.put_nowait("data");
  auto join_task = asyncio::create_task(join_of(q));
  auto put_task = asyncio::create_task(put_of(q, "data2"));
  co_await asyncio::sleep(0);
  CHECK_FALSE(put_task.done());
  q.shutdown();
  CHECK(q.qsize() == 1);
  co_await asyncio::sleep(0);
  CHECK(put_task.done());
  CHECK(raised_as<asyncio::QueueShutDown>(put_task));
  CO_CHECK(co_await q.get() == std::string("data"));  // the items left drain
  co_await asyncio::sleep(0);
  CHECK_FALSE(join_task.done());
  co_await check_everything_raises_shutdown(q);
  q.task_done();
  co_await asyncio::sleep(0);
  CHECK(join_task.done());
  co_await join_task;
  CHECK_THROWS_AS(q.task_done(), asyncio::ValueError);
}

// Python: QueueShutdownTests.test_shutdown_nonempty (the three queue kinds, as CPython's mixins)
QUEUE_KINDS_TEST_CASE("shutdown lets getters drain the items left", shutdown_nonempty, std::string)

template <class Q>
Coro<> shutdown_immediate() {
  Q q;
  q.put_nowait("data");
  auto join_task = asyncio::create_task(join_of(q));
  q.shutdown({.immediate = true});
  CHECK(q.qsize() == 0);
  co_await asyncio::sleep(0);
  CHECK(join_task.done());
  co_await join_task;
  co_await check_everything_raises_shutdown(q);
  CHECK_THROWS_AS(q.task_done(), asyncio::ValueError);
}

// Python: QueueShutdownTests.test_shutdown_immediate (the three queue kinds, as CPython's mixins)
QUEUE_KINDS_TEST_CASE("immediate shutdown drops the items and releases join", shutdown_immediate, std::string)

template <class Q>
Coro<> shutdown_immediate_with_unfinished() {
  Q q;
  q.put_nowait("data");
  q.put_nowait("data");
  auto join_task = asyncio::create_task(join_of(q));
  CO_CHECK(co_await q.get() == std::string("data"));
  q.shutdown({.immediate = true});  // unfinished: 2 -> 1
  CHECK(q.qsize() == 0);
  co_await asyncio::sleep(0);
  CHECK_FALSE(join_task.done());
  co_await check_everything_raises_shutdown(q);
  q.task_done();
  CHECK_THROWS_AS(q.task_done(), asyncio::ValueError);
  co_await asyncio::sleep(0);
  CHECK(join_task.done());
  co_await join_task;
}

// Python: QueueShutdownTests.test_shutdown_immediate_with_unfinished (the three queue kinds, as CPython's mixins)
QUEUE_KINDS_TEST_CASE("immediate shutdown keeps the count of items got but not done", shutdown_immediate_with_unfinished, std::string)

TEST_CASE("Queue shutdown wakes every blocked putter and getter in order", "[queues]") {
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Queue<int> empty;
    std::vector<Task<int>> getters;
    for (int i = 0; i < 3; ++i) getters.push_back(asyncio::create_task(get_of(empty)));
    asyncio::Queue<int> full(1);
    full.put_nowait(0);
    std::vector<Task<void>> putters;
    for (int i = 0; i < 3; ++i) putters.push_back(asyncio::create_task(put_of(full, i)));
    co_await asyncio::sleep(0);
    empty.shutdown();
    full.shutdown();
    co_await asyncio::sleep(0);
    for (auto& g : getters) CHECK(raised_as<asyncio::QueueShutDown>(g));
    for (auto& p : putters) CHECK(raised_as<asyncio::QueueShutDown>(p));
    CHECK(full.get_nowait() == 0);
    co_await settle(getters);
    co_await settle(putters);
  }());
}

TEST_CASE("Queue getters woken by shutdown take the items left first", "[queues]") {
  // A getter woken by shutdown(immediate=False) finds an item (put after
  // the wake-up) and takes it instead of raising.
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    asyncio::Queue<int> q;
    auto g1 = asyncio::create_task(get_of(q));
    auto g2 = asyncio::create_task(get_of(q));
    co_await asyncio::sleep(0);
    q.put_nowait(7);  // wakes g1
    q.shutdown();     // wakes g2
    co_await settle(g1, g2);
    CHECK(g1.result() == 7);
    CHECK(raised_as<asyncio::QueueShutDown>(g2));
  }());
}
