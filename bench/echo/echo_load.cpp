// The echo benchmark's load generator and driver.
//
// For each message size and connection count it starts each echo server in
// its own process (the bare libuv server, the library's protocol server
// and its streams server), opens N connections, keeps `depth` messages in
// flight on each for a warm-up and a measured window, checks every byte
// that comes back, and reports messages per second, p50/p99 round-trip
// latency, and the server's CPU time per message (user + system, from
// /proc/<pid>/stat over the measured window).
//
//   echo_load --bare build/release/bench/bare_echo_server \
//             --server build/release/examples/echo_server \
//             [--sizes 1024,65536] [--conns 10,100] [--depth 1]
//             [--duration 1] [--warmup 0.3] [--repeat 1]
//             [--pin 0,1 | --pin none] [--servers protocol,streams]
//             [--baseline PATH]
//
// --pin S,C (default 0,1 on a machine with two or more CPUs): each server
// runs on CPU S and this load generator on CPU C, so that the server's CPU
// time per message is not inflated by migrations between the two. With
// --servers only the bare server and the named ones run. --baseline PATH
// adds a second build of echo_server (e.g. main's) as "protocol@base" and
// "streams@base", run in the same repetitions, for before/after pairs.
// After the medians, paired ratios: each server against the bare server of
// the same repetition, and streams against protocol of the same
// repetition (the figure issue 17 targets).
//
// TLS (--tls-cert CERT --tls-key KEY): the clients speak TLS (OpenSSL
// memory BIOs, verifying nothing) and the servers compared are the bare
// libuv + OpenSSL server (--bare-tls), the library's two servers with
// --tls, and, with --python PYTHON, CPython's asyncio and uvloop (if
// importable) running bench/echo/tls_echo_server.py (--py-server).
//
// Written against libuv directly (not the library under test), single
// threaded. Linux (reads /proc).
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <uv.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

constexpr std::size_t kPattern = 1 << 20;
constexpr std::size_t kReadBuf = 64 * 1024;
std::vector<unsigned char> g_pattern;  // kPattern bytes, then repeated for windows

void make_pattern(std::size_t max_window) {
  g_pattern.resize(kPattern + max_window);
  std::uint32_t x = 2463534242u;
  for (std::size_t i = 0; i < kPattern; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    g_pattern[i] = static_cast<unsigned char>(x);
  }
  for (std::size_t i = kPattern; i < g_pattern.size(); ++i) g_pattern[i] = g_pattern[i - kPattern];
}

struct Run;

SSL_CTX* g_tls = nullptr;  // the clients' TLS context (--tls-cert), or null

// A ciphertext write queued with uv_write (owns its bytes).
struct TlsWrite {
  uv_write_t req{};
  std::vector<char> data;
};

struct Conn {
  Run* run = nullptr;
  uv_tcp_t tcp{};
  uv_connect_t connect_req{};
  SSL* ssl = nullptr;
  BIO* rbio = nullptr;
  BIO* wbio = nullptr;
  bool handshaken = false;
  char plain[kReadBuf];
  std::vector<uv_write_t> write_reqs;
  std::vector<std::uint64_t> send_times;  // ring, by message index % depth
  std::size_t base = 0;                   // where in the pattern this connection's stream starts
  std::uint64_t sent = 0;                 // messages sent
  std::uint64_t completed = 0;            // messages fully echoed
  std::uint64_t recv_offset = 0;          // bytes received
  char buf[kReadBuf];
  bool connected = false;
  bool closed = false;
};

struct Result {
  double msgs_per_s = 0;
  double p50_us = 0;
  double p99_us = 0;
  double cpu_us_per_msg = 0;
  double faults_per_msg = 0;
  std::uint64_t bytes_verified = 0;
  bool ok = false;
  std::string error;
};

struct Run {
  uv_loop_t* loop = nullptr;
  std::size_t size = 0;
  int depth = 1;
  bool measuring = false;
  bool sending = true;
  std::uint64_t measured_msgs = 0;
  std::vector<std::uint32_t> latencies_us;
  std::vector<std::unique_ptr<Conn>> conns;
  int connected = 0;
  std::string error;
  std::uint64_t mismatches = 0;
};

void on_close(uv_handle_t* h) { static_cast<Conn*>(h->data)->closed = true; }

