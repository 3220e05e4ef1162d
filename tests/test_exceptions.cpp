// The exception hierarchy and its messages. Python: asyncio.exceptions.
#include "support.hpp"

TEST_CASE("CancelledError is not a std::exception", "[exceptions]") {
  bool caught_as_std = false, caught_as_base = false;
  try {
    try {
      throw asyncio::CancelledError("msg");
    } catch (const std::exception&) {
      caught_as_std = true;
    }
  } catch (const asyncio::BaseException& e) {
    caught_as_base = true;
    CHECK(std::string(e.what()) == "msg");
  }
  CHECK_FALSE(caught_as_std);
  CHECK(caught_as_base);
  STATIC_REQUIRE_FALSE(std::is_base_of_v<std::exception, asyncio::KeyboardInterrupt>);
  STATIC_REQUIRE_FALSE(std::is_base_of_v<std::exception, asyncio::SystemExit>);
}

TEST_CASE("CancelledError tells a missing message from an empty one", "[exceptions]") {
  CHECK_FALSE(asyncio::CancelledError().message().has_value());
  CHECK(asyncio::CancelledError("").message() == std::optional<std::string>(""));
  CHECK(asyncio::CancelledError(std::optional<std::string>("x")).message() == std::optional<std::string>("x"));
}

TEST_CASE("TimeoutError is a system_error with ETIMEDOUT", "[exceptions]") {
  try {
    throw asyncio::TimeoutError("too slow");
  } catch (const std::system_error& e) {
    CHECK(e.code() == std::errc::timed_out);
    CHECK(std::string(e.what()).find("too slow") != std::string::npos);
  }
  CHECK(asyncio::TimeoutError("x").message() == "x");
}

TEST_CASE("IncompleteReadError describes what was read", "[exceptions]") {
  asyncio::IncompleteReadError e("abc", 10);
  CHECK(std::string(e.what()) == "3 bytes read on a total of 10 expected bytes");
  CHECK(e.partial() == "abc");
  CHECK(e.expected() == std::optional<std::size_t>(10));
  asyncio::IncompleteReadError open_ended("ab", std::nullopt);
  CHECK(std::string(open_ended.what()) == "2 bytes read on a total of undefined expected bytes");
  CHECK_FALSE(open_ended.expected().has_value());
  STATIC_REQUIRE(std::is_base_of_v<asyncio::EOFError, asyncio::IncompleteReadError>);
}

TEST_CASE("LimitOverrunError carries the consumed count", "[exceptions]") {
  asyncio::LimitOverrunError e("Separator is not found, and chunk exceed the limit", 7);
  CHECK(e.consumed() == 7);
  CHECK(std::string(e.what()) == "Separator is not found, and chunk exceed the limit");
}

TEST_CASE("the error classes derive as in Python", "[exceptions]") {
  STATIC_REQUIRE(std::is_base_of_v<asyncio::RuntimeError, asyncio::NotImplementedError>);
  STATIC_REQUIRE(std::is_base_of_v<asyncio::RuntimeError, asyncio::BrokenBarrierError>);
  STATIC_REQUIRE(std::is_base_of_v<asyncio::RuntimeError, asyncio::SendfileNotAvailableError>);
  STATIC_REQUIRE(std::is_base_of_v<std::exception, asyncio::InvalidStateError>);
  STATIC_REQUIRE(std::is_base_of_v<std::exception, asyncio::QueueEmpty>);
  STATIC_REQUIRE(std::is_base_of_v<std::exception, asyncio::QueueFull>);
  STATIC_REQUIRE(std::is_base_of_v<std::exception, asyncio::QueueShutDown>);
  STATIC_REQUIRE(std::is_base_of_v<std::invalid_argument, asyncio::ValueError>);
  STATIC_REQUIRE(std::is_base_of_v<std::invalid_argument, asyncio::TypeError>);
  STATIC_REQUIRE_FALSE(std::is_base_of_v<asyncio::ValueError, asyncio::TypeError>);
}

