// TLS over any stream transport. Python: asyncio.sslproto (SSLProtocol and
// _SSLProtocolTransport), whose state machine, flow control and error
// handling this follows step by step.
//
//   raw transport (SocketTransport, or another SSLProtocol: TLS over TLS)
//        |  get_buffer/buffer_updated, eof_received, connection_lost,
//        |  pause_writing/resume_writing          (SSLProtocol as a BufferedProtocol)
//   SSLProtocol  --  TlsEngine (the TLS library, detail/tls.hpp)
//        |  connection_made, data_received / get_buffer+buffer_updated,
//        |  eof_received, connection_lost, pause_writing/resume_writing
//   application protocol                        (SSLProtocol as its Transport)
//
// One object plays both of Python's roles (the protocol the raw transport
// talks to and the transport the application writes to): one allocation,
// and no reference cycle between the two halves.
//
// States (Python: SSLProtocolState):
//   UNWRAPPED -> DO_HANDSHAKE -> WRAPPED -> FLUSHING -> SHUTDOWN, and any
//   state -> UNWRAPPED (abort, connection lost). Other moves raise
//   RuntimeError("cannot switch state from X to Y").
// Application protocol states (Python: AppProtocolState):
//   INIT -connection_made-> CON_MADE [-data*->] [-eof-> EOF] -lost-> CON_LOST
//
// Buffers: ciphertext arrives in the engine's TlsInBuffer (a pooled chunk,
// freed once consumed); plaintext for data_received() is decrypted into a
// pooled chunk for the duration of the call; ciphertext to send is
// produced into a per-thread scratch string and handed to the raw
// transport at once, or kept in `pending_out_` while the raw transport has
// paused writing. An idle connection therefore holds no buffer.
//
// Invariants:
// - The app protocol sees connection_made at most once, connection_lost at
//   most once and only after connection_made (never for a failed
//   handshake), eof_received at most once in between.
// - After every TlsEngine call, its output has been sent or queued in
//   pending_out_ before any other code runs (flush_output()).
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "asyncio/detail/transport_caps.hpp"
#include "asyncio/futures.hpp"
#include "asyncio/handles.hpp"
#include "asyncio/protocols.hpp"
#include "asyncio/ssl.hpp"
#include "asyncio/transports.hpp"