// Sends what OpenSSL produced: at once what the kernel takes, the rest
// queued (copied).
void tls_flush(Conn& c) {
  const std::size_t n = BIO_ctrl_pending(c.wbio);
  if (n == 0) return;
  auto* w = new TlsWrite;
  w->data.resize(n);
  BIO_read(c.wbio, w->data.data(), static_cast<int>(n));
  uv_buf_t b = uv_buf_init(w->data.data(), static_cast<unsigned>(n));
  const int done = uv_try_write(reinterpret_cast<uv_stream_t*>(&c.tcp), &b, 1);
  if (done == static_cast<int>(n)) {
    delete w;
    return;
  }
  if (done < 0 && done != UV_EAGAIN) {
    c.run->error = std::string("write: ") + uv_strerror(done);
    delete w;
    return;
  }
  const std::size_t sent = done > 0 ? static_cast<std::size_t>(done) : 0;
  b = uv_buf_init(w->data.data() + sent, static_cast<unsigned>(n - sent));
  w->req.data = w;
  uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&c.tcp), &b, 1, [](uv_write_t* req, int status) {
    auto* tw = static_cast<TlsWrite*>(req->data);
    if (status < 0) std::fprintf(stderr, "write: %s\n", uv_strerror(status));
    delete tw;
  });
}

void send_message(Conn& c) {
  Run& r = *c.run;
  const std::uint64_t m = c.sent++;
  const std::size_t start = (c.base + m * r.size) % kPattern;
  c.send_times[m % static_cast<std::uint64_t>(r.depth)] = uv_hrtime();
  if (c.ssl) {
    std::size_t written = 0;
    if (SSL_write_ex(c.ssl, &g_pattern[start], r.size, &written) != 1) r.error = "SSL_write failed";
    tls_flush(c);
    return;
  }
  uv_buf_t b = uv_buf_init(reinterpret_cast<char*>(&g_pattern[start]), static_cast<unsigned>(r.size));
  const int n = uv_try_write(reinterpret_cast<uv_stream_t*>(&c.tcp), &b, 1);
  if (n == static_cast<int>(r.size)) return;
  const int written = n > 0 ? n : 0;
  if (n < 0 && n != UV_EAGAIN) {
    r.error = std::string("write: ") + uv_strerror(n);
    return;
  }
  // The pattern memory is static: queue the rest without copying.
  b = uv_buf_init(b.base + written, b.len - static_cast<unsigned>(written));
  uv_write_t* req = &c.write_reqs[m % static_cast<std::uint64_t>(r.depth)];
  req->data = &c;
  uv_write(req, reinterpret_cast<uv_stream_t*>(&c.tcp), &b, 1, [](uv_write_t* w, int status) {
    if (status < 0) static_cast<Conn*>(w->data)->run->error = std::string("write: ") + uv_strerror(status);
  });
}

void on_alloc(uv_handle_t* h, std::size_t, uv_buf_t* buf) {
  auto* c = static_cast<Conn*>(h->data);
  *buf = uv_buf_init(c->buf, kReadBuf);
}

// Bytes echoed back (plaintext), checked and counted.
void on_echoed(Conn* c, const char* data, std::size_t nread) {
  Run& r = *c->run;
  // Every byte is checked against what was sent at that stream offset.
  const std::size_t at = (c->base + c->recv_offset) % kPattern;
  if (std::memcmp(data, &g_pattern[at], nread) != 0) ++r.mismatches;
  c->recv_offset += static_cast<std::uint64_t>(nread);
  const std::uint64_t now = uv_hrtime();
  while (c->completed < c->sent && c->recv_offset >= (c->completed + 1) * r.size) {
    const std::uint64_t t0 = c->send_times[c->completed % static_cast<std::uint64_t>(r.depth)];
    ++c->completed;
    if (r.measuring) {
      ++r.measured_msgs;
      r.latencies_us.push_back(static_cast<std::uint32_t>((now - t0) / 1000));
    }
    if (r.sending) send_message(*c);
  }
}

