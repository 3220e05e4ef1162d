// std::thread on a Cortex-M without an OS: see README.md here.
//
// newlib's libstdc++ is built without threads, so its std::thread has no
// constructor that starts one, and code naming one does not compile (the
// library's tests do, in tests that are not run here). This header wraps
// libstdc++'s own: its class is renamed while it is read, and std::thread
// derives from it, adding that constructor, which throws
// std::system_error(EAGAIN) as a thread that cannot start does
// (Emscripten without pthreads does the same). Everything else (ids,
// this_thread, hash, jthread in <thread>) is libstdc++'s.
#pragma once

#include <bits/c++config.h>

#if defined(_GLIBCXX_HAS_GTHREADS)
#include_next <bits/std_thread.h>
#else
// What the real header includes, first, so that only its own text sees
// the rename.
#include <errno.h>

#include <bits/functexcept.h>
#include <bits/functional_hash.h>
#include <bits/invoke.h>
#include <bits/refwrap.h>
#include <bits/unique_ptr.h>
#include <iosfwd>
#include <tuple>
#include <type_traits>

#define thread __asyncio_libstdcxx_thread
#include_next <bits/std_thread.h>
#undef thread

namespace std _GLIBCXX_VISIBILITY(default) {
_GLIBCXX_BEGIN_NAMESPACE_VERSION

class thread : public __asyncio_libstdcxx_thread {
 public:
  thread() noexcept = default;
  template <typename Callable, typename... Args,
            typename = enable_if_t<!is_same_v<__remove_cvref_t<Callable>, thread>>>
  explicit thread(Callable&&, Args&&...) {
    __throw_system_error(EAGAIN);  // no threads: "Resource temporarily unavailable"
  }
  thread(thread&&) noexcept = default;
  thread& operator=(thread&&) noexcept = default;
  void swap(thread& other) noexcept { __asyncio_libstdcxx_thread::swap(other); }
};

inline void swap(thread& a, thread& b) noexcept { a.swap(b); }

_GLIBCXX_END_NAMESPACE_VERSION
}  // namespace std
#endif
