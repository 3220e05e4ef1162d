// The socket headers the network tests name constants from, on POSIX
// (net_support.hpp includes the OS family's file).
#pragma once

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
