// Where a call came from, for debug-mode reports ("created at app.cpp:12").
// std::source_location is missing from the standard libraries of some
// targets (Emscripten's libc++ before LLVM 16); GCC and Clang both provide
// the builtins it is made of, evaluated at the caller when used as default
// arguments.
#pragma once

namespace asyncio::detail {

struct SourceLocation {
  const char* file = "";
  unsigned line = 0;
  const char* function = "";

  /// The caller's location, when used as a default argument.
  static constexpr SourceLocation current(const char* file = __builtin_FILE(), unsigned line = __builtin_LINE(),
                                          const char* function = __builtin_FUNCTION()) noexcept {
    return SourceLocation{file, line, function};
  }
  constexpr const char* file_name() const noexcept { return file; }
  constexpr unsigned line_number() const noexcept { return line; }
  constexpr const char* function_name() const noexcept { return function; }
};

}  // namespace asyncio::detail
