// g++ 12's coroutine bugs, seen from the library's side (docs/compilers.md).
//
// Facts (g++ 12.2, at -O0 and -O2; fixed in GCC 13.1):
// - A temporary built by lambda or aggregate initialization inside a
//   co_await expression, whose destructor is not trivial (a lambda capturing
//   a std::string or a shared_ptr by value, an options struct holding one),
//   is destroyed twice or freed from the wrong address (GCC bugs 99576,
//   100611, 101367, 101976).
// - co_await in an if/while condition or in a ?: operand hangs or crashes
//   (GCC bugs 106188, 106713).
// The library cannot see where it is called from, but it can see what it is
// given: the APIs that take a callable and are awaited (task_group(),
// timeout(), start_server(), create_server(), to_thread(), ...) have, on
// GCC < 13 only, an overload marked [[deprecated]] that catches a callable
// of that kind passed as a temporary, so the compiler warns where the
// program would crash. Naming the callable first silences it (and is the
// safe form). Other compilers never see the overloads.
#pragma once

#include <functional>
#include <type_traits>

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#define ASYNCIO_GCC12_COROUTINE_BUGS 1
#else
#define ASYNCIO_GCC12_COROUTINE_BUGS 0
#endif

/// The warning of those overloads.
#define ASYNCIO_GCC12_TEMPORARY_WARNING                                                                        \
  "g++ < 13 destroys a lambda with non-trivial captures twice when it is built inside a co_await expression " \
  "(GCC bugs 99576, 101367): name it first (auto f = [...](...) {...}; ... (f, ...)); see docs/compilers.md"

namespace asyncio {
template <class T>
class Coro;
}  // namespace asyncio

namespace asyncio::detail {

template <class F>
struct is_std_function : std::false_type {};
template <class R, class... A>
struct is_std_function<std::function<R(A...)>> : std::true_type {};
template <class F>
struct is_coro_type : std::false_type {};
template <class T>
struct is_coro_type<Coro<T>> : std::true_type {};

/// True, on GCC < 13 only, when an argument of type F&& (a forwarding
/// reference's F) is a temporary of the kind g++ 12 mishandles in a co_await
/// expression: an rvalue of a class type with a non-trivial destructor,
/// other than a std::function or a Coro (built by constructors, which g++ 12
/// handles).
template <class F>
inline constexpr bool gcc12_unsafe_temporary =
    ASYNCIO_GCC12_COROUTINE_BUGS && !std::is_lvalue_reference_v<F> && std::is_class_v<std::remove_cvref_t<F>> &&
    !std::is_trivially_destructible_v<std::remove_cvref_t<F>> && !is_std_function<std::remove_cvref_t<F>>::value &&
    !is_coro_type<std::remove_cvref_t<F>>::value;

}  // namespace asyncio::detail
