// The event loop and the functions that find it. Python: asyncio.events and
// asyncio.base_events (BaseEventLoop), loop.* methods.
//
// The loop is portable: it owns the ready queue, the timer heap and the run
// iteration (BaseEventLoop._run_once), and delegates only waiting for I/O to
// its Backend. Ordering is therefore identical on every platform:
//   1. purge cancelled timers (lazily, as CPython does);
//   2. poll the backend: timeout 0 if anything is ready, else until the
//      earliest timer (at most 24 h), else until woken;
//   3. move due timers, in heap order, to the end of the ready queue;
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
#include "asyncio/detail/ready_queue.hpp"
#include "asyncio/detail/timer_heap.hpp"
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
class Server;

namespace detail {
class TaskBase;
class FutureBase;
}  // namespace detail

/// Options of create_task(). Python: the keyword arguments of create_task().
struct TaskOptions {
  /// The task's name; "Task-<n>" when not given.
  std::optional<std::string> name{};
  /// Run the coroutine's first step inside create_task() (Python 3.12+);
  /// std::nullopt uses the loop's task factory default (not eager).
  std::optional<bool> eager_start{};
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
  /// Reserved for TLS (not implemented: NotImplementedError when set).
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
  /// TLS only (reserved).
  std::optional<std::string> server_hostname{};
  /// TLS only (reserved).
  std::optional<double> ssl_handshake_timeout{};
  /// TLS only (reserved).
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
  /// Reserved for TLS (not implemented: NotImplementedError when set).
  std::shared_ptr<SSLContext> ssl{};
  /// SO_REUSEADDR (default: true on Unix, as in Python).
  std::optional<bool> reuse_address{};
  /// SO_REUSEPORT.
  std::optional<bool> reuse_port{};
  /// SO_KEEPALIVE.
  std::optional<bool> keep_alive{};
  /// TLS only (reserved).
  std::optional<double> ssl_handshake_timeout{};
  /// TLS only (reserved).
  std::optional<double> ssl_shutdown_timeout{};
  /// Start accepting at once (else: Server::start_serving()).
  bool start_serving = true;
};

/// Options of create_unix_connection(). Python: its keyword arguments.
struct UnixConnectionOptions {
  /// Reserved for TLS (not implemented: NotImplementedError when set).
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
  /// Reserved for TLS (not implemented: NotImplementedError when set).
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
  /// Reserved for TLS (not implemented: NotImplementedError when set).
  std::shared_ptr<SSLContext> ssl{};
  std::optional<double> ssl_handshake_timeout{};
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
    node->add_ref();  // the returned Handle's reference; the queue keeps the first
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
    node->add_ref();
    push_threadsafe(node);  // releases both references and throws if closed
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
    return TimerHandle(add_timer(when, std::forward<F>(f), std::forward<Args>(args)...));
  }

  /// The loop's monotonic clock, in seconds. Python: loop.time()
  double time() const noexcept { return backend_->time(); }

  // ---- Futures and tasks ----

  /// A new pending future attached to this loop. Python: loop.create_future()
  template <class T = void>
  Future<T> create_future();

  /// Wraps `coro` in a task scheduled to start on the next iteration (or at
  /// once, if eager). RuntimeError if the loop is closed.
  /// Python: loop.create_task(coro, *, name=None, eager_start=None)
  template <class T>
  Task<T> create_task(Coro<T> coro, TaskOptions options = {});

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

  // ---- Unix signals ----

  /// Calls `f(args...)`, as a loop callback, each time signal `sig` arrives;
  /// replaces an earlier handler for `sig`. ValueError for an invalid signal
  /// number; RuntimeError outside the main thread or for a signal that
  /// cannot be caught; NotImplementedError where there are no signals.
  /// Python: loop.add_signal_handler()  Platforms: Unix
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
  /// Seconds until run_step() has something to run: 0 if callbacks are
  /// ready, the time until the earliest timer, or std::nullopt if nothing is
  /// scheduled (then only I/O or call_soon_threadsafe(), which calls the
  /// backend's wake(), can bring work).
  std::optional<double> time_until_next_step() const noexcept;
  /// Runs iterations as run_step() does, back to back, while callbacks are
  /// ready now and `keep_going()` returns true (it is asked after each
  /// iteration): a host's time slice, without run_step()'s entry and exit
  /// costs on every iteration. Returns false if stop() was called.
  /// RuntimeError as run_forever().
  template <class KeepGoing>
  bool run_steps(KeepGoing&& keep_going);

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
      F protocol_factory, std::optional<std::string> host, std::optional<int> port, ConnectionOptions options = {});

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
      F protocol_factory, std::optional<std::string> path, UnixConnectionOptions options = {});
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
      F protocol_factory, int sock, AcceptedSocketOptions options = {});

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
  /// NotImplementedError("<method> is not available on <platform>") unless
  /// the backend supports networking (library use).
  void check_network(const char* method) const;

  // ---- Platform ----

  /// The backend this loop waits for I/O with.
  Backend& backend() noexcept { return *backend_; }

  // ---- Library internals (not part of the asyncio API) ----

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
    schedule_timer(node);  // the heap keeps the first reference
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
  void enter_task(detail::TaskBase* task);
  void leave_task(detail::TaskBase* task);
  detail::TaskBase* swap_current_task(detail::TaskBase* task) noexcept {
    detail::TaskBase* prev = current_task_;
    current_task_ = task;
    return prev;
  }
  void register_task(detail::TaskBase* task) noexcept;
  void unregister_task(detail::TaskBase* task) noexcept;
  std::vector<AnyTask> pending_tasks() const;
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
  [[noreturn]] static void throw_closed();

  /// Iterations between non-blocking I/O checks while callbacks are ready.
  static constexpr int kPollInterval = 64;

 private:
  void schedule_timer(detail::HandleNode* node);
  void push_threadsafe(detail::HandleNode* node);
  void drain_threadsafe();
  void check_thread() const;
  void check_signal_handler_allowed(int sig) const;
  void install_signal_handler(int sig, Handle handle);
  void run_forever_setup();
  void run_forever_cleanup() noexcept;
  void purge_cancelled_timers();
  void run_ready(std::size_t ntodo);
  void run_ready_debug(std::size_t ntodo);
  void run_until_complete_base(detail::FutureBase& future, bool own_task);
  Executor& default_executor_for_run();  // threads.cpp
  void shutdown_default_executor_nowait() noexcept;  // threads.cpp

  detail::ReadyQueue ready_;
  detail::TimerHeap timers_;
  std::size_t timer_cancelled_count_ = 0;
  detail::TaskBase* current_task_ = nullptr;
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

  // call_soon_threadsafe() inbox, drained by the loop thread.
  std::mutex inbox_mutex_;
  std::vector<detail::HandleNode*> inbox_;
  std::atomic<bool> inbox_nonempty_{false};
};

template <class KeepGoing>
bool EventLoop::run_steps(KeepGoing&& keep_going) {
  run_forever_setup();
  struct Cleanup {
    EventLoop* loop;
    ~Cleanup() { loop->run_forever_cleanup(); }
  } cleanup{this};
  for (;;) {
    run_once(0);
    if (stopping_) return false;
    if (ready_.empty()) {
      std::optional<double> next = time_until_next_step();  // a due timer, a threadsafe call
      if (!next || *next > 0) return true;
    }
    if (!keep_going()) return true;
  }
}

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

/// A new loop on the platform's default backend (not made current).
/// Python: asyncio.new_event_loop()
std::shared_ptr<EventLoop> new_event_loop();

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
}  // namespace detail

}  // namespace asyncio
