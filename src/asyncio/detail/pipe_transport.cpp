#include "asyncio/detail/pipe_transport.hpp"

#include <typeinfo>

#include "asyncio/detail/chunk_pool.hpp"
#include "asyncio/detail/demangle.hpp"
#include "asyncio/exception_context.hpp"
#include "asyncio/log.hpp"
#include "asyncio/detail/loop_internals.hpp"

namespace asyncio::detail {

namespace {

bool is_os_error(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::system_error&) {
    return true;
  } catch (...) {
    return false;
  }
}

bool is_eio(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::system_error& err) {
    return err.code() == std::errc::io_error;
  } catch (...) {
    return false;
  }
}

}  // namespace

std::exception_ptr pipe_error(std::error_code error) {
  return std::make_exception_ptr(std::system_error(error, "pipe"));
}

// ---- PipeTransportBase ----

PipeTransportBase::PipeTransportBase(EventLoop& loop, StreamSocketPtr sock, int fd)
    : loop_(&loop), sock_(std::move(sock)), fd_(fd) {
  extra_["pipe"] = fd;
}

PipeTransportBase::~PipeTransportBase() {
  if (sock_) sock_->set_events(nullptr);
}

void PipeTransportBase::set_protocol(std::shared_ptr<BaseProtocol> protocol) { protocol_ = std::move(protocol); }

void PipeTransportBase::start(std::shared_ptr<PipeTransportBase> self, std::optional<Future<void>> waiter) {
  self_ = self;
  sock_->set_events(this);
  // Python: call_soon(connection_made), call_soon(_add_reader),
  // call_soon(_set_result_unless_cancelled, waiter): one callback here.
  loop_->call_soon([t = std::move(self), w = std::move(waiter)]() mutable {
    if (t->protocol_) {
      std::shared_ptr<Transport> as_transport = t;
      try {
        if (auto* p = dynamic_cast<Protocol*>(t->protocol_.get()))
          p->connection_made(as_transport);
        else if (auto* bp = dynamic_cast<BufferedProtocol*>(t->protocol_.get()))
          bp->connection_made(as_transport);
      } catch (...) {
        if (is_interrupt(std::current_exception())) throw;
        t->report("Exception in callback Protocol.connection_made()", std::current_exception());
      }
    }
    // Python's _add_reader: not if connection_made() paused or closed it.
    if (t->sock_ && !t->closing_ && (t->is_reading() || dynamic_cast<WritePipeTransport*>(t.get()))) {
      try {
        t->sock_->start_reading();
      } catch (...) {
        t->report("Fatal error on pipe transport", std::current_exception());
        t->close_with(std::current_exception());
      }
    }
    if (w && !w->done()) w->set_result();
  });
}

void PipeTransportBase::report(const char* message, std::exception_ptr exc) const {
  ExceptionContext context;
  context.message = message;
  context.exception = std::move(exc);
  context.extra.emplace_back("transport", repr());
  if (protocol_) {
    const BaseProtocol& protocol = *protocol_;
    context.extra.emplace_back("protocol", "<" + type_name(typeid(protocol)) + ">");
  }
  loop_->call_exception_handler(context);
}

std::string PipeTransportBase::repr_with(const char* kind) const {
  std::string s = std::string("<") + kind;
  if (!sock_)
    s += " closed";
  else if (closing_)
    s += " closing";
  s += " fd=" + std::to_string(fd_);
  return s;
}

void PipeTransportBase::schedule() noexcept {
  if (queued_) return;
  try {
    detail::internals(*loop_).push_runnable(this);
    queued_ = true;
  } catch (...) {  // NOLINT(bugprone-empty-catch): see the comment
    // The loop is closed: nothing will run any more.
  }
}

void PipeTransportBase::run() {
  queued_ = false;
  running_ = true;
  struct Done {
    PipeTransportBase* t;
    ~Done() {
      t->running_ = false;
      if (t->release_deferred_ && !t->queued_) {
        t->release_deferred_ = false;
        t->release_self();
      }
    }
  } done{this};
  handle_events();
}

