// Running the event loop from the JavaScript event loop, without blocking:
// what a browser page needs. Python: Pyodide's pyodide.webloop.WebLoop.
//
//   asyncio::Coro<> demo() { ... co_await asyncio::sleep(0.5); ... }
//   int main() { asyncio::webloop::run(demo()); }  // returns at once
//
// asyncio::run() works on wasm32-emscripten too, but it blocks: in a browser
// the page does not repaint until it returns. These functions return at
// once and let the JavaScript event loop drive the loop, one pass per JS
// macrotask (see wasm/emscripten/emscripten_backend.hpp).
//
// Code entering the loop from JavaScript between passes (an event handler, a
// promise callback) uses loop.call_soon_threadsafe(): like another thread,
// it has to wake the driver when the loop is idle.
//
// Platforms: wasm32-emscripten only (the Emscripten backend defines these
// functions); docs/platforms.md.
#pragma once

#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

#include "asyncio/events.hpp"
#include "asyncio/runners.hpp"
#include "asyncio/tasks.hpp"

namespace asyncio::webloop {

/// Starts driving `loop` from the JavaScript event loop and returns at once;
/// the loop runs, one pass per JS macrotask, until stop() is called, then
/// `on_stopped` runs. Closing the loop between passes also ends the driving
/// (without `on_stopped`). RuntimeError if the loop is closed, running or
/// already driven; TypeError if it does not use the Emscripten backend.
/// Python: Pyodide's WebLoop (a loop that is always running)
/// Platforms: wasm32-emscripten
void run_forever(std::shared_ptr<EventLoop> loop, std::function<void()> on_stopped = {});

/// Runs `main` as asyncio::run() does, without blocking: returns at once,
/// and once `main` is done the leftover tasks are cancelled, the loop is
/// closed and `on_done(task)` is called with the finished task (its result
/// or exception is there). The loop is this thread's current loop meanwhile.
/// Divergence: asyncio.run() returns the result; a call that returns at
/// once cannot, so the result arrives through `on_done`.
/// Platforms: wasm32-emscripten
template <class T>
void run(Coro<T> main, std::type_identity_t<std::function<void(Task<T>)>> on_done = {}) {
  auto runner = std::make_shared<Runner>();
  EventLoop& loop = runner->get_loop();
  Task<T> task = loop.create_task(std::move(main));
  task.add_done_callback([](const Future<T>& done) { done.get_loop().stop(); });
  run_forever(loop.shared_from_this(), [runner, task, on_done = std::move(on_done)]() mutable {
    runner->close();  // cancels and awaits leftover tasks, closes the loop
    if (on_done) on_done(task);
  });
}

}  // namespace asyncio::webloop
