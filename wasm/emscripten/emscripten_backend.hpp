// The Emscripten backend: the JavaScript event loop drives the portable loop.
//
// Facts about this platform:
// - Two builds (ASYNCIO_EMSCRIPTEN_PTHREADS). Without pthreads there is one
//   thread: nothing but the loop's own callbacks and its sockets can add
//   work while it waits, so a loop waiting with nothing scheduled and no
//   socket open would wait forever; poll() raises RuntimeError instead.
//   With pthreads (-pthread, the emscripten-pthreads preset) other threads
//   wake it (call_soon_threadsafe, executors); the waiting and waking of
//   each build are in emscripten_one_thread.cpp and emscripten_pthreads.cpp.
// - Under Node.js, sockets and DNS come from Node's `net` and `dns` modules,
//   run in an I/O worker (node_net.cpp, asyncio_node_net.js); poll() takes
//   their events and waits for them. In a browser there are none: the
//   network methods raise NotImplementedError("<method> is not available on
//   wasm32-emscripten (browser)"), which platform() names there.
// - No pipes, processes or signals are reachable here: Backend's defaults
//   raise NotImplementedError("<method> is not available on
//   wasm32-emscripten") for them.
// - JavaScript runs only when the wasm code returns to the JS event loop.
//   The blocking run_forever()/run_until_complete()/asyncio::run() therefore
//   sleep synchronously between timers: Atomics.wait in Node.js; a browser's
//   main thread may not block, so there it spins and the page does not
//   repaint meanwhile (as time.sleep() does in CPython on Emscripten).
// - webloop::run_forever()/webloop::run() never block: each pass of the loop
//   is a JS macrotask (setImmediate in Node.js, a MessageChannel message in
//   browsers, setTimeout until the next timer), so the page stays responsive.
//   We chose stepping from JS timers over Asyncify: no code-size or speed
//   cost on every function that may be on the stack during a wait (task
//   steps and callbacks are indirect calls, so that would be nearly all),
//   JS may call into the module between steps, and it is the same
//   EventLoop::run_step() any host loop uses (docs/extending.md).
// - Clock: performance.now() through emscripten_get_now(), monotonic.
#pragma once

#include <pthread.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "asyncio/backend.hpp"

namespace asyncio::wasm {

struct WebloopDriver;
class NetObject;

class EmscriptenBackend final : public Backend {
 public:
  EmscriptenBackend();
  ~EmscriptenBackend() override;

  void poll(double timeout) override;
  void wake() noexcept override;
  void close() override;
  double time() const noexcept override;
  /// "wasm32-emscripten" under Node.js, "wasm32-emscripten (browser)"
  /// elsewhere (the messages of what is not available say where).
  std::string platform() const override;
  std::vector<std::string> open_at_close() const override { return open_at_close_; }

  /// The JS driver stepping this backend's loop, if any.
  WebloopDriver* driver() const noexcept { return driver_; }
  void set_driver(WebloopDriver* driver) noexcept;

  // Network I/O, under Node.js only (node_net.cpp).
  bool supports_network() const noexcept override { return network_; }
  Future<std::vector<AddrInfo>> getaddrinfo(const std::optional<std::string>& host,
                                            const std::optional<std::string>& port, int family, int type, int proto,
                                            int flags) override;
  Future<NameInfo> getnameinfo(const SockAddr& address, int flags) override;
  Future<StreamSocketPtr> sock_connect(const AddrInfo& remote, const SockAddr* local) override;
  Future<StreamSocketPtr> sock_connect_unix(const std::string& path) override;
  ListeningSocketPtr sock_listen(const AddrInfo& address, const ListenOptions& options) override;
  ListeningSocketPtr sock_listen_unix(const std::string& path, const ListenOptions& options) override;

  // The network objects (NetObject) this backend tracks.
  void link(NetObject* object) noexcept;
  void unlink(NetObject* object) noexcept;
  /// Frees `object` at the next poll (or on close).
  void bury(NetObject* object) noexcept;
  /// Called by the JavaScript side when an I/O event arrives while the
  /// JavaScript event loop runs (webloop::run_forever()).
  void on_network_event() noexcept;

  /// True if something other than this thread's own callbacks and sockets
  /// could bring work to an idle loop: other threads (pthreads builds).
  static bool others_may_wake() noexcept;

 private:
  // Per build (emscripten_one_thread.cpp, emscripten_pthreads.cpp):
  /// poll() after freeing what was buried: takes I/O events, waits.
  void wait_for_work(double timeout);
  /// The driver changed (set on this thread, or cleared).
  void note_driver(bool driven) noexcept;
  /// The counter the I/O worker bumps, in WebAssembly memory (pthreads
  /// builds), or nullptr: the worker makes its own.
  static void* net_wake_counter() noexcept;
  /// Runs, in the driver's thread, a wake() made in another one.
  static void wake_from_other_thread(void* backend) noexcept;

  /// Schedules the driver's next step now unless one is scheduled (the
  /// driver's thread only).
  void wake_driver() noexcept;
  void start_network();
  void free_buried() noexcept;
  void detach_net_objects() noexcept;
  void unlisten_fresh_listeners() noexcept;
  static void delete_unstarted(ListeningSocket* listener) noexcept;

  WebloopDriver* driver_ = nullptr;
  NetObject* net_head_ = nullptr;
  std::size_t net_count_ = 0;
  std::vector<NetObject*> graveyard_;
  std::vector<std::string> open_at_close_;
  bool network_ = false;
  bool net_started_ = false;
  // pthreads builds (emscripten_pthreads.cpp): a wake() not yet seen by
  // poll(); a wake_from_other_thread() queued; the thread of the driver.
  std::atomic<bool> wake_pending_{false};
  std::atomic<bool> poke_pending_{false};
  std::atomic<pthread_t> driver_thread_{};  // {}: not driven
};

}  // namespace asyncio::wasm
