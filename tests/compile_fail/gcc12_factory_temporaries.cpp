// Compiles everywhere; with g++ < 13 it must warn exactly once per call
// marked "warns": a protocol factory lambda with a non-trivial capture
// written inside the co_await expression, which g++ 12 destroys twice
// (docs/compilers.md). The named and by-reference factories must not warn.
#include <asyncio/asyncio.hpp>

#include <memory>
#include <string>
#include <vector>

namespace {

struct P : asyncio::Protocol {};
struct D : asyncio::DatagramProtocol {};
struct S : asyncio::SubprocessProtocol {};

asyncio::Coro<> calls(asyncio::EventLoop& loop) {
  auto state = std::make_shared<int>(1);
  const std::vector<std::string> hosts{"127.0.0.1"};
  const std::vector<std::string> args{"true"};
  auto s1 = co_await loop.create_server([state] { return std::make_shared<P>(); }, "127.0.0.1", 0);  // warns
  auto s2 = co_await loop.create_server([state] { return std::make_shared<P>(); }, hosts, 0);  // warns
  auto s3 = co_await loop.create_unix_server([state] { return std::make_shared<P>(); }, "/tmp/x");  // warns
  auto c1 = co_await loop.create_connection([state] { return std::make_shared<P>(); }, "127.0.0.1", 1);  // warns
  auto c2 = co_await loop.create_unix_connection([state] { return std::make_shared<P>(); }, "/tmp/x");  // warns
  auto c3 = co_await loop.connect_accepted_socket([state] { return std::make_shared<P>(); }, 3);  // warns
  auto p1 = co_await loop.connect_read_pipe([state] { return std::make_shared<P>(); }, 3);  // warns
  auto p2 = co_await loop.connect_write_pipe([state] { return std::make_shared<P>(); }, 4);  // warns
  auto x1 = co_await loop.subprocess_exec([state] { return std::make_shared<S>(); }, args);  // warns
  auto x2 = co_await loop.subprocess_shell([state] { return std::make_shared<S>(); }, "true");  // warns
  auto d1 = co_await loop.create_datagram_endpoint([state] { return std::make_shared<D>(); });  // warns
  // The safe forms: a named factory, a factory capturing only references.
  auto named = [state] { return std::make_shared<P>(); };
  auto s4 = co_await loop.create_server(named, "127.0.0.1", 0);
  auto c4 = co_await loop.create_connection(named, "127.0.0.1", 1);
  auto s5 = co_await loop.create_server([&state] { return std::make_shared<P>(); }, "127.0.0.1", 0);
  auto c5 = co_await loop.create_connection([&] { return std::make_shared<P>(); }, "127.0.0.1", 1);
}

}  // namespace

int main() {
  auto loop = asyncio::new_event_loop();
  loop->run_until_complete(calls(*loop));
}