void PipeTransportBase::discard() noexcept {
  queued_ = false;
  events_ = 0;
  if (release_deferred_ && !running_) {
    release_deferred_ = false;
    release_self();
  }
}

void PipeTransportBase::on_detached() noexcept {
  // The loop is closing with the pipe open: Python's garbage collector
  // would warn "unclosed transport" (ResourceWarning); the logger does here.
  [[maybe_unused]] StreamSocket* freed_by_backend = sock_.release();  // the backend frees it
  if (!closing_) {
    log_noexcept(LogLevel::warning, [&] { return "unclosed transport " + repr(); });
  }
  closing_ = true;
  lost_scheduled_ = true;
  events_ = 0;
  protocol_.reset();
  release_self();
}

void PipeTransportBase::close_with(const std::exception_ptr& exc) {
  // Python: _close(exc)
  closing_ = true;
  if (sock_) sock_->stop_reading();
  if (lost_scheduled_) return;
  lost_scheduled_ = true;
  loop_->call_soon([self = self_, exc] { self->call_connection_lost(exc); });
}

void PipeTransportBase::call_connection_lost(std::exception_ptr exc) {
  // Python: _call_connection_lost: the pipe is closed whatever happens.
  lost_scheduled_ = true;
  struct Finally {
    PipeTransportBase* t;
    ~Finally() {
      t->closing_ = true;
      t->sock_.reset();
      std::shared_ptr<BaseProtocol> protocol = std::move(t->protocol_);
      protocol.reset();
      t->release_self();
    }
  } finally{this};
  if (protocol_) protocol_->connection_lost(std::move(exc));
}

void PipeTransportBase::release_self() noexcept {
  if (queued_ || running_) {
    release_deferred_ = true;
    return;
  }
  std::shared_ptr<PipeTransportBase> self = std::move(self_);
}

// ---- ReadPipeTransport ----

std::shared_ptr<ReadPipeTransport> ReadPipeTransport::create(EventLoop& loop, StreamSocketPtr sock, int fd,
                                                             std::shared_ptr<BaseProtocol> protocol,
                                                             std::optional<Future<void>> waiter) {
  if (!dynamic_cast<Protocol*>(protocol.get())) throw TypeError("a read pipe transport needs a Protocol");
  auto t = std::make_shared<ReadPipeTransport>(Private{}, loop, std::move(sock), fd);
  t->set_protocol(std::move(protocol));
  t->start(t, std::move(waiter));
  return t;
}

static_assert(ReadPipeTransport::kMaxSize == kChunkSize, "reads use pooled chunks");

ReadPipeTransport::~ReadPipeTransport() {
  if (chunk_ != nullptr) give_chunk(chunk_);
}

void ReadPipeTransport::set_protocol(std::shared_ptr<BaseProtocol> protocol) {
  auto* adopter = dynamic_cast<ChunkAdoptingProtocol*>(protocol.get());
  PipeTransportBase::set_protocol(std::move(protocol));
  adopter_ = adopter && adopter->adopts_chunks() ? adopter : nullptr;
}

std::span<char> ReadPipeTransport::read_buffer(std::size_t) noexcept {
  // A pooled chunk, as the socket transport's: a StreamReader at the end of
  // the chain (a Process's stdout) may keep it instead of copying it.
  if (chunk_ == nullptr) {
    try {
      chunk_ = take_chunk();
    } catch (...) {
      return {};
    }
  }
  return {chunk_ + rlen_, kMaxSize - rlen_};
}

void ReadPipeTransport::on_read(std::size_t n) noexcept {
  rlen_ += n;
  events_ |= kRead;
  schedule();
}

void ReadPipeTransport::on_eof() noexcept {
  events_ |= kEof;
  schedule();
}

void ReadPipeTransport::on_read_error(std::error_code error) noexcept {
  read_error_ = error;
  events_ |= kReadError;
  schedule();
}

