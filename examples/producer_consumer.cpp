// A producer/consumer pipeline: a producer feeds jobs into a bounded queue,
// a pool of workers processes them, and the queue's shutdown stops the
// workers once every job is done. Python: the asyncio.Queue example of the
// asyncio documentation, with Queue.shutdown() (3.13) instead of cancelling
// the workers.
#include <asyncio/asyncio.hpp>
#include <iostream>
#include <utility>
#include <vector>

using namespace std::chrono_literals;

namespace {

constexpr int kJobs = 20;
constexpr int kWorkers = 3;
constexpr int kQueueSize = 4;

// Puts the jobs; waits whenever the queue holds kQueueSize of them.
asyncio::Coro<> producer(asyncio::Queue<int>& jobs) {
  for (int job = 1; job <= kJobs; ++job) co_await jobs.put(job);
}

// Processes jobs until the queue is shut down; returns how many it did.
asyncio::Coro<int> worker(asyncio::Queue<int>& jobs, asyncio::Queue<std::pair<int, int>>& results) {
  int done = 0;
  for (;;) {
    int job = 0;
    try {
      job = co_await jobs.get();
    } catch (const asyncio::QueueShutDown&) {
      break;  // shut down and drained: no more work will come
    }
    co_await asyncio::sleep(1ms);  // the "work"
    results.put_nowait({job, job * job});
    jobs.task_done();
    ++done;
  }
  co_return done;
}

asyncio::Coro<int> main_coro() {
  asyncio::Queue<int> jobs(kQueueSize);
  asyncio::Queue<std::pair<int, int>> results;

  std::vector<asyncio::Task<int>> workers;
  for (int i = 0; i < kWorkers; ++i)
    workers.push_back(asyncio::create_task(worker(jobs, results), {.name = "worker-" + std::to_string(i)}));

  co_await producer(jobs);
  co_await jobs.join();  // every job was got and marked done
  jobs.shutdown();       // the workers' next get() raises QueueShutDown

  int processed = 0;
  for (auto& w : workers) processed += co_await w;

  long sum_of_squares = 0;
  while (!results.empty()) sum_of_squares += results.get_nowait().second;

  std::cout << "pipeline: " << kJobs << " jobs, " << kWorkers << " workers, queue maxsize " << kQueueSize << "\n"
            << "processed: " << processed << "\n"
            << "sum of squares: " << sum_of_squares << "\n"
            << "workers stopped: " << workers.size() << std::endl;
  co_return processed == kJobs ? 0 : 1;
}

}  // namespace

int main() { return asyncio::run(main_coro()); }
