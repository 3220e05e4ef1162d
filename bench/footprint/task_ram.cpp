// RAM per pending task on the bare-metal target: what a task suspended on
// asyncio::sleep() costs, frame included (bench/README.md, "Footprint").
// Every allocation is counted with its size (a replaced operator new), and
// malloc's own view (asyncio::cortex_m::heap_in_use(), headers included)
// gives the bytes the heap really gives up per task. Batch 1 is cold (the
// loop's timer heap grows with it); batch 2 reuses that room.
#include <asyncio/asyncio.hpp>
#include <asyncio/cortex_m.hpp>
#include <cstdio>
#include <cstdlib>
#include <new>

namespace {
bool g_recording = false;
std::size_t g_sizes[8];
int g_count = 0;
}  // namespace

void* operator new(std::size_t n) {
  if (g_recording && g_count < 8) g_sizes[g_count++] = n;
  if (void* p = std::malloc(n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

constexpr int kTasks = 200;

asyncio::Coro<> sleeper() { co_await asyncio::sleep(3600); }

asyncio::Coro<> step(asyncio::EventLoop& loop) {
  (void)loop;
  co_await asyncio::sleep(0);
}

// Creates kTasks sleeping tasks, lets them all reach their sleep, and
// returns the heap bytes they hold; then cancels them.
double batch(asyncio::EventLoop& loop) {
  const std::size_t before = asyncio::cortex_m::heap_in_use();
  for (int i = 0; i < kTasks; ++i) {
    auto t = loop.create_task(sleeper());
    (void)t;
  }
  loop.run_until_complete(step(loop));  // every task runs to its sleep
  const std::size_t after = asyncio::cortex_m::heap_in_use();
  for (asyncio::AnyTask& t : asyncio::all_tasks(loop)) t.cancel();
  loop.run_until_complete(step(loop));
  loop.run_until_complete(step(loop));
  return static_cast<double>(after - before) / kTasks;
}

}  // namespace

int main() {
  auto loop = asyncio::new_event_loop();
  const double cold = batch(*loop);
  const double warm = batch(*loop);

  // One more task, its allocations one by one: its frame and its state at
  // create_task(), its timer at its first step.
  g_recording = true;
  auto t = loop->create_task(sleeper());
  (void)loop->run_step();
  g_recording = false;
  std::printf("allocations of one sleeping task:");
  for (int i = 0; i < g_count; ++i) std::printf(" %u", static_cast<unsigned>(g_sizes[i]));
  std::printf(" bytes\n");
  std::printf("heap per task suspended on sleep: %.0f bytes cold, %.0f bytes warm\n", cold, warm);
  t.cancel();
  loop->run_until_complete(step(*loop));
  loop->close();
  return 0;
}
