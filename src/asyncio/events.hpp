// The event loop and the functions that find it. Python: asyncio.events and
// asyncio.base_events (BaseEventLoop), loop.* methods.
//
// The loop is portable: it owns the ready queue, the timer queue and the run
// iteration (BaseEventLoop._run_once), and delegates only waiting for I/O to
// its Backend. Ordering is therefore identical on every platform:
//   1. purge cancelled timers (lazily, as CPython does);
//   2. poll the backend: timeout 0 if anything is ready, else until the
//      earliest timer (at most 24 h), else until woken;
//   3. move due timers, in deadline order, to the end of the ready queue;
//   4. run exactly the entries that were ready at that moment, FIFO.
// Divergence: when callbacks are ready, the non-blocking I/O check of step 2
// runs every kPollInterval iterations instead of every iteration; a
// syscall per iteration would cost more than the iteration itself. Ordering
// among callbacks, timers and tasks is unchanged; I/O readiness is noticed a
// few iterations later under load. See docs/eventloop.md.
#pragma once

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "asyncio/backend.hpp"
#include "asyncio/contextvars.hpp"
#include "asyncio/coroutines.hpp"  // Coro, returned by the GCC 12 steering overloads defined here
#include "asyncio/detail/gcc12.hpp"
#include "asyncio/detail/ready_queue.hpp"
#include "asyncio/detail/source_location.hpp"
#include "asyncio/detail/timer_queue.hpp"
#include "asyncio/exceptions.hpp"
#include "asyncio/handles.hpp"

namespace asyncio {

template <class T>
class Future;
template <class T>
class Task;
template <class T>
class Coro;
class AnyTask;
class AnyCoro;
struct ExceptionContext;
class Executor;
class BaseProtocol;
class Transport;
class ReadTransport;
class WriteTransport;
class SubprocessTransport;
class Server;
class Socket;
class BaseTransport;
class DatagramTransport;
class DatagramProtocol;

namespace detail {
class TaskBase;
class FutureBase;
class LoopInternals;
class ClockHold;
inline TaskBase* current_task_base() noexcept;
struct FdTable;
}  // namespace detail

namespace testing {
class VirtualClock;
}  // namespace testing

/// Options of create_task(). Python: the keyword arguments of create_task().
struct TaskOptions {
  /// The task's name; "Task-<n>" when not given.
  std::optional<std::string> name{};
  /// The context every step of the task runs in; std::nullopt: a copy of
  /// the current context (Python 3.11+).
  std::optional<Context> context{};
  /// Run the coroutine's first step inside create_task() (Python 3.12+);
  /// std::nullopt uses the loop's task factory default (not eager).
  std::optional<bool> eager_start{};
};

/// Options of call_soon(), call_later(), call_at() and call_soon_threadsafe().
/// Python: their context= keyword argument
struct CallbackOptions {
  /// The context the callback runs in; std::nullopt: a copy of the current
  /// context, taken when the callback is scheduled.
  std::optional<Context> context{};
};

/// Makes the protocol of a new connection: create_server() calls it once per
/// accepted connection. Must return a Protocol or a BufferedProtocol.
/// Python: the protocol_factory argument
using ProtocolFactory = std::function<std::shared_ptr<BaseProtocol>()>;

namespace detail {
/// The std::shared_ptr<P> a protocol factory of type F returns.
template <class F>
using protocol_ptr = std::remove_cvref_t<std::invoke_result_t<F&>>;
}  // namespace detail

/// Options of getaddrinfo(): the hints. Python: its keyword arguments.
struct AddrInfoOptions {
  int family = 0;
  int type = 0;
  int proto = 0;
  int flags = 0;
};

/// Options of create_connection(). Python: its keyword arguments.
struct ConnectionOptions {
  /// Speak TLS with this context (asyncio::create_default_context() for
  /// Python's ssl=True). See docs/ssl.md.
  std::shared_ptr<SSLContext> ssl{};
  /// Address family to resolve the host for (0: any).
  int family = 0;
  int proto = 0;
  /// getaddrinfo() flags.
  int flags = 0;
  /// An already connected socket descriptor to use instead of host/port;
  /// the transport takes ownership. Divergence: a descriptor, not a
  /// socket object.
  std::optional<int> sock{};
  /// (host, port) to bind the socket to before connecting.
  std::optional<std::pair<std::string, int>> local_addr{};
  /// TLS: the name to send (SNI) and to check the certificate against
  /// (default: `host`; "" checks none).
  std::optional<std::string> server_hostname{};
  /// TLS: seconds to wait for the handshake (default 60).
  std::optional<double> ssl_handshake_timeout{};
  /// TLS: seconds to wait for the peer's close_notify (default 30).
  std::optional<double> ssl_shutdown_timeout{};
  /// Seconds to wait for a connection attempt before starting the next one
  /// in parallel (Happy Eyeballs, RFC 8305; 0.25 is the RFC's value).
  /// std::nullopt: attempts run one after another.
  std::optional<double> happy_eyeballs_delay{};
  /// Reorder addresses by family, this many of the first family first
  /// (default 1 when happy_eyeballs_delay is given, else 0).
  std::optional<int> interleave{};
  /// Raise an ExceptionGroup with every attempt's error when all fail.
  bool all_errors = false;
};

/// Options of create_server(). Python: its keyword arguments.
struct ServerOptions {
  /// Address family to resolve the hosts for (0: AF_UNSPEC).
  int family = 0;
  /// getaddrinfo() flags, added to AI_PASSIVE. Divergence: Python's default
  /// is flags=AI_PASSIVE and passing flags replaces it.
  int flags = 0;
  /// An already bound socket descriptor to serve on instead of host/port;
  /// the server takes ownership.
  std::optional<int> sock{};
  /// listen() backlog; also the most connections accepted per readiness.
  int backlog = 100;
  /// Serve TLS with this context (a PROTOCOL_TLS_SERVER one).
  std::shared_ptr<SSLContext> ssl{};
  /// SO_REUSEADDR (default: true on Unix, as in Python).
  std::optional<bool> reuse_address{};
  /// SO_REUSEPORT.
  std::optional<bool> reuse_port{};
  /// SO_KEEPALIVE.
  std::optional<bool> keep_alive{};
  /// TLS: seconds to wait for each handshake (default 60).
  std::optional<double> ssl_handshake_timeout{};
  /// TLS: seconds to wait for each peer's close_notify (default 30).
  std::optional<double> ssl_shutdown_timeout{};
  /// Start accepting at once (else: Server::start_serving()).
  bool start_serving = true;
};

/// Options of create_unix_connection(). Python: its keyword arguments.
struct UnixConnectionOptions {
  /// Speak TLS with this context (server_hostname is then required).
  std::shared_ptr<SSLContext> ssl{};
  /// An already connected AF_UNIX socket descriptor instead of a path.
  std::optional<int> sock{};
  std::optional<std::string> server_hostname{};
  std::optional<double> ssl_handshake_timeout{};
  std::optional<double> ssl_shutdown_timeout{};
};

/// Options of create_unix_server(). Python: its keyword arguments.
struct UnixServerOptions {
  /// An already bound AF_UNIX socket descriptor instead of a path.
  std::optional<int> sock{};
  int backlog = 100;
  /// Serve TLS with this context.
  std::shared_ptr<SSLContext> ssl{};
  std::optional<double> ssl_handshake_timeout{};
  std::optional<double> ssl_shutdown_timeout{};
  bool start_serving = true;
  /// Remove the socket file when the server closes (unless it was
  /// replaced meanwhile). Python 3.13+.
  bool cleanup_socket = true;
};

/// Options of connect_accepted_socket(). Python: its keyword arguments.
struct AcceptedSocketOptions {
  /// Serve TLS on the accepted connection with this (server) context.
  std::shared_ptr<SSLContext> ssl{};
  std::optional<double> ssl_handshake_timeout{};
  std::optional<double> ssl_shutdown_timeout{};
};

/// How a child's standard stream is connected: asyncio::subprocess::PIPE,
/// DEVNULL, STDOUT (stderr only), a descriptor of the parent (an int), or
/// Stdio{} to inherit the parent's (Python: None).
/// Python: the stdin/stdout/stderr arguments of subprocess_exec()
struct Stdio {
  using Kind = Backend::ChildStdio::Kind;
  Kind kind = Kind::inherit;
  int fd = -1;

