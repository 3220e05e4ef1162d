// Transports and protocols over real loopback sockets. Python: the
// behaviour of selector_events._SelectorSocketTransport, pinned to CPython.
#include <cstring>

#include "asyncio/detail/chunk_pool.hpp"
#include "net_support.hpp"

using asyncio::Coro;
using test::LoopFixture;
using test::RecordingProtocol;

namespace {

// A server whose protocols are RecordingProtocols, kept for inspection.
struct RecordingServer {
  std::shared_ptr<asyncio::Server> server;
  std::vector<std::shared_ptr<RecordingProtocol>> protocols;
  bool keep_open_on_eof = false;
};

Coro<std::shared_ptr<RecordingServer>> recording_server(asyncio::EventLoop& loop) {
  auto rs = std::make_shared<RecordingServer>();
  auto factory = [&loop, weak = std::weak_ptr<RecordingServer>(rs)] {
    auto p = std::make_shared<RecordingProtocol>(loop);
    if (auto s = weak.lock()) {
      p->keep_open_on_eof = s->keep_open_on_eof;
      s->protocols.push_back(p);
    }
    return p;
  };
  rs->server = co_await loop.create_server(factory, "127.0.0.1", 0);
  co_return rs;
}

Coro<std::shared_ptr<RecordingProtocol>> connect_recorder(asyncio::EventLoop& loop, int port) {
  auto factory = [&loop] { return std::make_shared<RecordingProtocol>(loop); };
  auto [transport, protocol] = co_await loop.create_connection(factory, "127.0.0.1", port);
  co_return protocol;
}

Coro<> shutdown(std::shared_ptr<RecordingServer> rs) {
  rs->server->close();
  rs->server->abort_clients();
  co_await rs->server->wait_closed();
}

}  // namespace

TEST_CASE("A protocol sees connection_made then data then eof then connection_lost", "[transports][net]") {
  LoopFixture f;
  test::run_net(f, [](asyncio::EventLoop& loop) -> Coro<> {
    auto rs = co_await recording_server(loop);
    auto client = co_await connect_recorder(loop, test::port_of(rs->server));
    client->transport->write("hello ");
    client->transport->write("world");
    client->transport->write_eof();
    {
      const bool v1_ = co_await test::wait_until([&] { return !rs->protocols.empty() && rs->protocols[0]->lost.done(); });
      REQUIRE(v1_);
    }
    auto& server_side = *rs->protocols[0];
    // eof_received() returned false: the transport closed itself.
    CHECK(test::condensed(server_side.events) == std::vector<std::string>{"made", "data", "eof", "lost"});
    CHECK(server_side.received == "hello world");
    CHECK(server_side.lost_count == 1);
    CHECK(!server_side.lost_error);
    // The client sees the server's close as EOF, then its own close.
    {
      const bool v2_ = co_await test::wait_until([&] { return client->lost.done(); });
      REQUIRE(v2_);
    }
    CHECK(test::condensed(client->events) == std::vector<std::string>{"made", "eof", "lost"});
    co_await shutdown(rs);
  }(*f.loop));
  CHECK(f.errors.empty());
}

TEST_CASE("eof_received returning true keeps the connection half open", "[transports][net]") {
  LoopFixture f;
  test::run_net(f, [](asyncio::EventLoop& loop) -> Coro<> {
    auto rs = co_await recording_server(loop);
    rs->keep_open_on_eof = true;
    auto client = co_await connect_recorder(loop, test::port_of(rs->server));
    client->transport->write("question");
    client->transport->write_eof();
    {
      const bool v3_ = co_await test::wait_until([&] {
      return !rs->protocols.empty() && !rs->protocols[0]->events.empty() && rs->protocols[0]->events.back() == "eof";
    });
      REQUIRE(v3_);
    }
    auto& server_side = *rs->protocols[0];
    // Half-open: the server can still answer after the client's EOF.
    CHECK_FALSE(server_side.transport->is_closing());
    server_side.transport->write("answer");
    server_side.transport->close();
    {
      const bool v4_ = co_await test::wait_until([&] { return client->lost.done(); });
      REQUIRE(v4_);
    }
    CHECK(client->received == "answer");
    CHECK(test::condensed(client->events) == std::vector<std::string>{"made", "data", "eof", "lost"});
    CHECK(test::condensed(server_side.events) == std::vector<std::string>{"made", "data", "eof", "lost"});
    co_await shutdown(rs);
  }(*f.loop));
  CHECK(f.errors.empty());
}

