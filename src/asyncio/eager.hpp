// Eager task factories. Python: asyncio.eager_task_factory,
// asyncio.create_eager_task_factory (tasks.py, 3.12).
//
//   loop.set_task_factory(asyncio::eager_task_factory);
//
// With an eager factory every create_task() runs the new coroutine at once,
// inside create_task(), until its first suspension; a coroutine that never
// suspends is done before create_task() returns and is never scheduled.
#pragma once

#include <utility>

#include "asyncio/events.hpp"
#include "asyncio/tasks.hpp"

namespace asyncio {

/// A task factory calling `custom_task_constructor` (a TaskFactory, e.g.
/// make_task) with eager_start on unless the caller asked otherwise.
/// Python: asyncio.create_eager_task_factory(custom_task_constructor)
inline TaskFactory create_eager_task_factory(TaskFactory custom_task_constructor) {
  return [ctor = std::move(custom_task_constructor)](EventLoop& loop, AnyCoro coro, const TaskOptions& options) {
    TaskOptions eager = options;
    if (!eager.eager_start) eager.eager_start = true;
    return ctor(loop, std::move(coro), eager);
  };
}

/// The task factory making eager tasks the default way (make_task).
/// Python: asyncio.eager_task_factory
inline AnyTask eager_task_factory(EventLoop& loop, AnyCoro coro, const TaskOptions& options) {
  TaskOptions eager = options;
  if (!eager.eager_start) eager.eager_start = true;
  return make_task(loop, std::move(coro), eager);
}

}  // namespace asyncio
