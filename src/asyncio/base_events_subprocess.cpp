// The loop's pipe and subprocess methods: connect_read_pipe(),
// connect_write_pipe(), subprocess_exec(), subprocess_shell(). Python:
// base_events.BaseEventLoop and unix_events._UnixSelectorEventLoop, the
// same methods.
//
// Portable: the backend opens pipes and spawns children (backend.hpp);
// argument checks, the transports and the order of callbacks are the same
// on every platform.
#include <string>
#include <utility>

#include "asyncio/detail/pipe_transport.hpp"
#include "asyncio/detail/subprocess_transport.hpp"
#include "asyncio/events.hpp"
#include "asyncio/log.hpp"
#include "asyncio/tasks.hpp"
#include "asyncio/transports.hpp"

namespace asyncio {

// ---- Backend defaults: no child processes ----

namespace {
[[noreturn]] void unavailable(const Backend& backend, const char* method) {
  throw NotImplementedError(std::string(method) + " is not available on " + backend.platform());
}
}  // namespace

Backend::SpawnedChild Backend::spawn(const SpawnOptions&, ChildProcessEvents*) { unavailable(*this, "subprocess_exec"); }
StreamSocketPtr Backend::pipe_open(int, bool writable) {
  unavailable(*this, writable ? "connect_write_pipe" : "connect_read_pipe");
}

void EventLoop::check_subprocesses(const char* method) const {
  if (!backend_->supports_subprocesses()) unavailable(*backend_, method);
}

// ---- Pipes ----

namespace {

template <class T>
Coro<std::pair<std::shared_ptr<T>, std::shared_ptr<BaseProtocol>>> connect_pipe(EventLoop* loop,
                                                                                 ProtocolFactory protocol_factory,
                                                                                 int pipe, bool writable) {
  // Python: connect_read_pipe / connect_write_pipe
  std::shared_ptr<BaseProtocol> protocol = protocol_factory();
  Future<void> waiter = loop->create_future();
  StreamSocketPtr sock = loop->backend().pipe_open(pipe, writable);
  std::shared_ptr<T> transport;
  if (writable)
    transport = detail::WritePipeTransport::create(*loop, std::move(sock), pipe, protocol, waiter);
  else
    transport = detail::ReadPipeTransport::create(*loop, std::move(sock), pipe, protocol, waiter);
  std::exception_ptr error;
  try {
    co_await waiter;
  } catch (...) {
    error = std::current_exception();
  }
  if (error) {
    transport->close();
    std::rethrow_exception(error);
  }
  if (loop->get_debug()) {
    logger().debug(std::string(writable ? "Write" : "Read") + " pipe " + std::to_string(pipe) + " connected: (" +
                   transport->repr() + ")");
  }
  co_return std::pair<std::shared_ptr<T>, std::shared_ptr<BaseProtocol>>(std::move(transport), std::move(protocol));
}

Backend::ChildStdio to_child(const Stdio& s, int fd) {
  if (s.kind == Stdio::Kind::stdout_ && fd != 2) throw ValueError("STDOUT can only be used for stderr");
  if (s.kind == Stdio::Kind::fd && s.fd < 0) throw ValueError("bad file descriptor for the child's fd " + std::to_string(fd) + ": " + std::to_string(s.fd));
  return Backend::ChildStdio{s.kind, s.fd};
}

}  // namespace

Coro<std::pair<std::shared_ptr<ReadTransport>, std::shared_ptr<BaseProtocol>>> EventLoop::connect_read_pipe_erased(
    ProtocolFactory protocol_factory, int pipe) {
  check_subprocesses("connect_read_pipe");
  return connect_pipe<ReadTransport>(this, std::move(protocol_factory), pipe, false);
}

Coro<std::pair<std::shared_ptr<WriteTransport>, std::shared_ptr<BaseProtocol>>> EventLoop::connect_write_pipe_erased(
    ProtocolFactory protocol_factory, int pipe) {
  check_subprocesses("connect_write_pipe");
  return connect_pipe<WriteTransport>(this, std::move(protocol_factory), pipe, true);
}

// ---- Subprocesses ----

namespace {

Coro<std::pair<std::shared_ptr<SubprocessTransport>, std::shared_ptr<BaseProtocol>>> run_subprocess(
    EventLoop* loop, ProtocolFactory protocol_factory, Backend::SpawnOptions spawn, bool shell) {
  // Python: subprocess_exec / subprocess_shell
  if (loop->get_debug()) {
    logger().debug(std::string(shell ? "run shell command " : "execute program ") +
                   detail::str_repr(shell ? spawn.args.back() : spawn.file));
  }
  std::shared_ptr<BaseProtocol> protocol = protocol_factory();
  auto sp = std::dynamic_pointer_cast<SubprocessProtocol>(protocol);
  if (!sp) throw TypeError("subprocess_exec() needs a factory making SubprocessProtocol objects");
  auto start = detail::SubprocessTransportImpl::start(*loop, std::move(sp), std::move(spawn));
  std::shared_ptr<detail::SubprocessTransportImpl> transport = co_await std::move(start);
  if (loop->get_debug()) logger().info(transport->repr());
  co_return std::pair<std::shared_ptr<SubprocessTransport>, std::shared_ptr<BaseProtocol>>(std::move(transport),
                                                                                          std::move(protocol));
}

}  // namespace

Coro<std::pair<std::shared_ptr<SubprocessTransport>, std::shared_ptr<BaseProtocol>>> EventLoop::subprocess_exec_erased(
    ProtocolFactory protocol_factory, std::vector<std::string> args, SubprocessOptions o, bool shell) {
  check_subprocesses(shell ? "subprocess_shell" : "subprocess_exec");
  if (args.empty() || (!shell && args.front().empty())) {
    throw ValueError(shell ? "cmd must be a non-empty string" : "subprocess_exec() needs a program (args[0])");
  }
  Backend::SpawnOptions spawn;
  if (shell) {
    // Python: Popen(cmd, shell=True) runs ['/bin/sh', '-c', cmd].
    spawn.args = {"/bin/sh", "-c", std::move(args.front())};
    spawn.file = o.executable ? *o.executable : "/bin/sh";
  } else {
    spawn.file = o.executable ? *o.executable : args.front();
    spawn.args = std::move(args);
  }
  spawn.stdio[0] = to_child(o.std_in, 0);
  spawn.stdio[1] = to_child(o.std_out, 1);
  spawn.stdio[2] = to_child(o.std_err, 2);
  if (o.env) {
    std::vector<std::string> env;
    env.reserve(o.env->size());
    for (auto& [name, value] : *o.env) {
      if (name.empty() || name.find('=') != std::string::npos) throw ValueError("illegal environment variable name");
      std::string entry = name;
      entry += '=';
      entry += value;
      env.push_back(std::move(entry));
    }
    spawn.env = std::move(env);
  }
  spawn.cwd = std::move(o.cwd);
  for (int fd : o.pass_fds)
    if (fd < 0) throw ValueError("bad value(s) in fds_to_keep");
  spawn.pass_fds = std::move(o.pass_fds);
  spawn.start_new_session = o.start_new_session;
  return run_subprocess(this, std::move(protocol_factory), std::move(spawn), shell);
}

}  // namespace asyncio
