// Subprocesses and pipes: create_subprocess_exec/shell and Process,
// loop.subprocess_exec with SubprocessProtocol, connect_read_pipe and
// connect_write_pipe. Each test names the CPython test it follows
// (Lib/test/test_asyncio/test_subprocess.py unless said otherwise); the
// behaviour is CPython 3.12+'s (wait() returns after the pipes closed).
// Children are /bin/sh, cat, sleep and true. Tests that start a child are
// tagged [spawn]: cross builds skip them (a forked child of a program run by
// qemu-user 7.2 hangs before it can exec; see docs/platforms.md).
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "support.hpp"

using asyncio::Coro;
using asyncio::Process;
using asyncio::ProcessOptions;
using asyncio::subprocess::DEVNULL;
using asyncio::subprocess::PIPE;
using asyncio::subprocess::STDOUT;
using test::LoopFixture;

// ThreadSanitizer: libuv 1.44 closes descriptors with syscall(SYS_close) on
// Linux (uv__close_nocancel in src/unix/core.c), which TSan does not see. A
// descriptor number libuv closed in one thread and pipe2() hands out again in
// another (the two-loops test) then looks like a race on the descriptor: not
// a memory race, so suppressed for pipe2 only. The same happens to an
// epoll descriptor: one loop's epoll_ctl() on a number another thread's
// epoll_create1() had before libuv closed it (seen once in ~15 runs of the
// two-loops test), so that pair is suppressed too.
extern "C" const char* __tsan_default_suppressions() { return "race:pipe2\nrace:epoll_create1\n"; }

namespace {

template <class T>
T run_in(LoopFixture& f, Coro<T> coro) {
  return f.loop->run_until_complete(std::move(coro));
}

std::string pattern(std::size_t n, std::uint32_t seed) {
  std::string s(n, '\0');
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& c : s) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

std::uint64_t checksum(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

// Records the low-level callbacks in order.
struct Recorder : asyncio::SubprocessProtocol {
  std::vector<std::string> events;
  std::string out, err;
  std::shared_ptr<asyncio::SubprocessTransport> transport;
  asyncio::Future<void> lost = asyncio::get_event_loop().create_future();
  void connection_made(std::shared_ptr<asyncio::SubprocessTransport> t) override {
    transport = t;
    events.push_back("connection_made");
  }
  void pipe_data_received(int fd, std::string_view data) override { (fd == 1 ? out : err) += data; }
  void pipe_connection_lost(int fd, std::exception_ptr) override { events.push_back("pipe_lost " + std::to_string(fd)); }
  void process_exited() override { events.push_back("process_exited"); }
  void connection_lost(std::exception_ptr) override {
    events.push_back("connection_lost");
    if (!lost.done()) lost.set_result();
  }
};

bool reaped(int pid) {
  // A child that was reaped is no longer ours: waitpid() fails with ECHILD.
  int status = 0;
  return ::waitpid(pid, &status, WNOHANG) < 0 && errno == ECHILD;
}

}  // namespace

// ---- The high-level API (Process) ----

TEST_CASE("stdin and stdout pipes carry data through cat (test_stdin_stdout)", "[subprocess][spawn]") {
  LoopFixture f;
  asyncio::set_event_loop(f.loop);
  auto body = []() -> Coro<std::pair<std::string, int>> {
    auto c = asyncio::create_subprocess_exec("cat", {}, {.std_in = PIPE, .std_out = PIPE});
    Process proc = co_await std::move(c);
    REQUIRE(proc.std_in);
    REQUIRE(proc.std_out);
    CHECK_FALSE(proc.std_err);
    CHECK(proc.pid > 0);
    CHECK_FALSE(proc.returncode());
    proc.std_in->write("hello\n");
    co_await proc.std_in->drain();
    std::string line = co_await proc.std_out->readline();
    proc.std_in->close();
    std::string rest = co_await proc.std_out->read();
    int rc = co_await proc.wait();
    co_return std::pair<std::string, int>(line + rest, rc);
  };
  auto [out, rc] = run_in(f, body());
  CHECK(out == "hello\n");
  CHECK(rc == 0);
  CHECK(f.errors.empty());
  asyncio::set_event_loop(nullptr);
}

TEST_CASE("stdout read in pieces around the 64 KiB read chunk keeps every byte in order", "[subprocess][spawn]") {
  // A chunk read from the child's stdout may become the StreamReader's
  // buffer and be handed out by read(): check bytes, order and sizes.
  LoopFixture f;
  asyncio::set_event_loop(f.loop);
  constexpr std::size_t kBytes = 3 * 1024 * 1024 + 17;
  auto body = []() -> Coro<std::string> {
    auto c = asyncio::create_subprocess_exec(
        "sh", {"-c", "yes abcdefghijklmnopqrstuvwxyz | head -c " + std::to_string(kBytes)}, {.std_out = PIPE});
    Process proc = co_await std::move(c);
    std::string all;
    for (int round = 0;; ++round) {
      const std::int64_t want = round % 3 == 0 ? 65536 : round % 3 == 1 ? 1000 : 200000;
      std::string piece = co_await proc.std_out->read(want);
      if (piece.empty()) break;
      CHECK(piece.size() <= static_cast<std::size_t>(want));
      all += piece;
    }
    int rc = co_await proc.wait();
    CHECK(rc == 0);
    co_return all;
  };
  const std::string out = run_in(f, body());
  std::string expected;
  while (expected.size() < kBytes) expected += "abcdefghijklmnopqrstuvwxyz\n";
  expected.resize(kBytes);
  CHECK(out.size() == kBytes);
  CHECK(out == expected);
  asyncio::set_event_loop(nullptr);
}

TEST_CASE("communicate sends input and returns (stdout, nullopt) (test_communicate)", "[subprocess][spawn]") {
  LoopFixture f;
  auto body = []() -> Coro<void> {
    auto c = asyncio::create_subprocess_exec("cat", {}, {.std_in = PIPE, .std_out = PIPE});
    Process proc = co_await std::move(c);
    auto comm = proc.communicate("some data");
    auto [out, err] = co_await std::move(comm);
    CHECK(out == std::optional<std::string>("some data"));
    CHECK_FALSE(err);
    CHECK(proc.returncode() == std::optional<int>(0));
  };
  run_in(f, body());
  CHECK(f.errors.empty());
}

TEST_CASE("communicate without input still closes stdin (test_communicate_none_input)", "[subprocess][spawn]") {
  LoopFixture f;
  auto body = []() -> Coro<void> {
    auto c = asyncio::create_subprocess_exec("cat", {}, {.std_in = PIPE, .std_out = PIPE});
    Process proc = co_await std::move(c);
    auto comm = proc.communicate();
    auto [out, err] = co_await std::move(comm);  // cat ends: its stdin was closed
    CHECK(out == std::optional<std::string>(""));
    CHECK(proc.returncode() == std::optional<int>(0));
  };
  run_in(f, body());
}

TEST_CASE("communicate with empty input returns empty output (test_empty_input)", "[subprocess][spawn]") {
  LoopFixture f;
  auto body = []() -> Coro<void> {
    auto c = asyncio::create_subprocess_exec("cat", {}, {.std_in = PIPE, .std_out = PIPE});
    Process proc = co_await std::move(c);
    auto comm = proc.communicate(std::string());
    auto [out, err] = co_await std::move(comm);
    CHECK(out == std::optional<std::string>(""));
    CHECK(proc.returncode() == std::optional<int>(0));
  };
  run_in(f, body());
}

TEST_CASE("communicate moves megabytes both ways without deadlock (large data)", "[subprocess][spawn]") {
  LoopFixture f;
  const std::string input = pattern(8 << 20, 7);
  auto body = [&input]() -> Coro<void> {
    auto c = asyncio::create_subprocess_exec("cat", {}, {.std_in = PIPE, .std_out = PIPE, .std_err = PIPE});
    Process proc = co_await std::move(c);
    auto comm = proc.communicate(input);
    auto [out, err] = co_await std::move(comm);
    REQUIRE(out);
    CHECK(out->size() == input.size());
    CHECK(checksum(*out) == checksum(input));
    CHECK(err == std::optional<std::string>(""));
    CHECK(proc.returncode() == std::optional<int>(0));
  };
  run_in(f, body());
  CHECK(f.errors.empty());
}

TEST_CASE("a shell command's failure is a returncode, not an exception (test_shell)", "[subprocess][spawn]") {
  LoopFixture f;
  auto body = []() -> Coro<void> {
    auto c = asyncio::create_subprocess_shell("exit 7");
    Process proc = co_await std::move(c);
    int rc = co_await proc.wait();
    CHECK(rc == 7);
    auto c2 = asyncio::create_subprocess_shell("echo $((6 * 7)); echo oops >&2", {.std_out = PIPE, .std_err = PIPE});
    Process p2 = co_await std::move(c2);
    auto comm = p2.communicate();
    auto [out, err] = co_await std::move(comm);
    CHECK(out == std::optional<std::string>("42\n"));
    CHECK(err == std::optional<std::string>("oops\n"));
  };
  run_in(f, body());
}

TEST_CASE("stderr=STDOUT sends both streams down the stdout pipe", "[subprocess][spawn]") {
  LoopFixture f;
  auto body = []() -> Coro<void> {
    auto c = asyncio::create_subprocess_shell("echo out; echo err >&2", {.std_out = PIPE, .std_err = STDOUT});
    Process proc = co_await std::move(c);
    CHECK_FALSE(proc.std_err);
    auto comm = proc.communicate();
    auto [out, err] = co_await std::move(comm);
    CHECK(out == std::optional<std::string>("out\nerr\n"));
    CHECK_FALSE(err);
  };
  run_in(f, body());
}

TEST_CASE("DEVNULL for stdin, stdout and stderr (test_devnull_input/output/error)", "[subprocess][spawn]") {
  LoopFixture f;
  auto body = []() -> Coro<void> {
    auto c1 = asyncio::create_subprocess_exec("cat", {}, {.std_in = DEVNULL, .std_out = PIPE});
    Process p1 = co_await std::move(c1);
    auto comm1 = p1.communicate();
    auto r1 = co_await std::move(comm1);
    CHECK(r1.first == std::optional<std::string>(""));
    CHECK(p1.returncode() == std::optional<int>(0));
    auto c2 = asyncio::create_subprocess_shell("echo x; echo y >&2", {.std_out = DEVNULL, .std_err = PIPE});
    Process p2 = co_await std::move(c2);
    auto comm2 = p2.communicate();
    auto r2 = co_await std::move(comm2);
    CHECK_FALSE(r2.first);
    CHECK(r2.second == std::optional<std::string>("y\n"));
    auto c3 = asyncio::create_subprocess_shell("echo x; echo y >&2", {.std_out = PIPE, .std_err = DEVNULL});
    Process p3 = co_await std::move(c3);
    auto comm3 = p3.communicate();
    auto r3 = co_await std::move(comm3);
    CHECK(r3.first == std::optional<std::string>("x\n"));
    CHECK_FALSE(r3.second);
  };
  run_in(f, body());
}

TEST_CASE("a descriptor as stdout, and pass_fds", "[subprocess][spawn]") {
  LoopFixture f;
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);  // inherited only if passed
  auto body = [&fds]() -> Coro<void> {
    const std::string cmd = "echo to-fd; echo passed > /dev/fd/" + std::to_string(fds[1]);
    auto c = asyncio::create_subprocess_shell(cmd, {.std_out = fds[1], .pass_fds = {fds[1]}});
    Process proc = co_await std::move(c);
    int rc = co_await proc.wait();
    CHECK(rc == 0);
  };
  run_in(f, body());
  ::close(fds[1]);
  std::string got;
  char buf[256];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) got.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  CHECK(got == "to-fd\npassed\n");
}

