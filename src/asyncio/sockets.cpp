#include "asyncio/sockets.hpp"

#include <atomic>
#include <cerrno>
#include <cstdio>

// The platform's socket values come from detail/os_<os>.cpp: this file
// includes no socket header.
#include "asyncio/detail/os.hpp"

namespace asyncio {

namespace {

std::atomic<const char* (*)(int)> g_gai_strerror{nullptr};

class GaiCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "getaddrinfo"; }
  std::string message(int code) const override {
    if (auto* fn = g_gai_strerror.load(std::memory_order_acquire)) return fn(code);
    return "getaddrinfo error " + std::to_string(code);
  }
};

}  // namespace

namespace detail {

void set_gai_strerror(const char* (*message)(int code)) noexcept {
  g_gai_strerror.store(message, std::memory_order_release);
}

std::string str_repr(const std::string& s) {
  // Python's unicode_repr: single quotes unless the text has a single quote
  // and no double quote.
  const bool dq = s.find('\'') != std::string::npos && s.find('"') == std::string::npos;
  const char quote = dq ? '"' : '\'';
  std::string out(1, quote);
  for (unsigned char c : s) {
    if (c == static_cast<unsigned char>(quote) || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += quote;
  return out;
}

std::string family_repr(int family) {
  if (family == af_inet()) return "AddressFamily.AF_INET";
  if (family == af_inet6()) return "AddressFamily.AF_INET6";
  if (family == af_unix()) return "AddressFamily.AF_UNIX";
  if (family == af_unspec()) return "AddressFamily.AF_UNSPEC";
  return std::to_string(family);
}

}  // namespace detail

const std::error_category& gai_category() noexcept {
  static const GaiCategory category;
  return category;
}

bool SockAddr::is_unix() const noexcept { return family == detail::af_unix(); }

bool SockAddr::is_inet6() const noexcept { return family == detail::af_inet6(); }

std::string SockAddr::repr() const {
  if (is_unix()) return detail::str_repr(host);
  if (is_inet6()) {
    return "(" + detail::str_repr(host) + ", " + std::to_string(port) + ", " + std::to_string(flowinfo) + ", " +
           std::to_string(scope_id) + ")";
  }
  if (family == detail::af_inet()) return "(" + detail::str_repr(host) + ", " + std::to_string(port) + ")";
  return "<address family " + std::to_string(family) + ">";
}

const SockAddr& TransportSocket::getpeername() const {
  if (!peername_) throw std::system_error(ENOTCONN, std::generic_category(), "getpeername()");
  return *peername_;
}

std::string TransportSocket::repr() const {
  // Python: TransportSocket.__repr__
  std::string s = "<asyncio.TransportSocket fd=" + std::to_string(fd_);
  if (fd_ == -1) return s + ">";
  s += ", family=" + std::to_string(family_) + ", type=" + std::to_string(type_) + ", proto=" + std::to_string(proto_);
  if (sockname_.family != 0) s += ", laddr=" + sockname_.repr();
  if (peername_) s += ", raddr=" + peername_->repr();
  return s + ">";
}

}  // namespace asyncio
