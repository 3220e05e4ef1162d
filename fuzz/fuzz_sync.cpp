// libFuzzer harness: Queue, Lock, Semaphore and Event driven by several
// tasks, against a model.
//
// An input is a script of actions: start a task doing one blocking
// operation (Queue.put/get/join, Lock.acquire, Semaphore.acquire,
// Event.wait), do a non-blocking one (put_nowait, get_nowait, task_done,
// release, set, clear), or cancel a task. After each action the loop runs
// until nothing is ready, and then every task's state (pending, its
// result, cancelled, its error) and every primitive's state must be what
// the model says. The model is Python's semantics at those quiet points:
// FIFO waiters, a woken waiter takes what woke it before anyone else acts.
#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fuzz_support.hpp"

namespace {

enum class Kind : std::uint8_t { put, get, join, acquire, sem_acquire, wait };

std::string error_name(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const asyncio::QueueFull&) {
    return "QueueFull";
  } catch (const asyncio::QueueEmpty&) {
    return "QueueEmpty";
  } catch (const asyncio::ValueError& x) {
    return std::string("ValueError(") + x.what() + ")";
  } catch (const asyncio::RuntimeError& x) {
    return std::string("RuntimeError(") + x.what() + ")";
  } catch (const std::exception& x) {
    return std::string("error(") + x.what() + ")";
  } catch (...) {
    return "unknown";
  }
}

// ---- The model ----

struct Model {
  // Per task: "pending", "ok:<value>", "cancelled".
  std::map<int, std::string> tasks;
  std::deque<int> items;
  std::int64_t maxsize = 0;
  std::int64_t unfinished = 0;
  std::deque<int> getters;
  std::deque<std::pair<int, int>> putters;  // task, value
  std::vector<int> joiners;
  bool locked = false;
  std::deque<int> lock_waiters;
  std::int64_t sem_value = 0;
  std::deque<int> sem_waiters;
  bool event_set = false;
  std::vector<int> event_waiters;

  bool full() const { return maxsize > 0 && static_cast<std::int64_t>(items.size()) >= maxsize; }
  void finish(int task, const std::string& v) { tasks[task] = "ok:" + v; }

  void put_item(int v) {
    items.push_back(v);
    ++unfinished;
  }
  // A woken getter takes an item, which frees a slot for a woken putter...
  void settle_queue() {
    for (;;) {
      if (!getters.empty() && !items.empty()) {
        const int g = getters.front();
        getters.pop_front();
        finish(g, std::to_string(items.front()));
        items.pop_front();
        continue;
      }
      if (!putters.empty() && !full()) {
        auto [p, v] = putters.front();
        putters.pop_front();
        put_item(v);
        finish(p, "");
        continue;
      }
      return;
    }
  }

  void start(int task, Kind k, int value) {
    tasks[task] = "pending";
    switch (k) {
      case Kind::put:
        if (full()) {
          putters.emplace_back(task, value);
        } else {
          put_item(value);
          finish(task, "");
        }
        break;
      case Kind::get:
        if (items.empty()) {
          getters.push_back(task);
        } else {
          finish(task, std::to_string(items.front()));
          items.pop_front();
        }
        break;
      case Kind::join:
        if (unfinished == 0)
          finish(task, "");
        else
          joiners.push_back(task);
        break;
      case Kind::acquire:
        if (!locked && lock_waiters.empty()) {
          locked = true;
          finish(task, "1");
        } else {
          lock_waiters.push_back(task);
        }
        break;
      case Kind::sem_acquire:
        if (sem_value > 0 && sem_waiters.empty()) {
          --sem_value;
          finish(task, "1");
        } else {
          sem_waiters.push_back(task);
        }
        break;
      case Kind::wait:
        if (event_set)
          finish(task, "1");
        else
          event_waiters.push_back(task);
        break;
    }
    settle_queue();
  }

  std::string put_nowait(int v) {
    if (full()) return "QueueFull";
    put_item(v);
    settle_queue();
    return "ok";
  }
  std::string get_nowait() {
    if (items.empty()) return "QueueEmpty";
    const int v = items.front();
    items.pop_front();
    settle_queue();
    return "ok:" + std::to_string(v);
  }
  std::string task_done() {
    if (unfinished <= 0) return "ValueError(task_done() called too many times)";
    if (--unfinished == 0) {
      for (int j : joiners) finish(j, "");
      joiners.clear();
    }
    return "ok";
  }
  std::string release() {
    if (!locked) return "RuntimeError(Lock is not acquired.)";
    if (!lock_waiters.empty()) {
      finish(lock_waiters.front(), "1");  // the lock passes to it
      lock_waiters.pop_front();
    } else {
      locked = false;
    }
    return "ok";
  }
  std::string sem_release() {
    if (!sem_waiters.empty()) {
      finish(sem_waiters.front(), "1");  // the permit passes to it
      sem_waiters.pop_front();
    } else {
      ++sem_value;
    }
    return "ok";
  }
  void set() {
    event_set = true;
    for (int w : event_waiters) finish(w, "1");
    event_waiters.clear();
  }
  void cancel(int task) {
    if (tasks[task] != "pending") return;
    tasks[task] = "cancelled";
    auto drop = [task](auto& q) { q.erase(std::remove(q.begin(), q.end(), task), q.end()); };
    drop(getters);
    drop(joiners);
    drop(lock_waiters);
    drop(sem_waiters);
    drop(event_waiters);
    putters.erase(std::remove_if(putters.begin(), putters.end(), [task](const auto& p) { return p.first == task; }),
                  putters.end());
  }
};

// ---- The real thing ----

