#include "uv_backend.hpp"

#include <cmath>
#include <string>
#include <system_error>

#include "asyncio/events.hpp"
#include "asyncio/exceptions.hpp"
#include "asyncio/log.hpp"
#include "asyncio/platform.hpp"
#include "uv_errors.hpp"
#include "uv_os.hpp"

namespace asyncio::uv {

struct UvBackend::SignalWatch {
  uv_signal_t handle;
  EventLoop* loop;
};

UvBackend::UvBackend() {
  prepare_process();
  check(uv_loop_init(&uv_loop_), "uv_loop_init");
  check(uv_async_init(&uv_loop_, &wake_, [](uv_async_t*) {}), "uv_async_init");
  check(uv_timer_init(&uv_loop_, &poll_timer_), "uv_timer_init");
}

UvBackend::~UvBackend() {
  try {
    close();
  } catch (...) {
    // A destructor cannot raise: report what closing raised.
    const std::exception_ptr e = std::current_exception();
    detail::log_noexcept(LogLevel::error,
                         [&] { return "Exception closing a libuv backend in its destructor\n" + describe_exception(e); });
  }
}

void UvBackend::poll(double timeout) {
  if (timeout == 0) {
    uv_run(&uv_loop_, UV_RUN_NOWAIT);
    return;
  }
  if (timeout > 0) {
    // Round up, as CPython's epoll selector does: waking early would only
    // cost another iteration.
    const auto ms = static_cast<std::uint64_t>(std::ceil(timeout * 1000.0));
    uv_update_time(&uv_loop_);
    // uv_stop(): libuv 1.44's uv_run() runs due timers before it polls. If
    // the clock crosses the deadline between here and there, the timer
    // fires first and UV_RUN_ONCE would then poll with no timer left,
    // forever (seen under qemu-user). Stopping makes that poll non-blocking.
    uv_timer_start(&poll_timer_, [](uv_timer_t* t) { uv_stop(t->loop); }, ms, 0);
  }
  // The wake handle is always active, so UV_RUN_ONCE blocks until I/O, a
  // wake-up or the poll timer.
  uv_run(&uv_loop_, UV_RUN_ONCE);
  if (timeout > 0) uv_timer_stop(&poll_timer_);
}

void UvBackend::wake() noexcept { uv_async_send(&wake_); }

void UvBackend::close() {
  if (closed_) return;
  closed_ = true;
  while (!signals_.empty()) unwatch_signal(signals_.begin()->first);
  // What the program left open (its owner never closed it): every handle
  // but the backend's own that is not already closing.
  struct Walk {
    UvBackend* self;
    std::vector<std::string>* open;
  } walk{this, &open_at_close_};
  uv_walk(
      &uv_loop_,
      [](uv_handle_t* h, void* arg) {
        auto* w = static_cast<Walk*>(arg);
        if (uv_is_closing(h) || h == reinterpret_cast<uv_handle_t*>(&w->self->wake_) ||
            h == reinterpret_cast<uv_handle_t*>(&w->self->poll_timer_))
          return;
        w->open->push_back(std::string("uv_") + uv_handle_type_name(uv_handle_get_type(h)) + "_t");
      },
      &walk);
  detach_io_objects();
  // Close every handle still open (ours, and any an I/O object forgot),
  // then let libuv run the close callbacks, and finish the requests still
  // on the thread pool (a DNS lookup cannot be interrupted), before closing
  // the loop: nothing else keeps it alive, and it waits without spinning.
  uv_walk(
      &uv_loop_,
      [](uv_handle_t* h, void*) {
        if (!uv_is_closing(h)) uv_close(h, nullptr);
      },
      nullptr);
  uv_run(&uv_loop_, UV_RUN_DEFAULT);
  // Every handle is closed and no request is active, so this cannot fail
  // unless something above is wrong: say so rather than leak the loop.
  const int rc = uv_loop_close(&uv_loop_);
  if (rc != 0) {
    int left = 0;
    uv_walk(&uv_loop_, [](uv_handle_t*, void* n) { ++*static_cast<int*>(n); }, &left);
    throw RuntimeError("uv_loop_close() failed: " + std::string(uv_strerror(rc)) + " (" + std::to_string(left) +
                       " handle(s) still open)");
  }
}

void UvBackend::link(IoObject* object) noexcept {
  object->io_prev = nullptr;
  object->io_next = io_head_;
  if (io_head_) io_head_->io_prev = object;
  io_head_ = object;
}

void UvBackend::unlink(IoObject* object) noexcept {
  if (object->io_prev)
    object->io_prev->io_next = object->io_next;
  else if (io_head_ == object)
    io_head_ = object->io_next;
  if (object->io_next) object->io_next->io_prev = object->io_prev;
  object->io_prev = object->io_next = nullptr;
}

void UvBackend::detach_io_objects() noexcept {
  // Objects unlink themselves when their handles finish closing, and a
  // detach may close others (an owner letting go of its last socket): walk
  // a snapshot, skipping nothing (detach() is idempotent).
  std::vector<IoObject*> objects;
  for (IoObject* o = io_head_; o != nullptr; o = o->io_next) objects.push_back(o);
  for (IoObject* o : objects) o->detach();
}

std::string UvBackend::platform() const { return std::string(::asyncio::platform::name); }

void UvBackend::watch_signal(int sig) {
  if (signals_.count(sig)) return;
  check_signal_supported(sig);
  auto watch = std::make_unique<SignalWatch>();
  watch->loop = event_loop_;
  check(uv_signal_init(&uv_loop_, &watch->handle), "uv_signal_init");
  watch->handle.data = watch.get();
  int rc = uv_signal_start(
      &watch->handle,
      [](uv_signal_t* h, int signum) { static_cast<SignalWatch*>(h->data)->loop->deliver_signal(signum); }, sig);
  if (rc < 0) {
    // The close callback frees the watch.
    SignalWatch* failed = watch.release();
    uv_close(reinterpret_cast<uv_handle_t*>(&failed->handle), [](uv_handle_t* h) {
      delete static_cast<SignalWatch*>(h->data);
    });
    if (rc == UV_EINVAL) throw RuntimeError("sig " + std::to_string(sig) + " cannot be caught");
    check(rc, "uv_signal_start");
  }
  signals_[sig] = std::move(watch);
}

void UvBackend::unwatch_signal(int sig) {
  auto it = signals_.find(sig);
  if (it == signals_.end()) return;
  SignalWatch* watch = it->second.release();
  signals_.erase(it);
  uv_signal_stop(&watch->handle);
  uv_close(reinterpret_cast<uv_handle_t*>(&watch->handle), [](uv_handle_t* h) {
    delete static_cast<SignalWatch*>(h->data);
  });
}

}  // namespace asyncio::uv

namespace asyncio {
std::unique_ptr<Backend> make_default_backend() { return std::make_unique<uv::UvBackend>(); }
}  // namespace asyncio
