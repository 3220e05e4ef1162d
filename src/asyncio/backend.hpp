// The narrow interface between the portable event loop and a platform.
//
// The loop (events.hpp) owns the ready queue, the timer heap and every
// ordering rule; a backend only waits for I/O and wakes the loop. libuv
// (platform/uv), the JavaScript event loop (wasm/emscripten) and the WASI stub
// implement it; so can a user who embeds the loop somewhere else (a GUI or
// game loop, a board without an OS): see docs/extending.md.
// Python: the selector / proactor below BaseEventLoop (_process_events,
// _write_to_self), and asyncio's "Extending" page.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "asyncio/sockets.hpp"
#include "asyncio/backend_io.hpp"

namespace asyncio {

class EventLoop;
template <class T>
class Future;

// ---- Network I/O primitives (see Backend's network section) ----
//
// The portable core (transports, servers, create_connection's Happy
// Eyeballs, streams) is written against these; a backend implements them on
// its platform's sockets (platform/uv: libuv). Every event a backend
// reports is delivered in the loop's thread, from inside Backend::poll();
// the core turns each into a ready-queue entry, so protocol callbacks run in
// the loop's callback phase in the order CPython would run them.

/// What a stream socket reports to its owner (a transport). Called inside
/// Backend::poll(), never re-entrantly from a StreamSocket method.
class StreamSocketEvents {
 public:
  /// Where to read the next bytes into; an empty span declines (the data
  /// stays in the kernel until the next poll). `size_hint` is the size the
  /// backend would like.
  virtual std::span<char> read_buffer(std::size_t size_hint) noexcept = 0;
  /// `n` bytes arrived at the start of the span last given by read_buffer().
  virtual void on_read(std::size_t n) noexcept = 0;
  /// The peer shut its side down (end of stream); reading has stopped.
  virtual void on_eof() noexcept = 0;
  /// Reading failed (connection reset, ...); reading has stopped.
  virtual void on_read_error(std::error_code error) noexcept = 0;
  /// The write started by StreamSocket::write() finished (error: how it failed).
  virtual void on_write_done(std::error_code error) noexcept = 0;
  /// The backend is closing (its loop is closing): the socket is gone, no
  /// event follows, and the owner must not use the socket any more.
  virtual void on_detached() noexcept = 0;

 protected:
  ~StreamSocketEvents() = default;
};

/// A connected stream socket (TCP or Unix), owned through StreamSocketPtr.
class StreamSocket {
 public:
  /// Routes events to `events` (nullptr: drop them).
  virtual void set_events(StreamSocketEvents* events) noexcept = 0;
  /// Starts (or keeps) reading. Idempotent.
  virtual void start_reading() = 0;
  /// Stops reading. Idempotent.
  virtual void stop_reading() noexcept = 0;
  /// Writes what the kernel takes now without blocking, from `buffers` in
  /// order; returns the bytes written (0 if it would block). Precondition:
  /// no write() in flight. On failure sets `error` and returns 0.
  virtual std::size_t try_write(std::span<const std::string_view> buffers, std::error_code& error) noexcept = 0;
  /// Writes all of `buffers` in the background; on_write_done() follows.
  /// The bytes must stay valid and unchanged until then. One at a time.
  virtual std::error_code write(std::span<const std::string_view> buffers) noexcept = 0;
  /// The bytes of the write in flight not yet handed to the kernel.
  virtual std::size_t write_queue_size() const noexcept = 0;
  /// Shuts the sending side down once the write in flight is done.
  virtual void shutdown() noexcept = 0;
  /// Closes the socket: no event follows; the backend frees the object
  /// when the platform is done with it. Called by StreamSocketPtr.
  virtual void close() noexcept = 0;
  /// What get_extra_info("socket"), ("sockname"), ("peername") report.
  virtual const TransportSocket& info() const noexcept = 0;

