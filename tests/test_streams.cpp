// Streams: StreamReader semantics (pinned to CPython 3.13) and streams over
// real loopback TCP and Unix sockets.
#include <cstdint>
#include <numeric>
#include <random>

#include "asyncio/detail/chunk_pool.hpp"
#include "net_support.hpp"

using asyncio::Coro;
using asyncio::StreamReader;
using asyncio::StreamWriter;
using test::LoopFixture;

namespace {

// A transport that only counts pause_reading()/resume_reading() calls.
struct FakeTransport final : asyncio::Transport {
  int paused = 0;
  int resumed = 0;
  bool reading = true;
  void close() override {}
  bool is_closing() const override { return false; }
  void set_protocol(std::shared_ptr<asyncio::BaseProtocol>) override {}
  std::shared_ptr<asyncio::BaseProtocol> get_protocol() const override { return nullptr; }
  bool is_reading() const override { return reading; }
  void pause_reading() override {
    ++paused;
    reading = false;
  }
  void resume_reading() override {
    ++resumed;
    reading = true;
  }
  void write(std::string_view) override {}
  void writelines(std::span<const std::string_view>) override {}
  void write_eof() override {}
  bool can_write_eof() const override { return true; }
  void abort() override {}
  std::size_t get_write_buffer_size() const override { return 0; }
  std::pair<std::size_t, std::size_t> get_write_buffer_limits() const override { return {0, 0}; }
  void set_write_buffer_limits(std::optional<std::int64_t>, std::optional<std::int64_t>) override {}
};

StreamReader reader_with(std::string data, bool eof = false, std::int64_t limit = asyncio::kDefaultLimit) {
  StreamReader r(limit);
  if (!data.empty()) r.feed_data(data);
  if (eof) r.feed_eof();
  return r;
}

// What awaiting `c` gives: "ok:<result>" or "<Type>:<message>".
Coro<std::string> outcome(Coro<std::string> c) {
  try {
    std::string s = co_await std::move(c);
    co_return "ok:" + s;
  } catch (const asyncio::IncompleteReadError& e) {
    co_return "IncompleteReadError:" + std::string(e.what()) + ":partial=" + e.partial();
  } catch (const asyncio::LimitOverrunError& e) {
    co_return "LimitOverrunError:" + std::string(e.what()) + ":consumed=" + std::to_string(e.consumed());
  } catch (const asyncio::ValueError& e) {
    co_return "ValueError:" + std::string(e.what());
  } catch (const asyncio::RuntimeError& e) {
    co_return "RuntimeError:" + std::string(e.what());
  }
}

std::string buffered(const StreamReader& r) { return std::to_string(r.buffered()); }

}  // namespace

TEST_CASE("StreamReader read methods behave like CPython's", "[streams]") {
  LoopFixture f;
  test::run_net(f, []() -> Coro<> {
    // Each line pinned with python3.13 (see the test source for the data).
    {
      auto r = reader_with("abcdef");
      {
        auto v26_ = co_await outcome(r.read(2));
        CHECK(v26_ == "ok:ab");
      }
      CHECK(r.buffered() == 4);
      {
        auto v27_ = co_await outcome(r.read(0));
        CHECK(v27_ == "ok:");
      }
      CHECK(r.buffered() == 4);
    }
    {
      auto r = reader_with("abcdef", true);
      {
        auto v28_ = co_await outcome(r.read());
        CHECK(v28_ == "ok:abcdef");
      }
      {
        auto v29_ = co_await outcome(r.read(5));
        CHECK(v29_ == "ok:");
      }
      CHECK(r.at_eof());
    }
    {
      auto r = reader_with("ab\nc", false, 3);
      {
        auto v30_ = co_await outcome(r.readuntil("\n"));
        CHECK(v30_ == "ok:ab\n");
      }
      CHECK(buffered(r) == "1");
    }
    {
      auto r = reader_with("abc", true);
      {
        const bool v31_ = co_await outcome(r.readuntil("\n")) ==
            "IncompleteReadError:3 bytes read on a total of undefined expected bytes:partial=abc";
        CHECK(v31_);
      }
      CHECK(r.buffered() == 0);
    }
    {
      auto r = reader_with("abc", true);
      {
        auto v32_ = co_await outcome(r.readline());
        CHECK(v32_ == "ok:abc");
      }
      {
        auto v33_ = co_await outcome(r.readline());
        CHECK(v33_ == "ok:");
      }
    }
    {
      auto r = reader_with("abc", true);
      {
        const bool v34_ = co_await outcome(r.readexactly(5)) ==
            "IncompleteReadError:3 bytes read on a total of 5 expected bytes:partial=abc";
        CHECK(v34_);
      }
      CHECK(r.buffered() == 0);
    }
    {
      auto r = reader_with("abc");
      {
        auto v35_ = co_await outcome(r.readexactly(-1));
        CHECK(v35_ == "ValueError:readexactly size can not be less than zero");
      }
      {
        auto v36_ = co_await outcome(r.readexactly(0));
        CHECK(v36_ == "ok:");
      }
      {
        auto v37_ = co_await outcome(r.readexactly(3));
        CHECK(v37_ == "ok:abc");
      }
      {
        auto v38_ = co_await outcome(r.readuntil(""));
        CHECK(v38_ == "ValueError:Separator should be at least one-byte string");
      }
      {
        const bool v39_ = co_await outcome(r.readuntil(std::vector<std::string>())) ==
            "ValueError:Separator should contain at least one element";
        CHECK(v39_);
      }
    }
  }());
}

