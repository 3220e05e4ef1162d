// sendfile of a large file over loopback TCP: the library's
// loop.sock_sendfile() (sendfile(2) on a non-blocking socket, waiting for
// writability in the loop) against a bare blocking sendfile(2) loop, and
// against the fallback's loop (256 KiB reads + sock_sendall, what
// sock_sendfile does where zero-copy is impossible).
//
//   bench_sendfile [--mib 1024] [--repeat 5] [--dir /tmp] [--copy-reader]
//
// A thread accepts each connection and drains it (recv with MSG_TRUNC, so
// the reader is never the bottleneck; --copy-reader copies into a buffer
// instead); throughput is bytes over the wall time from the first byte sent
// to the receiver seeing EOF, and the sending thread's CPU time is reported
// beside it (the steadier figure on a shared machine). The file is created
// once (incompressible content) and read from the page cache in every run.
// Linux.
#include <arpa/inet.h>
#include <asyncio/asyncio.hpp>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

bool g_copy_reader = false;  // --copy-reader: recv() into the buffer instead

// CPU time (user + system) of the calling thread, in seconds.
double thread_cpu() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct Run {
  double bytes_per_s = 0;
  double cpu_s = 0;  // the sending thread's CPU time
};

struct Listener {
  int fd = -1;
  int port = 0;
  Listener() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd, 4);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~Listener() { ::close(fd); }
};

// Accepts one connection and reads it to EOF; returns the bytes read.
std::thread drain(int listen_fd, std::size_t* got) {
  return std::thread([listen_fd, got] {
    const int c = ::accept(listen_fd, nullptr, nullptr);
    std::vector<char> buf(1 << 20);
    std::size_t total = 0;
    for (;;) {
      // MSG_TRUNC (Linux TCP): the kernel discards the bytes without
      // copying them out, so the reader drains as fast as it can and the
      // sender's cost decides the figures (with a copying reader, all three
      // senders wait on the same receive-side copy).
      const ssize_t n = ::recv(c, buf.data(), buf.size(), g_copy_reader ? 0 : MSG_TRUNC);
      if (n <= 0) break;
      total += static_cast<std::size_t>(n);
    }
    ::close(c);
    *got = total;
  });
}

int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) std::exit(1);
  return fd;
}

Run bare(int file, std::size_t size) {
  Listener l;
  std::size_t got = 0;
  std::thread t = drain(l.fd, &got);
  const int s = connect_to(l.port);
  const auto t0 = Clock::now();
  const double c0 = thread_cpu();
  off_t off = 0;
  while (static_cast<std::size_t>(off) < size) {
    if (::sendfile(s, file, &off, size - static_cast<std::size_t>(off)) <= 0) break;
  }
  ::close(s);
  const double cpu = thread_cpu() - c0;
  t.join();
  const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
  if (got != size) std::fprintf(stderr, "bare: received %zu of %zu\n", got, size);
  return {static_cast<double>(got) / dt, cpu};
}

asyncio::Coro<std::size_t> fallback_loop(asyncio::Socket* sock, int file) {
  // The loop of sock_sendfile's fallback (sendfile.cpp): 256 KiB reads, sock_sendall.
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  std::string buf(256 * 1024, '\0');
  std::size_t total = 0;
  off_t off = 0;
  for (;;) {
    const ssize_t n = ::pread(file, buf.data(), buf.size(), off);
    if (n <= 0) break;
    off += n;
    auto sending = loop.sock_sendall(*sock, std::string_view(buf.data(), static_cast<std::size_t>(n)));
    co_await std::move(sending);
    total += static_cast<std::size_t>(n);
  }
  co_return total;
}

asyncio::Coro<std::size_t> native(asyncio::Socket* sock, int file) {
  auto sending = asyncio::get_running_loop().sock_sendfile(*sock, file, 0, std::nullopt, false);
  co_return co_await std::move(sending);
}

