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

// Every loop method that needs a platform facility: one line each (add
// pipes, subprocesses and add_reader/add_writer as they land).
std::vector<PlatformMethod> platform_methods() {
  namespace platform = asyncio::platform;
  const bool sig = platform::has_signals, net = platform::has_network, thr = platform::has_threads;
  // Windows has no POSIX signals, but the console's Ctrl-C is SIGINT there.
  const bool sigint = sig || platform::name == "win32";
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
      // Threads are the build's, not the backend's: a bare backend starts
      // std::threads where the platform has them.
      {"run_in_executor", thr, thr, [](EventLoop& loop) { (void)loop.run_in_executor(nullptr, [] { return 1; }); }},
  };
}

void check_all_raise(EventLoop& loop, const std::string& platform_name, bool only_unavailable) {
  for (const PlatformMethod& m : platform_methods()) {
    if (only_unavailable ? m.available_here : m.on_bare_backend) continue;
    INFO("loop." << m.method << "() on " << platform_name);
    CHECK_THROWS_MATCHES(m.call(loop), asyncio::NotImplementedError,
                         Message(m.method + " is not available on " + platform_name));
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
  if (asyncio::platform::has_network) {
    CHECK_NOTHROW((void)loop->getaddrinfo("127.0.0.1", 80));
    CHECK_NOTHROW((void)loop->create_server(make_protocol, "127.0.0.1", 0));
  }
  loop->close();
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
