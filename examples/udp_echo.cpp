// A UDP echo server: every datagram goes back to its sender.
//
//   udp_echo [--host 127.0.0.1] [--port 9999]
//
// Prints "listening on HOST:PORT" (port 0 picks a free one), then serves
// until interrupted. tests/examples/udp_echo_socat.sh checks it with socat
// as the client; bench/udp compares it with a bare libuv UDP echo server.
#include <asyncio/asyncio.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

namespace {

class EchoProtocol : public asyncio::DatagramProtocol {
 public:
  void connection_made(std::shared_ptr<asyncio::DatagramTransport> transport) override {
    transport_ = std::move(transport);
  }
  void datagram_received(std::string_view data, const asyncio::SockAddr& addr) override {
    transport_->sendto(data, addr);
  }
  void error_received(std::exception_ptr exc) override {
    try {
      std::rethrow_exception(exc);
    } catch (const std::exception& e) {
      std::cerr << "error: " << e.what() << std::endl;
    }
  }

 private:
  std::shared_ptr<asyncio::DatagramTransport> transport_;
};

asyncio::Coro<> serve(std::string host, int port) {
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  auto factory = [] { return std::make_shared<EchoProtocol>(); };
  asyncio::DatagramEndpointOptions options;
  options.local_addr = std::pair<std::string, int>(host, port);
  auto opening = loop.create_datagram_endpoint(factory, options);
  auto [transport, protocol] = co_await std::move(opening);
  const auto where = std::any_cast<asyncio::SockAddr>(transport->get_extra_info("sockname"));
  std::cout << "listening on " << where.host << ":" << where.port << std::endl;
  asyncio::Future<void> forever = loop.create_future();
  co_await forever;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int port = 9999;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--host") {
      host = argv[i + 1];
    } else if (arg == "--port") {
      port = std::atoi(argv[i + 1]);
    } else {
      std::cerr << "usage: udp_echo [--host H] [--port P]\n";
      return 2;
    }
  }
  try {
    asyncio::run(serve(host, port));
  } catch (const asyncio::KeyboardInterrupt&) {
  }
  return 0;
}
