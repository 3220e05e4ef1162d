// What each platform can do, and how it says what it cannot: every loop
// method without an equivalent on a platform raises NotImplementedError
// naming the method and the platform. Python: asyncio's "Platform Support"
// page, and Pyodide's WebLoop for wasm32-emscripten.
#include <csignal>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "asyncio/detail/os.hpp"
#include "support.hpp"

using asyncio::EventLoop;
using Catch::Matchers::Message;

namespace {

// A backend with no I/O at all (only Backend's defaults): what a user's
// minimal backend, or a platform without signals, sockets or processes, is.
class BareBackend final : public asyncio::Backend {
 public:
  void poll(double) override {}
  void wake() noexcept override {}
  std::string platform() const override { return "bare-test-platform"; }
};

// One loop method that a platform may lack: its asyncio name, whether this
// build's platform has what it needs, whether a backend with only the
// defaults (BareBackend) has it, and a call that uses it. Coroutine methods
// raise when called, before anything is awaited.
struct PlatformMethod {
  std::string method;
  bool available_here;
  bool on_bare_backend;
  std::function<void(EventLoop&)> call;
};

std::shared_ptr<asyncio::BaseProtocol> make_protocol() { return std::make_shared<asyncio::Protocol>(); }
std::shared_ptr<asyncio::Protocol> make_plain_protocol() { return std::make_shared<asyncio::Protocol>(); }
std::shared_ptr<asyncio::SubprocessProtocol> make_subprocess_protocol() {
  return std::make_shared<asyncio::SubprocessProtocol>();
}

// Every loop method that needs a platform facility: one line each (add
// add_reader/add_writer as they land).
std::vector<PlatformMethod> platform_methods() {
  namespace platform = asyncio::platform;
  const bool sig = platform::has_signals, thr = platform::has_threads;
  // Where the program runs now (wasm32-emscripten: Node.js yes, a browser no).
  const bool net = platform::network_available();
  // Windows has no POSIX signals, but the console's Ctrl-C is SIGINT there.
  const bool sigint = sig || platform::name == "win32";
  const bool sub = platform::has_subprocesses;
  // asyncio::Socket is not written for Winsock yet (detail/no_socket.cpp);
  // on wasm32-emscripten the sockets are Node.js's, not the program's.
  const bool socket = net && platform::name != "win32" && platform::name != "wasm32-emscripten";
  return {
      {"add_signal_handler", sigint, false, [](EventLoop& loop) { loop.add_signal_handler(SIGINT, [] {}); }},
      {"remove_signal_handler", sigint, false, [](EventLoop& loop) { loop.remove_signal_handler(SIGINT); }},
      {"getaddrinfo", net, false, [](EventLoop& loop) { (void)loop.getaddrinfo("localhost", 80); }},
      {"getnameinfo", net, false,
       [](EventLoop& loop) {
         (void)loop.getnameinfo(asyncio::SockAddr{.family = asyncio::detail::af_inet(), .host = "127.0.0.1"});
       }},
      {"create_connection", net, false,
       [](EventLoop& loop) { (void)loop.create_connection(make_protocol, "127.0.0.1", 1); }},
      {"create_server", net, false, [](EventLoop& loop) { (void)loop.create_server(make_protocol, "127.0.0.1", 0); }},
      {"create_unix_connection", net, false,
       [](EventLoop& loop) { (void)loop.create_unix_connection(make_protocol, "/nonexistent/socket"); }},
      {"create_unix_server", net, false,
       [](EventLoop& loop) { (void)loop.create_unix_server(make_protocol, "/nonexistent/socket"); }},
      {"connect_accepted_socket", net, false,
       [](EventLoop& loop) { (void)loop.connect_accepted_socket(make_protocol, -1); }},
      {"connect_read_pipe", sub, false, [](EventLoop& loop) { (void)loop.connect_read_pipe(make_plain_protocol, 0); }},
      {"connect_write_pipe", sub, false,
       [](EventLoop& loop) { (void)loop.connect_write_pipe(make_plain_protocol, 1); }},
      {"subprocess_exec", sub, false,
       [](EventLoop& loop) { (void)loop.subprocess_exec(make_subprocess_protocol, {"true"}); }},
      {"subprocess_shell", sub, false,
       [](EventLoop& loop) { (void)loop.subprocess_shell(make_subprocess_protocol, "true"); }},
      // Descriptors, sockets, datagrams and sendfile (issue 13).
      {"add_reader", net, false, [](EventLoop& loop) { loop.add_reader(0, [] {}); }},
      {"remove_reader", net, false, [](EventLoop& loop) { (void)loop.remove_reader(0); }},
      {"add_writer", net, false, [](EventLoop& loop) { loop.add_writer(1, [] {}); }},
      {"remove_writer", net, false, [](EventLoop& loop) { (void)loop.remove_writer(1); }},
      {"sock_recv", net, false, [](EventLoop& loop) { asyncio::Socket s; (void)loop.sock_recv(s, 1); }},
      {"sock_recv_into", net, false,
       [](EventLoop& loop) { asyncio::Socket s; char b[1]; (void)loop.sock_recv_into(s, std::span<char>(b, 1)); }},
      {"sock_recvfrom", net, false, [](EventLoop& loop) { asyncio::Socket s; (void)loop.sock_recvfrom(s, 1); }},
      {"sock_recvfrom_into", net, false,
       [](EventLoop& loop) { asyncio::Socket s; char b[1]; (void)loop.sock_recvfrom_into(s, std::span<char>(b, 1)); }},
      {"sock_sendall", net, false, [](EventLoop& loop) { asyncio::Socket s; (void)loop.sock_sendall(s, "x"); }},
      {"sock_sendto", net, false,
       [](EventLoop& loop) { asyncio::Socket s; (void)loop.sock_sendto(s, "x", asyncio::SockAddr{}); }},
      {"sock_connect", net, false,
       [](EventLoop& loop) { asyncio::Socket s; (void)loop.sock_connect(s, asyncio::SockAddr{}); }},
      {"sock_accept", net, false, [](EventLoop& loop) { asyncio::Socket s; (void)loop.sock_accept(s); }},
      {"sock_sendfile", net, false, [](EventLoop& loop) { asyncio::Socket s; (void)loop.sock_sendfile(s, 0); }},
      {"sendfile", net, false, [](EventLoop& loop) { (void)loop.sendfile(nullptr, 0); }},
      {"create_datagram_endpoint", net, false,
       [](EventLoop& loop) {
         (void)loop.create_datagram_endpoint([] { return std::make_shared<asyncio::DatagramProtocol>(); });
       }},
      // Sockets themselves are the build's (asyncio::Socket), not the backend's.
      {"socket", socket, socket,
       [](EventLoop&) { asyncio::Socket s(asyncio::detail::af_inet(), asyncio::detail::sock_stream()); }},
      {"start_tls", net, false, [](EventLoop& loop) { (void)loop.start_tls(nullptr, nullptr, nullptr); }},
      // Threads are the build's, not the backend's: a bare backend starts
      // std::threads where the platform has them.
      {"run_in_executor", thr, thr, [](EventLoop& loop) { (void)loop.run_in_executor(nullptr, [] { return 1; }); }},
  };
}

void check_all_raise(EventLoop& loop, const std::string& platform_name, bool only_unavailable) {
  for (const PlatformMethod& m : platform_methods()) {
    if (only_unavailable ? m.available_here : m.on_bare_backend) continue;
    INFO("loop." << m.method << "() on " << platform_name);
    // asyncio::Socket is the build's, so its message names the build's platform.
    const std::string where = m.method == "socket" ? std::string(asyncio::platform::name) : platform_name;
    CHECK_THROWS_MATCHES(m.call(loop), asyncio::NotImplementedError,
                         Message(m.method + " is not available on " + where));
  }
}

}  // namespace

