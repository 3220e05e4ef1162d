// The threads demo (wasm32-emscripten with pthreads: the emscripten-pthreads
// preset): to_thread, run_in_executor on a ThreadPoolExecutor, a plain
// thread calling call_soon_threadsafe, and a plain thread submitting a
// coroutine with run_coroutine_threadsafe, all awaited by a loop that the
// JavaScript event loop drives (asyncio::webloop::run). Every wake-up from
// another thread reaches the page's (or Node.js's) main thread while it is
// idle in its event loop, so the page keeps repainting meanwhile. Prints
// from the loop's thread only. threads.html runs it in a browser; ctest
// runs it under Node.js too (wasm/browser/CMakeLists.txt).
#include <asyncio/asyncio.hpp>
#include <asyncio/webloop.hpp>
#include <chrono>
#include <iostream>
#include <thread>

using namespace std::chrono_literals;

namespace {

// Work for the other threads: slow enough to be worth a thread.
long fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

asyncio::Coro<int> doubled_later(int x) {
  co_await asyncio::sleep(0.01);
  co_return 2 * x;
}

asyncio::Coro<long> demo() {
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  const std::thread::id loop_thread = std::this_thread::get_id();
  std::cout << "threads: running on " << asyncio::platform::name << '\n';

  // to_thread: the default executor's thread computes, the loop awaits.
  std::thread::id ran_in;
  const long f25 = co_await asyncio::to_thread(
      [&ran_in](int n) {
        ran_in = std::this_thread::get_id();
        return fib(n);
      },
      25);
  std::cout << "to_thread: fib(25) = " << f25 << ", computed in another thread: "
            << (ran_in != loop_thread ? "yes" : "no") << '\n';

  // run_in_executor: two jobs on a pool of two threads, at once.
  asyncio::ThreadPoolExecutor pool({.max_workers = 2});
  auto [a, b] = co_await asyncio::gather(loop.run_in_executor(&pool, fib, 20), loop.run_in_executor(&pool, fib, 21));
  std::cout << "run_in_executor: fib(20) + fib(21) = " << a + b << '\n';
  // What blocks (joining threads) goes to another thread too: a browser's
  // main thread must not block (Emscripten would spin there, and warn).
  co_await asyncio::to_thread([&pool] { pool.shutdown(); });

  // call_soon_threadsafe from a plain thread resolves a future the loop awaits.
  asyncio::Future<int> answer = loop.create_future<int>();
  std::thread caller([&loop, answer]() mutable {
    std::this_thread::sleep_for(30ms);
    (void)loop.call_soon_threadsafe([answer]() mutable { answer.set_result(42); });
  });
  const int said = co_await answer;
  co_await asyncio::to_thread([&caller] { caller.join(); });
  std::cout << "call_soon_threadsafe: a plain thread answered " << said << '\n';

  // run_coroutine_threadsafe: a plain thread submits a coroutine to this
  // loop and blocks for its result; it hands the result back with
  // wrap_future.
  asyncio::ConcurrentFuture<int> handed_back;
  std::thread submitter([&loop, handed_back]() mutable {
    asyncio::ConcurrentFuture<int> r = asyncio::run_coroutine_threadsafe(doubled_later(21), loop);
    handed_back.set_result(r.result(10.0));
  });
  const int doubled = co_await asyncio::wrap_future(handed_back);
  co_await asyncio::to_thread([&submitter] { submitter.join(); });
  std::cout << "run_coroutine_threadsafe: the loop doubled 21 for a plain thread: " << doubled << '\n';
  co_return f25;
}

}  // namespace

int main() {
  asyncio::webloop::run(demo(), [](const asyncio::Task<long>& task) {
    std::cout << "threads: finished with " << task.result() << '\n';
  });
  std::cout << "main: returned; the JavaScript event loop drives the rest" << '\n';
  return 0;
}
