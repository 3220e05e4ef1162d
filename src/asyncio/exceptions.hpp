// asyncio's exceptions (Python: asyncio.exceptions) and the builtin Python
// exceptions asyncio raises, mapped onto the C++ standard hierarchy.
//
// Mapping:
//   BaseException (not std::exception) <- CancelledError, KeyboardInterrupt,
//     SystemExit, BaseExceptionGroup. `catch (const std::exception&)` cannot
//     swallow a cancellation, just as `except Exception` cannot in Python.
//   RuntimeError      : std::runtime_error
//   NotImplementedError, SendfileNotAvailableError, BrokenBarrierError : RuntimeError
//   ValueError, TypeError : std::invalid_argument
//   TimeoutError      : std::system_error (ETIMEDOUT); Python's TimeoutError is an OSError
//   OSError and its subclasses (ConnectionResetError, ...) : std::system_error with the errno
//   InvalidStateError, QueueEmpty, QueueFull, QueueShutDown, LimitOverrunError,
//   EOFError <- IncompleteReadError : std::runtime_error
//   ExceptionGroup    : BaseExceptionGroup and std::runtime_error
#pragma once

#include <cstddef>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace asyncio {

/// Root of the exceptions that are not errors: cancellation and interpreter
/// exits. Deliberately not derived from std::exception.
/// Python: BaseException (the non-Exception part of the hierarchy).
class BaseException {
 public:
  explicit BaseException(std::string message = {}) : message_(std::move(message)) {}
  virtual ~BaseException() = default;
  /// The message, as str(exc) gives it in Python.
  virtual const char* what() const noexcept { return message_.c_str(); }

 protected:
  std::string message_;
};

/// The operation was cancelled. Carries the message given to cancel(), if any.
/// Python: asyncio.CancelledError
class CancelledError : public BaseException {
 public:
  CancelledError() = default;
  /// `message` as given to cancel(msg); std::nullopt for cancel().
  explicit CancelledError(const std::optional<std::string>& message)
      : BaseException(message.value_or(std::string())), has_message_(message.has_value()) {}
  /// The cancel() message; std::nullopt when cancel() was called without one.
  std::optional<std::string> message() const {
    return has_message_ ? std::optional<std::string>(message_) : std::nullopt;
  }

 private:
  bool has_message_ = false;
};

/// Ctrl-C. Escapes run_forever()/run_until_complete() like in Python.
/// Python: KeyboardInterrupt
class KeyboardInterrupt : public BaseException {
 public:
  KeyboardInterrupt() = default;
};

/// A request to exit. Escapes run_forever()/run_until_complete() like in Python.
/// Python: SystemExit
class SystemExit : public BaseException {
 public:
  explicit SystemExit(int code = 0) : BaseException(std::to_string(code)), code_(code) {}
  int code() const noexcept { return code_; }

 private:
  int code_;
};

/// Python: RuntimeError
class RuntimeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The operation is not available (on this platform, or not implemented).
/// Python: NotImplementedError
class NotImplementedError : public RuntimeError {
 public:
  using RuntimeError::RuntimeError;
};

/// Python: ValueError
class ValueError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// Python: TypeError
class TypeError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// A key or variable has no value (ContextVar::get() without a default).
/// Python: LookupError
class LookupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A mapping has no such key (Context::operator[]). Python: KeyError
class KeyError : public LookupError {
 public:
  using LookupError::LookupError;
};

/// The operation exceeded its deadline. A std::system_error carrying ETIMEDOUT,
/// since Python's TimeoutError is an OSError.
/// Python: TimeoutError (asyncio.TimeoutError is an alias)
class TimeoutError : public std::system_error {
 public:
  TimeoutError() : TimeoutError(std::string()) {}
  explicit TimeoutError(const std::string& message)
      : std::system_error(std::make_error_code(std::errc::timed_out), message), message_(message) {}
  /// The message alone, without the system category's text.
  const std::string& message() const noexcept { return message_; }
  /// The message, as Python's str(exc): "" for TimeoutError().
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string message_;
};

/// An operating-system error whose what() is exactly its message. Most OS
/// errors are plain std::system_error ("message: strerror"); this one is for
/// the errors Python raises with only a message ("getaddrinfo() returned
/// empty list", "Multiple exceptions: ...", code 0), and for messages that
/// already name the error. Python: OSError
class OSError : public std::system_error {
 public:
  /// An error without an errno (code() is 0).
  explicit OSError(const std::string& message)
      : std::system_error(std::error_code(0, std::generic_category()), message), message_(message) {}
  /// An error with a code and a message that already describes it.
  OSError(std::error_code code, const std::string& message) : std::system_error(code, message), message_(message) {}
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string message_;
};

/// The operation is not allowed in the object's current state.
/// Python: asyncio.InvalidStateError
class InvalidStateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// sendfile is not available for the given socket or file type.
/// Python: asyncio.SendfileNotAvailableError
class SendfileNotAvailableError : public RuntimeError {
 public:
  using RuntimeError::RuntimeError;
};

