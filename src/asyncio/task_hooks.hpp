// The task bookkeeping hooks asyncio documents for code that drives tasks
// itself (a custom scheduler, an eager start of its own, a debugger stepping
// a task): what current_task() and all_tasks() report. Python: the
// underscore functions of asyncio.tasks (_register_task, _unregister_task,
// _enter_task, _leave_task, _swap_current_task).
//
// The library's own tasks call the same machinery internally; a program
// that only creates tasks with create_task() never needs these.
#pragma once

#include <optional>

#include "asyncio/events.hpp"
#include "asyncio/tasks.hpp"

namespace asyncio {

/// Adds `task` to the tasks all_tasks() reports for its loop; nothing if it
/// is there already. InvalidStateError for an empty handle.
/// Python: asyncio.tasks._register_task()
void _register_task(const AnyTask& task);

/// Removes `task` from the tasks all_tasks() reports; nothing if it is not
/// there. InvalidStateError for an empty handle.
/// Python: asyncio.tasks._unregister_task()
void _unregister_task(const AnyTask& task);

/// Makes `task` the one current_task(loop) reports, before stepping it.
/// RuntimeError("Cannot enter into task ... while another task ... is being
/// executed.") if a task is current already.
/// Python: asyncio.tasks._enter_task()
void _enter_task(EventLoop& loop, const AnyTask& task);

/// Ends what _enter_task() began. RuntimeError("Leaving task ... does not
/// match the current task ...") if `task` is not the current one.
/// Python: asyncio.tasks._leave_task()
void _leave_task(EventLoop& loop, const AnyTask& task);

/// Makes `task` (or none) current on `loop` without the checks of
/// _enter_task() and returns the task that was current.
/// Python: asyncio.tasks._swap_current_task()
std::optional<AnyTask> _swap_current_task(EventLoop& loop, std::optional<AnyTask> task);

}  // namespace asyncio
