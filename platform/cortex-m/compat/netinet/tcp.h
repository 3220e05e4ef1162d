/* <netinet/tcp.h> on a Cortex-M without an OS: see README.md here. */
#pragma once

#define TCP_NODELAY 1
#define TCP_KEEPIDLE 4
#define TCP_KEEPINTVL 5
#define TCP_KEEPCNT 6
#define TCP_SYNCNT 7
