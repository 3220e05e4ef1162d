// The socket headers detail/socket_os.hpp needs, on Windows (Winsock 2).
#pragma once

#include <winsock2.h>
#include <ws2tcpip.h>
