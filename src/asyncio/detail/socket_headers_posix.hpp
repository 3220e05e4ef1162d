// The socket header detail/socket_os.hpp needs, on POSIX systems.
#pragma once

#include <sys/socket.h>
