// libuv's error codes as std::error_code, in one place for the backend.
//
// libuv reports failures as negative status codes. On Unix most are
// negated errno values (UV__ERR); on Windows every one is libuv's own
// number (UV_ECONNRESET is -4077 there), and libuv also has codes of its
// own everywhere (UV_EOF, UV_EAI_*, UV_ECHARSET). error_code() turns a
// status into a std::error_code that compares equal to the right
// std::errc, so the portable core's checks (`e == std::errc::...`) and
// users' catch sites work the same on every OS.
#pragma once

#include <uv.h>

#include <string>
#include <system_error>

namespace asyncio::uv {

/// The category of libuv status codes (value: the negative status).
/// message(): uv_strerror(); default_error_condition(): the std::errc it
/// means (uv_errors_<os>.cpp), else the code itself.
class UvCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "libuv"; }
  std::string message(int status) const override { return uv_strerror(status); }
  std::error_condition default_error_condition(int status) const noexcept override;
};

/// The one instance of UvCategory.
inline const std::error_category& uv_category() noexcept {
  static const UvCategory category;
  return category;
}

/// A libuv status (< 0) as a std::error_code: on Unix an errno value in
/// std::generic_category() where libuv's code is one, on Windows (and for
/// libuv's own codes) the status in uv_category(), equivalent to its errc.
std::error_code error_code(int status) noexcept;

/// Throws std::system_error("<what>: <libuv's message>") if `status` < 0.
inline void check(int status, const char* what) {
  if (status < 0) throw std::system_error(error_code(status), std::string(what) + ": " + uv_strerror(status));
}

}  // namespace asyncio::uv
