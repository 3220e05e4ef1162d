#include <asyncio/asyncio.hpp>
#include <iostream>

asyncio::Coro<int> compute() {
  co_await asyncio::sleep(0.001);
  co_return 42;
}

int main() { std::cout << "consumer ok " << asyncio::run(compute()) << "\n"; }
