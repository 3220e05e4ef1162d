// add_reader/add_writer/remove_reader/remove_writer, pinned to CPython 3.11+
// (selector_events.BaseSelectorEventLoop; test_events.py's
// test_add_reader/test_remove_reader/test_add_writer and
// test_selector_events.py's BaseSelectorEventLoopTests).
#include <fcntl.h>
#include <unistd.h>

#include "net_support.hpp"

using asyncio::Coro;
using test::LoopFixture;

namespace {

std::string message_of_call(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no exception";
}

/// Runs the loop for `seconds` (I/O is polled while it waits).
void run_for(LoopFixture& f, double seconds) {
  f.loop->call_later(seconds, [&f] { f.loop->stop(); });
  f.loop->run_forever();
}

}  // namespace

TEST_CASE("add_reader calls back while readable, remove_reader reports whether one was registered",
          "[fdwatch][net]") {
  // Python: test_events.EventLoopTestsMixin.test_add_reader
  LoopFixture f;
  auto sockets = asyncio::socketpair();  // no structured binding: lambdas capture a and b
  auto& a = sockets.first;
  auto& b = sockets.second;
  std::string got;
  auto on_readable = [&] {
    char buf[64];
    const ssize_t n = ::recv(a.fileno(), buf, sizeof buf, 0);
    if (n > 0) {
      got.append(buf, static_cast<std::size_t>(n));
    } else {
      f.loop->remove_reader(a.fileno());
      f.loop->stop();
    }
  };
  f.loop->add_reader(a.fileno(), on_readable);
  f.loop->call_soon([&] { b.send("abc"); });
  f.loop->call_later(0.01, [&] { b.send("def"); });
  f.loop->call_later(0.02, [&] { b.close(); });
  f.loop->call_later(10.0, [&] { f.loop->stop(); });  // watchdog
  f.loop->run_forever();
  CHECK(got == "abcdef");
  CHECK_FALSE(f.loop->remove_reader(a.fileno()));
  CHECK(f.errors.empty());
}

TEST_CASE("add_writer calls back while writable, and re-adding replaces the callback", "[fdwatch][net]") {
  // Python: test_add_writer; _add_writer cancels the handle it replaces.
  LoopFixture f;
  auto sockets = asyncio::socketpair();  // no structured binding: lambdas capture a and b
  auto& a = sockets.first;
  (void)sockets.second;  // the peer stays open
  int first = 0, second = 0;
  f.loop->add_writer(a.fileno(), [&] { ++first; });
  f.loop->add_writer(a.fileno(), [&] {
    ++second;
    CHECK(f.loop->remove_writer(a.fileno()));
    f.loop->stop();
  });
  f.loop->call_later(10.0, [&] { f.loop->stop(); });
  f.loop->run_forever();
  CHECK(first == 0);
  CHECK(second == 1);
  CHECK_FALSE(f.loop->remove_writer(a.fileno()));
}

TEST_CASE("A reader and a writer on one descriptor are independent", "[fdwatch][net]") {
  // Python: the selector key holds (reader, writer); removing one keeps the other.
  LoopFixture f;
  auto sockets = asyncio::socketpair();  // no structured binding: lambdas capture a and b
  auto& a = sockets.first;
  auto& b = sockets.second;
  int writes = 0, reads = 0;
  f.loop->add_reader(a.fileno(), [&] { ++reads; });
  f.loop->add_writer(a.fileno(), [&] {
    ++writes;
    f.loop->remove_writer(a.fileno());
  });
  run_for(f, 0.01);
  CHECK(writes == 1);
  CHECK(reads == 0);
  b.send("x");
  for (int i = 0; i < 100 && reads == 0; ++i) run_for(f, 0.01);
  CHECK(reads >= 1);
  CHECK(f.loop->remove_reader(a.fileno()));
  CHECK_FALSE(f.loop->remove_writer(a.fileno()));
}

