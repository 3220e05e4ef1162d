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
  CHECK(asyncio::describe_exception(std::make_exception_ptr(std::runtime_error("x"))) == "std::runtime_error: x");
  CHECK(asyncio::describe_exception(std::make_exception_ptr(asyncio::TimeoutError())) == "TimeoutError");
  CHECK(asyncio::describe_exception(std::make_exception_ptr(42)) == "unknown exception");
  CHECK(asyncio::describe_exception(nullptr) == "None");
}
