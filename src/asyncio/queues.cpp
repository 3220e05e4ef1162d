#include "asyncio/queues.hpp"

namespace asyncio::detail {

QueueBase::~QueueBase() {
  const std::size_t n = getters_.size() + putters_.size();
  if (n != 0) report_destroyed_with_waiters("asyncio.Queue", n);
}

void QueueBase::bind(TaskBase& task) { loop_.bind(*task.loop(), *this); }

void QueueBase::raise_cannot_put() const {
  if (is_shutdown_) throw QueueShutDown();
  throw QueueFull();
}

void QueueBase::raise_cannot_get() const {
  if (is_shutdown_) throw QueueShutDown();
  throw QueueEmpty();
}

void QueueBase::after_drop() noexcept {
  --size_;
  if (unfinished_ > 0) --unfinished_;
}

void QueueBase::end_shutdown(bool immediate) {
  // Python: Queue.shutdown(): every blocked getter and putter wakes and
  // re-checks (getters find the items left, or raise QueueShutDown).
  if (immediate && unfinished_ == 0) finished_.set();
  getters_.wake_all();
  putters_.wake_all();
}

void QueueBase::task_done() {
  if (unfinished_ == 0) throw ValueError("task_done() called too many times");
  if (--unfinished_ == 0) finished_.set();
}

Coro<> QueueBase::wait_for_item() {
  // Python: the loop of Queue.get(). A woken getter may find the queue
  // empty again (a get_nowait() took the item first): it waits again, at
  // the end of the line.
  while (empty()) {
    if (is_shutdown_) throw QueueShutDown();
    bind(require_current_task("get from a Queue"));
    QueueWait getter(getters_);
    std::exception_ptr error;
    try {
      co_await getter;
    } catch (...) {
      error = std::current_exception();
    }
    if (error) {
      getter.unlink();  // shutdown() or a put may have popped it already
      // Woken for an item, but leaving: hand the wake-up to the next getter.
      if (!empty() && !getter.cancelled()) getters_.wake_next();
      std::rethrow_exception(error);
    }
  }
}

Coro<> QueueBase::wait_for_slot() {
  // Python: the loop of Queue.put().
  while (full()) {
    if (is_shutdown_) throw QueueShutDown();
    bind(require_current_task("put into a Queue"));
    QueueWait putter(putters_);
    std::exception_ptr error;
    try {
      co_await putter;
    } catch (...) {
      error = std::current_exception();
    }
    if (error) {
      putter.unlink();
      // Woken for a free slot, but leaving: hand it to the next putter.
      if (!full() && !putter.cancelled()) putters_.wake_next();
      std::rethrow_exception(error);
    }
  }
}

std::string QueueBase::format(const std::string& items) const {
  std::string out = "maxsize=" + std::to_string(maxsize_);
  if (!items.empty()) out += " _queue=[" + items + "]";
  if (!getters_.empty()) out += " _getters[" + std::to_string(getters_.size()) + "]";
  if (!putters_.empty()) out += " _putters[" + std::to_string(putters_.size()) + "]";
  if (unfinished_ != 0) out += " tasks=" + std::to_string(unfinished_);
  if (is_shutdown_) out += " shutdown";
  return out;
}

std::string QueueBase::repr_with(const char* cls, const std::string& items) const {
  return std::string("<") + cls + " at " + address_repr(this) + " " + format(items) + ">";
}

std::string QueueBase::str_with(const char* cls, const std::string& items) const {
  return std::string("<") + cls + " " + format(items) + ">";
}

}  // namespace asyncio::detail