TEST_CASE("StreamReader limits raise LimitOverrunError keeping the data", "[streams]") {
  LoopFixture f;
  test::run_net(f, []() -> Coro<> {
    {
      auto r = reader_with("abcdefg", false, 3);
      {
        const bool v40_ = co_await outcome(r.readuntil("\n")) ==
            "LimitOverrunError:Separator is not found, and chunk exceed the limit:consumed=7";
        CHECK(v40_);
      }
      CHECK(r.buffered() == 7);  // kept
    }
    {
      auto r = reader_with("abcdef\n", false, 3);
      {
        const bool v41_ = co_await outcome(r.readuntil("\n")) ==
            "LimitOverrunError:Separator is found, but chunk is longer than limit:consumed=6";
        CHECK(v41_);
      }
      CHECK(r.buffered() == 7);
    }
    {
      auto r = reader_with("12345\n", false, 4);
      {
        const bool v42_ = co_await outcome(r.readuntil("\n", "45\n")) ==
            "LimitOverrunError:Separator is found, but chunk is longer than limit:consumed=5";
        CHECK(v42_);
      }
    }
  }());
}

TEST_CASE("readline turns a limit overrun into ValueError and drops the line", "[streams]") {
  LoopFixture f;
  test::run_net(f, []() -> Coro<> {
    {
      auto r = reader_with("abcdef\n", false, 3);
      {
        auto v43_ = co_await outcome(r.readline());
        CHECK(v43_ == "ValueError:Separator is found, but chunk is longer than limit");
      }
      CHECK(r.buffered() == 0);
    }
    {
      auto r = reader_with("abcdef\nxy", false, 3);
      {
        auto v44_ = co_await outcome(r.readline());
        CHECK(v44_ == "ValueError:Separator is found, but chunk is longer than limit");
      }
      CHECK(r.buffered() == 2);  // the rest after the separator stays
    }
    {
      auto r = reader_with("abcdefg", false, 3);
      {
        auto v45_ = co_await outcome(r.readline());
        CHECK(v45_ == "ValueError:Separator is not found, and chunk exceed the limit");
      }
      CHECK(r.buffered() == 0);  // no separator: the buffer is cleared
    }
  }());
}

// readline() searches only the bytes that arrived since it last looked.
// Python 3.11 (StreamReader(limit=3), readline() waiting): feed "ab",
// then "cd" -> ValueError("Separator is not found, and chunk exceed the
// limit"), buffer empty; a second reader fed "ab" then "c\nxy" returns
// b"abc\n" and keeps b"xy".
TEST_CASE("readline waiting for a line fed in pieces checks the limit as bytes arrive", "[streams]") {
  LoopFixture f;
  test::run_net(f, []() -> Coro<> {
    {
      StreamReader r(3);
      auto line = asyncio::create_task(r.readline());
      co_await asyncio::sleep(0);
      r.feed_data("ab");
      co_await asyncio::sleep(0);
      CHECK(!line.done());
      r.feed_data("cd");
      {
        auto result = [](asyncio::Task<std::string> t) -> Coro<std::string> { co_return co_await t; };
        auto c = outcome(result(line));
        auto v_ = co_await std::move(c);
        CHECK(v_ == "ValueError:Separator is not found, and chunk exceed the limit");
      }
      CHECK(r.buffered() == 0);
    }
    {
      StreamReader r(3);
      auto line = asyncio::create_task(r.readline());
      co_await asyncio::sleep(0);
      r.feed_data("ab");
      co_await asyncio::sleep(0);
      r.feed_data("c\nxy");
      {
        auto v_ = co_await line;
        CHECK(v_ == "abc\n");
      }
      CHECK(r.buffered() == 2);
    }
  }());
}

TEST_CASE("readuntil with several separators returns the earliest and shortest match", "[streams]") {
  LoopFixture f;
  test::run_net(f, []() -> Coro<> {
    {
      auto r = reader_with("aXb");
      {
        auto v46_ = co_await outcome(r.readuntil("aXb", "X"));
        CHECK(v46_ == "ok:aX");
      }
      CHECK(r.buffered() == 1);
    }
    {
      auto r = reader_with("ab\ncd\r\n");
      {
        auto v47_ = co_await outcome(r.readuntil("\r\n", "\n"));
        CHECK(v47_ == "ok:ab\n");
      }
      {
        auto v48_ = co_await outcome(r.readuntil("\r\n", "\n"));
        CHECK(v48_ == "ok:cd\r\n");
      }
    }
    {
      auto r = reader_with("abc\r\n");
      std::vector<std::string> separators;  // a runtime list (Python: a tuple)
      separators.push_back("\n");
      separators.push_back("\r\n");
      {
        auto v49_ = co_await outcome(r.readuntil(separators));
        CHECK(v49_ == "ok:abc\r\n");
      }
    }
  }());
}

