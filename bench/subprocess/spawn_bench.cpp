// bench/subprocess with the library: the same work as bare_spawn.c.
//
//   spawn_bench spawn N P    create_subprocess_exec("/bin/true") + wait(), P at a time
//                            (P workers spawning in turn)
//   spawn_bench cat BYTES    BYTES through cat: 64 KiB writes with drain() while
//                            std_out is read to its end (communicate()'s pumping)
//   spawn_bench catown BYTES the same, each chunk a new std::string handed over
//                            with write(std::string&&) instead of a view of one buffer
//   spawn_bench catflush BYTES
//                            as cat, with the write buffer's high-water mark at 0
//                            (set_write_buffer_limits(0)): drain() waits until the
//                            pipe took everything, as the bare program waits for
//                            each write's callback, so only the tail of a partial
//                            write is copied
//   spawn_bench catproto BYTES
//                            as cat with the low-level API (loop.subprocess_exec and a
//                            SubprocessProtocol): stdout is counted in pipe_data_received()
//                            (no StreamReader, no read() copy), stdin written with
//                            write(string_view) and paused by pause_writing()/resume_writing()
//   spawn_bench catsock BYTES
//                            as cat over one socket pair instead of two pipes (the
//                            child's stdin and stdout are its end, as with
//                            libuv's UV_CREATE_PIPE: bare_spawn cat), the parent's
//                            end opened with open_unix_connection(sock=) and
//                            ended with write_eof(): what a program that wants
//                            socket-pair speed writes with asyncio's own API
//   spawn_bench communicate BYTES
//                            Process::communicate() with BYTES of input through
//                            cat (the input string is handed over, the output
//                            gathered in memory)
//
// Prints "<what> <wall seconds> <cpu seconds of this process>".
#include <asyncio/asyncio.hpp>

#include <sys/resource.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace {

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// Like bare_spawn.c, which starts the next child from the previous one's
// exit callback: P workers, each spawning and waiting in turn (no frame per
// child is created up front, so the parent stays as small as the work
// needs: fork() in uv_spawn costs more the more memory the parent has
// dirtied).
asyncio::Coro<void> worker(long count) {
  for (long i = 0; i < count; ++i) {
    auto c = asyncio::create_subprocess_exec("/bin/true", {}, {.std_in = asyncio::subprocess::DEVNULL});
    asyncio::Process p = co_await std::move(c);
    auto w = p.wait();
    (void)co_await std::move(w);
  }
}

asyncio::Coro<void> spawn(long n, long parallel) {
  std::vector<asyncio::Coro<void>> all;
  for (long i = 0; i < parallel; ++i) all.push_back(worker(n / parallel + (i < n % parallel ? 1 : 0)));
  auto g = asyncio::gather(std::move(all));
  co_await std::move(g);
}

asyncio::Coro<void> feed(asyncio::StreamWriter w, long long bytes, bool flush, bool eof_only = false) {
  if (flush) w.transport()->set_write_buffer_limits(0);
  const std::string chunk(65536, 'x');
  while (bytes > 0) {
    const auto n = static_cast<std::size_t>(std::min<long long>(bytes, 65536));
    w.write(std::string_view(chunk).substr(0, n));
    bytes -= static_cast<long long>(n);
    co_await w.drain();
  }
  if (eof_only) {
    w.write_eof();  // a socket: keep reading what comes back
  } else {
    w.close();
  }
}

// As feed(), with each chunk made afresh and handed over (write(std::string&&)),
// as a producer that reads its data into a new string would.
asyncio::Coro<void> feed_owned(asyncio::StreamWriter w, long long bytes) {
  while (bytes > 0) {
    const auto n = static_cast<std::size_t>(std::min<long long>(bytes, 65536));
    w.write(std::string(n, 'x'));
    bytes -= static_cast<long long>(n);
    co_await w.drain();
  }
  w.close();
}

asyncio::Coro<long long> drain_all(asyncio::StreamReader r) {
  long long got = 0;
  for (;;) {
    std::string s = co_await r.read(1 << 20);
    if (s.empty()) break;
    got += static_cast<long long>(s.size());
  }
  co_return got;
}

asyncio::Coro<long long> cat(long long bytes, bool owned, bool flush) {
  using asyncio::subprocess::PIPE;
  auto c = asyncio::create_subprocess_exec("cat", {}, {.std_in = PIPE, .std_out = PIPE, .limit = 1 << 20});
  asyncio::Process p = co_await std::move(c);
  auto in = owned ? feed_owned(*p.std_in, bytes) : feed(*p.std_in, bytes, flush);
  auto g = asyncio::gather(std::move(in), drain_all(*p.std_out));
  auto results = co_await std::move(g);
  (void)co_await p.wait();
  co_return std::get<1>(results);
}

