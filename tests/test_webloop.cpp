// wasm32-emscripten only: asyncio::webloop (the JavaScript event loop drives
// the loop) and the Emscripten backend's blocking waits. The end-to-end runs
// are the demo's tests (wasm/browser): in Node.js and in headless Chromium.
#include <asyncio/webloop.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "support.hpp"

using asyncio::EventLoop;

namespace {
class BareBackend final : public asyncio::Backend {
 public:
  void poll(double) override {}
  void wake() noexcept override {}
};
}  // namespace

TEST_CASE("webloop::run_forever refuses a loop it cannot drive", "[webloop]") {
  CHECK_THROWS_AS(asyncio::webloop::run_forever(nullptr), asyncio::ValueError);
  auto bare = std::make_shared<EventLoop>(std::make_unique<BareBackend>());
  CHECK_THROWS_WITH(asyncio::webloop::run_forever(bare),
                    "webloop::run_forever() needs a loop on the Emscripten backend");
  bare->close();
  auto closed = asyncio::new_event_loop();
  closed->close();
  CHECK_THROWS_WITH(asyncio::webloop::run_forever(closed), "Event loop is closed");
}

TEST_CASE("webloop::run_forever refuses a loop it already drives", "[webloop]") {
  auto loop = asyncio::new_event_loop();
  asyncio::webloop::run_forever(loop);
  CHECK_THROWS_WITH(asyncio::webloop::run_forever(loop), "This event loop is already running");
  // Closing between passes ends the driving; the driver lets go of the loop
  // on its next (already scheduled) JS step.
  loop->close();
  CHECK(loop->is_closed());
}

TEST_CASE("a blocking run with nothing scheduled raises instead of waiting forever", "[webloop]") {
  test::LoopFixture f;
  CHECK_THROWS_WITH(f.loop->run_forever(),
                    "the event loop would wait forever: nothing is scheduled and nothing can wake it on "
                    "wasm32-emscripten (no threads, signals or I/O)");
  CHECK_FALSE(f.loop->is_running());
  // The loop is still usable afterwards.
  f.loop->call_soon([&] { f.loop->stop(); });
  CHECK_NOTHROW(f.loop->run_forever());
}

TEST_CASE("a blocking sleep waits on wasm32-emscripten", "[webloop]") {
  test::LoopFixture f;
  const double t0 = f.loop->time();
  f.loop->run_until_complete([]() -> asyncio::Coro<> { co_await asyncio::sleep(0.05); }());
  CHECK(f.loop->time() - t0 >= 0.05);
}

// ---- With pthreads (the emscripten-pthreads preset) ----

TEST_CASE("a blocking run waits for another thread's call_soon_threadsafe instead of raising", "[webloop][threads]") {
  // The main thread's wait: no RuntimeError while another thread runs, and
  // that thread's wake() ends it.
  test::LoopFixture f;
  std::thread t([&f] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    (void)f.loop->call_soon_threadsafe([&f] { f.loop->stop(); });
  });
  const double t0 = f.loop->time();
  CHECK_NOTHROW(f.loop->run_forever());
  CHECK(f.loop->time() - t0 >= 0.04);
  t.join();
}

TEST_CASE("a thread printing while the main thread's loop waits for it does not deadlock", "[webloop][threads]") {
  // A thread's output is a call proxied to the main thread, which must run
  // it while its loop waits for that thread (in slices, between waits).
  test::LoopFixture f;
  auto body = []() -> asyncio::Coro<int> {
    co_return co_await asyncio::to_thread([] {
      std::printf("printed from a worker thread\n");
      std::fflush(stdout);
      return 7;
    });
  };
  CHECK(f.loop->run_until_complete(body()) == 7);
  f.loop->run_until_complete(f.loop->shutdown_default_executor());
}

TEST_CASE("a loop waiting in another thread is woken by the main thread", "[webloop][threads]") {
  // Not the main thread: its wait blocks (the main thread may wake it).
  std::shared_ptr<EventLoop> loop = asyncio::new_event_loop();
  std::atomic<bool> running{false};
  std::thread t([&] {
    (void)loop->call_soon([&] { running = true; });
    loop->run_forever();
  });
  while (!running) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  (void)loop->call_soon_threadsafe([&] { loop->stop(); });
  t.join();
  CHECK_FALSE(loop->is_running());
  loop->close();
}