  constexpr Stdio() = default;
  constexpr explicit Stdio(Kind k) : kind(k) {}
  /// The parent's descriptor `descriptor`, which the child inherits.
  constexpr Stdio(int descriptor) : kind(Kind::fd), fd(descriptor) {}  // NOLINT(google-explicit-constructor)
  friend constexpr bool operator==(const Stdio&, const Stdio&) = default;
};

namespace subprocess {
/// A new pipe to the child. Python: asyncio.subprocess.PIPE
inline constexpr Stdio PIPE{Stdio::Kind::pipe};
/// stderr only: to wherever stdout goes. Python: asyncio.subprocess.STDOUT
inline constexpr Stdio STDOUT{Stdio::Kind::stdout_};
/// /dev/null. Python: asyncio.subprocess.DEVNULL
inline constexpr Stdio DEVNULL{Stdio::Kind::devnull};
}  // namespace subprocess

/// Options of subprocess_exec() and subprocess_shell(). Python: their
/// keyword arguments (subprocess.Popen's). Divergence: std_in/std_out/
/// std_err, since stdin/stdout/stderr are C macros; close_fds is not offered
/// (libuv cannot close inherited descriptors: see docs/subprocess.md).
struct SubprocessOptions {
  Stdio std_in = subprocess::PIPE;
  Stdio std_out = subprocess::PIPE;
  Stdio std_err = subprocess::PIPE;
  /// The child's working directory.
  std::optional<std::string> cwd{};
  /// The child's whole environment; std::nullopt inherits the parent's.
  std::optional<std::vector<std::pair<std::string, std::string>>> env{};
  /// The program to run instead of args[0] (args[0] is still its argv[0]).
  std::optional<std::string> executable{};
  /// Descriptors the child keeps, under the same numbers.
  std::vector<int> pass_fds{};
  /// Run the child in a new session (setsid()).
  bool start_new_session = false;
};

/// Makes the protocol of a datagram endpoint. Python: the protocol_factory
/// argument of create_datagram_endpoint()
using DatagramProtocolFactory = std::function<std::shared_ptr<DatagramProtocol>()>;

/// Options of create_datagram_endpoint(). Python: its keyword arguments.
/// Divergence: an AF_UNIX endpoint's addresses are local_path/remote_path
/// (Python passes a str as local_addr/remote_addr); reuse_address, removed
/// in Python 3.11, does not exist.
struct DatagramEndpointOptions {
  /// (host, port) to bind to (AF_INET, AF_INET6).
  std::optional<std::pair<std::string, int>> local_addr{};
  /// (host, port) to connect to: sendto() then needs no address.
  std::optional<std::pair<std::string, int>> remote_addr{};
  /// AF_UNIX: the socket file to bind to (a stale socket file is removed first).
  std::optional<std::string> local_path{};
  /// AF_UNIX: the socket to connect to.
  std::optional<std::string> remote_path{};
  /// Address family (0: from the addresses).
  int family = 0;
  int proto = 0;
  /// getaddrinfo() flags.
  int flags = 0;
  /// SO_REUSEPORT (ValueError where the platform lacks it).
  std::optional<bool> reuse_port{};
  /// SO_BROADCAST; with remote_addr the socket is not connected.
  std::optional<bool> allow_broadcast{};
  /// An existing SOCK_DGRAM socket descriptor to use (the transport takes
  /// ownership); no other option may be given with it.
  std::optional<int> sock{};
};

/// Options of start_tls(). Python: its keyword arguments.
struct StartTLSOptions {
  /// Act as the TLS server (else the client).
  bool server_side = false;
  /// The name to send (SNI) and to check the server's certificate against.
  std::optional<std::string> server_hostname{};
  /// Seconds to wait for the handshake (default 60) before aborting.
  std::optional<double> ssl_handshake_timeout{};
  /// Seconds to wait for the peer's close_notify (default 30).
  std::optional<double> ssl_shutdown_timeout{};
};

/// Receives what an exception handler would: the loop and the context.
/// Python: the handler given to loop.set_exception_handler()
using ExceptionHandler = std::function<void(EventLoop& loop, const ExceptionContext& context)>;

/// Creates the task for a coroutine; see make_task() for the default.
/// Python: the factory given to loop.set_task_factory()
using TaskFactory = std::function<AnyTask(EventLoop& loop, AnyCoro coro, const TaskOptions& options)>;

/// An event loop. Create one with new_event_loop(), or let run()/Runner do
/// it. Not thread-safe: besides call_soon_threadsafe() (and the thread-safe
/// helpers built on it), use a loop only from the thread running it.
/// Python: asyncio.AbstractEventLoop / BaseEventLoop / asyncio.EventLoop
class EventLoop : public std::enable_shared_from_this<EventLoop> {
 public:
  /// A loop waiting for I/O through `backend`.
  explicit EventLoop(std::unique_ptr<Backend> backend);
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  /// Closes the loop if the owner did not.
  virtual ~EventLoop();

  // ---- Running and stopping the loop ----

  /// Runs until stop() is called. RuntimeError if the loop is closed or
  /// already running, or another loop is running in this thread.
  /// Python: loop.run_forever()
  void run_forever();

  /// Wraps `coro` in a task, runs the loop until the task is done and
  /// returns its result (or rethrows its exception). RuntimeError as
  /// run_forever(), and "Event loop stopped before Future completed." if
  /// stop() ended the loop first. Python: loop.run_until_complete()
  template <class T>
  T run_until_complete(Coro<T> coro);
  /// Runs the loop until `future` is done; returns its result.
  template <class T>
  T run_until_complete(Future<T> future);

  /// Stops run_forever() after the callbacks of the current iteration.
  /// Python: loop.stop()
  void stop() noexcept { stopping_ = true; }
  /// Python: loop.is_running()
  bool is_running() const noexcept { return running_; }
  /// Python: loop.is_closed()
  bool is_closed() const noexcept { return closed_.load(std::memory_order_relaxed); }
  /// Closes the loop: pending callbacks and timers are dropped, pending
  /// tasks' coroutines are destroyed (each reported as "Task was destroyed
  /// but it is pending!"). Idempotent. RuntimeError if running.
  /// Python: loop.close()
  void close();

  // ---- Scheduling callbacks ----

