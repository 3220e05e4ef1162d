// Running coroutines in a staggered race: what create_connection()'s Happy
// Eyeballs (RFC 8305) is built on. Python: asyncio.staggered.staggered_race
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "asyncio/coroutines.hpp"
#include "asyncio/events.hpp"
#include "asyncio/futures.hpp"
#include "asyncio/handles.hpp"
#include "asyncio/tasks.hpp"

namespace asyncio {

/// What staggered_race() returns. Python: its (winner_result, winner_index,
/// exceptions) tuple.
template <class T>
struct StaggeredResult {
  /// The first successful coroutine's result, if one succeeded.
  std::optional<T> winner_result{};
  /// Its index in the list of coroutine functions.
  std::optional<std::size_t> winner_index{};
  /// One entry per coroutine started, in start order: the error it failed
  /// with, or null (the winner, and those cancelled because another won).
  std::vector<std::exception_ptr> exceptions{};
};

namespace detail {
struct StaggeredState {
  std::optional<Future<void>> wake;
  bool timer_fired = false;
  void notify() {
    if (wake && !wake->done()) wake->set_result();
  }
};
}  // namespace detail

/// Runs the coroutines `coro_fns` make, one after another, each started as
/// a task when the previous one fails or `delay` seconds after it started
/// (std::nullopt: only when it fails), until one succeeds; the others are
/// then cancelled and awaited. Cancelling the race cancels and awaits every
/// running attempt, then raises CancelledError.
/// Python: asyncio.staggered.staggered_race(coro_fns, delay)
template <class T>
Coro<StaggeredResult<T>> staggered_race(std::vector<std::function<Coro<T>()>> coro_fns, std::optional<double> delay) {
  EventLoop& loop = get_running_loop();
  StaggeredResult<T> out;
  std::vector<Task<T>> tasks;  // started attempts, in order
  std::vector<bool> seen;      // their completion was handled
  auto state = std::make_shared<detail::StaggeredState>();
  TimerHandle timer;
  std::size_t next = 0;
  std::exception_ptr cancelled;

  auto start_next = [&] {
    timer.cancel();
    Task<T> task = loop.create_task(coro_fns[next]());
    ++next;
    task.add_done_callback([state](const Future<T>&) { state->notify(); });
    tasks.push_back(std::move(task));
    seen.push_back(false);
    out.exceptions.push_back(nullptr);
    if (delay && next < coro_fns.size()) {
      timer = loop.call_later(*delay, [state] {
        state->timer_fired = true;
        state->notify();
      });
    }
  };

  if (!coro_fns.empty()) start_next();
  for (;;) {
    bool all_done = true;
    for (std::size_t i = 0; i < tasks.size(); ++i) {
      if (!tasks[i].done()) {
        all_done = false;
        continue;
      }
      if (seen[i]) continue;
      seen[i] = true;
      if (tasks[i].cancelled()) continue;
      if (std::exception_ptr e = tasks[i].exception()) {
        out.exceptions[i] = e;
        // The latest attempt failed: kick off the next one now.
        if (i + 1 == tasks.size() && !out.winner_index && !cancelled && next < coro_fns.size()) {
          start_next();
          all_done = false;
        }
      } else if (!out.winner_index) {
        out.winner_index = i;
        out.winner_result.emplace(co_await std::move(tasks[i]));
        timer.cancel();
        for (std::size_t j = 0; j < tasks.size(); ++j)
          if (j != i) tasks[j].cancel();
      }
    }
    if (state->timer_fired) {
      state->timer_fired = false;
      if (!out.winner_index && !cancelled && next < coro_fns.size()) {
        start_next();
        all_done = false;
      }
    }
    if (all_done && (out.winner_index || cancelled || next >= coro_fns.size())) break;
    state->wake = loop.create_future();
    try {
      co_await *state->wake;
    } catch (const CancelledError& e) {
      // Python: cancel every running attempt with the same message, wait
      // for them all, then re-raise.
      cancelled = std::current_exception();
      timer.cancel();
      std::optional<std::string> msg = e.message();
      for (Task<T>& t : tasks) {
        if (msg)
          t.cancel(*msg);
        else
          t.cancel();
      }
    }
  }
  timer.cancel();
  state->wake.reset();
  if (cancelled) std::rethrow_exception(cancelled);
  co_return out;
}

}  // namespace asyncio
