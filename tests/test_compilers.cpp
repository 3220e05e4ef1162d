// The safe forms of docs/compilers.md: each compiles and runs correctly with
// every compiler the project supports, g++ 12 included. Every test builds
// what g++ 12's coroutine bugs break (a capture or a member with a
// non-trivial destructor, a co_await result that decides a branch) and
// awaits it the safe way. The forms g++ 12 gets wrong are tested too, on
// the compilers that get them right (clang, g++ >= 13).
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "net_support.hpp"

using asyncio::Coro;
using test::LoopFixture;

namespace {

Coro<std::string> echo_after_yield(std::string s) {
  co_await asyncio::sleep(0);
  co_return s;
}

Coro<bool> yes_after_yield() {
  co_await asyncio::sleep(0);
  co_return true;
}

// A user's options struct: an aggregate with a member that owns memory.
struct Greeting {
  std::string name;
  int times = 1;
};

Coro<std::string> greet(Greeting g) {
  co_await asyncio::sleep(0);
  std::string out;
  for (int i = 0; i < g.times; ++i) out += "hello " + g.name + ";";
  co_return out;
}

// ---- safe form 1: name a callable before the statement that awaits it ----

Coro<std::string> named_block_in_task_group() {
  const std::string name = "worker";  // captured by value: a std::string
  std::string result;
  auto body = [name, &result](asyncio::TaskGroup& tg) -> Coro<> {
    asyncio::Task<std::string> t = tg.create_task(echo_after_yield(name));
    co_await asyncio::sleep(0);
    result = co_await t;
  };
  co_await asyncio::task_group(body);
  co_return result;
}

Coro<std::string> named_block_in_timeout() {
  auto shared = std::make_shared<std::string>("in time");  // captured by value: a shared_ptr
  auto body = [shared]() -> Coro<std::string> {
    std::string s = co_await echo_after_yield(*shared);
    co_return s;
  };
  std::string r = co_await asyncio::timeout(5.0, body);
  co_return r;
}

Coro<std::string> named_function_to_thread() {
  const std::string text = "from a thread";
  auto job = [text] { return text + "!"; };
  std::string r = co_await asyncio::to_thread(job);
  co_return r;
}

// ---- safe form 2: build the awaitable in its own statement ----

Coro<std::string> coro_in_its_own_statement() {
  // An aggregate with a std::string member, built as an argument: in a
  // statement of its own, not inside the co_await expression.
  Coro<std::string> c = greet({.name = "ada", .times = 2});
  std::string r = co_await std::move(c);
  co_return r;
}

Coro<int> task_options_in_their_own_statement() {
  asyncio::Task<std::string> t = asyncio::create_task(echo_after_yield("abc"), {.name = "named"});
  std::string r = co_await t;
  co_return static_cast<int>(r.size()) + (t.get_name() == "named" ? 100 : 0);
}

// ---- safe form 3: name the options (or any aggregate) ----

Coro<std::string> named_options() {
  Greeting g{.name = "grace"};
  std::string r = co_await greet(g);
  co_return r;
}

// ---- safe form 4: a co_await result goes into a local before it is tested ----

Coro<int> result_in_a_local_before_if() {
  // No other local in this coroutine: the case g++ 12 hangs on with
  // `if (co_await yes_after_yield())`.
  const bool ok = co_await yes_after_yield();
  if (ok) co_return 1;
  co_return 0;
}

Coro<int> loop_with_the_result_in_a_local(asyncio::Queue<int>& q) {
  int sum = 0;
  for (;;) {
    const int item = co_await q.get();
    if (item < 0) break;
    sum += item;
  }
  co_return sum;
}

Coro<std::string> branch_instead_of_conditional_operator(bool fresh) {
  std::string s;
  if (fresh) {
    s = co_await echo_after_yield("fresh");
  } else {
    s = "cached";
  }
  co_return s;
}

Coro<int> lock_acquired_then_tested(asyncio::Lock& lock) {
  const bool acquired = co_await lock.acquire();
  if (!acquired) co_return 0;
  lock.release();
  co_return 1;
}

// ---- safe form 5: a container is named, not a braced list in a co_await ----

Coro<std::size_t> count_all(std::vector<std::string> v) {
  co_await asyncio::sleep(0);
  co_return v.size();
}

Coro<std::size_t> named_container() {
  const std::vector<std::string> words{"a", "b", "c"};
  std::size_t n = co_await count_all(words);
  co_return n;
}

}  // namespace