TEST_CASE("A write the kernel takes at once leaves nothing buffered", "[transports][net]") {
  LoopFixture f;
  test::run_net(f, [](asyncio::EventLoop& loop) -> Coro<> {
    auto rs = co_await recording_server(loop);
    auto client = co_await connect_recorder(loop, test::port_of(rs->server));
    client->transport->write(std::string(1000, 'x'));
    CHECK(client->transport->get_write_buffer_size() == 0);
    client->transport->writelines({"a", "bc", "", "def"});
    CHECK(client->transport->get_write_buffer_size() == 0);
    {
      const bool v5_ = co_await test::wait_until([&] { return !rs->protocols.empty() && rs->protocols[0]->received.size() == 1006; });
      REQUIRE(v5_);
    }
    CHECK(rs->protocols[0]->received.substr(1000) == "abcdef");
    client->transport->close();
    co_await shutdown(rs);
  }(*f.loop));
  CHECK(f.errors.empty());
}

TEST_CASE("Write flow control pauses strictly above high and resumes at low", "[transports][net]") {
  LoopFixture f;
  test::run_net(f, [](asyncio::EventLoop& loop) -> Coro<> {
    auto rs = co_await recording_server(loop);
    auto client = co_await connect_recorder(loop, test::port_of(rs->server));
    {
      const bool v6_ = co_await test::wait_until([&] { return !rs->protocols.empty(); });
      REQUIRE(v6_);
    }
    auto& reader = *rs->protocols[0];
    reader.transport->pause_reading();  // a peer that does not read
    auto& t = *client->transport;
    // Fill the kernel's buffers with flow control out of the way.
    t.set_write_buffer_limits(std::int64_t{1} << 40);
    const std::string chunk(64 * 1024, 'z');
    std::size_t sent = 0;
    for (int i = 0; i < 4096 && t.get_write_buffer_size() == 0; ++i) {
      t.write(chunk);
      sent += chunk.size();
    }
    REQUIRE(t.get_write_buffer_size() > 0);
    // Exactly at the high-water mark: not paused (strictly above pauses).
    const auto size = static_cast<std::int64_t>(t.get_write_buffer_size());
    t.set_write_buffer_limits(size, 1000);
    CHECK(std::count(client->events.begin(), client->events.end(), "pause") == 0);
    t.write("!");
    sent += 1;
    CHECK(std::count(client->events.begin(), client->events.end(), "pause") == 1);
    CHECK(t.get_write_buffer_limits() == std::pair<std::size_t, std::size_t>(1000, static_cast<std::size_t>(size)));
    // A reading peer drains the buffer; resume_writing() comes at <= low.
    std::size_t size_at_resume = 0;
    reader.transport->resume_reading();
    {
      const bool v7_ = co_await test::wait_until(
        [&] {
          if (client->events.back() == "resume") {
            size_at_resume = t.get_write_buffer_size();
            return true;
          }
          return false;
        },
        15.0, 0);
      REQUIRE(v7_);
    }
    CHECK(size_at_resume <= 1000);
    CHECK(test::condensed(client->events) == std::vector<std::string>{"made", "pause", "resume"});
    {
      const bool v8_ = co_await test::wait_until([&] { return reader.received.size() == sent; }, 15.0);
      REQUIRE(v8_);
    }
    t.close();
    co_await shutdown(rs);
  }(*f.loop));
  CHECK(f.errors.empty());
}

TEST_CASE("set_write_buffer_limits validates and defaults like CPython", "[transports][net]") {
  LoopFixture f;
  test::run_net(f, [](asyncio::EventLoop& loop) -> Coro<> {
    auto rs = co_await recording_server(loop);
    auto client = co_await connect_recorder(loop, test::port_of(rs->server));
    auto& t = *client->transport;
    using Limits = std::pair<std::size_t, std::size_t>;
    CHECK(t.get_write_buffer_limits() == Limits(16384, 65536));
    auto message = [&](std::optional<std::int64_t> high, std::optional<std::int64_t> low) -> std::string {
      try {
        t.set_write_buffer_limits(high, low);
      } catch (const asyncio::ValueError& e) {
        return e.what();
      }
      return "ok";
    };
    // Python: transport.set_write_buffer_limits(high=-1) and friends.
    CHECK(message(-1, std::nullopt) == "high (-1) must be >= low (-1) must be >= 0");
    CHECK(message(std::nullopt, -1) == "high (-4) must be >= low (-1) must be >= 0");
    CHECK(message(10, 20) == "high (10) must be >= low (20) must be >= 0");
    CHECK(message(std::nullopt, 100) == "ok");
    CHECK(t.get_write_buffer_limits() == Limits(100, 400));
    CHECK(message(7, std::nullopt) == "ok");
    CHECK(t.get_write_buffer_limits() == Limits(1, 7));
    CHECK(message(std::nullopt, std::nullopt) == "ok");
    CHECK(t.get_write_buffer_limits() == Limits(16384, 65536));
    t.close();
    co_await shutdown(rs);
  }(*f.loop));
}