TEST_CASE("cwd and env reach the child (test_create_subprocess_env_shell/exec)", "[subprocess][spawn]") {
  LoopFixture f;
  auto body = []() -> Coro<void> {
    ProcessOptions o{.std_out = PIPE, .cwd = "/", .env = std::vector<std::pair<std::string, std::string>>{
                                                         {"FOO", "bar baz"}, {"PATH", "/usr/bin:/bin"}}};
    auto c = asyncio::create_subprocess_shell("pwd; echo \"$FOO\"; echo \"${HOME-unset}\"", std::move(o));
    Process proc = co_await std::move(c);
    auto comm = proc.communicate();
    auto [out, err] = co_await std::move(comm);
    CHECK(out == std::optional<std::string>("/\nbar baz\nunset\n"));
  };
  run_in(f, body());
}

TEST_CASE("with env, the program is searched in env's PATH, a non-executable match is PermissionError",
          "[subprocess][spawn]") {
  // Python: Popen searches os.get_exec_path(env); execvp()'s errors.
  char dir_template[] = "/tmp/asyncio-path-XXXXXX";
  REQUIRE(::mkdtemp(dir_template) != nullptr);
  const std::string dir = dir_template;
  const std::string tool = dir + "/asyncio-tool-xyz", plain = dir + "/asyncio-plain-xyz";
  for (const std::string* path : {&tool, &plain}) {
    const int fd = ::open(path->c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, path == &tool ? 0755 : 0644);
    REQUIRE(fd >= 0);
    const std::string text = "#!/bin/sh\necho found\n";
    REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    ::close(fd);
  }
  LoopFixture f;
  auto body = [&dir]() -> Coro<void> {
    using Env = std::vector<std::pair<std::string, std::string>>;
    ProcessOptions o{.std_out = PIPE, .env = Env{{"PATH", "/nonexistent-xyz:" + dir}}};
    auto c = asyncio::create_subprocess_exec("asyncio-tool-xyz", {}, std::move(o));
    Process proc = co_await std::move(c);
    auto comm = proc.communicate();
    auto [out, err] = co_await std::move(comm);
    CHECK(out == std::optional<std::string>("found\n"));
    CHECK(proc.returncode() == std::optional<int>(0));
    // Not in the parent's PATH.
    std::exception_ptr error;
    try {
      auto c2 = asyncio::create_subprocess_exec("asyncio-tool-xyz");
      (void)co_await std::move(c2);
    } catch (...) {
      error = std::current_exception();
    }
    REQUIRE(error);
    CHECK(test::message_of(error) == "No such file or directory: 'asyncio-tool-xyz'");
    error = nullptr;
    try {
      auto c3 = asyncio::create_subprocess_exec("asyncio-plain-xyz", {}, {.env = Env{{"PATH", dir}}});
      (void)co_await std::move(c3);
    } catch (...) {
      error = std::current_exception();
    }
    REQUIRE(error);
    try {
      std::rethrow_exception(error);
    } catch (const std::system_error& e) {
      CHECK(e.code() == std::errc::permission_denied);
    }
  };
  run_in(f, body());
  ::unlink(tool.c_str());
  ::unlink(plain.c_str());
  ::rmdir(dir.c_str());
}

