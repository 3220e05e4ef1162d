// POSIX calls a Cortex-M without an OS does not have: sockets, the
// resolver, signals, descriptor limits, and the file-system calls libstdc++'s
// std::filesystem needs beyond newlib's. Each fails with ENOSYS, as
// newlib's libnosys does for the system calls it lacks, so that portable
// code naming them links and reports the error at run time (the library's
// own network methods raise NotImplementedError before reaching any).
// Weak: a program with a network stack or a file system of its own
// provides the real ones.
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>

#define ASYNCIO_NO_OS extern "C" __attribute__((weak))

namespace {
int no_os() {
  errno = ENOSYS;
  return -1;
}
}  // namespace

ASYNCIO_NO_OS int socket(int, int, int) { return no_os(); }
ASYNCIO_NO_OS int socketpair(int, int, int, int*) { return no_os(); }
ASYNCIO_NO_OS int bind(int, const struct sockaddr*, socklen_t) { return no_os(); }
ASYNCIO_NO_OS int listen(int, int) { return no_os(); }
ASYNCIO_NO_OS int accept(int, struct sockaddr*, socklen_t*) { return no_os(); }
ASYNCIO_NO_OS int connect(int, const struct sockaddr*, socklen_t) { return no_os(); }
ASYNCIO_NO_OS int shutdown(int, int) { return no_os(); }
ASYNCIO_NO_OS int getsockname(int, struct sockaddr*, socklen_t*) { return no_os(); }
ASYNCIO_NO_OS int getpeername(int, struct sockaddr*, socklen_t*) { return no_os(); }
ASYNCIO_NO_OS int getsockopt(int, int, int, void*, socklen_t*) { return no_os(); }
ASYNCIO_NO_OS int setsockopt(int, int, int, const void*, socklen_t) { return no_os(); }
ASYNCIO_NO_OS ssize_t send(int, const void*, size_t, int) { return no_os(); }
ASYNCIO_NO_OS ssize_t recv(int, void*, size_t, int) { return no_os(); }
ASYNCIO_NO_OS ssize_t sendto(int, const void*, size_t, int, const struct sockaddr*, socklen_t) { return no_os(); }
ASYNCIO_NO_OS ssize_t recvfrom(int, void*, size_t, int, struct sockaddr*, socklen_t*) { return no_os(); }
ASYNCIO_NO_OS const struct in6_addr in6addr_any = IN6ADDR_ANY_INIT;
ASYNCIO_NO_OS const struct in6_addr in6addr_loopback = IN6ADDR_LOOPBACK_INIT;
ASYNCIO_NO_OS int inet_pton(int, const char*, void*) { return no_os(); }
ASYNCIO_NO_OS const char* inet_ntop(int, const void*, char*, socklen_t) {
  errno = ENOSYS;
  return nullptr;
}

ASYNCIO_NO_OS int getaddrinfo(const char*, const char*, const struct addrinfo*, struct addrinfo** result) {
  if (result != nullptr) *result = nullptr;
  errno = ENOSYS;
  return EAI_SYSTEM;
}
ASYNCIO_NO_OS void freeaddrinfo(struct addrinfo*) {}
ASYNCIO_NO_OS const char* gai_strerror(int code) {
  return code == EAI_SYSTEM ? "System error" : "Name resolution is not available (no OS)";
}
ASYNCIO_NO_OS int getnameinfo(const struct sockaddr*, socklen_t, char*, socklen_t, char*, socklen_t, int) {
  errno = ENOSYS;
  return EAI_SYSTEM;
}

// No signals: sigaction() reports it (asyncio::run then skips its Ctrl-C
// handler, as on every platform without signals).
ASYNCIO_NO_OS int sigaction(int, const struct sigaction*, struct sigaction*) { return no_os(); }

// One program, no processes: newlib's getpid() asks for _getpid().
ASYNCIO_NO_OS int _getpid() { return 1; }

ASYNCIO_NO_OS int getrlimit(int, struct rlimit*) { return no_os(); }
ASYNCIO_NO_OS int setrlimit(int, const struct rlimit*) { return no_os(); }

ASYNCIO_NO_OS int chdir(const char*) { return no_os(); }
ASYNCIO_NO_OS char* getcwd(char*, size_t) {
  errno = ENOSYS;
  return nullptr;
}
ASYNCIO_NO_OS int mkdir(const char*, mode_t) { return no_os(); }
ASYNCIO_NO_OS int symlink(const char*, const char*) { return no_os(); }
ASYNCIO_NO_OS ssize_t readlink(const char*, char*, size_t) { return no_os(); }
ASYNCIO_NO_OS long pathconf(const char*, int) { return no_os(); }
ASYNCIO_NO_OS int fchmod(int, mode_t) { return no_os(); }
ASYNCIO_NO_OS int fchmodat(int, const char*, mode_t, int) { return no_os(); }
ASYNCIO_NO_OS int getentropy(void*, size_t) { return no_os(); }
