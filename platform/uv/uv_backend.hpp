// The libuv backend: the native platforms' I/O (Linux, macOS, Windows).
//
// Facts about this platform:
// - libuv runs one uv_loop_t per event loop; poll() is one uv_run() pass
//   (UV_RUN_NOWAIT to poll, UV_RUN_ONCE with a one-shot uv_timer_t to wait).
// - uv_async_send() is the only libuv call that is safe from other threads
//   and from signal handlers: wake() uses it.
// - libuv caches its clock per iteration; the poll timer is armed after
//   uv_update_time() so a long run of callbacks cannot make it fire early.
// - Timers, the ready queue and all ordering live in the portable loop;
//   libuv only waits. Signals arrive through uv_signal_t, in the loop thread.
// - Network I/O lives in one file per handle type, as in libuv: uv_stream
//   (connected TCP and AF_UNIX sockets), uv_listener (listening sockets),
//   uv_tcp (connect, server sockets), uv_dns (getaddrinfo/getnameinfo),
//   uv_address (IP addresses). What libuv cannot express portably (CPython's
//   pause on EMFILE, socket options, AF_UNIX paths, the reset a hang-up
//   hides) is declared in uv_net_os.hpp and implemented per OS
//   (uv_*_posix.cpp, uv_linux.cpp, uv_bsd.cpp; *_win.cpp for Windows), as
//   are the process-wide needs (uv_os.hpp) and error codes (uv_errors.hpp).
// - Every object owning libuv handles or requests is on the backend's
//   IoObject list, so that closing the loop reaches it (uv_handle.hpp has
//   the lifetime rules).
#pragma once

#include <uv.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "asyncio/backend.hpp"
#include "asyncio/platform.hpp"

namespace asyncio::uv {

class UvBackend;

/// What the backend tracks to tear down when its loop closes: objects
/// owning handles (HandleObject) and operations in flight (Operation), on
/// an intrusive list. See uv_handle.hpp.
class IoObject {
 public:
  /// The backend is closing: stop, tell the owner (without touching the
  /// closed loop's futures) and close.
  virtual void detach() noexcept = 0;
  IoObject* io_prev = nullptr;
  IoObject* io_next = nullptr;

 protected:
  ~IoObject() = default;
};

class UvBackend final : public Backend {
 public:
  UvBackend();
  ~UvBackend() override;

  void poll(double timeout) override;
  void wake() noexcept override;
  void close() override;
  std::vector<std::string> open_at_close() const override { return open_at_close_; }
  std::string platform() const override;
  void watch_signal(int sig) override;
  void unwatch_signal(int sig) override;

  /// The libuv loop, for the I/O primitives built on it.
  uv_loop_t* uv_loop() noexcept { return &uv_loop_; }
  /// The loop served (for futures).
  EventLoop& event_loop() noexcept { return *event_loop_; }
  /// True once close() started: completions must not touch futures.
  bool is_closed() const noexcept { return closed_; }

  // Network I/O: uv_dns.cpp (getaddrinfo, getnameinfo), uv_tcp.cpp
  // (sock_connect, sock_listen), and per OS (uv_pipe_<os>.cpp:
  // sock_connect_unix, sock_listen_unix, named pipes on Windows;
  // uv_socket_<os>.cpp: sock_adopt, sock_adopt_listener).
  bool supports_network() const noexcept override { return true; }
  Future<std::vector<AddrInfo>> getaddrinfo(const std::optional<std::string>& host,
                                            const std::optional<std::string>& port, int family, int type, int proto,
                                            int flags) override;
  Future<NameInfo> getnameinfo(const SockAddr& address, int flags) override;
  Future<StreamSocketPtr> sock_connect(const AddrInfo& remote, const SockAddr* local) override;
  Future<StreamSocketPtr> sock_connect_unix(const std::string& path) override;
  ListeningSocketPtr sock_listen(const AddrInfo& address, const ListenOptions& options) override;
  ListeningSocketPtr sock_listen_unix(const std::string& path, const ListenOptions& options) override;
  StreamSocketPtr sock_adopt(int fd, int family) override;
  ListeningSocketPtr sock_adopt_listener(int fd, int family, const ListenOptions& options) override;
  // Descriptors (uv_poll.cpp) and datagrams (uv_udp.cpp).
  FdWatchPtr watch_fd(int fd, FdWatchEvents* events) override;
  DatagramSocketPtr datagram_adopt(int fd, int family, int proto) override;

  // Subprocesses and pipes: uv_process.cpp (the handles) and per OS
  // (uv_process_posix.cpp: spawn, pipe_open; not yet on Windows, whose
  // uv_process_win.cpp keeps the NotImplementedError defaults).
  bool supports_subprocesses() const noexcept override { return platform::has_subprocesses; }
  SpawnedChild spawn(const SpawnOptions& options, ChildProcessEvents* events) override;
  StreamSocketPtr pipe_open(int fd, bool writable) override;

  void link(IoObject* object) noexcept;
  void unlink(IoObject* object) noexcept;

 private:
  void detach_io_objects() noexcept;

  struct SignalWatch;
  uv_loop_t uv_loop_;
  uv_async_t wake_;
  uv_timer_t poll_timer_;
  std::map<int, std::unique_ptr<SignalWatch>> signals_;
  IoObject* io_head_ = nullptr;
  std::vector<std::string> open_at_close_;
  bool closed_ = false;
};

}  // namespace asyncio::uv
