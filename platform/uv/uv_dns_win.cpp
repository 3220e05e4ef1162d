// Resolver errors on Windows (see uv_net_os.hpp).
//
// Facts about this platform:
// - getaddrinfo() fails with Winsock codes, which <ws2tcpip.h> also names
//   EAI_* (EAI_NONAME is WSAHOST_NOT_FOUND, 11001); libuv renames them
//   UV_EAI_*. Python's socket.gaierror on Windows carries those values,
//   with FormatMessage's text (installed by prepare_process()).
// - Winsock has no EAI_ADDRFAMILY, EAI_OVERFLOW or EAI_SYSTEM.
#include <winsock2.h>
#include <ws2tcpip.h>

#include "uv_errors.hpp"
#include "uv_net_os.hpp"

namespace asyncio::uv::os {

namespace {
int gai_code(int status) noexcept {
  switch (status) {
    case UV_EAI_AGAIN: return EAI_AGAIN;
    case UV_EAI_BADFLAGS: return EAI_BADFLAGS;
    case UV_EAI_FAIL: return EAI_FAIL;
    case UV_EAI_FAMILY: return EAI_FAMILY;
    case UV_EAI_MEMORY: return EAI_MEMORY;
    case UV_EAI_NODATA: return EAI_NODATA;
    case UV_EAI_NONAME: return EAI_NONAME;
    case UV_EAI_SERVICE: return EAI_SERVICE;
    case UV_EAI_SOCKTYPE: return EAI_SOCKTYPE;
    default: return 0;
  }
}
}  // namespace

std::exception_ptr resolution_error(int status, const std::string& what) {
  if (const int code = gai_code(status)) {
    return std::make_exception_ptr(std::system_error(std::error_code(code, gai_category()), what));
  }
  return std::make_exception_ptr(std::system_error(error_code(status), what));
}

}  // namespace asyncio::uv::os
