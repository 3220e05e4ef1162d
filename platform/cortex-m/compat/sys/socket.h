/* <sys/socket.h> on a Cortex-M without an OS: see README.md here.
 * newlib has no sockets. The address types and constants exist (with
 * Linux's values) so that portable code naming them compiles, as on WASI;
 * the functions are declared and fail with ENOSYS (../no_posix.cpp). */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uint32_t socklen_t;
typedef uint16_t sa_family_t;

struct sockaddr {
  sa_family_t sa_family;
  char sa_data[14];
};

struct sockaddr_storage {
  sa_family_t ss_family;
  char ss_padding[128 - sizeof(sa_family_t) - sizeof(unsigned long)];
  unsigned long ss_align;
};

struct linger {
  int l_onoff;
  int l_linger;
};

#define AF_UNSPEC 0
#define AF_UNIX 1
#define AF_LOCAL AF_UNIX
#define AF_INET 2
#define AF_INET6 10
#define PF_UNSPEC AF_UNSPEC
#define PF_UNIX AF_UNIX
#define PF_INET AF_INET
#define PF_INET6 AF_INET6

#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_RAW 3
#define SOCK_NONBLOCK 04000
#define SOCK_CLOEXEC 02000000

#define SOL_SOCKET 1
#define SO_REUSEADDR 2
#define SO_TYPE 3
#define SO_ERROR 4
#define SO_BROADCAST 6
#define SO_SNDBUF 7
#define SO_RCVBUF 8
#define SO_KEEPALIVE 9
#define SO_LINGER 13
#define SO_REUSEPORT 15

#define SHUT_RD 0
#define SHUT_WR 1
#define SHUT_RDWR 2

#define MSG_PEEK 0x02
#define MSG_DONTWAIT 0x40
#define MSG_NOSIGNAL 0x4000

#define SOMAXCONN 4096

int socket(int domain, int type, int protocol);
int socketpair(int domain, int type, int protocol, int fds[2]);
int bind(int fd, const struct sockaddr* address, socklen_t length);
int listen(int fd, int backlog);
int accept(int fd, struct sockaddr* address, socklen_t* length);
int connect(int fd, const struct sockaddr* address, socklen_t length);
int shutdown(int fd, int how);
int getsockname(int fd, struct sockaddr* address, socklen_t* length);
int getpeername(int fd, struct sockaddr* address, socklen_t* length);
int getsockopt(int fd, int level, int name, void* value, socklen_t* length);
int setsockopt(int fd, int level, int name, const void* value, socklen_t length);
ssize_t send(int fd, const void* buffer, size_t length, int flags);
ssize_t recv(int fd, void* buffer, size_t length, int flags);
ssize_t sendto(int fd, const void* buffer, size_t length, int flags, const struct sockaddr* address,
               socklen_t address_length);
ssize_t recvfrom(int fd, void* buffer, size_t length, int flags, struct sockaddr* address,
                 socklen_t* address_length);

#ifdef __cplusplus
}
#endif
