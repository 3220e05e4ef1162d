// The loop scenarios on wasm32-emscripten: first on the blocking
// asyncio::run(), then on asyncio::webloop::run(), where the JavaScript
// event loop steps the loop (the way a page runs it).
#include <asyncio/webloop.hpp>
#include <emscripten.h>

#include "bench_loop_scenarios.hpp"

// Node.js: the process's CPU time (user + system); a browser has none, so
// there it is wall time.
EM_JS(double, bench_cpu_ns, (), {
  if (typeof process == 'object' && process.cpuUsage) {
    const u = process.cpuUsage();
    return (u.user + u.system) * 1000;
  }
  return performance.now() * 1e6;
});

double bench::cpu_ns() { return bench_cpu_ns(); }

int main() {
  bench::Results blocking = asyncio::run(bench::run_scenarios());
  bench::print("asyncio::run (blocking)", blocking);
  asyncio::webloop::run(bench::run_scenarios(), [](asyncio::Task<bench::Results> task) {
    bench::print("asyncio::webloop::run (stepped from the JavaScript event loop)", task.result());
  });
}
