// Waiting for a descriptor's readiness inside a coroutine: the sock_*
// coroutines and sendfile() register one reader or writer callback for the
// whole operation (as CPython's _sock_recv re-arms its own) and await it
// as many times as the socket says "would block". Library use.
#pragma once

#include <optional>

#include "asyncio/events.hpp"
#include "asyncio/futures.hpp"

namespace asyncio::detail {

class FdWait {
 public:
  FdWait(EventLoop& loop, int fd, bool read) noexcept : loop_(&loop), fd_(fd), read_(read) {}
  FdWait(const FdWait&) = delete;
  FdWait& operator=(const FdWait&) = delete;
  /// Python: _sock_read_done / _sock_write_done: unregister unless another
  /// operation replaced (cancelled) this callback meanwhile.
  ~FdWait() {
    if (handle_ && !handle_.cancelled()) loop_->remove_fd_callback(fd_, read_);
  }

  /// A future completed at the next readiness (registering on first use).
  Future<void> next() {
    ready_.emplace(loop_->create_future());
    if (!handle_) {
      Handle h(make_handle<HandleNode::Kind::soon>(loop_, [this] {
        if (ready_ && !ready_->done()) ready_->set_result();
      }));
      handle_ = loop_->add_fd_callback(fd_, read_, std::move(h));
    }
    return *ready_;
  }

 private:
  EventLoop* loop_;
  int fd_;
  bool read_;
  Handle handle_;
  std::optional<Future<void>> ready_;
};

}  // namespace asyncio::detail
