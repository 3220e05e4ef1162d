// Datagram sockets on a uv_udp_t: the transport of create_datagram_endpoint().
//
// Facts about libuv this relies on:
// - uv_udp_open() adopts a bound/connected socket (and notices the
//   connection: sends then take no address). On Linux it also sets
//   SO_REUSEADDR, which CPython deliberately never sets on datagram sockets
//   (another socket could then bind the same port); os::datagram_opened()
//   clears it again.
// - A receive pass reads up to 32 datagrams, calling the alloc callback
//   before each; an empty buffer makes libuv report UV_ENOBUFS and leave
//   the datagram in the kernel. nread == 0 with no address means "nothing
//   more" (EAGAIN), with an address an empty datagram.
// - uv_udp_try_send() fails with UV_EAGAIN while sends are queued (the
//   transport only calls it when its buffer is empty, as CPython tries a
//   direct send only then). uv_udp_send() queues a request; its callback
//   runs once the datagram left, or failed, or with UV_ECANCELED when the
//   handle closes (before the close callback: the object is still alive).
// - libuv has no portable AF_UNIX datagram addresses: they are converted
//   per OS (uv_fd_posix.cpp).
#include <uv.h>

#include <cstring>
#include <string>
#include <system_error>

#include "uv_errors.hpp"
#include "uv_handle.hpp"
#include "uv_net_os.hpp"

namespace asyncio::uv {

namespace {

class UvUdp final : public DatagramSocket, public HandleObject {
 public:
  explicit UvUdp(UvBackend& backend) noexcept : HandleObject(backend) {}

  int open(int fd) noexcept {
    int rc = uv_udp_init(backend().uv_loop(), &udp_);
    if (rc < 0) return rc;
    own(&udp_);
    rc = uv_udp_open(&udp_, static_cast<uv_os_sock_t>(fd));
    if (rc == 0) os::datagram_opened(fd);
    return rc;
  }
  void describe(int family, int type, int proto) {
    info_ = os::describe_socket(reinterpret_cast<uv_handle_t*>(&udp_), family, type, proto);
  }

  void set_events(DatagramSocketEvents* events) noexcept override { events_ = events; }

  void start_reading() override {
    if (reading_) return;
    check(uv_udp_recv_start(&udp_, &UvUdp::on_alloc, &UvUdp::on_recv), "uv_udp_recv_start");
    reading_ = true;
  }
  void stop_reading() noexcept override {
    if (!reading_) return;
    uv_udp_recv_stop(&udp_);
    reading_ = false;
  }

  bool try_send(std::string_view data, const SockAddr* to, std::error_code& error) noexcept override {
    const sockaddr* addr = nullptr;
    if (to != nullptr) {
      addr = destination(*to, error);
      if (addr == nullptr) return false;
    }
    uv_buf_t buf = uv_buf_init(const_cast<char*>(data.data()), static_cast<unsigned>(data.size()));
    const int rc = uv_udp_try_send(&udp_, &buf, 1, addr);
    if (rc >= 0) return true;
    if (rc != UV_EAGAIN) error = error_code(rc);
    return false;
  }

  std::error_code send(std::string_view data, const SockAddr* to) noexcept override {
    SendReq* req;
    sockaddr_storage ss{};
    const sockaddr* addr = nullptr;
    try {
      if (to != nullptr) {
        os::datagram_address(*to, ss);
        addr = reinterpret_cast<const sockaddr*>(&ss);
      }
      req = new SendReq{{}, std::string(data)};
    } catch (const std::system_error& e) {
      return e.code();
    } catch (...) {
      return std::make_error_code(std::errc::not_enough_memory);
    }
    uv_buf_t buf = uv_buf_init(req->data.data(), static_cast<unsigned>(req->data.size()));
    const int rc = uv_udp_send(&req->req, &udp_, &buf, 1, addr, &UvUdp::on_send);
    if (rc < 0) {
      delete req;
      return error_code(rc);
    }
    return {};
  }

  void close() noexcept override {
    events_ = nullptr;
    close_handles();
  }
  const TransportSocket& info() const noexcept override { return info_; }

