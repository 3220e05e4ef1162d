// Subprocesses: run a program and talk to it through its standard streams
// with co_await. Python: asyncio.subprocess (create_subprocess_exec,
// create_subprocess_shell, Process, PIPE, STDOUT, DEVNULL).
//
//   using asyncio::subprocess::PIPE;
//   asyncio::Process proc = co_await asyncio::create_subprocess_exec(
//       "ls", {"-l"}, {.std_out = PIPE});
//   auto [out, err] = co_await proc.communicate();
//   int status = co_await proc.wait();
//
// Process is a reference-counted handle (copies refer to the same child,
// as Python references do). Not thread-safe: use it from its loop's thread.
//
// Divergence: the standard streams are std_in, std_out and std_err (in the
// options as in Process), since stdin, stdout and stderr are C macros.
// Platforms: POSIX (Linux, macOS) on libuv; NotImplementedError naming the
// platform on WebAssembly and bare metal. See docs/subprocess.md.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "asyncio/coroutines.hpp"
#include "asyncio/events.hpp"
#include "asyncio/protocols.hpp"
#include "asyncio/streams.hpp"
#include "asyncio/transports.hpp"

namespace asyncio {

/// Options of create_subprocess_exec() and create_subprocess_shell().
/// Python: their keyword arguments (limit, then subprocess.Popen's).
struct ProcessOptions {
  /// Each Stdio{} (inherit: Python's None), subprocess::PIPE,
  /// subprocess::DEVNULL, subprocess::STDOUT (std_err only) or a descriptor.
  Stdio std_in{};
  Stdio std_out{};
  Stdio std_err{};
  /// The buffer limit of the std_out / std_err StreamReaders.
  std::int64_t limit = kDefaultLimit;
  std::optional<std::string> cwd{};
  /// The child's whole environment; std::nullopt inherits the parent's.
  std::optional<std::vector<std::pair<std::string, std::string>>> env{};
  /// The program to run instead of the first argument (still its argv[0]).
  std::optional<std::string> executable{};
  std::vector<int> pass_fds{};
  bool start_new_session = false;
};

namespace detail {
class SubprocessStreamProtocol;
}

/// A child process started by create_subprocess_exec() or
/// create_subprocess_shell(). Python: asyncio.subprocess.Process
class Process {
 public:
  /// Wraps a subprocess transport and its stream protocol (library use).
  Process(std::shared_ptr<SubprocessTransport> transport, std::shared_ptr<detail::SubprocessStreamProtocol> protocol);

  /// The child's process id (the shell's, for create_subprocess_shell()).
  /// Python: Process.pid
  int pid = 0;
  /// The child's standard input if it is a pipe. Python: Process.stdin
  std::optional<StreamWriter> std_in;
  /// The child's standard output if it is a pipe. Python: Process.stdout
  std::optional<StreamReader> std_out;
  /// The child's standard error if it is a pipe. Python: Process.stderr
  std::optional<StreamReader> std_err;

  /// std::nullopt while the child runs; then its exit status, or -N if
  /// signal N killed it. Python: Process.returncode
  std::optional<int> returncode() const;
  /// Waits for the child to exit and returns its returncode. With pipes the
  /// child fills, use communicate() instead (this would deadlock, as in
  /// Python). Cancelling the wait leaves the child running.
  /// Python: Process.wait()
  [[nodiscard]] Coro<int> wait() const;
  /// Sends `input` (if any) to std_in and closes it, reads std_out and
  /// std_err to their end at the same time, waits for the child, and
  /// returns (stdout, stderr), std::nullopt for a stream that is not a
  /// pipe. A child that stops reading its input early (BrokenPipe,
  /// ConnectionReset) is not an error. Cancelling it leaves the child
  /// running. Python: Process.communicate()
  [[nodiscard]] Coro<std::pair<std::optional<std::string>, std::optional<std::string>>> communicate(
      std::optional<std::string> input = std::nullopt) const;
  /// Sends signal `sig`. ProcessLookupError (std::system_error with ESRCH)
  /// once the child was waited for. Python: Process.send_signal()
  void send_signal(int sig) const;
  /// Sends SIGTERM. Python: Process.terminate()
  void terminate() const;
  /// Sends SIGKILL. Python: Process.kill()
  void kill() const;
  /// The transport (library use and the low-level API's view).
  const std::shared_ptr<SubprocessTransport>& transport() const noexcept { return transport_; }
  /// Python: repr(process): "<Process 1234>"
  std::string repr() const;

 private:
  std::shared_ptr<SubprocessTransport> transport_;
  std::shared_ptr<detail::SubprocessStreamProtocol> protocol_;
};

/// Runs `program` with `args` (without the program itself). Raises
/// std::system_error naming the program if it cannot be started (ENOENT,
/// EACCES); a program that fails is a non-zero returncode instead.
/// Python: asyncio.create_subprocess_exec()
[[nodiscard]] Coro<Process> create_subprocess_exec(std::string program, std::vector<std::string> args = {},
                                                   ProcessOptions options = {});

/// Runs `cmd` with the shell (/bin/sh -c). Quote arguments yourself.
/// Python: asyncio.create_subprocess_shell()
[[nodiscard]] Coro<Process> create_subprocess_shell(std::string cmd, ProcessOptions options = {});

namespace detail {

/// The protocol between a subprocess transport and a Process's streams.
/// Python: asyncio.subprocess.SubprocessStreamProtocol
class SubprocessStreamProtocol final : public SubprocessProtocol,
                                       public ChunkAdoptingSubprocessProtocol,
                                       public std::enable_shared_from_this<SubprocessStreamProtocol> {
 public:
  SubprocessStreamProtocol(std::int64_t limit, EventLoop& loop);

  void connection_made(std::shared_ptr<SubprocessTransport> transport) override;
  void pipe_data_received(int fd, std::string_view data) override;
  void pipe_data_received_chunk(int fd, char*& chunk, std::size_t n) override;
  void pipe_connection_lost(int fd, std::exception_ptr exc) override;
  void process_exited() override;
  void pause_writing() override;
  void resume_writing() override;

  std::optional<StreamWriter> std_in;
  std::optional<StreamReader> std_out;
  std::optional<StreamReader> std_err;

 private:
  void maybe_close_transport();

  std::int64_t limit_;
  EventLoop* loop_;
  std::shared_ptr<SubprocessTransport> transport_;
  // stdin's flow control and close waiter (Python: the FlowControlMixin
  // part of this protocol, and _stdin_closed).
  std::shared_ptr<StreamReaderProtocol> stdin_flow_;
  std::vector<int> pipe_fds_;
  bool process_exited_ = false;
};

}  // namespace detail

}  // namespace asyncio
