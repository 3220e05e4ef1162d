// Hello World: the first example of asyncio's documentation, in C++.
// (std::puts rather than std::cout: iostreams would triple the size of this
// program on WebAssembly; docs/platforms.md lists the sizes.)
#include <asyncio/asyncio.hpp>
#include <cstdio>

using namespace std::chrono_literals;

asyncio::Coro<> main_coro() {
  std::puts("Hello ...");
  std::fflush(stdout);
  co_await asyncio::sleep(1s);
  std::puts("... World!");
}

int main() { asyncio::run(main_coro()); }
