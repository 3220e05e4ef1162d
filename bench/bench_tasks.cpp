// Micro-benchmarks of the combinators (issue 4): gather, TaskGroup,
// wait_for, timeout, shield. Each reports ns_per_op: wall time per
// operation (per child task for gather and TaskGroup). CPython's twin is
// bench/python/bench_tasks.py.
#include <asyncio/asyncio.hpp>
#include <benchmark/benchmark.h>

#include <vector>

namespace {

constexpr int kChildren = 1000;

void set_ns_per_op(benchmark::State& state, double ops_per_iteration) {
  state.counters["ns_per_op"] = benchmark::Counter(static_cast<double>(state.iterations()) * ops_per_iteration,
                                                   benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

asyncio::Coro<int> trivial() { co_return 1; }

template <class Body>
void run_in_loop(benchmark::State& state, Body body, double ops_per_iteration) {
  auto loop = asyncio::new_event_loop();
  loop->run_until_complete(body(state));
  set_ns_per_op(state, ops_per_iteration);
  loop->close();
}

// gather() of 1,000 trivial coroutines: each becomes a task, runs, and its
// result lands in the vector. Per child task.
// Python: await asyncio.gather(*[trivial() for _ in range(1000)])
asyncio::Coro<> gather_batch(benchmark::State& state) {
  long sum = 0;
  for (auto _ : state) {
    std::vector<asyncio::Coro<int>> coros;
    coros.reserve(kChildren);
    for (int i = 0; i < kChildren; ++i) coros.push_back(trivial());
    std::vector<int> results = co_await asyncio::gather(std::move(coros));
    sum += results.back();
  }
  benchmark::DoNotOptimize(sum);
}
void BM_gather_1000(benchmark::State& state) { run_in_loop(state, gather_batch, kChildren); }
BENCHMARK(BM_gather_1000);

// The same with the eager task factory: the children finish inside
// create_task and gather completes at once.
void BM_gather_1000_eager(benchmark::State& state) {
  auto loop = asyncio::new_event_loop();
  loop->set_task_factory(asyncio::eager_task_factory);
  loop->run_until_complete(gather_batch(state));
  set_ns_per_op(state, kChildren);
  loop->close();
}
BENCHMARK(BM_gather_1000_eager);

// A TaskGroup creating 1,000 trivial tasks and waiting for them. Per task.
// Python: async with asyncio.TaskGroup() as tg: for ...: tg.create_task(trivial())
asyncio::Coro<> task_group_batch(benchmark::State& state) {
  for (auto _ : state) {
    co_await asyncio::task_group([](asyncio::TaskGroup& tg) -> asyncio::Coro<> {
      for (int i = 0; i < kChildren; ++i) tg.create_task(trivial());
      co_return;
    });
  }
}
void BM_task_group_1000(benchmark::State& state) { run_in_loop(state, task_group_batch, kChildren); }
BENCHMARK(BM_task_group_1000);

// wait_for() on a future already done: no timer, no suspension.
// Python: await asyncio.wait_for(done_future, 1)
asyncio::Coro<> wait_for_done_batch(benchmark::State& state) {
  asyncio::Future<int> fut = asyncio::get_running_loop().create_future<int>();
  fut.set_result(1);
  long sum = 0;
  for (auto _ : state) sum += co_await asyncio::wait_for(fut, 1.0);
  benchmark::DoNotOptimize(sum);
}
void BM_wait_for_done_future(benchmark::State& state) { run_in_loop(state, wait_for_done_batch, 1); }
BENCHMARK(BM_wait_for_done_future);

// wait_for() on a coroutine that returns at once: a timeout is entered
// and left (its timer scheduled and cancelled). Per call, with a loop
// iteration every 1,000 calls to purge the cancelled timers.
// Python: await asyncio.wait_for(trivial(), 1)
asyncio::Coro<> wait_for_coro_batch(benchmark::State& state) {
  long sum = 0;
  int n = 0;
  for (auto _ : state) {
    sum += co_await asyncio::wait_for(trivial(), 1.0);
    if (++n == kChildren) {
      n = 0;
      co_await asyncio::sleep(0);
    }
  }
  benchmark::DoNotOptimize(sum);
}
void BM_wait_for_coro(benchmark::State& state) { run_in_loop(state, wait_for_coro_batch, 1); }
BENCHMARK(BM_wait_for_coro);

// shield() of a pending future completed by a callback.
// Python: fut = loop.create_future(); loop.call_soon(fut.set_result, 1); await asyncio.shield(fut)
asyncio::Coro<> shield_batch(benchmark::State& state) {
  auto& loop = asyncio::get_running_loop();
  long sum = 0;
  for (auto _ : state) {
    asyncio::Future<int> fut = loop.create_future<int>();
    loop.call_soon([fut]() mutable { fut.set_result(1); });
    sum += co_await asyncio::shield(fut);
  }
  benchmark::DoNotOptimize(sum);
}
void BM_shield(benchmark::State& state) { run_in_loop(state, shield_batch, 1); }
BENCHMARK(BM_shield);

}  // namespace

BENCHMARK_MAIN();
