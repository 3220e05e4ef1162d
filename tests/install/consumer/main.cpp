#include <asyncio/asyncio.hpp>
#include <iostream>

asyncio::Coro<int> compute() {
  co_await asyncio::sleep(0.001);
  co_return 42;
}

int main() {
  // Links the TLS part too: the package must bring OpenSSL along.
  auto tls = asyncio::create_default_context();
  if (!tls->check_hostname()) return 1;
  std::cout << "consumer ok " << asyncio::run(compute()) << "\n";
}
