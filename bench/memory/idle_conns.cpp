// The memory-per-connection benchmark's client: opens N loopback
// connections to a line-echo server (one line exchanged on each, so every
// handler has run and is back in readline()), leaves them idle, and reads
// the server's memory from /proc/PID/status; then makes the first B of
// them busy (1 KiB lines, all B in flight at once, for S seconds), lets
// them go idle again and reads the memory once more.
//
//   idle_conns --port P --pid PID [--name NAME] [--conns 10000]
//              [--busy 1000] [--busy-seconds 3] [--settle 2] [--line-bytes 1024]
//
// Prints one row (see bench/memory/run.sh): the server's resident set
// before connecting, with N idle connections, its peak (VmHWM) over that,
// per connection, and while/after B connections were busy.
// Linux only (reads /proc); plain blocking sockets, no event loop.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "../proc_status.hpp"

namespace {

using bench::die;
using bench::status_kb;

void send_all(int fd, const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) die("send");
    off += static_cast<std::size_t>(n);
  }
}

// Reads until `expect` bytes arrived; they must equal `expect`.
void recv_line(int fd, const std::string& expect) {
  std::string got;
  char buf[4096];
  while (got.size() < expect.size()) {
    ssize_t n = ::recv(fd, buf, std::min(sizeof buf, expect.size() - got.size()), 0);
    if (n <= 0) die("recv (server closed?)");
    got.append(buf, static_cast<std::size_t>(n));
  }
  if (got != expect) {
    std::fprintf(stderr, "wrong echo\n");
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0, pid = 0, conns = 10000, busy = 1000, line_bytes = 1024;
  double busy_seconds = 3, settle = 2;
  std::string name = "server";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const char* v = argv[i + 1];
    if (a == "--port") port = std::atoi(v);
    else if (a == "--pid") pid = std::atoi(v);
    else if (a == "--conns") conns = std::atoi(v);
    else if (a == "--busy") busy = std::atoi(v);
    else if (a == "--busy-seconds") busy_seconds = std::atof(v);
    else if (a == "--settle") settle = std::atof(v);
    else if (a == "--line-bytes") line_bytes = std::atoi(v);
    else if (a == "--name") name = v;
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (port <= 0 || pid <= 0) {
    std::fprintf(stderr, "usage: idle_conns --port P --pid PID [--conns N] [--busy B] [--busy-seconds S] [--line-bytes N]\n");
    return 2;
  }
  if (line_bytes < 1) line_bytes = 1;
  busy = std::min(busy, conns);
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < static_cast<rlim_t>(conns) + 16) {
    std::fprintf(stderr, "RLIMIT_NOFILE %lu is too low for %d connections\n", static_cast<unsigned long>(rl.rlim_cur),
                 conns);
    return 2;
  }
  auto pause = [](double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); };

  const long base = status_kb(pid, "VmRSS");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::vector<int> fds;
  fds.reserve(static_cast<std::size_t>(conns));
  const std::string hello = "hello\n";
  // In batches well under the listen backlog: connect, send a line, read
  // the echo (the server accepted the connection and its handler ran).
  constexpr int kBatch = 500;
  while (static_cast<int>(fds.size()) < conns) {
    const std::size_t first = fds.size();
    const int n = std::min(kBatch, conns - static_cast<int>(first));
    for (int i = 0; i < n; ++i) {
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      if (fd < 0) die("socket");
      if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("connect");
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      fds.push_back(fd);
      send_all(fd, hello);
    }
    for (std::size_t i = first; i < fds.size(); ++i) recv_line(fds[i], hello);
  }
  pause(settle);
  const long idle = status_kb(pid, "VmRSS");
  const long peak = status_kb(pid, "VmHWM");

  // Busy: B connections, 1 KiB lines (--line-bytes), all in flight at
  // once, round after round.
  std::string line(static_cast<std::size_t>(line_bytes) - 1, 'x');
  line += '\n';
  long busy_max = 0;
  long rounds = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(busy_seconds);
  while (std::chrono::steady_clock::now() < until) {
    for (int i = 0; i < busy; ++i) send_all(fds[static_cast<std::size_t>(i)], line);
    for (int i = 0; i < busy; ++i) recv_line(fds[static_cast<std::size_t>(i)], line);
    if (++rounds % 16 == 0) busy_max = std::max(busy_max, status_kb(pid, "VmRSS"));
  }
  busy_max = std::max(busy_max, status_kb(pid, "VmRSS"));
  pause(settle);
  const long after = status_kb(pid, "VmRSS");
  for (int fd : fds) ::close(fd);

  std::printf("%-16s %8ld %8ld %8ld %10.0f %10.0f %9ld %9ld %7.3f %6ld\n", name.c_str(), base, idle, peak,
              peak * 1024.0 / conns, (idle - base) * 1024.0 / conns, busy_max, after,
              static_cast<double>(after) / static_cast<double>(idle), rounds);
  return 0;
}
