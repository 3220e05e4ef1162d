// libuv status codes on POSIX systems (uv_errors.hpp): negated errno
// values, except libuv's own codes (UV_EOF, UV_EAI_*, UV_ECHARSET, ...),
// which it numbers from -3000 down, below every errno.
#include "uv_errors.hpp"

namespace asyncio::uv {

namespace {
constexpr int kFirstOwnCode = -3000;
bool is_errno(int status) noexcept { return status < 0 && status > kFirstOwnCode; }
}  // namespace

std::error_condition UvCategory::default_error_condition(int status) const noexcept {
  if (is_errno(status)) return {-status, std::generic_category()};
  return {status, *this};
}

std::error_code error_code(int status) noexcept {
  if (is_errno(status)) return {-status, std::generic_category()};
  return {status, uv_category()};
}

}  // namespace asyncio::uv