Run library(int file, std::size_t size, bool zero_copy) {
  Listener l;
  std::size_t got = 0;
  std::thread t = drain(l.fd, &got);
  asyncio::Socket sock = asyncio::Socket::from_fd(connect_to(l.port));
  sock.setblocking(false);
  const auto t0 = Clock::now();
  const double c0 = thread_cpu();
  const std::size_t sent = zero_copy ? asyncio::run(native(&sock, file)) : asyncio::run(fallback_loop(&sock, file));
  sock.close();
  const double cpu = thread_cpu() - c0;
  t.join();
  const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
  if (got != size || sent != size) std::fprintf(stderr, "library: sent %zu, received %zu of %zu\n", sent, got, size);
  return {static_cast<double>(got) / dt, cpu};
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t mib = 1024;
  int repeat = 5;
  std::string dir = "/tmp";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--mib") mib = static_cast<std::size_t>(std::atol(argv[i + 1]));
    if (a == "--repeat") repeat = std::atoi(argv[i + 1]);
    if (a == "--dir") dir = argv[i + 1];
  }
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--copy-reader") == 0) g_copy_reader = true;
  const std::size_t size = mib << 20;
  std::string path = dir + "/bench_sendfile_XXXXXX";
  const int file = ::mkstemp(path.data());
  ::unlink(path.c_str());
  {
    std::vector<char> chunk(1 << 20);
    std::uint32_t x = 2463534242u;
    for (std::size_t m = 0; m < mib; ++m) {
      for (char& c : chunk) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        c = static_cast<char>(x);
      }
      if (::write(file, chunk.data(), chunk.size()) != static_cast<ssize_t>(chunk.size())) return 1;
    }
  }
  // Each repetition runs the three senders back to back; the ratios are
  // taken within a repetition (paired), then their median and spread.
  std::vector<Run> runs[3];
  std::vector<double> tput_nb, tput_nf, cpu_nb, cpu_nf;
  for (int r = 0; r < repeat; ++r) {
    const Run b = bare(file, size);
    const Run n = library(file, size, true);
    const Run f = library(file, size, false);
    runs[0].push_back(b);
    runs[1].push_back(n);
    runs[2].push_back(f);
    tput_nb.push_back(n.bytes_per_s / b.bytes_per_s);
    tput_nf.push_back(n.bytes_per_s / f.bytes_per_s);
    cpu_nb.push_back(n.cpu_s / b.cpu_s);
    cpu_nf.push_back(f.cpu_s / n.cpu_s);
    std::printf("rep %d: GB/s bare %.2f native %.2f fallback %.2f; sender CPU s/GiB bare %.3f native %.3f fallback %.3f\n",
                r + 1, b.bytes_per_s / 1e9, n.bytes_per_s / 1e9, f.bytes_per_s / 1e9, b.cpu_s * 1024.0 / double(mib),
                n.cpu_s * 1024.0 / double(mib), f.cpu_s * 1024.0 / double(mib));
    std::fflush(stdout);
  }
  ::close(file);
  auto med = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  auto spread = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return std::to_string(v.front()).substr(0, 4) + "–" + std::to_string(v.back()).substr(0, 4);
  };
  std::vector<double> gb[3], cpu[3];
  for (int k = 0; k < 3; ++k)
    for (const Run& x : runs[k]) {
      gb[k].push_back(x.bytes_per_s / 1e9);
      cpu[k].push_back(x.cpu_s * 1024.0 / double(mib));
    }
  std::printf("| %zu MiB over loopback, %s reader, %d pairs | GB/s median (min–max) | sender CPU s/GiB median (min–max) |\n"
              "| --- | ---: | ---: |\n",
              mib, g_copy_reader ? "copying" : "MSG_TRUNC", repeat);
  const char* names[3] = {"bare blocking sendfile(2) loop", "loop.sock_sendfile (native)",
                          "fallback loop (256 KiB pread + sock_sendall)"};
  for (int k = 0; k < 3; ++k)
    std::printf("| %s | %.2f (%s) | %.3f (%s) |\n", names[k], med(gb[k]), spread(gb[k]).c_str(), med(cpu[k]),
                spread(cpu[k]).c_str());
  std::printf("paired throughput native/bare: median %.2f× (%s); native/fallback: median %.2f× (%s)\n", med(tput_nb),
              spread(tput_nb).c_str(), med(tput_nf), spread(tput_nf).c_str());
  std::printf("paired sender CPU native/bare: median %.2f× (%s); fallback/native: median %.2f× (%s)\n", med(cpu_nb),
              spread(cpu_nb).c_str(), med(cpu_nf), spread(cpu_nf).c_str());
  return 0;
}
