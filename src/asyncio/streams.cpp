#include "asyncio/streams.hpp"

#include <algorithm>
#include <typeinfo>

#include "asyncio/detail/chunk_pool.hpp"
#include "asyncio/detail/net.hpp"
#include "asyncio/detail/stream_buffer.hpp"
#include "asyncio/exception_context.hpp"
#include "asyncio/log.hpp"
#include "asyncio/tasks.hpp"
#include "asyncio/detail/loop_internals.hpp"

namespace asyncio {

namespace detail {

class ReadWaiter;

class StreamReaderState {
 public:
  explicit StreamReaderState(std::size_t limit) : limit(limit) {}

  void wakeup_waiter(std::exception_ptr error);
  void feed_chunk(char*& chunk, std::size_t n) {
    // StreamReader.feed_data(), taking the chunk where that saves a copy.
    if (eof) throw RuntimeError("feed_data after feed_eof");
    if (n == 0) return;
    buffer.adopt_chunk(chunk, n, std::min<std::size_t>(limit, std::size_t{64} * 1024));
    after_feed();
  }
  void after_feed() {
    wakeup_waiter(nullptr);
    if (transport && !paused && buffer.size() > 2 * limit) {
      transport->pause_reading();
      paused = true;
    }
  }
  void maybe_resume_transport() {
    // Python: StreamReader._maybe_resume_transport
    if (paused && buffer.size() <= limit) {
      paused = false;
      transport->resume_reading();
    }
  }
  void check_wait(const char* func_name) {
    // Python: StreamReader._wait_for_data, before awaiting.
    if (waiter != nullptr) {
      throw RuntimeError(std::string(func_name) +
                         "() called while another coroutine is already waiting for incoming data");
    }
    // Waiting for data while paused would deadlock: resume first.
    if (paused) {
      paused = false;
      transport->resume_reading();
    }
  }

  std::size_t limit;
  StreamBuffer buffer;
  bool eof = false;
  bool paused = false;
  ReadWaiter* waiter = nullptr;
  std::exception_ptr exception;
  std::shared_ptr<Transport> transport;
};

// Suspends the reading task until data, EOF or an error arrives.
// Python: the future StreamReader._wait_for_data awaits, without the future:
// the reader wakes the task directly.
class [[nodiscard]] ReadWaiter final : public Cancellable {
 public:
  using asyncio_awaiter = void;

  explicit ReadWaiter(StreamReaderState* reader) noexcept : reader_(reader) {}
  ReadWaiter(ReadWaiter&& o) noexcept : reader_(o.reader_) {}  // before the await starts only
  ReadWaiter& operator=(ReadWaiter&&) = delete;
  ~ReadWaiter() {
    if (reader_->waiter == this) reader_->waiter = nullptr;
  }

  bool await_ready() const noexcept { return false; }
  void await_suspend(detail::AsyncioHandle h) {
    task_ = &require_current_task("read from a stream");
    reader_->waiter = this;
    task_->suspend_on(h, this);
  }
  void await_resume() {
    task_->resume_point();
    if (cancelled_) throw task_->make_cancelled_error();
    if (error_) std::rethrow_exception(error_);
  }

  // The reader has data, EOF or an error for us.
  void wake(std::exception_ptr error) {
    reader_->waiter = nullptr;
    error_ = std::move(error);
    task_->wake();
  }
  bool cancel(std::optional<std::string> msg) override {
    if (reader_->waiter != this) return false;  // already woken
    reader_->waiter = nullptr;
    cancelled_ = true;
    task_->set_cancel_message(std::move(msg));
    task_->wake();
    return true;
  }
  void detach(TaskBase&) noexcept override {
    if (reader_->waiter == this) reader_->waiter = nullptr;
  }