TEST_CASE("StreamReader construction and feeding errors", "[streams]") {
  CHECK_THROWS_AS(StreamReader(0), asyncio::ValueError);
  CHECK_THROWS_WITH(StreamReader(-5), "Limit cannot be <= 0");
  StreamReader r;
  r.feed_eof();
  CHECK_THROWS_WITH(r.feed_data("x"), "feed_data after feed_eof");
  CHECK(r.at_eof());
  // Python: repr(StreamReader(limit=3)) after 2 bytes and EOF.
  CHECK(reader_with("ab", true, 3).repr() == "<StreamReader 2 bytes eof limit=3>");
  CHECK(StreamReader().repr() == "<StreamReader>");
}

TEST_CASE("Only one coroutine may wait for data at a time", "[streams]") {
  LoopFixture f;
  test::run_net(f, []() -> Coro<> {
    StreamReader r;
    auto first = asyncio::create_task(r.read(1));
    co_await asyncio::sleep(0);
    {
      const bool v50_ = co_await outcome(r.read(1)) ==
          "RuntimeError:read() called while another coroutine is already waiting for incoming data";
      CHECK(v50_);
    }
    {
      const bool v51_ = co_await outcome(r.readline()) ==
          "RuntimeError:readuntil() called while another coroutine is already waiting for incoming data";
      CHECK(v51_);
    }
    r.feed_data("z");
    {
      auto v52_ = co_await first;
      CHECK(v52_ == "z");
    }
  }());
}

TEST_CASE("A waiting reader wakes on data on EOF and on set_exception", "[streams]") {
  LoopFixture f;
  test::run_net(f, []() -> Coro<> {
    StreamReader r;
    auto line = asyncio::create_task(r.readline());
    co_await asyncio::sleep(0);
    r.feed_data("par");
    co_await asyncio::sleep(0);
    CHECK_FALSE(line.done());
    r.feed_data("tial\nrest");
    {
      auto v53_ = co_await line;
      CHECK(v53_ == "partial\n");
    }

    auto exact = asyncio::create_task(r.readexactly(10));
    co_await asyncio::sleep(0);
    r.feed_eof();
    co_await asyncio::sleep(0);
    CHECK(exact.done());
    CHECK_THROWS_AS(exact.result(), asyncio::IncompleteReadError);

    StreamReader r2;
    auto waiting = asyncio::create_task(r2.read(5));
    co_await asyncio::sleep(0);
    r2.set_exception(std::make_exception_ptr(std::system_error(ECONNRESET, std::generic_category(), "reset")));
    {
      const bool v54_ = co_await test::raises<std::system_error>(waiting);
      CHECK(v54_);
    }
    // Later reads raise the stored exception first.
    {
      const bool v55_ = co_await test::raises<std::system_error>(r2.read(1));
      CHECK(v55_);
    }
    CHECK(r2.exception());
  }());
}

TEST_CASE("Cancelling a reader leaves the stream usable", "[streams]") {
  LoopFixture f;
  test::run_net(f, []() -> Coro<> {
    StreamReader r;
    auto waiting = asyncio::create_task(r.readexactly(4));
    co_await asyncio::sleep(0);
    waiting.cancel();
    co_await asyncio::sleep(0);
    CHECK(waiting.cancelled());
    r.feed_data("data");
    {
      auto v56_ = co_await r.readexactly(4);
      CHECK(v56_ == "data");
    }
  }());
}

TEST_CASE("The reader pauses its transport above twice the limit and resumes at the limit", "[streams]") {
  LoopFixture f;
  test::run_net(f, []() -> Coro<> {
    auto t = std::make_shared<FakeTransport>();
    StreamReader r(10);
    r.set_transport(t);
    CHECK_THROWS_WITH(r.set_transport(t), "Transport already set");
    r.feed_data(std::string(20, 'a'));
    CHECK(t->paused == 0);  // 20 is not above 2 * 10
    r.feed_data("b");
    CHECK(t->paused == 1);
    {
      auto v57_ = co_await r.read(5);
      CHECK(v57_ == "aaaaa");
    }
    CHECK(t->resumed == 0);  // 16 > 10
    {
      auto v58_ = co_await r.read(6);
      CHECK(v58_ == "aaaaaa");
    }
    CHECK(t->resumed == 1);  // 10 <= 10
    // Waiting for data while paused resumes first (no deadlock).
    r.feed_data(std::string(30, 'c'));
    CHECK(t->paused == 2);
    auto need_more = asyncio::create_task(r.readexactly(100));
    co_await asyncio::sleep(0);
    CHECK(t->resumed == 2);
    need_more.cancel();
    co_await asyncio::sleep(0);
  }());
}

