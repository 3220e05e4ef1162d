// wait(), wait_for(), as_completed(). Python: tasks.wait, tasks._wait,
// tasks._cancel_and_wait, tasks._AsCompletedIterator.
#include "asyncio/wait.hpp"
#include "asyncio/detail/loop_internals.hpp"

namespace asyncio::detail {

// ---- wait ----

WaitState::WaitState(EventLoop* loop, std::vector<FutureBase*> fs, ReturnWhen when)
    : FutureState<void>(loop), fs_(std::move(fs)), counter_(fs_.size()), return_when_(when) {
  for (FutureBase* f : fs_) f->add_ref();
  nodes_ = std::make_unique<ChildNode[]>(fs_.size());
  if (TaskBase* t = detail::internals(*loop).current_task()) {
    t->add_ref();
    task_ = t;
  }
}

WaitState::~WaitState() {
  stop();
  for (FutureBase* f : fs_) f->release();
  if (task_ != nullptr) task_->release();
}

void WaitState::start(std::optional<double> timeout) {
  if (timeout) timeout_handle_ = loop()->call_later(*timeout, [this] { release_waiter(); });
  for (std::size_t i = 0; i < fs_.size(); ++i) {
    nodes_[i].init(this, static_cast<std::uint32_t>(i));
    fs_[i]->add_done_callback(&nodes_[i]);
  }
}

void WaitState::stop() noexcept {
  timeout_handle_.cancel();
  for (std::size_t i = 0; i < fs_.size(); ++i) {
    if (nodes_[i].linked()) fs_[i]->remove_done_callback(&nodes_[i]);
  }
}

void WaitState::release_waiter() noexcept {
  // Python: _release_waiter
  if (!done()) finish_with_value();
}

void WaitState::on_child_done(std::uint32_t index) {
  // Python: _wait's _on_completion
  --counter_;
  FutureBase* f = fs_[index];
  if (counter_ == 0 || return_when_ == ReturnWhen::FIRST_COMPLETED ||
      (return_when_ == ReturnWhen::FIRST_EXCEPTION && !f->cancelled() && f->exception() != nullptr)) {
    timeout_handle_.cancel();
    release_waiter();
  }
}

// ---- wait_for ----

namespace {
// Python: functools.partial(_release_waiter, waiter) as a done callback.
// It lives in cancel_and_wait's frame, which unregisters it.
class ReleaseWaiter final : public CallbackNode {
 public:
  ReleaseWaiter(FutureBase* fut, Future<void> waiter) : fut_(fut), waiter_(std::move(waiter)) {}
  ~ReleaseWaiter() {
    if (linked()) fut_->remove_done_callback(this);
  }
  void on_fire(FutureBase& future) override {
    future.loop()->call_soon([waiter = waiter_]() mutable {
      if (!waiter.done()) waiter.set_result();
    });
  }
  void on_discard() noexcept override {}

 private:
  FutureBase* fut_;
  Future<void> waiter_;
};
}  // namespace

Coro<void> cancel_and_wait(AnyFuture fut) {
  // Python: tasks._cancel_and_wait
  EventLoop& loop = get_running_loop();
  Future<void> waiter = loop.create_future<void>();
  ReleaseWaiter cb(fut.state_ptr(), waiter);
  fut.state_ptr()->add_done_callback(&cb);
  fut.cancel();
  co_await waiter;
}

// ---- as_completed ----

AsCompletedState::AsCompletedState(EventLoop& loop, std::vector<FutureBase*> todo, std::optional<double> timeout)
    : todo_left(todo.size()), loop_(loop), todo_(std::move(todo)), pending_(todo_.size()) {
  nodes_ = std::make_unique<ChildNode[]>(todo_.size());
  for (std::size_t i = 0; i < todo_.size(); ++i) {
    nodes_[i].init(this, static_cast<std::uint32_t>(i));
    todo_[i]->add_done_callback(&nodes_[i]);
  }
  if (!todo_.empty() && timeout) timeout_handle_ = loop_.call_later(*timeout, [this] { on_timeout(); });
}

AsCompletedState::~AsCompletedState() {
  close();
  for (FutureBase* f : todo_) f->release();
}

void AsCompletedState::close() noexcept {
  timeout_handle_.cancel();
  for (std::size_t i = 0; i < todo_.size(); ++i) {
    if (nodes_[i].linked()) todo_[i]->remove_done_callback(&nodes_[i]);
  }
}

void AsCompletedState::on_timeout() {
  // Python: _handle_timeout: one sentinel per future not yet handled.
  for (std::size_t i = 0; i < todo_.size(); ++i) {
    if (nodes_[i].linked()) todo_[i]->remove_done_callback(&nodes_[i]);
  }
  for (; pending_ > 0; --pending_) done_.push_back(nullptr);
  timed_out_ = true;
  wake_next_getter();
}

void AsCompletedState::wake_next_getter() {
  // Python: Queue._wakeup_next
  while (!getters_.empty()) {
    Future<void> g = std::move(getters_.front());
    getters_.pop_front();
    if (!g.done()) {
      g.set_result();
      break;
    }
  }
}

void AsCompletedState::on_child_done(std::uint32_t index) {
  // Python: _handle_completion
  if (timed_out_) return;  // _handle_timeout was here first
  --pending_;
  done_.push_back(todo_[index]);
  if (pending_ == 0) timeout_handle_.cancel();
  wake_next_getter();  // Python: Queue.put_nowait
}

Coro<FutureBase*> AsCompletedState::next_done() {
  // Python: _wait_for_one, with Queue.get's waiting loop.
  while (done_.empty()) {
    Future<void> getter = loop_.create_future<void>();
    getters_.push_back(getter);
    try {
      co_await getter;
    } catch (...) {
      // Python: Queue.get's cleanup: forget the getter; one that had been
      // woken passes the wake-up on.
      getter.cancel();
      for (auto it = getters_.begin(); it != getters_.end(); ++it) {
        if (*it == getter) {
          getters_.erase(it);
          break;
        }
      }
      if (!done_.empty() && !getter.cancelled()) wake_next_getter();
      throw;
    }
  }
  FutureBase* f = done_.front();
  done_.pop_front();
  if (f == nullptr) throw TimeoutError();
  co_return f;
}

}  // namespace asyncio::detail
