// The soak test's load generator (bench/README.md, "Soak"): N loopback
// connections to an echo server, one message of SIZE bytes in flight on
// each (optionally a pause of THINK ms before the next), every byte
// checked, for DURATION seconds. Every INTERVAL seconds it prints the
// messages per second, the round-trip latency's p50/p99/max over that
// interval and the server's resident set (/proc/PID/status); at the end,
// the slope of the resident set after the first minute (least squares)
// and the spread of the per-interval p99.
//
//   soak --port P --pid PID [--conns 1000] [--size 1024] [--duration 600]
//        [--interval 10] [--think 0]
// Linux only (epoll, /proc); no event-loop library.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <string>
#include <vector>

#include "../proc_status.hpp"

namespace {

using Clock = std::chrono::steady_clock;

using bench::die;
using bench::status_kb;

struct Conn {
  int fd = -1;
  std::uint64_t seq = 0;      // the message in flight
  std::size_t sent = 0;       // bytes of it written
  std::size_t received = 0;   // bytes of it read back
  Clock::time_point started;  // when its first byte was written
};

std::string message(std::size_t size, std::uint64_t seq, int conn) {
  std::string m(size, '\0');
  for (std::size_t i = 0; i < size; ++i) m[i] = static_cast<char>((seq * 131 + static_cast<std::uint64_t>(conn) * 7 + i) & 0xff);
  return m;
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const std::size_t k = std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0, pid = 0, nconns = 1000;
  std::size_t size = 1024;
  double duration = 600, interval = 10, think_ms = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const char* v = argv[i + 1];
    if (a == "--port") port = std::atoi(v);
    else if (a == "--pid") pid = std::atoi(v);
    else if (a == "--conns") nconns = std::atoi(v);
    else if (a == "--size") size = static_cast<std::size_t>(std::atol(v));
    else if (a == "--duration") duration = std::atof(v);
    else if (a == "--interval") interval = std::atof(v);
    else if (a == "--think") think_ms = std::atof(v);
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (port <= 0 || pid <= 0 || size == 0) {
    std::fprintf(stderr, "usage: soak --port P --pid PID [--conns N] [--size B] [--duration S] [--interval S] [--think MS]\n");
    return 2;
  }
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);

  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int ep = epoll_create1(0);
  std::vector<Conn> conns(static_cast<std::size_t>(nconns));
  for (int i = 0; i < nconns; ++i) {
    Conn& c = conns[static_cast<std::size_t>(i)];
    c.fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (c.fd < 0) die("socket");
    if (::connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("connect");
    int one = 1;
    ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::fcntl(c.fd, F_SETFL, O_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<std::uint32_t>(i);
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev) != 0) die("epoll_ctl");
  }

  std::vector<std::string> out(static_cast<std::size_t>(nconns));
  std::string inbuf(size, '\0');
  auto send_next = [&](int i) {
    Conn& c = conns[static_cast<std::size_t>(i)];
    ++c.seq;
    c.sent = c.received = 0;
    out[static_cast<std::size_t>(i)] = message(size, c.seq, i);
    c.started = Clock::now();
    const std::string& m = out[static_cast<std::size_t>(i)];
    ssize_t n = ::send(c.fd, m.data(), m.size(), MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN) die("send");
    c.sent = n > 0 ? static_cast<std::size_t>(n) : 0;
    if (c.sent < size) {  // rare with 1 KiB: finish when writable
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLOUT;
      ev.data.u32 = static_cast<std::uint32_t>(i);
      epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
    }
  };

