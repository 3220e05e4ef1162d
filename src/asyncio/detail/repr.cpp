#include "asyncio/detail/repr.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "asyncio/exceptions.hpp"

namespace asyncio::detail {

std::string float_repr(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  std::string s = buf;
  // Python always shows floats with a '.' or an exponent ("1.0", "1e+16").
  if (s.find_first_of(".eni") == std::string::npos) s += ".0";
  return s;
}

std::string exception_repr(const std::exception_ptr& e) {
  if (!e) return "None";
  std::string name;
  std::string what;
  try {
    std::rethrow_exception(e);
  } catch (const TimeoutError& ex) {
    name = "TimeoutError";
    what = ex.message();
  } catch (const BaseException& ex) {
    name = type_name(typeid(ex));
    what = ex.what();
  } catch (const std::exception& ex) {
    name = type_name(typeid(ex));
    what = ex.what();
  } catch (...) {
    return "<unknown exception>";
  }
  if (what.empty()) return name + "()";
  return name + "('" + what + "')";
}

}  // namespace asyncio::detail