  /// Schedules `f(args...)` for the next iteration, after everything
  /// already scheduled (FIFO). RuntimeError if the loop is closed.
  /// Python: loop.call_soon(callback, *args)
  template <class F, class... Args>
  Handle call_soon(F&& f, Args&&... args) {
    check_open_for_scheduling();
    detail::HandleNode* node =
        detail::make_handle<detail::HandleNode::Kind::soon>(this, std::forward<F>(f), std::forward<Args>(args)...);
    node->set_context(detail::copy_current_context());
    node->add_ref();  // the returned Handle's reference; the queue keeps the first
    ready_.push(detail::ReadyQueue::entry(node));
    return Handle(node);
  }
  /// call_soon() running `f` in `options.context`.
  /// Python: loop.call_soon(callback, *args, context=ctx)
  template <class F, class... Args>
  // By value, not const&: a named (non-const) CallbackOptions must pick this overload, not the
  // (F&& f, Args&&...) one, which a const& parameter would lose to.
  // NOLINTNEXTLINE(performance-unnecessary-value-param)
  Handle call_soon(CallbackOptions options, F&& f, Args&&... args) {
    check_open_for_scheduling();
    detail::HandleNode* node =
        detail::make_handle<detail::HandleNode::Kind::soon>(this, std::forward<F>(f), std::forward<Args>(args)...);
    node->set_context(context_for(options));
    node->add_ref();
    ready_.push(detail::ReadyQueue::entry(node));
    return Handle(node);
  }

  /// call_soon() for other threads: safe to call from any thread (and wakes
  /// the loop if it is waiting). RuntimeError if the loop is closed.
  /// Python: loop.call_soon_threadsafe(callback, *args)
  template <class F, class... Args>
  Handle call_soon_threadsafe(F&& f, Args&&... args) {
    detail::HandleNode* node = detail::make_handle<detail::HandleNode::Kind::threadsafe>(
        this, std::forward<F>(f), std::forward<Args>(args)...);
    node->set_context(detail::copy_current_context());
    node->add_ref();
    push_threadsafe(node);  // releases both references and throws if closed
    return Handle(node);
  }
  /// call_soon_threadsafe() running `f` in `options.context`.
  /// Python: loop.call_soon_threadsafe(callback, *args, context=ctx)
  template <class F, class... Args>
  // By value, not const&: a named (non-const) CallbackOptions must pick this overload, not the
  // (F&& f, Args&&...) one, which a const& parameter would lose to.
  // NOLINTNEXTLINE(performance-unnecessary-value-param)
  Handle call_soon_threadsafe(CallbackOptions options, F&& f, Args&&... args) {
    detail::HandleNode* node = detail::make_handle<detail::HandleNode::Kind::threadsafe>(
        this, std::forward<F>(f), std::forward<Args>(args)...);
    node->set_context(context_for(options));
    node->add_ref();
    push_threadsafe(node);
    return Handle(node);
  }

  /// Schedules `f(args...)` to run after `delay` (zero or negative: at the
  /// next iteration, after I/O callbacks). Python: loop.call_later()
  template <class Rep, class Period, class F, class... Args>
  TimerHandle call_later(std::chrono::duration<Rep, Period> delay, F&& f, Args&&... args) {
    return call_at(time() + std::chrono::duration<double>(delay).count(), std::forward<F>(f),
                   std::forward<Args>(args)...);
  }
  /// As above, `delay` in seconds. ValueError if `delay` is NaN.
  template <class F, class... Args>
  TimerHandle call_later(double delay, F&& f, Args&&... args) {
    return call_at(time() + delay, std::forward<F>(f), std::forward<Args>(args)...);
  }

  /// Schedules `f(args...)` at loop time `when` (seconds, as time()).
  /// ValueError if `when` is NaN. Python: loop.call_at()
  template <class F, class... Args>
  TimerHandle call_at(double when, F&& f, Args&&... args) {
    detail::HandleNode* node = add_timer(when, std::forward<F>(f), std::forward<Args>(args)...);
    node->set_context(detail::copy_current_context());
    return TimerHandle(node);
  }
  /// call_later() running `f` in `options.context`.
  /// Python: loop.call_later(delay, callback, *args, context=ctx)
  template <class Rep, class Period, class F, class... Args>
  TimerHandle call_later(std::chrono::duration<Rep, Period> delay, CallbackOptions options, F&& f, Args&&... args) {
    return call_at(time() + std::chrono::duration<double>(delay).count(), std::move(options), std::forward<F>(f),
                   std::forward<Args>(args)...);
  }
  template <class F, class... Args>
  TimerHandle call_later(double delay, CallbackOptions options, F&& f, Args&&... args) {
    return call_at(time() + delay, std::move(options), std::forward<F>(f), std::forward<Args>(args)...);
  }
  /// call_at() running `f` in `options.context`.
  /// Python: loop.call_at(when, callback, *args, context=ctx)
  template <class F, class... Args>
  // By value, not const&: a named (non-const) CallbackOptions must pick this overload, not the
  // (F&& f, Args&&...) one, which a const& parameter would lose to.
  // NOLINTNEXTLINE(performance-unnecessary-value-param)
  TimerHandle call_at(double when, CallbackOptions options, F&& f, Args&&... args) {
    detail::ContextState* context = context_for(options);
    detail::HandleNode* node = nullptr;
    try {
      node = add_timer(when, std::forward<F>(f), std::forward<Args>(args)...);
    } catch (...) {
      if (context) context->release();
      throw;
    }
    node->set_context(context);
    return TimerHandle(node);
  }

  /// The loop's monotonic clock, in seconds (a virtual-time loop's own
  /// clock, see testing.hpp). Python: loop.time()
  double time() const noexcept {
    return virtual_now_ ? virtual_now_->load(std::memory_order_acquire) : backend_->time();
  }

  // ---- Futures and tasks ----

  /// A new pending future attached to this loop (in debug mode it records
  /// where it was created). Python: loop.create_future()
  template <class T = void>
  Future<T> create_future(detail::SourceLocation where = detail::SourceLocation::current());

  /// Wraps `coro` in a task scheduled to start on the next iteration (or at
  /// once, if eager). RuntimeError if the loop is closed.
  /// Python: loop.create_task(coro, *, name=None, eager_start=None)
  /// In debug mode the task records where it was created (`where`).
  template <class T>
  Task<T> create_task(Coro<T> coro, const TaskOptions& options,
                      detail::SourceLocation where = detail::SourceLocation::current());
  /// create_task() with default options (no TaskOptions to build: the
  /// common case stays cheap).
  template <class T>
  Task<T> create_task(Coro<T> coro, detail::SourceLocation where = detail::SourceLocation::current());

  /// Sets the factory create_task() uses; nullptr restores the default.
  /// Python: loop.set_task_factory()
  void set_task_factory(TaskFactory factory);  // out of line: AnyTask is incomplete here
  /// Python: loop.get_task_factory() (an empty function for the default)
  const TaskFactory& get_task_factory() const noexcept { return task_factory_; }

  // ---- Executors and threads (defined in threads.hpp / threads.cpp) ----

