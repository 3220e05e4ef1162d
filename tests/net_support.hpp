// Helpers shared by the network tests (loopback TCP and Unix sockets).
//
// GCC 12 destroys aggregate temporaries (capturing lambdas, option structs
// with engaged members) of a co_await expression twice: these tests bind
// such values to names before awaiting (see docs/transports.md).
#pragma once

// The OS's socket headers, for AF_INET, EAI_NONAME and friends:
// net_os_posix.hpp or net_os_win.hpp (tests/CMakeLists.txt names it).
#include ASYNCIO_TEST_NET_OS_HEADER

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "net_raw.hpp"
#include "support.hpp"

namespace test {

/// Runs `coro` on the fixture's loop, failing ("Event loop stopped before
/// Future completed.") instead of hanging if it takes over `timeout` s.
template <class T>
T run_net(LoopFixture& f, asyncio::Coro<T> coro, double timeout = 20.0) {
  asyncio::TimerHandle watchdog = f.loop->call_later(timeout, [loop = f.loop.get()] { loop->stop(); });
  struct Cancel {
    asyncio::TimerHandle& h;
    ~Cancel() { h.cancel(); }
  } cancel{watchdog};
  return f.loop->run_until_complete(std::move(coro));
}

/// The port a server listens on (its first socket).
inline int port_of(const std::shared_ptr<asyncio::Server>& server) {
  return server->sockets().at(0).getsockname().port;
}

/// A fresh directory for Unix socket files, removed at the end.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::random_device random;
    for (int attempt = 0; attempt < 100; ++attempt) {
      path = std::filesystem::temp_directory_path() / ("asyncio-test-" + std::to_string(random()));
      if (std::filesystem::create_directory(path)) return;  // a new one, not an existing one
    }
    throw std::system_error(std::make_error_code(std::errc::file_exists), "TempDir");
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

/// A listener whose accept queue is full: connecting to it hangs (the SYN
/// is dropped), as a slow or unreachable server would.
struct HangingListener {
  int port = 0;
  int sock = raw_bound(port, 0);
  int filler = raw_connect(port);  // fills the queue
  HangingListener() = default;
  HangingListener(const HangingListener&) = delete;
  HangingListener& operator=(const HangingListener&) = delete;
  ~HangingListener() {
    if (filler >= 0) raw_close(filler);
    if (sock >= 0) raw_close(sock);
  }
};

/// Every protocol callback, recorded in order ("made", "data:<bytes>",
/// "eof", "lost", "lost:<error>", "pause", "resume").
class RecordingProtocol : public asyncio::Protocol {
 public:
  std::vector<std::string> events;
  std::string received;
  std::shared_ptr<asyncio::Transport> transport;
  std::exception_ptr lost_error;
  bool keep_open_on_eof = false;
  int lost_count = 0;
  asyncio::Future<void> lost;

  explicit RecordingProtocol(asyncio::EventLoop& loop) : lost(loop.create_future()) {}

  void connection_made(std::shared_ptr<asyncio::Transport> t) override {
    transport = std::move(t);
    events.push_back("made");
  }
  void data_received(std::string_view data) override {
    received.append(data);
    events.push_back("data");
  }
  bool eof_received() override {
    events.push_back("eof");
    return keep_open_on_eof;
  }
  void connection_lost(std::exception_ptr exc) override {
    ++lost_count;
    lost_error = exc;
    events.push_back(exc ? "lost:error" : "lost");
    if (!lost.done()) lost.set_result();
  }
  void pause_writing() override { events.push_back("pause"); }
  void resume_writing() override { events.push_back("resume"); }
};

/// Data received (condensed: consecutive "data" events merged).
inline std::vector<std::string> condensed(const std::vector<std::string>& events) {
  std::vector<std::string> out;
  for (const std::string& e : events)
    if (out.empty() || e != "data" || out.back() != "data") out.push_back(e);
  return out;
}

/// The errno of a std::system_error in `e` (-1 for other exceptions): the
/// C runtime's errno value its code stands for (on Windows libuv's codes
/// are not errno values, but compare equal to them), else the code itself
/// (getaddrinfo's EAI_* values).
inline int errno_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::system_error& ex) {
    const std::error_condition c = ex.code().default_error_condition();
    return c.category() == std::generic_category() ? c.value() : ex.code().value();
  } catch (...) {
    return -1;
  }
}

/// Waits until `pred()` holds, one loop iteration (or `step` s) at a time,
/// at most `timeout` seconds.
template <class Pred>
asyncio::Coro<bool> wait_until(Pred pred, double timeout = 5.0, double step = 0.001) {
  const double deadline = asyncio::get_running_loop().time() + timeout;
  while (!pred()) {
    if (asyncio::get_running_loop().time() > deadline) co_return false;
    co_await asyncio::sleep(step);
  }
  co_return true;
}

// Catch's assertion macros must not contain a co_await: the assertion's
// state would live across a suspension, and GCC 12 mishandles the
// temporaries of such expressions. Await first, then assert.

/// True if awaiting `c` raises an E.
template <class E, class T>
asyncio::Coro<bool> raises(asyncio::Coro<T> c) {
  try {
    co_await std::move(c);
  } catch (const E&) {
    co_return true;
  } catch (...) {
    co_return false;
  }
  co_return false;
}
/// True if awaiting `f` raises an E.
template <class E, class T>
asyncio::Coro<bool> raises(asyncio::Future<T> f) {
  try {
    co_await f;
  } catch (const E&) {
    co_return true;
  } catch (...) {
    co_return false;
  }
  co_return false;
}
template <class E, class T>
asyncio::Coro<bool> raises(asyncio::Task<T> t) {
  return raises<E>(asyncio::Future<T>(t));
}

/// The message awaiting `c` raises with, or "no exception".
template <class T>
asyncio::Coro<std::string> error_message(asyncio::Coro<T> c) {
  std::exception_ptr error;
  try {
    co_await std::move(c);
  } catch (...) {
    error = std::current_exception();
  }
  co_return error ? message_of(error) : std::string("no exception");
}

/// The exception awaiting `c` raises, or null.
template <class T>
asyncio::Coro<std::exception_ptr> error_of(asyncio::Coro<T> c) {
  std::exception_ptr error;
  try {
    co_await std::move(c);
  } catch (...) {
    error = std::current_exception();
  }
  co_return error;
}

// A server's protocol factory that keeps every protocol it makes.
struct Counter {
  std::vector<std::shared_ptr<RecordingProtocol>> protocols;
  asyncio::ProtocolFactory factory(asyncio::EventLoop& loop) {
    return [this, &loop] {
      auto p = std::make_shared<RecordingProtocol>(loop);
      protocols.push_back(p);
      return p;
    };
  }
};

// A RecordingProtocol connected to host:port.
inline asyncio::Coro<std::shared_ptr<RecordingProtocol>> connect(asyncio::EventLoop& loop, int port,
                                                                 std::string host = "127.0.0.1") {
  auto factory = [&loop] { return std::make_shared<RecordingProtocol>(loop); };
  auto [t, p] = co_await loop.create_connection(factory, host, port);
  co_return p;
}

}  // namespace test
