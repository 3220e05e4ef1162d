// Python-style reprs for values and exceptions in messages
// ("<Future finished result=42>", "exception=ValueError('bad')").
#pragma once

#include <exception>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>

#include "asyncio/detail/demangle.hpp"

namespace asyncio::detail {

/// The shortest decimal form that reads back as `v`, as Python's repr(float).
std::string float_repr(double v);

/// Python's repr(exc): "ValueError('bad value')", "CancelledError()".
std::string exception_repr(const std::exception_ptr& e);

/// Python's repr() of a result value, as far as C++ can tell: numbers and
/// strings like Python, streamable types through operator<<, others by type.
template <class T>
std::string value_repr(const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v ? "True" : "False";
  } else if constexpr (std::is_floating_point_v<T>) {
    return float_repr(static_cast<double>(v));
  } else if constexpr (std::is_arithmetic_v<T>) {
    return std::to_string(v);
  } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    return "'" + std::string(std::string_view(v)) + "'";
  } else if constexpr (requires(std::ostream& os, const T& x) { os << x; }) {
    std::ostringstream os;
    os << v;
    return os.str();
  } else {
    return "<" + type_name(typeid(T)) + ">";
  }
}

}  // namespace asyncio::detail