asyncio::Coro<long long> cat_sock(long long bytes) {
  auto [parent, child] = asyncio::socketpair(AF_UNIX, SOCK_STREAM);
  auto c = asyncio::create_subprocess_exec("cat", {}, {.std_in = child.fileno(), .std_out = child.fileno()});
  asyncio::Process p = co_await std::move(c);
  child.close();
  auto o = asyncio::open_unix_connection(std::nullopt, {.limit = 1 << 20, .sock = parent.detach()});
  auto [r, w] = co_await std::move(o);
  auto g = asyncio::gather(feed(w, bytes, false, true), drain_all(r));
  auto results = co_await std::move(g);
  w.close();
  (void)co_await p.wait();
  co_return std::get<1>(results);
}

// The low-level form of cat: counts stdout where it arrives, writes stdin
// under the transport's flow control.
struct CountingProtocol : asyncio::SubprocessProtocol {
  long long got = 0;
  bool paused = false;
  std::optional<asyncio::Future<void>> resumed;
  asyncio::Future<void> lost = asyncio::get_event_loop().create_future();
  void pipe_data_received(int fd, std::string_view data) override {
    if (fd == 1) got += static_cast<long long>(data.size());
  }
  void pause_writing() override { paused = true; }
  void resume_writing() override {
    paused = false;
    if (resumed && !resumed->done()) resumed->set_result();
  }
  void connection_lost(std::exception_ptr) override {
    if (!lost.done()) lost.set_result();
  }
};

asyncio::Coro<long long> cat_proto(long long bytes) {
  auto proto = std::make_shared<CountingProtocol>();
  auto factory = [proto] { return proto; };
  auto c = asyncio::get_running_loop().subprocess_exec(factory, {"cat"});
  auto [transport, protocol] = co_await std::move(c);
  std::shared_ptr<asyncio::Transport> in = transport->get_pipe_transport(0);
  const std::string chunk(65536, 'x');
  while (bytes > 0) {
    const auto n = static_cast<std::size_t>(std::min<long long>(bytes, 65536));
    in->write(std::string_view(chunk).substr(0, n));
    bytes -= static_cast<long long>(n);
    if (proto->paused) {
      proto->resumed = asyncio::get_running_loop().create_future();
      auto r = *proto->resumed;
      co_await std::move(r);
    }
  }
  in->close();
  auto lost = proto->lost;
  co_await std::move(lost);
  transport->close();
  co_return proto->got;
}

asyncio::Coro<long long> communicate(long long bytes) {
  using asyncio::subprocess::PIPE;
  auto c = asyncio::create_subprocess_exec("cat", {}, {.std_in = PIPE, .std_out = PIPE});
  asyncio::Process p = co_await std::move(c);
  std::string input(static_cast<std::size_t>(bytes), 'x');
  auto io = p.communicate(std::move(input));
  auto result = co_await std::move(io);
  co_return result.first ? static_cast<long long>(result.first->size()) : -1;
}

}  // namespace

int main(int argc, char** argv) {
  const double cpu0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  auto wall = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  if (argc == 4 && std::strcmp(argv[1], "spawn") == 0) {
    const long n = std::atol(argv[2]), p = std::atol(argv[3]);
    asyncio::run(spawn(n, p));
    std::printf("spawn %ld x%ld %.3f %.3f\n", n, p, wall(), cpu_seconds() - cpu0);
  } else if (argc == 3 && (std::strcmp(argv[1], "cat") == 0 || std::strcmp(argv[1], "catown") == 0 ||
                            std::strcmp(argv[1], "catflush") == 0)) {
    const long long bytes = std::atoll(argv[2]);
    const long long got = asyncio::run(cat(bytes, argv[1][3] == 'o', argv[1][3] == 'f'));
    if (got != bytes) return 1;
    std::printf("%s %lld %.3f %.3f\n", argv[1], bytes, wall(), cpu_seconds() - cpu0);
  } else if (argc == 3 && std::strcmp(argv[1], "catsock") == 0) {
    const long long bytes = std::atoll(argv[2]);
    const long long got = asyncio::run(cat_sock(bytes));
    if (got != bytes) return 1;
    std::printf("catsock %lld %.3f %.3f\n", bytes, wall(), cpu_seconds() - cpu0);
  } else if (argc == 3 && std::strcmp(argv[1], "catproto") == 0) {
    const long long bytes = std::atoll(argv[2]);
    const long long got = asyncio::run(cat_proto(bytes));
    if (got != bytes) return 1;
    std::printf("catproto %lld %.3f %.3f\n", bytes, wall(), cpu_seconds() - cpu0);
  } else if (argc == 3 && std::strcmp(argv[1], "communicate") == 0) {
    const long long bytes = std::atoll(argv[2]);
    const long long got = asyncio::run(communicate(bytes));
    if (got != bytes) return 1;
    std::printf("communicate %lld %.3f %.3f\n", bytes, wall(), cpu_seconds() - cpu0);
  } else {
    std::fprintf(stderr, "usage: spawn_bench spawn N P | cat BYTES | catown BYTES | catflush BYTES | catproto BYTES | catsock BYTES | communicate BYTES\n");
    return 2;
  }
  return 0;
}
