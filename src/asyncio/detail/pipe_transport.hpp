// The transports of pipes: a pipe's read end (ReadPipeTransport) and write
// end (WritePipeTransport), on a backend's StreamSocket opened with
// Backend::pipe_open() or made by Backend::spawn(). Python:
// unix_events._UnixReadPipeTransport and _UnixWritePipeTransport.
//
// Both are Transports (so that a Protocol's connection_made() takes them);
// the half a pipe lacks raises NotImplementedError. As in CPython:
// - a read pipe calls eof_received() and then connection_lost(None) at EOF,
//   whatever eof_received() returns; a read error other than EIO (a pty
//   whose other side closed) is reported to the exception handler;
// - a write pipe drops writes after it closed (warning from the fifth
//   one), reports OS errors (EPIPE...) only through connection_lost(exc)
//   (logged in debug mode), treats write_eof() as close-after-flush, and
//   learns that the reader went away (connection_lost(None), or
//   BrokenPipeError if data was still buffered) without writing.
//
// Invariants: self_ holds a transport from creation until
// connection_lost() has been called (or the loop closed); a transport is
// never released while queued or running (release_deferred_).
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "asyncio/backend.hpp"
#include "asyncio/detail/transport_caps.hpp"
#include "asyncio/futures.hpp"
#include "asyncio/handles.hpp"
#include "asyncio/protocols.hpp"
#include "asyncio/transports.hpp"

namespace asyncio::detail {

/// What both pipe transports share: the socket, the protocol, the ready-queue
/// entry that turns backend events into loop callbacks, and closing.
class PipeTransportBase : public Transport, protected StreamSocketEvents, protected Runnable {
 public:
  ~PipeTransportBase() override;

  bool is_closing() const override { return closing_; }
  void set_protocol(std::shared_ptr<BaseProtocol> protocol) override;
  std::shared_ptr<BaseProtocol> get_protocol() const override { return protocol_; }
  EventLoop& loop() const noexcept { return *loop_; }

 protected:
  PipeTransportBase(EventLoop& loop, StreamSocketPtr sock, int fd);
  /// Schedules connection_made(), the start of reading and the waiter, as
  /// CPython's constructors do.
  void start(std::shared_ptr<PipeTransportBase> self, std::optional<Future<void>> waiter);
  void schedule() noexcept;
  /// Python: _close(exc): closing, and connection_lost(exc) soon.
  void close_with(const std::exception_ptr& exc);
  void call_connection_lost(std::exception_ptr exc);
  void release_self() noexcept;
  void report(const char* message, std::exception_ptr exc) const;
  std::string repr_with(const char* kind) const;
  virtual void handle_events() = 0;

  // Runnable
  void run() override;
  void discard() noexcept override;
  void on_detached() noexcept override;

  EventLoop* loop_;
  StreamSocketPtr sock_;
  std::shared_ptr<BaseProtocol> protocol_;
  std::shared_ptr<PipeTransportBase> self_;
  int fd_;
  unsigned events_ = 0;
  bool closing_ = false;
  bool lost_scheduled_ = false;  // connection_lost() is scheduled or done
  bool queued_ = false;
  bool running_ = false;
  bool release_deferred_ = false;
};

/// Python: unix_events._UnixReadPipeTransport
class ReadPipeTransport final : public PipeTransportBase {
  struct Private {};

 public:
  /// Bytes read at most per callback (Python: max_size, 256 KiB).
  /// Divergence: 64 KiB, what a Linux pipe holds by default, so one read
  /// fills it; a 256 KiB buffer only gathered several reads per callback
  /// while sweeping four times the cache per chunk (bench/README.md,
  /// "Subprocesses": 2.6x the bare CPU per byte through cat, 1.4x with 64 KiB).
  static constexpr std::size_t kMaxSize = std::size_t{64} * 1024;

  /// TypeError unless `protocol` is a Protocol.
  static std::shared_ptr<ReadPipeTransport> create(EventLoop& loop, StreamSocketPtr sock, int fd,
                                                   std::shared_ptr<BaseProtocol> protocol,
                                                   std::optional<Future<void>> waiter);
  ReadPipeTransport(Private, EventLoop& loop, StreamSocketPtr sock, int fd) : PipeTransportBase(loop, std::move(sock), fd) {}