/// Python: EOFError
class EOFError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The stream ended before the requested bytes arrived.
/// Python: asyncio.IncompleteReadError
class IncompleteReadError : public EOFError {
 public:
  /// `expected` is std::nullopt when the read had no fixed size (readuntil).
  IncompleteReadError(std::string partial, std::optional<std::size_t> expected)
      : EOFError(describe(partial.size(), expected)), partial_(std::move(partial)), expected_(expected) {}
  /// The bytes read before the end of the stream.
  const std::string& partial() const noexcept { return partial_; }
  /// The total number of bytes expected, if known.
  std::optional<std::size_t> expected() const noexcept { return expected_; }

 private:
  static std::string describe(std::size_t got, std::optional<std::size_t> expected) {
    return std::to_string(got) + " bytes read on a total of " +
           (expected ? std::to_string(*expected) : std::string("undefined")) + " expected bytes";
  }
  std::string partial_;
  std::optional<std::size_t> expected_;
};

/// A separator was not found within the buffer limit.
/// Python: asyncio.LimitOverrunError
class LimitOverrunError : public std::runtime_error {
 public:
  LimitOverrunError(const std::string& message, std::size_t consumed)
      : std::runtime_error(message), consumed_(consumed) {}
  /// The number of bytes to consume to get past the data examined so far.
  std::size_t consumed() const noexcept { return consumed_; }

 private:
  std::size_t consumed_;
};

/// get_nowait() on an empty queue. Python: asyncio.QueueEmpty
class QueueEmpty : public std::runtime_error {
 public:
  QueueEmpty() : std::runtime_error("") {}
  using std::runtime_error::runtime_error;
};

/// put_nowait() on a full queue. Python: asyncio.QueueFull
class QueueFull : public std::runtime_error {
 public:
  QueueFull() : std::runtime_error("") {}
  using std::runtime_error::runtime_error;
};

/// put()/get() on a queue that was shut down. Python: asyncio.QueueShutDown
class QueueShutDown : public std::runtime_error {
 public:
  QueueShutDown() : std::runtime_error("") {}
  using std::runtime_error::runtime_error;
};

/// A Barrier was broken or reset while waiting. Python: asyncio.BrokenBarrierError
class BrokenBarrierError : public RuntimeError {
 public:
  BrokenBarrierError() : RuntimeError("") {}
  using RuntimeError::RuntimeError;
};

/// Several exceptions raised together, any of them possibly a BaseException.
/// Python: BaseExceptionGroup
class BaseExceptionGroup : public BaseException {
 public:
  BaseExceptionGroup(std::string message, std::vector<std::exception_ptr> exceptions)
      : BaseException(std::move(message)), exceptions_(std::move(exceptions)) {}
  /// The message given at construction (without the sub-exception count).
  const std::string& message() const noexcept { return message_; }
  /// The grouped exceptions, in the order they were raised.
  const std::vector<std::exception_ptr>& exceptions() const noexcept { return exceptions_; }

 private:
  std::vector<std::exception_ptr> exceptions_;
};

/// Several exceptions raised together, all of them errors (std::exception).
/// Catchable both as BaseExceptionGroup and as std::exception.
/// Python: ExceptionGroup
class ExceptionGroup : public BaseExceptionGroup, public std::runtime_error {
 public:
  ExceptionGroup(const std::string& message, std::vector<std::exception_ptr> exceptions)
      : BaseExceptionGroup(message, std::move(exceptions)),
        std::runtime_error(message + " (" + std::to_string(this->exceptions().size()) + " sub-exception" +
                           (this->exceptions().size() == 1 ? "" : "s") + ")") {}
  const char* what() const noexcept override { return std::runtime_error::what(); }
};

/// Raises the group type Python would build for these exceptions:
/// ExceptionGroup when all are errors, BaseExceptionGroup otherwise.
[[noreturn]] void raise_exception_group(std::string message, std::vector<std::exception_ptr> exceptions);

namespace detail {
/// True for KeyboardInterrupt and SystemExit, which callbacks let through
/// where every other exception is reported (Python's
/// `except (SystemExit, KeyboardInterrupt): raise`).
bool is_interrupt(const std::exception_ptr& e) noexcept;
}  // namespace detail

/// The Python name of the exception's type, as `type(exc).__name__` gives
/// it: the library's exceptions by their names ("CancelledError",
/// "IncompleteReadError", "ExceptionGroup", ...); std::system_error and
/// OSError by the OSError subclass Python raises for the errno
/// ("ConnectionResetError" for ECONNRESET, "FileNotFoundError" for ENOENT,
/// "gaierror" for resolver errors, else "OSError"); std::runtime_error,
/// std::invalid_argument, std::out_of_range, std::overflow_error and
/// std::bad_alloc as "RuntimeError", "ValueError", "IndexError",
/// "OverflowError" and "MemoryError"; any other type by its C++ name
/// ("myapp::ParseError"). "None" for a null pointer.
/// Python: type(exc).__name__
std::string exception_type_name(const std::exception_ptr& e);
/// The same for an exception caught by reference.
std::string exception_type_name(const std::exception& e);
/// The same for a BaseException caught by reference.
std::string exception_type_name(const BaseException& e);

/// "ValueError: bad value", "CancelledError", ...: the exception's Python
/// type name (exception_type_name) and message, for logs and reprs.
/// Python: traceback's last line (f"{type(exc).__name__}: {exc}")
std::string describe_exception(const std::exception_ptr& e);

}  // namespace asyncio
