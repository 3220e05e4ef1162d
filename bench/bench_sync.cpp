// Micro-benchmarks of synchronization primitives and queues (issue: sync
// and queues). Each reports ns_per_op; bench/python/bench_sync.py runs the
// same scenarios on CPython's asyncio for side-by-side ratios.
//
// Targets: uncontended Lock acquire/release <= 10 ns, unbounded Queue
// put+get <= 20 ns, Queue(maxsize=1) producer/consumer handoff <= 180 ns.
#include <asyncio/asyncio.hpp>
#include <benchmark/benchmark.h>

#include <vector>

namespace {

constexpr int kBatch = 1000;

void set_ns_per_op(benchmark::State& state, double ops_per_iteration) {
  state.counters["ns_per_op"] = benchmark::Counter(static_cast<double>(state.iterations()) * ops_per_iteration,
                                                   benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

template <class Body>
void run_in_task(benchmark::State& state, Body body, double ops_per_iteration) {
  auto loop = asyncio::new_event_loop();
  loop->run_until_complete(body(state));
  set_ns_per_op(state, ops_per_iteration);
  loop->close();
}

// co_await lock.acquire(); lock.release(); with nobody else around.
asyncio::Coro<> lock_uncontended(benchmark::State& state) {
  asyncio::Lock lock;
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      co_await lock.acquire();
      lock.release();
    }
  }
}
void BM_lock_acquire_release(benchmark::State& state) { run_in_task(state, lock_uncontended, kBatch); }
BENCHMARK(BM_lock_acquire_release);

// The same through the scoped guard (Python: async with lock).
asyncio::Coro<> lock_hold(benchmark::State& state) {
  asyncio::Lock lock;
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      auto held = co_await asyncio::hold(lock);
      benchmark::DoNotOptimize(held);
    }
  }
}
void BM_lock_hold(benchmark::State& state) { run_in_task(state, lock_hold, kBatch); }
BENCHMARK(BM_lock_hold);

// co_await sem.acquire(); sem.release(); uncontended.
asyncio::Coro<> semaphore_uncontended(benchmark::State& state) {
  asyncio::Semaphore sem(4);
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      co_await sem.acquire();
      sem.release();
    }
  }
}
void BM_semaphore_acquire_release(benchmark::State& state) { run_in_task(state, semaphore_uncontended, kBatch); }
BENCHMARK(BM_semaphore_acquire_release);

// co_await q.put(i); co_await q.get(); on an unbounded queue (never blocks).
asyncio::Coro<> queue_put_get(benchmark::State& state) {
  asyncio::Queue<int> q;
  long sum = 0;
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      co_await q.put(i);
      sum += co_await q.get();
    }
  }
  benchmark::DoNotOptimize(sum);
}
void BM_queue_put_get(benchmark::State& state) { run_in_task(state, queue_put_get, kBatch); }
BENCHMARK(BM_queue_put_get);

// put_nowait + get_nowait: the queue alone, without the awaits.
void BM_queue_put_get_nowait(benchmark::State& state) {
  asyncio::Queue<int> q;
  long sum = 0;
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      q.put_nowait(i);
      sum += q.get_nowait();
    }
  }
  benchmark::DoNotOptimize(sum);
  set_ns_per_op(state, kBatch);
}
BENCHMARK(BM_queue_put_get_nowait);

asyncio::Coro<> produce(asyncio::Queue<int>& q, int n) {
  for (int i = 0; i < n; ++i) co_await q.put(i);
}

// A producer task and a consumer task hand items over through a
// Queue(maxsize=1): both block on every item. ns per item.
asyncio::Coro<> queue_handoff(benchmark::State& state) {
  asyncio::Queue<int> q(1);
  long sum = 0;
  for (auto _ : state) {
    auto producer = asyncio::create_task(produce(q, kBatch));
    for (int i = 0; i < kBatch; ++i) sum += co_await q.get();
    co_await producer;
  }
  benchmark::DoNotOptimize(sum);
}
void BM_queue_handoff_maxsize1(benchmark::State& state) { run_in_task(state, queue_handoff, kBatch); }
BENCHMARK(BM_queue_handoff_maxsize1);

constexpr int kWaiters = 1000;

// Waits on `a`, then on `b`, round after round, until `stop`.
asyncio::Coro<> ping_pong_waiter(asyncio::Event& a, asyncio::Event& b, const bool& stop) {
  while (!stop) {
    co_await a.wait();
    if (stop) break;
    co_await b.wait();
  }
}

// Event.set() waking 1,000 waiting tasks, each of which then blocks on the
// next event: one iteration is set() + 1,000 task wake-ups + 1,000 new
// waits. ns_per_op is per woken task; multiply by 1,000 for one set().
asyncio::Coro<> event_set_1000(benchmark::State& state) {
  asyncio::Event a;
  asyncio::Event b;
  bool stop = false;
  std::vector<asyncio::Task<void>> waiters;
  waiters.reserve(kWaiters);
  for (int i = 0; i < kWaiters; ++i) waiters.push_back(asyncio::create_task(ping_pong_waiter(a, b, stop)));
  co_await asyncio::sleep(0);  // all wait on a
  bool use_a = true;
  for (auto _ : state) {
    asyncio::Event& now = use_a ? a : b;
    asyncio::Event& next = use_a ? b : a;
    next.clear();
    now.set();
    co_await asyncio::sleep(0);  // every woken waiter runs before we do
    use_a = !use_a;
  }
  stop = true;
  a.set();
  b.set();
  for (auto& t : waiters) co_await t;
}
void BM_event_set_wakes_1000(benchmark::State& state) { run_in_task(state, event_set_1000, kWaiters); }
BENCHMARK(BM_event_set_wakes_1000);

// Condition.notify() / wait() ping-pong between two tasks.
asyncio::Coro<> condition_ping(asyncio::Condition& cond, int& turn, int me, int rounds) {
  auto held = co_await asyncio::hold(cond);
  for (int i = 0; i < rounds; ++i) {
    while (turn != me) (void)co_await cond.wait();
    turn = 1 - me;
    cond.notify();
  }
}
asyncio::Coro<> condition_ping_pong(benchmark::State& state) {
  asyncio::Condition cond;
  int turn = 0;
  for (auto _ : state) {
    auto a = asyncio::create_task(condition_ping(cond, turn, 0, kBatch));
    auto b = asyncio::create_task(condition_ping(cond, turn, 1, kBatch));
    co_await a;
    co_await b;
  }
}
void BM_condition_ping_pong(benchmark::State& state) { run_in_task(state, condition_ping_pong, 2 * kBatch); }
BENCHMARK(BM_condition_ping_pong);

}  // namespace

BENCHMARK_MAIN();
