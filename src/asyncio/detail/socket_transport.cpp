#include "asyncio/detail/socket_transport.hpp"

#include <typeinfo>

#include <algorithm>
#include <limits>
#include <vector>

#include "asyncio/detail/chunk_pool.hpp"
#include "asyncio/detail/demangle.hpp"
#include "asyncio/detail/net.hpp"
#include "asyncio/exception_context.hpp"
#include "asyncio/log.hpp"
#include "asyncio/server.hpp"
#include "asyncio/detail/loop_internals.hpp"

namespace asyncio::detail {

static_assert(SocketTransport::kReadChunkSize == kChunkSize, "reads use pooled chunks");

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

}  // namespace

std::shared_ptr<SocketTransport> SocketTransport::create(EventLoop& loop, StreamSocketPtr sock,
                                                         std::shared_ptr<BaseProtocol> protocol,
                                                         std::optional<Future<void>> waiter,
                                                         std::shared_ptr<Server> server,
                                                         std::optional<SockAddr> peername) {
  auto t = std::make_shared<SocketTransport>(Private{}, loop, std::move(sock));
  t->set_protocol(std::move(protocol));
  // Python: _SelectorTransport.__init__ records the socket's addresses.
  const TransportSocket& info = t->sock_->info();
  t->extra_["socket"] = info;
  if (info.getsockname().family != 0) t->extra_["sockname"] = info.getsockname();
  if (peername) {
    t->extra_["peername"] = *peername;
  } else {
    try {
      t->extra_["peername"] = info.getpeername();
    } catch (const std::system_error&) {  // NOLINT(bugprone-empty-catch): Python leaves "peername" unset too
      // Not connected (any more): Python's transport leaves "peername" unset.
    }
  }
  t->self_ = t;
  t->sock_->set_events(t.get());
  loop.register_transport_fd(info.fileno(), t.get());
  if (server) {
    t->server_ = std::move(server);
    t->server_->attach(t.get());
  }
  // Python: call_soon(connection_made), call_soon(_add_reader),
  // call_soon(_set_result_unless_cancelled, waiter): one callback here,
  // running the three steps in that order.
  loop.call_soon([t, w = std::move(waiter)]() mutable { t->connection_made_step(std::move(w)); });
  return t;
}

SocketTransport::SocketTransport(Private, EventLoop& loop, StreamSocketPtr sock) : loop_(&loop), sock_(std::move(sock)) {}

SocketTransport::~SocketTransport() {
  release_chunk();
  if (sock_) sock_->set_events(nullptr);
}

void SocketTransport::set_protocol(std::shared_ptr<BaseProtocol> protocol) {
  auto* p = dynamic_cast<Protocol*>(protocol.get());
  auto* bp = p ? nullptr : dynamic_cast<BufferedProtocol*>(protocol.get());
  if (!p && !bp) throw TypeError("a stream transport needs a Protocol or a BufferedProtocol");
  if ((events_ & kRead) && rlen_ > 0 && protocol_) {
    // Bytes were read for the old protocol and not delivered yet (reading
    // was paused, as start_tls() does before swapping protocols): they go
    // to the new one. The old protocol's buffer may not outlive it: copy.
    carry_.append(bproto_ ? lent_.data() : chunk_, rlen_);
    rlen_ = 0;
    release_chunk();
  }
  protocol_ = std::move(protocol);
  proto_ = p;
  bproto_ = bp;
  auto* adopter = p ? dynamic_cast<ChunkAdoptingProtocol*>(p) : nullptr;
  adopter_ = adopter && adopter->adopts_chunks() ? adopter : nullptr;
  protocol_connected_ = true;
}

