// Retrying with exponential backoff: the logic of a client that must reach a
// flaky service. Kept apart from main() so that retry_test.cpp can test it
// on a loop with a virtual clock (minutes of backoff in milliseconds).
#pragma once

#include <asyncio/asyncio.hpp>

#include <algorithm>
#include <functional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace retry {

/// How to retry. Delays double from `initial_delay` up to `max_delay`.
struct Policy {
  int max_attempts = 8;
  double initial_delay = 1.0;  // seconds before the second attempt
  double max_delay = 60.0;
  double attempt_timeout = 10.0;  // each attempt's own deadline
};

/// What happened, for logs and tests.
struct Outcome {
  std::string result;
  int attempts = 0;
  std::vector<double> delays;  // the backoff before each retry
};

/// Runs `attempt()` until it succeeds, waiting between attempts; an attempt
/// that fails (any std::exception, including its timeout) is retried.
/// Raises the last attempt's error when all fail. Cancellation is never
/// retried: it propagates at once.
inline asyncio::Coro<Outcome> with_backoff(std::function<asyncio::Coro<std::string>()> attempt, Policy policy) {
  Outcome outcome;
  double delay = policy.initial_delay;
  for (;;) {
    ++outcome.attempts;
    try {
      auto call = asyncio::wait_for(attempt(), policy.attempt_timeout);
      outcome.result = co_await std::move(call);
      co_return outcome;
    } catch (const std::exception&) {
      if (outcome.attempts >= policy.max_attempts) throw;
    }
    outcome.delays.push_back(delay);
    co_await asyncio::sleep(delay);
    delay = std::min(delay * 2, policy.max_delay);
  }
}

/// One attempt of the example client: connect, send a line, read the reply.
inline asyncio::Coro<std::string> ask(std::string host, int port, std::string line) {
  auto connecting = asyncio::open_connection(host, port);
  auto [reader, writer] = co_await std::move(connecting);
  writer.write(line + "\n");
  co_await writer.drain();
  std::string reply = co_await reader.readline();
  writer.close();
  co_await writer.wait_closed();
  if (reply.empty()) throw std::system_error(std::make_error_code(std::errc::connection_reset), "no reply");
  co_return reply;
}

}  // namespace retry
