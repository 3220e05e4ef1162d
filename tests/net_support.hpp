// Helpers shared by the network tests (loopback TCP and Unix sockets).
//
// GCC 12 destroys aggregate temporaries (capturing lambdas, option structs
// with engaged members) of a co_await expression twice: these tests bind
// such values to names before awaiting (see docs/transports.md).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

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
    std::string tmpl = (std::filesystem::temp_directory_path() / "asyncio-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::system_error(errno, std::generic_category(), "mkdtemp");
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

/// Raises the open-files soft limit to the hard limit for the test's life.
struct RaiseFileLimit {
  rlimit old{};
  explicit RaiseFileLimit() {
    ::getrlimit(RLIMIT_NOFILE, &old);
    rlimit raised = old;
    raised.rlim_cur = old.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &raised);
  }
  ~RaiseFileLimit() { ::setrlimit(RLIMIT_NOFILE, &old); }
  static rlim_t current() {
    rlimit r{};
    ::getrlimit(RLIMIT_NOFILE, &r);
    return r.rlim_cur;
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

/// The errno of a std::system_error in `e` (-1 for other exceptions).
inline int errno_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::system_error& ex) {
    return ex.code().value();
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

/// A plain blocking TCP client socket connected to 127.0.0.1:`port` (the
/// kernel completes the handshake before the server accepts), or -1.
inline int raw_connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// Sends all of `data` on blocking socket `fd`.
inline bool raw_send(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), 0);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

/// Closes `fd` with a reset (RST) instead of FIN: SO_LINGER {1, 0}.
inline void raw_reset(int fd) {
  linger lg{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  ::close(fd);
}

/// True if this machine has an IPv6 loopback address.
inline bool have_ipv6_loopback() {
  int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

}  // namespace test
