// The socket headers the network tests name constants from, on POSIX
// (net_support.hpp includes the OS family's file).
#pragma once

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cstddef>

namespace test {
/// OS handles one listening TCP server holds: its socket and the poll that
/// watches it (platform/uv/uv_listener_posix.cpp), what a test leaving a
/// server open declares with LoopFixture::expect_open_at_close(). On
/// wasm32-emscripten: one Node.js net.Server (wasm/emscripten/node_net.cpp).
#if defined(__EMSCRIPTEN__)
inline constexpr std::size_t kHandlesPerTcpServer = 1;
#else
inline constexpr std::size_t kHandlesPerTcpServer = 2;
#endif
}  // namespace test