 protected:
  ~StreamSocket() = default;
};

/// Closes (releases) a StreamSocket.
struct StreamSocketCloser {
  void operator()(StreamSocket* s) const noexcept { s->close(); }
};
using StreamSocketPtr = std::unique_ptr<StreamSocket, StreamSocketCloser>;

/// What a listening socket reports to its owner (a server), inside poll().
class ListeningSocketEvents {
 public:
  /// A connection was accepted.
  virtual void on_accept(StreamSocketPtr connection) noexcept = 0;
  /// accept() failed with `error`; accepting stopped until the next
  /// ListeningSocket::start_accepting() (EMFILE and friends would otherwise
  /// report readiness again at once).
  virtual void on_accept_error(std::error_code error) noexcept = 0;
  /// The backend is closing: as StreamSocketEvents::on_detached().
  virtual void on_detached() noexcept = 0;

 protected:
  ~ListeningSocketEvents() = default;
};

/// How a server's sockets are set up. Python: create_server()'s arguments.
struct ListenOptions {
  int backlog = 100;
  bool reuse_address = true;
  bool reuse_port = false;
  bool keep_alive = false;
  /// AF_UNIX: remove the socket file on close (unless replaced meanwhile).
  bool cleanup_socket = true;
};

/// A bound server socket, owned through ListeningSocketPtr.
class ListeningSocket {
 public:
  /// Listens (the first time, with the backlog given at creation) and
  /// reports accepted connections to `events`, accepting at most `backlog`
  /// per readiness event (as CPython does). std::system_error if listen()
  /// fails.
  virtual void start_accepting(ListeningSocketEvents* events) = 0;
  /// Stops reporting connections. Idempotent.
  virtual void stop_accepting() noexcept = 0;
  /// Closes the socket (and removes an AF_UNIX socket file if asked to).
  virtual void close() noexcept = 0;
  /// What Server::sockets() reports.
  virtual const TransportSocket& info() const noexcept = 0;

 protected:
  ~ListeningSocket() = default;
};

struct ListeningSocketCloser {
  void operator()(ListeningSocket* s) const noexcept { s->close(); }
};
using ListeningSocketPtr = std::unique_ptr<ListeningSocket, ListeningSocketCloser>;

class Backend {
 public:
  virtual ~Backend() = default;

  /// Called once, by the loop that adopts this backend, before any poll().
  virtual void attach(EventLoop& loop) { event_loop_ = &loop; }

  /// Waits for I/O at most `timeout` seconds (negative: until I/O or wake();
  /// zero: without blocking), then schedules the callbacks of whatever
  /// completed on the loop (call_soon and friends).
  virtual void poll(double timeout) = 0;

  /// Makes a concurrent or the next poll() return promptly. Must be safe to
  /// call from any thread (call_soon_threadsafe uses it) and from a signal handler.
  virtual void wake() noexcept = 0;

  /// The loop is closing: release OS resources. No poll() follows.
  virtual void close() {}

  /// What close() found still open (transports, servers: their OS handles),
  /// one short description each; empty before close(). For tests that check
  /// nothing leaked, as libuv's tests require uv_loop_close() == 0.
  virtual std::vector<std::string> open_at_close() const { return {}; }

  /// The monotonic clock the loop schedules timers with, in seconds.
  /// Python: loop.time() (time.monotonic())
  virtual double time() const noexcept;

  /// The platform name used in messages, e.g. "linux", "wasm32-emscripten".
  virtual std::string platform() const;

  /// Starts calling EventLoop::deliver_signal(sig), in the loop's thread,
  /// whenever signal `sig` arrives. RuntimeError("sig N cannot be caught")
  /// for SIGKILL and the like. The default raises NotImplementedError:
  /// platforms without signals (WebAssembly) keep it.
  virtual void watch_signal(int sig);
  /// Stops watching `sig` and restores its default disposition; does
  /// nothing if `sig` is not watched. The default raises
  /// NotImplementedError, like watch_signal().
  virtual void unwatch_signal(int sig);

  /// Starts a thread running `body`, for `what` (the loop's default
  /// executor, run_in_executor and to_thread; shutdown_default_executor).
  /// The default starts a std::thread, or, in a build for a target without
  /// threads (ASYNCIO_PLATFORM_HAS_THREADS=0: WebAssembly without pthreads),
  /// raises NotImplementedError("<what> is not available on <platform>").
  /// A backend may override it (a host with its own thread pool, tests).
  virtual std::thread start_thread(const char* what, std::function<void()> body);