TEST_CASE("Writes after the connection is lost are dropped with a warning from the fifth", "[transports][net]") {
  LoopFixture f;
  test::LogCapture log;
  test::run_net(f, [](asyncio::EventLoop& loop, test::LogCapture& capture) -> Coro<> {
    auto rs = co_await recording_server(loop);
    auto client = co_await connect_recorder(loop, test::port_of(rs->server));
    client->transport->abort();
    std::vector<std::size_t> warnings;
    for (int i = 1; i <= 7; ++i) {
      client->transport->write("x");
      warnings.push_back(capture.records.size());
    }
    // Python: LOG_THRESHOLD_FOR_CONNLOST_WRITES; warnings on writes 5, 6, 7.
    CHECK(warnings == std::vector<std::size_t>{0, 0, 0, 0, 1, 2, 3});
    CHECK(capture.contains("socket.send() raised exception."));
    co_await client->lost;
    CHECK(client->lost_count == 1);
    co_await shutdown(rs);
  }(*f.loop, log));
}

TEST_CASE("write after write_eof raises RuntimeError", "[transports][net]") {
  LoopFixture f;
  test::run_net(f, [](asyncio::EventLoop& loop) -> Coro<> {
    auto rs = co_await recording_server(loop);
    auto client = co_await connect_recorder(loop, test::port_of(rs->server));
    CHECK(client->transport->can_write_eof());
    client->transport->write_eof();
    client->transport->write_eof();  // idempotent
    CHECK_THROWS_WITH(client->transport->write("x"), "Cannot call write() after write_eof()");
    CHECK_THROWS_WITH(client->transport->writelines({"x"}), "Cannot call writelines() after write_eof()");
    client->transport->close();
    co_await client->lost;
    co_await shutdown(rs);
  }(*f.loop));
}

TEST_CASE("pause_reading holds data back until resume_reading", "[transports][net]") {
  LoopFixture f;
  test::run_net(f, [](asyncio::EventLoop& loop) -> Coro<> {
    auto rs = co_await recording_server(loop);
    auto client = co_await connect_recorder(loop, test::port_of(rs->server));
    auto& t = *client->transport;
    CHECK(t.is_reading());
    t.pause_reading();
    t.pause_reading();  // idempotent
    CHECK_FALSE(t.is_reading());
    {
      const bool v9_ = co_await test::wait_until([&] { return !rs->protocols.empty(); });
      REQUIRE(v9_);
    }
    rs->protocols[0]->transport->write("while paused");
    rs->protocols[0]->transport->write_eof();
    co_await asyncio::sleep(0.05);
    CHECK(client->received.empty());
    t.resume_reading();
    CHECK(t.is_reading());
    {
      const bool v10_ = co_await test::wait_until([&] { return client->lost.done(); });
      REQUIRE(v10_);
    }
    CHECK(client->received == "while paused");
    CHECK(test::condensed(client->events) == std::vector<std::string>{"made", "data", "eof", "lost"});
    CHECK_FALSE(t.is_reading());  // closing
    co_await shutdown(rs);
  }(*f.loop));
}

