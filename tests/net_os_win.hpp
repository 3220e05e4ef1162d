// The socket headers the network tests name constants from, on Windows
// (net_support.hpp includes the OS family's file).
#pragma once

#include <winsock2.h>
#include <ws2tcpip.h>
