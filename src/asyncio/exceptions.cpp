#include "asyncio/exceptions.hpp"

#include <algorithm>
#include <cstdlib>
#include <memory>

#if defined(__GNUG__)
#include <cxxabi.h>
#endif

#include "asyncio/detail/demangle.hpp"

namespace asyncio {

namespace detail {

std::string type_name(const std::type_info& type) {
  std::string name = type.name();
#if defined(__GNUG__)
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> demangled(abi::__cxa_demangle(type.name(), nullptr, nullptr, &status),
                                                   std::free);
  if (status == 0 && demangled) name = demangled.get();
#endif
  constexpr std::string_view prefix = "asyncio::";
  if (name.compare(0, prefix.size(), prefix) == 0) name.erase(0, prefix.size());
  return name;
}

bool is_interrupt(const std::exception_ptr& e) noexcept {
  try {
    std::rethrow_exception(e);
  } catch (const KeyboardInterrupt&) {
    return true;
  } catch (const SystemExit&) {
    return true;
  } catch (...) {
    return false;
  }
}

}  // namespace detail

namespace {
// True for a std::exception (Python: an Exception, not a BaseException).
bool is_std_exception(const std::exception_ptr& e) noexcept {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception&) {
    return true;
  } catch (...) {
    return false;
  }
}
}  // namespace

void raise_exception_group(std::string message, std::vector<std::exception_ptr> exceptions) {
  const bool all_errors = std::all_of(exceptions.begin(), exceptions.end(), is_std_exception);
  if (all_errors) throw ExceptionGroup(message, std::move(exceptions));
  throw BaseExceptionGroup(std::move(message), std::move(exceptions));
}

std::string describe_exception(const std::exception_ptr& e) {
  if (!e) return "None";
  try {
    std::rethrow_exception(e);
  } catch (const TimeoutError& ex) {
    return ex.message().empty() ? "TimeoutError" : "TimeoutError: " + ex.message();
  } catch (const ExceptionGroup& ex) {
    return "ExceptionGroup: " + std::string(ex.std::runtime_error::what());
  } catch (const BaseException& ex) {
    std::string name = detail::type_name(typeid(ex));
    std::string what = ex.what();
    return what.empty() ? name : name + ": " + what;
  } catch (const std::exception& ex) {
    std::string name = detail::type_name(typeid(ex));
    std::string what = ex.what();
    return what.empty() ? name : name + ": " + what;
  } catch (...) {
    return "unknown exception";
  }
}

}  // namespace asyncio
