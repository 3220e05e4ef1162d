// The transport of a connected stream socket (TCP or Unix), on top of a
// backend's StreamSocket. Python: selector_events._SelectorSocketTransport
// (and its _SelectorTransport and _FlowControlMixin bases).
//
// How I/O reaches the protocol: the backend reports reads and write
// completions inside Backend::poll(); the transport records them and queues
// itself (it is its own ready-queue entry, so this allocates nothing) to
// handle them in the loop's callback phase, where CPython's reader and
// writer callbacks run.
//
// Reading: bytes are read into a 64 KiB chunk taken from a per-thread pool
// when the socket is readable and given back once data_received() returns,
// so idle connections hold no read buffer. A StreamReaderProtocol may keep
// the chunk instead (ChunkAdoptingProtocol: it becomes the reader's buffer
// until the bytes are read, so they are not copied into a second buffer
// first); the next read takes another. A BufferedProtocol's own buffer
// is read into instead (get_buffer() is called when the backend reads).
//
// Writing: write() calls the socket's try_write() when nothing is queued;
// only the rest is copied, into `inflight_` (handed to the backend) or,
// while a write is in flight, `pending_` (handed over when it completes).
//
// Invariants:
// - !writing_ implies pending_ is empty (nothing is queued behind nothing).
// - self_ holds the transport while the connection is open: from creation
//   until connection_lost() has been called (or the loop closed). The
//   transport is never released while queued or handling events
//   (release_deferred_ postpones it).
// - conn_lost_ > 0 once connection_lost() is scheduled or called.
#pragma once

#include <any>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "asyncio/backend.hpp"
#include "asyncio/detail/transport_caps.hpp"
#include "asyncio/futures.hpp"
#include "asyncio/handles.hpp"
#include "asyncio/protocols.hpp"
#include "asyncio/transports.hpp"

namespace asyncio {
class Server;
}

