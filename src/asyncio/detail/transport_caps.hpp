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