  // ---- Network I/O ----
  // The primitives below the loop's network methods. Each default raises
  // NotImplementedError("<loop method> is not available on <platform()>"),
  // naming the loop method it serves: platforms without sockets
  // (WebAssembly) keep them. Futures returned are on the backend's loop;
  // cancelling one abandons the operation (a connection made anyway is
  // closed).

  /// True if this backend implements the network primitives. The loop's
  /// network methods raise NotImplementedError("<method> is not available
  /// on <platform()>") at once when it is false (the default).
  virtual bool supports_network() const noexcept { return false; }

  /// Resolves `host`/`port` (std::nullopt: NULL) with the given hints;
  /// fails with a std::system_error in gai_category(). The result may be
  /// ready at once (numeric hosts). Serves loop.getaddrinfo().
  virtual Future<std::vector<AddrInfo>> getaddrinfo(const std::optional<std::string>& host,
                                                    const std::optional<std::string>& port, int family, int type,
                                                    int proto, int flags);
  /// Resolves an address back to names. Serves loop.getnameinfo().
  virtual Future<NameInfo> getnameinfo(const SockAddr& address, int flags);
  /// Opens a stream socket for `remote` (its family, type and proto),
  /// binds it to `local` if given, and connects it to remote.sockaddr.
  /// A failed bind raises at once (std::system_error naming `local`); a
  /// failed connect fails the future (std::system_error naming the
  /// address, "Connect call failed ..."). Serves loop.create_connection().
  virtual Future<StreamSocketPtr> sock_connect(const AddrInfo& remote, const SockAddr* local);
  /// Connects an AF_UNIX stream socket to `path` (an abstract name starts
  /// with '\0'). Serves loop.create_unix_connection().
  virtual Future<StreamSocketPtr> sock_connect_unix(const std::string& path);
  /// Opens a socket for `address` (its family, type and proto), applies
  /// `options` and binds it; listening starts with start_accepting().
  /// nullptr if the socket cannot be created (an unsupported
  /// family/type/proto combination); std::system_error if bind() fails.
  /// Serves loop.create_server().
  virtual ListeningSocketPtr sock_listen(const AddrInfo& address, const ListenOptions& options);
  /// The same for an AF_UNIX path: a stale socket file is removed first
  /// (Python's create_unix_server does); EADDRINUSE says "Address '<path>'
  /// is already in use". Serves loop.create_unix_server().
  virtual ListeningSocketPtr sock_listen_unix(const std::string& path, const ListenOptions& options);
  /// Takes ownership of a connected stream socket descriptor. ValueError
  /// (and the descriptor left alone) unless it is a SOCK_STREAM socket of
  /// `family` (0: any family). Serves loop.connect_accepted_socket() and
  /// the `sock` options of create_connection().
  virtual StreamSocketPtr sock_adopt(int fd, int family);
  /// Takes ownership of a bound (or listening) stream socket descriptor,
  /// checked as sock_adopt() does. Serves create_server()'s `sock` option.
  virtual ListeningSocketPtr sock_adopt_listener(int fd, int family, const ListenOptions& options);

  // ---- Subprocesses and pipes ----
  // The primitives below the loop's subprocess and pipe methods. Each
  // default raises NotImplementedError("<loop method> is not available on
  // <platform()>"): platforms without processes (WebAssembly, bare metal)
  // keep them. The types are nested so that this section stays one block.

  /// How one of a child's standard streams (0, 1, 2) is connected.
  /// Python: the stdin/stdout/stderr arguments of subprocess.Popen
  struct ChildStdio {
    enum class Kind : std::uint8_t {
      inherit,  ///< the parent's descriptor (Python: None)
      pipe,     ///< a new pipe; the parent's end comes back from spawn() (PIPE)
      devnull,  ///< /dev/null (DEVNULL)
      fd,       ///< the parent's descriptor `fd` (an int or a file)
      stdout_,  ///< stderr only: wherever the child's stdout goes (STDOUT)
    };
    Kind kind = Kind::inherit;
    int fd = -1;
  };

