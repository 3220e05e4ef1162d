/* <arpa/inet.h> on a Cortex-M without an OS: see README.md here. */
#pragma once

#include <netinet/in.h>

#ifdef __cplusplus
extern "C" {
#endif

int inet_pton(int family, const char* text, void* address);
const char* inet_ntop(int family, const void* address, char* text, socklen_t size);

#ifdef __cplusplus
}
#endif