 private:
  struct SendReq {
    uv_udp_send_t req;
    std::string data;
  };

  ~UvUdp() override = default;
  void close_owned() noexcept override { close_handle(&udp_); }
  void on_detach() noexcept override {
    if (events_) std::exchange(events_, nullptr)->on_detached();
  }

  // The sockaddr for `to`, converted once per destination: a server
  // answering its peers converts each address again only when it changes.
  const sockaddr* destination(const SockAddr& to, std::error_code& error) noexcept {
    if (!(last_to_ok_ && to == last_to_)) {
      last_to_ok_ = false;
      try {
        os::datagram_address(to, last_to_raw_);
        last_to_ = to;
      } catch (const std::system_error& e) {
        error = e.code();
        return nullptr;
      } catch (...) {
        error = std::make_error_code(std::errc::not_enough_memory);
        return nullptr;
      }
      last_to_ok_ = true;
    }
    return reinterpret_cast<const sockaddr*>(&last_to_raw_);
  }

  // The SockAddr of a sender, decoded once per sender in a row.
  const SockAddr& sender(const sockaddr* addr) {
    const std::size_t len = addr->sa_family == AF_INET    ? sizeof(sockaddr_in)
                            : addr->sa_family == AF_INET6 ? sizeof(sockaddr_in6)
                                                          : 0;
    if (len != 0 && last_from_len_ == len && std::memcmp(&last_from_raw_, addr, len) == 0) return last_from_;
    last_from_len_ = 0;
    last_from_ = os::datagram_peer(addr);
    if (len != 0) {
      std::memcpy(&last_from_raw_, addr, len);
      last_from_len_ = len;
    }
    return last_from_;
  }

  static void on_alloc(uv_handle_t* h, std::size_t suggested, uv_buf_t* buf) {
    auto* self = owner<UvUdp>(h);
    std::span<char> span = self->events_ ? self->events_->recv_buffer(suggested) : std::span<char>();
    *buf = uv_buf_init(span.data(), static_cast<unsigned>(span.size()));
  }

  static void on_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t*, const sockaddr* addr, unsigned) {
    auto* self = owner<UvUdp>(h);
    if (self->events_ == nullptr) return;
    if (nread < 0) {
      if (nread != UV_ENOBUFS) self->events_->on_recv_error(error_code(static_cast<int>(nread)));
      return;
    }
    if (addr == nullptr) return;  // nothing more to read
    static const SockAddr unknown{};
    const SockAddr* from = &unknown;
    try {
      from = &self->sender(addr);
    } catch (...) {  // NOLINT(bugprone-empty-catch): no memory for the address: the datagram goes without it
    }
    self->events_->on_datagram(static_cast<std::size_t>(nread), *from);
  }

  static void on_send(uv_udp_send_t* req, int status) {
    auto* r = reinterpret_cast<SendReq*>(req);
    auto* self = owner<UvUdp>(req->handle);
    if (self->events_ != nullptr && status != UV_ECANCELED) {
      self->events_->on_send_done(status < 0 ? error_code(status) : std::error_code());
    }
    delete r;
  }

  uv_udp_t udp_{};
  DatagramSocketEvents* events_ = nullptr;
  SockAddr last_to_;
  sockaddr_storage last_to_raw_{};
  bool last_to_ok_ = false;
  SockAddr last_from_;
  sockaddr_storage last_from_raw_{};
  std::size_t last_from_len_ = 0;
  TransportSocket info_;
  bool reading_ = false;
};

}  // namespace

DatagramSocketPtr UvBackend::datagram_adopt(int fd, int family, int proto) {
  auto* udp = new UvUdp(*this);
  DatagramSocketPtr ptr(udp);
  const int rc = udp->open(fd);
  if (rc < 0) {
    os::close_socket(static_cast<uv_os_sock_t>(fd));
    throw std::system_error(error_code(rc), "uv_udp_open");
  }
  udp->describe(family, os::sock_dgram(), proto);
  return ptr;
}

}  // namespace asyncio::uv