namespace {

Coro<> echo_client_connected(StreamReader reader, StreamWriter writer) {
  for (;;) {
    std::string data = co_await reader.read(65536);
    if (data.empty()) break;
    writer.write(data);
    co_await writer.drain();
  }
  writer.close();
  co_await writer.wait_closed();
}

}  // namespace

TEST_CASE("open_connection and start_server echo a message", "[streams][net]") {
  LoopFixture f;
  test::run_net(f, []() -> Coro<> {
    auto server = co_await asyncio::start_server(echo_client_connected, "127.0.0.1", 0);
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", test::port_of(server));
    writer.write("hello\n");
    co_await writer.drain();
    {
      auto v59_ = co_await reader.readline();
      CHECK(v59_ == "hello\n");
    }
    const std::string_view parts[] = {"a", "b", "c\n"};
    writer.writelines(parts);
    {
      auto v60_ = co_await reader.readline();
      CHECK(v60_ == "abc\n");
    }
    auto peer = std::any_cast<asyncio::SockAddr>(writer.get_extra_info("peername"));
    CHECK(peer.port == test::port_of(server));
    CHECK(writer.transport() != nullptr);
    CHECK_FALSE(writer.is_closing());
    writer.close();
    CHECK(writer.is_closing());
    co_await writer.wait_closed();
    server->close();
    co_await server->wait_closed();
  }());
  CHECK(f.errors.empty());
}

TEST_CASE("Stream reads reassemble data sent in small chunks", "[streams][net]") {
  LoopFixture f;
  test::run_net(f, []() -> Coro<> {
    auto send_in_pieces = [](StreamReader, StreamWriter writer) -> Coro<> {
      const std::string message = "line one\nline two\r\nrecord|";
      for (char c : message) {
        writer.write(std::string_view(&c, 1));
        co_await writer.drain();
        co_await asyncio::sleep(0.001);
      }
      writer.write(std::string(100000, 'x'));
      writer.write_eof();
      co_await writer.drain();
      writer.close();  // else the server's wait_closed() waits for this connection
    };
    auto server = co_await asyncio::start_server(send_in_pieces, "127.0.0.1", 0);
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", test::port_of(server));
    {
      auto v61_ = co_await reader.readline();
      CHECK(v61_ == "line one\n");
    }
    {
      auto v62_ = co_await reader.readuntil("\r\n");
      CHECK(v62_ == "line two\r\n");
    }
    {
      auto v63_ = co_await reader.readuntil("|", "#");
      CHECK(v63_ == "record|");
    }
    {
      auto v64_ = co_await reader.readexactly(99999);
      CHECK(v64_ == std::string(99999, 'x'));
    }
    {
      auto v65_ = co_await reader.read();
      CHECK(v65_ == "x");
    }
    CHECK(reader.at_eof());
    writer.close();
    co_await writer.wait_closed();
    server->close();
    co_await server->wait_closed();
  }());
  CHECK(f.errors.empty());
}

TEST_CASE("Half-close lets the server read to EOF and still answer", "[streams][net]") {
  LoopFixture f;
  test::run_net(f, []() -> Coro<> {
    auto summer = [](StreamReader reader, StreamWriter writer) -> Coro<> {
      std::string all = co_await reader.read();  // to EOF
      CHECK(reader.at_eof());
      writer.write("got " + std::to_string(all.size()) + " bytes");
      writer.close();
    };
    auto server = co_await asyncio::start_server(summer, "127.0.0.1", 0);
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", test::port_of(server));
    CHECK(writer.can_write_eof());
    writer.write(std::string(300000, 'q'));
    writer.write_eof();
    {
      auto v66_ = co_await reader.read();
      CHECK(v66_ == "got 300000 bytes");
    }
    CHECK(reader.at_eof());
    writer.close();
    co_await writer.wait_closed();
    server->close();
    co_await server->wait_closed();
  }());
  CHECK(f.errors.empty());
}

TEST_CASE("drain raises ConnectionResetError once the connection is lost", "[streams][net]") {
  LoopFixture f;
  test::run_net(f, []() -> Coro<> {
    auto closer = [](StreamReader, StreamWriter writer) -> Coro<> {
      writer.close();
      co_return;
    };
    auto server = co_await asyncio::start_server(closer, "127.0.0.1", 0);
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", test::port_of(server));
    {
      auto v67_ = co_await reader.read();
      CHECK(v67_ == "");
    }  // the server closed
    bool raised = false;
    for (int i = 0; i < 100 && !raised; ++i) {
      try {
        writer.write("data");
        co_await writer.drain();
      } catch (const std::system_error& e) {
        raised = true;
        // "Connection lost", or the reset/broken pipe the write ran into.
        CHECK((e.code() == std::errc::connection_reset || e.code() == std::errc::broken_pipe));
      }
    }
    CHECK(raised);
    // wait_closed() raises the error the connection was lost with.
    const int error = test::errno_of(co_await test::error_of(writer.wait_closed()));
    CHECK((error == ECONNRESET || error == EPIPE));
    server->close();
    co_await server->wait_closed();
  }());
}