void ReadPipeTransport::handle_events() {
  // Python: _UnixReadPipeTransport._read_ready, one read at a time.
  if (closing_) {
    events_ = 0;
    rlen_ = 0;
    return;
  }
  if (paused_) return;  // kept for resume_reading()
  if (events_ & kRead) {
    events_ &= ~kRead;
    const std::size_t n = std::exchange(rlen_, 0);
    try {
      if (adopter_)
        adopter_->data_received_chunk(chunk_, n);  // may keep the chunk (then chunk_ is null)
      else
        static_cast<Protocol*>(protocol_.get())->data_received(std::string_view(chunk_, n));
    } catch (...) {
      if (is_interrupt(std::current_exception())) throw;
      fatal_error(std::current_exception(), "Fatal error: protocol.data_received() call failed.");
      return;
    }
    if (closing_ || paused_) return;
  }
  if (events_ & kReadError) {
    events_ = 0;
    fatal_error(pipe_error(read_error_), "Fatal read error on pipe transport");
    return;
  }
  if (events_ & kEof) {
    events_ = 0;
    if (loop_->get_debug()) logger().info(repr() + " was closed by peer");
    closing_ = true;
    // Python: call_soon(protocol.eof_received); call_soon(_call_connection_lost, None)
    loop_->call_soon([this, keep = self_] {
      if (auto* p = dynamic_cast<Protocol*>(protocol_.get())) (void)p->eof_received();
    });
    lost_scheduled_ = true;
    loop_->call_soon([this, keep = self_] { call_connection_lost(nullptr); });
  }
}

void ReadPipeTransport::fatal_error(const std::exception_ptr& exc, const char* message) {
  // Python: _UnixReadPipeTransport._fatal_error: EIO (a pty's other side
  // closed) is expected; anything else goes to the exception handler.
  if (is_eio(exc)) {
    if (loop_->get_debug()) logger().debug(repr() + ": " + message + "\n" + describe_exception(exc));
  } else {
    report(message, exc);
  }
  close_with(exc);
}

void ReadPipeTransport::pause_reading() {
  // Python: _UnixReadPipeTransport.pause_reading
  if (closing_ || paused_) return;
  paused_ = true;
  if (sock_) sock_->stop_reading();
  if (loop_->get_debug()) logger().debug(repr() + " pauses reading");
}

void ReadPipeTransport::resume_reading() {
  if (closing_ || !paused_) return;
  paused_ = false;
  if (sock_ && !(events_ & (kEof | kReadError))) {
    try {
      sock_->start_reading();
    } catch (...) {
      fatal_error(std::current_exception(), "Fatal read error on pipe transport");
      return;
    }
  }
  if (events_) schedule();
  if (loop_->get_debug()) logger().debug(repr() + " resumes reading");
}

void ReadPipeTransport::close() {
  // Python: _UnixReadPipeTransport.close
  if (!closing_) close_with(nullptr);
}

void ReadPipeTransport::write(std::string_view) {
  throw NotImplementedError("write() is not supported by a read pipe transport");
}
void ReadPipeTransport::writelines(std::span<const std::string_view>) {
  throw NotImplementedError("writelines() is not supported by a read pipe transport");
}
void ReadPipeTransport::write_eof() {
  throw NotImplementedError("write_eof() is not supported by a read pipe transport");
}
void ReadPipeTransport::set_write_buffer_limits(std::optional<std::int64_t>, std::optional<std::int64_t>) {
  throw NotImplementedError("set_write_buffer_limits() is not supported by a read pipe transport");
}

// ---- WritePipeTransport ----

std::shared_ptr<WritePipeTransport> WritePipeTransport::create(EventLoop& loop, StreamSocketPtr sock, int fd,
                                                               std::shared_ptr<BaseProtocol> protocol,
                                                               std::optional<Future<void>> waiter) {
  if (!dynamic_cast<Protocol*>(protocol.get()) && !dynamic_cast<BufferedProtocol*>(protocol.get()))
    throw TypeError("a write pipe transport needs a Protocol or a BufferedProtocol");
  auto t = std::make_shared<WritePipeTransport>(Private{}, loop, std::move(sock), fd);
  t->set_protocol(std::move(protocol));
  t->start(t, std::move(waiter));
  return t;
}

