// Task groups. Python: asyncio.taskgroups (CPython 3.14, with the fixes
// of gh-135736, gh-155418 and gh-155433 from main).
#include "asyncio/taskgroups.hpp"

#include "asyncio/exception_context.hpp"
#include "asyncio/detail/loop_internals.hpp"

namespace asyncio {

namespace detail {

namespace {

// Python: TaskGroup._is_base_error
bool is_base_error(const std::exception_ptr& e) { return is_interrupt(e); }

bool is_cancelled_error(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const CancelledError&) {
    return true;
  } catch (...) {
    return false;
  }
}

}  // namespace

TaskGroupChild::TaskGroupChild(TaskGroup* g, TaskBase* t) noexcept : group(g), task(t) { task->add_ref(); }

TaskGroupChild::~TaskGroupChild() { task->release(); }

void TaskGroupChild::on_fire(FutureBase& future) { detail::internals(*future.loop()).push_runnable(this); }

void TaskGroupChild::on_discard() noexcept {
  // The task holds no reference to us but we hold one to it: it cannot die
  // with us registered. Kept for completeness.
  if (group != nullptr) group->unlink(*this);
  delete this;
}

FutureBase* TaskGroupChild::awaited_by() const noexcept { return group ? group->parent_task_ : nullptr; }

void TaskGroupChild::run() {
  struct Delete {
    TaskGroupChild* c;
    ~Delete() { delete c; }
  } del{this};
  if (group == nullptr) return;
  try {
    group->on_task_done(*this);
  } catch (...) {
    report_runnable_error(*this);
  }
}

void TaskGroupChild::discard() noexcept {
  if (group != nullptr) group->unlink(*this);
  delete this;
}

}  // namespace detail

TaskGroup::~TaskGroup() {
  // Only reached with tasks left if the block's coroutine was destroyed
  // unfinished (its loop closed): forget them.
  while (tasks_ != nullptr) {
    detail::TaskGroupChild* c = tasks_;
    unlink(*c);
    if (c->linked()) {
      c->task->remove_done_callback(c);
      delete c;
    } else {
      c->group = nullptr;  // queued: it deletes itself when run or discarded
    }
  }
  if (parent_task_ != nullptr) parent_task_->release();
}

std::string TaskGroup::repr() const {
  // Python: TaskGroup.__repr__
  std::string info;
  if (ntasks_ > 0) info += " tasks=" + std::to_string(ntasks_);
  if (!errors_.empty()) info += " errors=" + std::to_string(errors_.size());
  if (aborting_)
    info += " cancelling";
  else if (entered_)
    info += " entered";
  return "<TaskGroup" + info + ">";
}

void TaskGroup::enter() {
  // Python: TaskGroup.__aenter__
  if (entered_) throw RuntimeError("TaskGroup " + repr() + " has already been entered");
  if (loop_ == nullptr) loop_ = &get_running_loop();
  detail::TaskBase* parent = detail::internals(*loop_).current_task();
  if (parent == nullptr) throw RuntimeError("TaskGroup " + repr() + " cannot determine the parent task");
  parent->add_ref();
  parent_task_ = parent;
  entered_ = true;
}

const char* TaskGroup::refusal() const noexcept {
  // Python: the checks of TaskGroup.create_task
  if (!entered_) return "has not been entered";
  if (exiting_ && ntasks_ == 0) return "is finished";
  if (aborting_) return "is shutting down";
  return nullptr;
}

void TaskGroup::adopt(detail::TaskBase* task) {
  // Python: the rest of TaskGroup.create_task. The done callback is
  // registered even if the task already finished (eagerly), so that its
  // failure is handled on the next iteration, not inside create_task
  // (gh-128550).
  auto* child = new detail::TaskGroupChild(this, task);
  child->next = tasks_;
  if (tasks_ != nullptr) tasks_->prev = child;
  tasks_ = child;
  ++ntasks_;
  task->add_done_callback(child);
  // An eager task can abort the group before it is registered (gh-155418).
  if (aborting_ && !task->done()) task->cancel(std::nullopt);
}

void TaskGroup::unlink(detail::TaskGroupChild& child) noexcept {
  if (child.prev != nullptr)
    child.prev->next = child.next;
  else
    tasks_ = child.next;
  if (child.next != nullptr) child.next->prev = child.prev;
  child.prev = child.next = nullptr;
  --ntasks_;
}

void TaskGroup::abort() {
  // Python: TaskGroup._abort
  aborting_ = true;
  for (detail::TaskGroupChild* c = tasks_; c != nullptr; c = c->next) {
    if (!c->task->done()) c->task->cancel(std::nullopt);
  }
}

