// Memory per idle TLS connection: N connections opened to a TLS server in
// the same process, one message exchanged each way, then left idle; the
// heap (glibc mallinfo2) and RSS grow by this much per connection pair
// (the client's end and the server's end, each with its transport, TLS
// layer, OpenSSL session and protocol). The same run without TLS gives
// the plain TCP cost for comparison.
//
//   tests/examples/make_test_certs.sh /tmp/certs
//   bench_tls_memory /tmp/certs/server.pem /tmp/certs/server.key [N]   (default 2000)
//
// bench/python/tls_memory.py measures CPython's asyncio the same way.
#include <asyncio/asyncio.hpp>
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace {

struct Usage {
  double heap = 0;  // bytes allocated (mallinfo2: arena + mmapped)
  double rss = 0;   // resident bytes
};

Usage usage() {
  malloc_trim(0);
  const struct mallinfo2 mi = mallinfo2();
  long pages = 0, resident = 0;
  std::ifstream statm("/proc/self/statm");
  statm >> pages >> resident;
  return {static_cast<double>(mi.uordblks + mi.hblkhd), static_cast<double>(resident) * ::sysconf(_SC_PAGESIZE)};
}

// Echoes one message, then idles holding its transport.
class Peer : public asyncio::Protocol {
 public:
  explicit Peer(int* replies = nullptr) : replies_(replies) {}
  void connection_made(std::shared_ptr<asyncio::Transport> t) override {
    transport = std::move(t);
    if (replies_) transport->write("ping");
  }
  void data_received(std::string_view data) override {
    if (replies_) {
      ++*replies_;
    } else {
      transport->write(data);
    }
  }
  void connection_lost(std::exception_ptr) override { transport.reset(); }
  std::shared_ptr<asyncio::Transport> transport;

 private:
  int* replies_;
};

asyncio::Coro<Usage> open_idle(int n, std::shared_ptr<asyncio::SSLContext> server_ctx,
                               std::shared_ptr<asyncio::SSLContext> client_ctx, bool measure) {
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  std::vector<std::shared_ptr<Peer>> server_side;
  auto factory = [&server_side] {
    server_side.push_back(std::make_shared<Peer>());
    return server_side.back();
  };
  asyncio::ServerOptions so;
  so.ssl = server_ctx;
  so.backlog = 4096;
  auto serving = loop.create_server(factory, "127.0.0.1", 0, so);
  auto server = co_await std::move(serving);
  const int port = server->sockets().at(0).getsockname().port;
  co_await asyncio::sleep(0.05);
  const Usage before = usage();
  int replies = 0;
  std::vector<std::shared_ptr<asyncio::Transport>> clients;
  for (int i = 0; i < n; ++i) {
    asyncio::ConnectionOptions co;
    co.ssl = client_ctx;
    if (client_ctx) co.server_hostname = "localhost";
    auto client_factory = [&replies] { return std::make_shared<Peer>(&replies); };
    auto connecting = loop.create_connection(client_factory, "127.0.0.1", port, co);
    auto [transport, protocol] = co_await std::move(connecting);
    clients.push_back(transport);
  }
  while (replies < n) co_await asyncio::sleep(0.01);
  co_await asyncio::sleep(0.2);  // idle
  const Usage after = usage();
  Usage per{(after.heap - before.heap) / n, (after.rss - before.rss) / n};
  if (measure) {
    std::printf("%-5s %6d connections: heap %7.0f B, RSS %7.0f B per connection pair\n", client_ctx ? "TLS" : "TCP", n,
                per.heap, per.rss);
  }
  for (auto& c : clients) c->close();
  server->close();
  server->close_clients();
  co_await server->wait_closed();
  co_return per;
}

asyncio::Coro<> run(int n, std::string cert, std::string key) {
  auto server_ctx = std::make_shared<asyncio::SSLContext>(asyncio::PROTOCOL_TLS_SERVER);
  server_ctx->load_cert_chain(cert, key);
  auto client_ctx = std::make_shared<asyncio::SSLContext>(asyncio::PROTOCOL_TLS_CLIENT);
  client_ctx->set_check_hostname(false);
  client_ctx->set_verify_mode(asyncio::CERT_NONE);
  // Warm up: OpenSSL's lazy initialization, the loop's pools.
  (void)co_await open_idle(50, server_ctx, client_ctx, false);
  (void)co_await open_idle(50, nullptr, nullptr, false);
  const Usage plain = co_await open_idle(n, nullptr, nullptr, true);
  const Usage tls = co_await open_idle(n, server_ctx, client_ctx, true);
  std::printf("TLS adds %.0f B of heap per connection pair (%.0f B per end)\n", tls.heap - plain.heap,
              (tls.heap - plain.heap) / 2);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_tls_memory CERT KEY [N]\n");
    return 2;
  }
  const int n = argc > 3 ? std::atoi(argv[3]) : 2000;
  rlimit r{};
  getrlimit(RLIMIT_NOFILE, &r);
  r.rlim_cur = r.rlim_max;
  setrlimit(RLIMIT_NOFILE, &r);
  asyncio::run(run(n, argv[1], argv[2]));
}
