// The library's logger. Python: asyncio.log.logger (logging.getLogger("asyncio")).
//
// Everything asyncio logs in Python (the default exception handler, slow
// callbacks in debug mode, "never retrieved" reports) goes through here. By
// default records at WARNING and above are written to stderr, one message per
// record, as Python's last-resort handler does; install a handler to route
// them elsewhere.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace asyncio {

/// Python logging levels.
enum class LogLevel : std::uint8_t { debug = 10, info = 20, warning = 30, error = 40, critical = 50 };

/// "DEBUG", "INFO", ...
std::string_view level_name(LogLevel level) noexcept;

/// Receives every record at or above the logger's level.
using LogHandler = std::function<void(LogLevel level, std::string_view message)>;

/// The "asyncio" logger. Thread-safe.
class Logger {
 public:
  /// Routes records to `handler`; nullptr restores the stderr handler.
  void set_handler(LogHandler handler);
  /// Drops records below `level`. Python: logger.setLevel()
  void set_level(LogLevel level) noexcept;
  LogLevel level() const noexcept;
  /// Python: logger.isEnabledFor()
  bool is_enabled_for(LogLevel level) const noexcept;

  void log(LogLevel level, std::string_view message);
  void debug(std::string_view message) { log(LogLevel::debug, message); }
  void info(std::string_view message) { log(LogLevel::info, message); }
  void warning(std::string_view message) { log(LogLevel::warning, message); }
  void error(std::string_view message) { log(LogLevel::error, message); }
};

/// The library-wide logger instance. Python: asyncio.log.logger
Logger& logger() noexcept;

namespace detail {
/// Logs `make_message()` at `level` from code that must not throw
/// (destructors, noexcept callbacks). If building or logging the message
/// fails, the report is dropped: there is nowhere left to report it.
template <class F>
void log_noexcept(LogLevel level, F&& make_message) noexcept {
  try {
    logger().log(level, make_message());
  } catch (...) {  // NOLINT(bugprone-empty-catch): a report that cannot be made has nowhere else to go
  }
}
}  // namespace detail

}  // namespace asyncio