TEST_CASE("add_reader refuses bad descriptors as CPython does", "[fdwatch][net]") {
  LoopFixture f;
  // Python: selectors' _fileobj_to_fd: ValueError("Invalid file descriptor: -1").
  CHECK(message_of_call([&] { f.loop->add_reader(-1, [] {}); }) == "Invalid file descriptor: -1");
  CHECK_THROWS_AS(f.loop->remove_writer(-1), asyncio::ValueError);
  // A closed descriptor: OSError EBADF from the selector.
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  ::close(fds[0]);
  ::close(fds[1]);
  try {
    f.loop->add_reader(fds[0], [] {});
    FAIL("no exception");
  } catch (const std::system_error& e) {
    CHECK(e.code() == std::errc::bad_file_descriptor);
  }
  CHECK_FALSE(f.loop->remove_reader(fds[0]));
  // A regular file: epoll says EPERM (Python: PermissionError).
  test::TempDir dir;
  const int file = ::open(dir.file("f").c_str(), O_CREAT | O_RDWR, 0600);
  REQUIRE(file >= 0);
  try {
    f.loop->add_reader(file, [] {});
    FAIL("no exception");
  } catch (const std::system_error& e) {
    CHECK(e.code() == std::errc::operation_not_permitted);
  }
  ::close(file);
  // /dev/null cannot be polled either (libuv alone would abort here).
  const int null_fd = ::open("/dev/null", O_RDONLY);
  try {
    f.loop->add_reader(null_fd, [] {});
    FAIL("no exception");
  } catch (const std::system_error& e) {
    CHECK(e.code() == std::errc::operation_not_permitted);
  }
  ::close(null_fd);
  // The loop keeps running.
  f.loop->call_soon(f.record("ran"));
  f.run_briefly();
  CHECK(f.events == std::vector<std::string>{"ran"});
}

TEST_CASE("add_reader refuses a transport's descriptor with CPython's RuntimeError", "[fdwatch][net]") {
  // Python: _ensure_fd_no_transport ("File descriptor N is used by transport <...>").
  LoopFixture f;
  test::run_net(f, [](LoopFixture& fx) -> Coro<> {
    asyncio::EventLoop& loop = *fx.loop;
    auto factory = [] { return std::make_shared<asyncio::DatagramProtocol>(); };
    asyncio::DatagramEndpointOptions o{.local_addr = std::pair<std::string, int>("127.0.0.1", 0)};
    auto made = loop.create_datagram_endpoint(factory, o);
    auto [transport, protocol] = co_await std::move(made);
    const int fd = std::any_cast<asyncio::TransportSocket>(transport->get_extra_info("socket")).fileno();
    const std::string msg = message_of_call([&] { loop.add_reader(fd, [] {}); });
    CHECK(msg.rfind("File descriptor " + std::to_string(fd) + " is used by transport <DatagramTransport", 0) == 0);
    CHECK_THROWS_AS(loop.remove_writer(fd), asyncio::RuntimeError);
    transport->close();
    // A closing transport no longer owns it (CPython checks is_closing()).
    CHECK_FALSE(loop.remove_reader(fd));
    co_await asyncio::sleep(0);
  }(f));
  CHECK(f.errors.empty());
}

TEST_CASE("A cancelled reader handle unregisters itself on the next event", "[fdwatch][net]") {
  // Python: _process_events: `if reader._cancelled: self._remove_reader(fileobj)`.
  LoopFixture f;
  auto sockets = asyncio::socketpair();  // no structured binding: lambdas capture a and b
  auto& a = sockets.first;
  auto& b = sockets.second;
  int calls = 0;
  asyncio::Handle h = f.loop->add_fd_callback(
      a.fileno(), true, asyncio::Handle(asyncio::detail::make_handle<asyncio::detail::HandleNode::Kind::soon>(
                            f.loop.get(), [&] { ++calls; })));
  h.cancel();
  b.send("x");
  run_for(f, 0.02);
  CHECK(calls == 0);
  CHECK_FALSE(f.loop->remove_reader(a.fileno()));  // already gone
}

TEST_CASE("On a closed loop add_reader raises and remove_reader returns false", "[fdwatch][net]") {
  LoopFixture f;
  auto sockets = asyncio::socketpair();  // no structured binding: lambdas capture a and b
  auto& a = sockets.first;
  (void)sockets.second;  // the peer stays open
  f.loop->add_reader(a.fileno(), [] {});
  f.loop->close();
  CHECK(message_of_call([&] { f.loop->add_reader(a.fileno(), [] {}); }) == "Event loop is closed");
  CHECK_FALSE(f.loop->remove_reader(a.fileno()));
}
