// StreamReader over a buffer of pieces (detail/stream_buffer.hpp): large
// reads stay in the pooled chunks the transport read them into, one after
// the other, so separators, readexactly(), read(n) and the limit checks run
// across chunk boundaries. Outcomes pinned with CPython (3.11 for the
// single-separator cases, whose code is 3.13's; the several-separator case
// follows 3.13's rule: the match ending first, the shortest of those).
#include <cstring>
#include <random>

#include "asyncio/detail/chunk_pool.hpp"
#include "asyncio/detail/stream_buffer.hpp"
#include "net_support.hpp"
#include "task_helpers.hpp"

using asyncio::Coro;
using asyncio::StreamReader;
using test::LoopFixture;
namespace d = asyncio::detail;

namespace {

// Feeds `bytes` the way a transport does: in a pooled read chunk the reader
// may keep. True if the reader kept it (a piece of its own).
bool feed_chunk(const StreamReader& r, std::string_view bytes) {
  REQUIRE(bytes.size() <= d::kChunkSize);
  char* c = d::take_chunk();
  std::memcpy(c, bytes.data(), bytes.size());
  d::stream_reader_feed_chunk(r, c, bytes.size());
  if (c == nullptr) return true;
  d::give_chunk(c);
  return false;
}

std::string rep(std::size_t n, char c) { return std::string(n, c); }

// What awaiting `c` gives: "ok:<size>:<first 3>..<last 3>" or
// "<Type>:<message>:<consumed or partial size>".
Coro<std::string> outcome(Coro<std::string> c) {
  try {
    std::string s = co_await std::move(c);
    if (s.size() <= 6) co_return "ok:" + std::to_string(s.size()) + ":" + s;
    co_return "ok:" + std::to_string(s.size()) + ":" + s.substr(0, 3) + ".." + s.substr(s.size() - 3);
  } catch (const asyncio::IncompleteReadError& e) {
    co_return "IncompleteReadError:" + std::string(e.what()) + ":" + std::to_string(e.partial().size());
  } catch (const asyncio::LimitOverrunError& e) {
    co_return "LimitOverrunError:" + std::string(e.what()) + ":" + std::to_string(e.consumed());
  } catch (const asyncio::ValueError& e) {
    co_return "ValueError:" + std::string(e.what());
  }
}

// A transport that only records pause_reading()/resume_reading() with the
// reader's buffer size at the time.
struct FlowTransport final : asyncio::Transport {
  const StreamReader* reader = nullptr;
  std::vector<std::string> calls;
  void close() override {}
  bool is_closing() const override { return false; }
  void set_protocol(std::shared_ptr<asyncio::BaseProtocol>) override {}
  std::shared_ptr<asyncio::BaseProtocol> get_protocol() const override { return nullptr; }
  bool is_reading() const override { return true; }
  void pause_reading() override { calls.push_back("pause " + std::to_string(reader->buffered())); }
  void resume_reading() override { calls.push_back("resume " + std::to_string(reader->buffered())); }
  void write(std::string_view) override {}
  void writelines(std::span<const std::string_view>) override {}
  void write_eof() override {}
  bool can_write_eof() const override { return true; }
  void abort() override {}
  std::size_t get_write_buffer_size() const override { return 0; }
  std::pair<std::size_t, std::size_t> get_write_buffer_limits() const override { return {0, 0}; }
  void set_write_buffer_limits(std::optional<std::int64_t>, std::optional<std::int64_t>) override {}
};

}  // namespace

