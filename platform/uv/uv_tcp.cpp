// TCP on uv_tcp_t: connecting (uv_tcp_connect) and creating server sockets
// (uv_tcp_init_ex). Binding with CPython's socket options is per OS
// (os::bind_tcp), as is accepting (os::new_listener).
#include <uv.h>

#include <string>
#include <system_error>
#include <utility>

#include "asyncio/futures.hpp"
#include "uv_address.hpp"
#include "uv_errors.hpp"
#include "uv_handle.hpp"
#include "uv_listener.hpp"
#include "uv_net_os.hpp"
#include "uv_stream.hpp"

namespace asyncio::uv {

namespace {

// What uv_tcp_t can be: a TCP stream socket of an IP family.
bool is_tcp(const AddrInfo& a) noexcept {
  return is_ip_family(a.family) && a.type == SOCK_STREAM && (a.proto == 0 || a.proto == IPPROTO_TCP);
}

// A uv_tcp_connect() in flight. Python: BaseSelectorEventLoop.sock_connect
class TcpConnect final : public Operation<StreamSocketPtr> {
 public:
  TcpConnect(UvBackend& backend, UvStream* stream, const AddrInfo& remote, Future<StreamSocketPtr> future)
      : Operation(backend, std::move(future)), stream_(stream), remote_(remote) {
    req_.data = this;
  }

  // Connects to `address`; on an immediate failure the future fails and
  // the operation is freed.
  void start(const sockaddr* address) {
    const int rc = uv_tcp_connect(&req_, stream_->tcp(), address, &TcpConnect::on_connect);
    if (rc < 0) {
      // No request was made (unreachable network, ...): nothing follows.
      fail(connect_error(error_code(rc)));
      abandon();
      delete this;
      return;
    }
    watch_cancellation();
  }

 private:
  ~TcpConnect() override = default;

  std::exception_ptr connect_error(std::error_code error) const {
    return std::make_exception_ptr(std::system_error(error, "Connect call failed " + remote_.sockaddr.repr()));
  }

  static void on_connect(uv_connect_t* req, int status) {
    // Also called with UV_ECANCELED when abandon() closed the stream.
    auto* self = static_cast<TcpConnect*>(req->data);
    UvStream* stream = std::exchange(self->stream_, nullptr);
    StreamSocketPtr conn(stream);
    if (status == 0 && stream != nullptr) {
      try {
        stream->connected(self->remote_.family, self->remote_.type, self->remote_.proto);
        self->succeed(std::move(conn));
      } catch (...) {
        self->fail(std::current_exception());
      }
    } else {
      self->fail(
          self->connect_error(status < 0 ? error_code(status) : std::make_error_code(std::errc::operation_canceled)));
    }
    delete self;
  }

  // The connection is not wanted any more: closing the stream cancels the
  // request, whose callback frees the operation.
  void on_abandon() noexcept override {
    if (UvStream* stream = std::exchange(stream_, nullptr)) stream->close();
  }

  uv_connect_t req_{};
  UvStream* stream_;  // owned until the connect completes
  AddrInfo remote_;
};

}  // namespace

Future<StreamSocketPtr> UvBackend::sock_connect(const AddrInfo& remote, const SockAddr* local) {
  // Python: _connect_sock's socket(), bind() and sock_connect().
  Future<StreamSocketPtr> future(event_loop());
  sockaddr_storage remote_ss{};
  ip_to_sockaddr(remote.sockaddr, remote_ss);
  if (!is_tcp(remote)) {
    throw std::system_error(std::make_error_code(std::errc::protocol_not_supported),
                            "socket(" + detail::family_repr(remote.family) + ", " + std::to_string(remote.type) + ", " +
                                std::to_string(remote.proto) + ")");
  }
  auto* stream = new UvStream(*this);
  StreamSocketPtr owned(stream);
  const int rc = stream->init_tcp(remote.family);
  if (rc < 0) throw std::system_error(error_code(rc), "socket(" + detail::family_repr(remote.family) + ")");
  if (local != nullptr) os::bind_tcp(stream->tcp(), *local, nullptr);
  auto* op = new TcpConnect(*this, static_cast<UvStream*>(owned.release()), remote, future);
  op->start(reinterpret_cast<const sockaddr*>(&remote_ss));
  return future;
}

ListeningSocketPtr UvBackend::sock_listen(const AddrInfo& address, const ListenOptions& options) {
  // Python: the socket setup loop of BaseEventLoop.create_server.
  if (!is_tcp(address)) return nullptr;  // a family/type/protocol combination uv_tcp_t cannot be
  UvListener* listener = os::new_listener(*this, options.backlog);
  ListeningSocketPtr owned(listener);
  if (listener->init_tcp(address.family) < 0) return nullptr;  // the family is not supported here
  os::bind_tcp(listener->tcp(), address.sockaddr, &options);
  listener->set_info(os::describe_socket(listener->handle(), address.family, address.type, address.proto));
  return owned;
}

}  // namespace asyncio::uv