void SocketTransport::connection_made_step(std::optional<Future<void>> waiter) {
  if (protocol_) {
    std::shared_ptr<Transport> self = self_;
    try {
      if (proto_)
        proto_->connection_made(self);
      else if (bproto_)
        bproto_->connection_made(self);
    } catch (...) {
      if (is_interrupt(std::current_exception())) throw;
      report_callback_error("Exception in callback Protocol.connection_made()");
    }
  }
  // Python: only start reading once connection_made() has been called,
  // and not if it paused reading or closed the transport.
  if (sock_ && is_reading()) {
    try {
      sock_->start_reading();
    } catch (...) {
      fatal_error(std::current_exception(), "Fatal read error on socket transport");
    }
  }
  if (waiter && !waiter->done()) waiter->set_result();
}

void SocketTransport::report_callback_error(const char* what) const {
  ExceptionContext context;
  context.message = what;
  context.exception = std::current_exception();
  context.extra.emplace_back("transport", repr());
  loop_->call_exception_handler(context);
}

std::string SocketTransport::repr() const {
  // Python: _SelectorTransport.__repr__
  std::string s = "<SocketTransport";
  if (!sock_) {
    s += " closed";
  } else if (closing_) {
    s += " closing";
  }
  if (sock_) s += " fd=" + std::to_string(sock_->info().fileno());
  if (sock_) {
    s += std::string(" read=") + (is_reading() ? "polling" : "idle");
    s += std::string(" write=<") + (writing_ ? "polling" : "idle") +
         ", bufsize=" + std::to_string(get_write_buffer_size()) + ">";
  }
  return s + ">";
}

std::exception_ptr SocketTransport::os_error(std::error_code error) const {
  std::string what = "connection";
  auto it = extra_.find("peername");
  if (it != extra_.end()) {
    if (const auto* peer = std::any_cast<SockAddr>(&it->second)) what += " to " + peer->repr();
  }
  return std::make_exception_ptr(std::system_error(error, what));
}

// ---- Events from the backend (inside poll) ----

std::span<char> SocketTransport::read_buffer(std::size_t) noexcept {
  if (bproto_) {
    // Python: _read_ready__get_buffer, get_buffer(-1) before recv_into.
    // One buffer at a time: the next get_buffer() follows buffer_updated().
    if (events_ & (kRead | kGetBufferError)) return {};
    try {
      std::span<char> buf = bproto_->get_buffer(-1);
      if (buf.empty()) throw RuntimeError("get_buffer() returned an empty buffer");
      lent_ = buf;
      return buf;
    } catch (...) {
      get_buffer_error_ = std::current_exception();
      events_ |= kGetBufferError;
      schedule();
      return {};
    }
  }
  if (chunk_ == nullptr) {
    try {
      chunk_ = take_chunk();
    } catch (...) {
      return {};  // out of memory: leave the bytes in the kernel for now
    }
  }
  return {chunk_ + rlen_, kReadChunkSize - rlen_};
}

void SocketTransport::on_read(std::size_t n) noexcept {
  rlen_ += n;
  events_ |= kRead;
  schedule();
}

void SocketTransport::on_eof() noexcept {
  events_ |= kEof;
  schedule();
}

void SocketTransport::on_read_error(std::error_code error) noexcept {
  read_error_ = error;
  events_ |= kReadError;
  schedule();
}

void SocketTransport::on_write_done(std::error_code error) noexcept {
  write_error_ = error;
  events_ |= kWriteDone;
  schedule();
}

void SocketTransport::on_detached() noexcept {
  // The loop is closing with the connection open. Python leaves such a
  // transport to the garbage collector (which warns "unclosed transport");
  // here it lets go of everything, calling no protocol callback.
  if (loop_->get_debug() && !closing_) {
    log_noexcept(LogLevel::warning, [&] { return "ResourceWarning: unclosed transport " + repr(); });
  }
  if (sock_) loop_->unregister_transport_fd(sock_->info().fileno(), this);
  [[maybe_unused]] StreamSocket* freed_by_backend = sock_.release();  // the backend frees it
  closing_ = true;
  if (conn_lost_ == 0) conn_lost_ = 1;
  events_ = 0;
  drop_read_state();
  pending_.clear();
  if (auto* layered = dynamic_cast<DetachableProtocol*>(protocol_.get())) layered->transport_detached();
  std::shared_ptr<BaseProtocol> protocol = std::move(protocol_);
  proto_ = nullptr;
  adopter_ = nullptr;
  bproto_ = nullptr;
  if (server_) {
    server_->detach(this);
    server_.reset();
  }
  protocol.reset();
  release_self();
}

