// Watching a descriptor the program owns, on a uv_poll_t: what
// add_reader()/add_writer() and the sock_* coroutines are built on.
//
// Facts about libuv this relies on:
// - One uv_poll_t per descriptor and loop: uv_poll_init() fails with
//   UV_EEXIST for a descriptor another handle of the loop already watches.
// - uv_poll_init() switches the descriptor to non-blocking mode.
// - epoll (Linux) refuses regular files, directories and /dev/null with
//   EPERM, and libuv 1.44 aborts the process if that happens inside
//   uv_run(): the descriptor is checked first (os::check_pollable()).
// - An error or hang-up is reported as status < 0 or with both events set;
//   CPython's selector reports both events then, and the callbacks find the
//   error by trying (recv() returns it).
// - uv_close() stops watching at once, so the descriptor may be closed
//   right after FdWatch::close(), as CPython allows after remove_reader().
#include <uv.h>

#include <system_error>

#include "uv_errors.hpp"
#include "uv_handle.hpp"
#include "uv_net_os.hpp"

namespace asyncio::uv {

namespace {

class UvPoll final : public FdWatch, public HandleObject {
 public:
  UvPoll(UvBackend& backend, FdWatchEvents* events) noexcept : HandleObject(backend), events_(events) {}

  int init(int fd) noexcept {
    const int rc = uv_poll_init(backend().uv_loop(), &poll_, fd);
    if (rc == 0) own(&poll_);
    return rc;
  }

  void update(bool readable, bool writable) override {
    // Stop first: libuv then re-adds the descriptor to epoll instead of
    // modifying it, which also works after the program closed it and got
    // the same number back (a modify would fail with ENOENT, and libuv 1.44
    // aborts on that). Registrations change rarely: per operation, not per event.
    uv_poll_stop(&poll_);
    const int events = (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0);
    if (events == 0) return;
    check(uv_poll_start(&poll_, events, &UvPoll::on_poll), "uv_poll_start");
  }

  void close() noexcept override {
    events_ = nullptr;
    close_handles();
  }

 private:
  ~UvPoll() override = default;
  void close_owned() noexcept override { close_handle(&poll_); }
  // The loop's fd table is closed before the backend: nothing to tell.
  void on_detach() noexcept override { events_ = nullptr; }

  static void on_poll(uv_poll_t* poll, int status, int events) {
    auto* self = owner<UvPoll>(poll);
    if (self->events_ == nullptr) return;
    if (status < 0) {
      self->events_->on_fd_ready(true, true);
      return;
    }
    const bool hangup = (events & UV_DISCONNECT) != 0;
    self->events_->on_fd_ready((events & UV_READABLE) != 0 || hangup, (events & UV_WRITABLE) != 0 || hangup);
  }

  uv_poll_t poll_{};
  FdWatchEvents* events_;
};

}  // namespace

FdWatchPtr UvBackend::watch_fd(int fd, FdWatchEvents* events) {
  os::check_pollable(fd);
  auto* poll = new UvPoll(*this, events);
  FdWatchPtr ptr(poll);  // closing it frees the object
  const int rc = poll->init(fd);
  if (rc < 0) {
    throw std::system_error(error_code(rc), rc == UV_EEXIST ? "file descriptor " + std::to_string(fd) +
                                                                  " is already watched by the event loop"
                                                            : std::string("uv_poll_init"));
  }
  return ptr;
}

}  // namespace asyncio::uv
