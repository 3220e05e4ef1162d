// libuv's status codes as std::error_code, for the whole backend.
//
// libuv reports failures as negative status codes. On Unix most are negated
// errno values (UV__ERR); on Windows each is libuv's own number (UV_ECONNRESET
// is -4077 there); and libuv has codes of its own everywhere (UV_EOF,
// UV_EAI_*). error_code() makes a std::error_code that compares equal to the
// right std::errc, so the core's checks (`e == std::errc::...`) and users'
// catch sites behave the same on every OS (uv_errors_<os>.cpp).
#pragma once

#include <uv.h>

#include <string>
#include <system_error>

namespace asyncio::uv {

/// The category of libuv status codes (value: the negative status);
/// message() is uv_strerror()'s, default_error_condition() the std::errc
/// the status means where there is one.
class UvCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "libuv"; }
  std::string message(int status) const override { return uv_strerror(status); }
  std::error_condition default_error_condition(int status) const noexcept override;
};

inline const std::error_category& uv_category() noexcept {
  static const UvCategory category;
  return category;
}

/// A libuv status (< 0) as a std::error_code: an errno value in
/// std::generic_category() where libuv's code is one (Unix), else the
/// status in uv_category().
std::error_code error_code(int status) noexcept;

/// Throws std::system_error("<what>: <libuv's message>") if `status` < 0.
inline void check(int status, const char* what) {
  if (status < 0) throw std::system_error(error_code(status), std::string(what) + ": " + uv_strerror(status));
}

}  // namespace asyncio::uv
