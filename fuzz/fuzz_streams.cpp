// libFuzzer harness: StreamReader against a reference model.
//
// An input picks a limit, then a script of reads (readline, readuntil with
// one to three separators, readexactly, read) and of feeds (data chunks,
// EOF). One task runs the reads in order; whenever it is blocked waiting for
// data, the next feed is applied. The model is Python's StreamReader written
// the plainest way (a std::string buffer searched from the start each time)
// and replayed on the same schedule; every read's outcome must match:
// its bytes, or the exception with its message and partial/consumed data.
// What is left unread when the feeds run out is cancelled.
//
// Up to two feeds per input are large (32 to 64 KiB, a short pattern
// repeated) and fed as a transport feeds them, in a pooled read chunk the
// reader keeps as a piece of its buffer (detail/stream_buffer.hpp): the
// reads then cross chunk boundaries, and the buffer grows past a chunk.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "asyncio/detail/chunk_pool.hpp"
#include "fuzz_support.hpp"

namespace {

enum class Op : std::uint8_t { readline, readuntil, readexactly, read };

struct Read {
  Op op;
  std::vector<std::string> separators;  // readuntil
  std::int64_t n = 0;                   // readexactly, read
};

struct Feed {
  bool eof = false;
  std::string data;
  bool chunk = false;  // fed in a pooled read chunk (stream_reader_feed_chunk)
};

// A small alphabet, so separators turn up in the data.
char letter(std::uint8_t b) { return "ab\n\r"[b % 4]; }

std::string letters(fuzz::Bytes& in, std::size_t max) {
  std::string s = in.chunk(max);
  for (char& c : s) c = letter(static_cast<std::uint8_t>(c));
  return s;
}

// A large feed: a short pattern repeated to 32..64 KiB.
Feed large_feed(fuzz::Bytes& in) {
  std::string unit = letters(in, 8);
  if (unit.empty()) unit = "a";
  const std::size_t half = asyncio::detail::kChunkSize / 2;
  const std::size_t high = in.byte();
  const std::size_t low = in.byte();
  const std::size_t extra = ((high << 8) | low) % (half + 1);
  Feed f;
  f.chunk = true;
  f.data.reserve(half + extra);
  while (f.data.size() < half + extra) f.data += unit;
  f.data.resize(half + extra);
  return f;
}

// Feeds `f` to the real reader; RuntimeError after feed_eof().
void feed_real(const asyncio::StreamReader& reader, const Feed& f) {
  if (!f.chunk) {
    reader.feed_data(f.data);
    return;
  }
  char* c = asyncio::detail::take_chunk();
  std::copy(f.data.begin(), f.data.end(), c);
  try {
    asyncio::detail::stream_reader_feed_chunk(reader, c, f.data.size());
  } catch (...) {
    asyncio::detail::give_chunk(c);
    throw;
  }
  if (c != nullptr) asyncio::detail::give_chunk(c);
}

std::string describe_error(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const asyncio::IncompleteReadError& x) {
    return "IncompleteReadError(partial=" + std::to_string(x.partial().size()) + ":" + x.partial() +
           ", expected=" + (x.expected() ? std::to_string(*x.expected()) : std::string("None")) + ")";
  } catch (const asyncio::LimitOverrunError& x) {
    return std::string("LimitOverrunError(") + x.what() + ", consumed=" + std::to_string(x.consumed()) + ")";
  } catch (const asyncio::CancelledError&) {
    return "cancelled";
  } catch (const std::exception& x) {
    return std::string("error(") + x.what() + ")";
  } catch (...) {
    return "unknown exception";
  }
}

// ---- The model: Python's StreamReader, replayed step by step ----

class Model {
 public:
  explicit Model(std::size_t limit) : limit_(limit) {}

  // What one read gives: done (an outcome) or blocked (needs a feed).
  struct Step {
    bool blocked = false;
    std::string outcome;
  };

  Step run(const Read& r) {
    switch (r.op) {
      case Op::readline: return readline();
      case Op::readuntil: return readuntil(r.separators);
      case Op::readexactly: return readexactly(r.n);
      case Op::read: return read(r.n);
    }
    return {};
  }
  void feed(const Feed& f) {
    if (f.eof)
      eof_ = true;
    else
      buffer_ += f.data;
  }
  // The read blocked when the feeds ran out is cancelled.
  void cancel(const Read& r) {
    if (r.op == Op::read && r.n < 0) buffer_.clear();  // its chunks so far are lost with it
  }

 private:
  static Step done(std::string outcome) { return {false, std::move(outcome)}; }
  static Step blocked() { return {true, {}}; }