namespace asyncio::detail {

/// Python's SSLProtocol + _SSLProtocolTransport.
class SSLProtocol final : public BufferedProtocol,
                          public Transport,
                          public TlsCapableTransport,
                          public SendfileFallbackTransport,
                          public DetachableProtocol,
                          public std::enable_shared_from_this<SSLProtocol> {
  struct Private {};

 public:
  /// Python: constants.SSL_HANDSHAKE_TIMEOUT / SSL_SHUTDOWN_TIMEOUT
  static constexpr double kHandshakeTimeout = 60.0;
  static constexpr double kShutdownTimeout = 30.0;
  /// Python: constants.FLOW_CONTROL_HIGH_WATER_SSL_READ / _WRITE (KiB).
  static constexpr std::size_t kReadHighWaterKiB = 256;
  static constexpr std::size_t kWriteHighWaterKiB = 512;

  /// Makes the TLS layer for `app_protocol` (a Protocol or a
  /// BufferedProtocol; TypeError otherwise). `waiter` gets the
  /// handshake's outcome. ValueError for a timeout <= 0, what tls_wrap()
  /// raises for the context. `call_connection_made` is false for
  /// start_tls() (the application protocol is connected already).
  /// Python: SSLProtocol.__init__
  static std::shared_ptr<SSLProtocol> create(EventLoop& loop, std::shared_ptr<BaseProtocol> app_protocol,
                                             std::shared_ptr<SSLContext> sslcontext,
                                             std::optional<Future<void>> waiter, bool server_side,
                                             std::optional<std::string> server_hostname, bool call_connection_made,
                                             std::optional<double> ssl_handshake_timeout,
                                             std::optional<double> ssl_shutdown_timeout);
  SSLProtocol(Private, EventLoop& loop);
  ~SSLProtocol() override;

  // ---- BufferedProtocol: what the raw transport calls ----
  void connection_made(std::shared_ptr<Transport> transport) override;
  void connection_lost(std::exception_ptr exc) override;
  std::span<char> get_buffer(std::int64_t sizehint) override;
  void buffer_updated(std::size_t nbytes) override;
  bool eof_received() override;
  void pause_writing() override;
  void resume_writing() override;

  // ---- Transport: what the application calls ----
  void close() override;
  bool is_closing() const override;
  std::any get_extra_info(std::string_view name, std::any default_value = {}) const override;
  void set_protocol(std::shared_ptr<BaseProtocol> protocol) override;
  std::shared_ptr<BaseProtocol> get_protocol() const override { return app_protocol_; }
  std::string repr() const override;
  bool is_reading() const override { return !app_reading_paused_; }
  void pause_reading() override { app_reading_paused_ = true; }
  void resume_reading() override;
  void write(std::string_view data) override;
  void writelines(std::span<const std::string_view> list_of_data) override;
  using Transport::writelines;
  /// NotImplementedError: TLS has no half-close. Python: raises as well.
  void write_eof() override;
  bool can_write_eof() const override { return false; }
  void abort() override { force_close(nullptr); }
  std::size_t get_write_buffer_size() const override { return pending_out_.size() + write_buffer_size_; }
  std::pair<std::size_t, std::size_t> get_write_buffer_limits() const override {
    return {outgoing_low_water_, outgoing_high_water_};
  }
  void set_write_buffer_limits(std::optional<std::int64_t> high = std::nullopt,
                               std::optional<std::int64_t> low = std::nullopt) override;

  // ---- TlsCapableTransport, SendfileFallbackTransport, DetachableProtocol ----
  void force_close(std::exception_ptr exc) override;
  /// loop.sendfile() over TLS takes the fallback (reads and writes).
  /// Python: _SSLProtocolTransport._sendfile_compatible = FALLBACK and
  /// its _protocol_paused property (= _app_writing_paused).
  bool protocol_paused() const noexcept override { return app_writing_paused_; }
  void transport_detached() noexcept override;

  // ---- Read flow control of the TLS layer (Python: the _SSLProtocolTransport extras) ----
  /// Python: _SSLProtocolTransport.set_read_buffer_limits()
  void set_read_buffer_limits(std::optional<std::int64_t> high = std::nullopt,
                              std::optional<std::int64_t> low = std::nullopt);
  /// Python: _SSLProtocolTransport.get_read_buffer_limits()
  std::pair<std::size_t, std::size_t> get_read_buffer_limits() const {
    return {incoming_low_water_, incoming_high_water_};
  }
  /// Ciphertext received and not yet decrypted. Python: get_read_buffer_size()
  std::size_t get_read_buffer_size() const;

  // ---- Library internals ----
  /// The transport TLS runs over (null once the connection is lost).
  std::shared_ptr<Transport> raw_transport() const { return transport_; }
  /// Queues ciphertext as if the raw transport were paused (tests: Python's
  /// _test__append_write_backlog).
  void test_append_write_backlog(std::string data);
  /// Python: SSLProtocol._ssl_writing_paused (tests).
  bool ssl_writing_paused() const noexcept { return ssl_writing_paused_; }
  /// The state's name ("WRAPPED"), for tests and reprs.
  const char* state_name() const noexcept;
  /// Closes the raw transport with `exc` and reports it (OS errors only in
  /// debug mode). Python: SSLProtocol._fatal_error
  void fatal_error(const std::exception_ptr& exc, const char* message = "Fatal error on transport");

 private:
  enum class State : std::uint8_t { UNWRAPPED, DO_HANDSHAKE, WRAPPED, FLUSHING, SHUTDOWN };
  enum class AppState : std::uint8_t { INIT, CON_MADE, EOF_RECEIVED, CON_LOST };

  void set_app_protocol(std::shared_ptr<BaseProtocol> protocol);
  void wakeup_waiter(const std::exception_ptr& exc);
  void set_state(State s);

  // Handshake.
  void start_handshake();
  void check_handshake_timeout();
  void do_handshake();
  void on_handshake_complete(const std::exception_ptr& handshake_exc);
  // Shutdown.
  void start_shutdown();
  void check_shutdown_timeout();
  void do_flush();
  void do_shutdown();
  void on_shutdown_complete(const std::exception_ptr& shutdown_exc);
  void abort_with(std::exception_ptr exc);
  // Outgoing.
  void write_appdata(std::span<const std::string_view> list_of_data);
  void do_write();
  void flush_output();
  void process_outgoing();
  void control_app_writing();
  // Incoming.
  void do_read();
  void do_read_buffered();
  void do_read_copied();
  void call_eof_received();
  void control_ssl_reading();
  void schedule_do_read();
  void after_incoming() noexcept;

  void report_callback_error(const char* message, std::exception_ptr exc);

  EventLoop* loop_;
  std::shared_ptr<SSLContext> sslcontext_;
  std::shared_ptr<SSLObject> sslobj_;
  TlsEngine* engine_ = nullptr;  // sslobj_'s
  bool server_side_ = false;
  std::optional<std::string> server_hostname_;
  std::optional<Future<void>> waiter_;
  double handshake_timeout_ = kHandshakeTimeout;
  double shutdown_timeout_ = kShutdownTimeout;
  double handshake_start_time_ = 0;
  TimerHandle handshake_timeout_handle_;
  TimerHandle shutdown_timeout_handle_;

  std::shared_ptr<BaseProtocol> app_protocol_;
  Protocol* app_proto_ = nullptr;           // app_protocol_ as a Protocol, or
  BufferedProtocol* app_bproto_ = nullptr;  // as a BufferedProtocol
  std::shared_ptr<Transport> transport_;    // the raw transport
  TlsCapableTransport* transport_tls_ = nullptr;

  State state_ = State::UNWRAPPED;
  AppState app_state_ = AppState::INIT;
  int conn_lost_ = 0;
  bool app_transport_closed_ = false;  // Python: _app_transport._closed
  bool handshake_done_ = false;        // the handshake's extra info is available

  // Writing: application data SSL_write could not take yet, and
  // ciphertext the raw transport could not take yet.
  std::vector<std::string> write_backlog_;  // rarely used: no std::deque's eager blocks
  std::size_t write_buffer_size_ = 0;
  std::string pending_out_;

  bool ssl_writing_paused_ = false;
  bool app_reading_paused_ = false;
  bool ssl_reading_paused_ = false;
  bool eof_received_ = false;
  bool app_writing_paused_ = false;
  bool buffer_lent_ = false;  // get_buffer() was called, buffer_updated() not yet
  std::size_t incoming_high_water_ = kReadHighWaterKiB * 1024;
  std::size_t incoming_low_water_ = kReadHighWaterKiB * 1024 / 4;
  std::size_t outgoing_high_water_ = kWriteHighWaterKiB * 1024;
  std::size_t outgoing_low_water_ = kWriteHighWaterKiB * 1024 / 4;
};

}  // namespace asyncio::detail