void SocketTransport::schedule() noexcept {
  if (queued_) return;
  try {
    detail::internals(*loop_).push_runnable(this);
    queued_ = true;
  } catch (...) {  // NOLINT(bugprone-empty-catch): see the comment
    // The loop is closed: nothing will run any more.
  }
}

// ---- The ready-queue entry ----

void SocketTransport::run() {
  queued_ = false;
  running_ = true;
  struct Done {
    SocketTransport* t;
    ~Done() {
      t->running_ = false;
      if (t->release_deferred_ && !t->queued_) {
        t->release_deferred_ = false;
        t->release_self();  // may free the transport: nothing follows
      }
    }
  } done{this};
  try {
    handle_events();
  } catch (...) {
    if (is_interrupt(std::current_exception())) throw;
    report_callback_error("Exception in callback SocketTransport._read_ready()");
  }
}

void SocketTransport::discard() noexcept {
  queued_ = false;
  events_ = 0;
  if (release_deferred_ && !running_) {
    release_deferred_ = false;
    release_self();
  }
}

std::string SocketTransport::describe() const { return "Handle " + repr() + "._read_ready()"; }

void SocketTransport::handle_events() {
  // Python's selector adds reader callbacks before writer callbacks.
  if (events_ & kReadEvents) handle_read_events();
  if (events_ & kWriteDone) {
    events_ &= ~kWriteDone;
    handle_write_done();
  }
}

void SocketTransport::drop_read_state() noexcept {
  events_ &= ~kReadEvents;
  rlen_ = 0;
  carry_.clear();
  get_buffer_error_ = nullptr;
  release_chunk();
}

void SocketTransport::release_chunk() noexcept {
  if (chunk_ != nullptr) {
    give_chunk(chunk_);
    chunk_ = nullptr;
  }
}

void SocketTransport::handle_read_events() {
  // Python: _read_ready__data_received / _read_ready__get_buffer /
  // _read_ready__on_eof. A closing transport's reader is removed, so what
  // was read is dropped; a paused one keeps it for resume_reading().
  if (conn_lost_ || closing_) {
    drop_read_state();
    return;
  }
  if (paused_) return;
  if (events_ & kGetBufferError) {
    events_ &= ~kGetBufferError;
    std::exception_ptr e = std::exchange(get_buffer_error_, nullptr);
    if (is_interrupt(e)) std::rethrow_exception(e);
    fatal_error(e, "Fatal error: protocol.get_buffer() call failed.");
    return;
  }
  if ((events_ & kRead) && !carry_.empty()) {
    // Bytes read for the previous protocol come first.
    std::string carried = std::move(carry_);
    carry_.clear();
    try {
      if (bproto_)
        feed_data_to_buffered_proto(*bproto_, carried);
      else if (proto_)
        proto_->data_received(carried);
    } catch (...) {
      if (is_interrupt(std::current_exception())) throw;
      fatal_error(std::current_exception(), bproto_ ? "Fatal error: protocol.buffer_updated() call failed."
                                                    : "Fatal error: protocol.data_received() call failed.");
      return;
    }
    if (rlen_ == 0) events_ &= ~kRead;
    if (conn_lost_ || closing_ || paused_) return;
  }
  if (events_ & kRead) {
    events_ &= ~kRead;
    const std::size_t n = std::exchange(rlen_, 0);
    try {
      if (bproto_) {
        bproto_->buffer_updated(n);
      } else if (adopter_) {
        adopter_->data_received_chunk(chunk_, n);  // may keep the chunk (then chunk_ is null)
      } else if (proto_) {
        proto_->data_received(std::string_view(chunk_, n));
      }
    } catch (...) {
      if (is_interrupt(std::current_exception())) throw;
      if (rlen_ == 0) release_chunk();
      fatal_error(std::current_exception(), bproto_ ? "Fatal error: protocol.buffer_updated() call failed."
                                                    : "Fatal error: protocol.data_received() call failed.");
      return;
    }
    if (rlen_ == 0) release_chunk();
    if (conn_lost_ || closing_ || paused_) return;
  }
  if (events_ & kReadError) {
    events_ &= ~(kReadError | kEof);
    fatal_error(os_error(read_error_), "Fatal read error on socket transport");
    return;
  }
  if (events_ & kEof) {
    events_ &= ~kEof;
    if (loop_->get_debug()) logger().debug(repr() + " received EOF");
    bool keep_open = false;
    try {
      keep_open = bproto_ ? bproto_->eof_received() : (proto_ ? proto_->eof_received() : false);
    } catch (...) {
      if (is_interrupt(std::current_exception())) throw;
      fatal_error(std::current_exception(), "Fatal error: protocol.eof_received() call failed.");
      return;
    }
    // keep_open: the protocol may still write; reading has stopped (the
    // backend stops at EOF). Otherwise the transport closes itself.
    if (!keep_open) close();
  }
}