TEST_CASE("raise_exception_group picks ExceptionGroup for errors only", "[exceptions]") {
  std::vector<std::exception_ptr> errors{std::make_exception_ptr(asyncio::ValueError("a")),
                                         std::make_exception_ptr(asyncio::RuntimeError("b"))};
  try {
    asyncio::raise_exception_group("unhandled errors in a TaskGroup", errors);
  } catch (const std::exception& e) {
    CHECK(std::string(e.what()) == "unhandled errors in a TaskGroup (2 sub-exceptions)");
    auto* group = dynamic_cast<const asyncio::ExceptionGroup*>(&e);
    REQUIRE(group != nullptr);
    CHECK(group->exceptions().size() == 2);
    CHECK(group->message() == "unhandled errors in a TaskGroup");
  }
  std::vector<std::exception_ptr> mixed{std::make_exception_ptr(asyncio::ValueError("a")),
                                        std::make_exception_ptr(asyncio::KeyboardInterrupt())};
  bool as_std = false, as_base_group = false;
  try {
    try {
      asyncio::raise_exception_group("mixed", mixed);
    } catch (const std::exception&) {
      as_std = true;
    }
  } catch (const asyncio::BaseExceptionGroup& g) {
    as_base_group = true;
    CHECK(g.exceptions().size() == 2);
  }
  CHECK_FALSE(as_std);
  CHECK(as_base_group);
}

TEST_CASE("an ExceptionGroup is also a BaseExceptionGroup", "[exceptions]") {
  bool caught = false;
  try {
    throw asyncio::ExceptionGroup("g", {std::make_exception_ptr(asyncio::ValueError("v"))});
  } catch (const asyncio::BaseExceptionGroup& g) {
    caught = true;
    CHECK(g.exceptions().size() == 1);
  }
  CHECK(caught);
}

TEST_CASE("describe_exception gives type and message", "[exceptions]") {
  CHECK(asyncio::describe_exception(std::make_exception_ptr(asyncio::ValueError("bad"))) == "ValueError: bad");
  CHECK(asyncio::describe_exception(std::make_exception_ptr(asyncio::CancelledError())) == "CancelledError");
  CHECK(asyncio::describe_exception(std::make_exception_ptr(std::runtime_error("x"))) == "RuntimeError: x");
  CHECK(asyncio::describe_exception(std::make_exception_ptr(asyncio::TimeoutError("late"))) == "TimeoutError: late");
  CHECK(asyncio::describe_exception(std::make_exception_ptr(asyncio::IncompleteReadError("ab", 5))) ==
        "IncompleteReadError: 2 bytes read on a total of 5 expected bytes");
  CHECK(asyncio::describe_exception(std::make_exception_ptr(asyncio::TimeoutError())) == "TimeoutError");
  CHECK(asyncio::describe_exception(std::make_exception_ptr(42)) == "unknown exception");
  CHECK(asyncio::describe_exception(nullptr) == "None");
}

TEST_CASE("TimeoutError's message is Python's str(): empty by default, no errno text", "[exceptions]") {
  // Python: str(TimeoutError()) == '' and str(TimeoutError('x')) == 'x'.
  CHECK(std::string(asyncio::TimeoutError().what()).empty());
  CHECK(std::string(asyncio::TimeoutError("x").what()) == "x");
  // Still the OSError with errno ETIMEDOUT that Python's TimeoutError is.
  CHECK(asyncio::TimeoutError().code() == std::errc::timed_out);
}

namespace {
struct AppError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
template <class E>
std::string name_of(E e) {
  return asyncio::exception_type_name(std::make_exception_ptr(std::move(e)));
}
std::string os_name(std::errc e) { return name_of(std::system_error(std::make_error_code(e), "op")); }
}  // namespace

