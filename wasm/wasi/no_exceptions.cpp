// WASI has no C++ exception runtime: code with throw and try compiles, but
// libc++abi for wasm32-wasi lacks the functions a throw calls, so linking
// fails. These definitions let the library link; a throw then ends the
// program with a message instead (exit status 70, EX_SOFTWARE), which is
// all WASI allows. Only reached in code that runs without a loop: starting
// one exits first (wasi_backend.cpp).
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <typeinfo>

namespace {
[[noreturn]] void no_exceptions(const char* what) {
  std::fprintf(stderr, "asyncio: %s: C++ exceptions are not available on WASI (wasm32-wasi)\n", what);
  std::fflush(stderr);
  std::_Exit(70);
}
}  // namespace

extern "C" {

// The C++ ABI's names (hence reserved identifiers): these replace libc++abi's.
void* __cxa_allocate_exception(std::size_t size) noexcept {  // NOLINT(bugprone-reserved-identifier)
  // The object is built before __cxa_throw ends the program.
  void* p = std::malloc(size);
  if (p == nullptr) no_exceptions("out of memory while throwing");
  return p;
}

void __cxa_free_exception(void* p) noexcept { std::free(p); }  // NOLINT(bugprone-reserved-identifier)

[[noreturn]] void __cxa_throw(void*, std::type_info* type, void (*)(void*)) {  // NOLINT(bugprone-reserved-identifier)
  std::fprintf(stderr, "asyncio: uncaught exception of type %s\n", type ? type->name() : "?");
  no_exceptions("throw");
}

[[noreturn]] void __cxa_rethrow() { no_exceptions("rethrow"); }  // NOLINT(bugprone-reserved-identifier)

}  // extern "C"
