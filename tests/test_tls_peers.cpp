// TLS against peers no one here wrote: the library's client against
// `openssl s_server`, its server against `openssl s_client` and `curl`,
// with the test fixture's throw-away CA (tests/tls_support.hpp).
//
// Scenarios (issue 14): verified connections over TLS 1.3 and 1.2, hostname
// mismatch, expired certificate, unknown CA, client certificate required
// (missing and given), ALPN, SNI, STARTTLS (plain, then upgrade), each side
// closing first (and a peer vanishing without close_notify), renegotiation
// refused, 64 MiB each way with checksums, 500 concurrent connections.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tls_support.hpp"

using asyncio::Coro;
using asyncio::EventLoop;
using test::LoopFixture;
using test::tls::PeerProcess;

namespace {

// A free loopback port (bound, read, released: a peer listens on it next).
int free_port() {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

// Waits until a socket listens on 127.0.0.1:`port` (read from
// /proc/net/tcp: a probe connection would use up a one-shot server's accept).
bool wait_listening(int port, double timeout = 20.0) {
  char want[32];
  std::snprintf(want, sizeof want, "0100007F:%04X", port);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream tcp("/proc/net/tcp");
    std::string line;
    while (std::getline(tcp, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state;
      fields >> slot >> local >> remote >> state;
      if (local == want && state == "0A") return true;  // TCP_LISTEN
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// `openssl s_server` on a free port, quiet: its stdout is exactly what
// the client sent, its stdin what it sends. One connection, then it exits.
struct SServer {
  int port = free_port();
  std::unique_ptr<PeerProcess> proc;
  explicit SServer(std::vector<std::string> extra = {}, std::string cert = test::tls::certs().server_cert,
                   std::string key = test::tls::certs().server_key) {
    std::vector<std::string> argv{"openssl", "s_server", "-quiet",  "-naccept", "1",  "-accept",
                                  "127.0.0.1:" + std::to_string(port), "-cert", cert, "-key", key};
    for (std::string& e : extra) argv.push_back(std::move(e));
    proc = std::make_unique<PeerProcess>(argv);
    if (!wait_listening(port)) throw std::runtime_error("openssl s_server did not start: " + proc->err());
  }
};

// The library's client context for the test CA.
std::shared_ptr<asyncio::SSLContext> client_ctx() { return test::tls::client_context(); }

Coro<std::pair<asyncio::StreamReader, asyncio::StreamWriter>> connect_tls(int port,
                                                                          std::shared_ptr<asyncio::SSLContext> ctx,
                                                                          std::optional<std::string> hostname) {
  asyncio::OpenConnectionOptions o;
  o.ssl = std::move(ctx);
  o.server_hostname = std::move(hostname);
  auto opening = asyncio::open_connection("127.0.0.1", port, o);
  co_return co_await std::move(opening);
}

Coro<std::exception_ptr> connect_error(int port, std::shared_ptr<asyncio::SSLContext> ctx,
                                       std::optional<std::string> hostname) {
  auto connecting = connect_tls(port, std::move(ctx), std::move(hostname));
  co_return co_await test::error_of(std::move(connecting));
}

std::string sha256(std::string_view data) { return test::tls::sha256_hex(data); }

// Pseudo-random bytes (xorshift), different per seed.
std::string pattern(std::size_t n, std::uint32_t seed) {
  std::string s(n, '\0');
  std::uint32_t x = seed | 1;
  for (std::size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    s[i] = static_cast<char>(x);
  }
  return s;
}

template <class E>
bool is(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const E&) {
    return true;
  } catch (...) {
    return false;
  }
}

std::string verify_message(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const asyncio::SSLCertVerificationError& ex) {
    return ex.verify_message();
  } catch (...) {
    return "not a certificate error: " + test::message_of(e);
  }
}

}  // namespace

// ===========================================================================
// The library's client against openssl s_server
// ===========================================================================

TEST_CASE("tls client: a verified TLS 1.3 connection to openssl s_server exchanges data both ways",
          "[tls_peers][net][tls]") {
  LoopFixture f;
  SServer srv;
  test::run_net(f, [](SServer* s) -> Coro<> {
    auto connecting = connect_tls(s->port, client_ctx(), "localhost");
    auto [reader, writer] = co_await std::move(connecting);
    writer.write("hello s_server\n");
    co_await writer.drain();
    s->proc->write_stdin("hello client\n");
    const std::string line = co_await reader.readline();
    CHECK(line == "hello client\n");
    auto obj = std::any_cast<std::shared_ptr<asyncio::SSLObject>>(writer.get_extra_info("ssl_object"));
    CHECK(obj->version() == std::optional<std::string>("TLSv1.3"));
    CHECK(obj->cipher()->protocol == "TLSv1.3");
    auto cert = std::any_cast<std::optional<asyncio::PeerCertificate>>(writer.get_extra_info("peercert"));
    REQUIRE(cert);
    CHECK(cert->subject_value("commonName") == std::optional<std::string>("localhost"));
    CHECK(!obj->server_side());
    CHECK(obj->server_hostname() == std::optional<std::string>("localhost"));
    writer.close();
    co_await writer.wait_closed();
  }(&srv));
  srv.proc->wait();
  CHECK(srv.proc->out() == "hello s_server\n");
}

TEST_CASE("tls client: TLS 1.2 when the server only speaks TLS 1.2, maximum_version is honoured",
          "[tls_peers][net][tls]") {
  LoopFixture f;
  SServer srv({"-tls1_2"});
  test::run_net(f, [](SServer* s) -> Coro<> {
    auto connecting = connect_tls(s->port, client_ctx(), "localhost");
    auto [reader, writer] = co_await std::move(connecting);
    auto obj = std::any_cast<std::shared_ptr<asyncio::SSLObject>>(writer.get_extra_info("ssl_object"));
    CHECK(obj->version() == std::optional<std::string>("TLSv1.2"));
    CHECK_THAT(obj->cipher()->name, Catch::Matchers::StartsWith("ECDHE-ECDSA-"));
    writer.write("over 1.2\n");
    co_await writer.drain();
    writer.close();
    co_await writer.wait_closed();
  }(&srv));
  srv.proc->wait();
  CHECK(srv.proc->out() == "over 1.2\n");

  // A client limited to TLS 1.2 against a TLS 1.3-only server fails.
  SServer srv13({"-tls1_3"});
  std::exception_ptr error = test::run_net(f, [](int port) -> Coro<std::exception_ptr> {
    auto ctx = client_ctx();
    ctx->set_maximum_version(asyncio::TLSVersion::TLSv1_2);
    CHECK(ctx->maximum_version() == asyncio::TLSVersion::TLSv1_2);
    co_return co_await connect_error(port, ctx, "localhost");
  }(srv13.port));
  REQUIRE(error);
  CHECK(is<asyncio::SSLError>(error));
  CHECK_THAT(test::message_of(error), Catch::Matchers::Contains("PROTOCOL_VERSION"));
}

TEST_CASE("tls client: certificate errors name the reason (hostname mismatch, expired, unknown CA)",
          "[tls_peers][net][tls]") {
  const test::tls::Certs& c = test::tls::certs();
  struct Case {
    std::string cert, key;
    std::string hostname;
    std::string reason;
  };
  const std::vector<Case> cases{
      {c.wrong_name_cert, c.wrong_name_key, "localhost", "Hostname mismatch, certificate is not valid for 'localhost'."},
      {c.wrong_name_cert, c.wrong_name_key, "127.0.0.1", "IP address mismatch, certificate is not valid for '127.0.0.1'."},
      {c.expired_cert, c.expired_key, "localhost", "certificate has expired"},
      {c.unknown_ca_cert, c.unknown_ca_key, "localhost", "unable to get local issuer certificate"},
  };
  for (const Case& k : cases) {
    INFO(k.reason);
    LoopFixture f;
    SServer srv({}, k.cert, k.key);
    std::exception_ptr error = test::run_net(f, connect_error(srv.port, client_ctx(), k.hostname));
    REQUIRE(error);
    REQUIRE(is<asyncio::SSLCertVerificationError>(error));
    CHECK(verify_message(error) == k.reason);
    CHECK(test::message_of(error) == "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: " + k.reason);
    CHECK(f.errors.empty());  // an OSError: reported in debug mode only
    srv.proc->wait();
    // The peer was told why (the alert is sent before closing).
    CHECK_THAT(srv.proc->err(), Catch::Matchers::Contains("alert"));
  }
}

TEST_CASE("tls client: a server requiring a client certificate: refused without one, accepted with one",
          "[tls_peers][net][tls]") {
  const test::tls::Certs& c = test::tls::certs();
  {
    LoopFixture f;
    SServer srv({"-Verify", "1", "-verify_return_error", "-CAfile", c.ca_cert});
    std::exception_ptr error = test::run_net(f, [](int port) -> Coro<std::exception_ptr> {
      // TLS 1.3: the client finishes its handshake first; the server's
      // refusal arrives as an alert on the first read.
      std::exception_ptr err;
      try {
        auto connecting = connect_tls(port, client_ctx(), "localhost");
        auto [reader, writer] = co_await std::move(connecting);
        std::string data = co_await reader.read();
        CHECK(data.empty());
      } catch (...) {
        err = std::current_exception();
      }
      co_return err;
    }(srv.port));
    REQUIRE(error);
    CHECK(is<asyncio::SSLError>(error));
    CHECK_THAT(test::message_of(error), Catch::Matchers::Contains("CERTIFICATE_REQUIRED"));
    srv.proc->wait();
  }
  {
    LoopFixture f;
    SServer srv({"-Verify", "1", "-verify_return_error", "-CAfile", c.ca_cert});
    test::run_net(f, [](SServer* s) -> Coro<> {
      auto ctx = client_ctx();
      ctx->load_cert_chain(test::tls::certs().client_cert, test::tls::certs().client_key);
      auto connecting = connect_tls(s->port, ctx, "localhost");
      auto [reader, writer] = co_await std::move(connecting);
      writer.write("with a certificate\n");
      co_await writer.drain();
      s->proc->write_stdin("welcome\n");
      const std::string line = co_await reader.readline();
      CHECK(line == "welcome\n");
      writer.close();
      co_await writer.wait_closed();
    }(&srv));
    srv.proc->wait();
    CHECK(srv.proc->out() == "with a certificate\n");
  }
}

TEST_CASE("tls client: ALPN agrees on the server's choice, SNI selects the server's certificate",
          "[tls_peers][net][tls]") {
  const test::tls::Certs& c = test::tls::certs();
  {
    LoopFixture f;
    SServer srv({"-alpn", "http/1.1,spdy/1"});
    test::run_net(f, [](int port) -> Coro<> {
      auto ctx = client_ctx();
      ctx->set_alpn_protocols({"h2", "http/1.1"});
      auto connecting = connect_tls(port, ctx, "localhost");
      auto [reader, writer] = co_await std::move(connecting);
      auto obj = std::any_cast<std::shared_ptr<asyncio::SSLObject>>(writer.get_extra_info("ssl_object"));
      CHECK(obj->selected_alpn_protocol() == std::optional<std::string>("http/1.1"));
      writer.close();
      co_await writer.wait_closed();
    }(srv.port));
    srv.proc->wait();
  }
  {
    // s_server presents cert2 to clients asking for -servername.
    LoopFixture f;
    SServer srv({"-servername", "other.localhost", "-cert2", c.other_cert, "-key2", c.other_key});
    test::run_net(f, [](int port) -> Coro<> {
      auto connecting = connect_tls(port, client_ctx(), "other.localhost");
      auto [reader, writer] = co_await std::move(connecting);
      auto cert = std::any_cast<std::optional<asyncio::PeerCertificate>>(writer.get_extra_info("peercert"));
      REQUIRE(cert);
      CHECK(cert->subject_value("commonName") == std::optional<std::string>("other.localhost"));
      writer.close();
      co_await writer.wait_closed();
    }(srv.port));
    srv.proc->wait();
  }
}

TEST_CASE("tls client: a peer that vanishes without close_notify is an EOF, as in CPython (truncation)",
          "[tls_peers][net][tls]") {
  LoopFixture f;
  SServer srv;
  test::run_net(f, [](SServer* s) -> Coro<> {
    auto connecting = connect_tls(s->port, client_ctx(), "localhost");
    auto [reader, writer] = co_await std::move(connecting);
    s->proc->write_stdin("last words\n");
    const std::string line = co_await reader.readline();
    CHECK(line == "last words\n");
    s->proc->kill(SIGKILL);  // the kernel closes the socket: FIN, no close_notify
    const std::string rest = co_await reader.read();
    CHECK(rest.empty());
    CHECK(reader.at_eof());
    co_await writer.wait_closed();  // connection_lost(None): no error
  }(&srv));
  CHECK(f.errors.empty());
}

TEST_CASE("tls client: renegotiation requested by a TLS 1.2 server is refused (the server then gives up)",
          "[tls_peers][net][tls]") {
  LoopFixture f;
  // Not quiet: s_server reads commands from stdin ("r" renegotiates).
  const int port = free_port();
  PeerProcess proc({"openssl", "s_server", "-naccept", "1", "-tls1_2", "-accept", "127.0.0.1:" + std::to_string(port),
                    "-cert", test::tls::certs().server_cert, "-key", test::tls::certs().server_key});
  REQUIRE(wait_listening(port));
  std::exception_ptr error = test::run_net(f, [](PeerProcess* p, int port_) -> Coro<std::exception_ptr> {
    auto connecting = connect_tls(port_, client_ctx(), "localhost");
    auto [reader, writer] = co_await std::move(connecting);
    writer.write("before\n");
    co_await writer.drain();
    auto arrived = [p] { return p->out().find("before") != std::string::npos; };
    co_await test::wait_until(arrived, 10.0);
    p->write_stdin("r\n");  // SSL_renegotiate: a HelloRequest
    // The client answers no_renegotiation; s_server cannot go on without
    // the new handshake and fails the connection.
    std::exception_ptr err = co_await test::error_of(reader.read());
    writer.close();
    co_return err;
  }(&proc, port));
  proc.wait(20);  // -naccept 1: it exits once the connection ended
  UNSCOPED_INFO("s_server stdout: " << proc.out());
  UNSCOPED_INFO("s_server stderr: " << proc.err());
  REQUIRE(error);
  CHECK(is<asyncio::SSLError>(error));
  CHECK_THAT(test::message_of(error), Catch::Matchers::Contains("HANDSHAKE_FAILURE"));
  CHECK_THAT(proc.out() + proc.err(), Catch::Matchers::Contains("no renegotiation"));
}

TEST_CASE("tls client: 64 MiB each way through openssl s_server, checked with SHA-256", "[tls_peers][net][tls]") {
  constexpr std::size_t kSize = 64 * 1024 * 1024;
  const std::string up = pattern(kSize, 1);
  const std::string down = pattern(kSize, 2);
  LoopFixture f;
  SServer srv;
  std::thread feeder;
  std::string received;
  test::run_net(
      f,
      [](SServer* s, const std::string* up_data, const std::string* down_data, std::thread* feed,
         std::string* got) -> Coro<> {
        auto connecting = connect_tls(s->port, client_ctx(), "localhost");
        auto [reader, writer] = co_await std::move(connecting);
        PeerProcess* proc = s->proc.get();
        *feed = std::thread([proc, down_data] { proc->write_stdin(*down_data); });
        // Send in 1 MiB writes with drain(), while reading.
        auto sending = [](asyncio::StreamWriter w, const std::string* data) -> Coro<> {
          for (std::size_t off = 0; off < data->size(); off += 1024 * 1024) {
            w.write(std::string_view(*data).substr(off, 1024 * 1024));
            co_await w.drain();
          }
        };
        auto sender = asyncio::create_task(sending(writer, up_data));
        *got = co_await reader.readexactly(static_cast<std::int64_t>(down_data->size()));
        co_await sender;
        auto all_there = [proc, up_data] { return proc->out().size() >= up_data->size(); };
        const bool arrived = co_await test::wait_until(all_there, 60.0, 0.01);
        CHECK(arrived);
        writer.close();
        co_await writer.wait_closed();
      }(&srv, &up, &down, &feeder, &received),
      240);
  if (feeder.joinable()) feeder.join();
  srv.proc->wait();
  CHECK(sha256(received) == sha256(down));
  const std::string out = srv.proc->out();
  CHECK(out.size() == kSize);
  CHECK(sha256(out) == sha256(up));
}

// ===========================================================================
// The library's server against openssl s_client and curl
// ===========================================================================

namespace {

Coro<std::shared_ptr<asyncio::Server>> echo_server(std::shared_ptr<asyncio::SSLContext> ctx, int* connections) {
  auto handler = [connections](asyncio::StreamReader reader, asyncio::StreamWriter writer) -> Coro<> {
    ++*connections;
    try {
      for (;;) {
        std::string line = co_await reader.readline();
        if (line.empty()) break;
        writer.write("echo: " + line);
        co_await writer.drain();
      }
    } catch (const std::system_error&) {
    }
    writer.close();
  };
  asyncio::StartServerOptions so;
  so.ssl = std::move(ctx);
  auto serving = asyncio::start_server(handler, "127.0.0.1", 0, so);
  co_return co_await std::move(serving);
}

// Runs `openssl s_client` against 127.0.0.1:port with `input` on stdin;
// brief mode: connection details on stderr, data on stdout; stdin EOF
// closes the connection.
std::unique_ptr<PeerProcess> s_client(int port, std::vector<std::string> extra) {
  std::vector<std::string> argv{"openssl", "s_client", "-brief", "-connect", "127.0.0.1:" + std::to_string(port),
                                "-CAfile", test::tls::certs().ca_cert};
  for (std::string& e : extra) argv.push_back(std::move(e));
  return std::make_unique<PeerProcess>(argv);
}

// Runs the loop until `done()` (a peer thread's condition) holds.
Coro<> serve_until(std::function<bool()> done, double timeout) {
  const bool ok = co_await test::wait_until(done, timeout, 0.01);
  CHECK(ok);
}

}  // namespace

TEST_CASE("tls server: openssl s_client verifies the server, sends lines, gets them echoed, closes first",
          "[tls_peers][net][tls]") {
  LoopFixture f;
  int connections = 0;
  auto server = test::run_net(f, echo_server(test::tls::server_context(), &connections));
  auto client = s_client(test::port_of(server), {"-servername", "localhost", "-verify_return_error"});
  client->write_stdin("one\ntwo\n");
  auto echoed = [&client] { return client->out().find("echo: two\n") != std::string::npos; };
  test::run_net(f, serve_until(echoed, 20));
  client->close_stdin();  // s_client sends close_notify and exits
  auto exited = [&client] { return client->out().size() > 0 && client->err().find("DONE") != std::string::npos; };
  test::run_net(f, serve_until(exited, 20));
  CHECK(client->wait() == 0);
  CHECK(client->out() == "echo: one\necho: two\n");
  CHECK_THAT(client->err(), Catch::Matchers::Contains("Verification: OK"));
  CHECK_THAT(client->err(), Catch::Matchers::Contains("Protocol version: TLSv1.3"));
  CHECK(connections == 1);
  server->close();
  test::run_net(f, server->wait_closed());
  CHECK(f.errors.empty());
}

TEST_CASE("tls server: closing first sends close_notify, s_client sees the end", "[tls_peers][net][tls]") {
  LoopFixture f;
  auto handler = [](asyncio::StreamReader reader, asyncio::StreamWriter writer) -> Coro<> {
    const std::string line = co_await reader.readline();
    writer.write("bye " + line);
    writer.close();
    co_await writer.wait_closed();
  };
  asyncio::StartServerOptions so;
  so.ssl = test::tls::server_context();
  auto serving = asyncio::start_server(handler, "127.0.0.1", 0, so);
  auto server = test::run_net(f, std::move(serving));
  // -ign_eof: only the server's close ends the session.
  auto client = s_client(test::port_of(server), {"-ign_eof"});
  client->write_stdin("alice\n");
  auto answered = [&client] { return client->out().find("bye alice") != std::string::npos; };
  test::run_net(f, serve_until(answered, 10), 30);
  const int status = client->wait(10);
  UNSCOPED_INFO("s_client stderr: " << client->err());
  CHECK(status == 0);
  CHECK(client->out() == "bye alice\n");
  server->close();
  test::run_net(f, server->wait_closed());
}

TEST_CASE("tls server: curl --cacert fetches over HTTPS, by name and by IP address, with ALPN http/1.1",
          "[tls_peers][net][tls]") {
  LoopFixture f;
  auto handler = [](asyncio::StreamReader reader, asyncio::StreamWriter writer) -> Coro<> {
    for (;;) {
      const std::string line = co_await reader.readline();
      if (line == "\r\n" || line.empty()) break;
    }
    const std::string body = "hello over TLS\n";
    writer.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
                 "\r\nConnection: close\r\n\r\n" + body);
    co_await writer.drain();
    writer.close();
  };
  auto ctx = test::tls::server_context();
  ctx->set_alpn_protocols({"http/1.1"});
  asyncio::StartServerOptions so;
  so.ssl = ctx;
  auto serving = asyncio::start_server(handler, "127.0.0.1", 0, so);
  auto server = test::run_net(f, std::move(serving));
  const std::string port = std::to_string(test::port_of(server));
  for (const std::string& url : {"https://localhost:" + port + "/", "https://127.0.0.1:" + port + "/"}) {
    INFO(url);
    PeerProcess curl({"curl", "-sS", "-v", "--max-time", "20", "--resolve", "localhost:" + port + ":127.0.0.1",
                      "--cacert", test::tls::certs().ca_cert, url});
    curl.close_stdin();
    auto finished = [&curl] { return curl.err().find("Closing connection") != std::string::npos ||
                                     curl.err().find("curl: (") != std::string::npos; };
    test::run_net(f, serve_until(finished, 30));
    CHECK(curl.wait() == 0);
    CHECK(curl.out() == "hello over TLS\n");
    CHECK_THAT(curl.err(), Catch::Matchers::Contains("ALPN: server accepted http/1.1"));
    CHECK_THAT(curl.err(), Catch::Matchers::Contains("SSL certificate verify ok"));
  }
  server->close();
  test::run_net(f, server->wait_closed());
}

TEST_CASE("tls server: a client certificate required: s_client without one is refused, with one is accepted",
          "[tls_peers][net][tls]") {
  const test::tls::Certs& c = test::tls::certs();
  LoopFixture f;
  f.expect_report("Error on transport creation for incoming connection");
  f.loop->set_debug(true);  // failed handshakes are reported in debug mode only
  std::vector<std::string> seen;
  auto handler = [&seen](asyncio::StreamReader reader, asyncio::StreamWriter writer) -> Coro<> {
    auto cert = std::any_cast<std::optional<asyncio::PeerCertificate>>(writer.get_extra_info("peercert"));
    seen.push_back(cert ? cert->subject_value("commonName").value_or("?") : "none");
    const std::string line = co_await reader.readline();
    writer.write("hi " + line);
    co_await writer.drain();
    writer.close();
  };
  auto ctx = test::tls::server_context();
  ctx->set_verify_mode(asyncio::CERT_REQUIRED);
  ctx->load_verify_locations(c.ca_cert);
  asyncio::StartServerOptions so;
  so.ssl = ctx;
  auto serving = asyncio::start_server(handler, "127.0.0.1", 0, so);
  auto server = test::run_net(f, std::move(serving));
  {
    test::LogCapture log;
    auto client = s_client(test::port_of(server), {});
    client->write_stdin("anonymous\n");
    auto refused = [&f] { return !f.errors.empty(); };
    test::run_net(f, serve_until(refused, 20));
    client->close_stdin();
    client->wait();
    CHECK(client->out().empty());
    CHECK_THAT(client->err(), Catch::Matchers::Contains("certificate required"));
    REQUIRE(!f.errors.empty());
    CHECK(f.errors[0].message == "Error on transport creation for incoming connection");
    CHECK_THAT(test::message_of(f.errors[0].exception), Catch::Matchers::Contains("PEER_DID_NOT_RETURN_A_CERTIFICATE"));
  }
  {
    auto client = s_client(test::port_of(server), {"-cert", c.client_cert, "-key", c.client_key});
    client->write_stdin("bob\n");
    auto answered = [&client] { return client->out().find("hi bob") != std::string::npos; };
    test::run_net(f, serve_until(answered, 20));
    client->close_stdin();
    client->wait();
    CHECK(client->out() == "hi bob\n");
  }
  CHECK(seen == std::vector<std::string>{"test client"});
  server->close();
  test::run_net(f, server->wait_closed());
}

TEST_CASE("tls server: ALPN and an SNI callback switching certificates, seen by s_client", "[tls_peers][net][tls]") {
  const test::tls::Certs& c = test::tls::certs();
  LoopFixture f;
  int connections = 0;
  auto other = std::make_shared<asyncio::SSLContext>(asyncio::PROTOCOL_TLS_SERVER);
  other->load_cert_chain(c.other_cert, c.other_key);
  auto ctx = test::tls::server_context();
  ctx->set_alpn_protocols({"echo/1", "http/1.1"});
  std::vector<std::string> names;
  ctx->set_sni_callback([other, &names](asyncio::SSLObject& obj, const std::optional<std::string>& name,
                                        asyncio::SSLContext&) {
    names.push_back(name.value_or("(none)"));
    if (name == "other.localhost") obj.set_context(other);
  });
  auto server = test::run_net(f, echo_server(ctx, &connections));
  const int port = test::port_of(server);
  {
    auto client = s_client(port, {"-servername", "other.localhost", "-alpn", "echo/1", "-verify_return_error"});
    client->write_stdin("sni\n");
    auto echoed = [&client] { return client->out().find("echo: sni") != std::string::npos; };
    test::run_net(f, serve_until(echoed, 20));
    client->close_stdin();
    client->wait();
    CHECK_THAT(client->err(), Catch::Matchers::Contains("CN = other.localhost"));
    CHECK_THAT(client->err(), Catch::Matchers::Contains("Verification: OK"));
  }
  {
    // Not brief: the ALPN line is in the full session report.
    PeerProcess client({"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(port), "-servername",
                        "localhost", "-alpn", "nope,echo/1", "-CAfile", c.ca_cert});
    client.close_stdin();
    auto done = [&client] { return client.out().find("DONE") != std::string::npos || client.err().find("DONE") != std::string::npos; };
    test::run_net(f, serve_until(done, 20));
    client.wait();
    CHECK_THAT(client.out(), Catch::Matchers::Contains("ALPN protocol: echo/1"));
    CHECK_THAT(client.out(), Catch::Matchers::Contains("CN = localhost"));
  }
  CHECK(names == std::vector<std::string>{"other.localhost", "localhost"});
  server->close();
  test::run_net(f, server->wait_closed());
}

TEST_CASE("tls server: STARTTLS: plain SMTP greeting, then StreamWriter::start_tls with openssl s_client -starttls "
          "smtp",
          "[tls_peers][net][tls]") {
  LoopFixture f;
  std::vector<std::string> log;
  auto handler = [&log](asyncio::StreamReader reader, asyncio::StreamWriter writer) -> Coro<> {
    writer.write("220 asyncio-cpp ESMTP ready\r\n");
    co_await writer.drain();
    const std::string ehlo = co_await reader.readline();
    log.push_back(ehlo.substr(0, 4));
    writer.write("250-asyncio-cpp\r\n250 STARTTLS\r\n");
    co_await writer.drain();
    const std::string starttls = co_await reader.readline();
    log.push_back(starttls);
    writer.write("220 Go ahead\r\n");
    co_await writer.drain();
    auto upgrading = writer.start_tls(test::tls::server_context());
    co_await std::move(upgrading);
    log.push_back(writer.get_extra_info("sslcontext").has_value() ? "tls" : "plain");
    const std::string secret = co_await reader.readline();
    writer.write("250 got " + secret);
    co_await writer.drain();
    writer.close();
  };
  auto serving = asyncio::start_server(handler, "127.0.0.1", 0);
  auto server = test::run_net(f, std::move(serving));
  auto client = s_client(test::port_of(server), {"-starttls", "smtp", "-servername", "localhost", "-ign_eof"});
  client->write_stdin("secret\r\n");
  auto answered = [&client] { return client->out().find("250 got secret") != std::string::npos; };
  test::run_net(f, serve_until(answered, 20));
  client->wait(20);
  CHECK_THAT(client->err(), Catch::Matchers::Contains("Verification: OK"));
  CHECK(log == std::vector<std::string>{"EHLO", "STARTTLS\r\n", "tls"});
  server->close();
  test::run_net(f, server->wait_closed());
}

TEST_CASE("tls server: renegotiation requested by a TLS 1.2 client is refused", "[tls_peers][net][tls]") {
  LoopFixture f;
  int connections = 0;
  auto server = test::run_net(f, echo_server(test::tls::server_context(), &connections));
  // Not brief: "R" on a line of its own asks s_client to renegotiate.
  PeerProcess client({"openssl", "s_client", "-tls1_2", "-connect", "127.0.0.1:" + std::to_string(test::port_of(server)),
                      "-CAfile", test::tls::certs().ca_cert, "-servername", "localhost"});
  client.write_stdin("before\n");
  auto echoed = [&client] { return client.out().find("echo: before") != std::string::npos; };
  test::run_net(f, serve_until(echoed, 20));
  client.write_stdin("R\n");
  // s_client reports the server's no_renegotiation alert and gives up.
  auto refused = [&client] {
    const std::string all = client.out() + client.err();
    return all.find("RENEGOTIATING") != std::string::npos && all.find("no renegotiation") != std::string::npos;
  };
  const bool saw = test::run_net(f, test::wait_until(refused, 10, 0.01), 30);
  client.close_stdin();
  client.wait(20);
  UNSCOPED_INFO("s_client stdout: " << client.out());
  UNSCOPED_INFO("s_client stderr: " << client.err());
  CHECK(saw);
  CHECK(connections == 1);
  server->close();
  test::run_net(f, server->wait_closed());
  CHECK(f.errors.empty());
}

TEST_CASE("tls server: 500 concurrent TLS connections from the library's clients", "[tls_peers][net][tls]") {
  test::RaiseFileLimit raise;
  REQUIRE(test::RaiseFileLimit::current() >= 1100);  // 500 connections, both ends
  LoopFixture f;
  int connections = 0;
  auto server = test::run_net(f, echo_server(test::tls::server_context(), &connections));
  const int port = test::port_of(server);
  const int ok = test::run_net(
      f,
      [](int p) -> Coro<int> {
        auto one = [](int p_, int i) -> Coro<int> {
          asyncio::OpenConnectionOptions o;
          o.ssl = test::tls::client_context();
          o.server_hostname = "localhost";
          auto opening = asyncio::open_connection("127.0.0.1", p_, o);
          auto [reader, writer] = co_await std::move(opening);
          // Everyone is connected before anyone talks: 500 at once.
          co_await asyncio::sleep(0.5);
          const std::string msg = "client " + std::to_string(i) + "\n";
          writer.write(msg);
          const std::string reply = co_await reader.readline();
          writer.close();
          co_await writer.wait_closed();
          co_return reply == "echo: " + msg ? 1 : 0;
        };
        std::vector<Coro<int>> clients;
        for (int i = 0; i < 500; ++i) clients.push_back(one(p, i));
        auto all = asyncio::gather(std::move(clients));
        std::vector<int> results = co_await std::move(all);
        int sum = 0;
        for (int r : results) sum += r;
        co_return sum;
      }(port),
      240);
  CHECK(ok == 500);
  CHECK(connections == 500);
  server->close();
  test::run_net(f, server->wait_closed());
}
