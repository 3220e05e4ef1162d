// Memory per pending task: N tasks each suspended on its own wait, peak RSS.
//
//   bench_memory [N]   (default 1,000,000)
//
// Prints peak RSS and bytes per task. The CPython equivalent (1,116 MB for
// 1,000,000 tasks awaiting one Event, ~1,170 B per task) is
// bench/python/memory.py.
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

asyncio::Coro<> waiter(asyncio::Future<void> gate) { co_await gate; }

asyncio::Coro<> run(long n) {
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  asyncio::Future<void> gate = loop.create_future<void>();
  std::vector<asyncio::Task<void>> tasks;
  tasks.reserve(static_cast<std::size_t>(n));
  for (long i = 0; i < n; ++i) tasks.push_back(asyncio::create_task(waiter(gate)));
  co_await asyncio::sleep(0);  // every task starts and suspends
  const long rss = peak_rss_kib();
  gate.set_result();
  for (auto& t : tasks) co_await t;
  std::printf("tasks: %ld\npeak RSS: %.1f MB\nbytes per task (RSS / tasks): %.0f\n", n, rss / 1024.0,
              rss * 1024.0 / static_cast<double>(n));
}

}  // namespace

int main(int argc, char** argv) {
  long n = argc > 1 ? std::atol(argv[1]) : 1000000;
  asyncio::run(run(n));
}
