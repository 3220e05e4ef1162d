// Declarations shared by the libuv backend's POSIX files (never included by
// a shared file). The functions in the "Linux or not" section have two
// implementations: uv_linux.cpp (Linux's own calls) and uv_bsd.cpp (plain
// POSIX, for macOS and the BSDs); CMake compiles one.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <uv.h>

#include <cerrno>
#include <optional>
#include <string>
#include <system_error>

#include "asyncio/sockets.hpp"
#include "uv_listener.hpp"

namespace asyncio::uv::posix {

inline std::error_code errno_code(int e) noexcept { return std::error_code(e, std::generic_category()); }

/// The descriptor of a handle's socket (-1 if it has none yet).
int fd_of(const uv_handle_t* handle) noexcept;

/// A socket address of any family the platform has, AF_UNIX included (an
/// abstract Linux name keeps every byte, its leading NUL too).
SockAddr from_sockaddr(const sockaddr* sa, socklen_t len);
/// The address socket `fd` is bound to, and the one it is connected to.
std::optional<SockAddr> local_name(int fd);
std::optional<SockAddr> peer_name(int fd);

/// The AF_UNIX address for `path`. std::system_error(ENAMETOOLONG, "AF_UNIX
/// path too long '...'") if it does not fit (libuv 1.44 would silently
/// truncate it).
socklen_t unix_sockaddr(const std::string& path, sockaddr_un& un);

/// A listener accepting with accept() on a uv_poll_t (uv_listener_posix.cpp).
class PosixListener final : public UvListener {
 public:
  PosixListener(UvBackend& backend, int backlog) noexcept : UvListener(backend, backlog) {}

  /// AF_UNIX: remove the socket file `path` on close if it is still the one
  /// bound (Python 3.13 records the inode and compares).
  void remove_on_close(std::string path, ino_t inode) {
    cleanup_path_ = std::move(path);
    cleanup_inode_ = inode;
    cleanup_ = true;
  }

 private:
  ~PosixListener() override = default;
  void listen() override;
  int watch() noexcept override;
  void unwatch() noexcept override;
  void close_owned() noexcept override;
  void remove_socket_file() noexcept;
  static void on_poll(uv_poll_t* poll, int status, int events);

  uv_poll_t poll_{};
  std::string cleanup_path_;
  ino_t cleanup_inode_ = 0;
  bool poll_open_ = false;
  bool cleanup_ = false;
};

// ---- Linux or not (uv_linux.cpp / uv_bsd.cpp) ----

/// socket(), close-on-exec and non-blocking. -1 with errno on failure.
int open_socket(int family, int type, int proto) noexcept;
/// accept() on listening socket `fd`, close-on-exec. -1 with errno on failure.
int accept_socket(int fd) noexcept;
/// The protocol of socket `fd` (SO_PROTOCOL), or 0 where it cannot be
/// asked (CPython's socket(fileno=fd) reports 0 there too).
int socket_protocol(int fd) noexcept;
/// True if `path` names a socket in Linux's abstract namespace (a leading
/// NUL): no file, and the name is its exact bytes. Always false elsewhere.
bool is_abstract_unix_name(const std::string& path) noexcept;

}  // namespace asyncio::uv::posix
