// An echo client: sends lines to an echo server and prints the replies.
//
//   echo_client [--host 127.0.0.1] [--port 8888] [--count 3] [--message hello]
//               [--cafile CA]
//
// With --cafile it speaks TLS, trusting that CA (PEM) and checking that the
// server's certificate names the host.
// Python: the TCP echo client of the asyncio streams documentation.
#include <asyncio/asyncio.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

namespace {

asyncio::Coro<int> echo(std::string host, int port, std::string message, int count, std::string cafile) {
  asyncio::OpenConnectionOptions options;
  if (!cafile.empty()) options.ssl = asyncio::create_default_context(asyncio::Purpose::SERVER_AUTH, {.cafile = cafile});
  auto connecting = asyncio::open_connection(host, port, options);
  auto [reader, writer] = co_await std::move(connecting);
  const auto peer = std::any_cast<asyncio::SockAddr>(writer.get_extra_info("peername"));
  std::cout << "connected to " << peer.repr();
  if (!cafile.empty()) {
    auto tls = std::any_cast<std::shared_ptr<asyncio::SSLObject>>(writer.get_extra_info("ssl_object"));
    std::cout << " over " << tls->version().value_or("?") << " (" << tls->cipher()->name << ")";
  }
  std::cout << "\n";
  int failures = 0;
  for (int i = 1; i <= count; ++i) {
    const std::string line = message + " " + std::to_string(i) + "\n";
    writer.write(line);
    co_await writer.drain();
    const std::string reply = co_await reader.readline();
    std::cout << "sent " << line.size() << " bytes, received: " << reply;
    if (reply != line) ++failures;
  }
  writer.close();
  co_await writer.wait_closed();
  co_return failures;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int port = 8888;
  int count = 3;
  std::string message = "hello";
  std::string cafile;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--host") {
      host = argv[i + 1];
    } else if (arg == "--port") {
      port = std::atoi(argv[i + 1]);
    } else if (arg == "--count") {
      count = std::atoi(argv[i + 1]);
    } else if (arg == "--message") {
      message = argv[i + 1];
    } else if (arg == "--cafile") {
      cafile = argv[i + 1];
    } else {
      std::cerr << "usage: echo_client [--host H] [--port P] [--count N] [--message TEXT] [--cafile CA]\n";
      return 2;
    }
  }
  try {
    return asyncio::run(echo(host, port, message, count, cafile)) == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "echo_client: " << e.what() << "\n";
    return 1;
  }
}
