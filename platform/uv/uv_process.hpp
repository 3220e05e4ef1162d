// Child processes and the pipes to them on libuv: uv_process_t for the
// child, uv_pipe_t for each pipe (UvPipe). Serves Backend::spawn() and
// Backend::pipe_open(), the primitives below the loop's subprocess_exec(),
// subprocess_shell(), connect_read_pipe() and connect_write_pipe().
//
// Facts about libuv this relies on:
// - uv_spawn() initialises the process handle even when it fails: the
//   handle must then be closed like any other.
// - libuv reaps its children itself (one SIGCHLD watcher shared by every
//   loop of the process, each loop waiting for its own children), so a
//   child may be spawned from a loop in any thread. A process handle
//   closed before its child exited is forgotten: libuv no longer reaps that
//   child, so closing a running child kills and reaps it here.
// - uv_read_start() refuses a write-only pipe (UV_ENOTCONN), and libuv
//   only polls a pipe for writing while a write is queued: nothing tells
//   that the reader went away. CPython watches a write pipe for readability
//   (the kernel reports an error there once the last reader is gone); a
//   second libuv watcher cannot share the descriptor, so UvPipe watches a
//   duplicate of it with a uv_poll_t.
// - What is POSIX (pipe2(), /dev/null, dup(), fstat(), waitpid()) is in
//   uv_process_posix.cpp; Linux spawns without fork() (posix_spawn(), a
//   pidfd for the exit) in uv_process_linux.cpp, uv_spawn() being the
//   fallback there and the only way elsewhere (uv_process_bsd.cpp).
#pragma once

#include <uv.h>

#include <cstdint>
#include <span>
#include <string_view>
#include <system_error>

#include "asyncio/backend.hpp"
#include "uv_handle.hpp"

namespace asyncio::uv {

/// A child process on a uv_process_t.
class UvProcess final : public Backend::ChildProcess, public HandleObject {
 public:
  explicit UvProcess(UvBackend& backend) noexcept : HandleObject(backend) {}

  /// uv_spawn() with `options` (exit_cb is set here). libuv status; on
  /// failure the caller closes the object.
  int spawn(uv_process_options_t& options) noexcept;

  // ChildProcess
  int pid() const noexcept override { return pid_; }
  std::error_code send_signal(int sig) noexcept override;
  void set_events(Backend::ChildProcessEvents* events) noexcept override { events_ = events; }
  void close() noexcept override { close_handles(); }

 private:
  ~UvProcess() override = default;
  void close_owned() noexcept override;
  void on_detach() noexcept override;
  static void on_exit(uv_process_t* process, std::int64_t exit_status, int term_signal);

  uv_process_t h_{};
  Backend::ChildProcessEvents* events_ = nullptr;
  int pid_ = 0;
  bool spawned_ = false;
  bool exited_ = false;
};

/// One end of a pipe (or FIFO, socket, character device) on a uv_pipe_t.
class UvPipe final : public StreamSocket, public HandleObject {
 public:
  explicit UvPipe(UvBackend& backend) noexcept : HandleObject(backend) {}

  /// What start_reading() does: read (a read pipe); watch for the reader
  /// going away (a write pipe to a pipe, FIFO or socket); nothing (a write
  /// pipe to a character device, as CPython).
  enum class Role : std::uint8_t { reader, writer, unwatched_writer };

  /// Wraps descriptor `fd` (taken: closed with the object). `hangup_fd`: a
  /// duplicate of a write-only `fd` to watch for the reader going away
  /// (taken), or -1. libuv status; on failure the caller closes the object.
  int open(int fd, int hangup_fd, Role role) noexcept;

  // StreamSocket
  void set_events(StreamSocketEvents* events) noexcept override { events_ = events; }
  /// Starts reading, or, for a write-only pipe, watching for a hang-up.
  void start_reading() override;
  void stop_reading() noexcept override;
  std::size_t try_write(std::span<const std::string_view> buffers, std::error_code& error) noexcept override;
  std::error_code write(std::span<const std::string_view> buffers) noexcept override;
  std::size_t write_queue_size() const noexcept override {
    return uv_stream_get_write_queue_size(reinterpret_cast<const uv_stream_t*>(&pipe_));
  }
  void shutdown() noexcept override {}
  void close() noexcept override { close_handles(); }
  const TransportSocket& info() const noexcept override { return info_; }

 private:
  ~UvPipe() override = default;
  void close_owned() noexcept override;
  void on_detach() noexcept override;
  static void on_alloc(uv_handle_t* h, std::size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
  static void on_write(uv_write_t* req, int status);
  static void on_hangup(uv_poll_t* poll, int status, int events);

  uv_pipe_t pipe_{};
  uv_poll_t hangup_{};
  uv_write_t write_req_{};
  StreamSocketEvents* events_ = nullptr;
  TransportSocket info_;
  int hangup_fd_ = -1;
  Role role_ = Role::reader;
  bool pipe_open_ = false;
  bool hangup_open_ = false;
  bool reading_ = false;
};

namespace os {
/// Kills the child `pid` (SIGKILL) and waits for it, so that no zombie is
/// left once libuv forgets it.
void kill_and_reap(int pid) noexcept;
/// Closes a descriptor no handle owns.
void close_fd(int fd) noexcept;
/// Starts the child `options` describe without uv_spawn() where the
/// platform has a cheaper way (Linux: posix_spawn() and a pidfd, in
/// uv_process_linux.cpp): 0 and the child in `out`, or a libuv status (< 0)
/// as uv_spawn() would fail; 1 when uv_spawn() must do it (elsewhere, or
/// options this path does not take). options.exit_cb is not used.
int spawn_fast(UvBackend& backend, const uv_process_options_t& options, Backend::ChildProcessPtr& out) noexcept;
}  // namespace os

}  // namespace asyncio::uv