namespace {
// What a server handler reading lines until the end saw.
struct LineLog {
  std::vector<std::string> lines;  // "<eof>" for a clean end
  int resets = 0;                  // readline() raised ConnectionResetError
  int other_errors = 0;
  int handled = 0;
};
}  // namespace

// CPython 3.11 (tests/conformance/reset_after_data.py): a client sends "hello\npartial",
// sets SO_LINGER {1, 0} and closes. readline() returns b"hello\n", then
// raises ConnectionResetError; "partial" is never returned as a last line.
// With no data, the first readline() raises. 20 runs of each.
TEST_CASE("readline raises ConnectionResetError when the peer resets after data", "[streams][net][reset-after-data][os-sockets]") {
  LoopFixture f;
  LineLog log;
  test::run_net(f, [](LineLog& out) -> Coro<> {
    auto read_lines = [log = &out](StreamReader reader, StreamWriter writer) -> Coro<> {
      try {
        for (;;) {
          std::string line = co_await reader.readline();
          if (line.empty()) {
            log->lines.push_back("<eof>");
            break;
          }
          log->lines.push_back(line);
        }
      } catch (const std::system_error& e) {
        if (e.code() == std::errc::connection_reset)
          ++log->resets;
        else
          ++log->other_errors;
      }
      ++log->handled;
      writer.close();
    };
    auto server = co_await asyncio::start_server(read_lines, "127.0.0.1", 0);
    for (const std::string payload : {"hello\npartial", ""}) {
      for (int run = 0; run < 20; ++run) {
        out.lines.clear();
        const int resets = out.resets;
        const int handled = out.handled;
        const int fd = test::raw_connect(test::port_of(server));
        REQUIRE(fd >= 0);
        REQUIRE(test::raw_send(fd, payload));
        test::raw_reset(fd);
        {
          const bool ok = co_await test::wait_until([&] { return out.handled == handled + 1; });
          REQUIRE(ok);
        }
        CHECK(out.resets == resets + 1);
        CHECK(out.lines == (payload.empty() ? std::vector<std::string>{} : std::vector<std::string>{"hello\n"}));
      }
    }
    server->close();
    co_await server->wait_closed();
  }(log));
  CHECK(log.resets == 40);
  CHECK(log.other_errors == 0);
  CHECK(f.errors.empty());
}

TEST_CASE("Flow control with a slow reader keeps both buffers bounded", "[streams][net]") {
  LoopFixture f;
  constexpr std::size_t kTotal = 8 * 1024 * 1024;
  constexpr std::size_t kChunk = 64 * 1024;
  std::size_t max_reader_buffer = 0;
  std::size_t max_writer_buffer = 0;
  std::uint64_t received_sum = 0;
  std::size_t received = 0;
  test::run_net(
      f,
      [&]() -> Coro<> {
        auto slow = [&](StreamReader reader, StreamWriter writer) -> Coro<> {
          for (;;) {
            max_reader_buffer = std::max(max_reader_buffer, reader.buffered());
            std::string data = co_await reader.read(16 * 1024);
            if (data.empty()) break;
            received += data.size();
            for (unsigned char c : data) received_sum += c;
            co_await asyncio::sleep(0.0005);
          }
          writer.close();
        };
        auto server = co_await asyncio::start_server(slow, "127.0.0.1", 0);
        auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", test::port_of(server));
        std::string chunk(kChunk, '\0');
        std::uint64_t sent_sum = 0;
        for (std::size_t sent = 0; sent < kTotal; sent += kChunk) {
          for (std::size_t i = 0; i < kChunk; ++i) chunk[i] = static_cast<char>((sent + i) * 7 % 251);
          for (unsigned char c : chunk) sent_sum += c;
          writer.write(chunk);
          max_writer_buffer = std::max(max_writer_buffer, writer.transport()->get_write_buffer_size());
          co_await writer.drain();
        }
        writer.write_eof();
        {
          auto v68_ = co_await reader.read();
          CHECK(v68_ == "");
        }
        CHECK(received == kTotal);
        CHECK(received_sum == sent_sum);
        writer.close();
        co_await writer.wait_closed();
        server->close();
        co_await server->wait_closed();
      }(),
      60);
  // The writer pauses above 64 KiB; one chunk more can be in flight.
  CHECK(max_writer_buffer <= 64 * 1024 + kChunk);
  // The reader pauses its transport above 2 * limit; one read chunk more
  // can arrive before the pause takes effect.
  CHECK(max_reader_buffer <= 2 * 64 * 1024 + 64 * 1024);
}