  /// Runs `f(args...)` in `executor` (nullptr: the default executor, a
  /// thread pool created on first use) and returns a future of its result.
  /// RuntimeError if the loop is closed, or for the default executor after
  /// shutdown_default_executor(); NotImplementedError on platforms without
  /// threads. Python: loop.run_in_executor(executor, func, *args)
  template <class F, class... Args>
  Future<std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>> run_in_executor(Executor* executor, F&& f,
                                                                                      Args&&... args);
  /// Makes `executor` the one run_in_executor(nullptr, ...) uses.
  /// TypeError if it is null. Python: loop.set_default_executor()
  void set_default_executor(std::shared_ptr<Executor> executor);
  /// Shuts the default executor down, waiting (in a helper thread) at most
  /// `timeout` seconds for its threads; later run_in_executor(nullptr, ...)
  /// calls raise RuntimeError. Python: loop.shutdown_default_executor()
  Coro<void> shutdown_default_executor(std::optional<double> timeout = std::nullopt);

  // ---- Error handling ----

  /// Sets the handler call_exception_handler() uses; nullptr restores the
  /// default. Python: loop.set_exception_handler()
  void set_exception_handler(ExceptionHandler handler) { exception_handler_ = std::move(handler); }
  /// Python: loop.get_exception_handler() (empty for the default)
  const ExceptionHandler& get_exception_handler() const noexcept { return exception_handler_; }
  /// Logs the context on the "asyncio" logger at ERROR, as CPython does.
  /// Python: loop.default_exception_handler()
  void default_exception_handler(const ExceptionContext& context);
  /// Calls the handler; errors raised by a custom handler are logged by the
  /// default one. Python: loop.call_exception_handler()
  void call_exception_handler(const ExceptionContext& context);

  // ---- Debug mode ----

  /// Python: loop.get_debug() (default: the ASYNCIO_DEBUG or
  /// PYTHONASYNCIODEBUG environment variable is set and non-empty)
  bool get_debug() const noexcept { return debug_; }
  /// Python: loop.set_debug()
  void set_debug(bool enabled) noexcept { debug_ = enabled; }
  /// In debug mode, callbacks running longer than this many seconds are
  /// logged. Python: loop.slow_callback_duration
  double slow_callback_duration = 0.1;
  /// Where new_event_loop() made this loop, if it did: named when a loop
  /// is destroyed unclosed in debug mode.
  std::optional<detail::SourceLocation> created_at{};

  // ---- Unix signals ----

  /// Calls `f(args...)`, as a loop callback, each time signal `sig` arrives;
  /// replaces an earlier handler for `sig`. ValueError for an invalid signal
  /// number; RuntimeError outside the main thread or for a signal that
  /// cannot be caught; NotImplementedError where there are no signals.
  /// Python: loop.add_signal_handler()  Platforms: Unix; Windows: SIGINT and
  /// SIGBREAK (console events), NotImplementedError for other signals.
  template <class F, class... Args>
  void add_signal_handler(int sig, F&& f, Args&&... args) {
    check_signal_handler_allowed(sig);
    Handle handle(detail::make_handle<detail::HandleNode::Kind::soon>(this, std::forward<F>(f),
                                                                       std::forward<Args>(args)...));
    install_signal_handler(sig, std::move(handle));
  }
  /// Removes the handler for `sig`; false if there was none. ValueError for
  /// an invalid signal number; NotImplementedError where there are no signals.
  /// Python: loop.remove_signal_handler()  Platforms: Unix
  bool remove_signal_handler(int sig);
  /// Backend entry point: signal `sig` arrived (called in the loop thread).
  void deliver_signal(int sig);

  // ---- Embedding: a host's main loop steps this loop ----

  /// Runs one iteration without waiting: checks I/O without blocking, then
  /// runs the callbacks and task steps that are due now, as one pass of
  /// run_forever() does. For a host that owns the main loop (a game or GUI
  /// loop, the JavaScript event loop) and steps this loop between its own
  /// work; the loop counts as running during the step, and only then.
  /// Returns false if stop() was called during the step. RuntimeError as
  /// run_forever(). See docs/extending.md.
  /// Python: none (one pass of BaseEventLoop._run_once with a zero timeout)
  bool run_step();
  /// Runs iterations as run_step() does, back to back, while callbacks are
  /// ready or timers are due, for up to `max_seconds` of the loop's clock
  /// (at least one iteration): a host's time slice, paid for once. The loop
  /// counts as running for the whole slice. Returns false if stop() was
  /// called (the slice ends with that iteration). RuntimeError as
  /// run_forever(). See docs/extending.md.
  /// Python: none (BaseEventLoop._run_once repeated with a zero timeout)
  bool run_steps(double max_seconds);
  /// Seconds until run_step() has something to run: 0 if callbacks are
  /// ready, the time until the earliest timer, or std::nullopt if nothing is
  /// scheduled (then only I/O or call_soon_threadsafe(), which calls the
  /// backend's wake(), can bring work).
  std::optional<double> time_until_next_step() const noexcept;

  // ---- Network (transports.hpp, server.hpp, base_events_net.cpp) ----
  // Each raises NotImplementedError("<method> is not available on
  // <platform>") at once on a backend without networking (WebAssembly).

  /// Resolves `host` and `port` (std::nullopt: None) to socket addresses,
  /// in a worker thread (numeric hosts at once). std::system_error in
  /// gai_category() when resolution fails. Python: loop.getaddrinfo()
  [[nodiscard]] Coro<std::vector<AddrInfo>> getaddrinfo(std::optional<std::string> host,
                                                        std::optional<std::string> port, AddrInfoOptions options = {});
  /// The same with a numeric port.
  [[nodiscard]] Coro<std::vector<AddrInfo>> getaddrinfo(std::optional<std::string> host, int port,
                                                        AddrInfoOptions options = {});
  /// Resolves `sockaddr` to (host, service) names. Python: loop.getnameinfo()
  [[nodiscard]] Coro<NameInfo> getnameinfo(SockAddr sockaddr, int flags = 0);

  /// Opens a TCP connection to `host`:`port`, trying every address
  /// getaddrinfo() gives (in parallel, staggered, with happy_eyeballs_delay)
  /// and returns the transport and the protocol `protocol_factory` made.
  /// Raises the connection error (std::system_error, "Connect call failed
  /// ('127.0.0.1', 1): Connection refused"), the resolution error, an
  /// ExceptionGroup with every error (all_errors), ValueError for
  /// inconsistent arguments. Python: loop.create_connection()
  template <class F>
  [[nodiscard]] Coro<std::pair<std::shared_ptr<Transport>, detail::protocol_ptr<F>>> create_connection(
      F&& protocol_factory, std::optional<std::string> host, std::optional<int> port, ConnectionOptions options = {});

  /// Listens on `port` of `host` (std::nullopt or "": every interface, one
  /// socket per address family; port 0: a free port per socket) and calls
  /// `protocol_factory` for each connection. std::system_error if a bind
  /// fails ("error while attempting to bind on address ...").
  /// Python: loop.create_server()
  [[nodiscard]] Coro<std::shared_ptr<Server>> create_server(ProtocolFactory protocol_factory,
                                                            std::optional<std::string> host,
                                                            std::optional<int> port, ServerOptions options = {});
  /// Listens on several hosts. Python: create_server() with a host sequence
  [[nodiscard]] Coro<std::shared_ptr<Server>> create_server(ProtocolFactory protocol_factory,
                                                            std::vector<std::string> hosts, std::optional<int> port,
                                                            ServerOptions options = {});

