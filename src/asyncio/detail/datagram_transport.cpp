#include "asyncio/detail/datagram_transport.hpp"

#include <typeinfo>

#include "asyncio/detail/demangle.hpp"
#include "asyncio/exception_context.hpp"
#include "asyncio/log.hpp"
#include "asyncio/detail/loop_internals.hpp"

namespace asyncio::detail {

namespace {
/// Python's LOG_THRESHOLD_FOR_CONNLOST_WRITES.
constexpr int kLogThresholdForConnLostWrites = 5;
}  // namespace

std::shared_ptr<DatagramSocketTransport> DatagramSocketTransport::create(EventLoop& loop, DatagramSocketPtr sock,
                                                                         std::shared_ptr<DatagramProtocol> protocol,
                                                                         std::optional<SockAddr> address,
                                                                         Future<void> waiter) {
  auto t = std::make_shared<DatagramSocketTransport>(Private{}, loop, std::move(sock));
  t->protocol_ = std::move(protocol);
  t->address_ = std::move(address);
  const TransportSocket& info = t->sock_->info();
  t->fd_ = info.fileno();
  t->extra_["socket"] = info;
  if (info.getsockname().family != 0) t->extra_["sockname"] = info.getsockname();
  try {
    t->extra_["peername"] = info.getpeername();
    t->connected_ = true;
  } catch (const std::system_error&) {  // NOLINT(bugprone-empty-catch): not connected: no peername, as CPython
  }
  t->self_ = t;
  t->sock_->set_events(t.get());
  loop.register_transport_fd(t->fd_, t.get());
  // Python: connection_made, then reading (only once connection_made() has
  // been called), then the waiter, each as a callback of its own.
  loop.call_soon([t] {
    if (!t->protocol_) return;
    t->protocol_connected_ = true;
    try {
      t->protocol_->connection_made(t);
    } catch (...) {
      if (is_interrupt(std::current_exception())) throw;
      t->report_callback_error("Exception in callback DatagramProtocol.connection_made()");
    }
  });
  loop.call_soon([t] {
    if (t->sock_ && !t->closing_) t->sock_->start_reading();
  });
  loop.call_soon([waiter]() mutable {
    if (!waiter.done()) waiter.set_result();
  });
  return t;
}

DatagramSocketTransport::DatagramSocketTransport(Private, EventLoop& loop, DatagramSocketPtr sock)
    : loop_(&loop), sock_(std::move(sock)) {}

DatagramSocketTransport::~DatagramSocketTransport() = default;

void DatagramSocketTransport::set_protocol(std::shared_ptr<BaseProtocol> protocol) {
  auto p = std::dynamic_pointer_cast<DatagramProtocol>(protocol);
  if (!p) throw TypeError("a datagram transport needs a DatagramProtocol");
  protocol_ = std::move(p);
  protocol_connected_ = true;
}

std::string DatagramSocketTransport::repr() const {
  // Python: _SelectorTransport.__repr__
  std::string s = "<DatagramTransport";
  if (!sock_) {
    s += " closed";
  } else if (closing_) {
    s += " closing";
  }
  s += " fd=" + std::to_string(fd_);
  if (sock_) {
    s += closing_ ? " read=idle" : " read=polling";
    s += queued_.empty() ? " write=<idle, bufsize=0>" : " write=<polling, bufsize=" + std::to_string(buffer_size_) + ">";
  }
  return s + ">";
}

void DatagramSocketTransport::report_callback_error(const char* what) const {
  ExceptionContext context;
  context.message = what;
  context.exception = std::current_exception();
  context.extra.emplace_back("transport", repr());
  loop_->call_exception_handler(context);
}

// ---- Backend events (inside Backend::poll()) ----

std::span<char> DatagramSocketTransport::recv_buffer(std::size_t) noexcept {
  if (conn_lost_ || closing_) return {};
  if (!arena_) {
    try {
      arena_.reset(new char[kArenaSize]);
    } catch (...) {
      return {};
    }
  }
  // Decline once too little room is left: the datagram waits in the kernel
  // until this batch has been delivered.
  if (kArenaSize - arena_used_ < kMaxDatagram) return {};
  return {arena_.get() + arena_used_, kMaxDatagram};
}

DatagramSocketTransport::Event* DatagramSocketTransport::next_event() noexcept {
  if (events_used_ == events_.size()) {
    try {
      events_.emplace_back();
    } catch (...) {
      return nullptr;
    }
  }
  return &events_[events_used_++];
}

void DatagramSocketTransport::on_datagram(std::size_t n, const SockAddr& from) noexcept {
  Event* e = next_event();
  if (e == nullptr) return;  // out of memory: the datagram is lost, as the kernel may lose it
  e->offset = arena_used_;
  e->length = n;
  try {
    e->from = from;
  } catch (...) {  // NOLINT(bugprone-empty-catch): no memory for the address: the datagram goes without it
  }
  e->error = {};
  arena_used_ += n;
  schedule();
}

void DatagramSocketTransport::on_recv_error(std::error_code error) noexcept {
  Event* e = next_event();
  if (e == nullptr) return;
  e->length = 0;
  e->error = error;
  schedule();
}

void DatagramSocketTransport::on_send_done(std::error_code error) noexcept {
  try {
    send_results_.push_back(error);
  } catch (...) {  // NOLINT(bugprone-empty-catch): no memory to record the result: the error is dropped, as a lost datagram
  }
  schedule();
}

void DatagramSocketTransport::on_detached() noexcept {
  // The loop is closing with the endpoint open: let go of everything,
  // calling no protocol callback (as SocketTransport does).
  [[maybe_unused]] auto* freed_by_backend = sock_.release();  // the backend frees it
  closing_ = true;
  if (conn_lost_ == 0) conn_lost_ = 1;
  events_used_ = 0;
  send_results_.clear();
  loop_->unregister_transport_fd(fd_, this);
  protocol_.reset();
  self_.reset();  // may free the transport: nothing follows
}

void DatagramSocketTransport::schedule() noexcept {
  if (queued_run_ || !self_) return;
  try {
    detail::internals(*loop_).push_runnable(this);
    queued_run_ = true;
    queued_keep_ = self_;
  } catch (...) {  // NOLINT(bugprone-empty-catch): see the comment
    // The loop is closed: nothing will run any more.
  }
}

// ---- The ready-queue entry (the loop's callback phase) ----

void DatagramSocketTransport::run() {
  queued_run_ = false;
  // Keeps the transport alive while callbacks close and release it; may
  // free it on return.
  std::shared_ptr<DatagramSocketTransport> keep = std::move(queued_keep_);
  if (!self_) return;
  handle_events();
}

void DatagramSocketTransport::discard() noexcept {
  queued_run_ = false;
  events_used_ = 0;
  send_results_.clear();
  std::shared_ptr<DatagramSocketTransport> keep = std::move(queued_keep_);  // may free the transport
}

void DatagramSocketTransport::handle_events() {
  // Python's selector runs reader callbacks before writer callbacks.
  // Python: _read_ready, one datagram (or error) per event.
  for (std::size_t i = 0; i < events_used_ && !conn_lost_; ++i) {
    Event& e = events_[i];
    if (e.error) {
      error_received(e.error, "recvfrom");
      continue;
    }
    try {
      protocol_->datagram_received(std::string_view(arena_.get() + e.offset, e.length), e.from);
    } catch (...) {
      if (is_interrupt(std::current_exception())) throw;
      report_callback_error("Exception in callback DatagramTransport._read_ready()");
    }
  }
  events_used_ = 0;
  arena_used_ = 0;
  if (send_results_.empty()) return;
  // Python: _sendto_ready
  std::vector<std::error_code> results;
  results.swap(send_results_);
  for (const std::error_code& error : results) {
    if (!queued_.empty()) {
      buffer_size_ -= queued_.front();
      queued_.pop_front();
    }
    if (error && !conn_lost_) error_received(error, "sendto");
  }
  if (conn_lost_) return;
  maybe_resume_protocol();  // may buffer more
  if (queued_.empty() && closing_) call_connection_lost(nullptr);
}

void DatagramSocketTransport::error_received(std::error_code error, const char* what) {
  if (!protocol_) return;
  std::string message = what;
  if (address_) message += " " + address_->repr();
  try {
    protocol_->error_received(std::make_exception_ptr(std::system_error(error, message)));
  } catch (...) {
    if (is_interrupt(std::current_exception())) throw;
    report_callback_error("Exception in callback DatagramProtocol.error_received()");
  }
}

// ---- Sending ----

void DatagramSocketTransport::sendto(std::string_view data, std::optional<SockAddr> addr) {
  // Python: _SelectorDatagramTransport.sendto
  if (address_) {
    if (addr && *addr != *address_) throw ValueError("Invalid address: must be None or " + address_->repr());
    // Connected: send() without an address; allow_broadcast: to address_.
    if (connected_)
      addr.reset();
    else
      addr = address_;
  }
  if (conn_lost_ || !sock_) {
    if (conn_lost_ >= kLogThresholdForConnLostWrites) logger().warning("socket.send() raised exception.");
    ++conn_lost_;
    return;
  }
  const SockAddr* to = addr ? &*addr : nullptr;
  if (queued_.empty()) {
    // Attempt to send it right away first.
    std::error_code error;
    if (sock_->try_send(data, to, error)) return;
    if (error) {
      error_received(error, "sendto");
      return;
    }
  }
  const std::error_code error = sock_->send(data, to);
  if (error) {
    error_received(error, "sendto");
    return;
  }
  queued_.push_back(data.size() + kHeaderSize);
  buffer_size_ += data.size() + kHeaderSize;
  maybe_pause_protocol();
}

void DatagramSocketTransport::set_write_buffer_limits(std::optional<std::int64_t> high,
                                                      std::optional<std::int64_t> low) {
  auto [h, l] = write_buffer_limits(high, low);
  high_water_ = h;
  low_water_ = l;
  maybe_pause_protocol();
}

void DatagramSocketTransport::maybe_pause_protocol() {
  // Python: _FlowControlMixin._maybe_pause_protocol (strictly above high).
  if (buffer_size_ <= high_water_ || protocol_paused_) return;
  protocol_paused_ = true;
  try {
    if (protocol_) protocol_->pause_writing();
  } catch (...) {
    if (is_interrupt(std::current_exception())) throw;
    report_callback_error("protocol.pause_writing() failed");
  }
}

void DatagramSocketTransport::maybe_resume_protocol() {
  // Python: _FlowControlMixin._maybe_resume_protocol (at or below low).
  if (!protocol_paused_ || buffer_size_ > low_water_) return;
  protocol_paused_ = false;
  try {
    if (protocol_) protocol_->resume_writing();
  } catch (...) {
    if (is_interrupt(std::current_exception())) throw;
    report_callback_error("protocol.resume_writing() failed");
  }
}

// ---- Closing ----

void DatagramSocketTransport::close() {
  // Python: _SelectorTransport.close: buffered datagrams are still sent.
  if (closing_) return;
  closing_ = true;
  if (sock_) sock_->stop_reading();
  if (queued_.empty()) {
    ++conn_lost_;
    loop_->call_soon([self = self_] { self->call_connection_lost(nullptr); });
  }
}

void DatagramSocketTransport::force_close(std::exception_ptr exc) {
  // Python: _SelectorTransport._force_close
  if (conn_lost_) return;
  queued_.clear();  // the backend drops its queue when the socket closes
  buffer_size_ = 0;
  if (!closing_) {
    closing_ = true;
    if (sock_) sock_->stop_reading();
  }
  ++conn_lost_;
  loop_->call_soon([self = self_, exc = std::move(exc)] { self->call_connection_lost(exc); });
}

void DatagramSocketTransport::call_connection_lost(std::exception_ptr exc) {
  // Python: _SelectorTransport._call_connection_lost
  if (!self_) return;
  std::shared_ptr<DatagramSocketTransport> keep = self_;
  struct Finally {
    DatagramSocketTransport* t;
    ~Finally() {
      if (t->conn_lost_ == 0) t->conn_lost_ = 1;
      t->closing_ = true;
      t->events_used_ = 0;
      t->loop_->unregister_transport_fd(t->fd_, t);
      t->sock_.reset();
      t->protocol_.reset();
      t->self_.reset();
    }
  } finally{this};
  if (protocol_connected_ && protocol_) protocol_->connection_lost(std::move(exc));
}

}  // namespace asyncio::detail
