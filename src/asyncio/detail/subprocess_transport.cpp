#include "asyncio/detail/subprocess_transport.hpp"

#include <csignal>
#include <system_error>

#include "asyncio/detail/pipe_transport.hpp"
#include "asyncio/exception_context.hpp"
#include "asyncio/exceptions.hpp"
#include "asyncio/log.hpp"
#include "asyncio/tasks.hpp"

namespace asyncio::detail {

namespace {
// SIGKILL's number: POSIX fixes it at 9, and libuv's uv_process_kill()
// takes it on Windows too (where <csignal> has no SIGKILL).
constexpr int kSigKill = 9;
}  // namespace

// ---- PipeProto ----

void PipeProto::connection_lost(std::exception_ptr exc) {
  // Python: WriteSubprocessPipeProto.connection_lost
  disconnected = true;
  if (auto p = proc_.lock()) p->pipe_connection_lost(fd_, exc);
  proc_.reset();
}

void PipeProto::pause_writing() {
  if (auto p = proc_.lock())
    if (SubprocessProtocol* protocol = p->protocol()) protocol->pause_writing();
}

void PipeProto::resume_writing() {
  if (auto p = proc_.lock())
    if (SubprocessProtocol* protocol = p->protocol()) protocol->resume_writing();
}

void PipeProto::data_received(std::string_view data) {
  if (auto p = proc_.lock()) p->pipe_data_received(fd_, data);
}

void PipeProto::data_received_chunk(char*& chunk, std::size_t n) {
  if (auto p = proc_.lock()) p->pipe_data_received_chunk(fd_, chunk, n);
}

// ---- SubprocessTransportImpl ----

SubprocessTransportImpl::SubprocessTransportImpl(Private, EventLoop& loop, std::shared_ptr<SubprocessProtocol> protocol)
    : loop_(&loop), protocol_(std::move(protocol)), adopter_(dynamic_cast<ChunkAdoptingSubprocessProtocol*>(protocol_.get())) {
  extra_["subprocess"] = 0;  // set to the pid once spawned
}

SubprocessTransportImpl::~SubprocessTransportImpl() {
  // Python: __del__ warns (ResourceWarning) about a transport never closed,
  // then closes it: a child still running is killed (proc_'s closer kills
  // and reaps it).
  if (!closed_) {
    log_noexcept(LogLevel::warning, [&] { return "unclosed transport " + repr(); });
  }
  if (proc_) proc_->set_events(nullptr);
}

Coro<std::shared_ptr<SubprocessTransportImpl>> SubprocessTransportImpl::start(
    EventLoop& loop, std::shared_ptr<SubprocessProtocol> protocol, Backend::SpawnOptions options) {
  // Python: _make_subprocess_transport and BaseSubprocessTransport.__init__
  auto t = std::make_shared<SubprocessTransportImpl>(Private{}, loop, std::move(protocol));
  for (int i = 0; i < 3; ++i) t->has_pipe_[i] = options.stdio[i].kind == Backend::ChildStdio::Kind::pipe;
  Backend::SpawnedChild child;
  try {
    child = loop.backend().spawn(options, t.get());
  } catch (...) {
    t->closed_ = true;  // Python: __init__ closes the transport, then raises
    throw;
  }
  t->proc_ = std::move(child.process);
  t->pid_ = t->proc_->pid();
  t->extra_["subprocess"] = t->pid_;
  t->self_ = t;
  if (loop.get_debug()) logger().debug("process " + detail::str_repr(options.file) + " created: pid " + std::to_string(t->pid_));

  Future<void> waiter = loop.create_future();
  std::array<StreamSocketPtr, 3> pipes{std::move(child.pipes[0]), std::move(child.pipes[1]), std::move(child.pipes[2])};
  auto connect = connect_pipes(t, std::move(pipes), waiter);
  (void)loop.create_task(std::move(connect));
  std::exception_ptr error;
  try {
    co_await waiter;
  } catch (...) {
    error = std::current_exception();
  }
  if (error) {
    // Python: transp.close(); await transp._wait(); raise
    t->close();
    auto w = t->wait();
    try {
      (void)co_await std::move(w);
    } catch (...) {  // NOLINT(bugprone-empty-catch): see the comment
      // Python: the spawn's own error is raised below, not the wait's.
    }
    std::rethrow_exception(error);
  }
  co_return t;
}

Coro<void> SubprocessTransportImpl::connect_pipes(std::shared_ptr<SubprocessTransportImpl> self,
                                                  std::array<StreamSocketPtr, 3> pipes, Future<void> waiter) {
  // Python: BaseSubprocessTransport._connect_pipes
  std::exception_ptr error;
  try {
    EventLoop& loop = *self->loop_;
    for (int fd = 0; fd < 3; ++fd) {
      if (!pipes[fd]) continue;
      auto proto = std::make_shared<PipeProto>(self, fd);
      Future<void> connected = loop.create_future();
      if (fd == 0)
        (void)WritePipeTransport::create(loop, std::move(pipes[fd]), -1, proto, connected);
      else
        (void)ReadPipeTransport::create(loop, std::move(pipes[fd]), -1, proto, connected);
      co_await connected;
      self->pipes_[fd] = proto;
    }
    self->pipes_connected_ = true;
    self->post([self] {
      if (self->protocol_) self->protocol_->connection_made(self);
    });
    auto& pending = self->pending_calls_;
    if (pending)
      for (auto& callback : *pending) self->post(std::move(callback));
    pending.reset();
    // A pipe may have closed, and the child exited, while connecting.
    if (self->returncode_ && !self->finished_) self->try_finish();
  } catch (...) {
    error = std::current_exception();
  }
  if (waiter.done()) co_return;
  if (error)
    waiter.set_exception(error);
  else
    waiter.set_result();
}

void SubprocessTransportImpl::set_protocol(std::shared_ptr<BaseProtocol> protocol) {
  auto p = std::dynamic_pointer_cast<SubprocessProtocol>(protocol);
  if (!p) throw TypeError("a subprocess transport needs a SubprocessProtocol");
  adopter_ = dynamic_cast<ChunkAdoptingSubprocessProtocol*>(p.get());
  protocol_ = std::move(p);
}

std::string SubprocessTransportImpl::repr() const {
  // Python: BaseSubprocessTransport.__repr__
  std::string s = "<_UnixSubprocessTransport";
  if (closed_) s += " closed";
  if (pid_ != 0) s += " pid=" + std::to_string(pid_);
  if (returncode_)
    s += " returncode=" + std::to_string(*returncode_);
  else if (pid_ != 0)
    s += " running";
  static const char* const names[3] = {"stdin", "stdout", "stderr"};
  for (int fd = 0; fd < 3; ++fd)
    if (pipes_[fd] && pipes_[fd]->pipe) s += std::string(" ") + names[fd] + "=" + pipes_[fd]->pipe->repr();
  return s + ">";
}

std::shared_ptr<Transport> SubprocessTransportImpl::get_pipe_transport(int fd) const {
  if (fd < 0 || fd > 2 || !pipes_[fd]) return nullptr;
  return pipes_[fd]->pipe;
}

void SubprocessTransportImpl::send_signal(int sig) {
  // Python: _check_proc() then Popen.send_signal(), which does nothing once
  // the child was reaped.
  if (!proc_) throw std::system_error(std::make_error_code(std::errc::no_such_process), "ProcessLookupError");
  const std::error_code error = proc_->send_signal(sig);
  if (error && error != std::errc::no_such_process) throw std::system_error(error, "send_signal");
}

void SubprocessTransportImpl::terminate() { send_signal(SIGTERM); }
void SubprocessTransportImpl::kill() { send_signal(kSigKill); }

void SubprocessTransportImpl::close() {
  // Python: BaseSubprocessTransport.close
  if (closed_) return;
  closed_ = true;
  for (const auto& proto : pipes_)
    if (proto && proto->pipe) proto->pipe->close();
  if (proc_ && !returncode_) {
    if (loop_->get_debug()) logger().warning("Close running child process: kill " + repr());
    // Already gone (ESRCH) or not, the exit is still reported.
    [[maybe_unused]] const std::error_code ignored = proc_->send_signal(kSigKill);
  }
}

Coro<int> SubprocessTransportImpl::wait() {
  // Python: BaseSubprocessTransport._wait
  if (returncode_) co_return *returncode_;
  Future<int> waiter = loop_->create_future<int>();
  exit_waiters_.push_back(waiter);
  const int returncode = co_await waiter;
  co_return returncode;
}

void SubprocessTransportImpl::call(std::function<void()> callback) {
  // Python: _call: queued until the pipes are connected.
  if (pending_calls_)
    pending_calls_->push_back(std::move(callback));
  else
    post(std::move(callback));
}

void SubprocessTransportImpl::post(std::function<void()> callback) {
  ++posted_;
  loop_->call_soon([this, keep = self_, callback = std::move(callback)] {
    --posted_;
    callback();
  });
}

void SubprocessTransportImpl::pipe_data_received(int fd, std::string_view data) {
  // Python: _call(protocol.pipe_data_received, fd, data), one loop iteration
  // later. That hop keeps the protocol's callbacks in the order the events
  // came; when none of this transport's calls is waiting in the loop, the
  // data goes to the protocol at once (it is already in the loop's callback
  // phase), which spares a copy and an allocation per chunk: the order of
  // the transport's callbacks is the same, the data only arrives an
  // iteration sooner.
  if (!pending_calls_ && posted_ == 0) {
    if (!protocol_) return;
    std::shared_ptr<SubprocessProtocol> protocol = protocol_;
    try {
      protocol->pipe_data_received(fd, data);
    } catch (...) {
      report_pipe_data_failure();
    }
    return;
  }
  call([self = self_, fd, bytes = std::string(data)] {
    if (self->protocol_) self->protocol_->pipe_data_received(fd, bytes);
  });
}

void SubprocessTransportImpl::pipe_data_received_chunk(int fd, char*& chunk, std::size_t n) {
  // pipe_data_received(), but the protocol (a Process's streams) may keep
  // the chunk as its reader's buffer. A call that has to wait behind queued
  // ones copies the bytes (pipe_data_received()): a queued chunk would be
  // one more buffer held outside the pool's count.
  ChunkAdoptingSubprocessProtocol* adopter = protocol_ ? adopter_ : nullptr;
  if (!adopter || pending_calls_ || posted_ != 0) {
    pipe_data_received(fd, std::string_view(chunk, n));
    return;
  }
  std::shared_ptr<SubprocessProtocol> protocol = protocol_;
  try {
    adopter->pipe_data_received_chunk(fd, chunk, n);
  } catch (...) {
    report_pipe_data_failure();
  }
}

void SubprocessTransportImpl::report_pipe_data_failure() {
  // Called inside a catch block. As a failing callback is reported by the
  // loop; an interrupt (KeyboardInterrupt, SystemExit) propagates instead.
  if (is_interrupt(std::current_exception())) throw;
  ExceptionContext context;
  context.message = "Exception in callback SubprocessProtocol.pipe_data_received()";
  context.exception = std::current_exception();
  context.extra.emplace_back("transport", repr());
  loop_->call_exception_handler(context);
}

void SubprocessTransportImpl::pipe_connection_lost(int fd, const std::exception_ptr& exc) {
  call([self = self_, fd, exc] {
    if (self->protocol_) self->protocol_->pipe_connection_lost(fd, exc);
  });
  try_finish();
}

void SubprocessTransportImpl::on_exit(int returncode) noexcept {
  // Python's child watcher: call_soon_threadsafe(callback, pid, returncode).
  try {
    post([self = self_, returncode] { self->process_exited(returncode); });
  } catch (...) {  // NOLINT(bugprone-empty-catch): see the comment
    // The loop is closed (or out of memory): nothing will run any more.
  }
}

void SubprocessTransportImpl::on_detached() noexcept {
  // The loop is closing: the backend killed and reaped a running child.
  [[maybe_unused]] auto* reaped_by_backend = proc_.release();
  if (!closed_) {
    log_noexcept(LogLevel::warning, [&] { return "unclosed transport " + repr(); });
    closed_ = true;
  }
  pending_calls_.reset();
  exit_waiters_.clear();
  // The protocol may hold this transport (a Process's protocol does): let
  // go of it, so that neither outlives the closed loop.
  std::shared_ptr<SubprocessProtocol> protocol = std::move(protocol_);
  protocol.reset();
  std::shared_ptr<SubprocessTransportImpl> self = std::move(self_);
}

void SubprocessTransportImpl::process_exited(int returncode) {
  // Python: BaseSubprocessTransport._process_exited
  if (returncode_) return;
  if (loop_->get_debug()) logger().info(repr() + " exited with return code " + std::to_string(returncode));
  returncode_ = returncode;
  call([self = self_] {
    if (self->protocol_) self->protocol_->process_exited();
  });
  try_finish();
}

void SubprocessTransportImpl::try_finish() {
  // Python: _try_finish
  if (!returncode_ || finished_) return;
  if (!pipes_connected_) wake_exit_waiters();  // connecting failed: never hang wait()
  for (int fd = 0; fd < 3; ++fd) {
    if (!has_pipe_[fd]) continue;
    if (!pipes_[fd] || !pipes_[fd]->disconnected) return;
  }
  finished_ = true;
  call([self = self_] { self->call_connection_lost(nullptr); });
}

void SubprocessTransportImpl::wake_exit_waiters() {
  if (!returncode_) return;  // only called once the child exited
  for (Future<int>& w : exit_waiters_)
    if (!w.done()) w.set_result(*returncode_);
}

void SubprocessTransportImpl::call_connection_lost(std::exception_ptr exc) {
  // Python: _call_connection_lost: wait() returns after connection_lost().
  struct Finally {
    SubprocessTransportImpl* t;
    ~Finally() {
      t->wake_exit_waiters();
      t->exit_waiters_.clear();
      t->proc_.reset();  // exited: closing it kills nothing
      std::shared_ptr<SubprocessProtocol> protocol = std::move(t->protocol_);
      protocol.reset();
      std::shared_ptr<SubprocessTransportImpl> self = std::move(t->self_);  // may free the transport
    }
  } finally{this};
  if (protocol_) protocol_->connection_lost(std::move(exc));
}

}  // namespace asyncio::detail
