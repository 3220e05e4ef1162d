#include "emscripten_backend.hpp"

#include <emscripten.h>
#include <netdb.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <utility>

#include "asyncio/events.hpp"
#include "asyncio/exceptions.hpp"
#include "asyncio/platform.hpp"
#include "asyncio/webloop.hpp"
#include "asyncio/detail/loop_internals.hpp"
#include "node_net.hpp"

// asyncio_webloop.js and asyncio_node_net.js
extern "C" {
void asyncio_webloop_schedule(void* driver, double delay_ms);
void asyncio_webloop_forget(void* driver);
int asyncio_is_node(void);
int asyncio_net_available(void);
void asyncio_net_start(void* sig);
void asyncio_net_set_waker(void* backend, int on);
}

namespace asyncio::wasm {

namespace {
// Longest run of back-to-back passes in one JS macrotask while callbacks
// keep being ready: long enough to amortise the hop through the JS event
// loop, short enough to keep a page at 60 frames per second.
constexpr double kSliceMs = 4.0;
// How often an idle driven loop checks whether other threads still run
// (WebloopDriver::schedule_next()); their wake() does not wait for it.
constexpr double kIdleCheckMs = 100.0;
}  // namespace

// One loop driven from the JS event loop. Owns a reference to the loop, so a
// program may drop its own and return from main().
// Invariant: backend->driver() == this while backend != nullptr; a step is
// scheduled in JS whenever `scheduled` is true.
struct WebloopDriver {
  std::shared_ptr<EventLoop> loop;
  std::function<void()> on_stopped;
  EmscriptenBackend* backend = nullptr;  // nullptr: the loop was closed
  bool scheduled = false;

  void schedule(double delay_ms) noexcept {
    scheduled = true;
    asyncio_webloop_schedule(this, delay_ms);
  }
  // Schedules the next step from what the loop has to do; nothing when it
  // is idle (wake() schedules one when work arrives). While other threads
  // could still bring work, an idle loop checks back every kIdleCheckMs
  // instead: a scheduled step is what keeps the Emscripten runtime (and
  // Node.js) from exiting meanwhile.
  void schedule_next() noexcept {
    std::optional<double> next = loop->time_until_next_step();
    if (next)
      schedule(*next * 1000.0);
    else if (EmscriptenBackend::others_may_wake())
      schedule(kIdleCheckMs);
  }
};

namespace {

// Ends the driving: forgets the JS side, frees the driver, then runs
// on_stopped (which may close the loop, or drop the last reference to it).
void finish(WebloopDriver* d, bool call_on_stopped) {
  asyncio_webloop_forget(d);
  if (d->backend) d->backend->set_driver(nullptr);
  std::shared_ptr<EventLoop> keep = std::move(d->loop);
  std::function<void()> on_stopped = std::move(d->on_stopped);
  delete d;
  if (call_on_stopped && on_stopped) on_stopped();
}

}  // namespace

EmscriptenBackend::EmscriptenBackend() : network_(platform::network_available()) {}

EmscriptenBackend::~EmscriptenBackend() {
  if (driver_) {
    driver_->backend = nullptr;
    note_driver(false);
  }
  detach_net_objects();
  if (net_started_) asyncio_net_set_waker(this, 0);
}

void EmscriptenBackend::start_network() {
  if (net_started_) return;
  net_started_ = true;
  detail::set_gai_strerror(&::gai_strerror);
  asyncio_net_start(net_wake_counter());
  if (driver_) asyncio_net_set_waker(this, 1);
}

void EmscriptenBackend::poll(double timeout) {
  free_buried();
  wait_for_work(timeout);
}

void EmscriptenBackend::wake_driver() noexcept {
  if (driver_ && !driver_->scheduled) driver_->schedule(0);
}

void EmscriptenBackend::on_network_event() noexcept {
  // The JavaScript event loop is running, so this loop is between two
  // passes: let it deliver the event on its next one.
  wake_driver();
}

void EmscriptenBackend::set_driver(WebloopDriver* driver) noexcept {
  driver_ = driver;
  note_driver(driver != nullptr);
  if (net_started_) asyncio_net_set_waker(this, driver ? 1 : 0);
}

void EmscriptenBackend::close() {
  // What is still open (a connecting stream is named once, by its connect).
  open_at_close_.clear();
  for (NetObject* o = net_head_; o != nullptr; o = o->net_next) {
    if (const char* kind = o->kind()) open_at_close_.emplace_back(kind);
  }
  detach_net_objects();
  if (net_started_) asyncio_net_set_waker(this, 0);
  if (!driver_) return;
  note_driver(false);
  // Closed between two passes: the driver must stop, but it owns a reference
  // to the loop being closed, so let its next (immediate) step free it.
  driver_->backend = nullptr;
  driver_->schedule(0);
  driver_ = nullptr;
}

double EmscriptenBackend::time() const noexcept { return emscripten_get_now() / 1000.0; }

std::string EmscriptenBackend::platform() const {
  static const bool node = asyncio_is_node() != 0;
  return node ? std::string(asyncio::platform::name) : std::string(asyncio::platform::name) + " (browser)";
}

}  // namespace asyncio::wasm