TEST_CASE("safe form: a named lambda with a std::string capture runs as a task_group block", "[compilers]") {
  LoopFixture f;
  CHECK(f.loop->run_until_complete(named_block_in_task_group()) == "worker");
}

TEST_CASE("safe form: a named lambda with a shared_ptr capture runs as a timeout block", "[compilers]") {
  LoopFixture f;
  CHECK(f.loop->run_until_complete(named_block_in_timeout()) == "in time");
}

TEST_CASE("safe form: a named lambda with a std::string capture runs in to_thread", "[compilers][threads]") {
  LoopFixture f;
  CHECK(f.loop->run_until_complete(named_function_to_thread()) == "from a thread!");
}

TEST_CASE("safe form: a coroutine called with an aggregate argument is built in its own statement", "[compilers]") {
  LoopFixture f;
  CHECK(f.loop->run_until_complete(coro_in_its_own_statement()) == "hello ada;hello ada;");
}

TEST_CASE("safe form: create_task with options in its own statement, then awaited", "[compilers]") {
  LoopFixture f;
  CHECK(f.loop->run_until_complete(task_options_in_their_own_statement()) == 103);
}

TEST_CASE("safe form: named options passed to a coroutine in a co_await", "[compilers]") {
  LoopFixture f;
  CHECK(f.loop->run_until_complete(named_options()) == "hello grace;");
}

TEST_CASE("safe form: a co_await result tested from a local in a coroutine without other locals", "[compilers]") {
  LoopFixture f;
  CHECK(f.loop->run_until_complete(result_in_a_local_before_if()) == 1);
}

TEST_CASE("safe form: a loop reading its co_await result into a local", "[compilers]") {
  LoopFixture f;
  asyncio::Queue<int> q;
  for (int i : {1, 2, 3, -1}) q.put_nowait(i);
  CHECK(f.loop->run_until_complete(loop_with_the_result_in_a_local(q)) == 6);
}

TEST_CASE("safe form: an if/else in place of co_await in a conditional operator", "[compilers]") {
  LoopFixture f;
  CHECK(f.loop->run_until_complete(branch_instead_of_conditional_operator(true)) == "fresh");
  CHECK(f.loop->run_until_complete(branch_instead_of_conditional_operator(false)) == "cached");
}

TEST_CASE("safe form: Lock.acquire()'s result is tested from a local", "[compilers]") {
  LoopFixture f;
  asyncio::Lock lock;
  CHECK(f.loop->run_until_complete(lock_acquired_then_tested(lock)) == 1);
  CHECK_FALSE(lock.locked());
}

TEST_CASE("safe form: a named container passed to a coroutine in a co_await", "[compilers]") {
  LoopFixture f;
  CHECK(f.loop->run_until_complete(named_container()) == 3);
}

namespace {

Coro<> greet_client(asyncio::StreamReader reader, asyncio::StreamWriter writer, std::string greeting) {
  std::string name = co_await reader.readline();
  writer.write(greeting + name);
  co_await writer.drain();
  writer.close();
  co_await writer.wait_closed();
}

Coro<std::string> named_client_callback() {
  const std::string greeting = "hello ";
  // The callback captures a std::string by value: named first.
  auto on_client = [greeting](asyncio::StreamReader r, asyncio::StreamWriter w) -> Coro<> {
    return greet_client(std::move(r), std::move(w), greeting);
  };
  std::shared_ptr<asyncio::Server> server = co_await asyncio::start_server(on_client, "127.0.0.1", 0);
  auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", test::port_of(server));
  writer.write("bob\n");
  std::string reply = co_await reader.read();
  writer.close();
  co_await writer.wait_closed();
  server->close();
  co_await server->wait_closed();
  co_return reply;
}

}  // namespace

TEST_CASE("safe form: a named client_connected_cb with a std::string capture serves start_server",
          "[compilers][net]") {
  LoopFixture f;
  CHECK(test::run_net(f, named_client_callback()) == "hello bob\n");
}