std::string WritePipeTransport::repr() const {
  std::string s = repr_with("_UnixWritePipeTransport");
  if (sock_) s += " bufsize=" + std::to_string(get_write_buffer_size());
  return s + ">";
}

void WritePipeTransport::pause_reading() {
  throw NotImplementedError("pause_reading() is not supported by a write pipe transport");
}
void WritePipeTransport::resume_reading() {
  throw NotImplementedError("resume_reading() is not supported by a write pipe transport");
}

std::size_t WritePipeTransport::get_write_buffer_size() const {
  if (!sock_) return pending_.size();
  return (writing_ ? sock_->write_queue_size() : 0) + pending_.size();
}

void WritePipeTransport::set_write_buffer_limits(std::optional<std::int64_t> high, std::optional<std::int64_t> low) {
  auto [h, l] = write_buffer_limits(high, low);
  high_water_ = h;
  low_water_ = l;
  maybe_pause_protocol();
}

void WritePipeTransport::maybe_pause_protocol() {
  if (get_write_buffer_size() <= high_water_ || protocol_paused_) return;
  protocol_paused_ = true;
  try {
    if (protocol_) protocol_->pause_writing();
  } catch (...) {
    if (is_interrupt(std::current_exception())) throw;
    report("protocol.pause_writing() failed", std::current_exception());
  }
}

void WritePipeTransport::maybe_resume_protocol() {
  if (!protocol_paused_ || get_write_buffer_size() > low_water_) return;
  protocol_paused_ = false;
  try {
    if (protocol_) protocol_->resume_writing();
  } catch (...) {
    if (is_interrupt(std::current_exception())) throw;
    report("protocol.resume_writing() failed", std::current_exception());
  }
}

void WritePipeTransport::write(std::string_view data) {
  if (data.empty()) return;
  send(std::span<const std::string_view>(&data, 1), data.size());
}

void WritePipeTransport::writelines(std::span<const std::string_view> list_of_data) {
  std::size_t total = 0;
  for (std::string_view d : list_of_data) total += d.size();
  if (total == 0) return;
  send(list_of_data, total);
}

bool WritePipeTransport::drop_write() {
  // Python: _UnixWritePipeTransport.write: data after the pipe closed is dropped.
  if (!conn_lost_ && !closing_) return false;
  if (conn_lost_ >= kLogThresholdForConnLostWrites)
    logger().warning("pipe closed by peer or os.write(pipe, data) raised exception.");
  ++conn_lost_;
  return true;
}

void WritePipeTransport::send(std::span<const std::string_view> buffers, std::size_t total) {
  // Python: _UnixWritePipeTransport.write
  if (drop_write()) return;
  if (!writing_) {
    std::error_code error;
    std::size_t n = sock_->try_write(buffers, error);
    if (error) {
      ++conn_lost_;
      fatal_error(pipe_error(error), "Fatal write error on pipe transport");
      return;
    }
    if (n == total) return;
    inflight_.clear();
    inflight_.reserve(total - n);
    for (std::string_view d : buffers) {
      if (n >= d.size()) {
        n -= d.size();
        continue;
      }
      inflight_.append(d.substr(n));
      n = 0;
    }
    start_write(inflight_);
    if (!writing_) return;
  } else {
    for (std::string_view d : buffers) pending_.append(d);
  }
  maybe_pause_protocol();
}

void WritePipeTransport::write_owned(std::string&& data) {
  // As send(), keeping `data` itself instead of a copy of what is unsent.
  if (data.empty()) return;
  if (drop_write()) return;
  if (!writing_) {
    std::error_code error;
    const std::string_view all(data);
    const std::size_t n = sock_->try_write(std::span<const std::string_view>(&all, 1), error);
    if (error) {
      ++conn_lost_;
      fatal_error(pipe_error(error), "Fatal write error on pipe transport");
      return;
    }
    if (n == data.size()) return;
    inflight_ = std::move(data);
    start_write(std::string_view(inflight_).substr(n));
    if (!writing_) return;
  } else if (pending_.empty()) {
    pending_ = std::move(data);
  } else {
    pending_.append(data);
  }
  maybe_pause_protocol();
}

