// The browser demo's tasks and timers: several tasks sleeping and waking,
// a timer callback, a future resolved by a callback, a cancelled task, all
// on a loop that the JavaScript event loop drives (asyncio::webloop::run),
// so the page keeps repainting while they run. Prints to the page through
// Emscripten's Module.print. Built for wasm32-emscripten only
// (wasm/browser/CMakeLists.txt); index.html runs it.
#include <asyncio/asyncio.hpp>
#include <asyncio/webloop.hpp>
#include <iostream>
#include <string>

using namespace std::chrono_literals;

namespace {

asyncio::Coro<int> worker(std::string name, double delay, int result) {  // NOLINT(bugprone-easily-swappable-parameters)
  std::cout << name << ": started" << '\n';
  co_await asyncio::sleep(delay);
  std::cout << name << ": woke after " << static_cast<int>(delay * 1000) << " ms" << '\n';
  co_return result;
}

asyncio::Coro<> forever() {
  for (;;) co_await asyncio::sleep(10s);
}

asyncio::Coro<int> demo() {
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  std::cout << "demo: running on " << asyncio::platform::name << '\n';
  // Sockets: Node.js's under Node.js; a browser has none, and the network
  // methods say so.
  if (asyncio::platform::network_available()) {
    std::cout << "demo: sockets: Node.js's net module" << '\n';
  } else {
    auto factory = [] { return std::make_shared<asyncio::Protocol>(); };
    try {
      auto connecting = loop.create_connection(factory, "127.0.0.1", 80);
      std::cout << "demo: sockets: create_connection did not raise" << '\n';
    } catch (const asyncio::NotImplementedError& e) {
      std::cout << "demo: sockets: " << e.what() << '\n';
    }
  }

  // Three tasks at once: they finish in the order of their sleeps.
  auto a = asyncio::create_task(worker("task A", 0.15, 1));
  auto b = asyncio::create_task(worker("task B", 0.05, 2));
  auto c = asyncio::create_task(worker("task C", 0.10, 3));
  // Yield once: the tasks take their first steps in this same iteration, so
  // the timers below count from the same moment as their sleeps (a page
  // that is slow to give the next iteration cannot reorder them).
  co_await asyncio::sleep(0);

  // A timer callback resolving a future the demo awaits.
  asyncio::Future<std::string> answer = loop.create_future<std::string>();
  loop.call_later(0.12, [answer]() mutable {
    std::cout << "timer: fired after 120 ms" << '\n';
    answer.set_result("forty-two");
  });

  // A task that never ends on its own, cancelled after 80 ms.
  auto stuck = asyncio::create_task(forever());
  loop.call_later(0.08, [stuck]() mutable { stuck.cancel(); });

  // Each co_await in a statement of its own, its result in a local (the
  // style docs/compilers.md recommends for every compiler).
  const int ra = co_await a;
  const int rb = co_await b;
  const int rc = co_await c;
  const int sum = ra + rb + rc;
  std::cout << "demo: results add up to " << sum << '\n';
  const std::string said = co_await answer;
  std::cout << "demo: the future says " << said << '\n';
  try {
    co_await stuck;
  } catch (const asyncio::CancelledError&) {
    std::cout << "demo: the stuck task was cancelled" << '\n';
  }
  co_return sum;
}

}  // namespace

int main() {
  asyncio::webloop::run(demo(), [](const asyncio::Task<int>& task) {
    std::cout << "demo: finished with " << task.result() << '\n';
  });
  std::cout << "main: returned; the JavaScript event loop drives the rest" << '\n';
  return 0;
}
