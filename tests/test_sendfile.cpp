// loop.sock_sendfile() and loop.sendfile(). Python:
// test_asyncio/test_sendfile.py (SockSendfileMixin, SendfileMixin), each
// test naming the CPython test it follows.
#include <fcntl.h>
#include <unistd.h>

#include "net_support.hpp"

using asyncio::Coro;
using asyncio::Future;
using asyncio::Socket;
using test::LoopFixture;
using test::RecordingProtocol;

namespace {

// Python: test_sendfile's DATA (b"SendfileBaseProtocol" * 160 * 1024 = 3.2 MB).
std::string make_data() {
  std::string unit = "SendfileBaseProtocol";
  std::string data;
  data.reserve(unit.size() * 160 * 1024);
  for (int i = 0; i < 160 * 1024; ++i) data += unit;
  return data;
}

struct DataFile {
  test::TempDir dir;
  std::string path = dir.file("data");
  int fd = -1;
  explicit DataFile(const std::string& data) {
    const int w = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
    std::size_t off = 0;
    while (off < data.size()) off += static_cast<std::size_t>(::write(w, data.data() + off, data.size() - off));
    ::close(w);
    fd = ::open(path.c_str(), O_RDONLY);
  }
  ~DataFile() { ::close(fd); }
  long long tell() const { return ::lseek(fd, 0, SEEK_CUR); }
};

// A connected pair: `client` non-blocking, and the server side read into `received`.
struct SockPair {
  Socket client;
  Socket server;
};

Coro<SockPair> sock_pair(asyncio::EventLoop& loop) {
  Socket listener(AF_INET, SOCK_STREAM);
  listener.bind("127.0.0.1", 0);
  listener.listen(1);
  listener.setblocking(false);
  Socket client(AF_INET, SOCK_STREAM);
  client.setblocking(false);
  auto connecting = loop.sock_connect(client, listener.getsockname());
  co_await std::move(connecting);
  auto accepting = loop.sock_accept(listener);
  auto accepted = co_await std::move(accepting);
  co_return SockPair{std::move(client), std::move(accepted.first)};
}

// Reads `sock` until EOF.
Coro<std::string> read_all(asyncio::EventLoop& loop, Socket* sock) {
  std::string out;
  for (;;) {
    auto r = loop.sock_recv(*sock, 1 << 16);
    std::string part = co_await std::move(r);
    if (part.empty()) break;
    out += part;
  }
  co_return out;
}

// A transport connected to a recording server.
struct TransportPair {
  std::shared_ptr<asyncio::Server> server;
  std::vector<std::shared_ptr<RecordingProtocol>>* server_protocols;
  std::shared_ptr<asyncio::Transport> transport;
  std::shared_ptr<RecordingProtocol> client;
};

Coro<TransportPair> transport_pair(asyncio::EventLoop& loop,
                                   std::shared_ptr<std::vector<std::shared_ptr<RecordingProtocol>>> protos) {
  auto factory = [&loop, protos] {
    auto p = std::make_shared<RecordingProtocol>(loop);
    protos->push_back(p);
    return p;
  };
  auto serving = loop.create_server(factory, "127.0.0.1", 0);
  std::shared_ptr<asyncio::Server> server = co_await std::move(serving);
  auto cfactory = [&loop] { return std::make_shared<RecordingProtocol>(loop); };
  auto connecting = loop.create_connection(cfactory, "127.0.0.1", test::port_of(server));
  auto [transport, client] = co_await std::move(connecting);
  co_return TransportPair{server, protos.get(), transport, client};
}

Coro<void> wait_received(RecordingProtocol& p, std::size_t n) {
  auto pred = [&p, n] { return p.received.size() >= n || p.lost.done(); };
  auto waiting = test::wait_until(pred, 30.0);
  co_await std::move(waiting);
}

Coro<void> close_pair(TransportPair& tp) {
  tp.transport->close();
  tp.server->close();
  tp.server->abort_clients();
  auto closing = tp.server->wait_closed();
  co_await std::move(closing);
}

}  // namespace