TEST_CASE("Separators split across read chunks are found as CPython finds them", "[streams]") {
  LoopFixture f;
  test::run_net(f, []() -> Coro<> {
    {
      // "\r" ends one chunk, "\n" starts the next.
      StreamReader r;
      CHECK(feed_chunk(r, rep(40000, 'a') + "\r"));
      CHECK(feed_chunk(r, "\n" + rep(40000, 'b')));
      CO_CHECK(co_await outcome(r.readuntil("\r\n")) == "ok:40002:aaa..a\r\n");
      CHECK(r.buffered() == 40000);
    }
    {
      // Several separators, one of them straddling: 3.13 returns the match
      // that ends first ("\n" and "\r\n" end together: the same bytes).
      StreamReader r;
      CHECK(feed_chunk(r, rep(40000, 'a') + "\r"));
      CHECK(feed_chunk(r, "\n" + rep(40000, 'b')));
      CO_CHECK(co_await outcome(r.readuntil("\n", "\r\n")) == "ok:40002:aaa..a\r\n");
      CHECK(r.buffered() == 40000);
    }
    {
      // A three-byte separator split 1|2, then one split 2|1 further on.
      StreamReader r(200000);
      CHECK(feed_chunk(r, rep(40000, 'a') + "<"));
      CHECK(feed_chunk(r, "->" + rep(40000, 'b')));
      CHECK(feed_chunk(r, rep(40000, 'c') + "<-"));
      CHECK(feed_chunk(r, ">" + rep(39999, 'd')));
      CO_CHECK(co_await outcome(r.readuntil("<->")) == "ok:40003:aaa..<->");
      CHECK(r.buffered() == 120002);
      CO_CHECK(co_await outcome(r.readuntil("<->")) == "ok:80003:bbb..<->");
      CHECK(r.buffered() == 39999);
    }
    {
      // The same with the default limit: the second match starts beyond it.
      StreamReader r;
      CHECK(feed_chunk(r, rep(40000, 'a') + "<"));
      CHECK(feed_chunk(r, "->" + rep(40000, 'b')));
      CHECK(feed_chunk(r, rep(40000, 'c') + "<-"));
      CHECK(feed_chunk(r, ">" + rep(39999, 'd')));
      CO_CHECK(co_await outcome(r.readuntil("<->")) == "ok:40003:aaa..<->");
      CO_CHECK(co_await outcome(r.readuntil("<->")) ==
            "LimitOverrunError:Separator is found, but chunk is longer than limit:80000");
      CHECK(r.buffered() == 120002);
    }
  }());
}

TEST_CASE("readexactly, read(n) and EOF across read chunks behave like CPython's", "[streams]") {
  LoopFixture f;
  test::run_net(f, []() -> Coro<> {
    {
      StreamReader r;
      CHECK(feed_chunk(r, rep(50000, 'x')));
      CHECK(feed_chunk(r, rep(50000, 'y')));
      CHECK(feed_chunk(r, rep(50000, 'z')));
      CHECK(r.buffered() == 150000);
      std::string got = co_await r.readexactly(120000);
      CHECK(got == rep(50000, 'x') + rep(50000, 'y') + rep(20000, 'z'));
      CHECK(r.buffered() == 30000);
    }
    {
      StreamReader r;
      CHECK(feed_chunk(r, rep(40000, 'p')));
      CHECK(feed_chunk(r, rep(50000, 'q')));
      std::string got = co_await r.read(60000);
      CHECK(got == rep(40000, 'p') + rep(20000, 'q'));
      CHECK(r.buffered() == 30000);
      CO_CHECK(co_await outcome(r.read(100000)) == "ok:30000:qqq..qqq");
      CHECK(r.buffered() == 0);
    }
    {
      StreamReader r;
      CHECK(feed_chunk(r, rep(40000, 'p')));
      CHECK(feed_chunk(r, rep(50000, 'q')));
      r.feed_eof();
      CHECK_FALSE(r.at_eof());
      CO_CHECK(co_await outcome(r.readexactly(200000)) ==
            "IncompleteReadError:90000 bytes read on a total of 200000 expected bytes:90000");
      CHECK(r.buffered() == 0);
      CHECK(r.at_eof());
    }
    {
      // At EOF with more than the limit buffered and no separator, the
      // limit is what readuntil() reports (the data stays).
      StreamReader r;
      CHECK(feed_chunk(r, rep(40000, 'p')));
      CHECK(feed_chunk(r, rep(50000, 'q')));
      r.feed_eof();
      CO_CHECK(co_await outcome(r.readuntil("\r\n")) ==
            "LimitOverrunError:Separator is not found, and chunk exceed the limit:89999");
      CHECK(r.buffered() == 90000);
      CHECK_FALSE(r.at_eof());
      CO_CHECK(co_await outcome(r.read()) == "ok:90000:ppp..qqq");
      CHECK(r.at_eof());
    }
    {
      // A reader waiting in readexactly() is handed bytes from several chunks.
      StreamReader r;
      asyncio::EventLoop& loop = asyncio::get_running_loop();
      auto waiting = loop.create_task(r.readexactly(100000));
      co_await asyncio::sleep(0);
      CHECK(feed_chunk(r, rep(60000, 'm')));
      co_await asyncio::sleep(0);
      CHECK_FALSE(waiting.done());
      CHECK(feed_chunk(r, rep(60000, 'n')));
      std::string got = co_await waiting;
      CHECK(got == rep(60000, 'm') + rep(40000, 'n'));
      CHECK(r.buffered() == 20000);
    }
  }());
}