// Called by asyncio_webloop.js for each scheduled step.
extern "C" EMSCRIPTEN_KEEPALIVE void asyncio_webloop_step(void* ptr) {
  using asyncio::wasm::WebloopDriver;
  auto* d = static_cast<WebloopDriver*>(ptr);
  d->scheduled = false;
  if (d->backend == nullptr) {  // the loop was closed
    asyncio::wasm::finish(d, false);
    return;
  }
  try {
    if (!d->loop->run_steps(asyncio::wasm::kSliceMs / 1000.0)) {  // stop() was called
      asyncio::wasm::finish(d, true);
      return;
    }
  } catch (const asyncio::SystemExit& e) {
    asyncio::wasm::finish(d, false);
    std::exit(e.code());
  } catch (...) {
    // KeyboardInterrupt, or a loop that cannot run any more: nobody is
    // there to catch it, so report it and stop driving.
    std::string what = "unknown exception";
    try {
      throw;
    } catch (const std::exception& e) {
      what = e.what();
    } catch (const asyncio::BaseException& e) {
      what = e.what();
    } catch (...) {  // NOLINT(bugprone-empty-catch): `what` keeps "unknown exception"
    }
    std::fprintf(stderr, "asyncio: the web loop driver stopped: %s\n", what.c_str());
    asyncio::wasm::finish(d, false);
    return;
  }
  d->schedule_next();
}

// Called by asyncio_node_net.js when a network event arrives while the
// JavaScript event loop runs.
extern "C" EMSCRIPTEN_KEEPALIVE void asyncio_net_event_arrived(void* backend) {
  static_cast<asyncio::wasm::EmscriptenBackend*>(backend)->on_network_event();
}

namespace asyncio {

std::unique_ptr<Backend> make_default_backend() { return std::make_unique<wasm::EmscriptenBackend>(); }

bool platform::detail::network_available_at_run_time() noexcept {
  static const bool available = asyncio_net_available() != 0;
  return available;
}

namespace webloop {

void run_forever(std::shared_ptr<EventLoop> loop, std::function<void()> on_stopped) {
  if (!loop) throw ValueError("webloop::run_forever() needs a loop");
  auto* backend = dynamic_cast<wasm::EmscriptenBackend*>(&loop->backend());
  if (backend == nullptr) throw TypeError("webloop::run_forever() needs a loop on the Emscripten backend");
  detail::internals(*loop).check_runnable();
  if (backend->driver() != nullptr) throw RuntimeError("This event loop is already running");
  auto* d = new wasm::WebloopDriver{std::move(loop), std::move(on_stopped), backend, false};
  backend->set_driver(d);
  d->schedule(0);
}

}  // namespace webloop

}  // namespace asyncio