TEST_CASE("the platform query agrees with the default backend", "[platform]") {
  STATIC_REQUIRE(asyncio::platform::available);  // this suite only builds where a loop runs
  auto loop = asyncio::new_event_loop();
  CHECK(loop->backend().platform() == std::string(asyncio::platform::name));
  CHECK(asyncio::platform::unavailable_reason.empty());
  loop->close();
}

TEST_CASE("a loop method a backend lacks raises NotImplementedError naming method and platform", "[platform]") {
  EventLoop loop(std::make_unique<BareBackend>());
  check_all_raise(loop, "bare-test-platform", /*only_unavailable=*/false);
  loop.close();
}

TEST_CASE("loop methods this platform lacks raise NotImplementedError naming method and platform", "[platform]") {
  auto loop = asyncio::new_event_loop();
  check_all_raise(*loop, std::string(asyncio::platform::name), /*only_unavailable=*/true);
  // Where everything is available the check above is empty: then the
  // methods must not raise NotImplementedError (they are tested elsewhere).
  if (asyncio::platform::has_signals) {
    CHECK_NOTHROW(loop->add_signal_handler(SIGTERM, [] {}));
    CHECK(loop->remove_signal_handler(SIGTERM));
  }
  if (asyncio::platform::network_available()) {
    CHECK_NOTHROW((void)loop->getaddrinfo("127.0.0.1", 80));
    CHECK_NOTHROW((void)loop->create_server(make_protocol, "127.0.0.1", 0));
  }
  loop->close();
}

TEST_CASE("create_subprocess_exec/shell raise NotImplementedError naming themselves without child processes",
          "[platform]") {
  EventLoop loop(std::make_unique<BareBackend>());
  auto body = []() -> asyncio::Coro<void> {
    CHECK_THROWS_MATCHES((void)asyncio::create_subprocess_exec("true"), asyncio::NotImplementedError,
                         Message("create_subprocess_exec is not available on bare-test-platform"));
    CHECK_THROWS_MATCHES((void)asyncio::create_subprocess_shell("true"), asyncio::NotImplementedError,
                         Message("create_subprocess_shell is not available on bare-test-platform"));
    co_return;
  };
  loop.run_until_complete(body());
  loop.close();
}

