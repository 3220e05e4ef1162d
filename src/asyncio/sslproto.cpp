// TLS over a transport: Python's asyncio.sslproto, method for method (the
// Python names are given with each). See detail/sslproto.hpp for the
// design and the invariants.
#include "asyncio/detail/sslproto.hpp"

#include <typeinfo>

#include <cstdio>
#include <utility>

#include "asyncio/detail/chunk_pool.hpp"
#include "asyncio/detail/demangle.hpp"
#include "asyncio/detail/net.hpp"
#include "asyncio/detail/repr.hpp"
#include "asyncio/detail/tls.hpp"
#include "asyncio/exception_context.hpp"
#include "asyncio/log.hpp"

namespace asyncio::detail {

namespace {

// Python: constants.LOG_THRESHOLD_FOR_CONNLOST_WRITES
constexpr int kLogThresholdForConnLostWrites = 5;

// Ciphertext a TlsEngine call produced, until flush_output() hands it on.
// Shared by the thread's connections: it is empty whenever no engine call
// is in progress.
std::string& scratch() {
  thread_local std::string s;
  return s;
}

bool is_os_error(const std::exception_ptr& e) {
  if (!e) return false;
  try {
    std::rethrow_exception(e);
  } catch (const std::system_error&) {
    return true;
  } catch (...) {
    return false;
  }
}

bool is_cancelled(const std::exception_ptr& e) {
  if (!e) return false;
  try {
    std::rethrow_exception(e);
  } catch (const CancelledError&) {
    return true;
  } catch (...) {
    return false;
  }
}

bool is_cert_error(const std::exception_ptr& e) {
  if (!e) return false;
  try {
    std::rethrow_exception(e);
  } catch (const SSLCertVerificationError&) {
    return true;
  } catch (...) {
    return false;
  }
}

// Python: sslproto.add_flowcontrol_defaults
std::pair<std::size_t, std::size_t> flowcontrol_limits(std::optional<std::int64_t> high,
                                                       std::optional<std::int64_t> low, std::int64_t kb) {
  std::int64_t hi = 0;
  if (!high) {
    hi = low ? (*low > INT64_MAX / 4 ? INT64_MAX : (*low < INT64_MIN / 4 ? INT64_MIN : 4 * *low)) : kb * 1024;
  } else {
    hi = *high;
  }
  const std::int64_t lo = low ? *low : (hi >= 0 ? hi / 4 : -((-hi + 3) / 4));
  if (!(hi >= lo && lo >= 0)) {
    throw ValueError("high (" + std::to_string(hi) + ") must be >= low (" + std::to_string(lo) + ") must be >= 0");
  }
  return {size_or_max(hi), size_or_max(lo)};
}

std::exception_ptr closed_error() {
  return std::make_exception_ptr(SSLZeroReturnError(6, "TLS/SSL connection has been closed (EOF)"));
}

}  // namespace

// ---- Construction ----

std::shared_ptr<SSLProtocol> SSLProtocol::create(EventLoop& loop, std::shared_ptr<BaseProtocol> app_protocol,
                                                 std::shared_ptr<SSLContext> sslcontext,
                                                 std::optional<Future<void>> waiter, bool server_side,
                                                 std::optional<std::string> server_hostname,
                                                 bool call_connection_made,
                                                 std::optional<double> ssl_handshake_timeout,
                                                 std::optional<double> ssl_shutdown_timeout) {
  // Python: SSLProtocol.__init__
  if (ssl_handshake_timeout && !(*ssl_handshake_timeout > 0)) {
    throw ValueError("ssl_handshake_timeout should be a positive number, got " + float_repr(*ssl_handshake_timeout));
  }
  if (ssl_shutdown_timeout && !(*ssl_shutdown_timeout > 0)) {
    throw ValueError("ssl_shutdown_timeout should be a positive number, got " + float_repr(*ssl_shutdown_timeout));
  }
  if (!sslcontext) {
    // Python: _create_transport_context (what ssl=True means).
    if (server_side) throw ValueError("Server side SSL needs a valid SSLContext");
    sslcontext = create_default_context();
    if (!server_hostname || server_hostname->empty()) sslcontext->set_check_hostname(false);
  }
  auto p = std::make_shared<SSLProtocol>(Private{}, loop);
  p->handshake_timeout_ = ssl_handshake_timeout.value_or(kHandshakeTimeout);
  p->shutdown_timeout_ = ssl_shutdown_timeout.value_or(kShutdownTimeout);
  p->server_side_ = server_side;
  if (server_hostname && !server_hostname->empty() && !server_side) p->server_hostname_ = std::move(server_hostname);
  p->sslcontext_ = sslcontext;
  p->extra_["sslcontext"] = sslcontext;
  p->waiter_ = std::move(waiter);
  p->set_app_protocol(std::move(app_protocol));
  p->app_state_ = call_connection_made ? AppState::INIT : AppState::CON_MADE;
  p->sslobj_ = tls_wrap(sslcontext, server_side, p->server_hostname_);
  p->engine_ = &p->sslobj_->engine();
  return p;
}

SSLProtocol::SSLProtocol(Private, EventLoop& loop) : loop_(&loop) {}

SSLProtocol::~SSLProtocol() {
  handshake_timeout_handle_.cancel();
  shutdown_timeout_handle_.cancel();
}

void SSLProtocol::set_app_protocol(std::shared_ptr<BaseProtocol> protocol) {
  // Python: SSLProtocol._set_app_protocol
  auto* p = dynamic_cast<Protocol*>(protocol.get());
  auto* bp = p ? nullptr : dynamic_cast<BufferedProtocol*>(protocol.get());
  if (!p && !bp) throw TypeError("a stream transport needs a Protocol or a BufferedProtocol");
  app_protocol_ = std::move(protocol);
  app_proto_ = p;
  app_bproto_ = bp;
}

void SSLProtocol::set_protocol(std::shared_ptr<BaseProtocol> protocol) { set_app_protocol(std::move(protocol)); }

void SSLProtocol::wakeup_waiter(const std::exception_ptr& exc) {
  // Python: SSLProtocol._wakeup_waiter
  if (!waiter_) return;
  Future<void> waiter = std::move(*waiter_);
  waiter_.reset();
  if (waiter.done()) return;  // cancelled
  if (exc)
    waiter.set_exception(exc);
  else
    waiter.set_result();
}

const char* SSLProtocol::state_name() const noexcept {
  switch (state_) {
    case State::UNWRAPPED:
      return "UNWRAPPED";
    case State::DO_HANDSHAKE:
      return "DO_HANDSHAKE";
    case State::WRAPPED:
      return "WRAPPED";
    case State::FLUSHING:
      return "FLUSHING";
    case State::SHUTDOWN:
      return "SHUTDOWN";
  }
  return "?";
}

void SSLProtocol::set_state(State s) {
  // Python: SSLProtocol._set_state
  const bool allowed = s == State::UNWRAPPED || (state_ == State::UNWRAPPED && s == State::DO_HANDSHAKE) ||
                       (state_ == State::DO_HANDSHAKE && s == State::WRAPPED) ||
                       (state_ == State::WRAPPED && s == State::FLUSHING) ||
                       (state_ == State::FLUSHING && s == State::SHUTDOWN);
  if (!allowed) {
    const char* from = state_name();
    const State old = state_;
    state_ = s;
    const std::string to = state_name();
    state_ = old;
    throw RuntimeError(std::string("cannot switch state from SSLProtocolState.") + from + " to SSLProtocolState." + to);
  }
  state_ = s;
}

std::string SSLProtocol::repr() const {
  std::string s = "<SSLProtocolTransport state=";
  s += state_name();
  if (app_transport_closed_) s += " closed";
  s += " transport=" + (transport_ ? transport_->repr() : std::string("None"));
  return s + ">";
}

std::any SSLProtocol::get_extra_info(std::string_view name, std::any default_value) const {
  // Python: SSLProtocol._get_extra_info
  if (handshake_done_) {
    if (name == "peercert") return sslobj_->getpeercert();
    if (name == "cipher") return sslobj_->cipher();
    if (name == "compression") return sslobj_->compression();
    if (name == "ssl_object") return sslobj_;
  }
  auto it = extra_.find(name);
  if (it != extra_.end()) return it->second;
  if (transport_) return transport_->get_extra_info(name, std::move(default_value));
  return default_value;
}

// ---- The raw transport's protocol ----

void SSLProtocol::connection_made(std::shared_ptr<Transport> transport) {
  // Python: SSLProtocol.connection_made: start the handshake.
  transport_tls_ = dynamic_cast<TlsCapableTransport*>(transport.get());
  transport_ = std::move(transport);
  start_handshake();
}

void SSLProtocol::connection_lost(std::exception_ptr exc) {
  // Python: SSLProtocol.connection_lost
  write_backlog_.clear();
  write_buffer_size_ = 0;
  std::string().swap(pending_out_);
  ++conn_lost_;
  app_transport_closed_ = true;
  if (state_ != State::DO_HANDSHAKE && app_protocol_ &&
      (app_state_ == AppState::CON_MADE || app_state_ == AppState::EOF_RECEIVED)) {
    app_state_ = AppState::CON_LOST;
    loop_->call_soon([protocol = app_protocol_, exc] { protocol->connection_lost(exc); });
  }
  set_state(State::UNWRAPPED);
  transport_.reset();
  transport_tls_ = nullptr;
  app_protocol_.reset();
  app_proto_ = nullptr;
  app_bproto_ = nullptr;
  wakeup_waiter(exc);
  handshake_timeout_handle_.cancel();
  shutdown_timeout_handle_.cancel();
  buffer_lent_ = false;
  engine_->incoming.release();
}

void SSLProtocol::transport_detached() noexcept {
  // The loop closed with the connection open: let go of everything
  // without calling the application (as SocketTransport::on_detached()).
  state_ = State::UNWRAPPED;
  app_transport_closed_ = true;
  handshake_timeout_handle_ = TimerHandle();
  shutdown_timeout_handle_ = TimerHandle();
  std::shared_ptr<BaseProtocol> app = std::move(app_protocol_);
  app_proto_ = nullptr;
  app_bproto_ = nullptr;
  transport_.reset();
  transport_tls_ = nullptr;
  waiter_.reset();
  buffer_lent_ = false;
  engine_->incoming.release();
  if (auto* nested = dynamic_cast<DetachableProtocol*>(app.get())) nested->transport_detached();
}

std::span<char> SSLProtocol::get_buffer(std::int64_t) {
  // Python: SSLProtocol.get_buffer (ciphertext lands in the engine's buffer).
  std::span<char> buf = engine_->incoming.prepare();
  buffer_lent_ = true;
  return buf;
}

void SSLProtocol::buffer_updated(std::size_t nbytes) {
  // Python: SSLProtocol.buffer_updated
  engine_->incoming.commit(nbytes);
  buffer_lent_ = false;
  switch (state_) {
    case State::DO_HANDSHAKE:
      do_handshake();
      break;
    case State::WRAPPED:
      do_read();
      break;
    case State::FLUSHING:
      do_flush();
      break;
    case State::SHUTDOWN:
      do_shutdown();
      break;
    case State::UNWRAPPED:
      break;
  }
  after_incoming();
}

void SSLProtocol::after_incoming() noexcept {
  // An idle connection holds no ciphertext buffer (unless the raw
  // transport may still be reading into it).
  if (!buffer_lent_) engine_->incoming.release_if_empty();
}

bool SSLProtocol::eof_received() {
  // Python: SSLProtocol.eof_received. The peer closed TCP: no
  // close_notify (a truncation) is handled like one, as CPython does.
  eof_received_ = true;
  buffer_lent_ = false;  // the transport reads no more
  try {
    if (loop_->get_debug()) logger().debug(repr() + " received EOF");
    switch (state_) {
      case State::DO_HANDSHAKE:
        on_handshake_complete(std::make_exception_ptr(
            OSError(std::make_error_code(std::errc::connection_reset),
                    "Connection reset by peer: the connection was closed during the SSL handshake")));
        break;
      case State::WRAPPED:
        set_state(State::FLUSHING);
        if (app_reading_paused_) return true;  // resume_reading() goes on
        do_flush();
        break;
      case State::FLUSHING:
        do_write();
        set_state(State::SHUTDOWN);
        do_shutdown();
        break;
      case State::SHUTDOWN:
        do_shutdown();
        break;
      case State::UNWRAPPED:
        break;
    }
  } catch (...) {
    if (transport_) transport_->close();
    throw;
  }
  after_incoming();
  return false;
}

void SSLProtocol::pause_writing() {
  // Python: SSLProtocol.pause_writing (the raw transport is full).
  ssl_writing_paused_ = true;
}

void SSLProtocol::resume_writing() {
  // Python: SSLProtocol.resume_writing
  ssl_writing_paused_ = false;
  process_outgoing();
}

// ---- Handshake ----

void SSLProtocol::start_handshake() {
  // Python: SSLProtocol._start_handshake
  if (loop_->get_debug()) {
    logger().debug(repr() + " starts SSL handshake");
    handshake_start_time_ = loop_->time();
  }
  set_state(State::DO_HANDSHAKE);
  handshake_timeout_handle_ = loop_->call_later(handshake_timeout_, [weak = weak_from_this()] {
    if (auto self = weak.lock()) self->check_handshake_timeout();
  });
  do_handshake();
}

void SSLProtocol::check_handshake_timeout() {
  // Python: SSLProtocol._check_handshake_timeout
  if (state_ != State::DO_HANDSHAKE) return;
  fatal_error(std::make_exception_ptr(OSError(std::make_error_code(std::errc::connection_aborted),
                                              "SSL handshake is taking longer than " + float_repr(handshake_timeout_) +
                                                  " seconds: aborting the connection")));
}

void SSLProtocol::do_handshake() {
  // Python: SSLProtocol._do_handshake
  TlsResult r = engine_->do_handshake(scratch());
  // Divergence: the output is sent even when the handshake failed, so the
  // peer gets the TLS alert saying why (CPython drops it and closes).
  flush_output();
  switch (r.status) {
    case TlsStatus::want_read:
      process_outgoing();
      return;
    case TlsStatus::ok:
      on_handshake_complete(nullptr);
      return;
    case TlsStatus::closed:
      on_handshake_complete(closed_error());
      return;
    case TlsStatus::failed:
      on_handshake_complete(r.error);
      return;
  }
}

void SSLProtocol::on_handshake_complete(const std::exception_ptr& handshake_exc) {
  // Python: SSLProtocol._on_handshake_complete
  handshake_timeout_handle_.cancel();
  try {
    if (handshake_exc) std::rethrow_exception(handshake_exc);
    set_state(State::WRAPPED);
  } catch (...) {
    std::exception_ptr exc = std::current_exception();
    if (is_interrupt(exc)) throw;
    set_state(State::UNWRAPPED);
    fatal_error(exc,
                is_cert_error(exc) ? "SSL handshake failed on verifying the certificate" : "SSL handshake failed");
    wakeup_waiter(exc);
    return;
  }
  if (loop_->get_debug()) {
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.1f", (loop_->time() - handshake_start_time_) * 1e3);
    logger().debug(repr() + ": SSL handshake took " + ms + " ms");
  }
  // Python: the extra info known once the handshake is done (peercert,
  // cipher, compression, ssl_object), made when asked for (get_extra_info):
  // an idle connection does not keep a decoded certificate.
  handshake_done_ = true;
  if (app_state_ == AppState::INIT) {
    app_state_ = AppState::CON_MADE;
    std::shared_ptr<Transport> self = shared_from_this();
    if (app_proto_)
      app_proto_->connection_made(self);
    else
      app_bproto_->connection_made(self);
  }
  wakeup_waiter(nullptr);
  do_read();
}

// ---- Shutdown ----

void SSLProtocol::start_shutdown() {
  // Python: SSLProtocol._start_shutdown
  if (state_ == State::FLUSHING || state_ == State::SHUTDOWN || state_ == State::UNWRAPPED) return;
  app_transport_closed_ = true;
  if (state_ == State::DO_HANDSHAKE) {
    abort_with(nullptr);
    return;
  }
  set_state(State::FLUSHING);
  shutdown_timeout_handle_ = loop_->call_later(shutdown_timeout_, [weak = weak_from_this()] {
    if (auto self = weak.lock()) self->check_shutdown_timeout();
  });
  do_flush();
}

void SSLProtocol::check_shutdown_timeout() {
  // Python: SSLProtocol._check_shutdown_timeout
  if (state_ != State::FLUSHING && state_ != State::SHUTDOWN) return;
  if (transport_tls_) transport_tls_->force_close(std::make_exception_ptr(TimeoutError("SSL shutdown timed out")));
}

void SSLProtocol::do_flush() {
  // Python: SSLProtocol._do_flush: deliver what was received, then shut down.
  do_read();
  if (state_ != State::FLUSHING) return;  // aborted meanwhile
  set_state(State::SHUTDOWN);
  do_shutdown();
}

void SSLProtocol::do_shutdown() {
  // Python: SSLProtocol._do_shutdown (no close_notify exchange once the
  // peer closed the TCP connection).
  TlsResult r;
  if (!eof_received_) {
    r = engine_->shutdown(scratch());
    flush_output();
  }
  switch (r.status) {
    case TlsStatus::want_read:
      process_outgoing();
      return;
    case TlsStatus::failed:
      on_shutdown_complete(r.error);
      return;
    case TlsStatus::ok:
    case TlsStatus::closed:
      process_outgoing();
      call_eof_received();
      on_shutdown_complete(nullptr);
      return;
  }
}

void SSLProtocol::on_shutdown_complete(const std::exception_ptr& shutdown_exc) {
  // Python: SSLProtocol._on_shutdown_complete
  shutdown_timeout_handle_.cancel();
  if (shutdown_exc) {
    fatal_error(shutdown_exc);
  } else if (transport_) {
    loop_->call_soon([transport = transport_] { transport->close(); });
  }
}

void SSLProtocol::abort_with(std::exception_ptr exc) {
  // Python: SSLProtocol._abort
  set_state(State::UNWRAPPED);
  if (transport_tls_)
    transport_tls_->force_close(std::move(exc));
  else if (transport_)
    transport_->abort();
}

// ---- The application's transport ----

void SSLProtocol::close() {
  // Python: _SSLProtocolTransport.close: flush, then close_notify.
  if (app_transport_closed_) return;
  app_transport_closed_ = true;
  start_shutdown();
}

bool SSLProtocol::is_closing() const {
  // Python 3.13+: also closing once the raw transport is.
  return app_transport_closed_ || (transport_ && transport_->is_closing());
}

void SSLProtocol::force_close(std::exception_ptr exc) {
  // Python: _SSLProtocolTransport._force_close (and abort(): exc is None).
  app_transport_closed_ = true;
  abort_with(exc);
}

void SSLProtocol::resume_reading() {
  // Python: SSLProtocol._resume_reading: continue on the next iteration.
  if (!app_reading_paused_) return;
  app_reading_paused_ = false;
  loop_->call_soon([self = shared_from_this()] {
    switch (self->state_) {
      case State::WRAPPED:
        self->do_read();
        break;
      case State::FLUSHING:
        self->do_flush();
        break;
      case State::SHUTDOWN:
        self->do_shutdown();
        break;
      default:
        break;
    }
    self->after_incoming();
  });
}

void SSLProtocol::write(std::string_view data) {
  if (data.empty()) return;
  write_appdata(std::span<const std::string_view>(&data, 1));
}

void SSLProtocol::writelines(std::span<const std::string_view> list_of_data) { write_appdata(list_of_data); }

void SSLProtocol::write_eof() {
  throw NotImplementedError("write_eof() is not supported by TLS transports: TLS has no half-close (Python raises "
                            "NotImplementedError too)");
}

void SSLProtocol::set_write_buffer_limits(std::optional<std::int64_t> high, std::optional<std::int64_t> low) {
  // Python: _SSLProtocolTransport.set_write_buffer_limits (512 KiB default).
  auto [h, l] = flowcontrol_limits(high, low, static_cast<std::int64_t>(kWriteHighWaterKiB));
  outgoing_high_water_ = h;
  outgoing_low_water_ = l;
  control_app_writing();
}

void SSLProtocol::set_read_buffer_limits(std::optional<std::int64_t> high, std::optional<std::int64_t> low) {
  // Python: _SSLProtocolTransport.set_read_buffer_limits (256 KiB default).
  auto [h, l] = flowcontrol_limits(high, low, static_cast<std::int64_t>(kReadHighWaterKiB));
  incoming_high_water_ = h;
  incoming_low_water_ = l;
  control_ssl_reading();
}

std::size_t SSLProtocol::get_read_buffer_size() const { return engine_->incoming.size(); }

void SSLProtocol::test_append_write_backlog(std::string data) {
  write_buffer_size_ += data.size();
  write_backlog_.push_back(std::move(data));
}

// ---- Outgoing ----

void SSLProtocol::write_appdata(std::span<const std::string_view> list_of_data) {
  // Python: SSLProtocol._write_appdata
  if (state_ == State::FLUSHING || state_ == State::SHUTDOWN || state_ == State::UNWRAPPED) {
    if (conn_lost_ >= kLogThresholdForConnLostWrites) logger().warning("SSL connection is closed");
    ++conn_lost_;
    return;
  }
  try {
    if (state_ == State::WRAPPED && write_backlog_.empty()) {
      // The common case, without copying into the backlog: encrypt now.
      for (std::size_t i = 0; i < list_of_data.size(); ++i) {
        const std::string_view data = list_of_data[i];
        if (data.empty()) continue;
        if (!write_backlog_.empty()) {
          write_backlog_.emplace_back(data);
          write_buffer_size_ += data.size();
          continue;
        }
        TlsResult r = engine_->write(data, scratch());
        flush_output();
        if (r.status == TlsStatus::failed) std::rethrow_exception(r.error);
        if (r.status == TlsStatus::closed) std::rethrow_exception(closed_error());
        if (r.status == TlsStatus::want_read) {
          write_backlog_.emplace_back(data);
          write_buffer_size_ += data.size();
        }
      }
      process_outgoing();
      return;
    }
    for (std::string_view data : list_of_data) {
      if (data.empty()) continue;
      write_backlog_.emplace_back(data);
      write_buffer_size_ += data.size();
    }
    if (state_ == State::WRAPPED) do_write();
  } catch (...) {
    if (is_interrupt(std::current_exception())) throw;
    fatal_error(std::current_exception(), "Fatal error on SSL protocol");
  }
}

void SSLProtocol::do_write() {
  // Python: SSLProtocol._do_write
  while (!write_backlog_.empty()) {
    const std::size_t len = write_backlog_.front().size();
    TlsResult r = engine_->write(write_backlog_.front(), scratch());
    // (flush_output() may run code that writes more: the backlog can grow.)
    flush_output();
    if (r.status == TlsStatus::want_read) break;
    if (r.status == TlsStatus::failed) std::rethrow_exception(r.error);
    if (r.status == TlsStatus::closed) std::rethrow_exception(closed_error());
    write_buffer_size_ -= len;
    write_backlog_.erase(write_backlog_.begin());
  }
  process_outgoing();
}

void SSLProtocol::flush_output() {
  // Hands the last engine call's ciphertext to the raw transport, or keeps
  // it while the raw transport has paused writing (Python: the data stays
  // in the outgoing MemoryBIO until _process_outgoing()).
  std::string& s = scratch();
  if (s.empty()) return;
  if (!transport_) {
    s.clear();  // connection lost: Python drops the outgoing BIO's data
    return;
  }
  if (ssl_writing_paused_ || !pending_out_.empty()) {
    pending_out_.append(s);
    s.clear();
    return;
  }
  // Take the bytes out of the shared string first: code the write may run
  // (an exception handler) can use other connections, hence the scratch.
  std::string out = std::move(s);
  s.clear();
  transport_->write(out);
  out.clear();
  if (s.capacity() < out.capacity()) s.swap(out);  // keep the warm buffer
}

void SSLProtocol::process_outgoing() {
  // Python: SSLProtocol._process_outgoing
  if (!ssl_writing_paused_ && transport_ && !pending_out_.empty()) {
    std::string data = std::move(pending_out_);
    pending_out_ = std::string();
    transport_->write(data);
  }
  control_app_writing();
}

void SSLProtocol::control_app_writing() {
  // Python: SSLProtocol._control_app_writing (pauses at >= high, as CPython).
  if (!app_protocol_) return;
  const std::size_t size = get_write_buffer_size();
  if (size >= outgoing_high_water_ && !app_writing_paused_) {
    app_writing_paused_ = true;
    try {
      app_protocol_->pause_writing();
    } catch (...) {
      if (is_interrupt(std::current_exception())) throw;
      report_callback_error("protocol.pause_writing() failed", std::current_exception());
    }
  } else if (size <= outgoing_low_water_ && app_writing_paused_) {
    app_writing_paused_ = false;
    try {
      app_protocol_->resume_writing();
    } catch (...) {
      if (is_interrupt(std::current_exception())) throw;
      report_callback_error("protocol.resume_writing() failed", std::current_exception());
    }
  }
}

// ---- Incoming ----

void SSLProtocol::do_read() {
  // Python: SSLProtocol._do_read
  if (state_ != State::WRAPPED && state_ != State::FLUSHING) return;
  try {
    if (!app_reading_paused_) {
      if (app_bproto_)
        do_read_buffered();
      else if (app_proto_)
        do_read_copied();
      if (!write_backlog_.empty())
        do_write();
      else
        process_outgoing();
    }
    control_ssl_reading();
  } catch (...) {
    if (is_interrupt(std::current_exception())) throw;
    fatal_error(std::current_exception(), "Fatal error on SSL protocol");
  }
}

void SSLProtocol::do_read_copied() {
  // Python: SSLProtocol._do_read__copied: decrypt what is there and hand
  // it over in one data_received() call (one per 64 KiB here).
  ScopedChunk chunk;
  char* buf = chunk.get();
  bool closed = false;
  for (;;) {
    std::size_t filled = 0;
    while (filled < kChunkSize) {
      TlsResult r = engine_->read(std::span<char>(buf + filled, kChunkSize - filled), scratch());
      flush_output();
      if (r.status == TlsStatus::ok) {
        filled += r.n;
        continue;
      }
      if (r.status == TlsStatus::closed) closed = true;
      if (r.status == TlsStatus::failed) std::rethrow_exception(r.error);
      break;
    }
    if (filled > 0) app_proto_->data_received(std::string_view(buf, filled));
    if (filled < kChunkSize || closed) break;
    // More may be waiting: go on, unless the application paused reading,
    // closed, or changed protocols meanwhile.
    if (app_reading_paused_ || (state_ != State::WRAPPED && state_ != State::FLUSHING)) break;
    if (!app_proto_) {
      schedule_do_read();
      break;
    }
  }
  if (closed) {
    // close_notify
    call_eof_received();
    start_shutdown();
  }
}

void SSLProtocol::do_read_buffered() {
  // Python: SSLProtocol._do_read__buffered
  std::span<char> buf = app_bproto_->get_buffer(static_cast<std::int64_t>(get_read_buffer_size()));
  if (buf.empty()) throw RuntimeError("get_buffer() returned an empty buffer");
  std::size_t offset = 0;
  bool closed = false;
  TlsResult r = engine_->read(buf, scratch());
  flush_output();
  if (r.status == TlsStatus::failed) std::rethrow_exception(r.error);
  closed = r.status == TlsStatus::closed;
  if (r.status == TlsStatus::ok) {
    offset = r.n;
    while (offset < buf.size()) {
      r = engine_->read(buf.subspan(offset), scratch());
      flush_output();
      if (r.status == TlsStatus::failed) std::rethrow_exception(r.error);
      if (r.status != TlsStatus::ok) {
        closed = r.status == TlsStatus::closed;
        break;
      }
      offset += r.n;
    }
    if (offset == buf.size()) schedule_do_read();  // the buffer is full: more may wait
  }
  if (offset > 0) app_bproto_->buffer_updated(offset);
  if (closed) {
    // close_notify
    call_eof_received();
    start_shutdown();
  }
}

void SSLProtocol::schedule_do_read() {
  loop_->call_soon([self = shared_from_this()] {
    self->do_read();
    self->after_incoming();
  });
}

void SSLProtocol::call_eof_received() {
  // Python: SSLProtocol._call_eof_received
  try {
    if (app_state_ == AppState::CON_MADE) {
      app_state_ = AppState::EOF_RECEIVED;
      const bool keep_open = app_bproto_ ? app_bproto_->eof_received() : app_proto_->eof_received();
      if (keep_open) logger().warning("returning true from eof_received() has no effect when using ssl");
    }
  } catch (...) {
    if (is_interrupt(std::current_exception())) throw;
    fatal_error(std::current_exception(), "Error calling eof_received()");
  }
}

void SSLProtocol::control_ssl_reading() {
  // Python: SSLProtocol._control_ssl_reading
  if (!transport_) return;
  const std::size_t size = get_read_buffer_size();
  if (size >= incoming_high_water_ && !ssl_reading_paused_) {
    ssl_reading_paused_ = true;
    transport_->pause_reading();
  } else if (size <= incoming_low_water_ && ssl_reading_paused_) {
    ssl_reading_paused_ = false;
    transport_->resume_reading();
  }
}

// ---- Errors ----

void SSLProtocol::fatal_error(const std::exception_ptr& exc, const char* message) {
  // Python: SSLProtocol._fatal_error
  std::shared_ptr<Transport> transport = transport_;
  if (transport_tls_)
    transport_tls_->force_close(exc);
  else if (transport)
    transport->abort();
  if (is_os_error(exc)) {
    if (loop_->get_debug()) logger().debug(repr() + ": " + message + "\n" + describe_exception(exc));
  } else if (!is_cancelled(exc)) {
    ExceptionContext context;
    context.message = message;
    context.exception = exc;
    context.extra.emplace_back("transport", transport ? transport->repr() : std::string("None"));
    context.extra.emplace_back("protocol", "<SSLProtocol>");
    loop_->call_exception_handler(context);
  }
}

void SSLProtocol::report_callback_error(const char* message, std::exception_ptr exc) {
  ExceptionContext context;
  context.message = message;
  context.exception = std::move(exc);
  context.extra.emplace_back("transport", repr());
  context.extra.emplace_back("protocol", "<SSLProtocol>");
  loop_->call_exception_handler(context);
}

}  // namespace asyncio::detail