 private:
  StreamReaderState* reader_;
  TaskBase* task_ = nullptr;
  std::exception_ptr error_;
  bool cancelled_ = false;
};

void StreamReaderState::wakeup_waiter(std::exception_ptr error) {
  // Python: StreamReader._wakeup_waiter (and set_exception's wake-up).
  if (ReadWaiter* w = waiter) w->wake(std::move(error));
}

namespace {

using ReaderPtr = std::shared_ptr<StreamReaderState>;

Coro<std::string> read_impl(ReaderPtr r, std::int64_t n) {
  // Python: StreamReader.read
  if (r->exception) std::rethrow_exception(r->exception);
  if (n == 0) co_return std::string();
  if (n < 0) {
    // Read blocks of `limit` until EOF: waiting for everything at once
    // would deadlock once the buffer pauses the transport.
    std::string out;
    for (;;) {
      std::string block = co_await read_impl(r, static_cast<std::int64_t>(r->limit));
      if (block.empty()) break;
      if (out.empty())
        out = std::move(block);
      else
        out += block;
    }
    co_return out;
  }
  if (r->buffer.empty() && !r->eof) {
    r->check_wait("read");
    co_await ReadWaiter(r.get());
  }
  std::string data = r->buffer.take(size_or_max(n));
  r->maybe_resume_transport();
  co_return data;
}

Coro<std::string> readexactly_impl(ReaderPtr r, std::int64_t n) {
  // Python: StreamReader.readexactly
  if (n < 0) throw ValueError("readexactly size can not be less than zero");
  if (r->exception) std::rethrow_exception(r->exception);
  if (n == 0) co_return std::string();
  const std::size_t want = size_or_max(n);
  while (r->buffer.size() < want) {
    if (r->eof) {
      std::string incomplete = r->buffer.take(r->buffer.size());
      throw IncompleteReadError(std::move(incomplete), want);
    }
    r->check_wait("readexactly");
    co_await ReadWaiter(r.get());
  }
  std::string data = r->buffer.take(want);
  r->maybe_resume_transport();
  co_return data;
}

Coro<std::string> readuntil_impl(ReaderPtr r, std::vector<std::string> separators) {
  // Python: StreamReader.readuntil (3.13, with several separators)
  if (separators.empty()) throw ValueError("Separator should contain at least one element");
  // Python sorts by length (stably); std::sort is enough: two separators
  // of one length that end at the same offset are the same bytes, so their
  // order cannot change the match. (std::stable_sort would also pull in
  // libstdc++ 12's deprecated get_temporary_buffer, an error under clang.)
  std::sort(separators.begin(), separators.end(),
            [](const std::string& a, const std::string& b) { return a.size() < b.size(); });
  const std::size_t min_seplen = separators.front().size();
  const std::size_t max_seplen = separators.back().size();
  if (min_seplen == 0) throw ValueError("Separator should be at least one-byte string");
  if (r->exception) std::rethrow_exception(r->exception);

  // `offset`: bytes from the start of the buffer known to hold no
  // separator. Everything but the last max_seplen - 1 bytes is consumed
  // each round (a separator may straddle the end of the data).
  std::size_t offset = 0;
  std::size_t match_start = 0;
  std::size_t match_end = 0;
  for (;;) {
    const std::size_t buflen = r->buffer.size();
    if (buflen - offset >= min_seplen) {
      bool found = false;
      for (const std::string& sep : separators) {
        const std::size_t isep = r->buffer.find(sep, offset);
        if (isep != StreamBuffer::npos) {
          const std::size_t end = isep + sep.size();
          if (!found || end < match_end) {
            match_end = end;
            match_start = isep;
            found = true;
          }
        }
      }
      if (found) break;
      offset = buflen + 1 > max_seplen ? buflen + 1 - max_seplen : 0;
      if (offset > r->limit) throw LimitOverrunError("Separator is not found, and chunk exceed the limit", offset);
    }
    // A complete message may be buffered even with the EOF flag set: check
    // for EOF after inspecting the buffer.
    if (r->eof) {
      std::string chunk = r->buffer.take(r->buffer.size());
      throw IncompleteReadError(std::move(chunk), std::nullopt);
    }
    r->check_wait("readuntil");
    co_await ReadWaiter(r.get());
  }
  if (match_start > r->limit) throw LimitOverrunError("Separator is found, but chunk is longer than limit", match_start);
  std::string chunk = r->buffer.take(match_end);
  r->maybe_resume_transport();
  co_return chunk;
}

Coro<std::string> readline_impl(ReaderPtr r) {
  // Python: StreamReader.readline, which is readuntil(b'\n') with its
  // IncompleteReadError and LimitOverrunError turned into results. The
  // search is written out for the one-byte separator rather than awaiting
  // readuntil_impl: a handler waiting in readline() (the usual idle
  // connection) then holds one coroutine frame instead of two, and no
  // separator vector (bench/README.md, "Memory per connection").
  if (r->exception) std::rethrow_exception(r->exception);
  std::size_t offset = 0;  // bytes known to hold no '\n'
  std::size_t newline = std::string_view::npos;
  std::size_t consumed = 0;
  const char* overrun = nullptr;
  for (;;) {
    const std::size_t buflen = r->buffer.size();
    if (buflen > offset) {
      newline = r->buffer.find("\n", offset);
      if (newline != StreamBuffer::npos) break;
      offset = buflen;
      if (offset > r->limit) {
        consumed = offset;
        overrun = "Separator is not found, and chunk exceed the limit";
        break;
      }
    }
    if (r->eof) {
      std::string partial = r->buffer.take(r->buffer.size());  // EOF: the partial line
      co_return partial;
    }
    r->check_wait("readuntil");
    co_await ReadWaiter(r.get());
  }
  if (overrun == nullptr && newline > r->limit) {
    consumed = newline;
    overrun = "Separator is found, but chunk is longer than limit";
  }
  if (overrun != nullptr) {
    // The line is too long: drop it (through the separator if it is
    // there, else the whole buffer) and raise ValueError.
    if (consumed < r->buffer.size() && r->buffer.at(consumed) == '\n')
      r->buffer.consume(consumed + 1);
    else
      r->buffer.clear();
    r->maybe_resume_transport();
    throw ValueError(overrun);
  }
  std::string line = r->buffer.take(newline + 1);
  r->maybe_resume_transport();
  co_return line;
}

}  // namespace

class StreamWriterState {
 public:
  StreamWriterState(std::shared_ptr<Transport> t, const std::shared_ptr<StreamReaderProtocol>& p,
                    std::optional<StreamReader> r, EventLoop* l)
      : transport(std::move(t)), protocol(p), closed(p->closed()), reader(std::move(r)), loop(l) {}
  ~StreamWriterState() {
    // Python: StreamWriter.__del__ closes a transport left open (and warns
    // with a ResourceWarning, which Python hides by default).
    try {
      if (transport && !transport->is_closing() && !loop->is_closed()) transport->close();
    } catch (...) {
      const std::exception_ptr e = std::current_exception();
      detail::log_noexcept(LogLevel::error,
                           [&] { return "Exception closing the transport of a StreamWriter\n" + describe_exception(e); });
    }
  }

