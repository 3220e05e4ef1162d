// A portable program that asks whether asyncio can run here before using
// it: built on every target; the wasi preset runs it (wasm/wasi/tests.cmake)
// and the native suite runs it too (tests/CMakeLists.txt).
//   platform_query               prints what it found, exit status 0
//   platform_query --start-loop  starts a loop even where none can run
#include <asyncio/asyncio.hpp>
#include <cstring>
#include <iostream>

int main(int argc, char** argv) {
  const bool force = argc > 1 && std::strcmp(argv[1], "--start-loop") == 0;
  if constexpr (!asyncio::platform::available) {
    if (!force) {
      std::cout << "asyncio unavailable on " << asyncio::platform::name << ": " << asyncio::platform::unavailable_reason
                << '\n';
      return 0;
    }
  }
  auto loop = asyncio::new_event_loop();  // on WASI: the stub reports and exits
  int calls = 0;
  loop->call_soon([&] {
    ++calls;
    loop->stop();
  });
  loop->run_forever();
  loop->close();
  std::cout << "asyncio available on " << asyncio::platform::name << ": ran " << calls << " callback\n";
  return 0;
}
