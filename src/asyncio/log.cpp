#include "asyncio/log.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace asyncio {
namespace {

std::mutex& handler_mutex() {
  static std::mutex m;
  return m;
}

LogHandler& handler_slot() {
  static LogHandler h;
  return h;
}

std::atomic<int> g_level{static_cast<int>(LogLevel::warning)};

}  // namespace

std::string_view level_name(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::debug: return "DEBUG";
    case LogLevel::info: return "INFO";
    case LogLevel::warning: return "WARNING";
    case LogLevel::error: return "ERROR";
    case LogLevel::critical: return "CRITICAL";
  }
  return "LEVEL";
}

void Logger::set_handler(LogHandler handler) {
  std::lock_guard<std::mutex> lock(handler_mutex());
  handler_slot() = std::move(handler);
}

void Logger::set_level(LogLevel level) noexcept { g_level.store(static_cast<int>(level), std::memory_order_relaxed); }

LogLevel Logger::level() const noexcept { return static_cast<LogLevel>(g_level.load(std::memory_order_relaxed)); }

bool Logger::is_enabled_for(LogLevel level) const noexcept {
  return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

void Logger::log(LogLevel level, std::string_view message) {
  if (!is_enabled_for(level)) return;
  LogHandler handler;
  {
    std::lock_guard<std::mutex> lock(handler_mutex());
    handler = handler_slot();
  }
  // Called without the lock so that a handler may log (or set handlers) itself.
  if (handler) {
    handler(level, message);
    return;
  }
  std::fwrite(message.data(), 1, message.size(), stderr);
  std::fputc('\n', stderr);
  std::fflush(stderr);
}

Logger& logger() noexcept {
  static Logger instance;
  return instance;
}

}  // namespace asyncio
