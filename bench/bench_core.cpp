// Micro-benchmarks of the loop's hot paths (issue: foundation).
// Each reports ns_per_op: wall time per operation. Compare ratios measured
// side by side (tools/bench runs CPython's asyncio on the same scenarios).
#include <asyncio/asyncio.hpp>
#include <benchmark/benchmark.h>

#include <random>

namespace {

constexpr int kBatch = 1000;

void set_ns_per_op(benchmark::State& state, double ops_per_iteration) {
  state.counters["ns_per_op"] = benchmark::Counter(static_cast<double>(state.iterations()) * ops_per_iteration,
                                                   benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void run_one_iteration(asyncio::EventLoop& loop) {
  loop.call_soon([&loop] { loop.stop(); });
  loop.run_forever();
}

// call_soon + running the callback.
void BM_call_soon(benchmark::State& state) {
  auto loop = asyncio::new_event_loop();
  long counter = 0;
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) loop->call_soon([&counter] { ++counter; });
    run_one_iteration(*loop);
  }
  benchmark::DoNotOptimize(counter);
  set_ns_per_op(state, kBatch);
  loop->close();
}
BENCHMARK(BM_call_soon);

asyncio::Coro<int> trivial() { co_return 1; }

asyncio::Coro<> create_and_await(benchmark::State& state) {
  long sum = 0;
  for (auto _ : state) sum += co_await asyncio::create_task(trivial());
  benchmark::DoNotOptimize(sum);
}

// create_task + await of a task that finishes at once.
void BM_create_task_await(benchmark::State& state) {
  auto loop = asyncio::new_event_loop();
  loop->run_until_complete(create_and_await(state));
  set_ns_per_op(state, 1);
  loop->close();
}
BENCHMARK(BM_create_task_await);

asyncio::Coro<> sleep_zero(benchmark::State& state) {
  for (auto _ : state) co_await asyncio::sleep(0);
}

// await sleep(0): one full loop iteration round trip.
void BM_sleep0(benchmark::State& state) {
  auto loop = asyncio::new_event_loop();
  loop->run_until_complete(sleep_zero(state));
  set_ns_per_op(state, 1);
  loop->close();
}
BENCHMARK(BM_sleep0);

asyncio::Coro<> future_round_trip(benchmark::State& state) {
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  long sum = 0;
  for (auto _ : state) {
    asyncio::Future<int> fut = loop.create_future<int>();
    loop.call_soon([fut]() mutable { fut.set_result(1); });
    sum += co_await fut;
  }
  benchmark::DoNotOptimize(sum);
}

// A new future, set_result from a callback, the waiting task resumed.
void BM_future_set_result_wakeup(benchmark::State& state) {
  auto loop = asyncio::new_event_loop();
  loop->run_until_complete(future_round_trip(state));
  set_ns_per_op(state, 1);
  loop->close();
}
BENCHMARK(BM_future_set_result_wakeup);

// 100,000 call_later()s with deadlines spread over 1 ms, until all fired.
void BM_call_later_100k(benchmark::State& state) {
  constexpr int kTimers = 100000;
  auto loop = asyncio::new_event_loop();
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> delay(0.0, 0.001);
  std::vector<double> delays(kTimers);
  for (double& d : delays) d = delay(rng);
  long fired = 0;
  for (auto _ : state) {
    for (double d : delays) loop->call_later(d, [&fired] { ++fired; });
    const long target = fired + kTimers;
    loop->call_later(0.0011, [&loop] { loop->stop(); });
    loop->run_forever();
    while (fired < target) run_one_iteration(*loop);
  }
  set_ns_per_op(state, kTimers);
  loop->close();
}
BENCHMARK(BM_call_later_100k)->Unit(benchmark::kMillisecond);

// The same timers through call_at() with deadlines from one clock read per
// round: the timer structure's own cost, without the clock read that each
// call_later() makes (CPython: call_at(self.time() + delay)).
void BM_call_at_100k(benchmark::State& state) {
  constexpr int kTimers = 100000;
  auto loop = asyncio::new_event_loop();
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> delay(0.0, 0.001);
  std::vector<double> delays(kTimers);
  for (double& d : delays) d = delay(rng);
  long fired = 0;
  for (auto _ : state) {
    const double now = loop->time();
    for (double d : delays) loop->call_at(now + d, [&fired] { ++fired; });
    const long target = fired + kTimers;
    loop->call_at(now + 0.0011, [&loop] { loop->stop(); });
    loop->run_forever();
    while (fired < target) run_one_iteration(*loop);
  }
  set_ns_per_op(state, kTimers);
  loop->close();
}
BENCHMARK(BM_call_at_100k)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