TEST_CASE("a standard descriptor given as a child's stream is the parent's, whatever the child's others become",
          "[subprocess][spawn]") {
  // The parent's stdout and stderr go to pipes for this test. Child stdout =
  // the parent's stderr while its stderr is a new pipe; then child stdout = a
  // new pipe while its stderr = the parent's stdout (not the child's new one).
  int to1[2], to2[2];
  REQUIRE(::pipe2(to1, O_CLOEXEC) == 0);
  REQUIRE(::pipe2(to2, O_CLOEXEC) == 0);
  std::fflush(stdout);
  std::fflush(stderr);
  const int saved1 = ::fcntl(1, F_DUPFD_CLOEXEC, 3), saved2 = ::fcntl(2, F_DUPFD_CLOEXEC, 3);
  REQUIRE(saved1 >= 0);
  REQUIRE(saved2 >= 0);
  ::dup2(to1[1], 1);
  ::dup2(to2[1], 2);
  std::optional<std::string> err1, out2;
  {
    LoopFixture f;
    auto body = [&err1, &out2]() -> Coro<void> {
      auto c1 = asyncio::create_subprocess_shell("echo one-out; echo one-err >&2",
                                                 {.std_in = DEVNULL, .std_out = 2, .std_err = PIPE});
      Process p1 = co_await std::move(c1);
      auto comm1 = p1.communicate();
      auto r1 = co_await std::move(comm1);
      err1 = r1.second;
      auto c2 = asyncio::create_subprocess_shell("echo two-out; echo two-err >&2",
                                                 {.std_in = DEVNULL, .std_out = PIPE, .std_err = 1});
      Process p2 = co_await std::move(c2);
      auto comm2 = p2.communicate();
      auto r2 = co_await std::move(comm2);
      out2 = r2.first;
    };
    run_in(f, body());
  }
  ::dup2(saved1, 1);
  ::dup2(saved2, 2);
  for (int fd : {saved1, saved2, to1[1], to2[1]}) ::close(fd);
  auto drain = [](int fd) {
    std::string got;
    char buf[256];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) got.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    return got;
  };
  const std::string parent_out = drain(to1[0]), parent_err = drain(to2[0]);
  CHECK(err1 == std::optional<std::string>("one-err\n"));
  CHECK(out2 == std::optional<std::string>("two-out\n"));
  CHECK(parent_err == "one-out\n");
  CHECK(parent_out == "two-err\n");
}

TEST_CASE("start_new_session makes the child a session leader (test_start_new_session)", "[subprocess][spawn]") {
  LoopFixture f;
  auto body = []() -> Coro<void> {
    // Field 6 of /proc/<pid>/stat is the session id; the shell reads its own.
    auto c = asyncio::create_subprocess_exec("sh", {"-c", "read -r a b c d e sid rest < /proc/$$/stat; echo $sid"},
                                             {.std_out = PIPE, .start_new_session = true});
    Process proc = co_await std::move(c);
    auto comm = proc.communicate();
    auto [out, err] = co_await std::move(comm);
    CHECK(out == std::optional<std::string>(std::to_string(proc.pid) + "\n"));
  };
  run_in(f, body());
}

TEST_CASE("kill, terminate and send_signal give -signum returncodes (test_kill, test_terminate, test_send_signal)",
          "[subprocess][spawn]") {
  LoopFixture f;
  auto body = []() -> Coro<void> {
    auto c1 = asyncio::create_subprocess_exec("sleep", {"30"});
    Process p1 = co_await std::move(c1);
    p1.kill();
    int rc1 = co_await p1.wait();
    CHECK(rc1 == -SIGKILL);
    auto c2 = asyncio::create_subprocess_exec("sleep", {"30"});
    Process p2 = co_await std::move(c2);
    p2.terminate();
    int rc2 = co_await p2.wait();
    CHECK(rc2 == -SIGTERM);
    // A handler in the child: the signal is delivered, the child exits 3.
    auto c3 = asyncio::create_subprocess_shell("trap 'exit 3' HUP; echo ready; while :; do sleep 0.05; done",
                                               {.std_out = PIPE});
    Process p3 = co_await std::move(c3);
    std::string ready = co_await p3.std_out->readline();
    CHECK(ready == "ready\n");
    p3.send_signal(SIGHUP);
    int rc3 = co_await p3.wait();
    CHECK(rc3 == 3);
  };
  run_in(f, body());
}

TEST_CASE("signals after wait() raise ProcessLookupError (test_kill after exit)", "[subprocess][spawn]") {
  LoopFixture f;
  auto body = []() -> Coro<void> {
    auto c = asyncio::create_subprocess_exec("true");
    Process proc = co_await std::move(c);
    int rc = co_await proc.wait();
    CHECK(rc == 0);
    CHECK_THROWS_MATCHES(proc.kill(), std::system_error,
                         Catch::Predicate<std::system_error>(
                             [](const std::system_error& e) { return e.code() == std::errc::no_such_process; }));
    CHECK_THROWS_AS(proc.terminate(), std::system_error);
    CHECK_THROWS_AS(proc.send_signal(SIGHUP), std::system_error);
    int again = co_await proc.wait();  // still answers
    CHECK(again == 0);
  };
  run_in(f, body());
}

