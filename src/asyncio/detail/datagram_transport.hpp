// The transport of a datagram endpoint, on a backend's DatagramSocket.
// Python: selector_events._SelectorDatagramTransport.
//
// Receiving: the backend receives datagrams inside Backend::poll() into an
// arena this transport owns (one 256 KiB block, reused: no allocation per
// datagram) and records where each one lies; the transport queues itself
// (it is its own ready-queue entry) and hands them to datagram_received()
// in the loop's callback phase, in arrival order with the receive errors.
// Divergence: CPython's reader callback receives one datagram per loop
// iteration; libuv receives up to 32 per readiness, all delivered in the
// same iteration.
//
// Sending: sendto() tries the socket at once when nothing is buffered; a
// datagram the kernel does not take is queued in the backend (a copy) and
// counted here (its length + 8, as CPython 3.13+ counts headers) until it
// leaves. Divergence: CPython subtracts only the length when a buffered
// datagram leaves, so its count drifts up by 8 per datagram; here it
// returns to 0.
//
// Invariants:
// - self_ holds the transport from creation until connection_lost() has
//   been called (or the loop closed).
// - conn_lost_ > 0 once connection_lost() is scheduled.
#pragma once

#include <cstddef>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "asyncio/backend.hpp"
#include "asyncio/futures.hpp"
#include "asyncio/handles.hpp"
#include "asyncio/protocols.hpp"
#include "asyncio/transports.hpp"

namespace asyncio::detail {

class DatagramSocketTransport final : public DatagramTransport, private DatagramSocketEvents, private Runnable {
  struct Private {};

 public:
  /// Bytes of the receive arena, and the most one datagram may take.
  /// Divergence: CPython reads up to 256 KiB per datagram; here 64 KiB
  /// (UDP's limit; larger AF_UNIX datagrams are truncated).
  static constexpr std::size_t kArenaSize = std::size_t{256} * 1024;
  static constexpr std::size_t kMaxDatagram = std::size_t{64} * 1024;
  /// Bytes counted per buffered datagram besides its data (CPython 3.13+).
  static constexpr std::size_t kHeaderSize = 8;

  /// A transport for `sock` speaking `protocol`; `address` is the peer of
  /// a connected endpoint. Schedules connection_made(), then reading, then
  /// the result of `waiter`, as CPython's constructor does.
  static std::shared_ptr<DatagramSocketTransport> create(EventLoop& loop, DatagramSocketPtr sock,
                                                         std::shared_ptr<DatagramProtocol> protocol,
                                                         std::optional<SockAddr> address, Future<void> waiter);

  DatagramSocketTransport(Private, EventLoop& loop, DatagramSocketPtr sock);
  ~DatagramSocketTransport() override;

  // BaseTransport
  void close() override;
  bool is_closing() const override { return closing_; }
  void set_protocol(std::shared_ptr<BaseProtocol> protocol) override;
  std::shared_ptr<BaseProtocol> get_protocol() const override { return protocol_; }
  std::string repr() const override;
  // DatagramTransport
  void sendto(std::string_view data, std::optional<SockAddr> addr = std::nullopt) override;
  void abort() override { force_close(nullptr); }
  std::size_t get_write_buffer_size() const override { return buffer_size_; }
  std::pair<std::size_t, std::size_t> get_write_buffer_limits() const override { return {low_water_, high_water_}; }
  void set_write_buffer_limits(std::optional<std::int64_t> high = std::nullopt,
                               std::optional<std::int64_t> low = std::nullopt) override;

 private:
  struct Event {
    std::size_t offset = 0;
    std::size_t length = 0;
    SockAddr from{};
    std::error_code error{};  // a receive error instead of a datagram
  };

  // DatagramSocketEvents (inside Backend::poll())
  std::span<char> recv_buffer(std::size_t size_hint) noexcept override;
  void on_datagram(std::size_t n, const SockAddr& from) noexcept override;
  void on_recv_error(std::error_code error) noexcept override;
  void on_send_done(std::error_code error) noexcept override;
  void on_detached() noexcept override;

  // Runnable
  void run() override;
  void discard() noexcept override;
  std::string describe() const override { return "DatagramTransport._read_ready()"; }

  void schedule() noexcept;
  Event* next_event() noexcept;
  void handle_events();
  void error_received(std::error_code error, const char* what);
  void maybe_pause_protocol();
  void maybe_resume_protocol();
  void force_close(std::exception_ptr exc);
  void call_connection_lost(std::exception_ptr exc);
  void report_callback_error(const char* what) const;

  EventLoop* loop_;
  DatagramSocketPtr sock_;
  std::shared_ptr<DatagramProtocol> protocol_;
  std::shared_ptr<DatagramSocketTransport> self_;
  std::shared_ptr<DatagramSocketTransport> queued_keep_;  // while in the ready queue
  std::optional<SockAddr> address_;
  int fd_ = -1;
  bool connected_ = false;  // the socket has a peer: send without an address

  std::unique_ptr<char[]> arena_;
  std::size_t arena_used_ = 0;
  std::vector<Event> events_;  // reused: events_used_ of them are live
  std::size_t events_used_ = 0;
  std::vector<std::error_code> send_results_;  // completions not yet handled

  std::deque<std::size_t> queued_;  // sizes counted for datagrams queued in the backend
  std::size_t buffer_size_ = 0;
  std::size_t high_water_ = std::size_t{64} * 1024;
  std::size_t low_water_ = std::size_t{16} * 1024;

  int conn_lost_ = 0;
  bool closing_ = false;
  bool protocol_paused_ = false;
  bool protocol_connected_ = false;
  bool queued_run_ = false;
};

}  // namespace asyncio::detail