// ---- Reading control ----

void SocketTransport::pause_reading() {
  // Python: _SelectorTransport.pause_reading
  if (!is_reading()) return;
  paused_ = true;
  if (sock_) sock_->stop_reading();
  if (loop_->get_debug()) logger().debug(repr() + " pauses reading");
}

void SocketTransport::resume_reading() {
  // Python: _SelectorTransport.resume_reading
  if (closing_ || !paused_) return;
  paused_ = false;
  if (sock_ && !(events_ & (kEof | kReadError))) {
    try {
      sock_->start_reading();
    } catch (...) {
      fatal_error(std::current_exception(), "Fatal read error on socket transport");
      return;
    }
  }
  if (events_ & kReadEvents) schedule();
  if (loop_->get_debug()) logger().debug(repr() + " resumes reading");
}

// ---- Writing ----

std::size_t SocketTransport::get_write_buffer_size() const {
  if (conn_lost_ || !sock_) return 0;
  return (writing_ ? sock_->write_queue_size() : 0) + pending_.size();
}

void SocketTransport::set_write_buffer_limits(std::optional<std::int64_t> high, std::optional<std::int64_t> low) {
  auto [h, l] = write_buffer_limits(high, low);
  high_water_ = h;
  low_water_ = l;
  maybe_pause_protocol();
}

void SocketTransport::maybe_pause_protocol() {
  // Python: _FlowControlMixin._maybe_pause_protocol (strictly above high).
  if (get_write_buffer_size() <= high_water_) return;
  if (protocol_paused_) return;
  protocol_paused_ = true;
  try {
    if (protocol_) protocol_->pause_writing();
  } catch (...) {
    if (is_interrupt(std::current_exception())) throw;
    report_callback_error("protocol.pause_writing() failed");
  }
}

void SocketTransport::maybe_resume_protocol() {
  // Python: _FlowControlMixin._maybe_resume_protocol (at or below low).
  if (!protocol_paused_ || get_write_buffer_size() > low_water_) return;
  protocol_paused_ = false;
  try {
    if (protocol_) protocol_->resume_writing();
  } catch (...) {
    if (is_interrupt(std::current_exception())) throw;
    report_callback_error("protocol.resume_writing() failed");
  }
}

void SocketTransport::write(std::string_view data) {
  // Python: _SelectorSocketTransport.write
  if (eof_) throw RuntimeError("Cannot call write() after write_eof()");
  if (empty_waiter_) throw RuntimeError("unable to write; sendfile is in progress");
  if (data.empty()) return;
  send(std::span<const std::string_view>(&data, 1), data.size());
}