TEST_CASE("writing to a child that exited raises BrokenPipe or ConnectionReset (test_stdin_broken_pipe)",
          "[subprocess][spawn]") {
  LoopFixture f;
  auto body = []() -> Coro<void> {
    auto c = asyncio::create_subprocess_exec("true", {}, {.std_in = PIPE});
    Process proc = co_await std::move(c);
    int rc = co_await proc.wait();  // stdin's reader is gone: wait() still returns
    CHECK(rc == 0);
    std::exception_ptr error;
    try {
      const std::string big(1 << 20, 'x');
      proc.std_in->write(big);
      co_await proc.std_in->drain();
    } catch (...) {
      error = std::current_exception();
    }
    REQUIRE(error);
    try {
      std::rethrow_exception(error);
    } catch (const std::system_error& e) {
      CHECK((e.code() == std::errc::broken_pipe || e.code() == std::errc::connection_reset));
    }
  };
  run_in(f, body());
}

TEST_CASE("communicate ignores a child that does not read its input (test_communicate_ignore_broken_pipe)",
          "[subprocess][spawn]") {
  LoopFixture f;
  auto body = []() -> Coro<void> {
    auto c = asyncio::create_subprocess_exec("true", {}, {.std_in = PIPE, .std_out = PIPE});
    Process proc = co_await std::move(c);
    auto comm = proc.communicate(std::string(4 << 20, 'x'));
    auto [out, err] = co_await std::move(comm);
    CHECK(out == std::optional<std::string>(""));
    CHECK(proc.returncode() == std::optional<int>(0));
  };
  run_in(f, body());
  CHECK(f.errors.empty());
}

TEST_CASE("a small limit pauses the stdout pipe until it is read (test_pause_reading)", "[subprocess][spawn]") {
  LoopFixture f;
  auto body = []() -> Coro<void> {
    const std::int64_t limit = 10;
    const std::string data(limit * 10, 'x');
    auto c = asyncio::create_subprocess_exec("cat", {}, {.std_in = PIPE, .std_out = PIPE, .limit = limit});
    Process proc = co_await std::move(c);
    std::shared_ptr<asyncio::Transport> pipe = proc.transport()->get_pipe_transport(1);
    REQUIRE(pipe);
    proc.std_in->write(data);
    co_await proc.std_in->drain();
    proc.std_in->close();
    // Let cat echo it all: the reader's buffer passes 2 * limit and pauses.
    for (int i = 0; i < 200 && pipe->is_reading(); ++i) co_await asyncio::sleep(0.01);
    CHECK_FALSE(pipe->is_reading());
    std::string out = co_await proc.std_out->read();
    CHECK(out == data);
    int rc = co_await proc.wait();
    CHECK(rc == 0);
  };
  run_in(f, body());
}

TEST_CASE("stdout can be read after the process exited (test_read_stdout_after_process_exit)", "[subprocess][spawn]") {
  LoopFixture f;
  auto body = []() -> Coro<void> {
    auto c = asyncio::create_subprocess_shell("printf 'x%.0s' $(seq 1 1000)", {.std_out = PIPE});
    Process proc = co_await std::move(c);
    int rc = co_await proc.wait();
    CHECK(rc == 0);
    std::string out = co_await proc.std_out->read();
    CHECK(out == std::string(1000, 'x'));
  };
  run_in(f, body());
}

TEST_CASE("wait() returns only once a grandchild holding stdout is done (process exited before pipes closed)",
          "[subprocess][spawn]") {
  LoopFixture f;
  auto body = []() -> Coro<void> {
    auto c = asyncio::create_subprocess_shell("(sleep 0.3; echo late) & echo early", {.std_out = PIPE});
    Process proc = co_await std::move(c);
    int rc = co_await proc.wait();
    CHECK(rc == 0);
    // Python 3.12+: the pipe closed before wait() returned, so everything
    // the grandchild wrote is there.
    CHECK(proc.std_out->at_eof() == false);
    std::string out = co_await proc.std_out->read();
    CHECK(out == "early\nlate\n");
  };
  run_in(f, body());
}

TEST_CASE("a program that does not exist raises ENOENT naming it (test_popen_error)", "[subprocess][spawn]") {
  LoopFixture f;
  auto body = []() -> Coro<void> {
    std::exception_ptr error;
    try {
      auto c = asyncio::create_subprocess_exec("/nonexistent/program-xyz", {}, {.std_in = PIPE, .std_out = PIPE});
      (void)co_await std::move(c);
    } catch (...) {
      error = std::current_exception();
    }
    REQUIRE(error);
    try {
      std::rethrow_exception(error);
    } catch (const std::system_error& e) {
      CHECK(e.code() == std::errc::no_such_file_or_directory);
      CHECK(std::string(e.what()) == "No such file or directory: '/nonexistent/program-xyz'");
    }
    // A missing working directory is named instead.
    error = nullptr;
    try {
      auto c = asyncio::create_subprocess_exec("true", {}, {.cwd = "/nonexistent-dir-xyz"});
      (void)co_await std::move(c);
    } catch (...) {
      error = std::current_exception();
    }
    REQUIRE(error);
    CHECK(test::message_of(error) == "No such file or directory: '/nonexistent-dir-xyz'");
    // Permission denied: a file that is not executable.
    error = nullptr;
    try {
      auto c = asyncio::create_subprocess_exec("/etc/passwd");
      (void)co_await std::move(c);
    } catch (...) {
      error = std::current_exception();
    }
    REQUIRE(error);
    try {
      std::rethrow_exception(error);
    } catch (const std::system_error& e) {
      CHECK(e.code() == std::errc::permission_denied);
    }
  };
  run_in(f, body());
  CHECK(f.errors.empty());
}

TEST_CASE("bad arguments raise ValueError", "[subprocess][spawn]") {
  LoopFixture f;
  auto body = []() -> Coro<void> {
    std::exception_ptr error;
    try {
      auto c = asyncio::create_subprocess_exec("cat", {}, {.std_in = STDOUT});
      (void)co_await std::move(c);
    } catch (...) {
      error = std::current_exception();
    }
    CHECK(test::message_of(error) == "STDOUT can only be used for stderr");
    error = nullptr;
    try {
      auto c = asyncio::create_subprocess_exec("cat", {}, {.limit = 0});
      (void)co_await std::move(c);
    } catch (const asyncio::ValueError&) {
      error = std::current_exception();
    }
    CHECK(error);
  };
  run_in(f, body());
}

TEST_CASE("cancelling wait() leaves the process running and usable (test_cancel_process_wait)", "[subprocess][spawn]") {
  LoopFixture f;
  auto body = []() -> Coro<void> {
    auto c = asyncio::create_subprocess_exec("sleep", {"30"});
    Process proc = co_await std::move(c);
    bool timed_out = false;
    try {
      auto w = asyncio::wait_for(proc.wait(), 0.1);
      (void)co_await std::move(w);
    } catch (const asyncio::TimeoutError&) {
      timed_out = true;
    }
    CHECK(timed_out);
    CHECK_FALSE(proc.returncode());
    proc.kill();
    int rc = co_await proc.wait();
    CHECK(rc == -SIGKILL);
  };
  run_in(f, body());
}

