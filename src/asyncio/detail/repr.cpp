#include "asyncio/detail/repr.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "asyncio/exceptions.hpp"

namespace asyncio::detail {

std::string float_repr(double v) {
  // Python's repr(float): the shortest digits that read back as `v`,
  // positional when the exponent is in [-4, 16), else "1e+16", "1.5e-07".
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[48];
  for (int precision = 0; precision <= 16; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*e", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  // buf: [-]d[.ddd]e[+-]xx
  std::string s = buf;
  std::string sign;
  if (s[0] == '-') {
    sign = "-";
    s.erase(0, 1);
  }
  const std::size_t e = s.find('e');
  const int exp = std::atoi(s.c_str() + e + 1);
  std::string digits = s.substr(0, e);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  if (exp >= -4 && exp < 16) {
    std::string out;
    if (exp >= 0) {
      const std::size_t int_len = static_cast<std::size_t>(exp) + 1;
      if (digits.size() <= int_len) {
        out = digits + std::string(int_len - digits.size(), '0') + ".0";
      } else {
        out = digits.substr(0, int_len) + "." + digits.substr(int_len);
      }
    } else {
      out = "0." + std::string(static_cast<std::size_t>(-exp - 1), '0') + digits;
    }
    return sign + out;
  }
  std::string mantissa = digits.substr(0, 1);
  if (digits.size() > 1) mantissa += "." + digits.substr(1);
  char ebuf[16];
  std::snprintf(ebuf, sizeof ebuf, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
  return sign + mantissa + ebuf;
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
