// A chat server: every line a client sends goes to every other client.
//
//   chat_server [--host 127.0.0.1] [--port 8888]   serve until interrupted
//   chat_server --demo                             serve on a free port, run
//                                                  scripted clients, print
//                                                  what they received, exit
//
// Talk to it with `nc 127.0.0.1 8888`: the first line is your name, then
// each line is a message; "/quit" leaves.
//
// The shape is structured concurrency: each connection is one TaskGroup of
// two tasks, one reading the client's lines and broadcasting them, one
// writing the client's outbox (a bounded Queue) to its socket. Broadcasting
// never waits: it puts each line in every other client's outbox with
// put_nowait(), and a client too slow to keep its outbox under
// kOutboxLines is disconnected, so one slow reader can neither stall the
// room nor make the server's memory grow. When a client leaves, its outbox
// is shut down (Python 3.13's Queue.shutdown()): the writer sends what is
// queued, then get() raises QueueShutDown and the group finishes.
#include <asyncio/asyncio.hpp>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

namespace {

constexpr int kOutboxLines = 256;

struct Client {
  explicit Client(asyncio::StreamWriter w) : writer(std::move(w)) {}

  std::string name;
  asyncio::StreamWriter writer;
  asyncio::Queue<std::string> outbox{kOutboxLines};

  // Drops a client that fell behind: its queued lines, and the connection
  // at once (close() would wait for its unread data to drain).
  void kick() {
    outbox.shutdown({.immediate = true});
    writer.transport()->abort();
  }
};

class ChatRoom {
 public:
  void join(Client& client) {
    broadcast("* " + client.name + " joined\n", &client);
    clients_.push_back(&client);
  }
  void leave(Client& client) {
    std::erase(clients_, &client);
    broadcast("* " + client.name + " left\n", &client);
  }
  // Queues `line` for every client but `from`; never waits.
  void broadcast(const std::string& line, const Client* from) {
    std::vector<Client*> too_slow;
    for (Client* client : clients_) {
      if (client == from) continue;
      try {
        client->outbox.put_nowait(line);
      } catch (const asyncio::QueueFull&) {
        too_slow.push_back(client);
      } catch (const asyncio::QueueShutDown&) {
        // Leaving already: its writer is sending its last lines.
      }
    }
    for (Client* client : too_slow) client->kick();
  }
  std::size_t size() const { return clients_.size(); }
  std::string guest_name() { return "guest" + std::to_string(++guests_); }

 private:
  std::vector<Client*> clients_;
  int guests_ = 0;
};

// Keeps a client in the room for as long as its connection is served,
// however that ends (EOF, an error, the server's cancellation).
class Membership {
 public:
  Membership(ChatRoom& room, Client& client) : room_(room), client_(client) { room_.join(client_); }
  ~Membership() { room_.leave(client_); }
  Membership(const Membership&) = delete;
  Membership& operator=(const Membership&) = delete;