void TaskGroup::on_task_done(detail::TaskGroupChild& child) {
  // Python: TaskGroup._on_task_done
  unlink(child);
  child.group = nullptr;
  detail::TaskBase* task = child.task;
  if (on_completed_fut_ && ntasks_ == 0 && !on_completed_fut_->done()) on_completed_fut_->set_result();
  if (task->cancelled()) return;
  std::exception_ptr exc = task->exception();
  if (!exc) return;
  errors_.push_back(exc);
  if (!base_error_ && detail::is_base_error(exc)) base_error_ = exc;
  if (parent_task_->done()) {
    ExceptionContext context;
    context.message = "Task " + task->repr() + " has errored out but its parent task " + parent_task_->repr() +
                      " is already completed";
    context.exception = exc;
    context.task = AnyTask(task, /*retain=*/true);
    loop_->call_exception_handler(context);
    return;
  }
  if (!aborting_ && !parent_cancel_requested_) {
    // Cancel the block (the parent task) to interrupt whatever it awaits;
    // exit() withdraws this cancellation with uncancel().
    abort();
    parent_cancel_requested_ = true;
    parent_task_->cancel(std::nullopt);
  }
}

Coro<void> TaskGroup::exit(std::exception_ptr exc) {
  // Python: TaskGroup.__aexit__ / _aexit
  exiting_ = true;
  if (exc && !base_error_ && detail::is_base_error(exc)) base_error_ = exc;
  const bool exc_is_cancel = exc && detail::is_cancelled_error(exc);
  std::exception_ptr propagate_cancellation_error = exc_is_cancel ? exc : nullptr;
  if (exc && !aborting_) {
    // The parent is being cancelled, or the block raised: cancel the tasks.
    abort();
  }
  // A loop, because on_completed_fut_ can be cancelled repeatedly if the
  // parent task is (or once, when our own cancellation is in progress).
  std::exception_ptr pending_cancellation_error;
  while (ntasks_ > 0) {
    if (!on_completed_fut_) on_completed_fut_ = loop_->create_future<void>();
    try {
      co_await *on_completed_fut_;
    } catch (const CancelledError&) {
      pending_cancellation_error = std::current_exception();
      if (!aborting_) {
        // The parent task is cancelled from outside while the tasks run.
        propagate_cancellation_error = pending_cancellation_error;
        abort();
      }
    }
    on_completed_fut_.reset();
  }

  struct Clear {  // Python drops these references in __aexit__'s finally
    TaskGroup* g;
    ~Clear() {
      if (g->parent_task_ != nullptr) std::exchange(g->parent_task_, nullptr)->release();
      g->errors_.clear();
      g->base_error_ = nullptr;
    }
  } clear{this};

  if (base_error_) {
    // KeyboardInterrupt or SystemExit leaves unwrapped; report the errors
    // it would silently discard (gh-135736).
    for (const std::exception_ptr& e : errors_) {
      if (e == base_error_) continue;
      ExceptionContext context;
      context.message =
          "TaskGroup task exception was not propagated because the TaskGroup body is being closed with a "
          "BaseException";
      context.exception = e;
      context.extra.emplace_back("task_group", repr());
      loop_->call_exception_handler(context);
    }
    std::rethrow_exception(base_error_);
  }

  if (parent_cancel_requested_) {
    // Our own cancel() of the parent must be withdrawn.
    if (parent_task_->uncancel() == 0) {
      // No cancellation left: do not propagate CancelledError.
      propagate_cancellation_error = nullptr;
    } else if (!propagate_cancellation_error) {
      // The remaining cancellation is not ours: keep it (gh-155433).
      propagate_cancellation_error = pending_cancellation_error;
    }
  }

  // CancelledError propagates unless there are errors, which take priority.
  if (propagate_cancellation_error && errors_.empty()) std::rethrow_exception(propagate_cancellation_error);

  if (exc && !exc_is_cancel) errors_.push_back(exc);

  if (!errors_.empty()) {
    // Cancelled from outside as well: keep the request count stable and
    // the cancellation pending for the next await.
    if (parent_task_->cancelling() > 0) {
      parent_task_->uncancel();
      parent_task_->cancel(std::nullopt);
    }
    std::vector<std::exception_ptr> errors = std::move(errors_);
    raise_exception_group("unhandled errors in a TaskGroup", std::move(errors));
  }
  // Nothing to raise: whatever left the block is swallowed.
}

}  // namespace asyncio