TEST_CASE("An exception in client_connected_cb is reported and the connection closed", "[streams][net]") {
  LoopFixture f;
  f.expect_report("Unhandled exception in client_connected_cb");
  test::run_net(f, []() -> Coro<> {
    auto failing = [](StreamReader, StreamWriter) -> Coro<> {
      co_await asyncio::sleep(0);
      throw asyncio::ValueError("handler failed");
    };
    auto server = co_await asyncio::start_server(failing, "127.0.0.1", 0);
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", test::port_of(server));
    {
      auto v69_ = co_await reader.read();
      CHECK(v69_ == "");
    }  // closed by the server
    writer.close();
    co_await writer.wait_closed();
    server->close();
    co_await server->wait_closed();
  }());
  REQUIRE(f.errors.size() == 1);
  CHECK(f.errors[0].message == "Unhandled exception in client_connected_cb");
  CHECK(test::message_of(f.errors[0].exception) == "handler failed");
  CHECK(f.errors[0].get("transport") != nullptr);
}

TEST_CASE("A plain function can be the client_connected_cb", "[streams][net]") {
  LoopFixture f;
  test::run_net(f, []() -> Coro<> {
    std::vector<StreamWriter> writers;
    auto keep = [&](StreamReader, StreamWriter writer) {
      writer.write("welcome\n");
      writers.push_back(writer);
    };
    auto server = co_await asyncio::start_server(keep, "127.0.0.1", 0);
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", test::port_of(server));
    {
      auto v70_ = co_await reader.readline();
      CHECK(v70_ == "welcome\n");
    }
    REQUIRE(writers.size() == 1);
    writers[0].close();
    {
      auto v71_ = co_await reader.read();
      CHECK(v71_ == "");
    }
    writer.close();
    co_await writer.wait_closed();
    server->close();
    co_await server->wait_closed();
  }());
  CHECK(f.errors.empty());
}

TEST_CASE("A thousand concurrent connections echo every byte", "[streams][net]") {
  test::RaiseFileLimit limit;
  if (test::RaiseFileLimit::current() < 2200) {
    WARN("skipped: the open-files limit (" << test::RaiseFileLimit::current() << ") is below 2200");
    return;
  }
  LoopFixture f;
  constexpr int kClients = 1000;
  int verified = 0;
  std::size_t bytes = 0;
  test::run_net(
      f,
      [&]() -> Coro<> {
        asyncio::StartServerOptions options;
        options.backlog = 2048;  // every connect fits: no SYN retry delays
        auto server = co_await asyncio::start_server(echo_client_connected, "127.0.0.1", 0, options);
        const int port = test::port_of(server);
        auto client = [&](int id) -> Coro<> {
          std::mt19937 rng(static_cast<std::uint32_t>(id));
          std::string payload(1000 + static_cast<std::size_t>(rng() % 20000), '\0');
          for (char& c : payload) c = static_cast<char>(rng());
          const std::uint64_t sum = std::accumulate(payload.begin(), payload.end(), std::uint64_t{0},
                                                    [](std::uint64_t a, char c) { return a * 31 + static_cast<unsigned char>(c); });
          auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
          // Send in three writes, read back exactly.
          const std::size_t third = payload.size() / 3;
          writer.write(std::string_view(payload).substr(0, third));
          writer.write(std::string_view(payload).substr(third, third));
          writer.write(std::string_view(payload).substr(2 * third));
          co_await writer.drain();
          std::string echoed = co_await reader.readexactly(static_cast<std::int64_t>(payload.size()));
          const std::uint64_t echoed_sum = std::accumulate(echoed.begin(), echoed.end(), std::uint64_t{0},
                                                           [](std::uint64_t a, char c) { return a * 31 + static_cast<unsigned char>(c); });
          if (echoed_sum == sum && echoed == payload) ++verified;
          bytes += echoed.size();
          writer.close();
          co_await writer.wait_closed();
        };
        std::vector<asyncio::Task<>> tasks;
        tasks.reserve(kClients);
        for (int i = 0; i < kClients; ++i) tasks.push_back(asyncio::create_task(client(i)));
        for (auto& t : tasks) co_await t;
        server->close();
        co_await server->wait_closed();
      }(),
      90);
  CHECK(verified == kClients);
  CHECK(bytes > 0);
  CHECK(f.errors.empty());
}

TEST_CASE("read(n) handing out most of the buffer keeps the rest, in order", "[streams]") {
  LoopFixture f;
  test::run_net(f, []() -> Coro<> {
    // The buffer's storage goes to the caller and the smaller rest is
    // copied: the bytes and what stays buffered are as with a copy.
    const std::string head(1000, 'a');
    auto r = reader_with(head + "bcdefghij");
    std::string got = co_await r.read(1000);
    CHECK(got == head);
    CHECK(got.capacity() <= 2 * got.size());
    CHECK(r.buffered() == 9);
    r.feed_data("k");
    std::string rest = co_await r.read(100);
    CHECK(rest == "bcdefghijk");
    // readexactly and readuntil take the same path.
    auto r2 = reader_with(std::string(600, 'x') + "\n" + std::string(300, 'y') + "\n");
    std::string line = co_await r2.readuntil("\n");
    CHECK(line == std::string(600, 'x') + "\n");
    std::string exact = co_await r2.readexactly(300);
    CHECK(exact == std::string(300, 'y'));
    std::string last = co_await r2.readline();
    CHECK(last == "\n");
    CHECK(r2.buffered() == 0);
  }());
}

