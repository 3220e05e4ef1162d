// sendfile of a large file over loopback TCP: the library's
// loop.sock_sendfile() (sendfile(2) on a non-blocking socket, waiting for
// writability in the loop) against a bare blocking sendfile(2) loop, and
// against the fallback's loop (256 KiB reads + sock_sendall, what
// sock_sendfile does where zero-copy is impossible).
//
//   bench_sendfile [--mib 1024] [--repeat 3] [--dir /tmp]
//
// A thread accepts each connection and drains it; throughput is bytes over
// the wall time from the first byte sent to the receiver seeing EOF. The
// file is created once (incompressible content) and read from the page
// cache in every run. Linux.
#include <arpa/inet.h>
#include <asyncio/asyncio.hpp>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

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
      const ssize_t n = ::recv(c, buf.data(), buf.size(), 0);
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

double bare(int file, std::size_t size) {
  Listener l;
  std::size_t got = 0;
  std::thread t = drain(l.fd, &got);
  const int s = connect_to(l.port);
  const auto t0 = Clock::now();
  off_t off = 0;
  while (static_cast<std::size_t>(off) < size) {
    if (::sendfile(s, file, &off, size - static_cast<std::size_t>(off)) <= 0) break;
  }
  ::close(s);
  t.join();
  const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
  if (got != size) std::fprintf(stderr, "bare: received %zu of %zu\n", got, size);
  return static_cast<double>(got) / dt;
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

double library(int file, std::size_t size, bool zero_copy) {
  Listener l;
  std::size_t got = 0;
  std::thread t = drain(l.fd, &got);
  asyncio::Socket sock = asyncio::Socket::from_fd(connect_to(l.port));
  sock.setblocking(false);
  const auto t0 = Clock::now();
  const std::size_t sent = zero_copy ? asyncio::run(native(&sock, file)) : asyncio::run(fallback_loop(&sock, file));
  sock.close();
  t.join();
  const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
  if (got != size || sent != size) std::fprintf(stderr, "library: sent %zu, received %zu of %zu\n", sent, got, size);
  return static_cast<double>(got) / dt;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t mib = 1024;
  int repeat = 3;
  std::string dir = "/tmp";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--mib") mib = static_cast<std::size_t>(std::atol(argv[i + 1]));
    if (a == "--repeat") repeat = std::atoi(argv[i + 1]);
    if (a == "--dir") dir = argv[i + 1];
  }
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
  double best[3] = {0, 0, 0};
  for (int r = 0; r < repeat; ++r) {
    const double b = bare(file, size);
    const double n = library(file, size, true);
    const double f = library(file, size, false);
    if (b > best[0]) best[0] = b;
    if (n > best[1]) best[1] = n;
    if (f > best[2]) best[2] = f;
  }
  ::close(file);
  auto gbs = [](double v) { return v / 1e9; };
  std::printf("| %zu MiB over loopback | GB/s (best of %d) | vs bare sendfile(2) |\n| --- | ---: | ---: |\n", mib,
              repeat);
  std::printf("| bare blocking sendfile(2) loop | %.2f | 1.00× |\n", gbs(best[0]));
  std::printf("| loop.sock_sendfile (native) | %.2f | %.2f× |\n", gbs(best[1]), best[1] / best[0]);
  std::printf("| fallback loop (256 KiB pread + sock_sendall) | %.2f | %.2f× |\n", gbs(best[2]), best[2] / best[0]);
  std::printf("native / fallback: %.2f×\n", best[1] / best[2]);
  return 0;
}