TEST_CASE("close flushes buffered data before connection_lost and abort drops it", "[transports][net][kernel-send-buffer]") {
  LoopFixture f;
  test::run_net(f, [](asyncio::EventLoop& loop) -> Coro<> {
    auto rs = co_await recording_server(loop);
    auto client = co_await connect_recorder(loop, test::port_of(rs->server));
    {
      const bool v11_ = co_await test::wait_until([&] { return !rs->protocols.empty(); });
      REQUIRE(v11_);
    }
    auto& peer = *rs->protocols[0];
    peer.transport->pause_reading();
    auto& t = *client->transport;
    const std::string chunk(256 * 1024, 'c');
    std::size_t sent = 0;
    for (int i = 0; i < 512 && t.get_write_buffer_size() == 0; ++i) {
      t.write(chunk);
      sent += chunk.size();
    }
    REQUIRE(t.get_write_buffer_size() > 0);
    t.close();
    CHECK(t.is_closing());
    co_await asyncio::sleep(0.01);
    CHECK_FALSE(client->lost.done());  // still flushing
    peer.transport->resume_reading();
    co_await client->lost;
    {
      const bool v12_ = co_await test::wait_until([&] { return peer.received.size() == sent; }, 15.0);
      REQUIRE(v12_);
    }
    CHECK(peer.received.size() == sent);

    // abort(): the buffer is dropped, connection_lost() follows at once.
    auto other = co_await connect_recorder(loop, test::port_of(rs->server));
    {
      const bool v13_ = co_await test::wait_until([&] { return rs->protocols.size() == 2; });
      REQUIRE(v13_);
    }
    rs->protocols[1]->transport->pause_reading();
    auto& t2 = *other->transport;
    for (int i = 0; i < 512 && t2.get_write_buffer_size() == 0; ++i) t2.write(chunk);
    REQUIRE(t2.get_write_buffer_size() > 0);
    t2.abort();
    CHECK(t2.get_write_buffer_size() == 0);
    co_await other->lost;
    CHECK(other->lost_count == 1);
    co_await shutdown(rs);
  }(*f.loop));
  CHECK(f.errors.empty());
}

TEST_CASE("connection_lost is called exactly once however the transport is closed", "[transports][net]") {
  LoopFixture f;
  test::run_net(f, [](asyncio::EventLoop& loop) -> Coro<> {
    auto rs = co_await recording_server(loop);
    auto client = co_await connect_recorder(loop, test::port_of(rs->server));
    client->transport->close();
    client->transport->abort();
    client->transport->close();
    co_await client->lost;
    co_await asyncio::sleep(0.01);
    CHECK(client->lost_count == 1);
    CHECK(client->transport->get_protocol() == nullptr);  // let go after connection_lost
    co_await shutdown(rs);
  }(*f.loop));
}

TEST_CASE("get_extra_info reports peername sockname and socket", "[transports][net][os-sockets]") {
  LoopFixture f;
  test::run_net(f, [](asyncio::EventLoop& loop) -> Coro<> {
    auto rs = co_await recording_server(loop);
    const int port = test::port_of(rs->server);
    auto client = co_await connect_recorder(loop, port);
    auto& t = *client->transport;
    auto peer = std::any_cast<asyncio::SockAddr>(t.get_extra_info("peername"));
    CHECK(peer.host == "127.0.0.1");
    CHECK(peer.port == port);
    CHECK(peer.repr() == "('127.0.0.1', " + std::to_string(port) + ")");
    auto local = std::any_cast<asyncio::SockAddr>(t.get_extra_info("sockname"));
    CHECK(local.host == "127.0.0.1");
    auto sock = std::any_cast<asyncio::TransportSocket>(t.get_extra_info("socket"));
    CHECK(sock.fileno() >= 0);
    CHECK(sock.family() == AF_INET);
    CHECK(sock.type() == SOCK_STREAM);
    CHECK(sock.getpeername() == peer);
    // TCP_NODELAY is on, as CPython sets it.
    CHECK(test::raw_nodelay(sock.fileno()));
    CHECK_FALSE(t.get_extra_info("cipher").has_value());
    CHECK(std::any_cast<int>(t.get_extra_info("cipher", 7)) == 7);
    {
      const bool v14_ = co_await test::wait_until([&] { return !rs->protocols.empty(); });
      REQUIRE(v14_);
    }
    auto server_peer = std::any_cast<asyncio::SockAddr>(rs->protocols[0]->transport->get_extra_info("peername"));
    CHECK(server_peer == local);
    t.close();
    co_await shutdown(rs);
  }(*f.loop));
}

namespace {

class BufferedRecorder : public asyncio::BufferedProtocol {
 public:
  std::vector<std::string> events;
  std::string received;
  char buf[7];  // small on purpose: many get_buffer/buffer_updated rounds
  bool empty_buffer = false;
  asyncio::Future<void> lost;
  std::exception_ptr lost_error;
  explicit BufferedRecorder(asyncio::EventLoop& loop) : lost(loop.create_future()) {}

  void connection_made(std::shared_ptr<asyncio::Transport>) override { events.push_back("made"); }
  std::span<char> get_buffer(std::int64_t sizehint) override {
    events.push_back("get_buffer:" + std::to_string(sizehint));
    if (empty_buffer) return {};
    return buf;
  }
  void buffer_updated(std::size_t n) override {
    events.push_back("updated");
    received.append(buf, n);
  }
  bool eof_received() override {
    events.push_back("eof");
    return false;
  }
  void connection_lost(std::exception_ptr exc) override {
    events.push_back("lost");
    lost_error = exc;
    lost.set_result();
  }
};

}  // namespace

