// The inspector on platforms without Unix sockets or threads (Emscripten,
// WASI, Windows so far): every entry point says so.
#include "asyncio/inspect.hpp"

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "asyncio/exceptions.hpp"
#include "asyncio/log.hpp"

namespace asyncio::inspect {

namespace {
[[noreturn]] void unavailable(const char* what) {
  throw NotImplementedError(std::string("asyncio::inspect::") + what + " is not available on " + ASYNCIO_PLATFORM_NAME);
}
}  // namespace

void enable() { unavailable("enable()"); }
bool enabled() noexcept { return false; }
std::string socket_path(long) { unavailable("socket_path()"); }
std::string snapshot_json(double) { unavailable("snapshot_json()"); }

}  // namespace asyncio::inspect

namespace asyncio::detail {

void inspect_from_environment() noexcept {
  const char* v = std::getenv("ASYNCIO_INSPECT");
  if (v == nullptr || *v == '\0' || std::strcmp(v, "0") == 0) return;
  static std::once_flag once;
  std::call_once(once, [] {
    log_noexcept(LogLevel::warning, [] {
      return std::string("ASYNCIO_INSPECT: asyncio::inspect is not available on ") + ASYNCIO_PLATFORM_NAME;
    });
  });
}

}  // namespace asyncio::detail
