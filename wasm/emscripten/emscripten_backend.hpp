// The Emscripten backend: the JavaScript event loop drives the portable loop.
//
// Facts about this platform:
// - This build has no pthreads: one thread. Nothing but the loop's own
//   callbacks and its sockets can add work while it waits, so a loop
//   waiting with nothing scheduled and no socket open would wait forever;
//   poll() raises RuntimeError instead.
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

 private:
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
};

}  // namespace asyncio::wasm
