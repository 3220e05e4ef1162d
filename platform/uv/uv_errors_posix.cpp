// libuv status codes on Unix (uv_errors.hpp): negated errno values, except
// for libuv's own codes (UV_EOF, UV_EAI_*, UV_ECHARSET, UV_EFTYPE), which
// libuv numbers from -3000 down, far from any errno.
#include <cerrno>

#include "uv_errors.hpp"

namespace asyncio::uv {

namespace {
// Every errno on the Unix systems libuv supports is below this.
constexpr int kFirstLibuvOwnCode = -3000;
}  // namespace

std::error_condition UvCategory::default_error_condition(int status) const noexcept {
  if (status < 0 && status > kFirstLibuvOwnCode) return {-status, std::generic_category()};
  return {status, *this};
}

std::error_code error_code(int status) noexcept {
  if (status < 0 && status > kFirstLibuvOwnCode) return {-status, std::generic_category()};
  return {status, uv_category()};
}

}  // namespace asyncio::uv