TEST_CASE("sock_sendfile sends the whole file with sendfile(2) (test_sock_sendfile_success)",
          "[sendfile][net]") {
  LoopFixture f;
  const std::string data = make_data();
  DataFile file(data);
  test::run_net(f, [](asyncio::EventLoop& loop, const std::string* d, DataFile* df) -> Coro<> {
    auto making = sock_pair(loop);
    SockPair p = co_await std::move(making);
    auto reader = loop.create_task(read_all(loop, &p.server));
    auto sending = loop.sock_sendfile(p.client, df->fd, 0, std::nullopt, false);  // native only
    const std::size_t sent = co_await std::move(sending);
    p.client.close();
    std::string got = co_await reader;
    CHECK(sent == d->size());
    CHECK(got.size() == d->size());
    CHECK(got == *d);
    CHECK(df->tell() == static_cast<long long>(d->size()));
  }(*f.loop, &data, &file));
}

TEST_CASE("sock_sendfile honours offset and count (test_sock_sendfile_with_offset_and_count)", "[sendfile][net]") {
  LoopFixture f;
  const std::string data = make_data();
  DataFile file(data);
  test::run_net(f, [](asyncio::EventLoop& loop, const std::string* d, DataFile* df) -> Coro<> {
    auto making = sock_pair(loop);
    SockPair p = co_await std::move(making);
    auto reader = loop.create_task(read_all(loop, &p.server));
    auto sending = loop.sock_sendfile(p.client, df->fd, 1000, 2000);
    const std::size_t sent = co_await std::move(sending);
    p.client.close();
    std::string got = co_await reader;
    CHECK(sent == 2000);
    CHECK(got == d->substr(1000, 2000));
    CHECK(df->tell() == 3000);
  }(*f.loop, &data, &file));
}

TEST_CASE("sock_sendfile of an empty file sends nothing (test_sock_sendfile_zero_size)", "[sendfile][net]") {
  LoopFixture f;
  DataFile file("");
  test::run_net(f, [](asyncio::EventLoop& loop, DataFile* df) -> Coro<> {
    auto making = sock_pair(loop);
    SockPair p = co_await std::move(making);
    auto sending = loop.sock_sendfile(p.client, df->fd);
    const std::size_t sent = co_await std::move(sending);
    CHECK(sent == 0);
    CHECK(df->tell() == 0);
  }(*f.loop, &file));
}

TEST_CASE("sock_sendfile falls back to read+send for a pipe, or raises SendfileNotAvailableError "
          "(test_sock_sendfile_not_regular_file, test_sock_sendfile_fallback)",
          "[sendfile][net]") {
  LoopFixture f;
  test::run_net(f, [](asyncio::EventLoop& loop) -> Coro<> {
    auto making = sock_pair(loop);
    SockPair p = co_await std::move(making);
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    REQUIRE(::write(fds[1], "piped data", 10) == 10);
    ::close(fds[1]);
    auto no_fallback = loop.sock_sendfile(p.client, fds[0], 0, std::nullopt, false);
    auto raising = test::error_of(std::move(no_fallback));
    std::exception_ptr e = co_await std::move(raising);
    bool not_available = false;
    try {
      std::rethrow_exception(e);
    } catch (const asyncio::SendfileNotAvailableError& ex) {
      not_available = std::string(ex.what()) == "not a regular file";
    } catch (...) {
    }
    CHECK(not_available);
    auto reader = loop.create_task(read_all(loop, &p.server));
    auto sending = loop.sock_sendfile(p.client, fds[0]);
    const std::size_t sent = co_await std::move(sending);
    p.client.close();
    std::string got = co_await reader;
    CHECK(sent == 10);
    CHECK(got == "piped data");
    ::close(fds[0]);
  }(*f.loop));
}

TEST_CASE("sock_sendfile checks its arguments as CPython's _check_sendfile_params", "[sendfile][net]") {
  LoopFixture f;
  DataFile file("abc");
  test::run_net(f, [](asyncio::EventLoop& loop, DataFile* df) -> Coro<> {
    auto making = sock_pair(loop);
    SockPair p = co_await std::move(making);
    auto c1 = test::error_message(loop.sock_sendfile(p.client, df->fd, 0, 0));
    const std::string m1 = co_await std::move(c1);
    auto c2 = test::error_message(loop.sock_sendfile(p.client, df->fd, -1));
    const std::string m2 = co_await std::move(c2);
    Socket udp(AF_INET, SOCK_DGRAM);
    udp.setblocking(false);
    auto c3 = test::error_message(loop.sock_sendfile(udp, df->fd));
    const std::string m3 = co_await std::move(c3);
    Socket blocking(AF_INET, SOCK_STREAM);
    auto c4 = test::error_message(loop.sock_sendfile(blocking, df->fd));
    const std::string m4 = co_await std::move(c4);
    CHECK(m1 == "count must be a positive integer (got 0)");
    CHECK(m2 == "offset must be a non-negative integer (got -1)");
    CHECK(m3 == "only SOCK_STREAM type sockets are supported");
    CHECK(m4 == "the socket must be non-blocking");
  }(*f.loop, &file));
}