TEST_CASE("a failed add_signal_handler leaves no handler behind", "[platform]") {
  EventLoop loop(std::make_unique<BareBackend>());
  CHECK_THROWS_AS(loop.add_signal_handler(SIGINT, [] {}), asyncio::NotImplementedError);
  // Had it been recorded, close() would try to remove it and raise.
  CHECK_NOTHROW(loop.close());
}

TEST_CASE("asyncio::run works without signals and skips its Ctrl-C handler", "[platform]") {
  int result = asyncio::run(
      []() -> asyncio::Coro<int> {
        co_await asyncio::sleep(0);
        co_return 7;
      }(),
      {.loop_factory = [] { return std::make_shared<EventLoop>(std::make_unique<BareBackend>()); }});
  CHECK(result == 7);
}

TEST_CASE("ssl= raises NotImplementedError naming the method and the platform where there is no TLS", "[platform]") {
  // Contexts can be made and configured everywhere (portable code runs).
  auto ctx = asyncio::create_default_context();
  CHECK(ctx->check_hostname());
  ctx->set_check_hostname(false);
  ctx->set_verify_mode(asyncio::CERT_NONE);
  CHECK(ctx->verify_mode() == asyncio::CERT_NONE);
  const std::string platform(asyncio::platform::name);
  if constexpr (!asyncio::platform::has_tls) {
    // Without a TLS library: what needs one says so.
    CHECK_THROWS_MATCHES(ctx->load_cert_chain("cert.pem"), asyncio::NotImplementedError,
                         Catch::Matchers::Message("SSLContext.load_cert_chain is not available on " + platform +
                                                  ": asyncio was built without a TLS library (OpenSSL); see "
                                                  "docs/ssl.md"));
    CHECK_THROWS_AS(ctx->load_verify_locations("ca.pem"), asyncio::NotImplementedError);
    CHECK_THROWS_AS(ctx->set_ciphers("HIGH"), asyncio::NotImplementedError);
  }
  // Every function taking ssl= names itself and the platform: here the
  // default loop's platform (where it lacks sockets) and a backend without
  // sockets.
  auto loop = asyncio::new_event_loop();
  EventLoop bare(std::make_unique<BareBackend>());
  for (EventLoop* l : {loop.get(), &bare}) {
    const std::string name = l == &bare ? "bare-test-platform" : platform;
    if (l != &bare && asyncio::platform::network_available()) continue;
    asyncio::ConnectionOptions co;
    co.ssl = ctx;
    CHECK_THROWS_MATCHES((void)l->create_connection(make_protocol, "127.0.0.1", 443, co), asyncio::NotImplementedError,
                         Message("create_connection is not available on " + name));
    asyncio::ServerOptions so;
    so.ssl = ctx;
    CHECK_THROWS_MATCHES((void)l->create_server(make_protocol, "127.0.0.1", 0, so), asyncio::NotImplementedError,
                         Message("create_server is not available on " + name));
    asyncio::UnixConnectionOptions uo;
    uo.ssl = ctx;
    uo.server_hostname = "localhost";
    CHECK_THROWS_MATCHES((void)l->create_unix_connection(make_protocol, "/tmp/x.sock", uo), asyncio::NotImplementedError,
                         Message("create_unix_connection is not available on " + name));
    asyncio::UnixServerOptions uso;
    uso.ssl = ctx;
    CHECK_THROWS_MATCHES((void)l->create_unix_server(make_protocol, "/tmp/x.sock", uso), asyncio::NotImplementedError,
                         Message("create_unix_server is not available on " + name));
    asyncio::AcceptedSocketOptions ao;
    ao.ssl = ctx;
    CHECK_THROWS_MATCHES((void)l->connect_accepted_socket(make_protocol, 0, ao), asyncio::NotImplementedError,
                         Message("connect_accepted_socket is not available on " + name));
    CHECK_THROWS_MATCHES((void)l->start_tls(nullptr, nullptr, ctx), asyncio::NotImplementedError,
                         Message("start_tls is not available on " + name));
  }
  bare.close();
  if constexpr (!asyncio::platform::has_network) {
    // The streams functions check when called in a running loop.
    auto streams = [ctx]() -> asyncio::Coro<> {
      asyncio::OpenConnectionOptions oc;
      oc.ssl = ctx;
      CHECK_THROWS_AS((void)asyncio::open_connection("example.org", 443, oc), asyncio::NotImplementedError);
      asyncio::StartServerOptions ss;
      ss.ssl = ctx;
      auto handler = [](asyncio::StreamReader, asyncio::StreamWriter) {};
      CHECK_THROWS_AS((void)asyncio::start_server(handler, "127.0.0.1", 0, ss), asyncio::NotImplementedError);
      co_return;
    };
    loop->run_until_complete(streams());
  }
  loop->close();
}