  const auto t0 = Clock::now();
  const auto end = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(duration));
  auto next_report = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(interval));
  std::deque<std::pair<Clock::time_point, int>> thinking;  // FIFO: same pause for all
  for (int i = 0; i < nconns; ++i) send_next(i);
  std::vector<double> lat_us;
  std::vector<std::pair<double, double>> rss_points;  // (minutes, KB)
  std::vector<double> p99s;
  long total = 0;
  std::printf("%8s %10s %9s %9s %9s %9s\n", "t (s)", "msg/s", "p50 us", "p99 us", "max us", "RSS KB");
  std::vector<epoll_event> events(1024);
  for (;;) {
    auto now = Clock::now();
    if (now >= next_report) {
      const double t = std::chrono::duration<double>(now - t0).count();
      const long rss = status_kb(pid, "VmRSS");
      if (rss < 0) {
        std::fprintf(stderr, "server %d is gone\n", pid);
        return 1;
      }
      const double n = static_cast<double>(lat_us.size());
      const double p50 = percentile(lat_us, 0.50), p99 = percentile(lat_us, 0.99);
      const double mx = lat_us.empty() ? 0 : *std::max_element(lat_us.begin(), lat_us.end());
      std::printf("%8.0f %10.0f %9.0f %9.0f %9.0f %9ld\n", t, n / interval, p50, p99, mx, rss);
      std::fflush(stdout);
      rss_points.emplace_back(t / 60.0, static_cast<double>(rss));
      p99s.push_back(p99);
      total += static_cast<long>(lat_us.size());
      lat_us.clear();
      next_report += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(interval));
      if (now >= end) break;
    }
    while (!thinking.empty() && thinking.front().first <= now) {
      const int i = thinking.front().second;
      thinking.pop_front();
      send_next(i);
    }
    int timeout_ms = static_cast<int>(std::chrono::duration<double, std::milli>(next_report - now).count()) + 1;
    if (!thinking.empty())
      timeout_ms = std::min(timeout_ms, static_cast<int>(std::chrono::duration<double, std::milli>(thinking.front().first - now).count()) + 1);
    const int k = epoll_wait(ep, events.data(), static_cast<int>(events.size()), std::max(0, timeout_ms));
    if (k < 0 && errno != EINTR) die("epoll_wait");
    for (int e = 0; e < k; ++e) {
      const int i = static_cast<int>(events[static_cast<std::size_t>(e)].data.u32);
      Conn& c = conns[static_cast<std::size_t>(i)];
      const std::string& m = out[static_cast<std::size_t>(i)];
      if ((events[static_cast<std::size_t>(e)].events & EPOLLOUT) && c.sent < size) {
        ssize_t n = ::send(c.fd, m.data() + c.sent, size - c.sent, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN) die("send");
        if (n > 0) c.sent += static_cast<std::size_t>(n);
        if (c.sent == size) {
          epoll_event ev{};
          ev.events = EPOLLIN;
          ev.data.u32 = static_cast<std::uint32_t>(i);
          epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
        }
      }
      if (!(events[static_cast<std::size_t>(e)].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
      ssize_t n = ::recv(c.fd, inbuf.data(), size - c.received, 0);
      if (n == 0) {
        std::fprintf(stderr, "connection %d closed by the server\n", i);
        return 1;
      }
      if (n < 0) {
        if (errno == EAGAIN) continue;
        die("recv");
      }
      if (std::memcmp(inbuf.data(), m.data() + c.received, static_cast<std::size_t>(n)) != 0) {
        std::fprintf(stderr, "connection %d: wrong bytes echoed\n", i);
        return 1;
      }
      c.received += static_cast<std::size_t>(n);
      if (c.received == size) {
        const auto done = Clock::now();
        lat_us.push_back(std::chrono::duration<double, std::micro>(done - c.started).count());
        if (think_ms > 0)
          thinking.emplace_back(done + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(think_ms)), i);
        else
          send_next(i);
      }
    }
  }
  for (Conn& c : conns) ::close(c.fd);
  // Least-squares slope of RSS over time, after the first minute.
  double sx = 0, sy = 0, sxx = 0, sxy = 0, m = 0;
  for (auto [x, y] : rss_points) {
    if (x < 1.0) continue;
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
    m += 1;
  }
  const double slope = m >= 2 ? (m * sxy - sx * sy) / (m * sxx - sx * sx) : 0;
  const double p99_lo = p99s.empty() ? 0 : *std::min_element(p99s.begin(), p99s.end());
  const double p99_hi = p99s.empty() ? 0 : *std::max_element(p99s.begin(), p99s.end());
  std::printf("messages %ld; RSS slope after the first minute %.1f KB/min (%.3f%% of the final RSS per minute); "
              "p99 per interval %.0f..%.0f us\n",
              total, slope, rss_points.empty() ? 0 : 100.0 * slope / rss_points.back().second, p99_lo, p99_hi);
  return 0;
}
