#include "asyncio/exceptions.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <typeinfo>

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

namespace {

// Python: the OSError subclass the constructor picks for an errno (PEP 3151).
const char* os_error_name(const std::error_code& code) {
  if (std::strcmp(code.category().name(), "getaddrinfo") == 0) return "gaierror";
  const std::error_condition c = code.default_error_condition();
  if (c.category() != std::generic_category()) return "OSError";
  switch (static_cast<std::errc>(c.value())) {
    case std::errc::resource_unavailable_try_again:
#if EAGAIN != EWOULDBLOCK
    case std::errc::operation_would_block:
#endif
    case std::errc::connection_already_in_progress:
    case std::errc::operation_in_progress:
      return "BlockingIOError";
    case std::errc::no_child_process: return "ChildProcessError";
    case std::errc::broken_pipe: return "BrokenPipeError";
    case std::errc::connection_aborted: return "ConnectionAbortedError";
    case std::errc::connection_refused: return "ConnectionRefusedError";
    case std::errc::connection_reset: return "ConnectionResetError";
    case std::errc::file_exists: return "FileExistsError";
    case std::errc::no_such_file_or_directory: return "FileNotFoundError";
    case std::errc::interrupted: return "InterruptedError";
    case std::errc::is_a_directory: return "IsADirectoryError";
    case std::errc::not_a_directory: return "NotADirectoryError";
    case std::errc::permission_denied:
    case std::errc::operation_not_permitted:
      return "PermissionError";
    case std::errc::no_such_process: return "ProcessLookupError";
    case std::errc::timed_out: return "TimeoutError";
    default: break;
  }
#if defined(ESHUTDOWN)
  if (c.value() == ESHUTDOWN) return "BrokenPipeError";
#endif
  return "OSError";
}

}  // namespace

std::string exception_type_name(const std::exception& e) {
  const std::type_info& type = typeid(e);
  // The standard types a C++ program throws where Python code raises a builtin.
  if (type == typeid(std::runtime_error)) return "RuntimeError";
  if (type == typeid(std::invalid_argument)) return "ValueError";
  if (type == typeid(std::out_of_range)) return "IndexError";
  if (type == typeid(std::overflow_error)) return "OverflowError";
  if (type == typeid(std::bad_alloc)) return "MemoryError";
  if (type == typeid(ExceptionGroup)) return "ExceptionGroup";
  // OS errors are named by their errno, as Python's OSError() picks a subclass.
  if (type == typeid(std::system_error) || type == typeid(OSError)) {
    return os_error_name(static_cast<const std::system_error&>(e).code());
  }
  return detail::type_name(type);
}

std::string exception_type_name(const BaseException& e) { return detail::type_name(typeid(e)); }

std::string exception_type_name(const std::exception_ptr& e) {
  if (!e) return "None";
  try {
    std::rethrow_exception(e);
  } catch (const ExceptionGroup&) {
    return "ExceptionGroup";
  } catch (const BaseException& ex) {
    return exception_type_name(ex);
  } catch (const std::exception& ex) {
    return exception_type_name(ex);
  } catch (...) {
    return "unknown exception";
  }
}

std::string describe_exception(const std::exception_ptr& e) {
  if (!e) return "None";
  std::string what;
  try {
    std::rethrow_exception(e);
  } catch (const ExceptionGroup& ex) {
    what = ex.std::runtime_error::what();
  } catch (const BaseException& ex) {
    what = ex.what();
  } catch (const std::exception& ex) {
    what = ex.what();
  } catch (...) {
    return "unknown exception";
  }
  std::string name = exception_type_name(e);
  return what.empty() ? name : name + ": " + what;
}

}  // namespace asyncio
