// loop.start_tls(): upgrading an open connection to TLS. Python:
// BaseEventLoop.start_tls.
#include "asyncio/detail/sslproto.hpp"
#include "asyncio/detail/tls.hpp"
#include "asyncio/events.hpp"
#include "asyncio/transports.hpp"

namespace asyncio {

namespace {

Coro<std::shared_ptr<Transport>> start_tls_impl(EventLoop* loop, std::shared_ptr<Transport> transport,
                                                std::shared_ptr<BaseProtocol> protocol,
                                                std::shared_ptr<SSLContext> sslcontext, StartTLSOptions o) {
  // Python: BaseEventLoop.start_tls
  if (!sslcontext) throw TypeError("sslcontext is expected to be an instance of ssl.SSLContext, got None");
  if (!dynamic_cast<detail::TlsCapableTransport*>(transport.get())) {
    throw TypeError("transport " + (transport ? transport->repr() : std::string("None")) +
                    " is not supported by start_tls()");
  }
  detail::check_tls_available("start_tls", loop->backend().platform());
  Future<void> waiter = loop->create_future();
  std::shared_ptr<detail::SSLProtocol> ssl_protocol = detail::SSLProtocol::create(
      *loop, std::move(protocol), std::move(sslcontext), waiter, o.server_side, std::move(o.server_hostname),
      /*call_connection_made=*/false, o.ssl_handshake_timeout, o.ssl_shutdown_timeout);
  // Pause first, so that the new protocol gets no data before its
  // connection_made().
  transport->pause_reading();
  transport->set_protocol(ssl_protocol);
  Handle conmade_cb = loop->call_soon([ssl_protocol, transport] { ssl_protocol->connection_made(transport); });
  Handle resume_cb = loop->call_soon([transport] { transport->resume_reading(); });
  try {
    co_await waiter;
  } catch (...) {
    transport->close();
    conmade_cb.cancel();
    resume_cb.cancel();
    throw;
  }
  co_return std::shared_ptr<Transport>(std::move(ssl_protocol));
}

}  // namespace

Coro<std::shared_ptr<Transport>> EventLoop::start_tls(std::shared_ptr<Transport> transport,
                                                      std::shared_ptr<BaseProtocol> protocol,
                                                      std::shared_ptr<SSLContext> sslcontext,
                                                      StartTLSOptions options) {
  check_network("start_tls");
  return start_tls_impl(this, std::move(transport), std::move(protocol), std::move(sslcontext), std::move(options));
}

}  // namespace asyncio
