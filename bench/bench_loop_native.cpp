// The loop scenarios on the blocking asyncio::run() (native targets).
#include <time.h>

#include "bench_loop_scenarios.hpp"

double bench::cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

int main() {
  bench::Results results = asyncio::run(bench::run_scenarios());
  bench::print("asyncio::run (blocking)", results);
}
