// An echo server, written twice: with a Protocol (the transports and
// protocols API) and with streams (StreamReader/StreamWriter).
//
//   echo_server [--api protocol|streams] [--host 127.0.0.1] [--port 8888]
//               [--tls CERT KEY]
//
// Prints "listening on HOST:PORT" (port 0 picks a free one), then serves
// until interrupted: the first Ctrl-C closes the server and every client
// connection, and the program exits. With --tls it serves TLS with that
// certificate and key (PEM files): the same code, an SSLContext given as
// `ssl`. bench/echo measures both against a bare libuv server (and, with
// TLS, against a bare libuv + OpenSSL server).
#include <asyncio/asyncio.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

namespace {

// The protocol version: every byte received is written back. When the
// peer reads slower than it sends, the transport's write buffer fills up:
// stop reading until it drains (flow control both ways).
class EchoProtocol : public asyncio::Protocol {
 public:
  void connection_made(std::shared_ptr<asyncio::Transport> transport) override { transport_ = std::move(transport); }
  void data_received(std::string_view data) override { transport_->write(data); }
  void pause_writing() override { transport_->pause_reading(); }
  void resume_writing() override { transport_->resume_reading(); }
  void connection_lost(std::exception_ptr) override { transport_.reset(); }

 private:
  std::shared_ptr<asyncio::Transport> transport_;
};

// The streams version.
asyncio::Coro<> handle_client(asyncio::StreamReader reader, asyncio::StreamWriter writer) {
  try {
    for (;;) {
      std::string data = co_await reader.read(64 * 1024);
      if (data.empty()) break;  // EOF
      writer.write(data);
      co_await writer.drain();
    }
  } catch (const std::system_error&) {
    // The client reset the connection: nothing to answer.
  }
  writer.close();
}

asyncio::Coro<> serve(std::string api, std::string host, int port, std::shared_ptr<asyncio::SSLContext> tls) {
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  std::shared_ptr<asyncio::Server> server;
  if (api == "protocol") {
    asyncio::ServerOptions options;
    options.backlog = 1024;
    options.ssl = tls;
    auto factory = [] { return std::make_shared<EchoProtocol>(); };
    server = co_await loop.create_server(factory, host, port, options);
  } else {
    asyncio::StartServerOptions options;
    options.backlog = 1024;
    options.ssl = tls;
    server = co_await asyncio::start_server(handle_client, host, port, options);
  }
  const asyncio::SockAddr where = server->sockets().at(0).getsockname();
  std::cout << "listening on " << where.host << ":" << where.port << " (" << api << (tls ? ", tls" : "") << ")"
            << std::endl;
  // Not serve_forever(): cancelled (Ctrl-C), it closes the server and then
  // waits for the clients to leave, as Python 3.12.1+ does. A server that
  // should stop at once closes its clients itself.
  asyncio::Event stopped;
  std::exception_ptr cancelled;
  try {
    co_await stopped.wait();
  } catch (const asyncio::CancelledError&) {
    cancelled = std::current_exception();  // C++ cannot co_await in a handler
  }
  std::cout << "closing " << server->sockets().size() << " socket(s) and the clients" << std::endl;
  server->close();
  server->close_clients();
  auto closing = server->wait_closed();
  co_await std::move(closing);
  if (cancelled) std::rethrow_exception(cancelled);
}

}  // namespace

int main(int argc, char** argv) {
  std::string api = "protocol";
  std::string host = "127.0.0.1";
  int port = 8888;
  std::string cert, key;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--tls" && i + 2 < argc) {
      cert = argv[i + 1];
      key = argv[i + 2];
      ++i;
    } else if (arg == "--api") {
      api = argv[i + 1];
    } else if (arg == "--host") {
      host = argv[i + 1];
    } else if (arg == "--port") {
      port = std::atoi(argv[i + 1]);
    } else {
      std::cerr << "usage: echo_server [--api protocol|streams] [--host H] [--port P] [--tls CERT KEY]\n";
      return 2;
    }
  }
  if (api != "protocol" && api != "streams") {
    std::cerr << "--api must be protocol or streams\n";
    return 2;
  }
  try {
    std::shared_ptr<asyncio::SSLContext> tls;
    if (!cert.empty()) {
      tls = std::make_shared<asyncio::SSLContext>(asyncio::PROTOCOL_TLS_SERVER);
      tls->load_cert_chain(cert, key);
    }
    asyncio::run(serve(api, host, port, tls));
  } catch (const asyncio::KeyboardInterrupt&) {
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "echo_server: " << e.what() << "\n";
    return 1;
  }
}