TEST_CASE("cancelling communicate() leaves the process running and usable (test_cancel_... communicate)",
          "[subprocess][spawn]") {
  LoopFixture f;
  auto body = []() -> Coro<void> {
    auto c = asyncio::create_subprocess_exec("sleep", {"30"}, {.std_out = PIPE});
    Process proc = co_await std::move(c);
    bool timed_out = false;
    try {
      auto w = asyncio::wait_for(proc.communicate(), 0.1);
      (void)co_await std::move(w);
    } catch (const asyncio::TimeoutError&) {
      timed_out = true;
    }
    CHECK(timed_out);
    CHECK_FALSE(proc.returncode());
    proc.terminate();
    int rc = co_await proc.wait();
    CHECK(rc == -SIGTERM);
  };
  run_in(f, body());
}

TEST_CASE("cancelling create_subprocess_exec kills the child (test_cancel_make_subprocess_transport_exec)",
          "[subprocess][spawn]") {
  LoopFixture f;
  asyncio::set_event_loop(f.loop);
  std::vector<std::string> events;
  auto body = [&events]() -> Coro<void> {
    auto make = std::make_shared<Recorder>();
    auto factory = [make] { return make; };
    auto c = asyncio::get_running_loop().subprocess_exec(factory, {"sleep", "30"});
    auto task = asyncio::create_task(std::move(c));
    co_await asyncio::sleep(0);  // the child is spawned, its pipes connecting
    task.cancel();
    bool cancelled = false;
    try {
      (void)co_await task;
    } catch (const asyncio::CancelledError&) {
      cancelled = true;
    }
    CHECK(cancelled);
    events = make->events;
  };
  run_in(f, body());
  // The transport was closed and waited for: the child was killed.
  CHECK(f.errors.empty());
  asyncio::set_event_loop(nullptr);
}

// ---- The low-level API (SubprocessProtocol, SubprocessTransport) ----

TEST_CASE("subprocess_exec reports every pipe and the exit before connection_lost (test_subprocess_consistent_callbacks)",
          "[subprocess][spawn]") {
  LoopFixture f;
  asyncio::set_event_loop(f.loop);
  auto body = []() -> Coro<void> {
    auto proto = std::make_shared<Recorder>();
    auto factory = [proto] { return proto; };
    auto c = asyncio::get_running_loop().subprocess_exec(factory, {"sh", "-c", "echo out; echo err >&2; exit 5"});
    auto [transport, protocol] = co_await std::move(c);
    CHECK(protocol == proto);
    CHECK(transport->get_pid() > 0);
    REQUIRE(transport->get_pipe_transport(0));
    REQUIRE(transport->get_pipe_transport(1));
    REQUIRE(transport->get_pipe_transport(2));
    CHECK_FALSE(transport->get_pipe_transport(3));
    CHECK(std::any_cast<int>(transport->get_extra_info("subprocess")) == transport->get_pid());
    transport->get_pipe_transport(0)->close();
    co_await proto->lost;
    CHECK(transport->get_returncode() == std::optional<int>(5));
    CHECK(proto->out == "out\n");
    CHECK(proto->err == "err\n");
    // connection_made first and connection_lost last; the exit and the three
    // pipes in between, in whatever order they happened.
    REQUIRE(proto->events.size() == 6);
    CHECK(proto->events.front() == "connection_made");
    CHECK(proto->events.back() == "connection_lost");
    std::vector<std::string> middle(proto->events.begin() + 1, proto->events.end() - 1);
    std::sort(middle.begin(), middle.end());
    CHECK(middle == std::vector<std::string>{"pipe_lost 0", "pipe_lost 1", "pipe_lost 2", "process_exited"});
    CHECK_THROWS_AS(transport->kill(), std::system_error);  // ProcessLookupError after connection_lost
    transport->close();
  };
  run_in(f, body());
  CHECK(f.errors.empty());
  asyncio::set_event_loop(nullptr);
}

TEST_CASE("set_protocol on a subprocess transport: later output goes to the new protocol, whole",
          "[subprocess][spawn]") {
  // The transport looks up once, when the protocol is set, whether it may
  // hand read chunks over (a Process's protocol may): a protocol set later
  // that does not take chunks gets every byte through pipe_data_received().
  LoopFixture f;
  asyncio::set_event_loop(f.loop);
  auto body = []() -> Coro<void> {
    auto first = std::make_shared<asyncio::detail::SubprocessStreamProtocol>(std::int64_t{1} << 16,
                                                                             asyncio::get_running_loop());
    auto factory = [first] { return first; };
    auto c = asyncio::get_running_loop().subprocess_exec(factory, {"cat"});
    auto [transport, protocol] = co_await std::move(c);
    CHECK(protocol == first);
    auto second = std::make_shared<Recorder>();
    transport->set_protocol(second);
    CHECK(transport->get_protocol() == second);
    const std::string data = pattern(std::size_t{1} << 20, 7);
    std::shared_ptr<asyncio::Transport> in = transport->get_pipe_transport(0);
    REQUIRE(in);
    in->write(data);
    in->close();
    // Bounded: bytes that went to the first protocol would leave cat blocked.
    auto lost = asyncio::wait_for(second->lost, 60);
    co_await std::move(lost);
    CHECK(second->out.size() == data.size());
    CHECK(checksum(second->out) == checksum(data));
    CHECK(second->events.back() == "connection_lost");
    CHECK(transport->get_returncode() == std::optional<int>(0));
    transport->close();
  };
  run_in(f, body());
  CHECK(f.errors.empty());
  asyncio::set_event_loop(nullptr);
}

namespace {
// Records each callback with the bytes seen so far on stdout; the first
// pipe_data_received raises.
struct ThrowingRecorder : asyncio::SubprocessProtocol {
  std::vector<std::string> events;
  std::size_t out_bytes = 0;
  int chunks = 0;
  asyncio::Future<void> lost = asyncio::get_event_loop().create_future();
  void connection_made(std::shared_ptr<asyncio::SubprocessTransport>) override { events.push_back("connection_made"); }
  void pipe_data_received(int fd, std::string_view data) override {
    if (fd != 1) return;
    out_bytes += data.size();
    if (chunks++ == 0) throw asyncio::ValueError("boom in pipe_data_received");
  }
  void pipe_connection_lost(int fd, std::exception_ptr) override {
    events.push_back("pipe_lost " + std::to_string(fd) + " after " + std::to_string(out_bytes));
  }
  void process_exited() override { events.push_back("process_exited"); }
  void connection_lost(std::exception_ptr) override {
    events.push_back("connection_lost");
    if (!lost.done()) lost.set_result();
  }
};
}  // namespace

