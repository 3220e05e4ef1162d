/* <netinet/in.h> on a Cortex-M without an OS: see README.md here. The
 * Internet address types and constants, with Linux's values. */
#pragma once

#include <stdint.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uint16_t in_port_t;
typedef uint32_t in_addr_t;

struct in_addr {
  in_addr_t s_addr;
};

struct in6_addr {
  uint8_t s6_addr[16];
};

struct sockaddr_in {
  sa_family_t sin_family;
  in_port_t sin_port;
  struct in_addr sin_addr;
  unsigned char sin_zero[8];
};

struct sockaddr_in6 {
  sa_family_t sin6_family;
  in_port_t sin6_port;
  uint32_t sin6_flowinfo;
  struct in6_addr sin6_addr;
  uint32_t sin6_scope_id;
};

#define IN6ADDR_ANY_INIT {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}}
#define IN6ADDR_LOOPBACK_INIT {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}}
extern const struct in6_addr in6addr_any;
extern const struct in6_addr in6addr_loopback;

#define IPPROTO_IP 0
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_IPV6 41

#define INADDR_ANY ((in_addr_t)0x00000000)
#define INADDR_LOOPBACK ((in_addr_t)0x7f000001)
#define INET_ADDRSTRLEN 16
#define INET6_ADDRSTRLEN 46

/* The core is little-endian: network order is the bytes swapped. */
static inline uint32_t htonl(uint32_t v) { return __builtin_bswap32(v); }
static inline uint16_t htons(uint16_t v) { return __builtin_bswap16(v); }
static inline uint32_t ntohl(uint32_t v) { return __builtin_bswap32(v); }
static inline uint16_t ntohs(uint16_t v) { return __builtin_bswap16(v); }

#ifdef __cplusplus
}
#endif
