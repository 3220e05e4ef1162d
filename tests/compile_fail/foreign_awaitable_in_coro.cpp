// Must not compile: a foreign awaitable awaited inside an asyncio::Coro.
#include <asyncio/asyncio.hpp>

#include <coroutine>

asyncio::Coro<> body() { co_await std::suspend_always{}; }

int main() { asyncio::run(body()); }