  Step readuntil(std::vector<std::string> seps) {
    if (seps.empty()) return done("error(Separator should contain at least one element)");
    std::size_t min_len = seps[0].size(), max_len = seps[0].size();
    for (const std::string& s : seps) {
      min_len = std::min(min_len, s.size());
      max_len = std::max(max_len, s.size());
    }
    if (min_len == 0) return done("error(Separator should be at least one-byte string)");
    // Python tries the separators shortest first: of two matches ending at
    // the same offset, the shorter one wins (its start is the consumed
    // count of a LimitOverrunError).
    // (An insertion sort is stable; std::stable_sort would pull in
    // libstdc++ 12's deprecated get_temporary_buffer, see streams.cpp.)
    for (std::size_t i = 1; i < seps.size(); ++i)
      for (std::size_t j = i; j > 0 && seps[j].size() < seps[j - 1].size(); --j) std::swap(seps[j], seps[j - 1]);
    // The match ending first, searching the whole buffer.
    std::optional<std::size_t> start, end;
    for (const std::string& s : seps) {
      const std::size_t i = buffer_.find(s);
      if (i != std::string::npos && (!end || i + s.size() < *end)) {
        start = i;
        end = i + s.size();
      }
    }
    if (end) {
      if (*start > limit_) {
        return done("LimitOverrunError(Separator is found, but chunk is longer than limit, consumed=" +
                    std::to_string(*start) + ")");
      }
      std::string chunk = buffer_.substr(0, *end);
      buffer_.erase(0, *end);
      return done("ok:" + chunk);
    }
    const std::size_t offset = buffer_.size() + 1 > max_len ? buffer_.size() + 1 - max_len : 0;
    if (offset > limit_) {
      return done("LimitOverrunError(Separator is not found, and chunk exceed the limit, consumed=" +
                  std::to_string(offset) + ")");
    }
    if (eof_) {
      std::string chunk = std::move(buffer_);
      buffer_.clear();
      return done("IncompleteReadError(partial=" + std::to_string(chunk.size()) + ":" + chunk + ", expected=None)");
    }
    return blocked();
  }

  Step readline() {
    Step s = readuntil({"\n"});
    if (s.blocked) return s;
    if (s.outcome.rfind("IncompleteReadError(partial=", 0) == 0) {
      // The partial line: "IncompleteReadError(partial=<n>:<bytes>, expected=None)".
      const std::size_t colon = s.outcome.find(':');
      const std::size_t n = std::stoul(s.outcome.substr(28, colon - 28));
      return done("ok:" + s.outcome.substr(colon + 1, n));
    }
    if (s.outcome.rfind("LimitOverrunError(", 0) == 0) {
      const std::size_t comma = s.outcome.find(", consumed=");
      const std::string message = s.outcome.substr(18, comma - 18);
      const std::size_t consumed = std::stoul(s.outcome.substr(comma + 11));
      if (consumed < buffer_.size() && buffer_[consumed] == '\n')
        buffer_.erase(0, consumed + 1);
      else
        buffer_.clear();
      return done("error(" + message + ")");
    }
    return s;
  }

  Step readexactly(std::int64_t n) {
    if (n < 0) return done("error(readexactly size can not be less than zero)");
    if (n == 0) return done("ok:");
    const auto want = static_cast<std::size_t>(n);
    if (buffer_.size() >= want) {
      std::string data = buffer_.substr(0, want);
      buffer_.erase(0, want);
      return done("ok:" + data);
    }
    if (eof_) {
      std::string partial = std::move(buffer_);
      buffer_.clear();
      return done("IncompleteReadError(partial=" + std::to_string(partial.size()) + ":" + partial +
                  ", expected=" + std::to_string(want) + ")");
    }
    return blocked();
  }

  Step read(std::int64_t n) {
    if (n == 0) return done("ok:");
    if (n < 0) {
      // Everything until EOF (Python reads it in chunks of `limit`).
      if (!eof_) return blocked();
      std::string all = std::move(buffer_);
      buffer_.clear();
      return done("ok:" + all);
    }
    if (buffer_.empty() && !eof_) return blocked();
    const std::size_t take = std::min(buffer_.size(), static_cast<std::size_t>(n));
    std::string data = buffer_.substr(0, take);
    buffer_.erase(0, take);
    return done("ok:" + data);
  }

  std::size_t limit_;
  std::string buffer_;
  bool eof_ = false;
};

// ---- The real thing ----

