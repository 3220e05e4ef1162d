// wasm32-emscripten only: asyncio::webloop (the JavaScript event loop drives
// the loop) and the Emscripten backend's blocking waits. The end-to-end runs
// are the demo's tests (wasm/browser): in Node.js and in headless Chromium.
#include <asyncio/webloop.hpp>

#include <memory>
#include <string>

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