TEST_CASE("exception_type_name gives the Python type name of every library exception", "[exceptions]") {
  // Python: type(exc).__name__ for the exceptions asyncio raises.
  CHECK(name_of(asyncio::CancelledError("m")) == "CancelledError");
  CHECK(name_of(asyncio::KeyboardInterrupt()) == "KeyboardInterrupt");
  CHECK(name_of(asyncio::SystemExit(2)) == "SystemExit");
  CHECK(name_of(asyncio::TimeoutError()) == "TimeoutError");
  CHECK(name_of(asyncio::IncompleteReadError("", 1)) == "IncompleteReadError");
  CHECK(name_of(asyncio::LimitOverrunError("x", 1)) == "LimitOverrunError");
  CHECK(name_of(asyncio::InvalidStateError("x")) == "InvalidStateError");
  CHECK(name_of(asyncio::QueueEmpty()) == "QueueEmpty");
  CHECK(name_of(asyncio::QueueFull()) == "QueueFull");
  CHECK(name_of(asyncio::QueueShutDown()) == "QueueShutDown");
  CHECK(name_of(asyncio::BrokenBarrierError()) == "BrokenBarrierError");
  CHECK(name_of(asyncio::SendfileNotAvailableError("x")) == "SendfileNotAvailableError");
  CHECK(name_of(asyncio::RuntimeError("x")) == "RuntimeError");
  CHECK(name_of(asyncio::NotImplementedError("x")) == "NotImplementedError");
  CHECK(name_of(asyncio::ValueError("x")) == "ValueError");
  CHECK(name_of(asyncio::TypeError("x")) == "TypeError");
  CHECK(name_of(asyncio::EOFError("x")) == "EOFError");
  CHECK(name_of(asyncio::OSError("x")) == "OSError");
  CHECK(name_of(asyncio::ExceptionGroup("g", {std::make_exception_ptr(asyncio::ValueError("v"))})) ==
        "ExceptionGroup");
  CHECK(name_of(asyncio::BaseExceptionGroup("g", {std::make_exception_ptr(asyncio::CancelledError())})) ==
        "BaseExceptionGroup");
  CHECK(asyncio::exception_type_name(nullptr) == "None");
}

TEST_CASE("exception_type_name names OS errors by errno as Python's OSError subclasses", "[exceptions]") {
  CHECK(os_name(std::errc::connection_reset) == "ConnectionResetError");
  CHECK(os_name(std::errc::connection_refused) == "ConnectionRefusedError");
  CHECK(os_name(std::errc::connection_aborted) == "ConnectionAbortedError");
  CHECK(os_name(std::errc::broken_pipe) == "BrokenPipeError");
  CHECK(os_name(std::errc::no_such_file_or_directory) == "FileNotFoundError");
  CHECK(os_name(std::errc::file_exists) == "FileExistsError");
  CHECK(os_name(std::errc::permission_denied) == "PermissionError");
  CHECK(os_name(std::errc::operation_not_permitted) == "PermissionError");
  CHECK(os_name(std::errc::no_such_process) == "ProcessLookupError");
  CHECK(os_name(std::errc::no_child_process) == "ChildProcessError");
  CHECK(os_name(std::errc::resource_unavailable_try_again) == "BlockingIOError");
  CHECK(os_name(std::errc::interrupted) == "InterruptedError");
  CHECK(os_name(std::errc::is_a_directory) == "IsADirectoryError");
  CHECK(os_name(std::errc::not_a_directory) == "NotADirectoryError");
  CHECK(os_name(std::errc::timed_out) == "TimeoutError");
  CHECK(os_name(std::errc::address_in_use) == "OSError");
  CHECK(name_of(asyncio::OSError(std::make_error_code(std::errc::connection_reset), "x")) == "ConnectionResetError");
  CHECK(name_of(std::system_error(std::error_code(-2, asyncio::gai_category()), "x")) == "gaierror");
  CHECK(asyncio::describe_exception(std::make_exception_ptr(
            std::system_error(std::make_error_code(std::errc::connection_reset), "read"))) ==
        "ConnectionResetError: read: " + std::make_error_code(std::errc::connection_reset).message());
}

TEST_CASE("exception_type_name maps standard exceptions to Python builtins and keeps other C++ names",
          "[exceptions]") {
  CHECK(name_of(std::runtime_error("x")) == "RuntimeError");
  CHECK(name_of(std::invalid_argument("x")) == "ValueError");
  CHECK(name_of(std::out_of_range("x")) == "IndexError");
  CHECK(name_of(std::overflow_error("x")) == "OverflowError");
  CHECK(name_of(std::bad_alloc()) == "MemoryError");
  CHECK(name_of(std::logic_error("x")) == "std::logic_error");
  CHECK(name_of(AppError("x")) == "(anonymous namespace)::AppError");
  AppError caught("y");
  CHECK(asyncio::exception_type_name(static_cast<const std::exception&>(caught)) == "(anonymous namespace)::AppError");
  CHECK(asyncio::exception_type_name(asyncio::CancelledError()) == "CancelledError");
}
