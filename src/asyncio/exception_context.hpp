// What an exception handler receives. Python: the `context` dict of
// loop.call_exception_handler().
#pragma once

#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "asyncio/futures.hpp"
#include "asyncio/handles.hpp"
#include "asyncio/tasks.hpp"

namespace asyncio {

/// The context of an error the loop could not raise to anyone.
/// Python: the dict passed to exception handlers; the keys asyncio itself
/// sets are members, any other key goes to `extra`.
struct ExceptionContext {
  /// Python: context['message']
  std::string message;
  /// Python: context['exception'] (null if none)
  std::exception_ptr exception;
  /// Python: context['future']
  std::optional<AnyFuture> future;
  /// Python: context['task']
  std::optional<AnyTask> task;
  /// Python: context['handle']
  std::optional<Handle> handle;
  /// Other keys ('protocol', 'transport', 'socket', 'context', ...) with the
  /// repr of their value.
  std::vector<std::pair<std::string, std::string>> extra;

  /// The repr stored under an extra key, or nullptr. Python: context.get(key)
  const std::string* get(std::string_view key) const {
    for (const auto& [k, v] : extra)
      if (k == key) return &v;
    return nullptr;
  }
};

}  // namespace asyncio
