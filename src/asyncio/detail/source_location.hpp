// Where a call came from, for debug-mode reports ("created at app.cpp:12").
//
// It is a default argument of create_task() and friends, so it is built on
// every call, debug mode or not: it must cost no more than one register.
// std::source_location is one pointer to a static record the compiler
// emits per call site; where the standard library lacks it (Emscripten's
// and WASI's libc++ before LLVM 16), three words made of the builtins it is
// built from, evaluated at the caller as default arguments.
//
// No default constructor: a braced `{}` argument must never pick it, so
// that create_task(coro, {}) means "default TaskOptions", not a location.
#pragma once

#include <cstddef>
#include <string_view>

#if __has_include(<version>)
#include <version>
#endif
#if defined(__cpp_lib_source_location) && __cpp_lib_source_location >= 201907L
#include <source_location>
#define ASYNCIO_STD_SOURCE_LOCATION 1
#else
#define ASYNCIO_STD_SOURCE_LOCATION 0
#endif

namespace asyncio::detail {

/// "worker" from "asyncio::Coro<int> ns::worker(int)": the name before the
/// first top-level '(' without its return type and qualifiers.
constexpr std::string_view bare_function_name(std::string_view signature) noexcept {
  int depth = 0;
  std::size_t end = signature.size();
  for (std::size_t i = 0; i < signature.size(); ++i) {
    const char c = signature[i];
    if (c == '<') ++depth;
    else if (c == '>' && depth > 0) --depth;
    else if (c == '(' && depth == 0 && i > 0) { end = i; break; }
  }
  std::size_t begin = 0;
  depth = 0;
  for (std::size_t i = end; i-- > 0;) {
    const char c = signature[i];
    if (c == '>') ++depth;
    else if (c == '<' && depth > 0) --depth;
    else if (depth == 0 && (c == ' ' || (c == ':' && i > 0 && signature[i - 1] == ':'))) { begin = i + 1; break; }
  }
  return signature.substr(begin, end - begin);
}

#if ASYNCIO_STD_SOURCE_LOCATION

class SourceLocation {
 public:
  constexpr explicit SourceLocation(std::source_location where) noexcept : where_(where) {}

  /// The caller's location, when used as a default argument.
  static constexpr SourceLocation current(std::source_location where = std::source_location::current()) noexcept {
    return SourceLocation(where);
  }
  constexpr const char* file_name() const noexcept { return where_.file_name(); }
  constexpr unsigned line_number() const noexcept { return where_.line(); }
  /// The bare function name ("worker"), as Python's tracebacks give it:
  /// std::source_location gives the whole signature
  /// ("asyncio::Coro<int> ns::worker(int)"); cut to the name before the
  /// parameter list (debug-mode reports only: not on a hot path).
  std::string_view function_name() const noexcept { return bare_function_name(where_.function_name()); }

 private:
  std::source_location where_;
};

#else

class SourceLocation {
 public:
  constexpr SourceLocation(const char* file, unsigned line, const char* function) noexcept
      : file_(file), line_(line), function_(function) {}

  /// The caller's location, when used as a default argument.
  static constexpr SourceLocation current(const char* file = __builtin_FILE(), unsigned line = __builtin_LINE(),
                                          const char* function = __builtin_FUNCTION()) noexcept {
    return SourceLocation(file, line, function);
  }
  constexpr const char* file_name() const noexcept { return file_; }
  constexpr unsigned line_number() const noexcept { return line_; }
  std::string_view function_name() const noexcept { return function_; }

 private:
  const char* file_;
  unsigned line_;
  const char* function_;
};

#endif

}  // namespace asyncio::detail