  /// Connects to the AF_UNIX socket at `path` (Linux: a path starting with
  /// '\0' is an abstract name). Python: loop.create_unix_connection()
  /// Platforms: Unix
  template <class F>
  [[nodiscard]] Coro<std::pair<std::shared_ptr<Transport>, detail::protocol_ptr<F>>> create_unix_connection(
      F&& protocol_factory, std::optional<std::string> path, UnixConnectionOptions options = {});
  /// Listens on the AF_UNIX socket `path` (a stale socket file is replaced;
  /// the file is removed when the server closes, unless cleanup_socket is
  /// false). Python: loop.create_unix_server()  Platforms: Unix
  [[nodiscard]] Coro<std::shared_ptr<Server>> create_unix_server(ProtocolFactory protocol_factory,
                                                                 std::optional<std::string> path,
                                                                 UnixServerOptions options = {});
  /// Wraps an accepted connection's descriptor `sock` in a transport (the
  /// transport owns it). Python: loop.connect_accepted_socket()
  template <class F>
  [[nodiscard]] Coro<std::pair<std::shared_ptr<Transport>, detail::protocol_ptr<F>>> connect_accepted_socket(
      F&& protocol_factory, int sock, AcceptedSocketOptions options = {});

  /// Upgrades an open connection to TLS (STARTTLS): `protocol` keeps
  /// receiving, now the plaintext, through the transport returned; the
  /// old transport must not be used any more. Completes once the handshake
  /// is done. TypeError if `sslcontext` is null or the transport cannot
  /// carry TLS; SSLError (SSLCertVerificationError, ...) if the handshake
  /// fails; ConnectionAbortedError after ssl_handshake_timeout.
  /// Python: loop.start_tls()
  [[nodiscard]] Coro<std::shared_ptr<Transport>> start_tls(std::shared_ptr<Transport> transport,
                                                           std::shared_ptr<BaseProtocol> protocol,
                                                           std::shared_ptr<SSLContext> sslcontext,
                                                           StartTLSOptions options = {});

  /// create_connection() with the protocol type erased (library use).
  [[nodiscard]] Coro<std::pair<std::shared_ptr<Transport>, std::shared_ptr<BaseProtocol>>> create_connection_erased(
      ProtocolFactory protocol_factory, std::optional<std::string> host, std::optional<int> port,
      ConnectionOptions options);
  /// create_unix_connection() with the protocol type erased (library use).
  [[nodiscard]] Coro<std::pair<std::shared_ptr<Transport>, std::shared_ptr<BaseProtocol>>>
  create_unix_connection_erased(ProtocolFactory protocol_factory, std::optional<std::string> path,
                                UnixConnectionOptions options);
  /// connect_accepted_socket() with the protocol type erased (library use).
  [[nodiscard]] Coro<std::pair<std::shared_ptr<Transport>, std::shared_ptr<BaseProtocol>>>
  connect_accepted_socket_erased(ProtocolFactory protocol_factory, int sock, AcceptedSocketOptions options);

  // ---- Pipes and subprocesses (subprocess.hpp, base_events_subprocess.cpp) ----
  // Each raises NotImplementedError("<method> is not available on
  // <platform>") at once where there are no child processes (WebAssembly,
  // bare metal).

  /// Wraps the read end of a pipe (or FIFO, socket, character device such as
  /// a pty) `pipe`, which the transport then owns, in a read transport
  /// feeding a Protocol. ValueError for a regular file.
  /// Python: loop.connect_read_pipe()  Platforms: POSIX
  template <class F>
  [[nodiscard]] Coro<std::pair<std::shared_ptr<ReadTransport>, detail::protocol_ptr<F>>> connect_read_pipe(
      F&& protocol_factory, int pipe);
  /// Wraps the write end `pipe` in a write transport (flow control as the
  /// socket transports). Python: loop.connect_write_pipe()  Platforms: POSIX
  template <class F>
  [[nodiscard]] Coro<std::pair<std::shared_ptr<WriteTransport>, detail::protocol_ptr<F>>> connect_write_pipe(
      F&& protocol_factory, int pipe);
  /// Runs program args[0] with `args`; the protocol (a SubprocessProtocol)
  /// gets the pipes' data. std::system_error naming the program if it
  /// cannot start; ValueError for empty args or bad stdio.
  /// Python: loop.subprocess_exec()
  template <class F>
  [[nodiscard]] Coro<std::pair<std::shared_ptr<SubprocessTransport>, detail::protocol_ptr<F>>> subprocess_exec(
      F&& protocol_factory, std::vector<std::string> args, SubprocessOptions options = {});
  /// Runs `cmd` with /bin/sh -c. Python: loop.subprocess_shell()
  template <class F>
  [[nodiscard]] Coro<std::pair<std::shared_ptr<SubprocessTransport>, detail::protocol_ptr<F>>> subprocess_shell(
      F&& protocol_factory, std::string cmd, SubprocessOptions options = {});
  /// The erased forms (library use).
  [[nodiscard]] Coro<std::pair<std::shared_ptr<ReadTransport>, std::shared_ptr<BaseProtocol>>>
  connect_read_pipe_erased(std::function<std::shared_ptr<BaseProtocol>()> protocol_factory, int pipe);
  [[nodiscard]] Coro<std::pair<std::shared_ptr<WriteTransport>, std::shared_ptr<BaseProtocol>>>
  connect_write_pipe_erased(std::function<std::shared_ptr<BaseProtocol>()> protocol_factory, int pipe);
  [[nodiscard]] Coro<std::pair<std::shared_ptr<SubprocessTransport>, std::shared_ptr<BaseProtocol>>>
  subprocess_exec_erased(std::function<std::shared_ptr<BaseProtocol>()> protocol_factory,
                         std::vector<std::string> args, SubprocessOptions options, bool shell);
  /// NotImplementedError("<method> is not available on <platform>") unless
  /// the backend has child processes and pipes (library use).
  void check_subprocesses(const char* method) const;

  // ---- Watching file descriptors (fd_watch.cpp) ----
  // Each raises NotImplementedError("<method> is not available on
  // <platform>") on a backend without descriptors (WebAssembly).

  /// Calls `f(args...)`, as a loop callback, whenever `fd` is readable, until
  /// remove_reader(fd); replaces (cancels) the reader already registered for
  /// `fd`. ValueError for a negative fd; RuntimeError if a transport of this
  /// loop uses `fd` ("File descriptor 7 is used by transport ...") or the
  /// loop is closed; std::system_error if the OS refuses it (EBADF; EPERM
  /// for a regular file, which cannot be polled). Python: loop.add_reader()
  /// Divergence: libuv switches `fd` to non-blocking mode.
  template <class F, class... Args>
  void add_reader(int fd, F&& f, Args&&... args) {
    (void)add_fd_callback(fd, true, Handle(detail::make_handle<detail::HandleNode::Kind::soon>(
                                        this, std::forward<F>(f), std::forward<Args>(args)...)));
  }
  /// Stops watching `fd` for reading; true if a reader was registered
  /// (false on a closed loop). RuntimeError as add_reader(). Python: loop.remove_reader()
  bool remove_reader(int fd);
  /// As add_reader(), for writability. Python: loop.add_writer()
  template <class F, class... Args>
  void add_writer(int fd, F&& f, Args&&... args) {
    (void)add_fd_callback(fd, false, Handle(detail::make_handle<detail::HandleNode::Kind::soon>(
                                         this, std::forward<F>(f), std::forward<Args>(args)...)));
  }
  /// As remove_reader(), for writing. Python: loop.remove_writer()
  bool remove_writer(int fd);

