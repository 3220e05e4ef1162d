// The three loop scenarios of bench_core.cpp, timed by hand (Google
// Benchmark does not build for WebAssembly), so that the same program gives
// the native figures and the wasm32-emscripten ones side by side:
//
//   await asyncio::sleep(0)                   one loop pass round trip
//   co_await create_task(trivial())           a task created, run, awaited
//   call_soon(cb) + the loop running it       the ready queue's hot path
//
// Each scenario runs kOps operations, kRounds times; the best round is
// printed in ns per operation, of wall time and of the process's CPU time
// (the machine is shared: a round that lost the CPU to another process
// shows in wall time, not in CPU time). Natively the loop is the blocking
// asyncio::run(); on wasm32-emscripten the same coroutine also runs on
// asyncio::webloop::run(), where every loop pass is stepped from the
// JavaScript event loop. bench/README.md has the figures and how they
// compare with Pyodide's WebLoop (bench/pyodide/).
//
//   ./build/release/bench/bench_loop_scenarios              native
//   node build/emscripten-release/bench/bench_loop_scenarios.js
#include <asyncio/asyncio.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "bench_loop_scenarios.hpp"

namespace bench {

namespace {

constexpr int kOps = 20000;
constexpr int kRounds = 15;

double wall_ns() {
  return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// One measurement: wall and CPU time since start().
struct Stopwatch {
  double wall0 = wall_ns();
  double cpu0 = cpu_ns();
  Sample per_op(int ops) const { return {(wall_ns() - wall0) / ops, (cpu_ns() - cpu0) / ops}; }
};

asyncio::Coro<int> trivial() { co_return 1; }

asyncio::Coro<Sample> time_sleep0() {
  const Stopwatch watch;
  for (int i = 0; i < kOps; ++i) {
    auto s = asyncio::sleep(0);
    co_await std::move(s);
  }
  co_return watch.per_op(kOps);
}

asyncio::Coro<Sample> time_create_task() {
  long sum = 0;
  const Stopwatch watch;
  for (int i = 0; i < kOps; ++i) {
    auto t = asyncio::create_task(trivial());
    const int one = co_await t;
    sum += one;
  }
  const Sample sample = watch.per_op(kOps);
  if (sum != kOps) std::fprintf(stderr, "create_task: wrong sum %ld\n", sum);
  co_return sample;
}

struct CallSoonState {
  asyncio::Future<void> done;
  long count = 0;
};

asyncio::Coro<Sample> time_call_soon() {
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  CallSoonState state{loop.create_future<void>()};
  auto bump = [&state] {
    if (++state.count == kOps) state.done.set_result();
  };
  const Stopwatch watch;
  for (int i = 0; i < kOps; ++i) loop.call_soon(bump);
  co_await state.done;
  co_return watch.per_op(kOps);
}

// The best round, of wall time and of CPU time separately.
Sample best(const std::vector<Sample>& v) {
  Sample b = v.front();
  for (const Sample& s : v) {
    b.wall_ns = std::min(b.wall_ns, s.wall_ns);
    b.cpu_ns = std::min(b.cpu_ns, s.cpu_ns);
  }
  return b;
}

}  // namespace

asyncio::Coro<Results> run_scenarios() {
  std::vector<Sample> sleep0, create_task, call_soon;
  for (int round = 0; round < kRounds; ++round) {
    auto a = time_sleep0();
    sleep0.push_back(co_await std::move(a));
    auto b = time_create_task();
    create_task.push_back(co_await std::move(b));
    auto c = time_call_soon();
    call_soon.push_back(co_await std::move(c));
  }
  Results r;
  r.lines.push_back({"await sleep(0)", best(sleep0)});
  r.lines.push_back({"create_task + await a trivial task", best(create_task)});
  r.lines.push_back({"call_soon + run the callback", best(call_soon)});
  co_return r;
}

void print(const char* how, const Results& results) {
  std::printf("%s: ns per operation, best of %d rounds of %d\n", how, kRounds, kOps);
  std::printf("  %-38s %9s %9s\n", "", "wall", "CPU");
  for (const Line& line : results.lines) {
    std::printf("  %-38s %9.1f %9.1f\n", line.scenario.c_str(), line.best.wall_ns, line.best.cpu_ns);
  }
  std::fflush(stdout);
}

}  // namespace bench