  /// What to run and how. Python: subprocess.Popen's arguments.
  struct SpawnOptions {
    /// The program: a path, or a name searched in PATH (of `env` if given).
    std::string file;
    /// argv, argv[0] included.
    std::vector<std::string> args;
    /// The environment ("NAME=value" each); std::nullopt inherits the parent's.
    std::optional<std::vector<std::string>> env;
    /// The child's working directory; std::nullopt: the parent's.
    std::optional<std::string> cwd;
    /// stdin, stdout, stderr.
    ChildStdio stdio[3];
    /// Descriptors the child inherits under the same numbers (besides 0-2).
    std::vector<int> pass_fds;
    /// setsid() in the child.
    bool start_new_session = false;
  };

  /// What a child process reports to its owner (a subprocess transport),
  /// inside Backend::poll().
  class ChildProcessEvents {
   public:
    /// The child ended (it has been reaped): `returncode` is the exit status,
    /// or -N when signal N killed it (Python's Popen.returncode).
    virtual void on_exit(int returncode) noexcept = 0;
    /// The backend is closing (its loop is closing): a child still running
    /// has been killed and reaped; no event follows.
    virtual void on_detached() noexcept = 0;

   protected:
    ~ChildProcessEvents() = default;
  };

  /// A child process, owned through ChildProcessPtr.
  class ChildProcess {
   public:
    /// The child's process id.
    virtual int pid() const noexcept = 0;
    /// Sends signal `sig`; ESRCH once the child has been reaped.
    virtual std::error_code send_signal(int sig) noexcept = 0;
    /// Routes events to `events` (nullptr: drop them).
    virtual void set_events(ChildProcessEvents* events) noexcept = 0;
    /// Lets go of the child: no event follows. A child still running is
    /// killed (SIGKILL) and reaped, never left a zombie. Called by ChildProcessPtr.
    virtual void close() noexcept = 0;

   protected:
    ~ChildProcess() = default;
  };

  struct ChildProcessCloser {
    void operator()(ChildProcess* p) const noexcept { p->close(); }
  };
  using ChildProcessPtr = std::unique_ptr<ChildProcess, ChildProcessCloser>;

  /// What spawn() returns: the child and the parent's end of each pipe asked
  /// for (ChildStdio::Kind::pipe), indexed by child descriptor.
  struct SpawnedChild {
    ChildProcessPtr process;
    StreamSocketPtr pipes[3];
  };

  /// True if this backend implements spawn() and pipe_open().
  virtual bool supports_subprocesses() const noexcept { return false; }
  /// Starts a child as `options` say; reports to `events`. std::system_error
  /// naming the program if it cannot start (ENOENT, EACCES...). Serves
  /// loop.subprocess_exec() and loop.subprocess_shell().
  virtual SpawnedChild spawn(const SpawnOptions& options, ChildProcessEvents* events);
  /// Wraps pipe, FIFO, socket or character-device descriptor `fd` (taking
  /// ownership) as a stream: readable, or (`writable`) writable, where
  /// start_reading() of a write-only pipe watches for the reader going away
  /// (reported as on_eof()). ValueError (fd left alone) for other files.
  /// Serves loop.connect_read_pipe() and loop.connect_write_pipe().
  virtual StreamSocketPtr pipe_open(int fd, bool writable);

  // ---- Descriptors and datagrams (backend_io.hpp) ----
  /// Starts watching descriptor `fd`, reporting to `events` the readiness
  /// FdWatch::update() asks for. std::system_error if the platform refuses
  /// the descriptor (EBADF, EPERM for a regular file). Serves add_reader(),
  /// add_writer(), the sock_* coroutines and sendfile(). The default raises
  /// NotImplementedError("add_reader is not available on <platform()>").
  virtual FdWatchPtr watch_fd(int fd, FdWatchEvents* events);
  /// Takes ownership of datagram socket `fd` (SOCK_DGRAM of `family`,
  /// bound and/or connected already, non-blocking: the core checks).
  /// std::system_error if it cannot be wrapped (the descriptor is closed).
  /// Serves create_datagram_endpoint(); the default raises
  /// NotImplementedError naming it.
  virtual DatagramSocketPtr datagram_adopt(int fd, int family, int proto);

 protected:
  /// The loop this backend serves (set by attach()).
  EventLoop* event_loop_ = nullptr;
};

/// The backend new_event_loop() uses on this platform (libuv natively).
std::unique_ptr<Backend> make_default_backend();

}  // namespace asyncio