  // ---- Low-level socket operations (sock_lowlevel.cpp, sendfile.cpp) ----
  // `sock` must be non-blocking (ValueError "the socket must be
  // non-blocking" otherwise) and must outlive the operation. Divergence:
  // CPython checks the blocking mode only in debug mode; a blocking socket
  // would stall the loop, so it is checked always (the mode is cached).

  /// Receives up to `nbytes` ("" at end of stream). Python: loop.sock_recv()
  [[nodiscard]] Coro<std::string> sock_recv(Socket& sock, std::size_t nbytes);
  /// Receives into `buf`; returns the byte count. Python: loop.sock_recv_into()
  [[nodiscard]] Coro<std::size_t> sock_recv_into(Socket& sock, std::span<char> buf);
  /// Receives one datagram of at most `bufsize` bytes and its sender.
  /// Python: loop.sock_recvfrom()
  [[nodiscard]] Coro<std::pair<std::string, SockAddr>> sock_recvfrom(Socket& sock, std::size_t bufsize);
  /// Receives one datagram into `buf` (at most `nbytes`; 0: all of it).
  /// ValueError if nbytes exceeds the buffer. Python: loop.sock_recvfrom_into()
  [[nodiscard]] Coro<std::pair<std::size_t, SockAddr>> sock_recvfrom_into(Socket& sock, std::span<char> buf,
                                                                           std::size_t nbytes = 0);
  /// Sends all of `data` (kept alive by the caller until done); on error
  /// there is no telling how much was sent. Python: loop.sock_sendall()
  [[nodiscard]] Coro<void> sock_sendall(Socket& sock, std::string_view data);
  /// Sends one datagram to `address`; returns the bytes sent. Python: loop.sock_sendto()
  [[nodiscard]] Coro<std::size_t> sock_sendto(Socket& sock, std::string_view data, SockAddr address);
  /// Connects to `address`, resolving a host name for AF_INET/AF_INET6
  /// sockets first. std::system_error "Connect call failed ..." on failure.
  /// Python: loop.sock_connect()
  [[nodiscard]] Coro<void> sock_connect(Socket& sock, SockAddr address);
  /// Accepts a connection on listening `sock`: the new socket (non-blocking)
  /// and the peer's address. Python: loop.sock_accept()
  [[nodiscard]] Coro<std::pair<Socket, SockAddr>> sock_accept(Socket& sock);
  /// Sends `count` bytes (std::nullopt: to the end) of the open file
  /// descriptor `file` from `offset`, with the kernel's sendfile(2) when it
  /// can, else (fallback) by reading and sending; returns the bytes sent
  /// and leaves the file position after them. SendfileNotAvailableError if
  /// zero-copy is impossible and fallback is false; ValueError for a
  /// non-SOCK_STREAM socket, a negative offset or a zero count.
  /// Python: loop.sock_sendfile()  Divergence: `file` is a descriptor.
  [[nodiscard]] Coro<std::size_t> sock_sendfile(Socket& sock, int file, std::int64_t offset = 0,
                                                std::optional<std::size_t> count = std::nullopt, bool fallback = true);
  /// The same over a transport (TCP or Unix stream): waits for its write
  /// buffer to drain, pauses reading meanwhile, and respects flow control
  /// on the fallback path. RuntimeError if the transport is closing or is
  /// not a socket transport. Python: loop.sendfile()
  [[nodiscard]] Coro<std::size_t> sendfile(std::shared_ptr<Transport> transport, int file, std::int64_t offset = 0,
                                           std::optional<std::size_t> count = std::nullopt, bool fallback = true);

  // ---- Datagrams (datagram_transport.cpp) ----

  /// Opens a datagram endpoint (UDP over IPv4/IPv6, or AF_UNIX datagrams)
  /// and returns its transport and the protocol `protocol_factory` made.
  /// ValueError/TypeError for inconsistent options (CPython's messages),
  /// std::system_error when binding or connecting fails.
  /// Python: loop.create_datagram_endpoint()
  template <class F>
  [[nodiscard]] Coro<std::pair<std::shared_ptr<DatagramTransport>, detail::protocol_ptr<F>>> create_datagram_endpoint(
      F&& protocol_factory, DatagramEndpointOptions options = {});
  /// create_datagram_endpoint() with the protocol type erased (library use).
  [[nodiscard]] Coro<std::pair<std::shared_ptr<DatagramTransport>, std::shared_ptr<DatagramProtocol>>>
  create_datagram_endpoint_erased(DatagramProtocolFactory protocol_factory, DatagramEndpointOptions options);

#if ASYNCIO_GCC12_COROUTINE_BUGS
  // g++ < 13: a factory lambda with non-trivial captures, written inside
  // the co_await expression, is destroyed twice (checked: a use after free
  // of a captured shared_ptr in create_server() and create_connection()).
  // These overloads catch that temporary and warn (detail/gcc12.hpp); each
  // passes the factory on as a named value.
  template <class F>
    requires detail::gcc12_unsafe_temporary<F>
  [[deprecated(ASYNCIO_GCC12_TEMPORARY_WARNING)]] [[nodiscard]] Coro<std::shared_ptr<Server>> create_server(
      F&& protocol_factory, std::optional<std::string> host, std::optional<int> port, ServerOptions options = {}) {
    return create_server(ProtocolFactory(protocol_factory), std::move(host), port, std::move(options));
  }
  template <class F>
    requires detail::gcc12_unsafe_temporary<F>
  [[deprecated(ASYNCIO_GCC12_TEMPORARY_WARNING)]] [[nodiscard]] Coro<std::shared_ptr<Server>> create_server(
      F&& protocol_factory, std::vector<std::string> hosts, std::optional<int> port, ServerOptions options = {}) {
    return create_server(ProtocolFactory(protocol_factory), std::move(hosts), port, std::move(options));
  }
  template <class F>
    requires detail::gcc12_unsafe_temporary<F>
  [[deprecated(ASYNCIO_GCC12_TEMPORARY_WARNING)]] [[nodiscard]] Coro<std::shared_ptr<Server>> create_unix_server(
      F&& protocol_factory, std::optional<std::string> path, UnixServerOptions options = {}) {
    return create_unix_server(ProtocolFactory(protocol_factory), std::move(path), std::move(options));
  }
  template <class F>
    requires detail::gcc12_unsafe_temporary<F>
  [[deprecated(ASYNCIO_GCC12_TEMPORARY_WARNING)]] [[nodiscard]] Coro<
      std::pair<std::shared_ptr<Transport>, detail::protocol_ptr<F>>>
  create_connection(F&& protocol_factory, std::optional<std::string> host, std::optional<int> port,
                    ConnectionOptions options = {}) {
    return create_connection(protocol_factory, std::move(host), port, std::move(options));
  }
  template <class F>
    requires detail::gcc12_unsafe_temporary<F>
  [[deprecated(ASYNCIO_GCC12_TEMPORARY_WARNING)]] [[nodiscard]] Coro<
      std::pair<std::shared_ptr<Transport>, detail::protocol_ptr<F>>>
  create_unix_connection(F&& protocol_factory, std::optional<std::string> path, UnixConnectionOptions options = {}) {
    return create_unix_connection(protocol_factory, std::move(path), std::move(options));
  }
  template <class F>
    requires detail::gcc12_unsafe_temporary<F>
  [[deprecated(ASYNCIO_GCC12_TEMPORARY_WARNING)]] [[nodiscard]] Coro<
      std::pair<std::shared_ptr<Transport>, detail::protocol_ptr<F>>>
  connect_accepted_socket(F&& protocol_factory, int sock, AcceptedSocketOptions options = {}) {
    return connect_accepted_socket(protocol_factory, sock, std::move(options));
  }
  template <class F>
    requires detail::gcc12_unsafe_temporary<F>
  [[deprecated(ASYNCIO_GCC12_TEMPORARY_WARNING)]] [[nodiscard]] Coro<
      std::pair<std::shared_ptr<ReadTransport>, detail::protocol_ptr<F>>>
  connect_read_pipe(F&& protocol_factory, int pipe) {
    return connect_read_pipe(protocol_factory, pipe);
  }
  template <class F>
    requires detail::gcc12_unsafe_temporary<F>
  [[deprecated(ASYNCIO_GCC12_TEMPORARY_WARNING)]] [[nodiscard]] Coro<
      std::pair<std::shared_ptr<WriteTransport>, detail::protocol_ptr<F>>>
  connect_write_pipe(F&& protocol_factory, int pipe) {
    return connect_write_pipe(protocol_factory, pipe);
  }
  template <class F>
    requires detail::gcc12_unsafe_temporary<F>
  [[deprecated(ASYNCIO_GCC12_TEMPORARY_WARNING)]] [[nodiscard]] Coro<
      std::pair<std::shared_ptr<SubprocessTransport>, detail::protocol_ptr<F>>>
  subprocess_exec(F&& protocol_factory, std::vector<std::string> args, SubprocessOptions options = {}) {
    return subprocess_exec(protocol_factory, std::move(args), std::move(options));
  }
  template <class F>
    requires detail::gcc12_unsafe_temporary<F>
  [[deprecated(ASYNCIO_GCC12_TEMPORARY_WARNING)]] [[nodiscard]] Coro<
      std::pair<std::shared_ptr<SubprocessTransport>, detail::protocol_ptr<F>>>
  subprocess_shell(F&& protocol_factory, std::string cmd, SubprocessOptions options = {}) {
    return subprocess_shell(protocol_factory, std::move(cmd), std::move(options));
  }
  template <class F>
    requires detail::gcc12_unsafe_temporary<F>
  [[deprecated(ASYNCIO_GCC12_TEMPORARY_WARNING)]] [[nodiscard]] Coro<
      std::pair<std::shared_ptr<DatagramTransport>, detail::protocol_ptr<F>>>
  create_datagram_endpoint(F&& protocol_factory, DatagramEndpointOptions options = {}) {
    return create_datagram_endpoint(protocol_factory, std::move(options));
  }
#endif

