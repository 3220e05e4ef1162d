// Type names stay mangled on WASI: libc++abi's __cxa_demangle is over 100 KB
// of code, more than the rest of a stub program, and no loop runs here to
// show a callback's or an exception's name. The library asks for a demangled
// name (detail/demangle.hpp, exceptions.cpp) and keeps the mangled one when
// demangling fails, as this one always does.
#include <cstddef>

extern "C" char* __cxa_demangle(const char*, char*, std::size_t*, int* status) {  // NOLINT(bugprone-reserved-identifier)
  if (status != nullptr) *status = -2;  // "not a valid name under the C++ ABI mangling rules"
  return nullptr;
}
