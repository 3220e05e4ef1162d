// The loop scenarios shared by the native and the wasm32-emscripten runs
// (bench_loop_scenarios.cpp); each target's main() picks how to run them.
#pragma once

#include <asyncio/asyncio.hpp>

#include <string>
#include <vector>

namespace bench {

/// Time per operation of one round.
struct Sample {
  double wall_ns;
  double cpu_ns;
};

struct Line {
  std::string scenario;
  Sample best;
};

struct Results {
  std::vector<Line> lines;
};

/// The process's CPU time in ns (each target's main file defines it).
double cpu_ns();

/// Times every scenario on the running loop.
asyncio::Coro<Results> run_scenarios();

/// Prints one table, headed by `how` the loop was run.
void print(const char* how, const Results& results);

}  // namespace bench