  /// Library use: watch `fd` with callback handle `handle` (read or write);
  /// returns the handle. Checks as add_reader() does.
  Handle add_fd_callback(int fd, bool read, Handle handle);
  /// Library use: remove_reader()/remove_writer() without the transport check.
  bool remove_fd_callback(int fd, bool read);
  /// Library use: transports record the descriptor they own, so that
  /// add_reader() and friends refuse it (Python: loop._transports).
  void register_transport_fd(int fd, const BaseTransport* transport);
  void unregister_transport_fd(int fd, const BaseTransport* transport) noexcept;
  /// Library use: RuntimeError if a transport that is not closing uses `fd`.
  void ensure_fd_no_transport(int fd) const;
  /// Library use: queues an existing handle (an I/O callback) to run in
  /// this iteration's callback phase, as _process_events does.
  void push_handle(const Handle& handle);

  // ---- Platform ----

  /// The backend this loop waits for I/O with.
  Backend& backend() noexcept { return *backend_; }

 private:
  // The library's scheduler hooks (tasks, futures, timeouts, backends) reach
  // these through detail::internals(loop) (detail/loop_internals.hpp): they
  // are not part of the asyncio API. Third-party task implementations use
  // the documented hooks of task_hooks.hpp instead.
  friend class detail::LoopInternals;
  friend class detail::ClockHold;
  friend detail::TaskBase* detail::current_task_base() noexcept;
  friend class testing::VirtualClock;

  /// Runs one iteration (BaseEventLoop._run_once), waiting for I/O at most
  /// `max_wait` seconds (negative: as long as the loop has nothing else to
  /// do). Used by run_forever() and run_step().
  void run_once(double max_wait = -1);
  /// call_at() returning the timer node with one reference for the caller.
  template <class F, class... Args>
  detail::HandleNode* add_timer(double when, F&& f, Args&&... args) {
    check_open_for_scheduling();
    if (std::isnan(when)) throw ValueError("Invalid time: NaN (not a number)");
    detail::HandleNode* node =
        detail::make_handle<detail::HandleNode::Kind::timer>(this, std::forward<F>(f), std::forward<Args>(args)...);
    node->set_when(when);
    node->add_ref();
    schedule_timer(node);  // the timer queue keeps the first reference
    return node;
  }
  /// Queues a task's next step. RuntimeError if the loop is closed.
  void push_task(detail::TaskBase* task) {
    if (is_closed()) throw_closed();
    ready_.push(detail::ReadyQueue::entry(task));
  }
  /// Queues an entry its owner keeps alive (a done callback that needs no
  /// allocation, see detail/child_node.hpp); the loop calls its run() or,
  /// if closed first, its discard(), once. RuntimeError if the loop is closed.
  void push_runnable(detail::Runnable* entry) {
    if (is_closed()) throw_closed();
    ready_.push(detail::ReadyQueue::entry(entry));
  }
  /// The default executor, if one was created or set (threads.hpp).
  Executor* default_executor() const noexcept { return default_executor_.get(); }
  detail::TaskBase* current_task() const noexcept { return current_task_; }
  // Inline: they run twice per task step; the checks' errors are cold.
  void enter_task(detail::TaskBase* task) {
    if (current_task_ != nullptr) [[unlikely]]
      throw_enter_task(task);
    current_task_ = task;
  }
  void leave_task(detail::TaskBase* task) {
    if (current_task_ != task) [[unlikely]]
      throw_leave_task(task);
    current_task_ = nullptr;
  }
  [[noreturn]] void throw_enter_task(detail::TaskBase* task) const;
  [[noreturn]] void throw_leave_task(detail::TaskBase* task) const;
  detail::TaskBase* swap_current_task(detail::TaskBase* task) noexcept {
    detail::TaskBase* prev = current_task_;
    current_task_ = task;
    return prev;
  }
  void register_task(detail::TaskBase* task) noexcept;
  void unregister_task(detail::TaskBase* task) noexcept;
  std::vector<AnyTask> pending_tasks() const;
  /// The context slot of the task step or callback running now, or null.
  detail::ContextState** running_context_slot() const noexcept;  // contextvars.cpp
  void note_timer_cancelled() noexcept { ++timer_cancelled_count_; }
  std::size_t scheduled_timer_count() const noexcept { return timers_.size(); }
  /// The deadline of the earliest scheduled timer (cancelled ones included
  /// until purged), if any.
  std::optional<double> next_deadline() const noexcept {
    if (timers_.empty()) return std::nullopt;
    return timers_.top_when();
  }
  std::size_t ready_count() const noexcept { return ready_.size(); }
  void check_open_for_scheduling() {
    if (is_closed()) throw_closed();
    if (debug_) check_thread();
  }
  /// RuntimeError unless the loop can start running in this thread.
  void check_runnable() const;
  /// Both create_task()s: `options` null means the defaults.
  template <class T>
  Task<T> create_task_with(Coro<T>&& coro, const TaskOptions* options, detail::SourceLocation where);
  [[noreturn]] static void throw_closed();
  /// The context a callback scheduled with `options` runs in: a reference
  /// for the handle (null: an empty context).
  static detail::ContextState* context_for(const CallbackOptions& options) {
    if (!options.context) return detail::copy_current_context();
    options.context->state()->add_ref();
    return options.context->state();
  }