void SocketTransport::writelines(std::span<const std::string_view> list_of_data) {
  // Python: _SelectorSocketTransport.writelines (one gathered send).
  if (eof_) throw RuntimeError("Cannot call writelines() after write_eof()");
  if (empty_waiter_) throw RuntimeError("unable to writelines; sendfile is in progress");
  std::size_t total = 0;
  for (std::string_view d : list_of_data) total += d.size();
  if (total == 0) return;
  send(list_of_data, total);
}

void SocketTransport::send(std::span<const std::string_view> buffers, std::size_t total) {
  if (conn_lost_) {
    if (conn_lost_ >= kLogThresholdForConnLostWrites) logger().warning("socket.send() raised exception.");
    ++conn_lost_;
    return;
  }
  if (!writing_) {
    // Optimization: try to send now, buffer only the rest.
    std::error_code error;
    std::size_t n = sock_->try_write(buffers, error);
    if (error) {
      fatal_error(os_error(error), "Fatal write error on socket transport");
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
    start_write();
    if (!writing_) return;  // failed: fatal_error closed the transport
  } else {
    for (std::string_view d : buffers) pending_.append(d);
  }
  maybe_pause_protocol();
}

void SocketTransport::start_write() {
  std::string_view v(inflight_);
  std::error_code error = sock_->write(std::span<const std::string_view>(&v, 1));
  if (error) {
    inflight_.clear();
    fatal_error(os_error(error), "Fatal write error on socket transport");
    return;
  }
  writing_ = true;
}

void SocketTransport::handle_write_done() {
  // Python: _SelectorSocketTransport._write_ready, once the backend has
  // sent everything it was given.
  writing_ = false;
  inflight_.clear();
  std::error_code error = std::exchange(write_error_, {});
  if (conn_lost_) {
    pending_.clear();
    return;
  }
  if (error) {
    pending_.clear();
    fatal_error(os_error(error), "Fatal write error on socket transport");
    return;
  }
  if (!pending_.empty()) {
    std::swap(inflight_, pending_);
    start_write();
    if (conn_lost_) return;
  }
  maybe_resume_protocol();  // may write more
  if (!writing_ && empty_waiter_ && !empty_waiter_->done()) empty_waiter_->set_result();
  if (!writing_ && !conn_lost_) {
    if (closing_) {
      call_connection_lost(nullptr);
    } else if (eof_) {
      sock_->shutdown();
    }
  }
}

void SocketTransport::write_eof() {
  // Python: _SelectorSocketTransport.write_eof
  if (closing_ || eof_) return;
  eof_ = true;
  if (!writing_ && sock_) sock_->shutdown();
}

// ---- Closing ----

void SocketTransport::close() {
  // Python: _SelectorTransport.close
  if (closing_) return;
  closing_ = true;
  if (sock_) sock_->stop_reading();
  drop_read_state();
  if (!writing_) {
    ++conn_lost_;
    loop_->call_soon([self = self_] { self->call_connection_lost(nullptr); });
  }
}

void SocketTransport::force_close(std::exception_ptr exc) {
  // Python: _SelectorTransport._force_close
  if (conn_lost_) return;
  pending_.clear();  // the write in flight ends when the socket closes
  if (!closing_) {
    closing_ = true;
    if (sock_) sock_->stop_reading();
    drop_read_state();
  }
  ++conn_lost_;
  loop_->call_soon([self = self_, exc] { self->call_connection_lost(exc); });
}

void SocketTransport::fatal_error(const std::exception_ptr& exc, const char* message) {
  // Python: _SelectorTransport._fatal_error: OS errors (connection reset,
  // broken pipe) are expected and logged only in debug mode.
  if (is_os_error(exc)) {
    if (loop_->get_debug()) logger().debug(repr() + ": " + message + "\n" + describe_exception(exc));
  } else {
    ExceptionContext context;
    context.message = message;
    context.exception = exc;
    context.extra.emplace_back("transport", repr());
    if (protocol_) {
      const BaseProtocol& protocol = *protocol_;  // typeid of a plain reference: no call inside it
      context.extra.emplace_back("protocol", "<" + type_name(typeid(protocol)) + ">");
    }
    loop_->call_exception_handler(context);
  }
  force_close(exc);
}

void SocketTransport::call_connection_lost(std::exception_ptr exc) {
  // Python: _SelectorTransport._call_connection_lost. Whatever
  // connection_lost() does, the socket is closed and the server told.
  struct Finally {
    SocketTransport* t;
    ~Finally() {
      if (t->conn_lost_ == 0) t->conn_lost_ = 1;
      t->closing_ = true;
      t->drop_read_state();
      t->pending_.clear();
      if (t->sock_) t->loop_->unregister_transport_fd(t->sock_->info().fileno(), t);
      t->sock_.reset();
      std::shared_ptr<BaseProtocol> protocol = std::move(t->protocol_);
      t->proto_ = nullptr;
      t->adopter_ = nullptr;
      t->bproto_ = nullptr;
      if (t->server_) {
        t->server_->detach(t);
        t->server_.reset();
      }
      protocol.reset();
      t->release_self();  // may free the transport: nothing follows
    }
  } finally{this};
  if (protocol_connected_ && protocol_) {
    protocol_connected_ = false;
    protocol_->connection_lost(std::move(exc));
  }
  // Python: _SelectorSocketTransport._call_connection_lost
  if (empty_waiter_ && !empty_waiter_->done()) {
    empty_waiter_->set_exception(std::make_exception_ptr(OSError("Connection is closed by peer")));
  }
}

Future<void> SocketTransport::make_empty_waiter() {
  // Python: _SelectorSocketTransport._make_empty_waiter
  if (empty_waiter_) throw RuntimeError("Empty waiter is already set");
  empty_waiter_.emplace(loop_->create_future());
  if (!writing_) empty_waiter_->set_result();
  return *empty_waiter_;
}

int SocketTransport::socket_fd() const noexcept { return sock_ ? sock_->info().fileno() : -1; }

void SocketTransport::release_self() noexcept {
  if (queued_ || running_) {
    release_deferred_ = true;
    return;
  }
  std::shared_ptr<SocketTransport> self = std::move(self_);
  // `self` may be the last reference: the transport is freed on return.
}

}  // namespace asyncio::detail

