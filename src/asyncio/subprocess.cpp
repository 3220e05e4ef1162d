#include "asyncio/subprocess.hpp"

#include <csignal>
#include <system_error>

#include "asyncio/detail/subprocess_transport.hpp"
#include "asyncio/gather.hpp"
#include "asyncio/log.hpp"
#include "asyncio/tasks.hpp"

namespace asyncio {

namespace detail {

// ---- SubprocessStreamProtocol ----

SubprocessStreamProtocol::SubprocessStreamProtocol(std::int64_t limit, EventLoop& loop)
    : limit_(limit), loop_(&loop), stdin_flow_(std::make_shared<StreamReaderProtocol>(std::nullopt, ClientConnectedCallback(), &loop)) {}

void SubprocessStreamProtocol::connection_made(std::shared_ptr<SubprocessTransport> transport) {
  // Python: SubprocessStreamProtocol.connection_made
  transport_ = transport;
  if (std::shared_ptr<Transport> out = transport->get_pipe_transport(1)) {
    std_out.emplace(limit_);
    std_out->set_transport(out);
    pipe_fds_.push_back(1);
  }
  if (std::shared_ptr<Transport> err = transport->get_pipe_transport(2)) {
    std_err.emplace(limit_);
    std_err->set_transport(err);
    pipe_fds_.push_back(2);
  }
  if (std::shared_ptr<Transport> in = transport->get_pipe_transport(0)) {
    std_in.emplace(in, stdin_flow_, std::nullopt, *loop_);
  }
}

void SubprocessStreamProtocol::pipe_data_received(int fd, std::string_view data) {
  if (fd == 1 && std_out) std_out->feed_data(data);
  if (fd == 2 && std_err) std_err->feed_data(data);
}

void SubprocessStreamProtocol::pipe_data_received_chunk(int fd, char*& chunk, std::size_t n) {
  if (fd == 1 && std_out) stream_reader_feed_chunk(*std_out, chunk, n);
  if (fd == 2 && std_err) stream_reader_feed_chunk(*std_err, chunk, n);
}

void SubprocessStreamProtocol::pipe_connection_lost(int fd, std::exception_ptr exc) {
  // Python: SubprocessStreamProtocol.pipe_connection_lost
  if (fd == 0) {
    if (std_in) std_in->close();
    // Wakes drain() and completes wait_closed() (Python: connection_lost()
    // of the FlowControlMixin, then _stdin_closed).
    stdin_flow_->connection_lost(exc);
    return;
  }
  std::optional<StreamReader>& reader = fd == 1 ? std_out : std_err;
  if (reader) {
    if (!exc)
      reader->feed_eof();
    else
      reader->set_exception(exc);
  }
  std::erase(pipe_fds_, fd);
  maybe_close_transport();
}

void SubprocessStreamProtocol::process_exited() {
  process_exited_ = true;
  maybe_close_transport();
}

void SubprocessStreamProtocol::pause_writing() { stdin_flow_->pause_writing(); }
void SubprocessStreamProtocol::resume_writing() { stdin_flow_->resume_writing(); }

void SubprocessStreamProtocol::maybe_close_transport() {
  if (pipe_fds_.empty() && process_exited_ && transport_) {
    std::shared_ptr<SubprocessTransport> t = std::move(transport_);
    t->close();
  }
}

}  // namespace detail

// ---- Process ----

Process::Process(std::shared_ptr<SubprocessTransport> transport,
                 std::shared_ptr<detail::SubprocessStreamProtocol> protocol)
    : pid(transport->get_pid()),
      std_in(protocol->std_in),
      std_out(protocol->std_out),
      std_err(protocol->std_err),
      transport_(std::move(transport)),
      protocol_(std::move(protocol)) {}

std::optional<int> Process::returncode() const { return transport_->get_returncode(); }

Coro<int> Process::wait() const {
  // Python: Process.wait -> transport._wait()
  auto* impl = dynamic_cast<detail::SubprocessTransportImpl*>(transport_.get());
  if (impl == nullptr) throw TypeError("Process::wait() needs the loop's subprocess transport");
  return impl->wait();
}

void Process::send_signal(int sig) const { transport_->send_signal(sig); }
void Process::terminate() const { transport_->terminate(); }
void Process::kill() const { transport_->kill(); }

std::string Process::repr() const { return "<Process " + std::to_string(pid) + ">"; }

namespace {

bool is_broken_pipe_or_reset(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::system_error& err) {
    return err.code() == std::errc::broken_pipe || err.code() == std::errc::connection_reset;
  } catch (...) {
    return false;
  }
}

Coro<void> feed_stdin(StreamWriter writer, std::optional<std::string> input, bool debug, std::string name) {
  // Python: Process._feed_stdin (3.12+: stdin is closed even without input)
  std::exception_ptr error;
  try {
    if (input) {
      const std::size_t size = input->size();
      // Handed over: a large input is not copied into the pipe's backlog.
      writer.write(std::move(*input));
      if (debug) logger().debug(name + " communicate: feed stdin (" + std::to_string(size) + " bytes)");
    }
    co_await writer.drain();
  } catch (...) {
    error = std::current_exception();
  }
  if (error) {
    if (!is_broken_pipe_or_reset(error)) std::rethrow_exception(error);
    if (debug) logger().debug(name + " communicate: stdin got " + describe_exception(error));
  }
  if (debug) logger().debug(name + " communicate: close stdin");
  writer.close();
}

Coro<void> noop() { co_return; }
Coro<std::optional<std::string>> noop_str() { co_return std::nullopt; }

Coro<std::optional<std::string>> read_stream(std::shared_ptr<SubprocessTransport> transport, StreamReader stream,
                                             int fd) {
  // Python: Process._read_stream
  std::string output = co_await stream.read();
  if (std::shared_ptr<Transport> pipe = transport->get_pipe_transport(fd)) pipe->close();
  co_return std::optional<std::string>(std::move(output));
}

Coro<std::pair<std::optional<std::string>, std::optional<std::string>>> communicate_impl(
    Process proc, std::optional<std::string> input) {
  // Python: Process.communicate
  const bool debug = get_running_loop().get_debug();
  auto in = proc.std_in ? feed_stdin(*proc.std_in, std::move(input), debug, proc.repr()) : noop();
  auto out = proc.std_out ? read_stream(proc.transport(), *proc.std_out, 1) : noop_str();
  auto err = proc.std_err ? read_stream(proc.transport(), *proc.std_err, 2) : noop_str();
  auto all = gather(std::move(in), std::move(out), std::move(err));
  auto results = co_await std::move(all);
  auto w = proc.wait();
  (void)co_await std::move(w);
  co_return std::pair<std::optional<std::string>, std::optional<std::string>>(std::move(std::get<1>(results)),
                                                                              std::move(std::get<2>(results)));
}

Coro<Process> create_process(std::vector<std::string> args, ProcessOptions o, bool shell) {
  EventLoop& loop = get_running_loop();
  const std::int64_t limit = o.limit;
  if (limit <= 0) throw ValueError("Limit cannot be <= 0");
  EventLoop* lp = &loop;
  auto factory = [limit, lp]() -> std::shared_ptr<BaseProtocol> {
    return std::make_shared<detail::SubprocessStreamProtocol>(limit, *lp);
  };
  SubprocessOptions so;
  so.std_in = o.std_in;
  so.std_out = o.std_out;
  so.std_err = o.std_err;
  so.cwd = std::move(o.cwd);
  so.env = std::move(o.env);
  so.executable = std::move(o.executable);
  so.pass_fds = std::move(o.pass_fds);
  so.start_new_session = o.start_new_session;
  auto c = loop.subprocess_exec_erased(factory, std::move(args), std::move(so), shell);
  auto [transport, protocol] = co_await std::move(c);
  co_return Process(std::move(transport), std::static_pointer_cast<detail::SubprocessStreamProtocol>(protocol));
}

}  // namespace

Coro<std::pair<std::optional<std::string>, std::optional<std::string>>> Process::communicate(
    std::optional<std::string> input) const {
  return communicate_impl(*this, std::move(input));
}

Coro<Process> create_subprocess_exec(std::string program, std::vector<std::string> args, ProcessOptions options) {
  if (EventLoop* loop = _get_running_loop()) loop->check_subprocesses("create_subprocess_exec");
  args.insert(args.begin(), std::move(program));
  return create_process(std::move(args), std::move(options), false);
}

Coro<Process> create_subprocess_shell(std::string cmd, ProcessOptions options) {
  if (EventLoop* loop = _get_running_loop()) loop->check_subprocesses("create_subprocess_shell");
  std::vector<std::string> args;
  args.push_back(std::move(cmd));
  return create_process(std::move(args), std::move(options), true);
}

}  // namespace asyncio