  /// A result is due from another thread (an executor job, a DNS lookup):
  /// a virtual clock must not jump ahead of it. Counted; release once each.
  void hold_clock() noexcept { ++clock_holds_; }
  void release_clock() noexcept { --clock_holds_; }
  /// Makes a waiting poll return (any thread); nothing if the loop is closed.
  void wake_threadsafe() noexcept;

  /// Iterations between non-blocking I/O checks while callbacks are ready.
  static constexpr int kPollInterval = 64;

  /// NotImplementedError("<method> is not available on <platform>") unless
  /// the backend supports networking (library use).
  void check_network(const char* method) const;
  void schedule_timer(detail::HandleNode* node);
  void push_threadsafe(detail::HandleNode* node);
  void wait_virtual(double timeout);  // testing.cpp
  void drain_threadsafe();
  void check_thread() const;
  void check_signal_handler_allowed(int sig) const;
  void install_signal_handler(int sig, Handle handle);
  void run_forever_setup();
  void run_forever_cleanup() noexcept;
  void purge_cancelled_timers() {
    if (!timers_.empty()) purge_cancelled_timers_slow();  // per iteration: no call while no timer exists
  }
  void purge_cancelled_timers_slow();
  void run_ready(std::size_t ntodo);
  void run_ready_debug(std::size_t ntodo);
  void run_until_complete_base(detail::FutureBase& future, bool own_task);
  Executor& default_executor_for_run();  // threads.cpp
  void shutdown_default_executor_nowait() noexcept;  // threads.cpp

  detail::ReadyQueue ready_;
  detail::TimerQueue timers_;
  std::size_t timer_cancelled_count_ = 0;
  detail::TaskBase* current_task_ = nullptr;
  detail::ReadyQueue::Entry running_entry_ = 0;  // what run_ready() runs now, 0 between entries
  detail::TaskBase* tasks_head_ = nullptr;  // pending tasks (intrusive list)
  std::unique_ptr<Backend> backend_;
  ExceptionHandler exception_handler_;
  TaskFactory task_factory_;
  std::atomic<bool> closed_{false};
  bool running_ = false;
  bool stopping_ = false;
  bool debug_ = false;
  int poll_countdown_ = kPollInterval;
  std::thread::id thread_id_;
  std::vector<std::pair<int, Handle>> signal_handlers_;
  std::shared_ptr<Executor> default_executor_;
  bool executor_shutdown_called_ = false;
  // A virtual-time loop's clock (testing.hpp); time() reads virtual_now_.
  std::shared_ptr<testing::VirtualClock> virtual_clock_;
  const std::atomic<double>* virtual_now_ = nullptr;
  std::size_t clock_holds_ = 0;
  // add_reader()/add_writer() registrations and transports' descriptors (fd_watch.cpp).
  std::unique_ptr<detail::FdTable> fd_table_;
  void close_fd_table() noexcept;

  // call_soon_threadsafe() inbox, drained by the loop thread.
  std::mutex inbox_mutex_;
  std::vector<detail::HandleNode*> inbox_;
  std::atomic<bool> inbox_nonempty_{false};
};

/// The loop running in this thread. RuntimeError("no running event loop")
/// if none. Python: asyncio.get_running_loop()
EventLoop& get_running_loop();

/// The running loop, else the loop set for this thread by
/// set_event_loop(); RuntimeError if neither (Python 3.14 behaviour).
/// Python: asyncio.get_event_loop()
EventLoop& get_event_loop();

/// Makes `loop` this thread's current loop (nullptr clears it).
/// Python: asyncio.set_event_loop()
void set_event_loop(std::shared_ptr<EventLoop> loop);

/// A new loop on the platform's default backend (not made current); it
/// remembers `where` it was created for the debug-mode "unclosed event
/// loop" report. Python: asyncio.new_event_loop()
std::shared_ptr<EventLoop> new_event_loop(detail::SourceLocation where = detail::SourceLocation::current());

/// Decides what get_event_loop(), set_event_loop() and new_event_loop() do.
/// Python: asyncio.AbstractEventLoopPolicy (deprecated since 3.14, like the
/// whole policy system; prefer run(..., {.loop_factory = ...})).
class AbstractEventLoopPolicy {
 public:
  virtual ~AbstractEventLoopPolicy() = default;
  /// This context's current loop; RuntimeError if there is none.
  virtual EventLoop& get_event_loop() = 0;
  /// Sets (or, with nullptr, clears) this context's current loop.
  virtual void set_event_loop(std::shared_ptr<EventLoop> loop) = 0;
  /// A new loop, not made current.
  virtual std::shared_ptr<EventLoop> new_event_loop() = 0;
};

/// One current loop per thread, new loops on the platform's default backend.
/// Python: asyncio.DefaultEventLoopPolicy
class DefaultEventLoopPolicy : public AbstractEventLoopPolicy {
 public:
  EventLoop& get_event_loop() override;
  void set_event_loop(std::shared_ptr<EventLoop> loop) override;
  std::shared_ptr<EventLoop> new_event_loop() override;
};

/// The process-wide policy (a DefaultEventLoopPolicy until one is set).
/// Python: asyncio.get_event_loop_policy()
AbstractEventLoopPolicy& get_event_loop_policy();
/// Sets the process-wide policy; nullptr restores the default.
/// Python: asyncio.set_event_loop_policy()
void set_event_loop_policy(std::shared_ptr<AbstractEventLoopPolicy> policy);

/// The running loop of this thread, or nullptr. Python: asyncio._get_running_loop()
EventLoop* _get_running_loop() noexcept;
/// Python: asyncio._set_running_loop()
void _set_running_loop(EventLoop* loop) noexcept;

namespace detail {
inline thread_local EventLoop* tls_running_loop = nullptr;

/// The running loop's current task, or nullptr.
inline TaskBase* current_task_base() noexcept {
  EventLoop* loop = tls_running_loop;
  return loop ? loop->current_task() : nullptr;
}
/// The running loop's current task; RuntimeError if there is none (an
/// awaiter used outside a task).
TaskBase& require_current_task(const char* what);

/// Holds `loop`'s virtual clock while alive (EventLoop::hold_clock()): a
/// local of a coroutine awaiting a result from another thread.
class ClockHold {
 public:
  explicit ClockHold(EventLoop& loop) noexcept : loop_(&loop) { loop.hold_clock(); }
  ClockHold(const ClockHold&) = delete;
  ClockHold& operator=(const ClockHold&) = delete;
  ~ClockHold() { loop_->release_clock(); }

 private:
  EventLoop* loop_;
};
}  // namespace detail

}  // namespace asyncio
