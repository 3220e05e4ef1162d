// Allocation counts on the hot paths (DESIGN.md's performance principles):
// counts, not times. A replaced global operator new counts every heap
// allocation made by this test executable.
#include <atomic>
#include <cstdlib>
#include <new>

#include "support.hpp"

namespace {
std::atomic<long> g_allocations{0};
}

#if defined(__GNUC__) && !defined(__clang__)
// The replacements below pair malloc with free on purpose.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

// Every replaceable form, so that no allocation bypasses the count and
// every pointer goes back to the allocator that made it (also under ASan).
void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return ::operator new(n, t); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace {

long allocations() { return g_allocations.load(std::memory_order_relaxed); }

asyncio::Coro<int> trivial() { co_return 1; }

asyncio::Coro<long> await_done_future(asyncio::Future<int> fut, int n) {
  long sum = 0;
  co_await asyncio::sleep(0);
  const long before = allocations();
  for (int i = 0; i < n; ++i) sum += co_await fut;
  const long after = allocations();
  CHECK(sum == n);
  co_return after - before;
}

asyncio::Coro<long> sleep_zero_rounds(int n) {
  for (int i = 0; i < 100; ++i) co_await asyncio::sleep(0);  // warm up
  const long before = allocations();
  for (int i = 0; i < n; ++i) co_await asyncio::sleep(0);
  co_return allocations() - before;
}

asyncio::Coro<long> create_and_await_tasks(int n) {
  for (int i = 0; i < 100; ++i) co_await asyncio::create_task(trivial());  // warm up
  const long before = allocations();
  for (int i = 0; i < n; ++i) co_await asyncio::create_task(trivial());
  co_return allocations() - before;
}

}  // namespace

TEST_CASE("call_soon and running the callback allocate nothing once warm", "[alloc]") {
  test::LoopFixture f;
  int count = 0;
  auto batch = [&](int n) {
    for (int i = 0; i < n; ++i) f.loop->call_soon([&count] { ++count; });
    f.run_briefly();
  };
  batch(1000);  // warm the pool and the ready queue
  const long before = allocations();
  batch(1000);
  batch(1000);
  const long used = allocations() - before;
  if (asyncio::detail::kPoolEnabled) {
    CHECK(used == 0);
  } else {
    WARN("the pool is off (ASYNCIO_NO_POOL); allocations: " << used);  // cortex-m: newlib's malloc
  }
  CHECK(count == 3000);
}

TEST_CASE("awaiting a completed future allocates nothing", "[alloc]") {
  test::LoopFixture f;
  asyncio::Future<int> fut(*f.loop);
  fut.set_result(1);
  CHECK(f.loop->run_until_complete(await_done_future(fut, 100000)) == 0);
}

TEST_CASE("a sleep(0) round trip allocates nothing", "[alloc]") {
  test::LoopFixture f;
  const long used = f.loop->run_until_complete(sleep_zero_rounds(10000));
  CHECK(used == 0);
}

TEST_CASE("creating and awaiting a task reuses pooled memory", "[alloc]") {
  test::LoopFixture f;
  const long used = f.loop->run_until_complete(create_and_await_tasks(10000));
  if (asyncio::detail::kPoolEnabled) {
    CHECK(used == 0);
  } else {
    CHECK(used >= 10000);  // the pool is off (ASYNCIO_NO_POOL): frame and task from malloc each time
  }
}

namespace {

// Echoes what it receives.
struct AllocEcho : asyncio::Protocol {
  std::shared_ptr<asyncio::Transport> t;
  void connection_made(std::shared_ptr<asyncio::Transport> tr) override { t = std::move(tr); }
  void data_received(std::string_view d) override { t->write(d); }
  void connection_lost(std::exception_ptr) override { t.reset(); }
};

// Ping-pong: sends a message, waits for its echo, sends the next one;
// counts the allocations between round `from` and the last round.
struct AllocPinger : asyncio::Protocol {
  std::shared_ptr<asyncio::Transport> t;
  std::string message = std::string(1024, 'p');
  std::size_t got = 0;
  int rounds = 0;
  int from = 50;
  int last = 250;
  long start = 0;
  long used = -1;
  asyncio::Future<void> done;
  explicit AllocPinger(asyncio::EventLoop& loop) : done(loop.create_future()) {}
  void connection_made(std::shared_ptr<asyncio::Transport> tr) override {
    t = std::move(tr);
    t->write(message);
  }
  void data_received(std::string_view d) override {
    got += d.size();
    if (got < message.size()) return;
    got = 0;
    if (++rounds == from) start = allocations();
    if (rounds == last) {
      used = allocations() - start;
      t->close();
      return;
    }
    t->write(message);
  }
  void connection_lost(std::exception_ptr) override {
    t.reset();
    done.set_result();
  }
};

asyncio::Coro<long> ping_pong(asyncio::EventLoop& loop) {
  auto echo_factory = [] { return std::make_shared<AllocEcho>(); };
  auto server = co_await loop.create_server(echo_factory, "127.0.0.1", 0);
  auto pinger_factory = [&loop] { return std::make_shared<AllocPinger>(loop); };
  auto [transport, pinger] = co_await loop.create_connection(pinger_factory, "127.0.0.1",
                                                             server->sockets()[0].getsockname().port);
  co_await pinger->done;
  server->close();
  co_await server->wait_closed();
  co_return pinger->used;
}

}  // namespace

TEST_CASE("a protocol echo round trip over TCP allocates nothing once warm", "[alloc][net]") {
  test::LoopFixture f;
  const long used = f.loop->run_until_complete(ping_pong(*f.loop));
  CHECK(used == 0);
}