TEST_CASE("loop.sendfile sends a file over a transport natively, data before and after in order "
          "(test_sendfile, test_sendfile_pre_and_post_data)",
          "[sendfile][net]") {
  LoopFixture f;
  const std::string data = make_data();
  DataFile file(data);
  test::run_net(f, [](asyncio::EventLoop& loop, const std::string* d, DataFile* df) -> Coro<> {
    auto protos = std::make_shared<std::vector<std::shared_ptr<RecordingProtocol>>>();
    auto making = transport_pair(loop, protos);
    TransportPair tp = co_await std::move(making);
    tp.transport->write("PREFIX__");
    auto sending = loop.sendfile(tp.transport, df->fd, 0, std::nullopt, false);
    const std::size_t sent = co_await std::move(sending);
    tp.transport->write("__SUFFIX");
    CHECK(sent == d->size());
    CHECK(df->tell() == static_cast<long long>(d->size()));
    REQUIRE(protos->size() == 1);
    auto waiting = wait_received(*protos->front(), d->size() + 16);
    co_await std::move(waiting);
    CHECK(protos->front()->received == "PREFIX__" + *d + "__SUFFIX");
    CHECK(tp.transport->is_reading());  // reading resumed
    auto closing = close_pair(tp);
    co_await std::move(closing);
  }(*f.loop, &data, &file), 60.0);
  CHECK(f.errors.empty());
}

TEST_CASE("loop.sendfile falls back to writes for a non-regular file, or raises without fallback "
          "(test_sendfile_force_fallback, test_sendfile_force_unsupported_native)",
          "[sendfile][net]") {
  LoopFixture f;
  test::run_net(f, [](asyncio::EventLoop& loop) -> Coro<> {
    auto protos = std::make_shared<std::vector<std::shared_ptr<RecordingProtocol>>>();
    auto making = transport_pair(loop, protos);
    TransportPair tp = co_await std::move(making);
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const std::string payload(100000, 'p');
    auto writer = std::thread([&] {
      std::size_t off = 0;
      while (off < payload.size()) {
        const ssize_t n = ::write(fds[1], payload.data() + off, payload.size() - off);
        if (n <= 0) break;
        off += static_cast<std::size_t>(n);
      }
      ::close(fds[1]);
    });
    auto no_fallback = loop.sendfile(tp.transport, fds[0], 0, std::nullopt, false);
    auto raising = test::raises<asyncio::SendfileNotAvailableError>(std::move(no_fallback));
    const bool raised = co_await std::move(raising);
    CHECK(raised);
    auto sending = loop.sendfile(tp.transport, fds[0]);
    const std::size_t sent = co_await std::move(sending);
    writer.join();
    ::close(fds[0]);
    CHECK(sent == payload.size());
    auto waiting = wait_received(*protos->front(), payload.size());
    co_await std::move(waiting);
    CHECK(protos->front()->received == payload);
    // The transport's own protocol is back in place.
    CHECK(tp.transport->get_protocol() == tp.client);
    auto closing = close_pair(tp);
    co_await std::move(closing);
  }(*f.loop));
  CHECK(f.errors.empty());
}

TEST_CASE("loop.sendfile refuses a closing transport, and write() is refused while it runs "
          "(test_sendfile_for_closing_transp, test_sendfile_prevents_bare_write)",
          "[sendfile][net]") {
  LoopFixture f;
  // Larger than what the kernel buffers on loopback, so that sendfile waits.
  std::string data;
  for (int i = 0; i < 10; ++i) data += make_data();
  DataFile file(data);
  test::run_net(f, [](asyncio::EventLoop& loop, DataFile* df) -> Coro<> {
    auto protos = std::make_shared<std::vector<std::shared_ptr<RecordingProtocol>>>();
    auto making = transport_pair(loop, protos);
    TransportPair tp = co_await std::move(making);
    auto wait_server = [&] { return !protos->empty(); };
    auto w = test::wait_until(wait_server);
    co_await std::move(w);
    protos->front()->transport->pause_reading();
    auto task = loop.create_task(loop.sendfile(tp.transport, df->fd));
    co_await asyncio::sleep(0.05);
    std::string refused;
    try {
      tp.transport->write("data");
    } catch (const asyncio::RuntimeError& e) {
      refused = e.what();
    }
    CHECK(refused == "unable to write; sendfile is in progress");
    CHECK_FALSE(task.done());
    protos->front()->transport->resume_reading();
    auto done = co_await task;
    CHECK(done == 10 * make_data().size());
    tp.transport->close();
    auto c = test::error_message(loop.sendfile(tp.transport, df->fd));
    const std::string msg = co_await std::move(c);
    CHECK(msg == "Transport is closing");
    auto closing = close_pair(tp);
    co_await std::move(closing);
  }(*f.loop, &file), 60.0);
}

