// Resolver errors on POSIX systems (see uv_net_os.hpp).
//
// Facts about these platforms:
// - getaddrinfo() fails with EAI_* codes (<netdb.h>), which libuv renames
//   UV_EAI_*; Python's socket.gaierror carries the platform's own values,
//   and gai_strerror()'s message (installed by prepare_process()).
#include <netdb.h>

#include "uv_errors.hpp"
#include "uv_net_os.hpp"

namespace asyncio::uv::os {

namespace {
int gai_code(int status) noexcept {
  switch (status) {
#if defined(EAI_ADDRFAMILY)
    case UV_EAI_ADDRFAMILY: return EAI_ADDRFAMILY;
#endif
    case UV_EAI_AGAIN: return EAI_AGAIN;
    case UV_EAI_BADFLAGS: return EAI_BADFLAGS;
    case UV_EAI_FAIL: return EAI_FAIL;
    case UV_EAI_FAMILY: return EAI_FAMILY;
    case UV_EAI_MEMORY: return EAI_MEMORY;
#if defined(EAI_NODATA)
    case UV_EAI_NODATA: return EAI_NODATA;
#endif
    case UV_EAI_NONAME: return EAI_NONAME;
    case UV_EAI_OVERFLOW: return EAI_OVERFLOW;
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