namespace asyncio::detail {

class SocketTransport final : public Transport,
                              public TlsCapableTransport,
                              public SendfileFallbackTransport,
                              private StreamSocketEvents,
                              private Runnable {
  struct Private {};

 public:
  /// Python's LOG_THRESHOLD_FOR_CONNLOST_WRITES.
  static constexpr int kLogThresholdForConnLostWrites = 5;
  /// Bytes read per chunk.
  static constexpr std::size_t kReadChunkSize = std::size_t{64} * 1024;

  /// A transport for `sock` speaking `protocol`. Like CPython's transport
  /// constructor it schedules connection_made(), then reading, then the
  /// result of `waiter` (if any). `server` (if any) counts it as a client.
  /// TypeError if `protocol` is neither a Protocol nor a BufferedProtocol.
  static std::shared_ptr<SocketTransport> create(EventLoop& loop, StreamSocketPtr sock,
                                                 std::shared_ptr<BaseProtocol> protocol,
                                                 std::optional<Future<void>> waiter, std::shared_ptr<Server> server,
                                                 std::optional<SockAddr> peername);

  SocketTransport(Private, EventLoop& loop, StreamSocketPtr sock);
  ~SocketTransport() override;

  // BaseTransport
  void close() override;
  bool is_closing() const override { return closing_; }
  void set_protocol(std::shared_ptr<BaseProtocol> protocol) override;
  std::shared_ptr<BaseProtocol> get_protocol() const override { return protocol_; }
  std::string repr() const override;
  // ReadTransport
  bool is_reading() const override { return !paused_ && !closing_; }
  void pause_reading() override;
  void resume_reading() override;
  // WriteTransport
  void write(std::string_view data) override;
  void writelines(std::span<const std::string_view> list_of_data) override;
  using Transport::writelines;
  void write_eof() override;
  bool can_write_eof() const override { return true; }
  void abort() override { force_close(nullptr); }
  std::size_t get_write_buffer_size() const override;
  std::pair<std::size_t, std::size_t> get_write_buffer_limits() const override { return {low_water_, high_water_}; }
  void set_write_buffer_limits(std::optional<std::int64_t> high = std::nullopt,
                               std::optional<std::int64_t> low = std::nullopt) override;

  /// The loop the transport belongs to.
  EventLoop& loop() const noexcept { return *loop_; }

  // TlsCapableTransport: Python's _SelectorTransport._force_close
  void force_close(std::exception_ptr exc) override;
  // sendfile() (library use). Python: _make_empty_waiter,
  // _reset_empty_waiter, _protocol_paused, _sock.fileno().
  /// A future done once the write buffer is empty (failing with ENOTCONN
  /// "Connection is closed by peer" if the connection is lost first);
  /// write() raises RuntimeError until reset_empty_waiter().
  Future<void> make_empty_waiter();
  void reset_empty_waiter() noexcept { empty_waiter_.reset(); }
  bool protocol_paused() const noexcept override { return protocol_paused_; }
  /// The socket's descriptor (-1 once closed).
  int socket_fd() const noexcept;

 private:
  enum : std::uint8_t {
    kRead = 1,            // bytes wait in the read buffer
    kEof = 2,             // the peer sent EOF
    kReadError = 4,       // reading failed
    kGetBufferError = 8,  // BufferedProtocol.get_buffer() failed
    kWriteDone = 16,      // the write in flight finished
  };
  static constexpr unsigned kReadEvents = kRead | kEof | kReadError | kGetBufferError;

  // StreamSocketEvents (inside Backend::poll())
  std::span<char> read_buffer(std::size_t size_hint) noexcept override;
  void on_read(std::size_t n) noexcept override;
  void on_eof() noexcept override;
  void on_read_error(std::error_code error) noexcept override;
  void on_write_done(std::error_code error) noexcept override;
  void on_detached() noexcept override;

  // Runnable (the ready-queue entry)
  void run() override;
  void discard() noexcept override;
  std::string describe() const override;

  void schedule() noexcept;
  void handle_events();
  void handle_read_events();
  void handle_write_done();
  void start();
  void connection_made_step(std::optional<Future<void>> waiter);
  void send(std::span<const std::string_view> buffers, std::size_t total);
  void start_write();
  void drop_read_state() noexcept;
  void release_chunk() noexcept;
  void maybe_pause_protocol();
  void maybe_resume_protocol();
  void fatal_error(const std::exception_ptr& exc, const char* message);
  void call_connection_lost(std::exception_ptr exc);
  void release_self() noexcept;
  std::exception_ptr os_error(std::error_code error) const;
  void report_callback_error(const char* what) const;

  EventLoop* loop_;
  StreamSocketPtr sock_;
  std::shared_ptr<BaseProtocol> protocol_;
  Protocol* proto_ = nullptr;           // protocol_ as a Protocol, or
  ChunkAdoptingProtocol* adopter_ = nullptr;  // proto_ if it can keep read chunks
  BufferedProtocol* bproto_ = nullptr;  // protocol_ as a BufferedProtocol
  std::shared_ptr<Server> server_;
  std::shared_ptr<SocketTransport> self_;

  // Reading.
  char* chunk_ = nullptr;  // Protocol: the read chunk (from the pool)
  std::size_t rlen_ = 0;   // bytes read and not yet delivered
  std::span<char> lent_{};  // BufferedProtocol: the buffer get_buffer() gave
  std::string carry_;      // bytes read for a protocol replaced before they were delivered
  std::error_code read_error_{};
  std::exception_ptr get_buffer_error_;

  // Writing.
  std::string inflight_;  // handed to the backend (valid until on_write_done)
  std::string pending_;   // written while inflight_ is being sent
  std::error_code write_error_{};
  std::size_t high_water_ = std::size_t{64} * 1024;
  std::size_t low_water_ = std::size_t{16} * 1024;

  int conn_lost_ = 0;
  unsigned events_ = 0;  // kRead, kEof, ... reported and not yet handled
  bool writing_ = false;
  bool eof_ = false;  // write_eof() called
  bool closing_ = false;
  bool paused_ = false;
  bool protocol_paused_ = false;
  bool protocol_connected_ = false;
  bool queued_ = false;
  bool running_ = false;
  bool release_deferred_ = false;
  std::optional<Future<void>> empty_waiter_;  // set while sendfile() runs
};

}  // namespace asyncio::detail
