// Must not compile: an asyncio::Coro awaited by another library's coroutine.
#include <asyncio/asyncio.hpp>

#include "foreign_coroutine.hpp"

asyncio::Coro<int> answer() { co_return 42; }

ForeignTask foreign() {
  int v = co_await answer();
  (void)v;
}

int main() { foreign(); }
