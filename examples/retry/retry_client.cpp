// A client that retries with exponential backoff until a server answers.
//
//   retry_client [--host 127.0.0.1] [--port 8888] [--message hello] [--attempts 8]
//
// Start it before the server (e.g. examples/echo_server): it keeps trying,
// waiting 1, 2, 4, ... seconds (at most 60) between attempts.
// The retry logic is in retry.hpp; retry_test.cpp tests it in virtual time.
#include <cstdlib>
#include <iostream>
#include <string>

#include "retry.hpp"

namespace {

asyncio::Coro<int> run_client(std::string host, int port, std::string message, int attempts) {
  retry::Policy policy;
  policy.max_attempts = attempts;
  auto attempt = [&]() -> asyncio::Coro<std::string> {
    std::cout << "attempt at t=" << asyncio::get_running_loop().time() << "\n";
    return retry::ask(host, port, message);
  };
  try {
    auto retrying = retry::with_backoff(attempt, policy);
    retry::Outcome outcome = co_await std::move(retrying);
    std::cout << "reply after " << outcome.attempts << " attempt(s): " << outcome.result;
    co_return 0;
  } catch (const std::exception& e) {
    std::cout << "gave up: " << asyncio::describe_exception(std::current_exception()) << "\n";
    co_return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int port = 8888;
  std::string message = "hello";
  int attempts = 8;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--host") host = argv[i + 1];
    else if (arg == "--port") port = std::atoi(argv[i + 1]);
    else if (arg == "--message") message = argv[i + 1];
    else if (arg == "--attempts") attempts = std::atoi(argv[i + 1]);
    else {
      std::cerr << "usage: retry_client [--host H] [--port P] [--message M] [--attempts N]\n";
      return 2;
    }
  }
  return asyncio::run(run_client(host, port, message, attempts));
}
