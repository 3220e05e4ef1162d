// Coroutine support, whichever header the standard library ships.
//
// Facts: GCC and clang with libstdc++ or a recent libc++ ship <coroutine>.
// Emscripten 3.1.6's libc++ only has <experimental/coroutine>, which clang
// accepts in C++20 mode. Everything in the library names coroutine types
// through asyncio::stdcoro so the choice is made here, once.
#pragma once

#if __has_include(<coroutine>) && !defined(ASYNCIO_EXPERIMENTAL_COROUTINE)
#include <coroutine>
namespace asyncio::stdcoro {
using std::coroutine_handle;
using std::noop_coroutine;
using std::suspend_always;
using std::suspend_never;
}  // namespace asyncio::stdcoro
#else
#include <experimental/coroutine>
namespace asyncio::stdcoro {
using std::experimental::coroutine_handle;
using std::experimental::noop_coroutine;
using std::experimental::suspend_always;
using std::experimental::suspend_never;
}  // namespace asyncio::stdcoro
#endif
