// Hello World: the first example of asyncio's documentation, in C++.
#include <asyncio/asyncio.hpp>
#include <iostream>

using namespace std::chrono_literals;

asyncio::Coro<> main_coro() {
  std::cout << "Hello ..." << std::endl;
  co_await asyncio::sleep(1s);
  std::cout << "... World!" << std::endl;
}

int main() { asyncio::run(main_coro()); }