void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t*) {
  auto* c = static_cast<Conn*>(s->data);
  Run& r = *c->run;
  if (nread == 0) return;
  if (nread < 0) {
    if (r.error.empty()) r.error = std::string("read: ") + uv_strerror(static_cast<int>(nread));
    return;
  }
  if (!c->ssl) {
    on_echoed(c, c->buf, static_cast<std::size_t>(nread));
    return;
  }
  BIO_write(c->rbio, c->buf, static_cast<int>(nread));
  if (!c->handshaken) {
    const int h = SSL_do_handshake(c->ssl);
    tls_flush(*c);
    if (h != 1) {
      if (SSL_get_error(c->ssl, h) != SSL_ERROR_WANT_READ) r.error = "TLS handshake failed";
      return;
    }
    c->handshaken = true;
    c->connected = true;
    ++r.connected;
  }
  for (;;) {
    std::size_t n = 0;
    if (SSL_read_ex(c->ssl, c->plain, sizeof c->plain, &n) != 1) {
      if (SSL_get_error(c->ssl, 0) != SSL_ERROR_WANT_READ && r.error.empty()) r.error = "TLS read failed";
      break;
    }
    on_echoed(c, c->plain, n);
  }
  tls_flush(*c);
}

// The process's CPU time (user + system, clock ticks) and minor page faults.
bool cpu_ticks(pid_t pid, long& ticks, long& faults) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(f, line)) return false;
  const std::size_t close = line.rfind(')');
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 10) faults = std::stol(field);
    if (i == 14) utime = std::stol(field);
    if (i == 15) stime = std::stol(field);
  }
  ticks = utime + stime;
  return true;
}

struct Server {
  pid_t pid = -1;
  int port = 0;
};

int g_server_cpu = -1;  // --pin: the servers' CPU (-1: not pinned)

// Pins the calling process (pid 0) or `pid` to `cpu`; false if it cannot.
bool pin_to(pid_t pid, int cpu) {
  if (cpu < 0) return true;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return ::sched_setaffinity(pid, sizeof set, &set) == 0;
}

Server start_server(const std::vector<std::string>& argv) {
  int out[2];
  if (::pipe(out) != 0) return {};
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (!pin_to(0, g_server_cpu)) std::perror("sched_setaffinity (server)");
    ::dup2(out[1], 1);
    ::close(out[0]);
    ::close(out[1]);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    std::perror("execv");
    std::_Exit(127);
  }
  ::close(out[1]);
  // Read "listening on HOST:PORT" (wait at most 10 s).
  std::string line;
  char ch;
  pollfd p{out[0], POLLIN, 0};
  while (line.find('\n') == std::string::npos && ::poll(&p, 1, 10000) > 0 && ::read(out[0], &ch, 1) == 1) line += ch;
  ::close(out[0]);
  Server s;
  s.pid = pid;
  const std::size_t colon = line.rfind(':');
  if (line.rfind("listening on ", 0) != 0 || colon == std::string::npos) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    s.pid = -1;
    return s;
  }
  s.port = std::atoi(line.c_str() + colon + 1);
  return s;
}

void stop_server(Server& s) {
  if (s.pid <= 0) return;
  ::kill(s.pid, SIGTERM);
  ::waitpid(s.pid, nullptr, 0);
  s.pid = -1;
}

