// Must not compile: a library awaitable (sleep) awaited by another library's coroutine.
#include <asyncio/asyncio.hpp>

#include "foreign_coroutine.hpp"

ForeignTask foreign() { co_await asyncio::sleep(1); }

int main() { foreign(); }
