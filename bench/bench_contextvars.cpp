// Context variables (issue 16): ContextVar::get/set, copy_context, and
// create_task while variables are in use. The task-creation cost with no
// variable in use is bench_core's BM_create_task_await.
#include <asyncio/asyncio.hpp>
#include <benchmark/benchmark.h>

namespace {

asyncio::ContextVar<int> g_var("bench_var", 0);
asyncio::ContextVar<int> g_other1("other1", 0);
asyncio::ContextVar<int> g_other2("other2", 0);
asyncio::ContextVar<int> g_other3("other3", 0);

// get() of a variable with a value, in a context holding four variables.
void BM_ContextVar_get(benchmark::State& state) {
  asyncio::Context ctx;
  ctx.run([&] {
    (void)g_other1.set(1);
    (void)g_other2.set(2);
    (void)g_var.set(42);
    (void)g_other3.set(3);
    long sum = 0;
    for (auto _ : state) {
      sum += g_var.get();
      benchmark::DoNotOptimize(sum);
    }
  });
}
BENCHMARK(BM_ContextVar_get);

// get() of a variable without a value (no context exists: the default).
void BM_ContextVar_get_default(benchmark::State& state) {
  asyncio::ContextVar<int> var("unset", 7);
  long sum = 0;
  for (auto _ : state) {
    sum += var.get();
    benchmark::DoNotOptimize(sum);
  }
}
BENCHMARK(BM_ContextVar_get_default);

// set() + reset(): two new maps (copy-on-write).
void BM_ContextVar_set_reset(benchmark::State& state) {
  asyncio::Context ctx;
  ctx.run([&] {
    (void)g_other1.set(1);
    for (auto _ : state) {
      auto token = g_var.set(1);
      g_var.reset(token);
    }
  });
}
BENCHMARK(BM_ContextVar_set_reset);

void BM_copy_context(benchmark::State& state) {
  asyncio::Context ctx;
  ctx.run([&] {
    (void)g_var.set(1);
    for (auto _ : state) benchmark::DoNotOptimize(asyncio::copy_context());
  });
}
BENCHMARK(BM_copy_context);

asyncio::Coro<int> trivial() { co_return 1; }

asyncio::Coro<> create_and_await(benchmark::State& state) {
  long sum = 0;
  (void)g_var.set(1);  // a variable in use: every task copies the context
  for (auto _ : state) {
    auto task = asyncio::create_task(trivial());
    sum += co_await task;
  }
  benchmark::DoNotOptimize(sum);
}

// create_task + await while a variable has a value (compare with
// bench_core's BM_create_task_await, where none has).
void BM_create_task_await_with_context(benchmark::State& state) {
  auto loop = asyncio::new_event_loop();
  loop->run_until_complete(create_and_await(state));
  loop->close();
}
BENCHMARK(BM_create_task_await_with_context);

}  // namespace

BENCHMARK_MAIN();