asyncio::Coro<> reader_task(asyncio::StreamReader reader, const std::vector<Read>& reads,
                            std::vector<std::string>& outcomes) {
  for (const Read& r : reads) {
    try {
      std::string data;
      switch (r.op) {
        case Op::readline: {
          asyncio::Coro<std::string> c = reader.readline();
          data = co_await std::move(c);
          break;
        }
        case Op::readuntil: {
          asyncio::Coro<std::string> c = reader.readuntil(r.separators);
          data = co_await std::move(c);
          break;
        }
        case Op::readexactly: {
          asyncio::Coro<std::string> c = reader.readexactly(r.n);
          data = co_await std::move(c);
          break;
        }
        case Op::read: {
          asyncio::Coro<std::string> c = reader.read(r.n);
          data = co_await std::move(c);
          break;
        }
      }
      outcomes.push_back("ok:" + data);
    } catch (const asyncio::CancelledError&) {
      outcomes.emplace_back("cancelled");
      throw;
    } catch (...) {
      outcomes.push_back(describe_error(std::current_exception()));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Bytes in(data, size);
  // Limits from 1 to 64: small enough for the data to run past them.
  const std::size_t limit = 1 + in.below(64);
  std::vector<Read> reads;
  std::vector<Feed> feeds;
  int large_feeds = 0;
  // These caps bound the input length read (-max_len in CMakeLists.txt).
  while (!in.empty() && reads.size() < 24 && feeds.size() < 32) {
    const std::uint8_t b = in.byte();
    switch (b % 8) {
      case 0: reads.push_back({Op::readline, {}, 0}); break;
      case 1: {
        Read r{Op::readuntil, {}, 0};
        const std::size_t count = in.below(4);  // 0 separators: ValueError
        for (std::size_t i = 0; i < count; ++i) r.separators.push_back(letters(in, 3));  // may be empty
        reads.push_back(std::move(r));
        break;
      }
      case 2: reads.push_back({Op::readexactly, {}, static_cast<std::int64_t>(in.below(80)) - 2}); break;
      case 3: reads.push_back({Op::read, {}, static_cast<std::int64_t>(in.below(80)) - 2}); break;
      case 7: feeds.push_back({true, {}}); break;
      case 6:
        if (large_feeds < 2) {
          ++large_feeds;
          feeds.push_back(large_feed(in));
          break;
        }
        [[fallthrough]];
      default: feeds.push_back({false, letters(in, 40)}); break;
    }
  }

  // The model's outcomes, on the schedule described at the top.
  std::vector<std::string> expected;
  {
    Model model(limit);
    std::size_t next_feed = 0;
    bool eof_fed = false;
    for (const Read& r : reads) {
      Model::Step s = model.run(r);
      while (s.blocked && next_feed < feeds.size()) {
        const Feed& f = feeds[next_feed++];
        if (eof_fed && !f.eof) continue;  // data after EOF is refused (checked below)
        if (f.eof) eof_fed = true;
        model.feed(f);
        s = model.run(r);
      }
      if (s.blocked) {
        model.cancel(r);
        expected.emplace_back("cancelled");
        break;
      }
      expected.push_back(s.outcome);
    }
  }

  // The real reader, on the same schedule.
  std::vector<std::string> outcomes;
  {
    asyncio::EventLoop* loop = &fuzz::shared_loop();
    asyncio::StreamReader reader(static_cast<std::int64_t>(limit));
    asyncio::Task<void> task = loop->create_task(reader_task(reader, reads, outcomes));
    std::size_t next_feed = 0;
    bool eof_fed = false;
    for (;;) {
      fuzz::run_until_quiet(*loop);
      if (task.done() || next_feed == feeds.size()) break;
      const Feed& f = feeds[next_feed++];  // the task waits for data
      if (f.eof) {
        reader.feed_eof();
        eof_fed = true;
      } else if (eof_fed) {
        bool refused = false;
        try {
          feed_real(reader, f);
        } catch (const asyncio::RuntimeError&) {
          refused = true;
        }
        if (!refused && !f.data.empty()) fuzz::expect_same("feed_data after feed_eof", "accepted", "RuntimeError");
      } else {
        feed_real(reader, f);
      }
    }
    if (!task.done()) {
      task.cancel();
      fuzz::run_until_quiet(*loop);
    }
    if (!task.done()) fuzz::expect_same("the reader task", "still pending", "done");
  }

  const std::size_t n = std::max(outcomes.size(), expected.size());
  for (std::size_t i = 0; i < n; ++i) {
    const std::string real = i < outcomes.size() ? outcomes[i] : "<none>";
    const std::string model = i < expected.size() ? expected[i] : "<none>";
    fuzz::expect_same([&] { return "read " + std::to_string(i) + " (limit " + std::to_string(limit) + ")"; }, real,
                      model);
  }
  return 0;
}
