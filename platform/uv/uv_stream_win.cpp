// What a Windows stream says after libuv reported the end of the data (see
// os::error_after_hangup() in uv_net_os.hpp).
//
// Facts about this platform:
// - libuv reads with overlapped WSARecv()/ReadFile(): a read completes
//   with data, with 0 bytes for the peer's FIN (UV_EOF), or with the error
//   itself (a reset is WSAECONNRESET, which libuv reports as UV_ECONNRESET).
//   Nothing folds a reset into the end of the stream: an end libuv reports
//   is a real one.
// - Wine 8 differs: a reset that follows data completes the read with 0
//   bytes, and asking the socket again (recv with MSG_PEEK) does not bring
//   the reset back either (tried: no reset seen in 60 runs). The tests of
//   a reset after data are listed as not run under Wine (docs/platforms.md).
#include "uv_net_os.hpp"

namespace asyncio::uv::os {

std::error_code error_after_hangup(const uv_stream_t*) noexcept { return {}; }

}  // namespace asyncio::uv::os