namespace {

// Byte i of the test stream.
char pattern_at(std::size_t i) { return static_cast<char>((i * 131 + i / 251) % 256); }

std::string pattern(std::size_t from, std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = pattern_at(from + i);
  return s;
}

// Sends `total` pattern bytes in writes of the given sizes (cycled), then EOF.
Coro<> send_pattern(StreamWriter writer, std::size_t total, std::vector<std::size_t> sizes) {
  std::size_t sent = 0;
  for (std::size_t k = 0; sent < total; ++k) {
    const std::size_t n = std::min(sizes[k % sizes.size()], total - sent);
    writer.write(pattern(sent, n));
    sent += n;
    co_await writer.drain();
  }
  writer.write_eof();
  co_await writer.drain();
}

// Write sizes around the read chunk's 64 KiB (a function: GCC 12
// miscompiles braced lists inside coroutines).
std::vector<std::size_t> mixed_sizes() { return {65536, 40000, 100, 70000, 131072, 65535, 1}; }
std::vector<std::size_t> chunk_sizes() { return {65536}; }

}  // namespace

TEST_CASE("Large reads over a socket keep every byte and boundary when the reader takes the read chunk",
          "[streams][net]") {
  // A 64 KiB read chunk that arrives at an empty reader becomes its buffer,
  // and read() hands it out: check the bytes, their order and what each
  // read method returns, with messages around the chunk size.
  LoopFixture f;
  constexpr std::size_t kTotal = 3 * 1024 * 1024;
  std::size_t checked = 0;
  bool bounded_room = true;
  test::run_net(
      f,
      [&]() -> Coro<> {
        auto sender = [](StreamReader, StreamWriter writer) -> Coro<> {
          auto c = send_pattern(writer, kTotal, mixed_sizes());
          co_await std::move(c);
          writer.close();
        };
        auto server = co_await asyncio::start_server(sender, "127.0.0.1", 0);
        auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", test::port_of(server));
        std::size_t pos = 0;
        for (int round = 0;; ++round) {
          std::string got;
          switch (round % 4) {
            case 0:
              got = co_await reader.read(65536);
              break;
            case 1:
              got = co_await reader.read(1000);
              break;
            case 2: {
              const std::size_t want = std::min<std::size_t>(50000, kTotal - pos);
              if (want == 0) break;
              got = co_await reader.readexactly(static_cast<std::int64_t>(want));
              break;
            }
            default:
              got = co_await reader.read(200000);
              break;
          }
          if (got.empty()) {
            if (pos >= kTotal) break;
            continue;
          }
          if (got.capacity() > 2 * std::max<std::size_t>(got.size(), 64 * 1024)) bounded_room = false;
          if (got != pattern(pos, got.size())) {
            FAIL("bytes differ in the read at offset " << pos);
          }
          pos += got.size();
          checked = pos;
        }
        CHECK(reader.at_eof());
        writer.close();
        co_await writer.wait_closed();
        server->close();
        co_await server->wait_closed();
      }(),
      60);
  CHECK(checked == kTotal);
  CHECK(bounded_room);
  CHECK(f.errors.empty());
}

TEST_CASE("A StreamReaderProtocol subclass overriding data_received sees every byte", "[streams][net]") {
  // The read chunk is handed to the reader directly only for the library's
  // own StreamReaderProtocol: a subclass's data_received() runs as in
  // CPython.
  struct Counting : asyncio::StreamReaderProtocol {
    using asyncio::StreamReaderProtocol::StreamReaderProtocol;
    std::size_t seen = 0;
    int calls = 0;
    void data_received(std::string_view data) override {
      seen += data.size();
      ++calls;
      asyncio::StreamReaderProtocol::data_received(data);
    }
  };
  LoopFixture f;
  constexpr std::size_t kTotal = 1024 * 1024;
  std::size_t seen = 0;
  std::size_t read_total = 0;
  test::run_net(f, [&]() -> Coro<> {
    auto sender = [](StreamReader, StreamWriter writer) -> Coro<> {
      auto c = send_pattern(writer, kTotal, chunk_sizes());
      co_await std::move(c);
      writer.close();
    };
    auto server = co_await asyncio::start_server(sender, "127.0.0.1", 0);
    asyncio::EventLoop& loop = asyncio::get_running_loop();
    StreamReader reader;
    auto protocol = std::make_shared<Counting>(reader, asyncio::ClientConnectedCallback(), &loop);
    CHECK_FALSE(protocol->adopts_chunks());
    auto factory = [protocol] { return protocol; };
    auto [transport, unused] = co_await loop.create_connection(factory, "127.0.0.1", test::port_of(server));
    for (;;) {
      std::string got = co_await reader.read(65536);
      if (got.empty()) break;
      CHECK(got == pattern(read_total, got.size()));
      read_total += got.size();
    }
    seen = protocol->seen;
    CHECK(protocol->calls > 0);
    transport->close();
    server->close();
    co_await server->wait_closed();
  }());
  CHECK(seen == kTotal);
  CHECK(read_total == kTotal);
  CHECK(f.errors.empty());
}