TEST_CASE("A BufferedProtocol receives into its own buffer", "[transports][net]") {
  LoopFixture f;
  test::run_net(f, [](asyncio::EventLoop& loop) -> Coro<> {
    auto rs = co_await recording_server(loop);
    auto factory = [&loop] { return std::make_shared<BufferedRecorder>(loop); };
    auto [t, p] = co_await loop.create_connection(factory, "127.0.0.1", test::port_of(rs->server));
    {
      const bool v15_ = co_await test::wait_until([&] { return !rs->protocols.empty(); });
      REQUIRE(v15_);
    }
    rs->protocols[0]->transport->write("buffered protocol data");
    rs->protocols[0]->transport->close();
    co_await p->lost;
    CHECK(p->received == "buffered protocol data");
    // made, then (get_buffer(-1), buffer_updated)*, then a get_buffer whose
    // read found EOF, eof, lost.
    REQUIRE(p->events.size() >= 5);
    CHECK(p->events.front() == "made");
    CHECK(p->events[1] == "get_buffer:-1");
    CHECK(p->events[p->events.size() - 2] == "eof");
    CHECK(p->events.back() == "lost");
    for (std::size_t i = 1; i + 1 < p->events.size(); ++i) {
      if (p->events[i] == "updated") CHECK(p->events[i - 1] == "get_buffer:-1");
    }
    CHECK(!p->lost_error);
    co_await shutdown(rs);
  }(*f.loop));
  CHECK(f.errors.empty());
}

TEST_CASE("get_buffer returning an empty buffer is a fatal error", "[transports][net]") {
  LoopFixture f;
  f.expect_report("Fatal error: protocol.get_buffer() call failed.");
  test::run_net(f, [](asyncio::EventLoop& loop) -> Coro<> {
    auto rs = co_await recording_server(loop);
    auto factory = [&loop] {
      auto p = std::make_shared<BufferedRecorder>(loop);
      p->empty_buffer = true;
      return p;
    };
    auto [t, p] = co_await loop.create_connection(factory, "127.0.0.1", test::port_of(rs->server));
    {
      const bool v16_ = co_await test::wait_until([&] { return !rs->protocols.empty(); });
      REQUIRE(v16_);
    }
    rs->protocols[0]->transport->write("x");
    co_await p->lost;
    REQUIRE(p->lost_error);
    CHECK(test::message_of(p->lost_error) == "get_buffer() returned an empty buffer");
    co_await shutdown(rs);
  }(*f.loop));
  REQUIRE(f.errors.size() == 1);
  CHECK(f.errors[0].message == "Fatal error: protocol.get_buffer() call failed.");
}

namespace {
struct Throwing : asyncio::Protocol {
  asyncio::Future<void> lost;
  std::exception_ptr error;
  explicit Throwing(asyncio::EventLoop& loop) : lost(loop.create_future()) {}
  void data_received(std::string_view) override { throw asyncio::ValueError("bad data"); }
  void connection_lost(std::exception_ptr exc) override {
    error = exc;
    lost.set_result();
  }
};
}  // namespace

TEST_CASE("An exception in data_received is reported and closes the connection", "[transports][net]") {
  LoopFixture f;
  f.expect_report("Fatal error: protocol.data_received() call failed.");
  test::run_net(f, [](asyncio::EventLoop& loop) -> Coro<> {
    auto rs = co_await recording_server(loop);
    auto factory = [&loop] { return std::make_shared<Throwing>(loop); };
    auto [t, p] = co_await loop.create_connection(factory, "127.0.0.1", test::port_of(rs->server));
    {
      const bool v17_ = co_await test::wait_until([&] { return !rs->protocols.empty(); });
      REQUIRE(v17_);
    }
    rs->protocols[0]->transport->write("boom");
    co_await p->lost;
    CHECK(test::message_of(p->error) == "bad data");
    CHECK(t->is_closing());
    // The peer sees the connection closed.
    {
      const bool v18_ = co_await test::wait_until([&] { return rs->protocols[0]->lost.done(); });
      REQUIRE(v18_);
    }
    co_await shutdown(rs);
  }(*f.loop));
  REQUIRE(f.errors.size() == 1);
  CHECK(f.errors[0].message == "Fatal error: protocol.data_received() call failed.");
  CHECK(test::message_of(f.errors[0].exception) == "bad data");
  CHECK(f.errors[0].get("transport") != nullptr);
}