  void close() override;
  std::string repr() const override { return repr_with("_UnixReadPipeTransport") + ">"; }
  bool is_reading() const override { return !paused_ && !closing_; }
  void pause_reading() override;
  void resume_reading() override;
  // Not a write transport: NotImplementedError (Python: AttributeError).
  void write(std::string_view data) override;
  void writelines(std::span<const std::string_view> list_of_data) override;
  using Transport::writelines;
  void write_eof() override;
  bool can_write_eof() const override { return false; }
  void abort() override { close_with(nullptr); }
  std::size_t get_write_buffer_size() const override { return 0; }
  std::pair<std::size_t, std::size_t> get_write_buffer_limits() const override { return {0, 0}; }
  void set_write_buffer_limits(std::optional<std::int64_t> high, std::optional<std::int64_t> low) override;
  void set_protocol(std::shared_ptr<BaseProtocol> protocol) override;
  ~ReadPipeTransport() override;

 private:
  enum : std::uint8_t { kRead = 1, kEof = 2, kReadError = 4 };
  std::span<char> read_buffer(std::size_t size_hint) noexcept override;
  void on_read(std::size_t n) noexcept override;
  void on_eof() noexcept override;
  void on_read_error(std::error_code error) noexcept override;
  void on_write_done(std::error_code) noexcept override {}
  void handle_events() override;
  std::string describe() const override { return "Handle " + repr() + "._read_ready()"; }
  void fatal_error(const std::exception_ptr& exc, const char* message);

  char* chunk_ = nullptr;  // the read chunk (from the pool)
  ChunkAdoptingProtocol* adopter_ = nullptr;  // the protocol, if it can keep read chunks
  std::size_t rlen_ = 0;
  std::error_code read_error_{};
  bool paused_ = false;
};

/// Python: unix_events._UnixWritePipeTransport
class WritePipeTransport final : public PipeTransportBase {
  struct Private {};

 public:
  static constexpr int kLogThresholdForConnLostWrites = 5;
  /// The backlog buffer kept for reuse once its write is done; a larger one is freed.
  static constexpr std::size_t kMaxKeptCapacity = std::size_t{256} * 1024;

  /// TypeError unless `protocol` is a Protocol or a BufferedProtocol.
  static std::shared_ptr<WritePipeTransport> create(EventLoop& loop, StreamSocketPtr sock, int fd,
                                                    std::shared_ptr<BaseProtocol> protocol,
                                                    std::optional<Future<void>> waiter);
  WritePipeTransport(Private, EventLoop& loop, StreamSocketPtr sock, int fd) : PipeTransportBase(loop, std::move(sock), fd) {}

  void close() override;
  std::string repr() const override;
  // Not a read transport: NotImplementedError (Python: AttributeError).
  bool is_reading() const override { return false; }
  void pause_reading() override;
  void resume_reading() override;
  void write(std::string_view data) override;
  void writelines(std::span<const std::string_view> list_of_data) override;
  using Transport::writelines;
  void write_eof() override;
  bool can_write_eof() const override { return true; }
  void abort() override { close_with(nullptr); }
  std::size_t get_write_buffer_size() const override;
  std::pair<std::size_t, std::size_t> get_write_buffer_limits() const override { return {low_water_, high_water_}; }
  void set_write_buffer_limits(std::optional<std::int64_t> high = std::nullopt,
                               std::optional<std::int64_t> low = std::nullopt) override;

 private:
  enum : std::uint8_t { kPeerGone = 1, kWriteDone = 2 };
  std::span<char> read_buffer(std::size_t) noexcept override { return {scratch_, sizeof scratch_}; }
  void on_read(std::size_t) noexcept override { on_eof(); }
  void on_eof() noexcept override;
  void on_read_error(std::error_code) noexcept override { on_eof(); }
  void on_write_done(std::error_code error) noexcept override;
  void handle_events() override;
  std::string describe() const override { return "Handle " + repr() + "._write_ready()"; }
  void write_owned(std::string&& data) override;
  bool drop_write();
  void send(std::span<const std::string_view> buffers, std::size_t total);
  void start_write(std::string_view unsent);
  void release_inflight() noexcept;
  void fatal_error(const std::exception_ptr& exc, const char* message);
  void maybe_pause_protocol();
  void maybe_resume_protocol();
  void drop_buffer() noexcept;

  // The write in flight: its unsent bytes are a tail of inflight_, which
  // is either a copy of that tail or a string taken over by write(std::string&&)
  // (so nothing is copied). pending_: what was written while it was in
  // flight, taken over the same way when it is the first such write.
  std::string inflight_;
  std::string pending_;
  std::error_code write_error_{};
  std::size_t high_water_ = std::size_t{64} * 1024;
  std::size_t low_water_ = std::size_t{16} * 1024;
  int conn_lost_ = 0;
  bool writing_ = false;
  bool protocol_paused_ = false;
  char scratch_[64];
};

/// The std::system_error for an I/O error on a pipe (EPIPE: BrokenPipeError).
std::exception_ptr pipe_error(std::error_code error);

}  // namespace asyncio::detail
