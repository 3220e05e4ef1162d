// Name resolution on libuv's thread pool (uv_getaddrinfo, uv_getnameinfo).
// A numeric host is answered at once, as CPython's _ipaddr_info does.
//
// Facts about libuv this relies on:
// - uv_cancel() cancels a request still queued (its callback then runs with
//   UV_EAI_CANCELED); one already running completes normally. Either way
//   the callback runs once, and frees the operation.
#include <uv.h>

#include <string>
#include <vector>

#include "asyncio/futures.hpp"
#include "uv_address.hpp"
#include "uv_errors.hpp"
#include "uv_handle.hpp"
#include "uv_net_os.hpp"

namespace asyncio::uv {

namespace {

// (Not named GetAddrInfo/GetNameInfo: <ws2tcpip.h> defines those as macros.)
class AddrInfoRequest final : public Operation<std::vector<AddrInfo>> {
 public:
  AddrInfoRequest(UvBackend& backend, Future<std::vector<AddrInfo>> future, std::string what)
      : Operation(backend, std::move(future)), what_(std::move(what)) {
    req_.data = this;
  }
  void start(const char* host, const char* port, const addrinfo* hints) {
    const int rc = uv_getaddrinfo(backend_.uv_loop(), &req_, &AddrInfoRequest::on_done, host, port, hints);
    if (rc < 0) {
      fail(os::resolution_error(rc, what_));
      delete this;
      return;
    }
    watch_cancellation();
  }

 private:
  ~AddrInfoRequest() override = default;

  static void on_done(uv_getaddrinfo_t* req, int status, addrinfo* res) {
    auto* self = static_cast<AddrInfoRequest*>(req->data);
    if (status < 0) {
      self->fail(os::resolution_error(status, self->what_));
    } else {
      try {
        std::vector<AddrInfo> infos;
        for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
          AddrInfo info;
          info.family = ai->ai_family;
          info.type = ai->ai_socktype;
          info.proto = ai->ai_protocol;
          if (ai->ai_canonname) info.canonname = ai->ai_canonname;
          info.sockaddr = ip_from_sockaddr(ai->ai_addr);
          infos.push_back(std::move(info));
        }
        self->succeed(std::move(infos));
      } catch (...) {
        self->fail(std::current_exception());
      }
    }
    uv_freeaddrinfo(res);
    delete self;
  }
  void on_abandon() noexcept override { uv_cancel(reinterpret_cast<uv_req_t*>(&req_)); }

  uv_getaddrinfo_t req_{};
  std::string what_;
};

class NameInfoRequest final : public Operation<NameInfo> {
 public:
  NameInfoRequest(UvBackend& backend, Future<NameInfo> future, std::string what)
      : Operation(backend, std::move(future)), what_(std::move(what)) {
    req_.data = this;
  }
  void start(const sockaddr* address, int flags) {
    const int rc = uv_getnameinfo(backend_.uv_loop(), &req_, &NameInfoRequest::on_done, address, flags);
    if (rc < 0) {
      fail(os::resolution_error(rc, what_));
      delete this;
      return;
    }
    watch_cancellation();
  }

 private:
  ~NameInfoRequest() override = default;

  static void on_done(uv_getnameinfo_t* req, int status, const char* host, const char* service) {
    auto* self = static_cast<NameInfoRequest*>(req->data);
    if (status < 0)
      self->fail(os::resolution_error(status, self->what_));
    else
      self->succeed(NameInfo(host ? host : "", service ? service : ""));
    delete self;
  }
  void on_abandon() noexcept override { uv_cancel(reinterpret_cast<uv_req_t*>(&req_)); }

  uv_getnameinfo_t req_{};
  std::string what_;
};

std::string gai_what(const std::optional<std::string>& host, const std::optional<std::string>& port) {
  return "getaddrinfo(" + (host ? detail::str_repr(*host) : std::string("None")) + ", " +
         (port ? *port : std::string("None")) + ")";
}

}  // namespace

Future<std::vector<AddrInfo>> UvBackend::getaddrinfo(const std::optional<std::string>& host,
                                                     const std::optional<std::string>& port, int family, int type,
                                                     int proto, int flags) {
  Future<std::vector<AddrInfo>> future(event_loop());
  if (std::optional<AddrInfo> numeric = numeric_addrinfo(host, port, family, type, proto)) {
    future.set_result(std::vector<AddrInfo>{std::move(*numeric)});
    return future;
  }
  addrinfo hints{};
  hints.ai_family = family;
  hints.ai_socktype = type;
  hints.ai_protocol = proto;
  hints.ai_flags = flags;
  auto* op = new AddrInfoRequest(*this, future, gai_what(host, port));
  op->start(host ? host->c_str() : nullptr, port ? port->c_str() : nullptr, &hints);
  return future;
}

Future<NameInfo> UvBackend::getnameinfo(const SockAddr& address, int flags) {
  Future<NameInfo> future(event_loop());
  sockaddr_storage ss{};
  ip_to_sockaddr(address, ss);
  auto* op = new NameInfoRequest(*this, future, "getnameinfo(" + address.repr() + ")");
  op->start(reinterpret_cast<const sockaddr*>(&ss), flags);
  return future;
}

}  // namespace asyncio::uv
