// The UDP echo benchmark's load generator and driver.
//
// For each datagram size and depth (datagrams in flight) it starts each
// server in its own process (the bare libuv server, examples/udp_echo),
// keeps `depth` datagrams in flight from one client socket for a warm-up
// and a measured window, checks every datagram that comes back (sequence
// number and content), and reports datagrams per second and the server's
// CPU time per datagram (user + system from /proc/<pid>/stat over the
// window). A datagram not back within 200 ms counts as lost and is
// replaced, so a loss cannot stall the window.
//
//   udp_load --bare build/release/bench/bare_udp_echo \
//            --server build/release/examples/udp_echo \
//            [--sizes 64,1400] [--depths 1,32] [--duration 2] [--repeat 3]
//
// Plain POSIX sockets (not the library under test), single threaded. Linux.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// CPU seconds (user + system) of process `pid`.
double cpu_seconds(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::istringstream in(s.substr(s.rfind(')') + 2));
  std::string field;
  unsigned long utime = 0, stime = 0;
  for (int i = 3; i <= 15; ++i) {
    in >> field;
    if (i == 14) utime = std::stoul(field);
    if (i == 15) stime = std::stoul(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

struct Server {
  pid_t pid = -1;
  int port = 0;
};

Server start(const std::string& exe) {
  int out[2];
  if (pipe(out) != 0) std::exit(1);
  Server s;
  s.pid = fork();
  if (s.pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    execl(exe.c_str(), exe.c_str(), "--host", "127.0.0.1", "--port", "0", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  std::string line;
  char c;
  while (read(out[0], &c, 1) == 1 && c != '\n') line += c;
  close(out[0]);
  const auto colon = line.rfind(':');
  if (line.rfind("listening on", 0) != 0 || colon == std::string::npos) {
    std::fprintf(stderr, "%s did not start: %s\n", exe.c_str(), line.c_str());
    std::exit(1);
  }
  s.port = std::atoi(line.c_str() + colon + 1);
  return s;
}

void stop(Server& s) {
  kill(s.pid, SIGTERM);
  waitpid(s.pid, nullptr, 0);
}

struct Result {
  double per_s = 0;
  double cpu_us = 0;
  std::uint64_t lost = 0, bad = 0;
};

Result measure(const Server& server, std::size_t size, int depth, double warmup, double duration) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<std::uint16_t>(server.port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to);
  int big = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  std::vector<char> msg(size), in(65536);
  std::map<std::uint64_t, Clock::time_point> inflight;
  std::uint64_t next = 0, done = 0, lost = 0, bad = 0;
  auto send_one = [&] {
    std::memcpy(msg.data(), &next, sizeof next);
    for (std::size_t i = sizeof next; i < size; ++i) msg[i] = static_cast<char>(next + i);
    send(fd, msg.data(), size, 0);
    inflight[next++] = Clock::now();
  };
  for (int i = 0; i < depth; ++i) send_one();
  const auto t0 = Clock::now();
  bool measuring = false;
  double cpu0 = 0;
  std::uint64_t done0 = 0;
  Clock::time_point m0;
  for (;;) {
    const double t = seconds_since(t0);
    if (!measuring && t >= warmup) {
      measuring = true;
      cpu0 = cpu_seconds(server.pid);
      done0 = done;
      m0 = Clock::now();
    }
    if (measuring && t >= warmup + duration) break;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) {
      // Replace datagrams older than 200 ms: lost.
      const auto now = Clock::now();
      for (auto it = inflight.begin(); it != inflight.end();) {
        if (now - it->second > std::chrono::milliseconds(200)) {
          it = inflight.erase(it);
          ++lost;
          send_one();
        } else {
          ++it;
        }
      }
      continue;
    }
    const ssize_t n = recv(fd, in.data(), in.size(), MSG_DONTWAIT);
    if (n < 0) continue;
    std::uint64_t seq = 0;
    std::memcpy(&seq, in.data(), sizeof seq);
    bool ok = static_cast<std::size_t>(n) == size && inflight.erase(seq) == 1;
    for (std::size_t i = sizeof seq; ok && i < size; ++i) ok = in[i] == static_cast<char>(seq + i);
    if (!ok) {
      ++bad;
      continue;
    }
    ++done;
    send_one();
  }
  Result r;
  const double wall = seconds_since(m0);
  const std::uint64_t n = done - done0;
  r.per_s = static_cast<double>(n) / wall;
  r.cpu_us = (cpu_seconds(server.pid) - cpu0) * 1e6 / static_cast<double>(n ? n : 1);
  r.lost = lost;
  r.bad = bad;
  close(fd);
  return r;
}

std::vector<long> parse_list(const char* s) {
  std::vector<long> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(std::atol(item.c_str()));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string bare, ours;
  std::vector<long> sizes{64, 1400}, depths{1, 32};
  double duration = 2, warmup = 0.3;
  int repeat = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--bare") bare = argv[i + 1];
    else if (a == "--server") ours = argv[i + 1];
    else if (a == "--sizes") sizes = parse_list(argv[i + 1]);
    else if (a == "--depths") depths = parse_list(argv[i + 1]);
    else if (a == "--duration") duration = std::atof(argv[i + 1]);
    else if (a == "--repeat") repeat = std::atoi(argv[i + 1]);
  }
  if (bare.empty() || ours.empty()) {
    std::fprintf(stderr, "usage: udp_load --bare EXE --server EXE [--sizes 64,1400] [--depths 1,32] ...\n");
    return 2;
  }
  std::printf("| size | in flight | bare libuv dgrams/s | bare CPU/dgram | udp_echo dgrams/s | udp_echo CPU/dgram | vs bare | lost/bad |\n");
  std::printf("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  for (long size : sizes) {
    for (long depth : depths) {
      Result best[2];
      std::vector<double> ratios;  // each repetition's udp_echo against the bare server run next to it
      for (int r = 0; r < repeat; ++r) {
        double pair[2] = {0, 0};
        for (int k = 0; k < 2; ++k) {
          Server s = start(k == 0 ? bare : ours);
          Result res = measure(s, static_cast<std::size_t>(size), static_cast<int>(depth), warmup, duration);
          stop(s);
          pair[k] = res.cpu_us;
          if (best[k].per_s == 0 || res.cpu_us < best[k].cpu_us) {
            const std::uint64_t lost = best[k].lost + res.lost, bad = best[k].bad + res.bad;
            best[k] = res;
            best[k].lost = lost;
            best[k].bad = bad;
          } else {
            best[k].lost += res.lost;
            best[k].bad += res.bad;
          }
        }
        if (pair[0] > 0 && pair[1] > 0) ratios.push_back(pair[1] / pair[0]);
      }
      std::printf("| %ld B | %ld | %.0f | %.2f µs | %.0f | %.2f µs | %.2f× | %llu/%llu |\n", size, depth, best[0].per_s,
                  best[0].cpu_us, best[1].per_s, best[1].cpu_us, best[1].cpu_us / best[0].cpu_us,
                  static_cast<unsigned long long>(best[0].lost + best[1].lost),
                  static_cast<unsigned long long>(best[0].bad + best[1].bad));
      if (!ratios.empty()) {
        std::string all;
        for (double x : ratios) all += " " + std::to_string(x).substr(0, 4);
        std::sort(ratios.begin(), ratios.end());
        std::printf("  %ld B, %ld in flight, paired vs bare: median %.2f×, min %.2f×, max %.2f× (%zu pairs:%s)\n", size,
                    depth, ratios[ratios.size() / 2], ratios.front(), ratios.back(), ratios.size(), all.c_str());
      }
      std::fflush(stdout);
    }
  }
  return 0;
}