void WritePipeTransport::start_write(std::string_view unsent) {
  std::error_code error = sock_->write(std::span<const std::string_view>(&unsent, 1));
  if (error) {
    release_inflight();
    ++conn_lost_;
    fatal_error(pipe_error(error), "Fatal write error on pipe transport");
    return;
  }
  writing_ = true;
}

void WritePipeTransport::release_inflight() noexcept {
  // Keeps a small buffer for the next backlog; lets a large one (a string
  // taken over, a big write's tail) go instead of holding it while idle.
  if (inflight_.capacity() > kMaxKeptCapacity)
    std::string().swap(inflight_);
  else
    inflight_.clear();
}

void WritePipeTransport::on_write_done(std::error_code error) noexcept {
  write_error_ = error;
  events_ |= kWriteDone;
  schedule();
}

void WritePipeTransport::on_eof() noexcept {
  events_ |= kPeerGone;
  schedule();
}

void WritePipeTransport::handle_events() {
  // Python runs reader callbacks before writer callbacks.
  if (events_ & kPeerGone) {
    events_ &= ~kPeerGone;
    // Python: _UnixWritePipeTransport._read_ready
    if (!lost_scheduled_) {
      if (loop_->get_debug()) logger().info(repr() + " was closed by peer");
      // Unsent data: queued, or in a write that has not completed (or
      // failed: libuv already dropped it from its queue).
      const bool in_flight = writing_ && (!(events_ & kWriteDone) || write_error_);
      if (!pending_.empty() || in_flight) {
        drop_buffer();
        close_with(pipe_error(std::make_error_code(std::errc::broken_pipe)));
      } else {
        close_with(nullptr);
      }
    }
  }
  if (events_ & kWriteDone) {
    events_ &= ~kWriteDone;
    // Python: _UnixWritePipeTransport._write_ready, once the backend sent
    // everything it was given.
    writing_ = false;
    release_inflight();
    const std::error_code error = std::exchange(write_error_, {});
    if (lost_scheduled_) {
      pending_.clear();
      return;
    }
    if (error) {
      pending_.clear();
      ++conn_lost_;
      fatal_error(pipe_error(error), "Fatal write error on pipe transport");
      return;
    }
    if (!pending_.empty()) {
      std::swap(inflight_, pending_);
      start_write(inflight_);
      if (lost_scheduled_) return;
    }
    maybe_resume_protocol();
    if (!writing_ && pending_.empty() && closing_ && !lost_scheduled_) {
      if (sock_) sock_->stop_reading();
      call_connection_lost(nullptr);
    }
  }
}

void WritePipeTransport::drop_buffer() noexcept {
  // The write in flight ends with the pipe (UV_ECANCELED); nothing follows it.
  pending_.clear();
}

void WritePipeTransport::write_eof() {
  // Python: _UnixWritePipeTransport.write_eof: close once flushed.
  if (closing_) return;
  closing_ = true;
  if (!writing_ && pending_.empty()) {
    if (sock_) sock_->stop_reading();
    lost_scheduled_ = true;
    loop_->call_soon([this, keep = self_] { call_connection_lost(nullptr); });
  }
}

void WritePipeTransport::close() {
  // Python: _UnixWritePipeTransport.close
  if (sock_ && !closing_) write_eof();
}

void WritePipeTransport::fatal_error(const std::exception_ptr& exc, const char* message) {
  // Python: _UnixWritePipeTransport._fatal_error: OS errors (EPIPE) are
  // expected, logged in debug mode only.
  if (is_os_error(exc)) {
    if (loop_->get_debug()) logger().debug(repr() + ": " + message + "\n" + describe_exception(exc));
  } else {
    report(message, exc);
  }
  drop_buffer();
  close_with(exc);
}

}  // namespace asyncio::detail
