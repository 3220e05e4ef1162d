// libuv status codes on Windows (uv_errors.hpp).
//
// Facts about this platform:
// - libuv translates Win32 and Winsock errors into its own numbers
//   (UV_ECONNRESET is -4077), which are not errno values.
// - mingw-w64's C runtime has errno values for the POSIX names
//   (ECONNRESET is 108) but strerror() knows only the first 43 of them:
//   std::generic_category() would say "Unknown error" for most network
//   errors. So codes stay in uv_category(), whose messages are libuv's
//   ("connection reset by peer") and whose conditions are the std::errc
//   values below.
#include "uv_errors.hpp"

namespace asyncio::uv {

namespace {

// The std::errc a libuv status stands for; false for libuv's codes that
// have none (UV_EOF, UV_EAI_*, UV_ECHARSET, UV_ENONET, ...).
bool to_errc(int status, std::errc& out) noexcept {
  using E = std::errc;
  switch (status) {
    case UV_E2BIG: out = E::argument_list_too_long; break;
    case UV_EACCES: out = E::permission_denied; break;
    case UV_EADDRINUSE: out = E::address_in_use; break;
    case UV_EADDRNOTAVAIL: out = E::address_not_available; break;
    case UV_EAFNOSUPPORT: out = E::address_family_not_supported; break;
    case UV_EAGAIN: out = E::resource_unavailable_try_again; break;
    case UV_EALREADY: out = E::connection_already_in_progress; break;
    case UV_EBADF: out = E::bad_file_descriptor; break;
    case UV_EBUSY: out = E::device_or_resource_busy; break;
    case UV_ECANCELED: out = E::operation_canceled; break;
    case UV_ECONNABORTED: out = E::connection_aborted; break;
    case UV_ECONNREFUSED: out = E::connection_refused; break;
    case UV_ECONNRESET: out = E::connection_reset; break;
    case UV_EDESTADDRREQ: out = E::destination_address_required; break;
    case UV_EEXIST: out = E::file_exists; break;
    case UV_EFAULT: out = E::bad_address; break;
    case UV_EFBIG: out = E::file_too_large; break;
    case UV_EHOSTUNREACH: out = E::host_unreachable; break;
    case UV_EINTR: out = E::interrupted; break;
    case UV_EINVAL: out = E::invalid_argument; break;
    case UV_EIO: out = E::io_error; break;
    case UV_EISCONN: out = E::already_connected; break;
    case UV_EISDIR: out = E::is_a_directory; break;
    case UV_ELOOP: out = E::too_many_symbolic_link_levels; break;
    case UV_EMFILE: out = E::too_many_files_open; break;
    case UV_EMSGSIZE: out = E::message_size; break;
    case UV_ENAMETOOLONG: out = E::filename_too_long; break;
    case UV_ENETDOWN: out = E::network_down; break;
    case UV_ENETUNREACH: out = E::network_unreachable; break;
    case UV_ENFILE: out = E::too_many_files_open_in_system; break;
    case UV_ENOBUFS: out = E::no_buffer_space; break;
    case UV_ENODEV: out = E::no_such_device; break;
    case UV_ENOENT: out = E::no_such_file_or_directory; break;
    case UV_ENOMEM: out = E::not_enough_memory; break;
    case UV_ENOPROTOOPT: out = E::no_protocol_option; break;
    case UV_ENOSPC: out = E::no_space_on_device; break;
    case UV_ENOSYS: out = E::function_not_supported; break;
    case UV_ENOTCONN: out = E::not_connected; break;
    case UV_ENOTDIR: out = E::not_a_directory; break;
    case UV_ENOTEMPTY: out = E::directory_not_empty; break;
    case UV_ENOTSOCK: out = E::not_a_socket; break;
    case UV_ENOTSUP: out = E::not_supported; break;
    case UV_EOVERFLOW: out = E::value_too_large; break;
    case UV_EPERM: out = E::operation_not_permitted; break;
    case UV_EPIPE: out = E::broken_pipe; break;
    case UV_EPROTO: out = E::protocol_error; break;
    case UV_EPROTONOSUPPORT: out = E::protocol_not_supported; break;
    case UV_EPROTOTYPE: out = E::wrong_protocol_type; break;
    case UV_ERANGE: out = E::result_out_of_range; break;
    case UV_EROFS: out = E::read_only_file_system; break;
    case UV_ESPIPE: out = E::invalid_seek; break;
    case UV_ESRCH: out = E::no_such_process; break;
    case UV_ETIMEDOUT: out = E::timed_out; break;
    case UV_ETXTBSY: out = E::text_file_busy; break;
    case UV_EXDEV: out = E::cross_device_link; break;
    case UV_ENXIO: out = E::no_such_device_or_address; break;
    case UV_EMLINK: out = E::too_many_links; break;
    case UV_ENOTTY: out = E::inappropriate_io_control_operation; break;
    case UV_EILSEQ: out = E::illegal_byte_sequence; break;
    default: return false;
  }
  return true;
}

}  // namespace

std::error_condition UvCategory::default_error_condition(int status) const noexcept {
  std::errc e{};
  if (to_errc(status, e)) return std::make_error_condition(e);
  return {status, *this};
}

std::error_code error_code(int status) noexcept { return {status, uv_category()}; }

}  // namespace asyncio::uv