TEST_CASE("A reset connection reports ECONNRESET to connection_lost", "[transports][net][os-sockets]") {
  LoopFixture f;
  test::run_net(f, [](asyncio::EventLoop& loop) -> Coro<> {
    auto rs = co_await recording_server(loop);
    auto client = co_await connect_recorder(loop, test::port_of(rs->server));
    {
      const bool v19_ = co_await test::wait_until([&] { return !rs->protocols.empty(); });
      REQUIRE(v19_);
    }
    // SO_LINGER 0 turns close into a reset.
    auto sock = std::any_cast<asyncio::TransportSocket>(client->transport->get_extra_info("socket"));
    REQUIRE(test::raw_linger_zero(sock.fileno()));
    client->transport->abort();
    auto& peer = *rs->protocols[0];
    co_await peer.lost;
    REQUIRE(peer.lost_error);
    CHECK(test::errno_of(peer.lost_error) == ECONNRESET);
    // The message names the peer.
    CHECK(test::message_of(peer.lost_error).find("connection to ('127.0.0.1', ") == 0);
    // Writing to the reset connection is dropped, not fatal to the process.
    peer.transport->write("after reset");
    co_await shutdown(rs);
  }(*f.loop));
  CHECK(f.errors.empty());  // OS errors are expected: not reported (Python logs them in debug mode only)
}

// CPython 3.11 (tests/conformance/reset_after_data.py: a client sends "hello\npartial",
// sets SO_LINGER {1, 0} and closes): data_received(b"hello\npartial"),
// then connection_lost(ConnectionResetError(104)), and no eof_received().
// libuv 1.44 reports such a reset as a clean end of stream (UV_EOF after a
// short read and a hang-up): the backend asks the socket once more.
TEST_CASE("Data then a reset is data_received then connection_lost(ECONNRESET), never eof_received",
          "[transports][net][reset-after-data][os-sockets]") {
  LoopFixture f;
  int resets = 0;
  test::run_net(f, [](asyncio::EventLoop& loop, int& count) -> Coro<> {
    auto rs = co_await recording_server(loop);
    for (int run = 0; run < 20; ++run) {
      const int fd = test::raw_connect(test::port_of(rs->server));
      REQUIRE(fd >= 0);
      REQUIRE(test::raw_send(fd, "hello\npartial"));
      test::raw_reset(fd);
      {
        const bool ok = co_await test::wait_until([&] {
          return rs->protocols.size() == static_cast<std::size_t>(run + 1) && rs->protocols.back()->lost.done();
        });
        REQUIRE(ok);
      }
      auto& p = *rs->protocols.back();
      CHECK(p.received == "hello\npartial");
      CHECK(test::condensed(p.events) == std::vector<std::string>{"made", "data", "lost:error"});
      const int error = p.lost_error ? test::errno_of(p.lost_error) : 0;
      CHECK(error == ECONNRESET);
      if (error == ECONNRESET) ++count;
    }
    co_await shutdown(rs);
  }(*f.loop, resets));
  CHECK(resets == 20);
  CHECK(f.errors.empty());  // Python logs resets in debug mode only
}

// CPython 3.11, the same client but shutdown(SHUT_WR) before the reset,
// both arriving while the server's reading is paused: the FIN counts first,
// so data_received, eof_received, connection_lost(None).
TEST_CASE("A FIN before the reset is a clean end of stream, as CPython reads it", "[transports][net][os-sockets]") {
  LoopFixture f;
  test::run_net(f, [](asyncio::EventLoop& loop) -> Coro<> {
    auto rs = co_await recording_server(loop);
    const int fd = test::raw_connect(test::port_of(rs->server));
    REQUIRE(fd >= 0);
    {
      const bool ok = co_await test::wait_until([&] { return !rs->protocols.empty(); });
      REQUIRE(ok);
    }
    auto& p = *rs->protocols[0];
    p.transport->pause_reading();
    REQUIRE(test::raw_send(fd, "data"));
    REQUIRE(test::raw_shutdown_write(fd));
    co_await asyncio::sleep(0.05);
    test::raw_reset(fd);
    co_await asyncio::sleep(0.05);
    p.transport->resume_reading();
    co_await p.lost;
    CHECK(p.received == "data");
    CHECK(test::condensed(p.events) == std::vector<std::string>{"made", "data", "eof", "lost"});
    co_await shutdown(rs);
  }(*f.loop));
  CHECK(f.errors.empty());
}