 private:
  ChatRoom& room_;
  Client& client_;
};

std::string without_newline(std::string line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

asyncio::Coro<> receive_lines(ChatRoom& room, Client& client, asyncio::StreamReader reader) {
  for (;;) {
    std::string received = co_await reader.readline();
    const std::string line = without_newline(std::move(received));
    if (reader.at_eof() && line.empty()) break;
    if (line == "/quit") break;
    room.broadcast(client.name + ": " + line + "\n", &client);
  }
  client.outbox.shutdown();  // the writer sends what is queued, then ends
}

asyncio::Coro<> send_outbox(Client& client) {
  try {
    for (;;) {
      const std::string line = co_await client.outbox.get();
      client.writer.write(line);
      co_await client.writer.drain();
    }
  } catch (const asyncio::QueueShutDown&) {
    // The client left or was kicked.
  } catch (const std::system_error&) {
    // The connection was lost (reset, or aborted by kick()).
    client.outbox.shutdown({.immediate = true});
  }
  client.writer.close();  // the reader then sees EOF, if still reading
}

asyncio::Coro<> handle_client(ChatRoom& room, asyncio::StreamReader reader, asyncio::StreamWriter writer) {
  Client client(writer);
  try {
    writer.write("name? ");
    std::string answer = co_await reader.readline();
    client.name = without_newline(std::move(answer));
    if (client.name.empty()) client.name = room.guest_name();
    writer.write("welcome " + client.name + ", " + std::to_string(room.size()) + " others here\n");
    Membership membership(room, client);
    // The block is named before it is awaited (docs/compilers.md, rule 1).
    auto both_directions = [&](asyncio::TaskGroup& tg) -> asyncio::Coro<> {
      tg.create_task(receive_lines(room, client, reader), {.name = "receive " + client.name});
      tg.create_task(send_outbox(client), {.name = "send " + client.name});
      co_return;
    };
    co_await asyncio::task_group(both_directions);
  } catch (const asyncio::ExceptionGroup& eg) {
    std::cerr << client.name << ": " << eg.what() << "\n";
  } catch (const std::exception& e) {  // a reset or an overlong line before the name
    std::cerr << "connection: " << e.what() << "\n";
  }
  writer.close();
}

asyncio::Coro<std::shared_ptr<asyncio::Server>> start_chat(ChatRoom& room, const std::string& host, int port) {
  auto callback = [&room](asyncio::StreamReader reader, asyncio::StreamWriter writer) {
    return handle_client(room, std::move(reader), std::move(writer));
  };
  co_return co_await asyncio::start_server(callback, host, port);
}

asyncio::Coro<> serve(ChatRoom& room, std::string host, int port) {
  std::shared_ptr<asyncio::Server> server = co_await start_chat(room, host, port);
  const asyncio::SockAddr where = server->sockets().at(0).getsockname();
  std::cout << "chat on " << where.host << ":" << where.port << std::endl;
  co_await server->serve_forever();
}

// ---- The demo: scripted clients on loopback ----

struct DemoClient {
  std::string who;
  asyncio::StreamReader reader;
  asyncio::StreamWriter writer;

  // Reads one line and prints it as "who < line".
  asyncio::Coro<std::string> expect() {
    std::string received = co_await asyncio::wait_for(reader.readline(), 5.0);
    const std::string line = without_newline(std::move(received));
    std::cout << who << " < " << line << "\n";
    co_return line;
  }
  asyncio::Coro<> say(const std::string& line) {
    writer.write(line + "\n");
    co_await writer.drain();
  }
  asyncio::Coro<> leave() {
    writer.close();
    co_await writer.wait_closed();
  }
};

asyncio::Coro<DemoClient> connect(int port, std::string who, std::string name) {
  auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
  DemoClient client{std::move(who), std::move(reader), std::move(writer)};
  const std::string prompt = co_await asyncio::wait_for(client.reader.readexactly(6), 5.0);  // "name? "
  if (prompt != "name? ") throw asyncio::RuntimeError("unexpected prompt: " + prompt);
  co_await client.say(name);
  co_await client.expect();  // welcome
  co_return client;
}

asyncio::Coro<> demo(ChatRoom& room) {
  std::shared_ptr<asyncio::Server> server = co_await start_chat(room, "127.0.0.1", 0);
  const int port = server->sockets().at(0).getsockname().port;

  DemoClient alice = co_await connect(port, "alice", "alice");
  DemoClient bob = co_await connect(port, "bob", "bob");
  co_await alice.expect();  // * bob joined
  co_await alice.say("hi bob");
  co_await bob.expect();
  co_await bob.say("hi alice");
  co_await alice.expect();
  DemoClient guest = co_await connect(port, "guest", "");  // no name given
  co_await alice.expect();
  co_await bob.expect();
  co_await guest.say("hello all");
  co_await alice.expect();
  co_await bob.expect();
  co_await bob.say("/quit");
  co_await alice.expect();  // * bob left
  co_await guest.expect();
  co_await bob.leave();
  co_await guest.leave();
  co_await alice.expect();  // * guest1 left

  // A client that stops reading while another floods the room is
  // disconnected once its outbox is full; the flooder never waits for it.
  DemoClient sloth = co_await connect(port, "sloth", "sloth");
  co_await alice.expect();  // * sloth joined
  const std::string payload(1000, 'x');
  int sent = 0;
  while (room.size() > 1 && sent < 100000) {
    co_await alice.say(payload);
    ++sent;
  }
  std::cout << "sloth disconnected after falling behind: " << (room.size() == 1 ? "yes" : "no") << "\n";
  try {
    for (;;) {
      // The result in a local before it is tested (docs/compilers.md, rule 4).
      const std::string chunk = co_await asyncio::wait_for(sloth.reader.read(1 << 16), 5.0);
      if (chunk.empty()) break;
    }
  } catch (const std::system_error&) {
    // Reset: the server aborted the connection with data unread.
  }
  std::cout << "sloth's connection ended\n";
  co_await alice.leave();

  // The handlers see the clients go on their next iterations.
  for (int i = 0; i < 500 && room.size() > 0; ++i) co_await asyncio::sleep(0.01);
  server->close();
  co_await server->wait_closed();
  std::cout << "server closed, " << room.size() << " clients in the room\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int port = 8888;
  bool run_demo = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--demo") {
      run_demo = true;
    } else if (arg == "--host" && i + 1 < argc) {
      host = argv[++i];
    } else if (arg == "--port" && i + 1 < argc) {
      port = std::atoi(argv[++i]);
    } else {
      std::cerr << "usage: chat_server [--host H] [--port P] | chat_server --demo\n";
      return 2;
    }
  }
  // The room outlives the loop: connection handlers still running when the
  // loop closes are cancelled then, and leave the room as they unwind.
  ChatRoom room;
  try {
    asyncio::run(run_demo ? demo(room) : serve(room, host, port));
  } catch (const asyncio::KeyboardInterrupt&) {
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "chat_server: " << e.what() << "\n";
    return 1;
  }
}