TEST_CASE("loop.sendfile fails when the peer closes in the middle (test_sendfile_close_peer_in_the_middle_of_receiving)",
          "[sendfile][net]") {
  LoopFixture f;
  // Larger than what the kernel buffers on loopback, so that sendfile waits.
  std::string data;
  for (int i = 0; i < 10; ++i) data += make_data();
  DataFile file(data);
  test::run_net(f, [](asyncio::EventLoop& loop, DataFile* df) -> Coro<> {
    auto protos = std::make_shared<std::vector<std::shared_ptr<RecordingProtocol>>>();
    auto making = transport_pair(loop, protos);
    TransportPair tp = co_await std::move(making);
    // The server side reads a little, then goes away with a reset.
    auto wait_server = [&] { return !protos->empty(); };
    auto w = test::wait_until(wait_server);
    co_await std::move(w);
    protos->front()->transport->pause_reading();
    auto task = loop.create_task(loop.sendfile(tp.transport, df->fd));
    co_await asyncio::sleep(0.05);
    protos->front()->transport->abort();
    std::exception_ptr e;
    try {
      co_await task;
    } catch (...) {
      e = std::current_exception();
    }
    CHECK(e != nullptr);
    auto closing = close_pair(tp);
    co_await std::move(closing);
  }(*f.loop, &file), 60.0);
}

TEST_CASE("sock_sendall before and after sock_sendfile keep their order (test_sock_sendfile_mix_with_regular_send)",
          "[sendfile][net]") {
  LoopFixture f;
  const std::string data = make_data();
  DataFile file(data);
  test::run_net(f, [](asyncio::EventLoop& loop, const std::string* d, DataFile* df) -> Coro<> {
    auto making = sock_pair(loop);
    SockPair p = co_await std::move(making);
    auto reader = loop.create_task(read_all(loop, &p.server));
    auto before = loop.sock_sendall(p.client, "before ");
    co_await std::move(before);
    auto sending = loop.sock_sendfile(p.client, df->fd);
    const std::size_t sent = co_await std::move(sending);
    auto after = loop.sock_sendall(p.client, " after");
    co_await std::move(after);
    p.client.close();
    std::string got = co_await reader;
    CHECK(sent == d->size());
    CHECK(got == "before " + *d + " after");
  }(*f.loop, &data, &file));
}

TEST_CASE("A cancelled sock_sendfile leaves the file position after what was sent (test_sock_sendfile_cancel)",
          "[sendfile][net]") {
  // Python: _sock_sendfile_native_impl updates the position when the future
  // is cancelled, so file.tell() says how much the peer gets.
  LoopFixture f;
  std::string data;
  for (int i = 0; i < 10; ++i) data += make_data();
  DataFile file(data);
  test::run_net(f, [](asyncio::EventLoop& loop, const std::string* d, DataFile* df) -> Coro<> {
    auto making = sock_pair(loop);
    SockPair p = co_await std::move(making);
    auto task = loop.create_task(loop.sock_sendfile(p.client, df->fd));
    co_await asyncio::sleep(0.05);  // the peer does not read: the kernel's buffers fill
    REQUIRE_FALSE(task.done());
    task.cancel();
    auto raising = test::raises<asyncio::CancelledError>(task);
    const bool cancelled = co_await std::move(raising);
    CHECK(cancelled);
    const long long pos = df->tell();
    CHECK(pos > 0);
    CHECK(pos < static_cast<long long>(d->size()));
    p.client.close();
    auto reading = read_all(loop, &p.server);
    std::string got = co_await std::move(reading);
    CHECK(static_cast<long long>(got.size()) == pos);
    CHECK(got == d->substr(0, got.size()));
  }(*f.loop, &data, &file), 60.0);
}
