// Memory per pending task: N tasks each waiting on one Event, peak RSS.
//
//   bench_memory [N]   (default 1,000,000)
//
// Prints peak RSS and bytes per task. Target: <= 200 MB for 1,000,000
// tasks. The CPython equivalent (1,116 MB for 1,000,000 tasks awaiting one
// Event, ~1,170 B per task) is bench/python/memory.py, which creates
// `asyncio.create_task(event.wait())`; here each task runs the smallest
// coroutine awaiting the event, as a C++ user would write it.
#include <asyncio/asyncio.hpp>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

asyncio::Coro<> waiter(asyncio::Event& event) { co_await event.wait(); }

asyncio::Coro<> run(long n) {
  asyncio::Event event;
  std::vector<asyncio::Task<void>> tasks;
  tasks.reserve(static_cast<std::size_t>(n));
  for (long i = 0; i < n; ++i) tasks.push_back(asyncio::create_task(waiter(event)));
  co_await asyncio::sleep(0);  // every task starts and suspends
  const long rss = peak_rss_kib();
  event.set();
  for (auto& t : tasks) co_await t;
  std::printf("tasks: %ld\npeak RSS: %.1f MB\nbytes per task (RSS / tasks): %.0f\n", n, rss / 1024.0,
              rss * 1024.0 / static_cast<double>(n));
}

}  // namespace

int main(int argc, char** argv) {
  long n = argc > 1 ? std::atol(argv[1]) : 1000000;
  asyncio::run(run(n));
}
