// Capabilities transports and protocols offer each other beyond the
// public interfaces: what the TLS layer needs from the transport under it,
// and what a transport tells a protocol when the loop drops them.
#pragma once

#include <exception>

namespace asyncio::detail {

/// A transport the TLS layer can run over: start_tls() accepts it, and it
/// can be closed with an error. Python: `_start_tls_compatible` and
/// `_force_close(exc)`.
class TlsCapableTransport {
 public:
  /// Closes at once; the protocol's connection_lost() gets `exc`.
  virtual void force_close(std::exception_ptr exc) = 0;

 protected:
  ~TlsCapableTransport() = default;
};

/// A stream transport loop.sendfile() can send a file through by writing
/// it (Python: a transport whose `_sendfile_compatible` is FALLBACK or
/// TRY_NATIVE, and a `_FlowControlMixin`): the fallback needs to know
/// whether the transport has paused its protocol's writing.
class SendfileFallbackTransport {
 public:
  /// Whether the protocol's pause_writing() is in effect. Python:
  /// _FlowControlMixin._protocol_paused (for TLS: _app_writing_paused).
  virtual bool protocol_paused() const noexcept = 0;

 protected:
  ~SendfileFallbackTransport() = default;
};

/// A protocol that must let go of what it holds when its transport is
/// dropped without connection_lost() (the loop closed with the connection
/// open).
class DetachableProtocol {
 public:
  virtual void transport_detached() noexcept = 0;

 protected:
  ~DetachableProtocol() = default;
};

}  // namespace asyncio::detail