TEST_CASE("Limit overruns across read chunks keep or drop the data as CPython does", "[streams]") {
  LoopFixture f;
  test::run_net(f, []() -> Coro<> {
    {
      StreamReader r(65536);
      CHECK(feed_chunk(r, rep(40000, 'a')));
      CHECK(feed_chunk(r, rep(40000, 'a')));
      CO_CHECK(co_await outcome(r.readuntil("\n")) ==
            "LimitOverrunError:Separator is not found, and chunk exceed the limit:80000");
      CHECK(r.buffered() == 80000);
      r.feed_data("\n");
      CO_CHECK(co_await outcome(r.readuntil("\n")) ==
            "LimitOverrunError:Separator is found, but chunk is longer than limit:80000");
      CHECK(r.buffered() == 80001);
      CO_CHECK(co_await outcome(r.readline()) == "ValueError:Separator is found, but chunk is longer than limit");
      CHECK(r.buffered() == 0);
    }
    {
      // The separator straddles the second and third chunks, past the limit.
      StreamReader r(65536);
      CHECK(feed_chunk(r, rep(50000, 'a')));
      CHECK(feed_chunk(r, rep(40000, 'a') + "\r"));
      CHECK(feed_chunk(r, "\n" + rep(39999, 'c')));
      CO_CHECK(co_await outcome(r.readuntil("\r\n")) ==
            "LimitOverrunError:Separator is found, but chunk is longer than limit:90000");
      CHECK(r.buffered() == 130001);
    }
    {
      // readline() drops the too-long line through its "\n", which starts
      // the second chunk, and keeps the rest.
      StreamReader r(1000);
      CHECK(feed_chunk(r, rep(40000, 'a')));
      CHECK(feed_chunk(r, "\n" + rep(40000, 'b')));
      CO_CHECK(co_await outcome(r.readline()) == "ValueError:Separator is found, but chunk is longer than limit");
      CHECK(r.buffered() == 40000);
      CO_CHECK(co_await outcome(r.read(5)) == "ok:5:bbbbb");
    }
  }());
}

TEST_CASE("Pause and resume follow the buffered size over read chunks", "[streams]") {
  LoopFixture f;
  test::run_net(f, []() -> Coro<> {
    StreamReader r(65536);
    auto t = std::make_shared<FlowTransport>();
    t->reader = &r;
    r.set_transport(t);
    CHECK(feed_chunk(r, rep(65536, 'a')));
    CHECK(feed_chunk(r, rep(65536, 'b')));
    CHECK(t->calls.empty());  // 131072 is not above twice the limit
    r.feed_data("c");
    REQUIRE(t->calls.size() == 1);
    CHECK(t->calls[0] == "pause 131073");
    std::string got = co_await r.read(65536);
    CHECK(got == rep(65536, 'a'));
    CHECK(t->calls.size() == 1);  // 65537 buffered: above the limit
    got = co_await r.read(1);
    CHECK(got == "b");
    REQUIRE(t->calls.size() == 2);
    CHECK(t->calls[1] == "resume 65536");
  }());
}

