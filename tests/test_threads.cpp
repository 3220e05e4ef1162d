// Threads: to_thread, run_in_executor, the default executor,
// run_coroutine_threadsafe, wrap_future, ConcurrentFuture,
// ThreadPoolExecutor. Python: test_threads.py, test_tasks.py
// (RunCoroutineThreadsafeTests), test_futures.py (wrap_future),
// test_base_events.py (executor methods).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support.hpp"
#include "asyncio/detail/loop_internals.hpp"

using namespace std::chrono_literals;
using asyncio::ConcurrentFuture;
using asyncio::Coro;
using test::LoopFixture;

namespace {

// A gate one thread opens and others wait at (bounded waits only).
class Gate {
 public:
  void open() {
    {
      std::lock_guard<std::mutex> lock(m_);
      open_ = true;
    }
    cv_.notify_all();
  }
  bool wait(std::chrono::milliseconds limit = 5000ms) {
    std::unique_lock<std::mutex> lock(m_);
    return cv_.wait_for(lock, limit, [this] { return open_; });
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool open_ = false;
};

// A backend for a platform without threads: timers work, threads do not.
class NoThreadsBackend final : public asyncio::Backend {
 public:
  void poll(double timeout) override {
    std::unique_lock<std::mutex> lock(m_);
    if (timeout < 0)
      cv_.wait(lock, [this] { return woken_; });
    else if (timeout > 0)
      cv_.wait_for(lock, std::chrono::duration<double>(timeout), [this] { return woken_; });
    woken_ = false;
  }
  void wake() noexcept override {
    {
      std::lock_guard<std::mutex> lock(m_);
      woken_ = true;
    }
    cv_.notify_all();
  }
  std::string platform() const override { return "testplatform"; }
  std::thread start_thread(const char* what, std::function<void()>) override {
    throw asyncio::NotImplementedError(std::string(what) + " is not available on " + platform());
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool woken_ = false;
};

int add(int a, int b) { return a + b; }

// Runs the loop in this thread while `work` runs in another one.
void run_loop_while(asyncio::EventLoop& loop, const std::function<void()>& work) {
  std::atomic<bool> finished{false};
  std::thread t([&] {
    work();
    finished = true;
    loop.call_soon_threadsafe([&loop] { loop.stop(); });
  });
  loop.run_forever();
  t.join();
  CHECK(finished);
}

}  // namespace

TEST_CASE("to_thread runs the function in another thread and returns its result", "[threads]") {
  // Python: test_to_thread, test_to_thread_args_kwargs
  LoopFixture f;
  auto body = []() -> Coro<int> {
    const auto loop_thread = std::this_thread::get_id();
    std::thread::id ran_in;
    int v = co_await asyncio::to_thread(
        [&ran_in](int a, int b) {
          ran_in = std::this_thread::get_id();
          return add(a, b);
        },
        2, 3);
    CHECK(ran_in != loop_thread);
    co_return v;
  };
  CHECK(f.loop->run_until_complete(body()) == 5);
  f.loop->run_until_complete(f.loop->shutdown_default_executor());
}

TEST_CASE("to_thread passes the function's exception on", "[threads]") {
  // Python: test_to_thread_exception
  LoopFixture f;
  auto body = []() -> Coro<> {
    co_await asyncio::to_thread([] { throw std::runtime_error("from the thread"); });
  };
  CHECK_THROWS_WITH(f.loop->run_until_complete(body()), "from the thread");
  f.loop->run_until_complete(f.loop->shutdown_default_executor());
}

TEST_CASE("to_thread calls run concurrently", "[threads]") {
  // Python: test_to_thread_concurrent: both calls must be running at once
  // to get past the gate.
  LoopFixture f;
  auto body = []() -> Coro<int> {
    auto gate = std::make_shared<Gate>();
    std::atomic<int> arrived{0};
    auto meet = [gate, &arrived] {
      if (++arrived == 2) gate->open();
      return gate->wait() ? 1 : 0;
    };
    auto [a, b] = co_await asyncio::gather(asyncio::to_thread(meet), asyncio::to_thread(meet));
    co_return a + b;
  };
  CHECK(f.loop->run_until_complete(body()) == 2);
  f.loop->run_until_complete(f.loop->shutdown_default_executor());
}

TEST_CASE("to_thread copies its arguments unless given references", "[threads]") {
  LoopFixture f;
  auto body = []() -> Coro<std::string> {
    std::string s = "abc";
    co_await asyncio::to_thread([](std::string& x) { x += "d"; }, std::ref(s));
    std::string copy = co_await asyncio::to_thread([](std::string x) { return x + "!"; }, s);
    co_return s + " " + copy;
  };
  CHECK(f.loop->run_until_complete(body()) == "abcd abcd!");
  f.loop->run_until_complete(f.loop->shutdown_default_executor());
}

TEST_CASE("the default executor is a thread pool created on first use", "[threads]") {
  LoopFixture f;
  CHECK(asyncio::detail::internals(*f.loop).default_executor() == nullptr);
  auto body = []() -> Coro<int> {
    co_return co_await asyncio::get_running_loop().run_in_executor(nullptr, add, 20, 22);
  };
  CHECK(f.loop->run_until_complete(body()) == 42);
  auto* pool = dynamic_cast<asyncio::ThreadPoolExecutor*>(asyncio::detail::internals(*f.loop).default_executor());
  REQUIRE(pool != nullptr);
  const std::size_t cpus = std::max(1u, std::thread::hardware_concurrency());
  CHECK(pool->max_workers() == std::min<std::size_t>(32, cpus + 4));
  CHECK(pool->thread_count() == 1);
  f.loop->run_until_complete(f.loop->shutdown_default_executor());
}

TEST_CASE("run_in_executor uses the executor given", "[threads]") {
  LoopFixture f;
  asyncio::ThreadPoolExecutor pool({.max_workers = 2});
  auto body = [](asyncio::Executor& ex) -> Coro<int> {
    auto& loop = asyncio::get_running_loop();
    int a = co_await loop.run_in_executor(&ex, add, 1, 2);
    CHECK_THROWS_AS(co_await loop.run_in_executor(&ex, [] { throw asyncio::ValueError("v"); }), asyncio::ValueError);
    co_return a;
  };
  CHECK(f.loop->run_until_complete(body(pool)) == 3);
  CHECK(asyncio::detail::internals(*f.loop).default_executor() == nullptr);
  pool.shutdown();
}

TEST_CASE("run_in_executor moves a move-only result", "[threads]") {
  LoopFixture f;
  auto body = []() -> Coro<int> {
    auto p = co_await asyncio::to_thread([] { return std::make_unique<int>(9); });
    co_return *p;
  };
  CHECK(f.loop->run_until_complete(body()) == 9);
  f.loop->run_until_complete(f.loop->shutdown_default_executor());
}

TEST_CASE("set_default_executor replaces the default executor", "[threads]") {
  // Python: set_default_executor(None) raises TypeError
  LoopFixture f;
  CHECK_THROWS_AS(f.loop->set_default_executor(nullptr), asyncio::TypeError);
  auto pool = std::make_shared<asyncio::ThreadPoolExecutor>(asyncio::ThreadPoolOptions{.max_workers = 1});
  f.loop->set_default_executor(pool);
  CHECK(asyncio::detail::internals(*f.loop).default_executor() == pool.get());
  auto body = []() -> Coro<int> { co_return co_await asyncio::to_thread(add, 1, 1); };
  CHECK(f.loop->run_until_complete(body()) == 2);
  CHECK(pool->thread_count() == 1);
  f.loop->run_until_complete(f.loop->shutdown_default_executor());
}

TEST_CASE("after shutdown_default_executor the default executor refuses work", "[threads]") {
  // Python: RuntimeError('Executor shutdown has been called')
  LoopFixture f;
  auto body = []() -> Coro<> {
    auto& loop = asyncio::get_running_loop();
    co_await asyncio::to_thread(add, 1, 1);
    co_await loop.shutdown_default_executor();
    CHECK(asyncio::detail::internals(loop).default_executor() != nullptr);  // shut down, not dropped
    CHECK_THROWS_WITH(loop.run_in_executor(nullptr, add, 1, 1), "Executor shutdown has been called");
    co_await loop.shutdown_default_executor();  // again: nothing to do
  };
  f.loop->run_until_complete(body());
}

TEST_CASE("shutdown_default_executor gives up after its timeout", "[threads]") {
  // Python 3.12+: a RuntimeWarning, then shutdown(wait=False).
  LoopFixture f;
  test::LogCapture log;
  auto gate = std::make_shared<Gate>();
  auto finished = std::make_shared<std::atomic<bool>>(false);
  auto body = [](std::shared_ptr<Gate> g, std::shared_ptr<std::atomic<bool>> done) -> Coro<> {
    auto& loop = asyncio::get_running_loop();
    auto job = loop.run_in_executor(nullptr, [g, done] {
      g->wait();
      *done = true;
    });
    co_await loop.shutdown_default_executor(0.02);
    CHECK_FALSE(job.done());
    g->open();
    co_await job;
  };
  f.loop->run_until_complete(body(gate, finished));
  CHECK(log.contains("RuntimeWarning: The executor did not finishing joining its threads within 0.02 seconds."));
  CHECK(*finished);
}

TEST_CASE("closing the loop shuts the default executor down", "[threads]") {
  LoopFixture f;
  auto body = []() -> Coro<int> { co_return co_await asyncio::to_thread(add, 2, 2); };
  CHECK(f.loop->run_until_complete(body()) == 4);
  f.loop->close();
  CHECK(asyncio::detail::internals(*f.loop).default_executor() == nullptr);
  CHECK_THROWS_AS(f.loop->run_in_executor(nullptr, add, 1, 1), asyncio::RuntimeError);
}

TEST_CASE("a job finishing after its loop was closed and destroyed is dropped", "[threads]") {
  auto gate = std::make_shared<Gate>();
  auto finished = std::make_shared<std::atomic<bool>>(false);
  // The worker destroys the job (and so this token) only after completing
  // its future, which runs the completion callbacks that find the loop
  // gone: when `released` opens, they have run.
  auto released = std::make_shared<Gate>();
  std::shared_ptr<void> token(nullptr, [released](void*) { released->open(); });
  {
    auto loop = asyncio::new_event_loop();
    auto body = [](std::shared_ptr<Gate> g, std::shared_ptr<std::atomic<bool>> done,
                   std::shared_ptr<void> t) -> Coro<> {
      auto job = asyncio::get_running_loop().run_in_executor(nullptr, [g, done, t] {
        g->wait();
        *done = true;
      });
      co_await asyncio::sleep(0);
    };
    loop->run_until_complete(body(gate, finished, std::move(token)));
    loop->close();  // the executor is shut down without waiting
  }
  gate->open();
  CHECK(released->wait());
  CHECK(*finished);
}

TEST_CASE("asyncio::run shuts the default executor down", "[threads]") {
  auto main_coro = []() -> Coro<int> { co_return co_await asyncio::to_thread(add, 3, 4); };
  CHECK(asyncio::run(main_coro()) == 7);
}

TEST_CASE("a platform without threads refuses run_in_executor with NotImplementedError", "[threads]") {
  auto loop = std::make_shared<asyncio::EventLoop>(std::make_unique<NoThreadsBackend>());
  auto body = []() -> Coro<> {
    auto& l = asyncio::get_running_loop();
    CHECK_THROWS_WITH(co_await asyncio::to_thread(add, 1, 2), "run_in_executor is not available on testplatform");
    CHECK_THROWS_AS(l.run_in_executor(nullptr, add, 1, 2), asyncio::NotImplementedError);
    co_await asyncio::sleep(0.001);  // the loop itself works
    co_await l.shutdown_default_executor();
  };
  loop->run_until_complete(body());
  loop->close();
}

// ---- run_coroutine_threadsafe ----

TEST_CASE("run_coroutine_threadsafe runs a coroutine submitted from a plain thread", "[threads]") {
  // Python: RunCoroutineThreadsafeTests.test_run_coroutine_threadsafe
  LoopFixture f;
  auto coro = [](int a, int b) -> Coro<int> {
    co_await asyncio::sleep(0.005);
    co_return a + b;
  };
  int result = 0;
  run_loop_while(*f.loop, [&] {
    ConcurrentFuture<int> fut = asyncio::run_coroutine_threadsafe(coro(1, 2), *f.loop);
    result = fut.result(5.0);
  });
  CHECK(result == 3);
}

TEST_CASE("run_coroutine_threadsafe passes the coroutine's exception on", "[threads]") {
  // Python: test_run_coroutine_threadsafe_with_exception
  LoopFixture f;
  auto coro = []() -> Coro<int> {
    co_await asyncio::sleep(0.001);
    throw std::runtime_error("Fail!");
  };
  std::string message;
  run_loop_while(*f.loop, [&] {
    auto fut = asyncio::run_coroutine_threadsafe(coro(), *f.loop);
    try {
      fut.result(5.0);
    } catch (const std::runtime_error& e) {
      message = e.what();
    }
  });
  CHECK(message == "Fail!");
}

TEST_CASE("a concurrent future's result times out", "[threads]") {
  // Python: test_run_coroutine_threadsafe_with_timeout: the caller's
  // timeout raises TimeoutError; cancelling the future then cancels the task.
  LoopFixture f;
  auto coro = []() -> Coro<int> {
    co_await asyncio::sleep(10);
    co_return 1;
  };
  bool timed_out = false;
  bool cancelled = false;
  run_loop_while(*f.loop, [&] {
    auto fut = asyncio::run_coroutine_threadsafe(coro(), *f.loop);
    try {
      fut.result(0.01);
    } catch (const asyncio::TimeoutError&) {
      timed_out = true;
    }
    fut.cancel();
    try {
      fut.result(5.0);
    } catch (const asyncio::CancelledError&) {
      cancelled = true;
    }
  });
  CHECK(timed_out);
  CHECK(cancelled);
  // The task was cancelled through call_soon_threadsafe.
  for (int i = 0; i < 10 && !asyncio::all_tasks(*f.loop).empty(); ++i) f.run_briefly();
  CHECK(asyncio::all_tasks(*f.loop).empty());
}

TEST_CASE("cancelling the task cancels the concurrent future", "[threads]") {
  // Python: test_run_coroutine_threadsafe_task_cancelled
  LoopFixture f;
  auto coro = []() -> Coro<int> {
    co_await asyncio::sleep(0.001);
    asyncio::current_task()->cancel();
    co_await asyncio::sleep(0);
    co_return 1;
  };
  bool cancelled = false;
  run_loop_while(*f.loop, [&] {
    auto fut = asyncio::run_coroutine_threadsafe(coro(), *f.loop);
    try {
      fut.result(5.0);
    } catch (const asyncio::CancelledError&) {
      cancelled = true;
    }
    CHECK(fut.cancelled());
  });
  CHECK(cancelled);
}

TEST_CASE("run_coroutine_threadsafe to a closed loop raises RuntimeError", "[threads]") {
  auto loop = asyncio::new_event_loop();
  loop->close();
  test::LogCapture log;
  CHECK_THROWS_WITH(asyncio::run_coroutine_threadsafe([]() -> Coro<int> { co_return 1; }(), *loop),
                    "Event loop is closed");
}

TEST_CASE("closing the loop with a submitted coroutine pending leaves the future pending", "[threads]") {
  test::LoopFixture f;
  f.expect_report("Task was destroyed but it is pending!");
  const auto& loop = f.loop;
  auto fut = asyncio::run_coroutine_threadsafe(
      []() -> Coro<int> {
        co_await asyncio::sleep(10);
        co_return 1;
      }(),
      *loop);
  loop->call_soon([&] { loop->stop(); });
  loop->run_forever();
  loop->close();
  CHECK_FALSE(fut.done());
  CHECK_THROWS_AS(fut.result(0.001), asyncio::TimeoutError);
}

// ---- wrap_future and ConcurrentFuture ----

TEST_CASE("wrap_future follows a concurrent future completed in another thread", "[threads]") {
  // Python: test_wrap_future
  LoopFixture f;
  auto body = []() -> Coro<int> {
    ConcurrentFuture<int> cf;
    std::thread t([cf] {
      std::this_thread::sleep_for(1ms);
      cf.set_result(16);
    });
    int v = co_await asyncio::wrap_future(cf);
    t.join();
    co_return v;
  };
  CHECK(f.loop->run_until_complete(body()) == 16);
}

TEST_CASE("cancelling a wrapped future cancels the concurrent one", "[threads]") {
  // Python: test_wrap_future_cancel
  LoopFixture f;
  ConcurrentFuture<int> cf;
  auto fut = asyncio::wrap_future(cf, f.loop.get());
  f.run_briefly();
  fut.cancel();
  f.run_briefly();
  CHECK(cf.cancelled());
}

TEST_CASE("a wrapped future cancelled with its concurrent one is cancelled", "[threads]") {
  // Python: test_wrap_future_cancel2
  LoopFixture f;
  ConcurrentFuture<int> cf;
  auto fut = asyncio::wrap_future(cf, f.loop.get());
  cf.cancel();
  f.run_briefly();
  f.run_briefly();
  CHECK(fut.cancelled());
}

TEST_CASE("wrap_future passes exceptions and leaves asyncio futures alone", "[threads]") {
  LoopFixture f;
  ConcurrentFuture<int> cf;
  auto fut = asyncio::wrap_future(cf, f.loop.get());
  cf.set_exception(asyncio::ValueError("bad"));
  CHECK_THROWS_WITH(f.loop->run_until_complete(fut), "bad");
  CHECK(asyncio::wrap_future(fut) == fut);
}

TEST_CASE("a wrapped future dropped before the concurrent one completes is forgotten", "[threads]") {
  LoopFixture f;
  ConcurrentFuture<int> cf;
  { auto fut = asyncio::wrap_future(cf, f.loop.get()); }
  cf.set_result(1);
  f.run_briefly();
  f.run_briefly();
  CHECK(f.errors.empty());
}

TEST_CASE("ConcurrentFuture follows concurrent.futures.Future's states", "[threads]") {
  ConcurrentFuture<int> fut;
  CHECK_FALSE(fut.done());
  CHECK_FALSE(fut.running());
  CHECK(fut.set_running_or_notify_cancel());
  CHECK(fut.running());
  CHECK_FALSE(fut.cancel());  // running futures cannot be cancelled
  CHECK_THROWS_WITH(fut.set_running_or_notify_cancel(), "Future in unexpected state");
  fut.set_result(5);
  CHECK(fut.done());
  CHECK(fut.result() == 5);
  CHECK(fut.exception() == nullptr);
  CHECK_THROWS_AS(fut.set_result(6), asyncio::InvalidStateError);

  ConcurrentFuture<> cancelled;
  CHECK(cancelled.cancel());
  CHECK(cancelled.cancel());  // already cancelled: still true
  CHECK(cancelled.cancelled());
  CHECK_FALSE(cancelled.set_running_or_notify_cancel());
  CHECK_THROWS_AS(cancelled.result(), asyncio::CancelledError);
  CHECK_THROWS_AS(cancelled.exception(), asyncio::CancelledError);

  ConcurrentFuture<> failed;
  failed.set_exception(asyncio::ValueError("x"));
  CHECK(test::message_of(failed.exception()) == "x");
  CHECK_THROWS_AS(failed.result(), asyncio::ValueError);

  ConcurrentFuture<> pending;
  CHECK_THROWS_AS(pending.result(0.001), asyncio::TimeoutError);
  CHECK_THROWS_AS(pending.result(1ms), asyncio::TimeoutError);
}

TEST_CASE("ConcurrentFuture runs its callbacks when done or at once", "[threads]") {
  ConcurrentFuture<int> fut;
  std::vector<int> seen;
  fut.add_done_callback([&](ConcurrentFuture<int> f) { seen.push_back(f.result()); });
  fut.add_done_callback([](ConcurrentFuture<int>) { throw std::runtime_error("logged"); });
  test::LogCapture log;
  std::thread t([fut] { fut.set_result(3); });
  t.join();
  fut.add_done_callback([&](ConcurrentFuture<int> f) { seen.push_back(f.result() + 1); });
  CHECK(seen == std::vector<int>{3, 4});
  CHECK(log.contains("exception calling callback for <Future>"));
}

// ---- ThreadPoolExecutor ----

TEST_CASE("a thread pool starts no more threads than max_workers", "[threads]") {
  asyncio::ThreadPoolExecutor pool({.max_workers = 2});
  std::vector<ConcurrentFuture<std::thread::id>> futures;
  for (int i = 0; i < 20; ++i) futures.push_back(pool.submit([] {
    std::this_thread::sleep_for(100us);
    return std::this_thread::get_id();
  }));
  std::set<std::thread::id> ids;
  for (auto& fut : futures) ids.insert(fut.result(5.0));
  CHECK(ids.size() <= 2);
  CHECK(pool.thread_count() <= 2);
  pool.shutdown();
  CHECK_THROWS_WITH(pool.submit([] { return 1; }), "cannot schedule new futures after shutdown");
}

TEST_CASE("shutdown with cancel_futures cancels the jobs not started", "[threads]") {
  asyncio::ThreadPoolExecutor pool({.max_workers = 1});
  auto gate = std::make_shared<Gate>();
  auto started = std::make_shared<Gate>();
  auto first = pool.submit([gate, started] {
    started->open();
    return gate->wait();
  });
  auto second = pool.submit([] { return true; });
  REQUIRE(started->wait());
  // The first job ends only once shutdown() has cancelled the second: a
  // fixed delay here lost the race on a loaded machine (the worker ran the
  // second job before shutdown() began).
  std::thread opener([gate, &second] {
    for (int i = 0; i < 5000 && !second.cancelled(); ++i) std::this_thread::sleep_for(1ms);
    gate->open();
  });
  pool.shutdown(/*wait=*/true, /*cancel_futures=*/true);
  opener.join();
  CHECK(first.result(1.0));
  CHECK(second.cancelled());
}

TEST_CASE("a thread pool needs at least one worker", "[threads]") {
  CHECK_THROWS_AS(asyncio::ThreadPoolExecutor({.max_workers = 0}), asyncio::ValueError);
  CHECK(asyncio::ThreadPoolExecutor::default_max_workers() >= 5);
  CHECK(asyncio::ThreadPoolExecutor::default_max_workers() <= 32);
}
