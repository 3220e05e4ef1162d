// The Emscripten backend's network objects under Node.js (node_net.cpp),
// on top of Node's own `net` and `dns` modules (asyncio_node_net.js, which
// has the facts about this platform).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace asyncio::wasm {

class EmscriptenBackend;

/// Something of the backend's that the JavaScript side can deliver events
/// to: streams, listeners, operations in flight. The backend tracks them to
/// detach them when its loop closes.
class NetObject {
 public:
  explicit NetObject(EmscriptenBackend& backend);
  NetObject(const NetObject&) = delete;
  NetObject& operator=(const NetObject&) = delete;

  /// The backend is closing: stop, tell the owner, expect no more events.
  virtual void detach() noexcept = 0;
  /// What Backend::open_at_close() names it, its Node.js object (nullptr:
  /// another object names it).
  virtual const char* kind() const noexcept = 0;

  EmscriptenBackend& backend() const noexcept { return *backend_; }
  NetObject* net_prev = nullptr;
  NetObject* net_next = nullptr;

 protected:
  virtual ~NetObject();
  /// Frees the object at the backend's next poll (or when it closes): an
  /// object may be given up from inside a callback of the future it serves.
  void bury() noexcept;

 private:
  friend class EmscriptenBackend;
  EmscriptenBackend* backend_;
};

/// The errno value for a Node.js error code ("ECONNREFUSED"); EIO if unknown.
int errno_from_node(const char* code) noexcept;
/// The EAI_* value for a Node.js DNS error code ("EAI_NONAME"), or 0.
int gai_from_node(const char* code) noexcept;

}  // namespace asyncio::wasm