TEST_CASE("create_connection returns the transport and the protocol the factory made", "[transports][net]") {
  LoopFixture f;
  test::run_net(f, [](asyncio::EventLoop& loop) -> Coro<> {
    auto rs = co_await recording_server(loop);
    std::shared_ptr<RecordingProtocol> made;
    auto factory = [&] {
      made = std::make_shared<RecordingProtocol>(loop);
      return made;
    };
    auto [transport, protocol] = co_await loop.create_connection(factory, "127.0.0.1", test::port_of(rs->server));
    static_assert(std::is_same_v<decltype(protocol), std::shared_ptr<RecordingProtocol>>);
    CHECK(protocol == made);
    CHECK(protocol->transport == transport);
    CHECK(transport->get_protocol() == protocol);
    // connection_made() has run by the time create_connection() returns.
    CHECK(protocol->events == std::vector<std::string>{"made"});
    transport->close();
    co_await protocol->lost;
    co_await shutdown(rs);
  }(*f.loop));
}

TEST_CASE("connect_accepted_socket wraps a connected descriptor", "[transports][net][os-sockets]") {
  LoopFixture f;
  // Both ends of a loopback TCP connection the program made.
  int port = 0;
  const int listener = test::raw_bound(port, 1);
  REQUIRE(listener >= 0);
  int fds[2] = {test::raw_connect(port), test::raw_accept(listener)};
  test::raw_close(listener);
  REQUIRE(fds[0] >= 0);
  REQUIRE(fds[1] >= 0);
  test::run_net(f, [](asyncio::EventLoop& loop, int a, int b) -> Coro<> {
    auto factory = [&loop] { return std::make_shared<RecordingProtocol>(loop); };
    auto [ta, pa] = co_await loop.connect_accepted_socket(factory, a);
    auto [tb, pb] = co_await loop.connect_accepted_socket(factory, b);
    // Init-captures: clang 14 (Emscripten) cannot capture structured
    // bindings. Raw pointers: GCC 12 mishandles a temporary with a
    // destructor (a lambda holding a shared_ptr) in a co_await expression.
    ta->write("ping");
    {
      const bool v20_ = co_await test::wait_until([p = pb.get()] { return p->received == "ping"; });
      REQUIRE(v20_);
    }
    tb->write("pong");
    {
      const bool v21_ = co_await test::wait_until([p = pa.get()] { return p->received == "pong"; });
      REQUIRE(v21_);
    }
    ta->close();
    tb->close();
    co_await pa->lost;
    co_await pb->lost;
  }(*f.loop, fds[0], fds[1]));
}

TEST_CASE("create_connection adopts a connected TCP socket as CPython's socket(fileno=) sees it", "[transports][net][os-sockets]") {
  LoopFixture f;
  test::run_net(f, [](asyncio::EventLoop& loop) -> Coro<> {
    auto rs = co_await recording_server(loop);
    const int port = test::port_of(rs->server);
    const int fd = test::raw_connect(port);  // blocking: the transport makes it non-blocking
    REQUIRE(fd >= 0);
    auto factory = [&loop] { return std::make_shared<RecordingProtocol>(loop); };
    asyncio::ConnectionOptions options;
    options.sock = fd;
    auto [t, p] = co_await loop.create_connection(factory, std::nullopt, std::nullopt, options);
    auto sock = std::any_cast<asyncio::TransportSocket>(t->get_extra_info("socket"));
    CHECK(sock.fileno() == fd);
    CHECK(sock.family() == AF_INET);
    CHECK(sock.type() == SOCK_STREAM);
    // Linux asks SO_PROTOCOL, Windows SO_PROTOCOL_INFO (CPython: proto=6);
    // elsewhere CPython says 0.
    const bool knows_proto = asyncio::platform::name == "linux" || asyncio::platform::name == "win32";
    CHECK(sock.proto() == (knows_proto ? IPPROTO_TCP : 0));
    CHECK(sock.getpeername().port == port);
    CHECK(std::any_cast<asyncio::SockAddr>(t->get_extra_info("peername")).port == port);
    CHECK(test::raw_nodelay(fd));
    CHECK(test::raw_is_nonblocking(fd) != 0);  // -1: Windows cannot tell
    t->write("adopted");
    {
      const bool ok = co_await test::wait_until(
          [&] { return !rs->protocols.empty() && rs->protocols[0]->received == "adopted"; });
      REQUIRE(ok);
    }
    rs->protocols[0]->transport->write("back");
    {
      const bool ok = co_await test::wait_until([q = p.get()] { return q->received == "back"; });
      REQUIRE(ok);
    }
    t->close();
    co_await p->lost;
    CHECK_FALSE(test::raw_is_open(fd));  // the transport closed the descriptor
    co_await shutdown(rs);
  }(*f.loop));
  CHECK(f.errors.empty());
}

