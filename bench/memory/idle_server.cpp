// The memory-per-connection benchmark's server on this library's streams:
// each connection's handler awaits readline() and writes the line back.
//
//   idle_server [--port 0]
//
// Prints "listening on 127.0.0.1:PORT" and serves until killed (SIGTERM)
// or interrupted. bench/memory/run.sh runs it beside the same server on
// uvloop (idle_server.py) and in Go (idle_server.go).
#include <asyncio/asyncio.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

namespace {

asyncio::Coro<> handle_client(asyncio::StreamReader reader, asyncio::StreamWriter writer) {
  try {
    for (;;) {
      std::string line = co_await reader.readline();
      if (line.empty()) break;  // EOF
      writer.write(line);
      co_await writer.drain();
    }
  } catch (const std::system_error&) {
    // The client reset the connection.
  }
  writer.close();
}

asyncio::Coro<> serve(int port) {
  asyncio::StartServerOptions options;
  options.backlog = 4096;
  auto starting = asyncio::start_server(handle_client, "127.0.0.1", port, options);
  std::shared_ptr<asyncio::Server> server = co_await std::move(starting);
  std::cout << "listening on 127.0.0.1:" << server->sockets().at(0).getsockname().port << std::endl;
  auto serving = server->serve_forever();
  co_await std::move(serving);
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  if (argc == 3 && std::string(argv[1]) == "--port") port = std::atoi(argv[2]);
  try {
    asyncio::run(serve(port));
  } catch (const asyncio::KeyboardInterrupt&) {
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "idle_server: " << e.what() << "\n";
    return 1;
  }
}