TEST_CASE("pipe_data_received: every chunk after connection_made and before its pipe's loss, a raising callback is "
          "reported and the data keeps coming",
          "[subprocess][spawn]") {
  // CPython delivers each chunk with call_soon(): connection_made comes
  // first, a pipe's data before its pipe_connection_lost, and a callback
  // that raises goes to the loop's exception handler without stopping the
  // transport. The library hands a chunk over at once when none of the
  // transport's calls is queued (fewer copies): the same guarantees.
  LoopFixture f;
  f.expect_report("Exception in callback SubprocessProtocol.pipe_data_received()");
  asyncio::set_event_loop(f.loop);
  constexpr std::size_t kBytes = 1 << 20;  // many chunks: a pipe holds 64 KiB
  auto body = [&]() -> Coro<void> {
    auto proto = std::make_shared<ThrowingRecorder>();
    auto factory = [proto] { return proto; };
    auto c = asyncio::get_running_loop().subprocess_exec(
        factory, {"sh", "-c", "head -c " + std::to_string(kBytes) + " /dev/zero"}, {.std_in = asyncio::subprocess::DEVNULL});
    auto [transport, protocol] = co_await std::move(c);
    co_await proto->lost;
    CHECK(proto->out_bytes == kBytes);
    CHECK(proto->chunks > 1);
    REQUIRE(proto->events.size() == 5);
    CHECK(proto->events.front() == "connection_made");
    CHECK(proto->events.back() == "connection_lost");
    CHECK(std::find(proto->events.begin(), proto->events.end(), "pipe_lost 1 after " + std::to_string(kBytes)) !=
          proto->events.end());
    CHECK(std::find(proto->events.begin(), proto->events.end(), "process_exited") != proto->events.end());
    transport->close();
  };
  run_in(f, body());
  REQUIRE(f.errors.size() == 1);
  CHECK(f.errors[0].message.find("pipe_data_received") != std::string::npos);
  REQUIRE(f.errors[0].exception);
  CHECK_THROWS_WITH(std::rethrow_exception(f.errors[0].exception), "boom in pipe_data_received");
  asyncio::set_event_loop(nullptr);
}

TEST_CASE("transport.close() kills a running child, the exit is still reported (test_close_kill_running)",
          "[subprocess][spawn]") {
  LoopFixture f;
  asyncio::set_event_loop(f.loop);
  auto body = []() -> Coro<void> {
    auto proto = std::make_shared<Recorder>();
    auto factory = [proto] { return proto; };
    auto c = asyncio::get_running_loop().subprocess_exec(factory, {"sleep", "30"});
    auto [transport, protocol] = co_await std::move(c);
    const int pid = transport->get_pid();
    CHECK(transport->repr().find("running") != std::string::npos);
    transport->close();
    CHECK(transport->is_closing());
    co_await proto->lost;
    CHECK(transport->get_returncode() == std::optional<int>(-SIGKILL));
    CHECK(std::find(proto->events.begin(), proto->events.end(), "process_exited") != proto->events.end());
    CHECK(reaped(pid));
  };
  run_in(f, body());
  asyncio::set_event_loop(nullptr);
}

TEST_CASE("transport.close() does not signal a child that already exited (test_close_dont_kill_finished)",
          "[subprocess][spawn]") {
  LoopFixture f;
  asyncio::set_event_loop(f.loop);
  auto body = []() -> Coro<void> {
    auto proto = std::make_shared<Recorder>();
    auto factory = [proto] { return proto; };
    auto c = asyncio::get_running_loop().subprocess_exec(factory, {"true"}, {.std_in = DEVNULL, .std_out = DEVNULL, .std_err = DEVNULL});
    auto [transport, protocol] = co_await std::move(c);
    co_await proto->lost;
    CHECK(transport->get_returncode() == std::optional<int>(0));
    transport->close();  // no kill, no error
    CHECK(transport->get_returncode() == std::optional<int>(0));
  };
  run_in(f, body());
  CHECK(f.errors.empty());
  asyncio::set_event_loop(nullptr);
}

TEST_CASE("closing the loop with a running child kills and reaps it, and warns about the transport",
          "[subprocess][spawn]") {
  test::LogCapture log;
  int pid = 0;
  {
    LoopFixture f;
    // Left open on purpose: the process, its three pipes, and the poll
    // handle watching one of them (what close() must clean up).
    f.expect_open_at_close(5);
    asyncio::set_event_loop(f.loop);
    auto body = [&pid]() -> Coro<void> {
      auto proto = std::make_shared<Recorder>();
      auto factory = [proto] { return proto; };
      auto c = asyncio::get_running_loop().subprocess_exec(factory, {"sleep", "30"});
      auto [transport, protocol] = co_await std::move(c);
      pid = transport->get_pid();
    };
    run_in(f, body());
    f.loop->close();
    asyncio::set_event_loop(nullptr);
  }
  REQUIRE(pid > 0);
  CHECK(reaped(pid));
  CHECK(log.contains("unclosed transport <_UnixSubprocessTransport"));
}

TEST_CASE("asyncio::run does not hang on a child that still runs", "[subprocess][spawn]") {
  int pid = 0;
  auto body = [&pid]() -> Coro<void> {
    auto c = asyncio::create_subprocess_exec("sleep", {"30"});
    Process proc = co_await std::move(c);
    pid = proc.pid;
    auto waiter = asyncio::create_task(proc.wait());  // still pending when run() ends
    (void)waiter;
  };
  test::LogCapture log;  // the unclosed transport's warning
  asyncio::run(body());
  REQUIRE(pid > 0);
  CHECK(reaped(pid));
}

TEST_CASE("children spawned from loops in two threads are all reaped", "[subprocess][spawn][threads]") {
  std::atomic<int> ok{0};
  auto worker = [&ok] {
    auto body = []() -> Coro<int> {
      int sum = 0;
      for (int i = 0; i < 5; ++i) {
        auto c = asyncio::create_subprocess_shell("exit " + std::to_string(i), {});
        Process proc = co_await std::move(c);
        int rc = co_await proc.wait();
        sum += rc;
      }
      co_return sum;
    };
    if (asyncio::run(body()) == 0 + 1 + 2 + 3 + 4) ++ok;
  };
  std::thread a(worker), b(worker);
  a.join();
  b.join();
  CHECK(ok == 2);
}

