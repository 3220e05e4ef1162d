// What Windows lacks here, and how it says so (docs/platforms.md): fd
// watching, as CPython's ProactorEventLoop, and asyncio::Socket.
#include <string>

#include "support.hpp"

TEST_CASE("add_reader and add_writer raise NotImplementedError on Windows, as CPython's ProactorEventLoop",
          "[platform]") {
  auto loop = asyncio::new_event_loop();
  // Python (ProactorEventLoop): loop.add_reader(...) -> NotImplementedError
  const auto reader = [&] { loop->add_reader(0, [] {}); };
  const auto writer = [&] { loop->add_writer(1, [] {}); };
  std::string message;
  try {
    reader();
  } catch (const asyncio::NotImplementedError& e) {
    message = e.what();
  }
  CHECK(message.rfind("add_reader/add_writer is not available on win32", 0) == 0);
  CHECK(message.find("ProactorEventLoop") != std::string::npos);
  CHECK_THROWS_AS(writer(), asyncio::NotImplementedError);
  // Nothing was registered: removing finds nothing, and the loop still runs.
  CHECK_FALSE(loop->remove_reader(0));
  CHECK_FALSE(loop->remove_writer(1));
  int ran = 0;
  loop->call_soon([&ran] { ++ran; });
  loop->call_soon([&loop] { loop->stop(); });
  loop->run_forever();
  CHECK(ran == 1);
  loop->close();
}

TEST_CASE("subprocesses and pipe transports are not available on Windows yet", "[platform]") {
  CHECK_FALSE(asyncio::platform::has_subprocesses);
  auto loop = asyncio::new_event_loop();
  auto factory = [] { return std::make_shared<asyncio::SubprocessProtocol>(); };
  const auto exec = [&] { (void)loop->subprocess_exec(factory, {"cmd.exe"}); };
  CHECK_THROWS_MATCHES(exec(), asyncio::NotImplementedError,
                       Catch::Matchers::Message("subprocess_exec is not available on win32"));
  loop->close();
}

TEST_CASE("ssl= raises NotImplementedError naming the missing OpenSSL on Windows", "[platform]") {
  // Debian has no OpenSSL for mingw-w64: the preset builds without TLS.
  CHECK_FALSE(asyncio::platform::has_tls);
  auto loop = asyncio::new_event_loop();
  auto ctx = asyncio::create_default_context();
  asyncio::ConnectionOptions options;
  options.ssl = ctx;
  auto factory = [] { return std::make_shared<asyncio::Protocol>(); };
  std::string message;
  try {
    // It may raise when called or when run: either way, before connecting.
    auto connect = loop->create_connection(factory, "127.0.0.1", 443, options);
    (void)loop->run_until_complete(std::move(connect));
  } catch (const asyncio::NotImplementedError& e) {
    message = e.what();
  }
  CHECK(message ==
        "create_connection with ssl is not available on win32: asyncio was built without a TLS library (OpenSSL); "
        "see docs/ssl.md");
  loop->close();
}
