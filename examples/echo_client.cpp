// An echo client: sends lines to an echo server and prints the replies.
//
//   echo_client [--host 127.0.0.1] [--port 8888] [--count 3] [--message hello]
//
// Python: the TCP echo client of the asyncio streams documentation.
#include <asyncio/asyncio.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

namespace {

asyncio::Coro<int> echo(std::string host, int port, std::string message, int count) {
  auto [reader, writer] = co_await asyncio::open_connection(host, port);
  const auto peer = std::any_cast<asyncio::SockAddr>(writer.get_extra_info("peername"));
  std::cout << "connected to " << peer.repr() << "\n";
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
    } else {
      std::cerr << "usage: echo_client [--host H] [--port P] [--count N] [--message TEXT]\n";
      return 2;
    }
  }
  try {
    return asyncio::run(echo(host, port, message, count)) == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "echo_client: " << e.what() << "\n";
    return 1;
  }
}