namespace {
Coro<int> pump_children(int children, std::size_t bytes) {
  asyncio::Semaphore sem(50);
  int good = 0;
  auto one = [&sem, &good, bytes](int i) -> Coro<void> {
    auto held = co_await asyncio::hold(sem);
    const std::string input = pattern(bytes, static_cast<std::uint32_t>(i));
    auto c = asyncio::create_subprocess_exec("cat", {}, {.std_in = PIPE, .std_out = PIPE});
    Process proc = co_await std::move(c);
    auto comm = proc.communicate(input);
    auto [out, err] = co_await std::move(comm);
    if (out && out->size() == input.size() && checksum(*out) == checksum(input) && proc.returncode() == 0) ++good;
  };
  std::vector<Coro<void>> all;
  for (int i = 0; i < children; ++i) all.push_back(one(i));
  auto g = asyncio::gather(std::move(all));
  (void)co_await std::move(g);
  co_return good;
}
}  // namespace

// Hidden from the per-test CTest entries ([.]): tests/CMakeLists.txt runs it
// as a test of its own with a longer timeout (a gigabyte through cat takes
// minutes on a loaded machine).
TEST_CASE("1000 children under Semaphore(50) each pipe 1 MiB through cat, every byte checksummed",
          "[.][subprocess][spawn][stress]") {
  // ASYNCIO_TEST_CHILDREN lowers the count on slow builds (sanitizers, qemu).
  int children = 1000;
  if (const char* env = std::getenv("ASYNCIO_TEST_CHILDREN")) children = std::atoi(env);
  LoopFixture f;
  const int good = run_in(f, pump_children(children, 1 << 20));
  CHECK(good == children);
  CHECK(f.errors.empty());
}

// ---- Pipes (Lib/test/test_asyncio/test_unix_events.py, test_events.py) ----

namespace {

struct PipeRecorder : asyncio::Protocol {
  std::vector<std::string> events;
  std::string data;
  std::shared_ptr<asyncio::Transport> transport;
  std::exception_ptr lost_exc;
  asyncio::Future<void> lost = asyncio::get_event_loop().create_future();
  int paused = 0, resumed = 0;
  void connection_made(std::shared_ptr<asyncio::Transport> t) override {
    transport = t;
    events.push_back("made");
  }
  void data_received(std::string_view d) override {
    if (events.back() != "data") events.push_back("data");
    data += d;
  }
  bool eof_received() override {
    events.push_back("eof");
    return true;  // ignored by a read pipe: it closes anyway
  }
  void pause_writing() override { ++paused; }
  void resume_writing() override { ++resumed; }
  void connection_lost(std::exception_ptr exc) override {
    events.push_back("lost");
    lost_exc = exc;
    if (!lost.done()) lost.set_result();
  }
};

}  // namespace

TEST_CASE("connect_read_pipe: data, then eof_received, then connection_lost(None) (test_read_pipe)",
          "[subprocess][pipes]") {
  LoopFixture f;
  asyncio::set_event_loop(f.loop);
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  auto body = [&fds]() -> Coro<void> {
    auto proto = std::make_shared<PipeRecorder>();
    auto factory = [proto] { return proto; };
    auto c = asyncio::get_running_loop().connect_read_pipe(factory, fds[0]);
    auto [transport, protocol] = co_await std::move(c);
    CHECK(std::any_cast<int>(transport->get_extra_info("pipe")) == fds[0]);
    CHECK(transport->is_reading());
    CHECK(::write(fds[1], "1", 1) == 1);
    co_await asyncio::sleep(0.05);
    transport->pause_reading();
    CHECK_FALSE(transport->is_reading());
    CHECK(::write(fds[1], "2345", 4) == 4);
    co_await asyncio::sleep(0.05);
    CHECK(proto->data == "1");  // paused: nothing delivered
    transport->resume_reading();
    co_await asyncio::sleep(0.05);
    CHECK(proto->data == "12345");
    ::close(fds[1]);
    co_await proto->lost;
    CHECK(proto->events == std::vector<std::string>{"made", "data", "eof", "lost"});
    CHECK_FALSE(proto->lost_exc);
    CHECK(transport->is_closing());
  };
  run_in(f, body());
  CHECK(f.errors.empty());
  asyncio::set_event_loop(nullptr);
}

TEST_CASE("connect_read_pipe on a pty master reads what the slave writes (test_read_pty_output)",
          "[subprocess][pipes]") {
  LoopFixture f;
  asyncio::set_event_loop(f.loop);
  int master = -1, slave = -1;
  REQUIRE(::openpty(&master, &slave, nullptr, nullptr, nullptr) == 0);
  auto body = [master, slave]() -> Coro<void> {
    auto proto = std::make_shared<PipeRecorder>();
    auto factory = [proto] { return proto; };
    auto c = asyncio::get_running_loop().connect_read_pipe(factory, master);
    auto [transport, protocol] = co_await std::move(c);
    CHECK(::write(slave, "1", 1) == 1);
    for (int i = 0; i < 100 && proto->data.size() < 1; ++i) co_await asyncio::sleep(0.01);
    CHECK(::write(slave, "2345", 4) == 4);
    for (int i = 0; i < 100 && proto->data.size() < 5; ++i) co_await asyncio::sleep(0.01);
    CHECK(proto->data == "12345");
    ::close(slave);
    co_await proto->lost;  // EIO, expected: not reported to the handler
    CHECK(proto->events.back() == "lost");
  };
  run_in(f, body());
  CHECK(f.errors.empty());
  asyncio::set_event_loop(nullptr);
}

TEST_CASE("connect_write_pipe: writes, write_eof closes after flushing (test_write_pipe)", "[subprocess][pipes]") {
  LoopFixture f;
  asyncio::set_event_loop(f.loop);
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  auto body = [&fds]() -> Coro<void> {
    auto proto = std::make_shared<PipeRecorder>();
    auto factory = [proto] { return proto; };
    auto c = asyncio::get_running_loop().connect_write_pipe(factory, fds[1]);
    auto [transport, protocol] = co_await std::move(c);
    CHECK(transport->can_write_eof());
    transport->write("1");
    transport->writelines({"2", "345"});
    char buf[16];
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    CHECK(std::string(buf, static_cast<std::size_t>(n)) == "12345");
    transport->write_eof();
    CHECK(transport->is_closing());
    co_await proto->lost;
    CHECK_FALSE(proto->lost_exc);
    CHECK(::read(fds[0], buf, sizeof buf) == 0);  // the write end is closed
    transport->write("dropped");                   // after close: ignored, as CPython
    ::close(fds[0]);
  };
  run_in(f, body());
  CHECK(f.errors.empty());
  asyncio::set_event_loop(nullptr);
}