TEST_CASE("A reader that takes a read chunk gives it back to the pool once its bytes are read", "[streams]") {
  // The transport's pooled chunk becomes the reader's buffer when more than
  // 4 KiB arrive at an empty reader; it goes back to the pool when
  // read empty, when what is left is small (4 KiB or less) and nothing
  // follows it, or with the reader.
  namespace d = asyncio::detail;
  LoopFixture f;
  test::run_net(f, []() -> Coro<> {
    const std::size_t half = d::kChunkSize / 2;
    auto fill = [](char* c, std::size_t from, std::size_t n) {
      const std::string p = pattern(from, n);
      std::copy(p.begin(), p.end(), c);
    };
    {
      // Read empty: the chunk is back.
      StreamReader r;
      char* c = d::take_chunk();
      const std::size_t idle = d::idle_chunks();
      fill(c, 0, half);
      d::stream_reader_feed_chunk(r, c, half);
      CHECK(c == nullptr);
      CHECK(r.buffered() == half);
      CHECK(d::idle_chunks() == idle);
      std::string got = co_await r.read(1000);
      CHECK(got == pattern(0, 1000));
      CHECK(d::idle_chunks() == idle);  // bytes left: still the buffer
      std::string rest = co_await r.read(static_cast<std::int64_t>(d::kChunkSize));
      CHECK(rest == pattern(1000, half - 1000));
      CHECK(r.buffered() == 0);
      CHECK(d::idle_chunks() == idle + 1);
    }
    {
      // Later bytes go after the chunk's while they fit, then into the next
      // pooled chunk: the buffer is a queue of chunks, not a string grown
      // to hold them all. Both go back once read.
      StreamReader r;
      char* c = d::take_chunk();
      fill(c, 0, half);
      d::stream_reader_feed_chunk(r, c, half);
      const std::string more = pattern(half, half - 10);
      r.feed_data(more);
      const std::string last = pattern(2 * half - 10, 100);
      r.feed_data(last);
      const std::size_t idle = d::idle_chunks();
      CHECK(r.buffered() == 2 * half + 90);
      std::string got = co_await r.readexactly(static_cast<std::int64_t>(2 * half + 90));
      CHECK(got == pattern(0, 2 * half + 90));
      CHECK(d::idle_chunks() == idle + 2);
    }
    {
      // A small rest moves out of the chunk: a waiting reader holds no
      // 64 KiB chunk for a few unread bytes.
      StreamReader r;
      char* c = d::take_chunk();
      const std::size_t idle = d::idle_chunks();
      fill(c, 0, d::kChunkSize);
      d::stream_reader_feed_chunk(r, c, d::kChunkSize);
      std::string head = co_await r.readexactly(static_cast<std::int64_t>(d::kChunkSize - 100));
      CHECK(head == pattern(0, d::kChunkSize - 100));
      CHECK(d::idle_chunks() == idle + 1);
      CHECK(r.buffered() == 100);
      r.feed_data("\n");
      std::string line = co_await r.readline();
      CHECK(line == pattern(d::kChunkSize - 100, 100) + "\n");
    }
    {
      // 4 KiB or fewer are copied; the chunk stays the caller's. A few
      // bytes more are kept. A reader dropped while holding a chunk gives
      // it back.
      const std::size_t small = d::kChunkSize / 16;
      char* c = d::take_chunk();
      fill(c, 0, small + 1);
      {
        StreamReader r;
        d::stream_reader_feed_chunk(r, c, small);
        CHECK(c != nullptr);
        CHECK(r.buffered() == small);
        StreamReader r1;
        d::stream_reader_feed_chunk(r1, c, small + 1);
        CHECK(c == nullptr);
        CHECK(r1.buffered() == small + 1);
        std::string got = co_await r1.read(static_cast<std::int64_t>(d::kChunkSize));
        CHECK(got == pattern(0, small + 1));
        c = d::take_chunk();
        char* c2 = d::take_chunk();
        const std::size_t idle = d::idle_chunks();
        StreamReader r2;
        fill(c2, 0, d::kChunkSize);
        d::stream_reader_feed_chunk(r2, c2, d::kChunkSize);
        CHECK(c2 == nullptr);
        r2 = StreamReader();
        CHECK(d::idle_chunks() == idle + 1);
      }
      d::give_chunk(c);
    }
  }());
}