TEST_CASE("connect_accepted_socket refuses a socket that is not a stream", "[transports][net][os-sockets]") {
  LoopFixture f;
  const int udp = test::raw_udp();
  REQUIRE(udp >= 0);
  test::run_net(f, [](asyncio::EventLoop& loop, int a) -> Coro<> {
    auto factory = [&loop] { return std::make_shared<RecordingProtocol>(loop); };
    try {
      co_await loop.connect_accepted_socket(factory, a);
      FAIL("no error");
    } catch (const asyncio::ValueError& e) {
      CHECK(std::string(e.what()).find("A Stream Socket was expected, got <socket.socket fd=") == 0);
    }
  }(*f.loop, udp));
  // The descriptor is left to its owner.
  CHECK(test::raw_is_open(udp));
  test::raw_close(udp);
}

TEST_CASE("The reserved ssl options raise like CPython", "[transports][net]") {
  LoopFixture f;
  test::run_net(f, [](asyncio::EventLoop& loop) -> Coro<> {
    auto factory = [&loop] { return std::make_shared<RecordingProtocol>(loop); };
    asyncio::ConnectionOptions with_hostname;
    with_hostname.server_hostname = "example.org";
    {
      const std::string v22_ = co_await test::error_message(loop.create_connection(factory, "127.0.0.1", 1, with_hostname));
      CHECK(v22_ == "server_hostname is only meaningful with ssl");
    }
    asyncio::ConnectionOptions with_timeout;
    with_timeout.ssl_handshake_timeout = 1.0;
    {
      const std::string v23_ = co_await test::error_message(loop.create_connection(factory, "127.0.0.1", 1, with_timeout));
      CHECK(v23_ == "ssl_handshake_timeout is only meaningful with ssl");
    }
    asyncio::ConnectionOptions both;
    both.sock = 0;
    {
      const std::string v24_ = co_await test::error_message(loop.create_connection(factory, "127.0.0.1", 1, both));
      CHECK(v24_ == "host/port and sock can not be specified at the same time");
    }
    {
      const std::string v25_ = co_await test::error_message(loop.create_connection(factory, std::nullopt, std::nullopt));
      CHECK(v25_ == "host and port was not specified and no sock specified");
    }
  }(*f.loop));
}

TEST_CASE("The read-chunk pool gives back chunks a burst left idle, keeping a reserve and what is in use",
          "[transports][net]") {
  namespace d = asyncio::detail;
  LoopFixture f;
  // A burst: 40 chunks taken at once (40 connections read in one poll),
  // 20 given back, 20 still held by their readers.
  std::vector<char*> burst;
  for (int i = 0; i < 40; ++i) burst.push_back(d::take_chunk());
  for (int i = 0; i < 20; ++i) d::give_chunk(burst[static_cast<std::size_t>(i)]);
  REQUIRE(d::idle_chunks() >= 20);
  REQUIRE(d::chunk_pool_has_excess());
  // An idle loop wakes up to trim within two periods: no chunk is taken
  // meanwhile, so every idle chunk beyond the reserve goes.
  auto idle = [](double seconds) -> Coro<> { co_await asyncio::sleep(seconds); };
  f.loop->run_until_complete(idle(2.5 * d::kChunkTrimPeriod));
  CHECK(d::idle_chunks() == d::kChunkReserve);
  CHECK(!d::chunk_pool_has_excess());
  CHECK(d::trim_chunk_pool(-1) < 0);  // nothing to wake up for
  // The chunks in use were not counted as idle: they come back whole.
  for (int i = 20; i < 40; ++i) d::give_chunk(burst[static_cast<std::size_t>(i)]);
  CHECK(d::idle_chunks() == d::kChunkReserve + 20);
  // With an excess, the loop's wait is capped by the trim period.
  const double capped = d::trim_chunk_pool(-1);
  CHECK(capped >= 0);
  CHECK(capped <= d::kChunkTrimPeriod);
  CHECK(d::trim_chunk_pool(0) == 0);
}
