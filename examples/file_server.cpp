// A minimal HTTP/1.1 file server sending files with loop.sendfile(): the
// kernel's sendfile(2) copies them to the socket, never through user space.
//
//   file_server [--root DIR] [--host 127.0.0.1] [--port 8080]   (DIR: the current one)
//
// GET /NAME answers with the file DIR/NAME (no subdirectories: a name with
// '/' or starting with '.' is refused with 404). Prints "listening on
// HOST:PORT". tests/examples/file_server_curl.sh fetches a 256 MiB file
// with curl and compares checksums.
#include <asyncio/asyncio.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>

namespace {

std::string root_dir = ".";

asyncio::Coro<> handle(asyncio::StreamReader reader, asyncio::StreamWriter writer) {
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  try {
    for (;;) {
      std::string head = co_await reader.readuntil("\r\n\r\n");
      const std::size_t sp1 = head.find(' ');
      const std::size_t sp2 = head.find(' ', sp1 + 1);
      const std::string name = head.substr(sp1 + 2, sp2 - sp1 - 2);  // without the leading '/'
      int fd = -1;
      struct stat st {};
      if (!name.empty() && name.find('/') == std::string::npos && name[0] != '.') {
        fd = ::open((root_dir + "/" + name).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd >= 0 && (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
          ::close(fd);
          fd = -1;
        }
      }
      if (fd < 0) {
        writer.write("HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\n\r\nnot found\n");
        co_await writer.drain();
        continue;
      }
      writer.write("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
                   std::to_string(st.st_size) + "\r\n\r\n");
      auto sending = loop.sendfile(writer.transport(), fd);
      std::size_t sent = 0;
      std::exception_ptr error;
      try {
        sent = co_await std::move(sending);
      } catch (...) {
        error = std::current_exception();
      }
      ::close(fd);
      if (error) std::rethrow_exception(error);
      std::cerr << "sent " << name << ": " << sent << " bytes" << std::endl;
    }
  } catch (const asyncio::IncompleteReadError&) {
    // the client closed the connection
  } catch (const std::system_error&) {
  }
  writer.close();
}

asyncio::Coro<> serve(std::string host, int port) {
  auto serving = asyncio::start_server(handle, host, port);
  std::shared_ptr<asyncio::Server> server = co_await std::move(serving);
  const asyncio::SockAddr where = server->sockets().at(0).getsockname();
  std::cout << "listening on " << where.host << ":" << where.port << std::endl;
  co_await server->serve_forever();
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int port = 8080;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--root") {
      root_dir = argv[i + 1];
    } else if (arg == "--host") {
      host = argv[i + 1];
    } else if (arg == "--port") {
      port = std::atoi(argv[i + 1]);
    } else {
      std::cerr << "usage: file_server --root DIR [--host H] [--port P]\n";
      return 2;
    }
  }
  try {
    asyncio::run(serve(host, port));
  } catch (const asyncio::KeyboardInterrupt&) {
  }
  return 0;
}
