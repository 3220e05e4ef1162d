// Python: the task bookkeeping functions of Lib/asyncio/tasks.py.
#include "asyncio/task_hooks.hpp"

#include "asyncio/detail/loop_internals.hpp"

namespace asyncio {

namespace {

detail::TaskBase* task_base(const AnyTask& task) {
  auto* state = static_cast<detail::TaskBase*>(task.state_ptr());
  if (state == nullptr) throw InvalidStateError("empty task handle");
  return state;
}

}  // namespace

void _register_task(const AnyTask& task) {
  detail::TaskBase* t = task_base(task);
  if (t->registered()) return;  // a set in Python: adding twice is a no-op
  detail::internals(*t->loop()).register_task(t);
}

void _unregister_task(const AnyTask& task) {
  detail::TaskBase* t = task_base(task);
  detail::internals(*t->loop()).unregister_task(t);
}

void _enter_task(EventLoop& loop, const AnyTask& task) { detail::internals(loop).enter_task(task_base(task)); }

void _leave_task(EventLoop& loop, const AnyTask& task) { detail::internals(loop).leave_task(task_base(task)); }

std::optional<AnyTask> _swap_current_task(EventLoop& loop, std::optional<AnyTask> task) {
  detail::TaskBase* next = (task && *task) ? task_base(*task) : nullptr;
  detail::TaskBase* prev = detail::internals(loop).swap_current_task(next);
  if (prev == nullptr) return std::nullopt;
  return AnyTask(prev, true);
}

}  // namespace asyncio
