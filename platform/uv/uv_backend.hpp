// The libuv backend: the native platforms' I/O (Linux, macOS, Windows).
//
// Facts about this platform:
// - libuv runs one uv_loop_t per event loop; poll() is one uv_run() pass
//   (UV_RUN_NOWAIT to poll, UV_RUN_ONCE with a one-shot uv_timer_t to wait).
// - uv_async_send() is the only libuv call that is safe from other threads
//   and from signal handlers: wake() uses it.
// - libuv caches its clock per iteration; the poll timer is armed after
//   uv_update_time() so a long run of callbacks cannot make it fire early.
// - Timers, the ready queue and all ordering live in the portable loop;
//   libuv only waits. Signals arrive through uv_signal_t, in the loop thread.
#pragma once

#include <uv.h>

#include <map>
#include <memory>
#include <string>

#include "asyncio/backend.hpp"

namespace asyncio::uv {

class UvBackend final : public Backend {
 public:
  UvBackend();
  ~UvBackend() override;

  void poll(double timeout) override;
  void wake() noexcept override;
  void close() override;
  std::string platform() const override;
  void watch_signal(int sig) override;
  void unwatch_signal(int sig) override;

  /// The libuv loop, for the I/O primitives built on it.
  uv_loop_t* uv_loop() noexcept { return &uv_loop_; }

 private:
  struct SignalWatch;
  uv_loop_t uv_loop_;
  uv_async_t wake_;
  uv_timer_t poll_timer_;
  std::map<int, std::unique_ptr<SignalWatch>> signals_;
  bool closed_ = false;
};

}  // namespace asyncio::uv
