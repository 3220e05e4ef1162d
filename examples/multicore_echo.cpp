// Scaling a server past one core: one event loop per thread, all listening
// on the same port with SO_REUSEPORT; the kernel spreads new connections
// over them. What uvloop and gunicorn users do with a process per core,
// here with a thread per core (docs/eventloop.md, "Using more than one core").
//
//   multicore_echo [--workers N] [--port P]        serve until interrupted
//   multicore_echo [--workers N] --demo CLIENTS    serve, connect CLIENTS
//                                                   clients, check each echo,
//                                                   report, stop
//
// Each worker runs asyncio::run() in its own thread: loops are per thread,
// and the only way into another thread's loop is call_soon_threadsafe()
// (used here to stop them).
#include <asyncio/asyncio.hpp>

#include <atomic>
#include <cstdlib>
#include <future>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

class EchoProtocol : public asyncio::Protocol {
 public:
  explicit EchoProtocol(std::atomic<int>* connections) : connections_(connections) {}
  void connection_made(std::shared_ptr<asyncio::Transport> transport) override {
    transport_ = std::move(transport);
    connections_->fetch_add(1, std::memory_order_relaxed);
  }
  void data_received(std::string_view data) override { transport_->write(data); }
  void connection_lost(std::exception_ptr) override { transport_.reset(); }

 private:
  std::atomic<int>* connections_;
  std::shared_ptr<asyncio::Transport> transport_;
};

struct Worker {
  std::thread thread;
  std::atomic<int> connections{0};
  asyncio::EventLoop* loop = nullptr;  // set once listening
  std::optional<asyncio::Future<void>> stop;
};

asyncio::Coro<> serve(Worker* w, int port, std::promise<int>* listening) {
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  auto factory = [w] { return std::make_shared<EchoProtocol>(&w->connections); };
  asyncio::ServerOptions options;
  options.reuse_port = true;
  options.backlog = 1024;
  auto starting = loop.create_server(factory, "127.0.0.1", port, options);
  std::shared_ptr<asyncio::Server> server = co_await std::move(starting);
  w->loop = &loop;
  w->stop.emplace(loop.create_future());
  listening->set_value(server->sockets().at(0).getsockname().port);
  asyncio::Future<void> stop = *w->stop;
  co_await stop;
  server->close();
  server->abort_clients();
  auto closing = server->wait_closed();
  co_await std::move(closing);
}

// Connects `clients` clients one after another; each sends a line and
// checks the echo. Returns how many were echoed intact.
asyncio::Coro<int> demo(int port, int clients) {
  int ok = 0;
  for (int i = 0; i < clients; ++i) {
    auto connecting = asyncio::open_connection("127.0.0.1", port);
    auto [reader, writer] = co_await std::move(connecting);
    const std::string line = "hello from client " + std::to_string(i) + "\n";
    writer.write(line);
    auto reading = reader.readline();
    const std::string echoed = co_await std::move(reading);
    if (echoed == line) ++ok;
    writer.close();
    auto closing = writer.wait_closed();
    co_await std::move(closing);
  }
  co_return ok;
}

}  // namespace

int main(int argc, char** argv) {
  int workers = static_cast<int>(std::thread::hardware_concurrency());
  if (workers < 1) workers = 1;
  int port = 8888;
  int demo_clients = -1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--workers") {
      workers = std::atoi(argv[i + 1]);
    } else if (arg == "--port") {
      port = std::atoi(argv[i + 1]);
    } else if (arg == "--demo") {
      demo_clients = std::atoi(argv[i + 1]);
      port = 0;
    } else {
      std::cerr << "usage: multicore_echo [--workers N] [--port P] [--demo CLIENTS]\n";
      return 2;
    }
  }
  std::vector<std::unique_ptr<Worker>> pool;
  for (int i = 0; i < workers; ++i) {
    auto w = std::make_unique<Worker>();
    std::promise<int> listening;
    std::future<int> bound = listening.get_future();
    Worker* raw = w.get();
    // The first worker may pick a free port (0); the others share it.
    w->thread = std::thread([raw, port, &listening] { asyncio::run(serve(raw, port, &listening)); });
    try {
      port = bound.get();
    } catch (...) {
      std::cerr << "worker " << i << " could not listen" << std::endl;
      w->thread.join();
      return 1;
    }
    pool.push_back(std::move(w));
  }
  std::cout << "listening on 127.0.0.1:" << port << " with " << workers << " workers" << std::endl;
  int status = 0;
  if (demo_clients >= 0) {
    const int ok = asyncio::run(demo(port, demo_clients));
    int total = 0, busy = 0;
    for (auto& w : pool) {
      const int n = w->connections.load();
      total += n;
      busy += n > 0 ? 1 : 0;
    }
    std::cout << ok << "/" << demo_clients << " clients echoed, " << total << " connections served by " << busy
              << " of " << workers << " workers" << std::endl;
    status = ok == demo_clients && total == demo_clients ? 0 : 1;
  } else {
    for (auto& w : pool) w->thread.join();  // until interrupted
    return 0;
  }
  for (auto& w : pool) {
    // Futures belong to their loop's thread (even copying one there): the
    // callback reaches the worker's future from inside the worker's loop.
    Worker* raw = w.get();
    w->loop->call_soon_threadsafe([raw] { raw->stop->set_result(); });
  }
  for (auto& w : pool) w->thread.join();
  return status;
}