  std::shared_ptr<Transport> transport;
  // Weak: a server-side protocol holds its writer, and a strong reference
  // back would keep both alive forever if the loop closed first. The
  // transport holds the protocol while the connection is open.
  std::weak_ptr<StreamReaderProtocol> protocol;
  Future<void> closed;
  std::optional<StreamReader> reader;
  EventLoop* loop;
};

}  // namespace detail

// ---- StreamReader ----

StreamReader::StreamReader(std::int64_t limit) {
  if (limit <= 0) throw ValueError("Limit cannot be <= 0");
  s_ = std::make_shared<detail::StreamReaderState>(detail::size_or_max(limit));
}

Coro<std::string> StreamReader::read(std::int64_t n) const { return detail::read_impl(s_, n); }
Coro<std::string> StreamReader::readline() const { return detail::readline_impl(s_); }
Coro<std::string> StreamReader::readuntil(std::string separator) const {
  std::vector<std::string> seps;
  seps.push_back(std::move(separator));
  return detail::readuntil_impl(s_, std::move(seps));
}
Coro<std::string> StreamReader::readuntil(std::vector<std::string> separators) const {
  return detail::readuntil_impl(s_, std::move(separators));
}
Coro<std::string> StreamReader::readexactly(std::int64_t n) const { return detail::readexactly_impl(s_, n); }

bool StreamReader::at_eof() const { return s_->eof && s_->buffer.empty(); }

void StreamReader::feed_data(std::string_view data) const {
  // Python: StreamReader.feed_data
  if (s_->eof) throw RuntimeError("feed_data after feed_eof");
  if (data.empty()) return;
  s_->buffer.append(data, std::min<std::size_t>(s_->limit, std::size_t{64} * 1024));
  s_->after_feed();
}

void StreamReader::feed_eof() const {
  s_->eof = true;
  s_->wakeup_waiter(nullptr);
}

std::exception_ptr StreamReader::exception() const { return s_->exception; }

void StreamReader::set_exception(std::exception_ptr exc) const {
  s_->exception = exc;
  s_->wakeup_waiter(std::move(exc));
}

void StreamReader::set_transport(std::shared_ptr<Transport> transport) const {
  if (s_->transport) throw RuntimeError("Transport already set");
  s_->transport = std::move(transport);
}

std::size_t StreamReader::limit() const { return s_->limit; }
std::size_t StreamReader::buffered() const { return s_->buffer.size(); }

std::string StreamReader::repr() const {
  // Python: StreamReader.__repr__
  std::string s = "<StreamReader";
  if (!s_->buffer.empty()) s += " " + std::to_string(s_->buffer.size()) + " bytes";
  if (s_->eof) s += " eof";
  if (s_->limit != static_cast<std::size_t>(kDefaultLimit)) s += " limit=" + std::to_string(s_->limit);
  if (s_->waiter) s += " waiter=<Future pending>";
  if (s_->exception) s += " exception=" + describe_exception(s_->exception);
  if (s_->transport) s += " transport=" + s_->transport->repr();
  if (s_->paused) s += " paused";
  return s + ">";
}

// ---- StreamWriter ----

StreamWriter::StreamWriter(std::shared_ptr<Transport> transport, const std::shared_ptr<StreamReaderProtocol>& protocol,
                           std::optional<StreamReader> reader, EventLoop& loop)
    : s_(std::make_shared<detail::StreamWriterState>(std::move(transport), protocol, std::move(reader), &loop)) {}

const std::shared_ptr<Transport>& StreamWriter::transport() const { return s_->transport; }
void StreamWriter::write(std::string_view data) const { s_->transport->write(data); }
void StreamWriter::write(std::string&& data) const { s_->transport->write(std::move(data)); }
void StreamWriter::writelines(std::span<const std::string_view> data) const { s_->transport->writelines(data); }
void StreamWriter::writelines(std::initializer_list<std::string_view> data) const {
  s_->transport->writelines(data);
}
void StreamWriter::write_eof() const { s_->transport->write_eof(); }
bool StreamWriter::can_write_eof() const { return s_->transport->can_write_eof(); }
void StreamWriter::close() const { s_->transport->close(); }
bool StreamWriter::is_closing() const { return s_->transport->is_closing(); }
std::any StreamWriter::get_extra_info(std::string_view name, std::any default_value) const {
  return s_->transport->get_extra_info(name, std::move(default_value));
}

std::string StreamWriter::repr() const {
  std::string s = "<StreamWriter transport=" + s_->transport->repr();
  if (const std::optional<StreamReader>& reader = s_->reader) s += " reader=" + reader->repr();
  return s + ">";
}

namespace {

Coro<> wait_closed_impl(std::shared_ptr<detail::StreamWriterState> w) {
  // Python: StreamWriter.wait_closed
  Future<void> closed = w->closed;
  co_await closed;
}

Coro<> drain_impl(std::shared_ptr<detail::StreamWriterState> w) {
  // Python: StreamWriter.drain
  if (const std::optional<StreamReader>& reader = w->reader) {
    if (std::exception_ptr exc = reader->exception()) std::rethrow_exception(exc);
  }
  if (w->transport->is_closing()) {
    // Yield so that connection_lost() may run: without this, a loop of
    // write() + drain() on a closed connection would never see the error.
    co_await sleep(0);
  }
  std::shared_ptr<StreamReaderProtocol> protocol = w->protocol.lock();
  if (!protocol) throw OSError(std::make_error_code(std::errc::connection_reset), "Connection lost");
  if (protocol->drain_ready()) co_return;  // the common case, without another coroutine
  co_await protocol->drain_helper();
}

Coro<> start_tls_impl(std::shared_ptr<detail::StreamWriterState> w, std::shared_ptr<SSLContext> sslcontext,
                      StreamStartTLSOptions o) {
  // Python: StreamWriter.start_tls
  std::shared_ptr<StreamReaderProtocol> protocol = w->protocol.lock();
  if (!protocol) throw OSError(std::make_error_code(std::errc::connection_reset), "Connection lost");
  const bool server_side = protocol->server_side();
  co_await drain_impl(w);
  StartTLSOptions options;
  options.server_side = server_side;
  options.server_hostname = std::move(o.server_hostname);
  options.ssl_handshake_timeout = o.ssl_handshake_timeout;
  options.ssl_shutdown_timeout = o.ssl_shutdown_timeout;
  auto upgrade = w->loop->start_tls(w->transport, protocol, std::move(sslcontext), std::move(options));
  std::shared_ptr<Transport> new_transport = co_await std::move(upgrade);
  w->transport = new_transport;
  protocol->replace_transport(std::move(new_transport));
}

}  // namespace

Coro<> StreamWriter::wait_closed() const { return wait_closed_impl(s_); }
Coro<> StreamWriter::start_tls(std::shared_ptr<SSLContext> sslcontext, StreamStartTLSOptions options) const {
  return start_tls_impl(s_, std::move(sslcontext), std::move(options));
}
Coro<> StreamWriter::drain() const { return drain_impl(s_); }

// ---- StreamReaderProtocol ----

StreamReaderProtocol::StreamReaderProtocol(std::optional<StreamReader> reader,
                                           ClientConnectedCallback client_connected_cb, EventLoop* loop)
    : StreamReaderProtocol(std::move(reader),
                           client_connected_cb
                               ? std::make_shared<const ClientConnectedCallback>(std::move(client_connected_cb))
                               : nullptr,
                           loop) {}

StreamReaderProtocol::StreamReaderProtocol(std::optional<StreamReader> reader,
                                           std::shared_ptr<const ClientConnectedCallback> client_connected_cb,
                                           EventLoop* loop)
    : loop_(loop ? loop : &get_event_loop()),
      reader_(std::move(reader)),
      client_connected_cb_(std::move(client_connected_cb)),
      closed_(loop_->create_future()) {}

StreamReaderProtocol::~StreamReaderProtocol() {
  // Python: __del__ marks the close waiter's exception retrieved.
  if (closed_.done() && !closed_.cancelled()) (void)closed_.exception();
}

void StreamReaderProtocol::connection_made(std::shared_ptr<Transport> transport) {
  // Python: StreamReaderProtocol.connection_made
  transport_ = transport;
  over_ssl_ = transport->get_extra_info("sslcontext").has_value();
  if (reader_) reader_->set_transport(transport);
  if (!client_connected_cb_) return;
  StreamWriter writer(transport, shared_from_this(), reader_, *loop_);
  writer_ = writer;
  StreamReader reader = reader_ ? *reader_ : StreamReader();
  if (client_connected_cb_->function) {
    client_connected_cb_->function(reader, writer);
    return;
  }
  Task<> task = loop_->create_task(client_connected_cb_->coroutine(reader, writer));
  // The callback object (a lambda's captures) must outlive its coroutine:
  // the done callback holds it until the task is done.
  task.add_done_callback([transport, loop = loop_, cb = client_connected_cb_](const Future<>& t) {
    if (t.cancelled()) {
      transport->close();
      return;
    }
    if (std::exception_ptr exc = t.exception()) {
      ExceptionContext context;
      context.message = "Unhandled exception in client_connected_cb";
      context.exception = exc;
      context.extra.emplace_back("transport", transport->repr());
      loop->call_exception_handler(context);
      transport->close();
    }
  });
  task_ = AnyTask(task);
}

void StreamReaderProtocol::connection_lost(std::exception_ptr exc) {
  // Python: StreamReaderProtocol.connection_lost
  if (reader_) {
    if (!exc)
      reader_->feed_eof();
    else
      reader_->set_exception(exc);
  }
  if (!closed_.done()) {
    if (!exc)
      closed_.set_result();
    else
      closed_.set_exception(exc);
  }
  // Python: FlowControlMixin.connection_lost: wake paused writers.
  connection_lost_ = true;
  if (paused_) {
    for (Future<void>& w : drain_waiters_) {
      if (w.done()) continue;
      if (!exc)
        w.set_result();
      else
        w.set_exception(exc);
    }
  }
  reader_.reset();
  writer_.reset();
  task_.reset();
  transport_.reset();
}

void StreamReaderProtocol::data_received(std::string_view data) {
  if (reader_) reader_->feed_data(data);
}

void detail::stream_reader_feed_chunk(const StreamReader& reader, char*& chunk, std::size_t n) {
  reader.s_->feed_chunk(chunk, n);
}

void StreamReaderProtocol::data_received_chunk(char*& chunk, std::size_t n) {
  if (reader_) reader_->s_->feed_chunk(chunk, n);
}

bool StreamReaderProtocol::adopts_chunks() const noexcept {
  // A subclass may override data_received(): it gets every byte through it.
  return typeid(*this) == typeid(StreamReaderProtocol);
}

bool StreamReaderProtocol::eof_received() {
  if (reader_) reader_->feed_eof();
  // Keep the connection half-open, except over TLS (which has no half-close:
  // Python returns False there to avoid SSLProtocol's warning).
  return !over_ssl_;
}

void StreamReaderProtocol::replace_transport(std::shared_ptr<Transport> transport) {
  over_ssl_ = transport->get_extra_info("sslcontext").has_value();
  transport_ = std::move(transport);
}

void StreamReaderProtocol::pause_writing() {
  // Python: FlowControlMixin.pause_writing
  paused_ = true;
  if (loop_->get_debug()) logger().debug("StreamReaderProtocol pauses writing");
}

void StreamReaderProtocol::resume_writing() {
  paused_ = false;
  if (loop_->get_debug()) logger().debug("StreamReaderProtocol resumes writing");
  for (Future<void>& w : drain_waiters_)
    if (!w.done()) w.set_result();
}

Coro<> StreamReaderProtocol::do_drain_helper(std::shared_ptr<StreamReaderProtocol> self) {
  // Python: FlowControlMixin._drain_helper
  if (self->connection_lost_) throw OSError(std::make_error_code(std::errc::connection_reset), "Connection lost");
  if (!self->paused_) co_return;
  Future<void> waiter = self->loop_->create_future();
  self->drain_waiters_.push_back(waiter);
  std::exception_ptr error;
  try {
    co_await waiter;
  } catch (...) {
    error = std::current_exception();
  }
  auto& ws = self->drain_waiters_;
  ws.erase(std::find(ws.begin(), ws.end(), waiter));
  if (error) std::rethrow_exception(error);
}

Coro<> StreamReaderProtocol::drain_helper() { return do_drain_helper(shared_from_this()); }

// ---- High-level functions ----

namespace {

void check_network(const char* method) {
  if (EventLoop* loop = _get_running_loop()) detail::internals(*loop).check_network(method);
}

Coro<std::pair<StreamReader, StreamWriter>> open_connection_impl(std::optional<std::string> host,
                                                                 std::optional<int> port, OpenConnectionOptions o) {
  // Python: streams.open_connection
  EventLoop& loop = get_running_loop();
  StreamReader reader(o.limit);
  auto protocol = std::make_shared<StreamReaderProtocol>(reader, ClientConnectedCallback(), &loop);
  ConnectionOptions co;
  co.ssl = std::move(o.ssl);
  co.family = o.family;
  co.proto = o.proto;
  co.flags = o.flags;
  co.sock = o.sock;
  co.local_addr = std::move(o.local_addr);
  co.server_hostname = std::move(o.server_hostname);
  co.ssl_handshake_timeout = o.ssl_handshake_timeout;
  co.ssl_shutdown_timeout = o.ssl_shutdown_timeout;
  co.happy_eyeballs_delay = o.happy_eyeballs_delay;
  co.interleave = o.interleave;
  co.all_errors = o.all_errors;
  // Named, not a temporary in the co_await: GCC 12 destroys aggregate
  // temporaries (lambdas among them) of a co_await expression twice.
  auto factory = [protocol] { return protocol; };
  auto [transport, unused] = co_await loop.create_connection(factory, std::move(host), port, std::move(co));
  StreamWriter writer(transport, protocol, reader, loop);
  co_return std::pair<StreamReader, StreamWriter>(reader, writer);
}

ProtocolFactory stream_protocol_factory(EventLoop* loop, std::int64_t limit, ClientConnectedCallback callback) {
  // Python: start_server's factory(): a reader and a protocol per connection.
  if (limit <= 0) throw ValueError("Limit cannot be <= 0");
  auto cb = std::make_shared<const ClientConnectedCallback>(std::move(callback));
  return [loop, limit, cb]() -> std::shared_ptr<BaseProtocol> {
    return std::make_shared<StreamReaderProtocol>(StreamReader(limit), cb, loop);
  };
}

Coro<std::shared_ptr<Server>> start_server_impl(ClientConnectedCallback cb, std::optional<std::string> host,
                                                std::optional<int> port, StartServerOptions o) {
  // Python: streams.start_server
  EventLoop& loop = get_running_loop();
  ServerOptions so;
  so.family = o.family;
  so.flags = o.flags;
  so.sock = o.sock;
  so.backlog = o.backlog;
  so.ssl = std::move(o.ssl);
  so.reuse_address = o.reuse_address;
  so.reuse_port = o.reuse_port;
  so.keep_alive = o.keep_alive;
  so.ssl_handshake_timeout = o.ssl_handshake_timeout;
  so.ssl_shutdown_timeout = o.ssl_shutdown_timeout;
  so.start_serving = o.start_serving;
  co_return co_await loop.create_server(stream_protocol_factory(&loop, o.limit, std::move(cb)), std::move(host),
                                        port, std::move(so));
}

Coro<std::pair<StreamReader, StreamWriter>> open_unix_connection_impl(std::optional<std::string> path,
                                                                      OpenUnixConnectionOptions o) {
  // Python: streams.open_unix_connection
  EventLoop& loop = get_running_loop();
  StreamReader reader(o.limit);
  auto protocol = std::make_shared<StreamReaderProtocol>(reader, ClientConnectedCallback(), &loop);
  UnixConnectionOptions uo;
  uo.ssl = std::move(o.ssl);
  uo.sock = o.sock;
  uo.server_hostname = std::move(o.server_hostname);
  uo.ssl_handshake_timeout = o.ssl_handshake_timeout;
  uo.ssl_shutdown_timeout = o.ssl_shutdown_timeout;
  auto factory = [protocol] { return protocol; };  // named: see open_connection_impl
  auto [transport, unused] = co_await loop.create_unix_connection(factory, std::move(path), std::move(uo));
  StreamWriter writer(transport, protocol, reader, loop);
  co_return std::pair<StreamReader, StreamWriter>(reader, writer);
}

Coro<std::shared_ptr<Server>> start_unix_server_impl(ClientConnectedCallback cb, std::optional<std::string> path,
                                                     StartUnixServerOptions o) {
  // Python: streams.start_unix_server
  EventLoop& loop = get_running_loop();
  UnixServerOptions uo;
  uo.sock = o.sock;
  uo.backlog = o.backlog;
  uo.ssl = std::move(o.ssl);
  uo.ssl_handshake_timeout = o.ssl_handshake_timeout;
  uo.ssl_shutdown_timeout = o.ssl_shutdown_timeout;
  uo.start_serving = o.start_serving;
  uo.cleanup_socket = o.cleanup_socket;
  co_return co_await loop.create_unix_server(stream_protocol_factory(&loop, o.limit, std::move(cb)), std::move(path),
                                             std::move(uo));
}

}  // namespace

Coro<std::pair<StreamReader, StreamWriter>> open_connection(std::optional<std::string> host, std::optional<int> port,
                                                            OpenConnectionOptions options) {
  check_network("open_connection");
  return open_connection_impl(std::move(host), port, std::move(options));
}

Coro<std::shared_ptr<Server>> start_server(ClientConnectedCallback client_connected_cb,
                                           std::optional<std::string> host, std::optional<int> port,
                                           StartServerOptions options) {
  check_network("start_server");
  return start_server_impl(std::move(client_connected_cb), std::move(host), port, std::move(options));
}

Coro<std::pair<StreamReader, StreamWriter>> open_unix_connection(std::optional<std::string> path,
                                                                 OpenUnixConnectionOptions options) {
  check_network("open_unix_connection");
  return open_unix_connection_impl(std::move(path), std::move(options));
}

Coro<std::shared_ptr<Server>> start_unix_server(ClientConnectedCallback client_connected_cb,
                                                std::optional<std::string> path, StartUnixServerOptions options) {
  check_network("start_unix_server");
  return start_unix_server_impl(std::move(client_connected_cb), std::move(path), std::move(options));
}

}  // namespace asyncio
