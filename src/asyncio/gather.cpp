// gather() and shield(). Python: tasks.gather, tasks.shield.
#include "asyncio/gather.hpp"

#include "asyncio/detail/demangle.hpp"
#include "asyncio/exception_context.hpp"
#include "asyncio/detail/loop_internals.hpp"

namespace asyncio::detail {

void report_runnable_error(const Runnable& entry) {
  std::exception_ptr exc = std::current_exception();
  if (is_interrupt(exc)) throw;
  EventLoop* loop = tls_running_loop;
  if (loop == nullptr) return;
  ExceptionContext context;
  context.message = "Exception in callback " + entry.describe();
  context.exception = exc;
  loop->call_exception_handler(context);
}

namespace {

// The current task of `loop` if `loop` is running in this thread (Python:
// current_task(events._get_running_loop())), with a reference.
TaskBase* running_task_of(EventLoop* loop) noexcept {
  if (loop == nullptr || tls_running_loop != loop) return nullptr;
  TaskBase* t = detail::internals(*loop).current_task();
  if (t != nullptr) t->add_ref();
  return t;
}

}  // namespace

GatherCore::GatherCore(FutureBase& outer, std::size_t nargs, bool return_exceptions)
    : outer_(outer), cur_task_(running_task_of(outer.loop())), return_exceptions_(return_exceptions) {
  args_.reserve(nargs);
  uniq_.reserve(nargs);
}

GatherCore::~GatherCore() {
  for (std::size_t k = 0; k < uniq_.size(); ++k) {
    if (nodes_ && nodes_[k].linked()) uniq_[k]->remove_done_callback(&nodes_[k]);
    uniq_[k]->release();
  }
  if (cur_task_ != nullptr) cur_task_->release();
}

void GatherCore::add(FutureBase* child, bool created) {
  // Python's arg_to_fut: the same future twice is one child. A task made
  // here for a coroutine cannot be a duplicate; a future given by the
  // caller is looked up (linearly while few, then in a hash set).
  if (!created) {
    bool dup = false;
    if (uniq_.size() <= 16) {
      for (FutureBase* u : uniq_) dup = dup || u == child;
    } else {
      if (seen_.empty()) seen_.insert(uniq_.begin(), uniq_.end());
      dup = !seen_.insert(child).second;
    }
    if (dup) {
      has_duplicates_ = true;
      args_.push_back(child);
      child->release();  // uniq_ holds the reference
      return;
    }
    if (!seen_.empty()) seen_.insert(child);
  }
  args_.push_back(child);
  uniq_.push_back(child);
}

void GatherCore::start() {
  nodes_ = std::make_unique<ChildNode[]>(uniq_.size());
  // Python registers callbacks on the pending children and then runs the
  // callback of each child already done, synchronously.
  bool any_done = false;
  for (std::size_t k = 0; k < uniq_.size(); ++k) {
    nodes_[k].init(this, static_cast<std::uint32_t>(k));
    if (uniq_[k]->done())
      any_done = true;
    else
      uniq_[k]->add_done_callback(&nodes_[k]);
  }
  if (!any_done) return;
  for (std::size_t k = 0; k < uniq_.size(); ++k) {
    if (uniq_[k]->done() && !nodes_[k].linked()) on_child_done(static_cast<std::uint32_t>(k));
  }
}

void GatherCore::on_child_done(std::uint32_t index) {
  // Python: gather's _done_callback
  ++nfinished_;
  FutureBase* fut = uniq_[index];
  if (outer_.done()) {
    if (!fut->cancelled()) (void)fut->exception();  // mark the exception retrieved
    return;
  }
  if (!return_exceptions_) {
    if (fut->cancelled()) {
      // A child's cancellation is an error of the gather, not its own.
      outer_.set_exception(std::make_exception_ptr(fut->make_cancelled_error()));
      return;
    }
    if (std::exception_ptr e = fut->exception()) {
      outer_.set_exception(std::move(e));
      return;
    }
  }
  if (nfinished_ != uniq_.size()) return;
  if (cancel_requested_) {
    // gather was cancelled: raise CancelledError even with
    // return_exceptions (bpo-32684), after marking the children's
    // exceptions retrieved as building the results list does. The error
    // is made from the last child, like Python's leftover loop variable.
    for (FutureBase* c : args_)
      if (!c->cancelled()) (void)c->exception();
    outer_.set_exception(std::make_exception_ptr(args_.back()->make_cancelled_error()));
    return;
  }
  set_results();
}

bool GatherCore::cancel_children(const std::optional<std::string>& msg) {
  // Python: _GatheringFuture.cancel()
  if (outer_.done()) return false;
  bool ret = false;
  for (FutureBase* child : args_) {
    if (child->cancel(msg)) ret = true;
  }
  if (ret) cancel_requested_ = true;
  return ret;
}

// ---- shield ----

namespace {

std::string exception_class_name(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const BaseException& ex) {
    return type_name(typeid(ex));
  } catch (const std::exception& ex) {
    return type_name(typeid(ex));
  } catch (...) {
    return "exception";
  }
}

// Python: shield's _log_on_exception, registered on the inner future once
// the outer one is done: an exception nobody will see is reported.
class ShieldLogNode final : public CallbackNode, public Pooled {
 public:
  void on_fire(FutureBase& future) override {
    EventLoop* loop = future.loop();
    AnyFuture inner(&future, /*retain=*/true);
    delete this;
    loop->call_soon([inner] {
      if (inner.cancelled()) return;
      std::exception_ptr exc = inner.exception();
      if (!exc) return;
      ExceptionContext context;
      context.message = exception_class_name(exc) + " exception in shielded future";
      context.exception = exc;
      context.future = inner;
      inner.get_loop().call_exception_handler(context);
    });
  }
  void on_discard() noexcept override { delete this; }
};

}  // namespace

ShieldCore::ShieldCore(FutureBase& outer, FutureBase* inner)
    : outer_(outer), inner_(inner), cur_task_(running_task_of(inner->loop())) {
  inner_->add_ref();
  nodes_[0].init(this, 0);
  nodes_[1].init(this, 1);
}

ShieldCore::~ShieldCore() {
  if (nodes_[0].linked()) inner_->remove_done_callback(&nodes_[0]);
  if (nodes_[1].linked()) outer_.remove_done_callback(&nodes_[1]);
  inner_->release();
  if (cur_task_ != nullptr) cur_task_->release();
}

void ShieldCore::start() {
  inner_->add_done_callback(&nodes_[0]);
  outer_.add_done_callback(&nodes_[1]);
}

void ShieldCore::on_child_done(std::uint32_t index) {
  if (index == 0) {
    // Python: _inner_done_callback (and _clear_awaited_by_callback).
    if (cur_task_ != nullptr) std::exchange(cur_task_, nullptr)->release();
    if (outer_.cancelled()) return;
    if (inner_->cancelled()) {
      outer_.cancel(std::nullopt);
    } else if (std::exception_ptr exc = inner_->exception()) {
      outer_.set_exception(std::move(exc));
    } else {
      copy_result();
    }
    return;
  }
  // Python: _outer_done_callback
  if (!inner_->done()) {
    inner_->remove_done_callback(&nodes_[0]);
    if (cur_task_ != nullptr) std::exchange(cur_task_, nullptr)->release();
    inner_->add_done_callback(new ShieldLogNode());
  }
}

}  // namespace asyncio::detail