Result run_load(const Server& server, std::size_t size, int nconns, int depth, double warmup, double duration) {
  Result res;
  uv_loop_t loop;
  uv_loop_init(&loop);
  Run r;
  r.loop = &loop;
  r.size = size;
  r.depth = depth;
  sockaddr_in addr{};
  uv_ip4_addr("127.0.0.1", server.port, &addr);
  for (int i = 0; i < nconns; ++i) {
    auto c = std::make_unique<Conn>();
    c->run = &r;
    c->write_reqs.resize(static_cast<std::size_t>(depth));
    c->send_times.resize(static_cast<std::size_t>(depth));
    c->base = (static_cast<std::size_t>(i) * 7919) % kPattern;
    uv_tcp_init(&loop, &c->tcp);
    c->tcp.data = c.get();
    c->connect_req.data = c.get();
    uv_tcp_connect(&c->connect_req, &c->tcp, reinterpret_cast<sockaddr*>(&addr), [](uv_connect_t* req, int status) {
      auto* conn = static_cast<Conn*>(req->data);
      if (status < 0) {
        conn->run->error = std::string("connect: ") + uv_strerror(status);
        return;
      }
      uv_tcp_nodelay(&conn->tcp, 1);
      uv_read_start(reinterpret_cast<uv_stream_t*>(&conn->tcp), on_alloc, on_read);
      if (g_tls) {
        // Connected once the handshake is done (on_read).
        conn->ssl = SSL_new(g_tls);
        conn->rbio = BIO_new(BIO_s_mem());
        conn->wbio = BIO_new(BIO_s_mem());
        SSL_set_bio(conn->ssl, conn->rbio, conn->wbio);
        SSL_set_connect_state(conn->ssl);
        SSL_do_handshake(conn->ssl);
        tls_flush(*conn);
        return;
      }
      conn->connected = true;
      ++conn->run->connected;
    });
    r.conns.push_back(std::move(c));
  }
  while (r.connected < nconns && r.error.empty()) uv_run(&loop, UV_RUN_ONCE);
  if (!r.error.empty()) {
    res.error = r.error;
    return res;
  }
  for (auto& c : r.conns)
    for (int k = 0; k < depth; ++k) send_message(*c);

  const std::uint64_t start = uv_hrtime();
  const std::uint64_t measure_at = start + static_cast<std::uint64_t>(warmup * 1e9);
  const std::uint64_t stop_at = measure_at + static_cast<std::uint64_t>(duration * 1e9);
  long ticks0 = 0, ticks1 = 0, faults0 = 0, faults1 = 0;
  std::uint64_t t0 = 0, t1 = 0;
  uv_timer_t tick;
  uv_timer_init(&loop, &tick);
  uv_timer_start(&tick, [](uv_timer_t*) {}, 10, 10);  // wakes the loop to check the clock
  while (r.error.empty()) {
    uv_run(&loop, UV_RUN_ONCE);
    const std::uint64_t now = uv_hrtime();
    if (!r.measuring && t0 == 0 && now >= measure_at) {
      cpu_ticks(server.pid, ticks0, faults0);
      t0 = now;
      r.measuring = true;
    }
    if (r.measuring && now >= stop_at) {
      cpu_ticks(server.pid, ticks1, faults1);
      t1 = now;
      r.measuring = false;
      r.sending = false;
      break;
    }
  }
  // Drain what is in flight, at most 10 s.
  const std::uint64_t drain_until = uv_hrtime() + 10'000'000'000ull;
  auto all_done = [&] {
    for (auto& c : r.conns)
      if (c->completed < c->sent) return false;
    return true;
  };
  while (r.error.empty() && !all_done() && uv_hrtime() < drain_until) uv_run(&loop, UV_RUN_ONCE);
  uv_timer_stop(&tick);
  uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
  std::uint64_t sent_bytes = 0;
  for (auto& c : r.conns) {
    res.bytes_verified += c->recv_offset;
    sent_bytes += c->sent * size;
    uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), on_close);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  for (auto& c : r.conns)
    if (c->ssl) SSL_free(c->ssl);

  if (!r.error.empty()) {
    res.error = r.error;
    return res;
  }
  if (r.mismatches != 0 || res.bytes_verified != sent_bytes || !all_done()) {
    res.error = "data check failed: " + std::to_string(r.mismatches) + " corrupt reads, " +
                std::to_string(res.bytes_verified) + " of " + std::to_string(sent_bytes) + " bytes echoed";
    return res;
  }
  const double secs = static_cast<double>(t1 - t0) / 1e9;
  res.msgs_per_s = static_cast<double>(r.measured_msgs) / secs;
  std::sort(r.latencies_us.begin(), r.latencies_us.end());
  if (!r.latencies_us.empty()) {
    res.p50_us = r.latencies_us[r.latencies_us.size() / 2];
    res.p99_us = r.latencies_us[std::min(r.latencies_us.size() - 1, r.latencies_us.size() * 99 / 100)];
  }
  const double cpu_s = static_cast<double>(ticks1 - ticks0) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  res.cpu_us_per_msg = r.measured_msgs ? cpu_s * 1e6 / static_cast<double>(r.measured_msgs) : 0;
  res.faults_per_msg = r.measured_msgs ? static_cast<double>(faults1 - faults0) / static_cast<double>(r.measured_msgs) : 0;
  res.ok = true;
  return res;
}