namespace asyncio {

std::any BaseTransport::get_extra_info(std::string_view name, std::any default_value) const {
  auto it = extra_.find(name);
  if (it == extra_.end()) return default_value;
  return it->second;
}

std::string BaseTransport::repr() const { return "<Transport>"; }

namespace detail {

std::pair<std::size_t, std::size_t> write_buffer_limits(std::optional<std::int64_t> high,
                                                        std::optional<std::int64_t> low) {
  // Python: _FlowControlMixin._set_write_buffer_limits
  std::int64_t h = 0;
  if (!high) {
    constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max(), kMin = std::numeric_limits<std::int64_t>::min();
    h = !low ? std::int64_t{64} * 1024 : *low > kMax / 4 ? kMax : *low < kMin / 4 ? kMin : 4 * *low;  // no overflow
  } else {
    h = *high;
  }
  // Python's floor division (-1 // 4 is -1).
  const std::int64_t l = low ? *low : (h >= 0 ? h / 4 : -((-h + 3) / 4));
  if (!(h >= l && l >= 0)) {
    throw ValueError("high (" + std::to_string(h) + ") must be >= low (" + std::to_string(l) + ") must be >= 0");
  }
  // A limit above a 32-bit SIZE_MAX (set_write_buffer_limits(1 << 40) to
  // turn flow control off) means "no limit", not a truncated small one.
  return {size_or_max(h), size_or_max(l)};
}

}  // namespace detail

}  // namespace asyncio