// The options structs that own nothing stay trivially destructible, so that
// writing them inline in a co_await expression is safe with g++ 12 too
// (docs/compilers.md, rule 3).
static_assert(std::is_trivially_destructible_v<asyncio::WaitOptions>);
static_assert(std::is_trivially_destructible_v<asyncio::AsCompletedOptions>);
static_assert(std::is_trivially_destructible_v<asyncio::AddrInfoOptions>);

TEST_CASE("safe form: trivially destructible options written inline in a co_await", "[compilers]") {
  LoopFixture f;
  auto waiting = [](asyncio::EventLoop& loop) -> Coro<std::size_t> {
    std::vector<asyncio::Task<int>> tasks;
    tasks.push_back(loop.create_task(test::value_after(0, 1)));
    tasks.push_back(loop.create_task(test::value_after(10, 2)));
    auto [done, pending] = co_await asyncio::wait(tasks, {.return_when = asyncio::FIRST_COMPLETED});
    for (auto& t : pending) t.cancel();
    co_await asyncio::wait(pending);
    co_return done.size();
  };
  CHECK(f.loop->run_until_complete(waiting(*f.loop)) == 1);
}

TEST_CASE("the g++ 12 diagnostic flags exactly the temporaries g++ 12 breaks", "[compilers]") {
  // detail/gcc12.hpp: on g++ < 13, task_group(), timeout(), start_server(),
  // to_thread() warn for a temporary of this kind; elsewhere never.
  std::string s = "x";
  auto by_value = [s] { return s; };
  auto by_reference = [&s] { return s; };
  using asyncio::detail::gcc12_unsafe_temporary;
  CHECK(gcc12_unsafe_temporary<decltype(by_value)> == bool(ASYNCIO_GCC12_COROUTINE_BUGS));
  CHECK_FALSE(gcc12_unsafe_temporary<decltype(by_value)&>);          // named: passed as an lvalue
  CHECK_FALSE(gcc12_unsafe_temporary<decltype(by_reference)>);       // trivially destructible
  CHECK_FALSE(gcc12_unsafe_temporary<std::function<std::string()>>);  // built by a constructor
  CHECK_FALSE(gcc12_unsafe_temporary<Coro<int>>);
}

#if !ASYNCIO_GCC12_COROUTINE_BUGS
// The forms g++ 12 miscompiles, on a compiler that does not: they are
// correct C++, and asyncio supports them there.
namespace {

Coro<std::string> natural_forms() {
  const std::string name = "inline";
  std::string out;
  co_await asyncio::task_group([name, &out](asyncio::TaskGroup& tg) -> Coro<> {
    asyncio::Task<std::string> t = tg.create_task(echo_after_yield(name));
    out = co_await t;
  });
  out += co_await greet({.name = "ada"});
  if (co_await yes_after_yield()) out += "+if";
  out += true ? co_await echo_after_yield("+cond") : std::string("-");
  out += std::to_string(co_await count_all({"a", "b"}));
  co_return out;
}

}  // namespace

TEST_CASE("on compilers without g++ 12's bugs the natural forms work too", "[compilers]") {
  LoopFixture f;
  CHECK(f.loop->run_until_complete(natural_forms()) == "inlinehello ada;+if+cond2");
}
#endif

namespace {
// Emscripten 3.1.6's clang 14 with -fwasm-exceptions, at -O1 and above,
// lost the handlers of this shape (docs/compilers.md): in a loop, a try
// block that calls something that may throw, then awaits; the
// CancelledError raised when the await resumed escaped the coroutine, past
// the catch and the coroutine's own catch-all. coroutines.hpp's OpaqueReady
// avoids it.
Coro<int> catch_each_cancellation(int rounds) {
  int caught = 0;
  for (int i = 0; i < rounds; ++i) {
    try {
      const double delay = asyncio::get_running_loop().time() * 0 + 10;  // a call that may throw
      co_await asyncio::sleep(delay);
    } catch (const asyncio::CancelledError&) {
      ++caught;
    }
  }
  co_return caught;
}
}  // namespace

TEST_CASE("a CancelledError raised at an await in a try block in a loop reaches the handler every time",
          "[compilers]") {
  LoopFixture f;
  f.loop->run_until_complete([]() -> Coro<> {
    auto t = asyncio::create_task(catch_each_cancellation(3));
    for (int i = 0; i < 3; ++i) {
      co_await asyncio::sleep(0);
      t.cancel();
    }
    const int caught = co_await t;
    CHECK(caught == 3);
  }());
}