std::vector<long> parse_list(const std::string& s) {
  std::vector<long> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(std::stol(item));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string bare, server, tls_cert, tls_key, bare_tls, python, py_server;
  std::vector<long> sizes{1024, 65536}, conns{10, 100};
  int depth = 1, repeat = 1;
  double duration = 1.0, warmup = 0.3;
  std::string pin = ::sysconf(_SC_NPROCESSORS_ONLN) >= 2 ? "0,1" : "none";
  std::string only, baseline;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const std::string v = argv[i + 1];
    if (a == "--bare") bare = v;
    else if (a == "--server") server = v;
    else if (a == "--sizes") sizes = parse_list(v);
    else if (a == "--conns") conns = parse_list(v);
    else if (a == "--depth") depth = std::atoi(v.c_str());
    else if (a == "--duration") duration = std::atof(v.c_str());
    else if (a == "--warmup") warmup = std::atof(v.c_str());
    else if (a == "--repeat") repeat = std::atoi(v.c_str());
    else if (a == "--tls-cert") tls_cert = v;
    else if (a == "--tls-key") tls_key = v;
    else if (a == "--bare-tls") bare_tls = v;
    else if (a == "--python") python = v;
    else if (a == "--py-server") py_server = v;
    else if (a == "--pin") pin = v;
    else if (a == "--servers") only = v;
    else if (a == "--baseline") baseline = v;
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  const bool tls = !tls_cert.empty();
  if (server.empty() || (!tls && bare.empty()) || (tls && (tls_key.empty() || bare_tls.empty()))) {
    std::fprintf(stderr, "usage: echo_load --bare PATH --server PATH [--sizes 1024,65536] [--conns 10,100] "
                         "[--depth 1] [--duration 1] [--warmup 0.3] [--repeat 1] [--pin S,C|none] "
                         "[--servers protocol,streams] [--baseline PATH]\n"
                         "       echo_load --tls-cert CERT --tls-key KEY --bare-tls PATH --server PATH "
                         "[--python PYTHON --py-server tls_echo_server.py] [...]\n");
    return 2;
  }
  if (tls) {
    g_tls = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(g_tls, SSL_VERIFY_NONE, nullptr);
  }
  ::signal(SIGPIPE, SIG_IGN);
  if (pin != "none") {
    const std::size_t comma = pin.find(',');
    g_server_cpu = std::atoi(pin.c_str());
    const int client_cpu = comma == std::string::npos ? -1 : std::atoi(pin.c_str() + comma + 1);
    if (!pin_to(0, client_cpu)) std::perror("sched_setaffinity (client)");
    std::printf("pinned: servers on CPU %d, load generator on CPU %d\n", g_server_cpu, client_cpu);
  }
  make_pattern(static_cast<std::size_t>(*std::max_element(sizes.begin(), sizes.end())) + kReadBuf);
  struct Variant {
    std::string name;
    std::vector<std::string> argv;
  };
  std::vector<Variant> variants;
  if (!tls) {
    variants = {
        {"bare-libuv", {bare, "--host", "127.0.0.1", "--port", "0"}},
        {"protocol", {server, "--api", "protocol", "--host", "127.0.0.1", "--port", "0"}},
        {"streams", {server, "--api", "streams", "--host", "127.0.0.1", "--port", "0"}},
    };
    if (!baseline.empty()) {
      variants.push_back({"protocol@base", {baseline, "--api", "protocol", "--host", "127.0.0.1", "--port", "0"}});
      variants.push_back({"streams@base", {baseline, "--api", "streams", "--host", "127.0.0.1", "--port", "0"}});
    }
  } else {
    variants = {
        {"bare-tls", {bare_tls, "--cert", tls_cert, "--key", tls_key, "--host", "127.0.0.1", "--port", "0"}},
        {"protocol", {server, "--api", "protocol", "--host", "127.0.0.1", "--port", "0", "--tls", tls_cert, tls_key}},
        {"streams", {server, "--api", "streams", "--host", "127.0.0.1", "--port", "0", "--tls", tls_cert, tls_key}},
    };
    if (!python.empty() && !py_server.empty()) {
      variants.push_back({"cpython", {python, py_server, "--cert", tls_cert, "--key", tls_key}});
      const std::string probe = python + " -c 'import uvloop' 2>/dev/null";
      if (std::system(probe.c_str()) == 0) {
        variants.push_back({"uvloop", {python, py_server, "--cert", tls_cert, "--key", tls_key, "--uvloop"}});
      } else {
        std::fprintf(stderr, "uvloop is not importable by %s: skipped (Debian: apt-get install python3-uvloop)\n",
                     python.c_str());
      }
    }
  }
  const std::string bare_name = tls ? "bare-tls" : "bare-libuv";
  if (!only.empty()) {
    // --servers: the bare server and the named ones (a name matches its
    // @base twin too).
    const std::string list = "," + only + ",";
    std::erase_if(variants, [&](const Variant& v) {
      const std::string plain = v.name.substr(0, v.name.find('@'));
      return v.name != bare_name && list.find("," + plain + ",") == std::string::npos;
    });
  }
  std::printf("%-7s %-6s %-11s %10s %9s %9s %12s %7s %11s\n", "size", "conns", "server", "msgs/s", "p50 us",
              "p99 us", "cpu us/msg", "vs bare", "faults/msg");
  int failures = 0;
  for (long size : sizes) {
    for (long n : conns) {
      // Each server `repeat` times, interleaved; the median CPU per message.
      std::map<std::string, std::vector<Result>> results;
      for (int rep = 0; rep < repeat; ++rep) {
        for (const Variant& v : variants) {
          Server s = start_server(v.argv);
          if (s.pid <= 0) {
            std::fprintf(stderr, "could not start %s\n", v.name.c_str());
            return 1;
          }
          results[v.name].push_back(run_load(s, static_cast<std::size_t>(size), static_cast<int>(n), depth, warmup, duration));
          stop_server(s);
        }
      }
      // Paired ratios: each repetition's server against the bare server of
      // the same repetition (run next to it), so that load changes between
      // repetitions cancel out; their median and spread are printed last.
      std::map<std::string, std::vector<double>> pair_ratios;
      for (const Variant& v : variants) {
        if (v.name == bare_name) continue;
        for (int rep = 0; rep < repeat; ++rep) {
          const Result& a = results[v.name][static_cast<std::size_t>(rep)];
          const Result& b = results[bare_name][static_cast<std::size_t>(rep)];
          if (a.ok && b.ok && b.cpu_us_per_msg > 0) pair_ratios[v.name].push_back(a.cpu_us_per_msg / b.cpu_us_per_msg);
        }
      }
      double bare_cpu = 0;
      for (const Variant& v : variants) {
        auto rs = results[v.name];  // a copy: the pairs above index the repetitions
        std::sort(rs.begin(), rs.end(), [](const Result& a, const Result& b) { return a.cpu_us_per_msg < b.cpu_us_per_msg; });
        const Result& r = rs[rs.size() / 2];
        if (!r.ok) {
          std::printf("%-7ld %-6ld %-11s FAILED: %s\n", size, n, v.name.c_str(), r.error.c_str());
          ++failures;
          continue;
        }
        if (v.name == bare_name) bare_cpu = r.cpu_us_per_msg;
        char ratio[16] = "";
        if (v.name != bare_name && bare_cpu > 0) std::snprintf(ratio, sizeof ratio, "%.2fx", r.cpu_us_per_msg / bare_cpu);
        std::printf("%-7ld %-6ld %-11s %10.0f %9.0f %9.0f %12.2f %7s %11.2f\n", size, n, v.name.c_str(),
                    r.msgs_per_s, r.p50_us, r.p99_us, r.cpu_us_per_msg, ratio, r.faults_per_msg);
        std::fflush(stdout);
      }
      // Streams against protocol of the same repetition (issue 17's target:
      // <= 1.10x), for this build and the baseline's.
      for (const char* suffix : {"", "@base"}) {
        const std::string sname = std::string("streams") + suffix, pname = std::string("protocol") + suffix;
        if (!results.count(sname) || !results.count(pname)) continue;
        std::vector<double>& out = pair_ratios[sname + " vs " + pname];
        for (int rep = 0; rep < repeat; ++rep) {
          const Result& a = results[sname][static_cast<std::size_t>(rep)];
          const Result& b = results[pname][static_cast<std::size_t>(rep)];
          if (a.ok && b.ok && b.cpu_us_per_msg > 0) out.push_back(a.cpu_us_per_msg / b.cpu_us_per_msg);
        }
      }
      for (auto& [name, rs] : pair_ratios) {
        if (rs.empty()) continue;
        std::string all;
        for (double x : rs) all += " " + std::to_string(x).substr(0, 4);
        std::sort(rs.begin(), rs.end());
        const bool vs_other = name.find(" vs ") != std::string::npos;
        std::printf("%-7ld %-6ld %s%s: median %.2fx, min %.2fx, max %.2fx (%zu pairs:%s)\n", size, n, name.c_str(),
                    vs_other ? "" : " vs bare", rs[rs.size() / 2], rs.front(), rs.back(), rs.size(), all.c_str());
      }
      std::fflush(stdout);
    }
  }
  return failures == 0 ? 0 : 1;
}
