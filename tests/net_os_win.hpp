// The socket headers the network tests name constants from, on Windows
// (net_support.hpp includes the OS family's file).
#pragma once

#include <winsock2.h>
#include <ws2tcpip.h>

#include <cstddef>

namespace test {
/// OS handles one listening TCP server holds: its socket only (the timer of
/// platform/uv/uv_listener_win.cpp opens on the first pending accept), what
/// a test leaving a server open declares with
/// LoopFixture::expect_open_at_close().
inline constexpr std::size_t kHandlesPerTcpServer = 1;
}  // namespace test