TEST_CASE("connect_write_pipe: flow control pauses above high and resumes at low", "[subprocess][pipes]") {
  LoopFixture f;
  asyncio::set_event_loop(f.loop);
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  auto body = [&fds]() -> Coro<void> {
    auto proto = std::make_shared<PipeRecorder>();
    auto factory = [proto] { return proto; };
    auto c = asyncio::get_running_loop().connect_write_pipe(factory, fds[1]);
    auto [transport, protocol] = co_await std::move(c);
    transport->set_write_buffer_limits(1024);
    CHECK(transport->get_write_buffer_limits() == std::pair<std::size_t, std::size_t>(256, 1024));
    REQUIRE(::fcntl(fds[0], F_SETFL, O_NONBLOCK) == 0);
    const std::string big(1 << 20, 'z');  // more than a pipe holds
    transport->write(big);
    CHECK(transport->get_write_buffer_size() > 1024);
    CHECK(proto->paused == 1);
    std::size_t got = 0;
    char buf[65536];
    while (got < big.size()) {
      ssize_t n = ::read(fds[0], buf, sizeof buf);
      if (n > 0) got += static_cast<std::size_t>(n);
      co_await asyncio::sleep(0);
    }
    for (int i = 0; i < 100 && proto->resumed == 0; ++i) co_await asyncio::sleep(0.01);
    CHECK(proto->resumed == 1);
    CHECK(transport->get_write_buffer_size() == 0);
    transport->close();
    co_await proto->lost;
    ::close(fds[0]);
  };
  run_in(f, body());
  CHECK(f.errors.empty());
  asyncio::set_event_loop(nullptr);
}

TEST_CASE("connect_write_pipe: write(std::string&&) takes the string over and behaves as a copied write",
          "[subprocess][pipes]") {
  // Not a CPython test: the overload that keeps a handed-over string as the
  // backlog instead of copying it must be indistinguishable from write(view):
  // the same bytes in the same order, the same buffer size, the same
  // pause/resume points, mixed with copied writes in any order.
  LoopFixture f;
  asyncio::set_event_loop(f.loop);
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  auto body = [&fds]() -> Coro<void> {
    auto proto = std::make_shared<PipeRecorder>();
    auto factory = [proto] { return proto; };
    auto c = asyncio::get_running_loop().connect_write_pipe(factory, fds[1]);
    auto [transport, protocol] = co_await std::move(c);
    transport->set_write_buffer_limits(1024);
    REQUIRE(::fcntl(fds[0], F_SETFL, O_NONBLOCK) == 0);
    const std::string a = pattern(200 * 1024, 1), b = pattern(3000, 2), v = pattern(500, 3), d = pattern(70000, 4);
    std::string received;
    char buf[65536];
    auto drain_pipe = [&] {
      for (;;) {
        const ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n <= 0) break;
        received.append(buf, static_cast<std::size_t>(n));
      }
    };
    transport->write(std::string(a));  // more than the pipe holds: the rest is kept
    drain_pipe();                      // what the kernel took at once
    REQUIRE(!received.empty());
    CHECK(received.size() < a.size());
    CHECK(transport->get_write_buffer_size() == a.size() - received.size());
    CHECK(proto->paused == 1);
    // While that write is in flight: taken over (nothing queued yet), copied,
    // taken over again behind a copy.
    transport->write(std::string(b));
    transport->write(std::string_view(v));
    transport->write(std::string(d));
    CHECK(transport->get_write_buffer_size() == a.size() + b.size() + v.size() + d.size() - received.size());
    CHECK(proto->paused == 1);
    const std::string all = a + b + v + d;
    for (int i = 0; i < 2000 && received.size() < all.size(); ++i) {
      drain_pipe();
      co_await asyncio::sleep(0);
    }
    REQUIRE(received.size() == all.size());
    CHECK(received == all);
    for (int i = 0; i < 100 && proto->resumed == 0; ++i) co_await asyncio::sleep(0.01);
    CHECK(proto->resumed == 1);
    CHECK(transport->get_write_buffer_size() == 0);
    // Written at once when the pipe has room: nothing is buffered.
    transport->write(std::string(b));
    CHECK(transport->get_write_buffer_size() == 0);
    drain_pipe();
    CHECK(received == all + b);
    transport->close();
    co_await proto->lost;
    CHECK_FALSE(proto->lost_exc);
    transport->write(std::string("dropped"));  // after close: ignored, as a copied write
    ::close(fds[0]);
  };
  run_in(f, body());
  CHECK(f.errors.empty());
  asyncio::set_event_loop(nullptr);
}

TEST_CASE("connect_write_pipe learns that the reader closed, without writing (test_write_pipe_disconnect_on_close)",
          "[subprocess][pipes]") {
  LoopFixture f;
  asyncio::set_event_loop(f.loop);
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  auto body = [&fds]() -> Coro<void> {
    auto proto = std::make_shared<PipeRecorder>();
    auto factory = [proto] { return proto; };
    auto c = asyncio::get_running_loop().connect_write_pipe(factory, fds[1]);
    auto [transport, protocol] = co_await std::move(c);
    ::close(fds[0]);
    co_await proto->lost;
    CHECK_FALSE(proto->lost_exc);  // nothing buffered: a clean close (CPython)
    // With data buffered, the same is a BrokenPipeError.
    int fds2[2];
    REQUIRE(::pipe(fds2) == 0);
    auto proto2 = std::make_shared<PipeRecorder>();
    auto factory2 = [proto2] { return proto2; };
    auto c2 = asyncio::get_running_loop().connect_write_pipe(factory2, fds2[1]);
    auto [t2, p2] = co_await std::move(c2);
    t2->write(std::string(1 << 20, 'q'));
    CHECK(t2->get_write_buffer_size() > 0);
    ::close(fds2[0]);
    co_await proto2->lost;
    REQUIRE(proto2->lost_exc);
    try {
      std::rethrow_exception(proto2->lost_exc);
    } catch (const std::system_error& e) {
      CHECK(e.code() == std::errc::broken_pipe);
    }
  };
  run_in(f, body());
  CHECK(f.errors.empty());  // OS errors on pipes are not reported (CPython)
  asyncio::set_event_loop(nullptr);
}

TEST_CASE("pipe transports refuse regular files and the wrong protocol", "[subprocess][pipes]") {
  LoopFixture f;
  asyncio::set_event_loop(f.loop);
  auto body = []() -> Coro<void> {
    const int fd = ::open("/etc/passwd", O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    auto factory = [] { return std::make_shared<asyncio::Protocol>(); };
    std::exception_ptr error;
    try {
      auto c = asyncio::get_running_loop().connect_read_pipe(factory, fd);
      (void)co_await std::move(c);
    } catch (const asyncio::ValueError&) {
      error = std::current_exception();
    }
    CHECK(test::message_of(error) == "Pipe transport is for pipes/sockets only.");
    error = nullptr;
    try {
      auto c = asyncio::get_running_loop().connect_write_pipe(factory, fd);
      (void)co_await std::move(c);
    } catch (const asyncio::ValueError&) {
      error = std::current_exception();
    }
    CHECK(test::message_of(error) == "Pipe transport is only for pipes, sockets and character devices");
    ::close(fd);
  };
  run_in(f, body());
  asyncio::set_event_loop(nullptr);
}