TEST_CASE("A reader's buffer keeps large reads as chunks and never grows one block", "[streams]") {
  // Direct checks of the buffer: which bytes are copied where.
  {
    d::StreamBuffer b;
    char* c1 = d::take_chunk();
    std::memset(c1, 'a', 40000);
    CHECK(b.adopt_chunk(c1, 40000, 65536));
    CHECK(c1 == nullptr);
    char* c2 = d::take_chunk();
    std::memset(c2, 'b', 50000);
    CHECK(b.adopt_chunk(c2, 50000, 65536));
    CHECK(b.pieces() == 2);
    // Small bytes go after the last chunk's while they fit ...
    b.append(rep(15536, 'c'), 65536);
    CHECK(b.pieces() == 2);
    CHECK(b.piece(1).size() == 65536);
    // ... then into the next pooled chunk (not one grown string).
    b.append(rep(100, 'd'), 65536);
    CHECK(b.pieces() == 3);
    CHECK(b.size() == 105636);
    // A small chunk is copied, not kept.
    char* c3 = d::take_chunk();
    std::memset(c3, 'e', 100);
    CHECK_FALSE(b.adopt_chunk(c3, 100, 65536));
    CHECK(c3 != nullptr);
    d::give_chunk(c3);
    CHECK(b.pieces() == 3);
    CHECK(b.take(40001) == rep(40000, 'a') + "b");
    CHECK(b.pieces() == 2);  // the first chunk went back
    CHECK(b.find("bc", 0) == 49998);
    CHECK(b.find("cd", 0) == 65534);
    CHECK(b.find("de", 0) == 65634);
    CHECK(b.find("ea", 0) == d::StreamBuffer::npos);
    CHECK(b.at(65535) == 'd');
    // A small rest of a last chunk moves into a string.
    b.consume(65535);
    CHECK(b.size() == 200);
    CHECK(b.pieces() == 1);
    CHECK(b.take(1000) == rep(100, 'd') + rep(100, 'e'));
    CHECK(b.empty());
    CHECK(b.pieces() == 0);
  }
  {
    // A string head stops at a chunk's size; more goes into pooled chunks.
    d::StreamBuffer b;
    for (int i = 0; i < 100; ++i) b.append(rep(1000, static_cast<char>('a' + i % 26)), 65536);
    CHECK(b.size() == 100000);
    CHECK(b.pieces() == 2);
    CHECK(b.piece(0).size() == 65000);
    CHECK(b.find("za", 0) == 25999);
    CHECK(b.find("mn", 60000) == 64999);  // from the string into the chunk
  }
}

TEST_CASE("A reader's buffer of pieces matches one contiguous string under random use", "[streams]") {
  // A model: the same operations on a std::string. Small alphabet, so that
  // separators turn up, often across piece boundaries.
  std::mt19937 rng(20261205);
  auto uniform = [&](std::size_t lo, std::size_t hi) { return std::uniform_int_distribution<std::size_t>(lo, hi)(rng); };
  auto random_bytes = [&](std::size_t n) {
    std::string s(n, '\0');
    for (char& c : s) c = "ab\n"[uniform(0, 2)];
    return s;
  };
  for (int round = 0; round < 20; ++round) {
    d::StreamBuffer b;
    std::string model;
    for (int step = 0; step < 300; ++step) {
      switch (uniform(0, 5)) {
        case 0: {  // a small or large copied feed
          const std::string s = random_bytes(uniform(0, 1) ? uniform(1, 300) : uniform(1, 150000));
          b.append(s, 65536);
          model += s;
          break;
        }
        case 1: {  // a read chunk
          const std::size_t n = uniform(1, d::kChunkSize);
          const std::string s = random_bytes(n);
          char* c = d::take_chunk();
          std::memcpy(c, s.data(), n);
          const bool kept = b.adopt_chunk(c, n, 65536);
          CHECK(kept == (c == nullptr));
          if (c) d::give_chunk(c);
          model += s;
          break;
        }
        case 2: {
          const std::size_t n = uniform(0, model.size() + 10);
          const std::string got = b.take(n);
          REQUIRE(got == model.substr(0, n));
          model.erase(0, got.size());
          break;
        }
        case 3: {
          const std::size_t n = uniform(0, model.size());
          b.consume(n);
          model.erase(0, n);
          break;
        }
        default: {
          static const char* const seps[] = {"\n", "a\n", "\nb", "ab\na", "\n\n\n", "bbbbbb"};
          const std::string_view sep = seps[uniform(0, 5)];
          const std::size_t from = uniform(0, model.size());
          const std::size_t want = model.find(sep, from);
          REQUIRE(b.find(sep, from) == (want == std::string::npos ? d::StreamBuffer::npos : want));
          if (!model.empty()) {
            const std::size_t i = uniform(0, model.size() - 1);
            REQUIRE(b.at(i) == model[i]);
          }
          break;
        }
      }
      REQUIRE(b.size() == model.size());
      std::size_t total = 0;
      for (std::size_t i = 0; i < b.pieces(); ++i) {
        REQUIRE(b.piece(i).size() > 0);
        REQUIRE(b.piece(i).size() <= std::max<std::size_t>(d::kChunkSize, 150000));
        total += b.piece(i).size();
      }
      REQUIRE(total == model.size());
    }
  }
}