struct Primitives {
  asyncio::Queue<int> queue;
  asyncio::Lock lock;
  asyncio::Semaphore sem;
  asyncio::Event event;
  Primitives(std::int64_t maxsize, std::int64_t permits) : queue(maxsize), sem(permits) {}
};

asyncio::Coro<std::string> operate(Primitives& p, Kind k, int value) {
  switch (k) {
    case Kind::put: {
      co_await p.queue.put(value);
      co_return "";
    }
    case Kind::get: {
      const int v = co_await p.queue.get();
      co_return std::to_string(v);
    }
    case Kind::join: {
      co_await p.queue.join();
      co_return "";
    }
    case Kind::acquire: {
      const bool ok = co_await p.lock.acquire();
      co_return ok ? "1" : "0";
    }
    case Kind::sem_acquire: {
      const bool ok = co_await p.sem.acquire();
      co_return ok ? "1" : "0";
    }
    case Kind::wait: {
      const bool ok = co_await p.event.wait();
      co_return ok ? "1" : "0";
    }
  }
  co_return "?";
}

std::string state_of(asyncio::Task<std::string>& t) {
  if (!t.done()) return "pending";
  if (t.cancelled()) return "cancelled";
  if (std::exception_ptr e = t.exception()) return error_name(e);
  return "ok:" + t.result();
}

template <class F>
std::string outcome_of(F&& f) {
  try {
    return f();
  } catch (...) {
    return error_name(std::current_exception());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Bytes in(data, size);
  const std::int64_t maxsize = static_cast<std::int64_t>(in.below(4));  // 0: unbounded
  const std::int64_t permits = static_cast<std::int64_t>(in.below(3));

  Model model;
  model.maxsize = maxsize;
  model.sem_value = permits;

  asyncio::EventLoop* loop = &fuzz::shared_loop();
  {
    Primitives p(maxsize, permits);
    std::vector<asyncio::Task<std::string>> tasks;
    int next_value = 0;
    // 48 actions bound the input length read (-max_len in CMakeLists.txt).
    for (int step = 0; step < 48 && !in.empty(); ++step) {
      const std::uint8_t b = in.byte();
      // Named only when a check fails (see fuzz::expect_same).
      const auto what = [step, b] { return "action " + std::to_string(step) + " (" + std::to_string(b % 14) + ")"; };
      std::string real_result;
      std::string model_result;
      const auto kind_of = [](std::uint8_t x) -> std::optional<Kind> {
        switch (x % 14) {
          case 0: return Kind::put;
          case 1: return Kind::get;
          case 2: return Kind::join;
          case 3: return Kind::acquire;
          case 4: return Kind::sem_acquire;
          case 5: return Kind::wait;
          default: return std::nullopt;
        }
      };
      if (const std::optional<Kind> k = kind_of(b)) {
        if (tasks.size() >= 16) continue;
        const int id = static_cast<int>(tasks.size());
        const int value = next_value++;
        asyncio::Coro<std::string> op = operate(p, *k, value);
        tasks.push_back(loop->create_task(std::move(op)));
        fuzz::run_until_quiet(*loop);
        model.start(id, *k, value);
      } else {
        switch (b % 14) {
          case 6: {
            const int value = next_value++;
            real_result = outcome_of([&] {
              p.queue.put_nowait(value);
              return std::string("ok");
            });
            model_result = model.put_nowait(value);
            break;
          }
          case 7:
            real_result = outcome_of([&] { return "ok:" + std::to_string(p.queue.get_nowait()); });
            model_result = model.get_nowait();
            break;
          case 8:
            real_result = outcome_of([&] {
              p.queue.task_done();
              return std::string("ok");
            });
            model_result = model.task_done();
            break;
          case 9:
            real_result = outcome_of([&] {
              p.lock.release();
              return std::string("ok");
            });
            model_result = model.release();
            break;
          case 10:
            real_result = outcome_of([&] {
              p.sem.release();
              return std::string("ok");
            });
            model_result = model.sem_release();
            break;
          case 11:
            p.event.set();
            model.set();
            break;
          case 12:
            p.event.clear();
            model.event_set = false;
            break;
          default: {  // cancel a task
            if (tasks.empty()) break;
            const std::size_t t = in.below(tasks.size());
            tasks[t].cancel();
            model.cancel(static_cast<int>(t));
            break;
          }
        }
        fuzz::run_until_quiet(*loop);
      }
      fuzz::expect_same([&] { return what() + " result"; }, real_result, model_result);
      for (std::size_t t = 0; t < tasks.size(); ++t) {
        fuzz::expect_same([&] { return what() + ", task " + std::to_string(t); }, state_of(tasks[t]),
                          model.tasks[static_cast<int>(t)]);
      }
      fuzz::expect_same([&] { return what() + ", qsize"; }, std::to_string(p.queue.qsize()),
                        std::to_string(model.items.size()));
      fuzz::expect_same([&] { return what() + ", lock.locked()"; }, std::to_string(p.lock.locked()),
                        std::to_string(model.locked));
      const bool sem_locked = model.sem_value == 0 || !model.sem_waiters.empty();
      fuzz::expect_same([&] { return what() + ", sem.locked()"; }, std::to_string(p.sem.locked()),
                        std::to_string(sem_locked));
      fuzz::expect_same([&] { return what() + ", event.is_set()"; }, std::to_string(p.event.is_set()),
                        std::to_string(model.event_set));
    }
    // Whatever still waits is cancelled before the primitives go.
    for (auto& t : tasks) t.cancel();
    fuzz::run_until_quiet(*loop);
    for (auto& t : tasks) {
      if (!t.done()) fuzz::expect_same("a task at the end", "pending", "done");
    }
  }
  return 0;
}
